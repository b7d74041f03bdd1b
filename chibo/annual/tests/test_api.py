"""/api/v1/annual: a year-end review run through the API with the persona trio, Vietnamese 422s,
locks as 403s, and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chibo.accounts.models import ApiToken, User
from chibo.annual import services
from chibo.annual.models import Commitment, Review, ReviewRound, RoundStatus
from chibo.annual.tests.helpers import PRESENT, held_meeting

JAN_2025 = dt.date(2025, 1, 1)  # dues profiles in force for the whole of 2025

pytestmark = pytest.mark.django_db
BASE = "/api/v1"
Call = Callable[..., Any]
PERSONAS = ("secretary", "member_same", "officer", "member_other", "officer_other")
CELL_WRITE = {
    "secretary": (200, 201),
    "member_same": (403,),
    "officer": (403,),
    "member_other": (404,),
    "officer_other": (404,),
}
DECIDE = {
    "officer": (200,),
    "secretary": (403,),
    "member_same": (403,),
    "member_other": (404,),
    "officer_other": (404,),
}
OWN = {
    "member_same": (200,),
    "secretary": (403,),
    "officer": (403,),
    "member_other": (404,),
    "officer_other": (404,),
}
MEMBER_SCORES = {"chinh_tri": 8, "dao_duc": 8, "ky_luat": 8, "nhiem_vu": 56}
CELL_SCORES = {"lanh_dao": 32, "chinh_tri_tu_tuong": 12, "to_chuc": 12, "sinh_hoat": 16, "kiem_tra": 8}


@pytest.fixture
def call(client: Client) -> Call:
    tokens: dict[int, str] = {}

    def _call(user: User, method: str, path: str, data: Any = None) -> Any:
        if user.pk not in tokens:
            tokens[user.pk] = ApiToken.issue(user)[1]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens[user.pk]}"}
        if method == "GET":
            return client.get(BASE + path, **auth)
        body = json.dumps(data) if data is not None else "{}"
        return getattr(client, method.lower())(BASE + path, body, content_type="application/json", **auth)

    return _call


def test_a_whole_year_end_review_through_the_api(world, call):
    sec, lan, off = world.secretary, world.m_same, world.officer
    cell = world.cell1.pk
    resp = call(
        world.member_same,
        "PUT",
        f"/annual/members/{lan.pk}/commitments/2025",
        {
            "political": "Giữ vững lập trường",
            "ethical": "Giản dị",
            "professional": "Đạt kế hoạch",
            "assigned_tasks": "Tổ tự quản",
            "submit": True,
        },
    )
    assert resp.status_code == 200 and resp.json()["status"] == "submitted"
    assert (
        call(sec, "POST", f"/annual/commitments/{resp.json()['id']}/approve").json()["status"] == "approved"
    )
    assert (
        call(
            sec,
            "PUT",
            f"/annual/members/{lan.pk}/dues-profile",
            {"category": "khac", "fixed_amount": 10_000, "valid_from": "2025-01-01"},
        ).status_code
        == 200
    )
    held_meeting(world.cell1, 2025, 1, attendance={lan: PRESENT}, dues={lan: 10_000})
    rnd = call(sec, "POST", f"/annual/cells/{cell}/rounds/2025")
    assert rnd.status_code == 201, rnd.json()
    reviews = {r["member_id"]: r for r in rnd.json()["reviews"]}
    assert reviews[lan.pk]["inputs"]["meetings_attended"] == 1
    for member_id, r in reviews.items():
        scores = CELL_SCORES if member_id is None else MEMBER_SCORES
        who = world.member_same if member_id == lan.pk else sec
        if member_id not in (None, lan.pk, world.sec_member.pk):
            Review.objects.filter(pk=r["id"]).update(status="self_submitted")
        else:
            ok = call(
                who,
                "PUT",
                f"/annual/reviews/{r['id']}/self",
                {"scores": scores, "strengths": "a", "weaknesses": "b", "submit": True},
            )
            assert ok.status_code == 200, ok.json()
        assessed = call(sec, "PUT", f"/annual/reviews/{r['id']}/assessment", {"scores": scores})
        assert assessed.status_code == 200 and assessed.json()["proposed_level"] == "tot"
        if member_id is not None:
            assert (
                call(
                    sec, "PUT", f"/annual/reviews/{r['id']}/vote", {"in_favour": 3, "against": 0, "base": 3}
                ).json()["vote_passed"]
                is True
            )
    rid = rnd.json()["id"]
    proposed = call(
        sec, "POST", f"/annual/rounds/{rid}/propose", {"held_on": "2025-12-22", "present_count": 4}
    )
    assert proposed.status_code == 200 and proposed.json()["status"] == "proposed"
    assert (
        call(
            off, "PUT", f"/annual/reviews/{reviews[lan.pk]['id']}/decision", {"final_level": "hoan_thanh"}
        ).json()["final_level"]
        == "hoan_thanh"
    )
    decided = call(off, "POST", f"/annual/rounds/{rid}/decide", {"note": "Đồng ý"})
    assert decided.json()["status"] == "decided"
    year = call(world.member_same, "GET", f"/annual/members/{lan.pk}/years/2025").json()
    assert year["review"]["final_level"] == "hoan_thanh" and year["commitment"]["status"] == "approved"
    assert year["dues"]["months"][0] == {"month": 1, "due": 10_000, "paid": 10_000, "status": "paid"}


def test_bad_input_gets_vietnamese_422s_and_changes_nothing(world, call):
    sec = world.secretary
    bad = call(
        sec,
        "PUT",
        f"/annual/members/{world.m_same.pk}/dues-profile",
        {"category": "khac", "fixed_amount": 40_000},
    )
    assert bad.status_code == 422 and "từ 2.000 đến 30.000" in bad.json()["errors"]["fixed_amount"][0]
    rnd = services.open_round(actor=sec, cell=world.cell1, year=2025, today=dt.date(2025, 12, 20))
    r = rnd.reviews.get(member=world.m_same)
    bad = call(world.member_same, "PUT", f"/annual/reviews/{r.pk}/self", {"scores": {"chinh_tri": 12}})
    assert bad.status_code == 422 and "điểm phải từ 0 đến 10" in bad.json()["errors"]["chinh_tri"][0]
    assert "hãy chấm điểm" in bad.json()["errors"]["nhiem_vu"][0]
    assert Review.objects.get(pk=r.pk).self_total is None
    extra = call(sec, "POST", f"/annual/cells/{world.cell1.pk}/shortcomings", {"text": "x", "who": "y"})
    assert extra.status_code == 422 and "không được phép" in json.dumps(extra.json(), ensure_ascii=False)


@pytest.mark.parametrize("persona", PERSONAS)
def test_opening_a_round_needs_the_chi_uy(world, call, persona):
    resp = call(getattr(world, persona), "POST", f"/annual/cells/{world.cell1.pk}/rounds/2025")
    assert resp.status_code in CELL_WRITE[persona]
    assert ReviewRound.objects.exists() is (persona == "secretary")


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_member_writes_their_commitment(world, call, persona):
    resp = call(
        getattr(world, persona),
        "PUT",
        f"/annual/members/{world.m_same.pk}/commitments/2025",
        {"political": "X"},
    )
    assert resp.status_code in OWN[persona]
    assert Commitment.objects.exists() is (persona == "member_same")


@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_another_members_review_needs_annual_view(world, call, persona):
    rnd = services.open_round(actor=world.secretary, cell=world.cell1, year=2025, today=dt.date(2025, 12, 20))
    r = rnd.reviews.get(member=world.sec_member)
    expected = {
        "secretary": 200,
        "officer": 200,
        "member_same": 403,
        "member_other": 404,
        "officer_other": 404,
    }[persona]
    assert call(getattr(world, persona), "GET", f"/annual/reviews/{r.pk}").status_code == expected
    own = rnd.reviews.get(member=world.m_same)
    expected_own = {
        "secretary": 200,
        "officer": 200,
        "member_same": 200,
        "member_other": 404,
        "officer_other": 404,
    }[persona]
    assert call(getattr(world, persona), "GET", f"/annual/reviews/{own.pk}").status_code == expected_own


@pytest.mark.parametrize("persona", PERSONAS)
def test_deciding_needs_the_upper_committee_and_a_decided_round_is_locked(world, call, persona):
    from chibo.annual.tests.helpers import assessed_round

    rnd = assessed_round(world)
    for r in rnd.reviews.exclude(member=None):
        services.record_vote(actor=world.secretary, review=r, in_favour=3, against=0, base=3)
    services.propose_round(actor=world.secretary, round=rnd, held_on=dt.date(2025, 12, 22))
    resp = call(getattr(world, persona), "POST", f"/annual/rounds/{rnd.pk}/decide", {"note": ""})
    assert resp.status_code in DECIDE[persona]
    assert (ReviewRound.objects.get(pk=rnd.pk).status == RoundStatus.DECIDED) is (persona == "officer")
    if persona == "officer":
        again = call(
            world.officer, "PUT", f"/annual/reviews/{rnd.reviews.first().pk}/decision", {"final_level": "tot"}
        )
        assert again.status_code == 403 and "đã quyết định" in again.json()["detail"]


def test_the_ledger_and_a_remittance_lock_through_the_api(world, call):
    lan = world.m_same
    services.set_dues_profile(
        actor=world.secretary, member=lan, category="khac", fixed_amount=10_000, valid_from=JAN_2025
    )
    held_meeting(world.cell1, 2025, 1, attendance={lan: PRESENT}, dues={lan: 10_000})
    rem = call(
        world.secretary,
        "POST",
        f"/annual/cells/{world.cell1.pk}/dues/2025/remittances",
        {"month": 1, "amount": 10_000, "remitted_on": "2025-01-31"},
    )
    assert rem.status_code == 201
    assert call(world.secretary, "POST", f"/annual/remittances/{rem.json()['id']}/confirm").status_code == 403
    assert (
        call(world.officer, "POST", f"/annual/remittances/{rem.json()['id']}/confirm").json()["confirmed"]
        is True
    )
    locked = call(
        world.secretary,
        "POST",
        f"/annual/cells/{world.cell1.pk}/dues/2025/payments",
        {"member_id": lan.pk, "month": 1, "amount": 1_000, "paid_on": "2025-02-01"},
    )
    assert locked.status_code == 403 and "01/2025" in locked.json()["detail"]
    ledger = call(world.officer, "GET", f"/annual/cells/{world.cell1.pk}/dues/2025").json()
    assert ledger["year_remitted"] == 10_000 and ledger["remittances"][0]["confirmed"] is True
    assert call(world.member_same, "GET", f"/annual/cells/{world.cell1.pk}/dues/2025").status_code == 403
    assert call(world.member_other, "GET", f"/annual/cells/{world.cell1.pk}/dues/2025").status_code == 404


def test_shortcomings_through_the_api(world, call):
    m = held_meeting(world.cell1, 2025, 3, status="closed")
    s = call(
        world.secretary,
        "POST",
        f"/annual/cells/{world.cell1.pk}/shortcomings",
        {
            "member_id": world.m_same.pk,
            "text": "Chậm báo cáo",
            "raised_by_id": world.sec_member.pk,
            "meeting_id": m.pk,
        },
    )
    assert s.status_code == 201 and s.json()["meeting_id"] == m.pk
    sid = s.json()["id"]
    assert (
        call(world.member_same, "POST", f"/annual/shortcomings/{sid}/follow-ups", {"note": "x"}).status_code
        == 403
    )
    assert call(
        world.secretary, "POST", f"/annual/shortcomings/{sid}/follow-ups", {"note": "Đã tiến bộ"}
    ).json()["follow_ups"] == ["Đã tiến bộ"]
    assert (
        call(world.secretary, "POST", f"/annual/shortcomings/{sid}/confirm", {"note": ""}).json()["status"]
        == "remedied"
    )
    assert call(world.secretary, "PUT", f"/annual/shortcomings/{sid}/plan", {"plan": "x"}).status_code == 403
    assert call(world.member_same, "GET", f"/annual/shortcomings/{sid}").status_code == 200
    assert call(world.member_other, "GET", f"/annual/shortcomings/{sid}").status_code == 404


def test_the_openapi_schema_lists_the_annual_endpoints(world, client):
    schema = client.get(f"{BASE}/openapi.json").json()
    paths = [p for p in schema["paths"] if p.startswith("/api/v1/annual/")]
    assert len(paths) >= 20
    assert "/api/v1/annual/reviews/{review_id}/self" in paths
