"""Every page and action of the member's year with the five personas: allowed, outsider (404),
read-only (403), and locked (403, nothing changed). A member sees and edits only their own
commitment and self-assessment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chibo.annual import selectors, services
from chibo.annual.models import (
    Commitment,
    CommitmentStatus,
    DuesPayment,
    DuesProfile,
    FollowUp,
    Remittance,
    Review,
    ReviewRound,
    RoundStatus,
    Shortcoming,
    ShortcomingStatus,
)
from chibo.annual.tests.helpers import PRESENT, held_meeting
from chibo.audit.models import AuditEntry

JAN_2025 = dt.date(2025, 1, 1)  # dues profiles in force for the whole of 2025

pytestmark = pytest.mark.django_db

LEDGER_QUERIES = (
    11  # session, user with scope (14 before they were one query), cell, rulebook (one statement since 07/12/2026, was 2), members, dues profile versions, memberships, payments…
)
CELL_YEAR_QUERIES = 9  # 10 before the user's roles were read with the user; was 11: the round's stored rulebook version is kept by the process (rules.models)
PERSONAS = ("secretary", "member_same", "officer", "member_other", "officer_other")
CELL_WRITE = {"secretary": 302, "member_same": 403, "officer": 403, "member_other": 404, "officer_other": 404}
DECIDE = {"officer": 302, "secretary": 403, "member_same": 403, "member_other": 404, "officer_other": 404}
OWN = {"member_same": 302, "secretary": 403, "officer": 403, "member_other": 404, "officer_other": 404}
CELL_READ = {"secretary": 200, "officer": 200, "member_same": 403, "member_other": 404, "officer_other": 404}
OWN_READ = {"secretary": 200, "member_same": 200, "officer": 200, "member_other": 404, "officer_other": 404}
OTHERS_READ = {
    "secretary": 200,
    "member_same": 403,
    "officer": 200,
    "member_other": 404,
    "officer_other": 404,
}


def as_(client, world, persona):  # type: ignore[no-untyped-def]
    client.force_login(getattr(world, persona))
    return client


def audit_count() -> int:
    return AuditEntry.objects.count()


# --- reads ------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_pages_follows_the_scope(world, y, client, persona):
    c = as_(client, world, persona)
    pages = {
        f"/hang-nam/dang-vien/{y.lan.pk}/2025/": OWN_READ,
        f"/hang-nam/dang-vien/{world.sec_member.pk}/2025/": OTHERS_READ,
        f"/hang-nam/cam-ket/{y.commitment.pk}/": OWN_READ,
        f"/hang-nam/kiem-diem/{y.review.pk}/": OWN_READ,
        f"/hang-nam/kiem-diem/{y.sec_review.pk}/": OTHERS_READ,
        f"/hang-nam/kiem-diem/{y.cell_review.pk}/": OWN_READ,
        f"/hang-nam/kiem-diem/{y.review.pk}/ban-kiem-diem.docx": OWN_READ,
        f"/hang-nam/han-che/{y.shortcoming.pk}/": OWN_READ,
        f"/hang-nam/chi-bo/{world.cell1.pk}/2025/": CELL_READ,
        f"/hang-nam/chi-bo/{world.cell1.pk}/2025/dang-phi/": CELL_READ,
        f"/hang-nam/chi-bo/{world.cell1.pk}/2025/dang-phi/bien-lai.xlsx": CELL_READ,
        f"/hang-nam/dot/{y.rnd.pk}/danh-sach.docx": CELL_READ,
    }
    for url, expected in pages.items():
        assert c.get(url).status_code == expected[persona], url


def test_a_member_does_not_see_another_members_self_assessment_even_through_the_member_page(world, y, client):
    c = as_(client, world, "member_same")
    own = c.get(f"/dang-vien/{y.lan.pk}/").content.decode()
    assert "Chậm báo cáo" in own and "Cam kết, kiểm điểm và đảng phí" in own
    other = c.get(f"/dang-vien/{world.sec_member.pk}/")
    assert other.status_code == 200 and "nam-cua-dang-vien" not in other.content.decode()
    refused = c.get(f"/hang-nam/kiem-diem/{y.sec_review.pk}/")
    assert refused.status_code == 403 and "chính mình" in refused.content.decode()


def test_the_index_lists_the_cells_in_scope_and_my_year(world, y, client):
    body = as_(client, world, "officer").get("/hang-nam/").content.decode()
    assert "Chi bộ thôn 1" in body and "Chi bộ thôn 2" in body and "Chi bộ Trường Tiểu học" not in body
    resp = as_(client, world, "member_same").get("/hang-nam/cua-toi/")
    assert resp.status_code == 302 and f"/hang-nam/dang-vien/{y.lan.pk}/" in resp["Location"]


# --- own writes: commitment and self-assessment ---------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_member_edits_their_commitment(world, y, client, persona):
    services.return_commitment(actor=world.secretary, commitment=y.commitment, note="Sửa")
    before = audit_count()
    resp = as_(client, world, persona).post(
        f"/hang-nam/cam-ket/{y.commitment.pk}/", {"political": "Mới", "save": "1"}
    )
    assert resp.status_code == OWN[persona]
    assert (Commitment.objects.get(pk=y.commitment.pk).political == "Mới") is (OWN[persona] == 302)
    assert (audit_count() > before) is (OWN[persona] == 302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_member_starts_their_commitment(world, y, client, persona):
    resp = as_(client, world, persona).post(f"/hang-nam/dang-vien/{y.lan.pk}/2026/cam-ket/")
    assert resp.status_code == OWN[persona]
    assert Commitment.objects.filter(member=y.lan, year=2026).exists() is (OWN[persona] == 302)


def test_an_approved_commitment_is_locked_for_its_member(world, y, client):
    services.approve_commitment(actor=world.secretary, commitment=y.commitment)
    resp = as_(client, world, "member_same").post(
        f"/hang-nam/cam-ket/{y.commitment.pk}/", {"political": "Mới"}
    )
    assert resp.status_code == 403 and "đã được chi bộ duyệt" in resp.content.decode()
    assert Commitment.objects.get(pk=y.commitment.pk).political == "A"


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_member_writes_their_self_assessment(world, client, persona):
    rnd = services.open_round(actor=world.secretary, cell=world.cell1, year=2025, today=dt.date(2025, 12, 20))
    r = rnd.reviews.get(member=world.m_same)
    data = {
        "self_chinh_tri": 9,
        "self_dao_duc": 9,
        "self_ky_luat": 9,
        "self_nhiem_vu": 60,
        "strengths": "Tốt",
        "weaknesses": "Chậm",
        "submit": "1",
    }
    resp = as_(client, world, persona).post(f"/hang-nam/kiem-diem/{r.pk}/tu-danh-gia/", data)
    assert resp.status_code == OWN[persona]
    assert (Review.objects.get(pk=r.pk).self_total == 87) is (OWN[persona] == 302)


def test_bad_self_assessment_comes_back_in_vietnamese_and_changes_nothing(world, client):
    rnd = services.open_round(actor=world.secretary, cell=world.cell1, year=2025, today=dt.date(2025, 12, 20))
    r = rnd.reviews.get(member=world.m_same)
    c = as_(client, world, "member_same")
    resp = c.post(
        f"/hang-nam/kiem-diem/{r.pk}/tu-danh-gia/",
        {"self_chinh_tri": 15, "self_dao_duc": 9, "self_ky_luat": 9, "self_nhiem_vu": 60},
        follow=True,
    )
    assert "điểm phải từ 0 đến 10 (đang là 15)" in resp.content.decode()
    assert Review.objects.get(pk=r.pk).self_total is None


def test_the_self_assessment_is_locked_once_the_round_is_proposed(world, y, client):
    for r in y.rnd.reviews.exclude(member=None):
        services.record_vote(actor=world.secretary, review=r, in_favour=3, against=0, base=3)
    services.propose_round(actor=world.secretary, round=y.rnd, held_on=dt.date(2025, 12, 22))
    resp = as_(client, world, "member_same").post(
        f"/hang-nam/kiem-diem/{y.review.pk}/tu-danh-gia/", {"self_chinh_tri": 1}
    )
    assert resp.status_code == 403 and "đã gửi đề nghị" in resp.content.decode()
    assert Review.objects.get(pk=y.review.pk).self_total == 80


# --- cell writes --------------------------------------------------------------------------------
def _cell_ops(world, y):  # type: ignore[no-untyped-def]
    """(url, data, changed?) for every cell-side action."""
    rem_month = 3
    return [
        (
            f"/hang-nam/cam-ket/{y.commitment.pk}/duyet/",
            {},
            lambda: Commitment.objects.get(pk=y.commitment.pk).status == CommitmentStatus.APPROVED,
        ),
        (
            f"/hang-nam/cam-ket/{y.other_commitment.pk}/tra-lai/",
            {"note": "Sửa lại"},
            lambda: Commitment.objects.get(pk=y.other_commitment.pk).return_note == "Sửa lại",
        ),
        (
            f"/hang-nam/chi-bo/{world.cell1.pk}/2026/mo-dot/",
            {},
            lambda: ReviewRound.objects.filter(year=2026).exists(),
        ),
        (
            f"/hang-nam/dot/{y.rnd.pk}/cap-nhat/",
            {},
            lambda: AuditEntry.objects.filter(changes__inputs__isnull=False).exists(),
        ),
        (
            f"/hang-nam/kiem-diem/{y.review.pk}/danh-gia/",
            {"cell_chinh_tri": 7, "cell_dao_duc": 7, "cell_ky_luat": 7, "cell_nhiem_vu": 50},
            lambda: Review.objects.get(pk=y.review.pk).cell_total == 71,
        ),
        (
            f"/hang-nam/kiem-diem/{y.review.pk}/bieu-quyet/",
            {"in_favour": 3, "against": 0, "base": 3},
            lambda: Review.objects.get(pk=y.review.pk).vote_for == 3,
        ),
        (
            f"/hang-nam/chi-bo/{world.cell1.pk}/han-che/",
            {"member": y.lan.pk, "text": "Mới nêu", "raised_by": world.sec_member.pk},
            lambda: Shortcoming.objects.filter(text="Mới nêu").exists(),
        ),
        (
            f"/hang-nam/han-che/{y.shortcoming.pk}/ke-hoach/",
            {"plan": "Kế hoạch mới"},
            lambda: Shortcoming.objects.get(pk=y.shortcoming.pk).remedy_plan == "Kế hoạch mới",
        ),
        (
            f"/hang-nam/han-che/{y.shortcoming.pk}/theo-doi/",
            {"note": "Tiến bộ"},
            lambda: FollowUp.objects.filter(note="Tiến bộ").exists(),
        ),
        (
            f"/hang-nam/han-che/{y.shortcoming.pk}/xac-nhan/",
            {},
            lambda: Shortcoming.objects.get(pk=y.shortcoming.pk).status == ShortcomingStatus.REMEDIED,
        ),
        (
            f"/hang-nam/dang-vien/{y.lan.pk}/dang-phi/",
            {"category": "khac", "fixed_amount": 20_000},
            lambda: selectors.profile_in_force(y.lan).fixed_amount == 20_000,
        ),
        (
            f"/hang-nam/chi-bo/{world.cell1.pk}/2025/dang-phi/nop/",
            {"member": y.lan.pk, "month": 4, "amount": 10_000, "paid_on": "20/04/2025"},
            lambda: DuesPayment.objects.exists(),
        ),
        (
            f"/hang-nam/chi-bo/{world.cell1.pk}/2025/dang-phi/nop-cap-tren/",
            {"month": rem_month, "amount": 10_000, "remitted_on": "31/03/2025"},
            lambda: Remittance.objects.exists(),
        ),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_cell_actions_need_the_chi_uy(world, y, client, persona):
    c = as_(client, world, persona)
    for url, data, changed in _cell_ops(world, y):
        resp = c.post(url, data)
        assert resp.status_code == CELL_WRITE[persona], url
        assert changed() is (CELL_WRITE[persona] == 302), url


def test_voluntary_dues_approval_needs_the_chi_uy(world, y, client):
    services.set_dues_profile(
        actor=world.secretary, member=y.lan, category="khac", fixed_amount=10_000, voluntary_amount=50_000
    )
    for persona in ("member_same", "officer", "member_other", "officer_other", "secretary"):
        resp = as_(client, world, persona).post(f"/hang-nam/dang-vien/{y.lan.pk}/dang-phi/tu-nguyen/")
        assert resp.status_code == CELL_WRITE[persona]
        assert (selectors.profile_in_force(y.lan).voluntary_approved_by == world.secretary) is (
            persona == "secretary"
        )


def test_proposing_the_round_needs_the_chi_uy(world, y, client):
    for r in y.rnd.reviews.exclude(member=None):
        services.record_vote(actor=world.secretary, review=r, in_favour=3, against=0, base=3)
    for persona in ("member_same", "officer", "member_other", "officer_other", "secretary"):
        resp = as_(client, world, persona).post(
            f"/hang-nam/dot/{y.rnd.pk}/de-nghi/", {"held_on": "22/12/2025", "present_count": 4}
        )
        assert resp.status_code == CELL_WRITE[persona]
        assert (ReviewRound.objects.get(pk=y.rnd.pk).status == RoundStatus.PROPOSED) is (
            persona == "secretary"
        )


def test_a_remedied_shortcoming_is_locked(world, y, client):
    services.confirm_remedied(actor=world.secretary, shortcoming=y.shortcoming)
    c = as_(client, world, "secretary")
    for action in ("ke-hoach", "theo-doi", "xac-nhan"):
        resp = c.post(f"/hang-nam/han-che/{y.shortcoming.pk}/{action}/", {"plan": "x", "note": "x"})
        assert resp.status_code == 403 and "đã xác nhận hạn chế này được khắc phục" in resp.content.decode()
    assert not FollowUp.objects.exists()


def test_a_shortcoming_cannot_be_added_to_an_approved_meeting(world, y, client):
    approved = held_meeting(world.cell1, 2025, 5, attendance={y.lan: PRESENT})
    resp = as_(client, world, "secretary").post(
        f"/hang-nam/chi-bo/{world.cell1.pk}/han-che/",
        {"member": y.lan.pk, "text": "Sau duyệt", "raised_by": world.sec_member.pk, "meeting": approved.pk},
    )
    assert resp.status_code == 403 and "Biên bản đã được duyệt" in resp.content.decode()
    assert not Shortcoming.objects.filter(text="Sau duyệt").exists()


def test_a_confirmed_remittance_locks_its_month(world, y, client):
    rem = services.record_remittance(
        actor=world.secretary,
        cell=world.cell1,
        year=2025,
        month=3,
        amount=10_000,
        remitted_on=dt.date(2025, 3, 31),
    )
    services.confirm_remittance(actor=world.officer, remittance=rem)
    resp = as_(client, world, "secretary").post(
        f"/hang-nam/chi-bo/{world.cell1.pk}/2025/dang-phi/nop/",
        {"member": y.lan.pk, "month": 3, "amount": 5_000, "paid_on": "01/04/2025"},
    )
    assert resp.status_code == 403 and "03/2025" in resp.content.decode()
    assert not DuesPayment.objects.exists()
    again = as_(client, world, "officer").post(f"/hang-nam/nop-cap-tren/{rem.pk}/xac-nhan/")
    assert again.status_code == 403


def test_bad_dues_input_is_explained_and_changes_nothing(world, y, client):
    c = as_(client, world, "secretary")
    resp = c.post(
        f"/hang-nam/dang-vien/{y.lan.pk}/dang-phi/", {"category": "khac", "fixed_amount": 1_000}, follow=True
    )
    assert "từ 2.000 đến 30.000" in resp.content.decode()
    assert DuesProfile.objects.get(member=y.lan).fixed_amount == 10_000
    resp = c.post(
        f"/hang-nam/chi-bo/{world.cell1.pk}/2025/dang-phi/nop/",
        {"member": y.lan.pk, "month": 13, "amount": 1, "paid_on": "32/01/2025"},
        follow=True,
    )
    body = resp.content.decode()
    assert "Tháng" in body and "dd/mm/yyyy" in body
    assert not DuesPayment.objects.exists()


# --- the upper committee ---------------------------------------------------------------------------
@pytest.fixture
def proposed(world, y):  # type: ignore[no-untyped-def]
    for r in y.rnd.reviews.exclude(member=None):
        services.record_vote(actor=world.secretary, review=r, in_favour=3, against=0, base=3)
    services.propose_round(actor=world.secretary, round=y.rnd, held_on=dt.date(2025, 12, 22))
    return y


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_upper_committee_decides_a_review(world, proposed, client, persona):
    resp = as_(client, world, persona).post(
        f"/hang-nam/kiem-diem/{proposed.review.pk}/quyet-dinh/", {"final_level": "hoan_thanh"}
    )
    assert resp.status_code == DECIDE[persona]
    assert (Review.objects.get(pk=proposed.review.pk).final_level == "hoan_thanh") is (DECIDE[persona] == 302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_upper_committee_decides_or_returns_the_round(world, proposed, client, persona):
    c = as_(client, world, persona)
    resp = c.post(f"/hang-nam/dot/{proposed.rnd.pk}/tra-lai/", {"note": "Làm lại phần tập thể"})
    assert resp.status_code == DECIDE[persona]
    assert (ReviewRound.objects.get(pk=proposed.rnd.pk).status == RoundStatus.OPEN) is (
        DECIDE[persona] == 302
    )
    if DECIDE[persona] == 302:
        services.propose_round(actor=world.secretary, round=proposed.rnd, held_on=dt.date(2025, 12, 22))
    resp = c.post(f"/hang-nam/dot/{proposed.rnd.pk}/quyet-dinh/", {"note": "Đồng ý"})
    assert resp.status_code == DECIDE[persona]
    assert (ReviewRound.objects.get(pk=proposed.rnd.pk).status == RoundStatus.DECIDED) is (
        DECIDE[persona] == 302
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_upper_committee_confirms_a_remittance(world, y, client, persona):
    rem = services.record_remittance(
        actor=world.secretary,
        cell=world.cell1,
        year=2025,
        month=3,
        amount=10_000,
        remitted_on=dt.date(2025, 3, 31),
    )
    resp = as_(client, world, persona).post(f"/hang-nam/nop-cap-tren/{rem.pk}/xac-nhan/")
    assert resp.status_code == DECIDE[persona]
    assert (Remittance.objects.get(pk=rem.pk).confirmed_at is not None) is (DECIDE[persona] == 302)


def test_a_decided_year_is_locked_for_everybody(world, proposed, client):
    services.decide_round(actor=world.officer, round=proposed.rnd)
    assert (
        as_(client, world, "officer")
        .post(f"/hang-nam/kiem-diem/{proposed.review.pk}/quyet-dinh/", {"final_level": "hoan_thanh"})
        .status_code
        == 403
    )
    assert (
        as_(client, world, "secretary")
        .post(f"/hang-nam/kiem-diem/{proposed.review.pk}/danh-gia/", {})
        .status_code
        == 403
    )
    assert (
        as_(client, world, "member_same")
        .post(f"/hang-nam/kiem-diem/{proposed.review.pk}/tu-danh-gia/", {})
        .status_code
        == 403
    )
    assert Review.objects.get(pk=proposed.review.pk).final_level == "tot"


# --- what the pages show -------------------------------------------------------------------------
def test_the_member_year_shows_the_commitment_beside_the_results(world, proposed, client):
    services.decide_round(actor=world.officer, round=proposed.rnd)
    body = (
        as_(client, world, "member_same").get(f"/hang-nam/dang-vien/{proposed.lan.pk}/2025/").content.decode()
    )
    assert "Bản cam kết tu dưỡng, rèn luyện, phấn đấu" in body and "Kết quả cuối năm" in body
    assert "Hoàn thành tốt nhiệm vụ" in body and "Chậm báo cáo" in body


def test_the_round_page_shows_the_cap_warning(world, client):
    top = {"chinh_tri": 10, "dao_duc": 10, "ky_luat": 10, "nhiem_vu": 65}
    rnd = services.open_round(actor=world.secretary, cell=world.cell1, year=2025, today=dt.date(2025, 12, 20))
    for r in rnd.reviews.exclude(member=None):
        r.inputs = {**r.inputs, "tasks_total": 1, "tasks_done": 1}
        r.save()
        services.save_self_assessment(
            actor=world.secretary, review=r, scores=top, strengths="a", weaknesses="b", submit=True
        )
        services.assess(actor=world.secretary, review=r, scores=top, tasks_exceeding=1)
    body = as_(client, world, "secretary").get(f"/hang-nam/chi-bo/{world.cell1.pk}/2025/").content.decode()
    assert "Cảnh báo tỷ lệ" in body and "Vượt tỷ lệ" in body


def test_the_meeting_page_shows_shortcomings_and_the_months_dues(world, y, client):
    body = as_(client, world, "secretary").get(f"/sinh-hoat/{y.meeting.pk}/").content.decode()
    assert "Tự phê bình và phê bình" in body and "Chậm báo cáo" in body
    assert "Đảng phí tháng 03/2025" in body and "Ghi hạn chế được nêu tại buổi sinh hoạt" in body
    other = as_(client, world, "member_same").get(f"/sinh-hoat/{y.meeting.pk}/").content.decode()
    assert "Chậm báo cáo" in other and "Ghi hạn chế được nêu" not in other and "Đảng phí tháng" not in other


# --- query counts --------------------------------------------------------------------------------
def _grow(world, n: int) -> None:  # type: ignore[no-untyped-def]
    from conftest import add_member

    names = ["An", "Bảo", "Cường", "Dung", "Giang", "Hà", "Khánh", "Linh"]
    for k in range(n):
        m = add_member(world.cell1, f"Đảng viên {names[k]}")
        services.set_dues_profile(
            actor=None, member=m, category="luong", base_income=5_000_000 + k, valid_from=JAN_2025
        )
        for month in (4, 7):  # income changes during the year: the ledger reads every version at once
            services.set_dues_profile(
                actor=None,
                member=m,
                category="luong",
                base_income=5_000_000 + k + month * 100_000,
                valid_from=dt.date(2025, month, 1),
            )
        services.record_payment(
            actor=None, member=m, year=2025, month=1, amount=50_000, paid_on=dt.date(2025, 1, 5)
        )


@pytest.mark.parametrize("extra", [0, 6])
def test_the_dues_ledger_page_costs_the_same_whatever_the_size(
    world, client, django_assert_num_queries, extra
):
    _grow(world, extra)
    c = as_(client, world, "secretary")
    url = f"/hang-nam/chi-bo/{world.cell1.pk}/2025/dang-phi/"
    c.get(url)
    with django_assert_num_queries(LEDGER_QUERIES):
        assert c.get(url).status_code == 200


@pytest.mark.parametrize("extra", [0, 6])
def test_the_cell_year_page_costs_the_same_whatever_the_size(world, client, django_assert_num_queries, extra):
    _grow(world, extra)
    services.open_round(actor=world.secretary, cell=world.cell1, year=2025, today=timezone.localdate())
    c = as_(client, world, "secretary")
    url = f"/hang-nam/chi-bo/{world.cell1.pk}/2025/"
    c.get(url)
    with django_assert_num_queries(CELL_YEAR_QUERIES):
        assert c.get(url).status_code == 200
