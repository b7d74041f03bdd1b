"""Login, lockout, two-factor enforcement and password reset."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from chibo.accounts.models import User

pytestmark = pytest.mark.django_db
LOGIN = "/tai-khoan/dang-nhap/"


def test_login_with_the_right_password(client, world):
    response = client.post(LOGIN, {"username": "bithu", "password": "chibo-test-pw"})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # to the cell home


def test_wrong_password_shows_a_vietnamese_error(client, world):
    response = client.post(LOGIN, {"username": "bithu", "password": "sai"})
    assert response.status_code == 200
    assert "mật khẩu chính xác" in response.content.decode()


def test_repeated_failures_lock_the_account(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "bithu", "password": "sai"})
    response = client.post(LOGIN, {"username": "bithu", "password": "chibo-test-pw"})
    assert response.status_code == 429
    assert "Tạm khóa đăng nhập" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_writing_roles_must_set_up_two_factor(client, world, settings):
    settings.CHIBO_2FA_REQUIRED = True
    client.post(LOGIN, {"username": "bithu", "password": "chibo-test-pw"})
    response = client.get(f"/to-chuc/{world.cell1.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/tai-khoan/xac-thuc-hai-buoc/")
    page = client.get(response["Location"])
    assert "quét mã" in page.content.decode()
    device = TOTPDevice.objects.get(user=world.secretary)
    assert not device.confirmed
    ok = client.post("/tai-khoan/xac-thuc-hai-buoc/", {"token": f"{totp(device.bin_key):06d}", "next": f"/to-chuc/{world.cell1.pk}/"})
    assert ok.status_code == 302 and ok["Location"] == f"/to-chuc/{world.cell1.pk}/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(f"/to-chuc/{world.cell1.pk}/").status_code == 200


def test_a_plain_member_is_not_forced_into_two_factor(client, world, settings):
    settings.CHIBO_2FA_REQUIRED = True
    client.post(LOGIN, {"username": "dangvien", "password": "chibo-test-pw"})
    assert client.get(f"/to-chuc/{world.cell1.pk}/").status_code == 200


def test_two_factor_can_be_switched_off_by_setting(client, world, settings):
    settings.CHIBO_2FA_REQUIRED = False
    client.post(LOGIN, {"username": "bithu", "password": "chibo-test-pw"})
    assert client.get(f"/to-chuc/{world.cell1.pk}/").status_code == 200


def test_open_redirects_are_refused_after_two_factor(client, world, settings):
    settings.CHIBO_2FA_REQUIRED = True
    client.post(LOGIN, {"username": "bithu", "password": "chibo-test-pw"})
    client.get("/tai-khoan/xac-thuc-hai-buoc/")
    device = TOTPDevice.objects.get(user=world.secretary)
    ok = client.post("/tai-khoan/xac-thuc-hai-buoc/", {"token": f"{totp(device.bin_key):06d}", "next": "https://evil.example/"})
    assert ok["Location"] == "/"


def test_password_reset_by_email(client, world):
    world.secretary.email = "bithu@example.vn"
    world.secretary.save()
    response = client.post("/tai-khoan/quen-mat-khau/", {"email": "bithu@example.vn"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/tai-khoan/dat-mat-khau/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "Mat-khau-moi-2026", "new_password2": "Mat-khau-moi-2026"})
    assert done.status_code == 302
    assert User.objects.get(pk=world.secretary.pk).check_password("Mat-khau-moi-2026")


def test_production_settings_use_secure_cookies_and_hsts(settings):
    from config import settings as prod

    if prod.HTTPS:
        assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE
        assert prod.SECURE_HSTS_SECONDS >= 31536000


def test_a_wrong_code_is_refused_and_then_throttled(client, world, settings):
    settings.CHIBO_2FA_REQUIRED = True
    client.post(LOGIN, {"username": "bithu", "password": "chibo-test-pw"})
    client.get("/tai-khoan/xac-thuc-hai-buoc/")
    device = TOTPDevice.objects.get(user=world.secretary)
    wrong = client.post("/tai-khoan/xac-thuc-hai-buoc/", {"token": "000000", "next": "/"})
    assert "Mã không đúng" in wrong.content.decode()
    right_too_soon = client.post("/tai-khoan/xac-thuc-hai-buoc/", {"token": f"{totp(device.bin_key):06d}"})
    assert "chờ" in right_too_soon.content.decode()
    assert client.get(f"/to-chuc/{world.cell1.pk}/").status_code == 302
