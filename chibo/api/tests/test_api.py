"""The JSON API: tokens, scoping (404 outside the subtree, 403 for read-only), schemas, audit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, get_args

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from chibo.accounts.models import ApiToken, User, hash_token
from chibo.accounts.permissions import Role
from chibo.api import auth as api_auth
from chibo.api import members as api_members
from chibo.audit.models import AuditAction, AuditEntry
from chibo.members import services as member_services
from chibo.members.models import Gender, Member
from chibo.organisations import services as org_services
from chibo.organisations.models import Organisation, OrganisationMove
from conftest import add_member, make_user

BASE = "/api/v1"
PASSWORD = "chibo-test-pw"

Call = Callable[..., Any]


def _request(client: Client, method: str, path: str, data: Any = None, *, token: str | None = None) -> Any:
    extra: dict[str, str] = {}
    if token is not None:
        extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    url = path if path.startswith("/api/") else BASE + path
    fn = getattr(client, method.lower())
    if method.upper() == "GET":
        return fn(url, data or {}, **extra)
    body = json.dumps(data) if data is not None else ""
    return fn(url, body, content_type="application/json", **extra)


@pytest.fixture
def call(client: Client) -> Call:
    """call(user, method, path, data=None): a request with a fresh bearer token of USER."""
    tokens: dict[int, str] = {}

    def _call(user: User, method: str, path: str, data: Any = None) -> Any:
        if user.pk not in tokens:
            tokens[user.pk] = ApiToken.issue(user)[1]
        return _request(client, method, path, data, token=tokens[user.pk])

    return _call


def _token(client: Client, username: str, password: str = PASSWORD, otp: str | None = None) -> Any:
    body: dict[str, Any] = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return _request(client, "POST", "/auth/token", body)


def _device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Ứng dụng xác thực", confirmed=True)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def _names(response: Any) -> list[str]:
    return [item.get("name") or item.get("full_name") for item in response.json()["items"]]


# --------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------


def test_issue_token_and_use_it(world, client):
    response = _token(client, "bithu")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    stored = ApiToken.objects.get(user=world.secretary)
    assert stored.key_hash == hash_token(body["token"])  # only the hash is stored
    assert stored.key_hash != body["token"]
    assert dt.datetime.fromisoformat(body["expires_at"]) > timezone.now()
    me = _request(client, "GET", f"/organisations/{world.cell1.pk}", token=body["token"])
    assert me.status_code == 200
    assert me.json()["name"] == "Chi bộ thôn 1"
    world.secretary.refresh_from_db()
    assert world.secretary.last_login is not None


def test_api_needs_no_csrf_token(world):
    strict = Client(enforce_csrf_checks=True)
    response = _token(strict, "bithu")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies  # the API never starts a session
    raw = response.json()["token"]
    patch = _request(strict, "PATCH", f"/organisations/{world.cell1.pk}", {"address": "Đình"}, token=raw)
    assert patch.status_code == 200


def test_issue_token_wrong_password(world, client):
    response = _token(client, "bithu", "sai-mat-khau")
    assert response.status_code == 401
    assert response.json() == {"detail": "Sai tên đăng nhập hoặc mật khẩu."}
    assert not ApiToken.objects.exists()


def test_issue_token_unknown_user_and_inactive_user(world, client):
    assert _token(client, "khongco").status_code == 401
    world.member_same.is_active = False
    world.member_same.save()
    response = _token(client, "dangvien")
    assert response.status_code == 401
    assert response.json()["detail"] == "Sai tên đăng nhập hoặc mật khẩu."


def test_issue_token_bad_body_is_422(world, client):
    response = _request(client, "POST", "/auth/token", {"username": "bithu"})
    assert response.status_code == 422
    assert response.json()["errors"]["password"] == ["Thiếu trường bắt buộc."]


def test_two_factor_required_without_and_with_otp(world, client, settings):
    settings.CHIBO_2FA_REQUIRED = True
    device = _device(world.secretary)
    response = _token(client, "bithu")
    assert response.status_code == 401
    assert "xác thực hai bước" in response.json()["detail"]
    assert '"otp"' in response.json()["detail"]
    assert not ApiToken.objects.exists()

    response = _token(client, "bithu", otp=_code(device))
    assert response.status_code == 200, response.content
    assert ApiToken.objects.filter(user=world.secretary).count() == 1


def test_two_factor_wrong_code_is_401_and_counts_as_failure(world, client, settings):
    settings.CHIBO_2FA_REQUIRED = True
    device = _device(world.secretary)
    good = _code(device)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    response = _token(client, "bithu", otp=wrong)
    assert response.status_code == 401
    assert response.json()["detail"] == "Mã xác thực hai bước không đúng hoặc đã hết hạn."
    attempt = AccessAttempt.objects.get(username="bithu")
    assert attempt.failures_since_start == 1


def test_two_factor_not_enrolled(world, client, settings):
    settings.CHIBO_2FA_REQUIRED = True
    response = _token(client, "danguy")  # officer: role requires 2FA, no device
    assert response.status_code == 401
    assert "chưa đăng ký ứng dụng xác thực" in response.json()["detail"]


def test_two_factor_not_needed_for_plain_member(world, client, settings):
    settings.CHIBO_2FA_REQUIRED = True
    assert _token(client, "dangvien").status_code == 200


def test_lockout_after_failure_limit(world, client, settings):
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [_token(client, "bithu", "sai-mat-khau").status_code for _ in range(limit)]
    assert statuses[: limit - 1] == [401] * (limit - 1)
    assert statuses[-1] == 403  # the attempt that reaches the limit locks the account

    response = _token(client, "bithu")  # right password, still locked
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"].startswith("Tài khoản tạm bị khóa")
    assert not ApiToken.objects.exists()

    # The lockout is per username (and IP): others are unaffected.
    assert _token(client, "dangvien").status_code == 200


def test_success_resets_failures(world, client):
    _token(client, "bithu", "sai-mat-khau")
    _token(client, "bithu", "sai-mat-khau")
    assert AccessAttempt.objects.filter(username="bithu").exists()
    assert _token(client, "bithu").status_code == 200
    assert not AccessAttempt.objects.filter(username="bithu").exists()


def test_bearer_token_required(world, client):
    url = f"/organisations/{world.cell1.pk}"
    response = _request(client, "GET", url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in response.json()["detail"]
    assert _request(client, "GET", url, token="khong-hop-le").status_code == 401
    _, raw = ApiToken.issue(world.secretary)
    wrong_scheme = client.get(BASE + url, HTTP_AUTHORIZATION=f"Token {raw}")
    assert wrong_scheme.status_code == 401
    assert _request(client, "GET", url, token=raw).status_code == 200


def test_expired_token_rejected(world, client):
    token, raw = ApiToken.issue(world.secretary)
    token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    token.save()
    assert _request(client, "GET", "/organisations", token=raw).status_code == 401


def test_inactive_user_token_rejected(world, client):
    _, raw = ApiToken.issue(world.secretary)
    world.secretary.is_active = False
    world.secretary.save()
    assert _request(client, "GET", "/organisations", token=raw).status_code == 401


def test_revoked_token_rejected(world, client):
    _, raw = ApiToken.issue(world.secretary)
    _, other = ApiToken.issue(world.secretary)
    assert _request(client, "DELETE", "/auth/token", token=raw).status_code == 204
    assert not ApiToken.objects.filter(key_hash=hash_token(raw)).exists()
    assert _request(client, "GET", "/organisations", token=raw).status_code == 401
    assert _request(client, "DELETE", "/auth/token", token=raw).status_code == 401
    assert _request(client, "GET", "/organisations", token=other).status_code == 200


def test_last_used_at_updated_at_most_once_a_minute(world, client):
    token, raw = ApiToken.issue(world.secretary)
    assert token.last_used_at is None
    _request(client, "GET", "/organisations", token=raw)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    _request(client, "GET", "/organisations", token=raw)
    token.refresh_from_db()
    assert token.last_used_at == first
    earlier = timezone.now() - api_auth.LAST_USED_GRANULARITY - dt.timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    _request(client, "GET", "/organisations", token=raw)
    token.refresh_from_db()
    assert token.last_used_at > first


# --------------------------------------------------------------------------
# Access matrix: every endpoint × persona
# --------------------------------------------------------------------------

READS: dict[str, Callable[[Any], str]] = {
    "org_detail": lambda w: f"/organisations/{w.cell1.pk}",
    "org_children": lambda w: f"/organisations?parent={w.cell1.pk}",
    "member_detail": lambda w: f"/members/{w.m_same.pk}",
    "member_list_of_cell": lambda w: f"/members?organisation={w.cell1.pk}",
}


def _new_member_body(w: Any) -> dict[str, Any]:
    return {
        "organisation": w.cell1.pk,
        "party_group": w.group1.pk,
        "full_name": "Ngô Văn Tâm",
        "birth_date": "1975-02-03",
        "admission_date": "2001-09-02",
        "official_date": "2002-09-02",
        "gender": "nam",
        "cccd": "001075000123",
    }


WRITES: dict[str, Callable[[Any], tuple[str, str, Any]]] = {
    "org_create": lambda w: (
        "POST",
        "/organisations",
        {"parent": w.cell1.pk, "name": "Tổ đảng số 2", "kind": "to_dang"},
    ),
    "org_patch": lambda w: ("PATCH", f"/organisations/{w.cell1.pk}", {"address": "Nhà văn hóa thôn 1"}),
    "org_move": lambda w: ("POST", f"/organisations/{w.cell1.pk}/move", {"new_parent": w.hoa_lac.pk}),
    "member_create": lambda w: ("POST", "/members", _new_member_body(w)),
    "member_patch": lambda w: ("PATCH", f"/members/{w.m_same.pk}", {"phone": "0912345678"}),
    "member_transfer": lambda w: (
        "POST",
        f"/members/{w.m_same.pk}/transfer",
        {"organisation": w.cell1.pk, "party_group": None},
    ),
    "member_delete": lambda w: ("DELETE", f"/members/{w.m_same.pk}", None),
}

# Who may perform each write (the others below must not).
WRITERS = {
    "org_create": ("secretary", 201),
    "org_patch": ("secretary", 200),
    "org_move": ("admin", 200),
    "member_create": ("secretary", 201),
    "member_patch": ("secretary", 200),
    "member_transfer": ("secretary", 200),
    "member_delete": ("secretary", 204),
}


@pytest.mark.parametrize("endpoint", sorted(READS))
@pytest.mark.parametrize("persona", ["secretary", "member_same", "officer", "admin"])
def test_read_allowed(world, call, endpoint, persona):
    response = call(getattr(world, persona), "GET", READS[endpoint](world))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("endpoint", sorted(READS))
@pytest.mark.parametrize("persona", ["member_other", "officer_other"])
def test_read_outsider_gets_404(world, call, endpoint, persona):
    response = call(getattr(world, persona), "GET", READS[endpoint](world))
    assert response.status_code == 404
    assert response.json() == {"detail": "Không tìm thấy."}


@pytest.mark.parametrize("endpoint", sorted(WRITES))
def test_write_allowed(world, call, endpoint):
    persona, status = WRITERS[endpoint]
    method, path, body = WRITES[endpoint](world)
    before = AuditEntry.objects.count()
    response = call(getattr(world, persona), method, path, body)
    assert response.status_code == status, response.content
    assert AuditEntry.objects.count() > before


@pytest.mark.parametrize("endpoint", sorted(WRITES))
@pytest.mark.parametrize("persona", ["member_same", "officer"])
def test_write_read_only_gets_403(world, call, endpoint, persona):
    method, path, body = WRITES[endpoint](world)
    before = AuditEntry.objects.count()
    response = call(getattr(world, persona), method, path, body)
    assert response.status_code == 403, response.content
    assert response.json()["detail"]
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("endpoint", sorted(WRITES))
@pytest.mark.parametrize("persona", ["member_other", "officer_other"])
def test_write_outsider_gets_404(world, call, endpoint, persona):
    method, path, body = WRITES[endpoint](world)
    before = AuditEntry.objects.count()
    response = call(getattr(world, persona), method, path, body)
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Không tìm thấy."}
    assert AuditEntry.objects.count() == before


def test_missing_objects_are_404(world, call):
    assert call(world.admin, "GET", "/organisations/999999").status_code == 404
    assert call(world.admin, "GET", "/members/999999").status_code == 404
    assert call(world.admin, "DELETE", "/members/999999").status_code == 404


# --------------------------------------------------------------------------
# Organisations
# --------------------------------------------------------------------------


def test_organisation_detail_fields(world, call):
    body = call(world.officer, "GET", f"/organisations/{world.cell1.pk}").json()
    assert body == {
        "id": world.cell1.pk,
        "name": "Chi bộ thôn 1",
        "kind": "chi_bo",
        "kind_label": "Chi bộ trực thuộc",
        "code": "AB-T1",
        "parent_id": world.an_binh.pk,
        "depth": 2,
        "path": world.cell1.path,
        "supervisor_id": None,
        "rulebook_code": "",
        "address": "",
        "founded_on": None,
        "is_active": True,
        "version": org_services.edit_version(world.cell1),
    }


def test_organisation_list_is_scoped_and_paginated(world, call):
    officer = call(world.officer, "GET", "/organisations").json()
    assert officer["count"] == 4
    assert [o["name"] for o in officer["items"]] == [
        "Đảng ủy xã An Bình",
        "Chi bộ thôn 1",
        "Tổ đảng số 1",
        "Chi bộ thôn 2",
    ]  # tree order (path)
    other = call(world.officer_other, "GET", "/organisations").json()
    assert {o["name"] for o in other["items"]} == {"Đảng ủy xã Hòa Lạc", "Chi bộ Trường Tiểu học"}
    assert call(world.admin, "GET", "/organisations").json()["count"] == 7
    page = call(world.admin, "GET", "/organisations?page=2&page_size=3").json()
    assert page["count"] == 7
    assert len(page["items"]) == 3


def test_organisation_list_filters(world, call):
    children = call(world.officer, "GET", f"/organisations?parent={world.an_binh.pk}")
    assert _names(children) == ["Chi bộ thôn 1", "Chi bộ thôn 2"]
    assert call(world.officer_other, "GET", f"/organisations?parent={world.an_binh.pk}").status_code == 404
    found = call(world.officer, "GET", "/organisations?q=thon")
    assert _names(found) == ["Chi bộ thôn 1", "Chi bộ thôn 2"]
    assert call(world.officer_other, "GET", "/organisations?q=thon").json()["count"] == 0
    both = call(world.admin, "GET", f"/organisations?q=chi bo&parent={world.hoa_lac.pk}")
    assert _names(both) == ["Chi bộ Trường Tiểu học"]


def test_create_organisation(world, call):
    response = call(
        world.secretary,
        "POST",
        "/organisations",
        {"parent": world.cell1.pk, "name": "  Tổ đảng   số 2 ", "kind": "to_dang", "address": "Nhà ông Ba"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Tổ đảng số 2"
    assert body["parent_id"] == world.cell1.pk
    assert body["kind_label"] == "Tổ đảng"
    org = Organisation.objects.get(pk=body["id"])
    assert org.path == f"{world.cell1.path}{org.pk}/"
    entry = AuditEntry.objects.get(object_type="organisations.organisation", object_id=str(org.pk))
    assert entry.action == AuditAction.CREATE
    assert entry.actor == world.secretary


def test_admin_creates_cell_with_supervisor(world, call):
    response = call(
        world.admin,
        "POST",
        "/organisations",
        {
            "parent": world.an_binh.pk,
            "name": "Chi bộ thôn 3",
            "kind": "chi_bo",
            "code": "AB-T3",
            "supervisor": world.province.pk,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["supervisor_id"] == world.province.pk


def test_create_organisation_under_unseen_parent_is_404(world, call):
    response = call(
        world.secretary,
        "POST",
        "/organisations",
        {"parent": world.an_binh.pk, "name": "Chi bộ thôn 3", "kind": "chi_bo"},
    )
    assert response.status_code == 404


def test_create_organisation_service_validation_is_422(world, call):
    response = call(
        world.secretary,
        "POST",
        "/organisations",
        {"parent": world.cell1.pk, "name": "Chi bộ con", "kind": "chi_bo"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Dữ liệu không hợp lệ.",
        "errors": {"parent": ["Dưới chi bộ chỉ có tổ đảng."]},
    }
    assert not Organisation.objects.filter(name="Chi bộ con").exists()


def test_create_organisation_schema_validation_is_422_in_vietnamese(world, call):
    response = call(
        world.secretary,
        "POST",
        "/organisations",
        {"parent": world.cell1.pk, "name": "Tổ 2", "kind": "khong_co", "color": "do"},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["kind"][0].startswith("Giá trị không hợp lệ. Giá trị cho phép:")
    assert errors["color"] == ["Trường này không được phép ở đây."]


def test_create_organisation_supervisor_must_be_an_ancestor(world, call):
    response = call(
        world.admin,
        "POST",
        "/organisations",
        {
            "parent": world.an_binh.pk,
            "name": "Chi bộ thôn 3",
            "kind": "chi_bo",
            "supervisor": world.hoa_lac.pk,
        },
    )
    assert response.status_code == 422
    assert "supervisor" in response.json()["errors"]


def test_patch_organisation_changes_only_sent_fields(world, call):
    response = call(world.secretary, "PATCH", f"/organisations/{world.cell1.pk}", {"address": "Nhà văn hóa"})
    assert response.status_code == 200, response.content
    assert response.json()["address"] == "Nhà văn hóa"
    world.cell1.refresh_from_db()
    assert world.cell1.code == "AB-T1"
    assert world.cell1.name == "Chi bộ thôn 1"
    entry = AuditEntry.objects.filter(object_id=str(world.cell1.pk), action=AuditAction.UPDATE).get()
    assert entry.actor == world.secretary
    assert entry.changes == {"address": ["", "Nhà văn hóa"]}


def test_patch_organisation_duplicate_code_is_422(world, call):
    response = call(world.secretary, "PATCH", f"/organisations/{world.cell1.pk}", {"code": "AB-T2"})
    assert response.status_code == 422
    assert response.json()["errors"]["code"] == ["Mã 'AB-T2' đã được dùng cho tổ chức khác."]


def test_patch_organisation_null_for_required_field_is_422(world, call):
    response = call(world.secretary, "PATCH", f"/organisations/{world.cell1.pk}", {"name": None})
    assert response.status_code == 422
    assert "name" in response.json()["errors"]


def test_changing_kind_needs_admin_over_parent(world, call):
    path = f"/organisations/{world.cell1.pk}"
    response = call(world.secretary, "PATCH", path, {"kind": "chi_bo_co_so"})
    assert response.status_code == 403
    same_kind = call(world.secretary, "PATCH", path, {"kind": "chi_bo", "address": "Đình làng"})
    assert same_kind.status_code == 200
    assert call(world.admin, "PATCH", path, {"kind": "chi_bo_co_so"}).json()["kind"] == "chi_bo_co_so"


def test_move_organisation(world, call):
    response = call(
        world.admin,
        "POST",
        f"/organisations/{world.cell2.pk}/move",
        {"new_parent": world.hoa_lac.pk, "note": "Quyết định số 12"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["parent_id"] == world.hoa_lac.pk
    assert response.json()["path"] == f"{world.hoa_lac.path}{world.cell2.pk}/"
    move = OrganisationMove.objects.get(organisation=world.cell2)
    assert move.note == "Quyết định số 12"
    assert move.moved_by == world.admin
    assert AuditEntry.objects.filter(action=AuditAction.MOVE, actor=world.admin).exists()
    # The officer of Hòa Lạc now sees the moved cell, the officer of An Bình no longer does.
    assert call(world.officer_other, "GET", f"/organisations/{world.cell2.pk}").status_code == 200
    assert call(world.officer, "GET", f"/organisations/{world.cell2.pk}").status_code == 404


def test_move_needs_admin_at_both_ends(world, call):
    ab_admin = make_user("quantri_ab", Role.ADMIN, world.an_binh)
    path = f"/organisations/{world.cell1.pk}/move"
    # Admin of An Bình cannot see Hòa Lạc: the target does not exist for them.
    assert call(ab_admin, "POST", path, {"new_parent": world.hoa_lac.pk}).status_code == 404
    # The cell secretary sees the cell but cannot move it.
    assert (
        call(
            world.secretary, "POST", f"/organisations/{world.group1.pk}/move", {"new_parent": world.cell1.pk}
        ).status_code
        == 403
    )


def test_move_service_validation_is_422(world, call):
    response = call(
        world.admin, "POST", f"/organisations/{world.cell1.pk}/move", {"new_parent": world.cell2.pk}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"parent": ["Dưới chi bộ chỉ có tổ đảng."]}


# --------------------------------------------------------------------------
# Members
# --------------------------------------------------------------------------


@pytest.fixture
def with_cccd(world):
    member_services.update_member(actor=None, member=world.m_same, cccd="001180001234")
    return "001180001234"


def test_member_detail_fields(world, call, with_cccd):
    body = call(world.secretary, "GET", f"/members/{world.m_same.pk}").json()
    assert body["full_name"] == "Trần Thị Lan"
    assert body["given_name"] == "Lan"
    assert body["birth_date"] == "1980-05-17"
    assert body["admission_date"] == "2005-03-01"
    assert body["status"] == "chinh_thuc"
    assert body["organisation_id"] == world.cell1.pk
    assert body["party_group_id"] == world.group1.pk
    assert body["flags"] == []
    assert body["cccd"] == with_cccd
    expected = {
        "id",
        "full_name",
        "given_name",
        "birth_date",
        "gender",
        "ethnicity",
        "hometown",
        "residence",
        "admission_date",
        "official_date",
        "card_number",
        "cccd",
        "phone",
        "email",
        "party_position",
        "government_position",
        "status",
        "exempt_from",
        "temp_direction",
        "temp_other_cell",
        "temp_from",
        "temp_to",
        "suspended_from",
        "special_duty",
        "left_at",
        "organisation_id",
        "party_group_id",
        "flags",
        "version",
    }
    assert set(body) == expected


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("secretary", True), ("admin", True), ("officer", False), ("member_same", False)],
)
def test_cccd_masked_unless_sensitive_permission(world, call, with_cccd, persona, shown):
    user = getattr(world, persona)
    detail = call(user, "GET", f"/members/{world.m_same.pk}").json()
    listed = call(user, "GET", f"/members?organisation={world.cell1.pk}").json()["items"]
    row = next(m for m in listed if m["id"] == world.m_same.pk)
    expected = with_cccd if shown else "********1234"
    assert detail["cccd"] == expected
    assert row["cccd"] == expected


def test_member_list_scoping(world, call):
    officer = call(world.officer, "GET", "/members").json()
    assert officer["count"] == 6
    names = {m["full_name"] for m in officer["items"]}
    assert "Vũ Văn Đức" not in names
    assert {"Trần Thị Lan", "Hoàng Văn Nam"} <= names
    other = call(world.officer_other, "GET", "/members").json()
    assert [m["full_name"] for m in other["items"]] == ["Vũ Văn Đức"]
    assert call(world.secretary, "GET", "/members").json()["count"] == 4
    assert call(world.member_other, "GET", "/members").json()["count"] == 2
    assert call(world.admin, "GET", "/members").json()["count"] == 7


def test_member_list_filters(world, call):
    cell2 = call(world.officer, "GET", f"/members?organisation={world.cell2.pk}")
    assert sorted(_names(cell2)) == ["Hoàng Văn Nam", "Đỗ Thị Mai"]
    assert call(world.officer_other, "GET", f"/members?organisation={world.cell1.pk}").status_code == 404
    probationary = call(world.officer, "GET", "/members?status=du_bi")
    assert _names(probationary) == ["Phạm Thị Hoà"]
    assert _names(call(world.officer, "GET", "/members?q=hung")) == ["Nguyễn Văn Hùng"]
    assert _names(call(world.officer, "GET", "/members?q=Thị Hòa")) == ["Phạm Thị Hoà"]
    bad = call(world.officer, "GET", "/members?status=khong_co")
    assert bad.status_code == 422
    assert "status" in bad.json()["errors"]


def test_member_list_query_count_does_not_grow_with_rows(world, call, with_cccd):
    def count_queries(user: User) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert call(user, "GET", "/members").status_code == 200
        return len(ctx.captured_queries)

    # Warm the token (its first use writes last_used_at).
    call(world.officer, "GET", "/members")
    call(world.secretary, "GET", "/members")
    officer_before = count_queries(world.officer)
    secretary_before = count_queries(world.secretary)
    for i, name in enumerate(["Lý Văn Một", "Lý Văn Hai", "Lý Văn Ba", "Lý Văn Bốn", "Lý Văn Năm"]):
        add_member(world.cell2, name, group=None)
        add_member(world.cell1, name.replace("Lý", "Mai"), cccd=f"00118000{i:04d}")
    assert count_queries(world.officer) == officer_before
    assert count_queries(world.secretary) == secretary_before


def test_create_member(world, call):
    response = call(world.secretary, "POST", "/members", _new_member_body(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["full_name"] == "Ngô Văn Tâm"
    assert body["birth_date"] == "1975-02-03"
    assert body["ethnicity"] == "Kinh"  # model default for fields left out
    assert body["status"] == "chinh_thuc"
    assert body["cccd"] == "001075000123"
    member = Member.objects.get(pk=body["id"])
    assert member.party_group == world.group1
    assert member.memberships.count() == 1
    entry = AuditEntry.objects.get(object_type="members.member", object_id=str(member.pk))
    assert entry.action == AuditAction.CREATE
    assert entry.actor == world.secretary
    assert entry.changes["cccd"] == ["", "***"]  # never the plain value


def test_create_member_service_validation_is_422(world, call):
    body = _new_member_body(world) | {
        "full_name": "Tâm",
        "birth_date": "1990-01-01",
        "admission_date": "2000-01-01",
    }
    response = call(world.secretary, "POST", "/members", body)
    assert response.status_code == 422
    data = response.json()
    assert data["detail"] == "Dữ liệu không hợp lệ."
    assert data["errors"]["full_name"] == ["Họ và tên phải có ít nhất họ và tên (hai từ)."]
    assert data["errors"]["admission_date"][0].startswith("Ngày vào Đảng 01/01/2000 khi chưa đủ 18 tuổi")
    assert not Member.objects.filter(full_name="Tâm").exists()


def test_create_member_in_non_cell_is_422(world, call):
    body = _new_member_body(world) | {"organisation": world.an_binh.pk, "party_group": None}
    response = call(world.admin, "POST", "/members", body)
    assert response.status_code == 422
    assert response.json()["errors"]["organisation"] == ["Đảng ủy xã An Bình không phải là chi bộ."]


def test_create_member_dates_must_be_iso(world, call):
    body = _new_member_body(world) | {"birth_date": "03/02/1975"}
    response = call(world.secretary, "POST", "/members", body)
    assert response.status_code == 422
    assert response.json()["errors"]["birth_date"] == ["Ngày không hợp lệ: dùng định dạng yyyy-mm-dd."]


def test_create_member_rejects_unknown_and_invalid_choice(world, call):
    body = _new_member_body(world) | {"gender": "khac", "left_reason": "x"}
    response = call(world.secretary, "POST", "/members", body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["gender"] == ["Giá trị không hợp lệ. Giá trị cho phép: 'nam', 'nu' hoặc ''."]
    assert errors["left_reason"] == ["Trường này không được phép ở đây."]


def test_gender_choices_match_model():
    assert set(get_args(api_members.GenderIn)) == {*Gender.values, ""}


def test_patch_member_changes_only_sent_fields(world, call, with_cccd):
    response = call(world.secretary, "PATCH", f"/members/{world.m_same.pk}", {"phone": "0912 345 678"})
    assert response.status_code == 200, response.content
    member = Member.objects.get(pk=world.m_same.pk)
    assert member.phone == "0912 345 678"
    assert member.birth_date == dt.date(1980, 5, 17)
    assert member.cccd == with_cccd  # cccd not sent: unchanged
    entry = AuditEntry.objects.filter(
        object_id=str(member.pk), action=AuditAction.UPDATE, actor=world.secretary
    ).get()
    assert entry.changes == {"phone": ["", "0912 345 678"]}


def test_patch_member_cccd_and_clear_dates(world, call, with_cccd):
    path = f"/members/{world.m_same.pk}"
    response = call(
        world.secretary, "PATCH", path, {"cccd": "079180009999", "official_date": None, "status": "du_bi"}
    )
    assert response.status_code == 200, response.content
    member = Member.objects.get(pk=world.m_same.pk)
    assert member.cccd == "079180009999"
    assert member.official_date is None
    assert member.status == "du_bi"
    call(world.secretary, "PATCH", path, {"cccd": ""})
    assert Member.objects.get(pk=world.m_same.pk).cccd == ""


def test_patch_member_service_validation_is_422(world, call):
    path = f"/members/{world.m_same.pk}"
    response = call(world.secretary, "PATCH", path, {"status": "du_bi"})  # still has official date
    assert response.status_code == 422
    assert response.json()["errors"] == {"official_date": ["Đảng viên dự bị không có ngày chính thức."]}
    bad_cccd = call(world.secretary, "PATCH", path, {"cccd": "12345"})
    assert bad_cccd.json()["errors"] == {"cccd": ["Số CCCD phải gồm đúng 12 chữ số."]}


def test_patch_member_cannot_change_cell(world, call):
    response = call(world.secretary, "PATCH", f"/members/{world.m_same.pk}", {"organisation": world.cell2.pk})
    assert response.status_code == 422
    assert Member.objects.get(pk=world.m_same.pk).organisation == world.cell1


def test_transfer_member_within_cell(world, call):
    binh = Member.objects.get(full_name="Lê Văn Bình")
    response = call(
        world.secretary,
        "POST",
        f"/members/{binh.pk}/transfer",
        {"organisation": world.cell1.pk, "party_group": world.group1.pk, "note": "Theo nơi ở"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["party_group_id"] == world.group1.pk
    assert AuditEntry.objects.filter(object_id=str(binh.pk), action=AuditAction.MOVE).exists()


def test_transfer_member_to_other_cell(world, call):
    today = timezone.localdate().isoformat()
    response = call(
        world.admin,
        "POST",
        f"/members/{world.m_same.pk}/transfer",
        {"organisation": world.cell2.pk, "on": today},
    )
    assert response.status_code == 200, response.content
    assert response.json()["organisation_id"] == world.cell2.pk
    assert response.json()["party_group_id"] is None


def test_transfer_needs_manage_at_target(world, call):
    response = call(
        world.secretary, "POST", f"/members/{world.m_same.pk}/transfer", {"organisation": world.cell2.pk}
    )
    assert response.status_code == 404  # cell2 is outside the secretary's subtree
    assert Member.objects.get(pk=world.m_same.pk).organisation == world.cell1


def test_transfer_validation_is_422(world, call):
    path = f"/members/{world.m_same.pk}/transfer"
    same = call(
        world.secretary, "POST", path, {"organisation": world.cell1.pk, "party_group": world.group1.pk}
    )
    assert same.status_code == 422
    assert same.json()["errors"] == {"organisation": ["Đảng viên đã ở chi bộ và tổ đảng này."]}
    not_cell = call(world.admin, "POST", path, {"organisation": world.an_binh.pk})
    assert not_cell.status_code == 422
    assert "organisation" in not_cell.json()["errors"]
    wrong_group = call(
        world.admin, "POST", path, {"organisation": world.cell2.pk, "party_group": world.group1.pk}
    )
    assert wrong_group.status_code == 422
    assert "party_group" in wrong_group.json()["errors"]


def test_delete_member(world, call):
    pk = world.m_other.pk
    ab_secretary = make_user("bithu2", Role.SECRETARY, world.cell2)
    response = call(ab_secretary, "DELETE", f"/members/{pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Member.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(object_id=str(pk), action=AuditAction.DELETE)
    assert entry.actor == ab_secretary
    assert call(ab_secretary, "GET", f"/members/{pk}").status_code == 404


# --------------------------------------------------------------------------
# OpenAPI
# --------------------------------------------------------------------------


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_openapi_document(db, client):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert "yyyy-mm-dd" in doc["info"]["description"]
    expected = {
        "/api/v1/auth/token": {"post", "delete"},
        "/api/v1/organisations": {"get", "post"},
        "/api/v1/organisations/{org_id}": {"get", "patch"},
        "/api/v1/organisations/{org_id}/move": {"post"},
        "/api/v1/members": {"get", "post"},
        "/api/v1/members/{member_id}": {"get", "patch", "delete"},
        "/api/v1/members/{member_id}/transfer": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(doc["paths"][path]), path
    schemes = doc["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert op["responses"], (path, method)
            placeholders = {p.strip("{}") for p in path.split("/") if p.startswith("{")}
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert placeholders == declared, (path, method)
            if (path, method) == ("/api/v1/auth/token", "post"):
                assert not op.get("security")
            else:
                assert op["security"] == [{"BearerToken": []}], (path, method)
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref
    assert "cccd" in schemas["MemberOut"]["properties"]
    assert client.get(f"{BASE}/docs").status_code == 200


def test_patch_member_with_a_stale_expected_version_is_409_and_writes_nothing(world, call):
    seen = call(world.secretary, "GET", f"/members/{world.m_same.pk}").json()["version"]
    first = call(
        world.secretary,
        "PATCH",
        f"/members/{world.m_same.pk}",
        {"phone": "0912000111", "expected_version": seen},
    )
    assert first.status_code == 200, first.content
    assert first.json()["version"] != seen
    stale = call(
        world.secretary,
        "PATCH",
        f"/members/{world.m_same.pk}",
        {"phone": "0988222333", "expected_version": seen},
    )
    assert stale.status_code == 409
    assert "vừa được người khác cập nhật" in stale.json()["detail"]
    world.m_same.refresh_from_db()
    assert world.m_same.phone == "0912000111"
    fresh = call(
        world.secretary,
        "PATCH",
        f"/members/{world.m_same.pk}",
        {"phone": "0988222333", "expected_version": first.json()["version"]},
    )
    assert fresh.status_code == 200
