"""Two members of the chi ủy editing the same remedy plan or the same assessment: the stale save
is refused with what is there now, and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chibo.accounts.models import ApiToken
from chibo.annual import services
from chibo.annual.models import Review, ReviewRound, RoundStatus, Shortcoming
from chibo.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def api(client: Any, user: Any, method: str, path: str, data: Any = None) -> Any:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}
    if method == "GET":
        return client.get("/api/v1" + path, **auth)
    return getattr(client, method.lower())(
        "/api/v1" + path, json.dumps(data), content_type="application/json", **auth
    )


def plan_state(s: Shortcoming) -> tuple:
    s = Shortcoming.objects.get(pk=s.pk)
    return (s.remedy_plan, s.remedy_due, AuditEntry.objects.count())


def review_state(r: Review) -> tuple:
    r = Review.objects.get(pk=r.pk)
    return (r.cell_scores, r.cell_comment, r.proposed_level, r.status, AuditEntry.objects.count())


# --- remedy plan of a shortcoming ------------------------------------------------------------
def test_a_remedy_plan_saves_with_the_version_shown_and_a_stale_one_is_refused(client, world, y):
    url = f"/hang-nam/han-che/{y.shortcoming.pk}/"
    client.force_login(world.secretary)
    seen = services.plan_version(y.shortcoming)
    assert f'name="expected_version" value="{seen}"' in client.get(url).content.decode()
    response = client.post(
        url + "ke-hoach/", {"plan": "Báo cáo đúng hạn mỗi tháng", "expected_version": seen}
    )
    assert response.status_code == 302
    assert plan_state(y.shortcoming)[0] == "Báo cáo đúng hạn mỗi tháng"
    before = plan_state(y.shortcoming)
    page = client.post(url + "ke-hoach/", {"plan": "Kế hoạch khác", "expected_version": seen}, follow=True)
    text = page.content.decode()
    assert "vừa được người khác sửa" in text and "“Báo cáo đúng hạn mỗi tháng”" in text
    assert plan_state(y.shortcoming) == before


def test_remedy_plan_outsider_404_and_confirmed_shortcoming_refused(client, world, y):
    url = f"/hang-nam/han-che/{y.shortcoming.pk}/ke-hoach/"
    seen = services.plan_version(y.shortcoming)
    before = plan_state(y.shortcoming)
    client.force_login(world.officer_other)
    assert client.post(url, {"plan": "X", "expected_version": seen}).status_code == 404
    path = f"/annual/shortcomings/{y.shortcoming.pk}/plan"
    assert (
        api(client, world.member_other, "PUT", path, {"plan": "X", "expected_version": seen}).status_code
        == 404
    )
    services.confirm_remedied(actor=world.secretary, shortcoming=y.shortcoming)
    before = plan_state(y.shortcoming)
    client.force_login(world.secretary)
    assert client.post(url, {"plan": "X", "expected_version": seen}).status_code == 403
    assert (
        api(client, world.secretary, "PUT", path, {"plan": "X", "expected_version": seen}).status_code == 403
    )
    assert plan_state(y.shortcoming) == before


def test_remedy_plan_through_the_api_same_version_saves_stale_is_409(client, world, y):
    path = f"/annual/shortcomings/{y.shortcoming.pk}"
    seen = api(client, world.secretary, "GET", path).json()["plan_version"]
    ok = api(client, world.secretary, "PUT", path + "/plan", {"plan": "Bản A", "expected_version": seen})
    assert ok.status_code == 200 and ok.json()["plan_version"] != seen
    before = plan_state(y.shortcoming)
    stale = api(client, world.secretary, "PUT", path + "/plan", {"plan": "Bản B", "expected_version": seen})
    assert stale.status_code == 409 and "“Bản A”" in stale.json()["detail"]
    assert plan_state(y.shortcoming) == before
    doc = client.get("/api/v1/openapi.json").json()
    assert "409" in doc["paths"]["/api/v1/annual/shortcomings/{shortcoming_id}/plan"]["put"]["responses"]
    assert "409" in doc["paths"]["/api/v1/annual/reviews/{review_id}/assessment"]["put"]["responses"]


# --- the cell's assessment in the year-end review ---------------------------------------------
SCORES = {"chinh_tri": 9, "dao_duc": 9, "ky_luat": 9, "nhiem_vu": 60}


def test_an_assessment_saves_with_the_version_shown_and_a_stale_one_is_refused(client, world, y):
    url = f"/hang-nam/kiem-diem/{y.review.pk}/"
    client.force_login(world.secretary)
    seen = services.assessment_version(y.review)
    assert f'name="expected_version" value="{seen}"' in client.get(url).content.decode()
    data = {f"cell_{k}": v for k, v in SCORES.items()}
    response = client.post(url + "danh-gia/", {**data, "comment": "Hoàn thành tốt", "expected_version": seen})
    assert response.status_code == 302
    assert review_state(y.review)[1] == "Hoàn thành tốt"
    before = review_state(y.review)
    page = client.post(
        url + "danh-gia/", {**data, "comment": "Nhận xét khác", "expected_version": seen}, follow=True
    )
    text = page.content.decode()
    assert "vừa được người khác lưu" in text and "“Hoàn thành tốt”" in text
    assert review_state(y.review) == before


def test_assessment_api_409_outsider_404_and_a_proposed_round_refused(client, world, y):
    path = f"/annual/reviews/{y.review.pk}/assessment"
    seen = services.assessment_version(y.review)
    ok = api(
        client, world.secretary, "PUT", path, {"scores": SCORES, "comment": "Bản A", "expected_version": seen}
    )
    assert ok.status_code == 200 and ok.json()["assessment_version"] != seen
    before = review_state(y.review)
    stale = api(
        client, world.secretary, "PUT", path, {"scores": SCORES, "comment": "Bản B", "expected_version": seen}
    )
    assert stale.status_code == 409 and "“Bản A”" in stale.json()["detail"]
    current = ok.json()["assessment_version"]
    assert (
        api(
            client, world.officer_other, "PUT", path, {"scores": SCORES, "expected_version": current}
        ).status_code
        == 404
    )
    ReviewRound.objects.filter(pk=y.rnd.pk).update(status=RoundStatus.PROPOSED)
    assert (
        api(client, world.secretary, "PUT", path, {"scores": SCORES, "expected_version": current}).status_code
        == 403
    )
    assert review_state(y.review) == before


# --- the cell's own self-assessment (written by any member of the chi ủy) ------------------------------
CELL = {"lanh_dao": 30, "chinh_tri_tu_tuong": 12, "to_chuc": 12, "sinh_hoat": 16, "kiem_tra": 8}


def _cell_review(world) -> Review:  # type: ignore[no-untyped-def]
    import datetime as dt

    rnd = services.open_round(actor=world.secretary, cell=world.cell1, year=2024, today=dt.date(2024, 12, 20))
    return rnd.reviews.get(member=None)


def self_state(r: Review) -> tuple:
    r = Review.objects.get(pk=r.pk)
    return (r.self_scores, r.strengths, r.weaknesses, r.status, AuditEntry.objects.count())


def test_the_cells_self_assessment_same_version_saves_stale_refused(client, world):
    r = _cell_review(world)
    url = f"/hang-nam/kiem-diem/{r.pk}/"
    client.force_login(world.secretary)
    seen = services.self_version(r)
    assert f'name="expected_version" value="{seen}"' in client.get(url).content.decode()
    data = {f"self_{k}": v for k, v in CELL.items()}
    assert (
        client.post(
            url + "tu-danh-gia/", {**data, "strengths": "Đoàn kết", "expected_version": seen}
        ).status_code
        == 302
    )
    assert self_state(r)[1] == "Đoàn kết"
    before = self_state(r)
    page = client.post(
        url + "tu-danh-gia/", {**data, "strengths": "Khác", "expected_version": seen}, follow=True
    )
    assert "vừa được người khác lưu" in page.content.decode() and "“Đoàn kết”" in page.content.decode()
    assert self_state(r) == before


def test_the_cells_self_assessment_api_409_outsider_404_and_locked(client, world):
    r = _cell_review(world)
    path = f"/annual/reviews/{r.pk}/self"
    seen = services.self_version(r)
    ok = api(
        client, world.secretary, "PUT", path, {"scores": CELL, "strengths": "A", "expected_version": seen}
    )
    assert ok.status_code == 200 and ok.json()["self_version"] != seen
    before = self_state(r)
    stale = api(
        client, world.secretary, "PUT", path, {"scores": CELL, "strengths": "B", "expected_version": seen}
    )
    assert stale.status_code == 409 and "“A”" in stale.json()["detail"]
    current = ok.json()["self_version"]
    assert (
        api(
            client, world.officer_other, "PUT", path, {"scores": CELL, "expected_version": current}
        ).status_code
        == 404
    )
    ReviewRound.objects.filter(pk=r.round_id).update(status=RoundStatus.PROPOSED)
    assert (
        api(client, world.secretary, "PUT", path, {"scores": CELL, "expected_version": current}).status_code
        == 403
    )
    assert self_state(r) == before


# --- a member's dues profile (effective-dated) ---------------------------------------------------------
def dues_state(member: Any) -> tuple:
    from chibo.annual.models import DuesProfile

    rows = DuesProfile.objects.filter(member=member).order_by("valid_from")
    return (list(rows.values_list("valid_from", "category", "fixed_amount")), AuditEntry.objects.count())


def test_a_dues_profile_saved_from_a_stale_form_is_refused(client, world, y):
    page_url = f"/hang-nam/dang-vien/{y.lan.pk}/2025/"
    client.force_login(world.secretary)
    seen = services.profile_version(y.lan)
    assert f'name="expected_version" value="{seen}"' in client.get(page_url).content.decode()
    url = f"/hang-nam/dang-vien/{y.lan.pk}/dang-phi/"
    data = {"valid_from": "03/2025", "category": "khac", "fixed_amount": "20000", "back": page_url}
    assert client.post(url, {**data, "expected_version": seen}).status_code == 302
    assert (dt_month(3), "khac", 20_000) in dues_state(y.lan)[0]
    before = dues_state(y.lan)
    page = client.post(url, {**data, "fixed_amount": "15000", "expected_version": seen}, follow=True)
    assert "vừa được người khác sửa" in page.content.decode() and "20.000 đồng" in page.content.decode()
    assert dues_state(y.lan) == before


def test_dues_profile_api_409_and_outsider_404(client, world, y):
    path = f"/annual/members/{y.lan.pk}/dues-profile"
    seen = services.profile_version(y.lan)
    body = {"valid_from": "2025-03-01", "category": "khac", "fixed_amount": 20_000}
    ok = api(client, world.secretary, "PUT", path, {**body, "expected_version": seen})
    assert ok.status_code == 200 and ok.json()["profile_version"] != seen
    before = dues_state(y.lan)
    stale = api(
        client, world.secretary, "PUT", path, {**body, "fixed_amount": 15_000, "expected_version": seen}
    )
    assert stale.status_code == 409 and "20.000 đồng" in stale.json()["detail"]
    assert (
        api(client, world.officer_other, "PUT", path, {**body, "expected_version": seen}).status_code == 404
    )
    assert dues_state(y.lan) == before


def dt_month(month: int) -> Any:
    import datetime as dt

    return dt.date(2025, month, 1)
