"""The member's year through its services: state checks, Vietnamese errors, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from chibo.annual import selectors, services
from chibo.annual.models import (
    Commitment,
    CommitmentStatus,
    DuesPayment,
    Review,
    ReviewStatus,
    RoundStatus,
    Shortcoming,
    ShortcomingStatus,
)
from chibo.annual.tests.helpers import EXCUSED, PRESENT, UNEXCUSED, assessed_round, held_meeting, task
from chibo.audit.models import AuditEntry
from chibo.meetings.models import MeetingStatus
from chibo.meetings.services import MeetingLocked
from chibo.members.models import Member

JAN_2025 = dt.date(2025, 1, 1)  # dues profiles in force for the whole of 2025

pytestmark = pytest.mark.django_db


# --- commitments ---------------------------------------------------------------------------
def test_a_commitment_starts_from_the_template_and_cannot_be_sent_with_its_placeholders(world):
    c = services.start_commitment(actor=world.member_same, member=world.m_same, year=2026)
    assert c.political.startswith("Tuyệt đối trung thành") and c.status == CommitmentStatus.DRAFT
    with pytest.raises(ValidationError, match="thay dấu “…” của mẫu"):
        services.save_commitment(actor=world.member_same, commitment=c, submit=True)
    assert Commitment.objects.get(pk=c.pk).status == CommitmentStatus.DRAFT


def test_the_member_writes_sends_and_the_cell_approves_then_it_is_locked(world):
    c = services.start_commitment(actor=world.member_same, member=world.m_same, year=2026)
    services.save_commitment(
        actor=world.member_same,
        commitment=c,
        submit=True,
        political="Giữ vững lập trường.",
        ethical="Sống giản dị.",
        professional="Hoàn thành 100% kế hoạch sản xuất.",
        assigned_tasks="Phụ trách tổ tự quản số 3.",
    )
    assert c.status == CommitmentStatus.SUBMITTED
    services.approve_commitment(actor=world.secretary, commitment=c)
    with pytest.raises(services.CommitmentLocked, match="đã được chi bộ duyệt"):
        services.save_commitment(actor=world.member_same, commitment=c, political="Sửa lại")
    assert Commitment.objects.get(pk=c.pk).political == "Giữ vững lập trường."
    assert AuditEntry.objects.filter(object_type="annual.commitment", object_id=str(c.pk)).count() == 3


def test_the_cell_returns_a_commitment_with_a_note(world):
    c = services.start_commitment(actor=world.member_same, member=world.m_same, year=2026)
    with pytest.raises(ValidationError, match="ghi ý kiến"):
        services.return_commitment(actor=world.secretary, commitment=c, note=" ")
    services.return_commitment(actor=world.secretary, commitment=c, note="Ghi cụ thể hơn phần nhiệm vụ.")
    assert Commitment.objects.get(pk=c.pk).return_note == "Ghi cụ thể hơn phần nhiệm vụ."


# --- shortcomings ----------------------------------------------------------------------------
def test_a_shortcoming_raised_in_a_meeting_is_followed_until_the_cell_confirms_it(world):
    m = held_meeting(world.cell1, 2025, 3, status=MeetingStatus.CLOSED)
    s = services.raise_shortcoming(
        actor=world.secretary,
        cell=world.cell1,
        member=world.m_same,
        raised_by=world.sec_member,
        meeting=m,
        text="Chưa dự đủ sinh hoạt tổ đảng",
        remedy_plan="Dự đủ các buổi",
        remedy_due=dt.date(2025, 6, 30),
    )
    assert s.year == 2025 and s.raiser == "Nguyễn Văn Hùng"
    services.add_follow_up(actor=world.secretary, shortcoming=s, note="Quý II đã dự đủ")
    services.confirm_remedied(actor=world.secretary, shortcoming=s, note="Chi bộ xác nhận")
    s.refresh_from_db()
    assert s.status == ShortcomingStatus.REMEDIED and s.follow_ups.count() == 2
    with pytest.raises(services.ShortcomingClosed):
        services.add_follow_up(actor=world.secretary, shortcoming=s, note="thêm")
    assert s.follow_ups.count() == 2


def test_a_shortcoming_cannot_be_added_to_an_approved_meeting(world):
    m = held_meeting(world.cell1, 2025, 3)
    with pytest.raises(MeetingLocked):
        services.raise_shortcoming(
            actor=world.secretary,
            cell=world.cell1,
            member=world.m_same,
            raised_by=world.sec_member,
            meeting=m,
            text="x",
        )
    assert not Shortcoming.objects.exists()


def test_a_shortcoming_needs_text_and_who_raised_it_and_the_right_cell(world):
    with pytest.raises(ValidationError) as exc:
        services.raise_shortcoming(actor=world.secretary, cell=world.cell1, member=world.m_other, text="")
    errors = exc.value.message_dict
    assert "Hãy ghi nội dung" in errors["text"][0]
    assert "Hãy ghi ai đã nêu" in errors["raised_by"][0]
    assert "không thuộc Chi bộ thôn 1" in errors["member"][0]
    assert not Shortcoming.objects.exists()


def test_shortcomings_of_earlier_years_count_in_this_years_review_remedied_or_not(world):
    old = services.raise_shortcoming(
        actor=world.secretary,
        cell=world.cell1,
        member=world.m_same,
        raised_by_name="Đ/c Bí thư Đảng ủy",
        text="Chậm nộp đảng phí",
        year=2024,
    )
    services.raise_shortcoming(
        actor=world.secretary,
        cell=world.cell1,
        member=world.m_same,
        raised_by=world.sec_member,
        text="Phát biểu ít",
        year=2024,
    )
    services.raise_shortcoming(
        actor=world.secretary,
        cell=world.cell1,
        member=world.m_same,
        raised_by=world.sec_member,
        text="Raised this year",
        year=2025,
    )
    services.confirm_remedied(actor=world.secretary, shortcoming=old)
    inputs = selectors.member_inputs(world.m_same, world.cell1, 2025, today=dt.date(2025, 12, 20))
    assert (inputs["shortcomings_previous"], inputs["shortcomings_remedied"]) == (2, 1)
    assert inputs["shortcomings_raised"] == 1
    assert [s.text for s in selectors.open_shortcomings(member=world.m_same)] == [
        "Phát biểu ít",
        "Raised this year",
    ]


# --- the review -------------------------------------------------------------------------------
def test_opening_the_year_gathers_attendance_tasks_and_dues_for_each_member(world):
    cell, lan = world.cell1, world.m_same
    services.set_dues_profile(
        actor=world.secretary, member=lan, category="khac", fixed_amount=10_000, valid_from=JAN_2025
    )
    for month in range(1, 13):
        status = PRESENT if month != 4 else (EXCUSED if month < 12 else UNEXCUSED)
        held_meeting(
            cell, 2025, month, attendance={lan: status}, dues={lan: 10_000} if month not in (4, 5) else {}
        )
    held_meeting(cell, 2025, 6, attendance={lan: UNEXCUSED}, kind="thematic")
    task(cell, lan, 2025, 2, done=True)
    task(cell, lan, 2025, 9, done=False)
    rnd = services.open_round(actor=world.secretary, cell=cell, year=2025, today=dt.date(2025, 12, 20))
    assert rnd.reviews.count() == 5  # four members + the cell
    i = rnd.reviews.get(member=lan).inputs
    assert (i["meetings_held"], i["meetings_attended"], i["missed_excused"], i["missed_unexcused"]) == (
        13,
        11,
        1,
        1,
    )
    assert (i["tasks_total"], i["tasks_done"], i["tasks_overdue"]) == (2, 1, 1)
    assert i["dues_unpaid_months"] == [4, 5] and i["dues_paid"] == 100_000
    cell_i = rnd.reviews.get(member=None).inputs
    assert cell_i["monthly_grades"] == ["tot"] * 12 and cell_i["year_grade"] == "tot"
    assert cell_i["thematic_held"] == 1
    with pytest.raises(ValidationError, match="đã mở đợt kiểm điểm năm 2025"):
        services.open_round(actor=world.secretary, cell=cell, year=2025)


def test_self_assessment_scores_are_checked_against_the_frame(world):
    rnd = services.open_round(actor=world.secretary, cell=world.cell1, year=2025, today=dt.date(2025, 12, 20))
    r = rnd.reviews.get(member=world.m_same)
    with pytest.raises(ValidationError) as exc:
        services.save_self_assessment(
            actor=world.member_same,
            review=r,
            scores={"chinh_tri": 11, "dao_duc": "x", "ky_luat": 5, "nhiem_vu": 60},
        )
    assert "điểm phải từ 0 đến 10 (đang là 11)" in exc.value.message_dict["chinh_tri"][0]
    assert "hãy chấm điểm" in exc.value.message_dict["dao_duc"][0]
    assert Review.objects.get(pk=r.pk).self_total is None


def test_the_cell_cannot_propose_above_what_score_and_conditions_give(world):
    rnd = services.open_round(actor=world.secretary, cell=world.cell1, year=2025, today=dt.date(2025, 12, 20))
    r = rnd.reviews.get(member=world.m_same)
    scores = {"chinh_tri": 10, "dao_duc": 10, "ky_luat": 10, "nhiem_vu": 65}
    services.save_self_assessment(
        actor=world.member_same, review=r, scores=scores, strengths="a", weaknesses="b", submit=True
    )
    # 95 points but no task exceeding requirements: tốt, not xuất sắc.
    with pytest.raises(ValidationError, match="Không đề nghị cao hơn mức đạt"):
        services.assess(actor=world.secretary, review=r, scores=scores, proposed_level="xuat_sac")
    r = services.assess(actor=world.secretary, review=r, scores=scores)
    assert (r.computed_level, r.proposed_level) == ("tot", "tot")
    assert "ít nhất 30% nhiệm vụ vượt yêu cầu" in r.computed_notes[0]


def test_proposing_needs_every_review_assessed_and_the_votes_the_rulebook_requires(world):
    rnd = assessed_round(world)
    with pytest.raises(ValidationError) as exc:
        services.propose_round(actor=world.secretary, round=rnd, held_on=dt.date(2025, 12, 22))
    assert "cần chi bộ biểu quyết" in " ".join(exc.value.messages)
    for r in rnd.reviews.exclude(member=None):
        services.record_vote(actor=world.secretary, review=r, in_favour=2, against=1, base=3)
    bad = rnd.reviews.exclude(member=None).first()
    services.record_vote(actor=world.secretary, review=bad, in_favour=1, against=2, base=3)
    with pytest.raises(ValidationError, match="biểu quyết không đạt"):
        services.propose_round(actor=world.secretary, round=rnd, held_on=dt.date(2025, 12, 22))
    services.record_vote(actor=world.secretary, review=bad, in_favour=2, against=1, base=3)
    services.propose_round(actor=world.secretary, round=rnd, held_on=dt.date(2025, 12, 22), present_count=4)
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED
    r = rnd.reviews.exclude(member=None).first()
    with pytest.raises(services.RoundLocked, match="đã gửi đề nghị"):
        services.assess(actor=world.secretary, review=r, scores=r.cell_scores)


def test_a_vote_is_refused_for_a_level_that_needs_none_and_for_impossible_counts(world):
    rnd = assessed_round(
        world, level_scores={world.m_same.pk: {"chinh_tri": 6, "dao_duc": 6, "ky_luat": 6, "nhiem_vu": 40}}
    )
    r = rnd.reviews.get(member=world.m_same)
    assert r.proposed_level == "hoan_thanh"
    with pytest.raises(ValidationError, match="không cần biểu quyết"):
        services.record_vote(actor=world.secretary, review=r, in_favour=3, against=0, base=3)
    other = rnd.reviews.get(member=world.sec_member)
    with pytest.raises(ValidationError, match="không vượt quá 3"):
        services.record_vote(actor=world.secretary, review=other, in_favour=3, against=1, base=3)


def test_the_upper_committee_decides_and_the_year_is_locked(world):
    rnd = assessed_round(world)
    for r in rnd.reviews.exclude(member=None):
        services.record_vote(actor=world.secretary, review=r, in_favour=3, against=0, base=3)
    services.propose_round(actor=world.secretary, round=rnd, held_on=dt.date(2025, 12, 22))
    r = rnd.reviews.get(member=world.m_same)
    with pytest.raises(ValidationError, match="Không quyết định cao hơn"):
        services.decide(actor=world.officer, review=r, final_level="xuat_sac")
    services.decide(actor=world.officer, review=r, final_level="hoan_thanh", note="Chưa gương mẫu")
    services.decide_round(actor=world.officer, round=rnd, note="Đồng ý")
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.DECIDED and rnd.deciding_body == world.an_binh
    levels = dict(rnd.reviews.values_list("member_id", "final_level"))
    assert levels[world.m_same.pk] == "hoan_thanh" and levels[None] == "tot"
    assert set(rnd.reviews.values_list("status", flat=True)) == {ReviewStatus.DECIDED}
    with pytest.raises(services.RoundLocked, match="đã quyết định"):
        services.decide(actor=world.officer, review=r, final_level="tot")


def test_the_round_page_warns_when_xuat_sac_exceeds_the_cap(world):
    top = {"chinh_tri": 10, "dao_duc": 10, "ky_luat": 10, "nhiem_vu": 65}
    rnd = services.open_round(actor=world.secretary, cell=world.cell1, year=2025, today=dt.date(2025, 12, 20))
    for r in rnd.reviews.exclude(member=None):
        # give everybody a task done, exceeded
        r.inputs = {**r.inputs, "tasks_total": 1, "tasks_done": 1}
        r.save()
        services.save_self_assessment(
            actor=world.secretary, review=r, scores=top, strengths="a", weaknesses="b", submit=True
        )
        services.assess(actor=world.secretary, review=r, scores=top, tasks_exceeding=1)
    view = selectors.round_view(rnd)
    assert [r.proposed_level for r in view.member_reviews] == ["xuat_sac"] * 4
    assert view.cap.exceeded and view.cap.allowed == 0
    assert "Vượt tỷ lệ “Hoàn thành xuất sắc nhiệm vụ”: 4 người" in view.cap.message


# --- dues -------------------------------------------------------------------------------------
def test_the_dues_profile_is_checked_against_the_rulebook(world):
    with pytest.raises(ValidationError) as exc:
        services.set_dues_profile(
            actor=world.secretary, member=world.m_same, category="khac", fixed_amount=35_000
        )
    assert "từ 2.000 đến 30.000" in exc.value.message_dict["fixed_amount"][0]
    with pytest.raises(ValidationError, match="thu nhập làm căn cứ"):
        services.set_dues_profile(actor=world.secretary, member=world.m_same, category="luong")
    with pytest.raises(ValidationError, match="cao hơn mức phải đóng"):
        services.set_dues_profile(
            actor=world.secretary,
            member=world.m_same,
            category="luong",
            base_income=9_000_000,
            voluntary_amount=90_000,
        )
    p = services.set_dues_profile(
        actor=world.secretary,
        member=world.m_same,
        category="luong",
        base_income=9_000_000,
        voluntary_amount=100_000,
        valid_from=JAN_2025,
    )
    assert p.voluntary_approved_at is None
    ledger = selectors.dues_ledger(world.cell1, 2025, today=dt.date(2025, 12, 31), only=world.m_same)
    assert ledger.rows[0].months[0].due == 90_000  # not approved yet: the rate applies
    services.approve_voluntary(actor=world.secretary, profile=p)
    ledger = selectors.dues_ledger(world.cell1, 2025, today=dt.date(2025, 12, 31), only=world.m_same)
    assert ledger.rows[0].months[0].due == 100_000


def test_the_ledger_counts_meeting_collections_and_manual_payments_and_flags_unpaid_months(world):
    lan = world.m_same
    services.set_dues_profile(
        actor=world.secretary, member=lan, category="khac", fixed_amount=5_000, valid_from=JAN_2025
    )
    held_meeting(world.cell1, 2025, 1, attendance={lan: PRESENT}, dues={lan: 5_000})
    services.record_payment(
        actor=world.secretary, member=lan, year=2025, month=2, amount=3_000, paid_on=dt.date(2025, 2, 20)
    )
    ledger = selectors.dues_ledger(world.cell1, 2025, today=dt.date(2025, 4, 10))
    row = next(r for r in ledger.rows if r.member == lan)
    assert [c.status for c in row.months[:5]] == ["paid", "short", "unpaid", "unpaid", "not_due"]
    assert row.unpaid_months == [2, 3, 4] and row.paid_total == 8_000
    assert ledger.month_paid[1] == 5_000
    receipts = selectors.receipts(world.cell1, 2025)
    assert [r["amount"] for r in receipts] == [5_000, 3_000]


def test_remittance_cannot_exceed_what_was_collected_and_once_confirmed_locks_the_month(world):
    lan = world.m_same
    held_meeting(world.cell1, 2025, 1, attendance={lan: PRESENT}, dues={lan: 5_000})
    with pytest.raises(ValidationError, match="không vượt số đã thu tháng này"):
        services.record_remittance(
            actor=world.secretary,
            cell=world.cell1,
            year=2025,
            month=1,
            amount=6_000,
            remitted_on=dt.date(2025, 1, 31),
        )
    rem = services.record_remittance(
        actor=world.secretary,
        cell=world.cell1,
        year=2025,
        month=1,
        amount=5_000,
        remitted_on=dt.date(2025, 1, 31),
    )
    services.confirm_remittance(actor=world.officer, remittance=rem)
    with pytest.raises(services.MonthLocked, match="01/2025"):
        services.record_payment(
            actor=world.secretary, member=lan, year=2025, month=1, amount=1_000, paid_on=dt.date(2025, 2, 1)
        )
    assert not DuesPayment.objects.exists()


def test_a_member_outside_working_age_in_the_fixed_category_owes_half(world):
    old = Member.objects.get(pk=world.m_same.pk)
    old.birth_date, old.gender = dt.date(1950, 1, 1), "nam"
    old.save()
    services.set_dues_profile(
        actor=world.secretary, member=old, category="khac", fixed_amount=10_000, valid_from=JAN_2025
    )
    row = selectors.dues_ledger(world.cell1, 2025, today=dt.date(2025, 3, 1), only=old).rows[0]
    assert row.months[0].due == 5_000 and row.halved


def test_the_cells_year_grade_ignores_months_still_to_come_but_not_missed_ones(world):
    for month in range(1, 9):
        held_meeting(world.cell1, 2025, month, grade="tot")
    during = selectors.cell_inputs(world.cell1, 2025, today=dt.date(2025, 8, 20))
    assert during["year_grade"] == "tot" and during["months_without_grade"] == 0
    after = selectors.cell_inputs(world.cell1, 2025, today=dt.date(2026, 1, 5))
    assert after["year_grade"] == "trung_binh" and after["months_without_grade"] == 4


def test_overdue_tasks_count_against_the_year(world):
    task(world.cell1, world.m_same, 2025, 3, done=True)
    task(world.cell1, world.m_same, 2025, 11, done=False)
    task(world.cell1, world.m_same, 2025, 12, done=False)
    figures = selectors.member_inputs(world.m_same, world.cell1, 2025, today=dt.date(2025, 12, 10))
    assert (figures["tasks_total"], figures["tasks_done"], figures["tasks_overdue"]) == (
        2,
        1,
        1,
    )  # December's not due yet
    figures = selectors.member_inputs(world.m_same, world.cell1, 2025, today=dt.date(2026, 1, 10))
    assert (figures["tasks_total"], figures["tasks_done"], figures["tasks_overdue"]) == (3, 1, 2)


def test_a_commitment_cannot_change_once_its_year_is_decided(world):
    c = services.start_commitment(actor=world.member_same, member=world.m_same, year=2025)
    rnd = assessed_round(world)
    for r in rnd.reviews.exclude(member=None):
        services.record_vote(actor=world.secretary, review=r, in_favour=3, against=0, base=3)
    services.propose_round(actor=world.secretary, round=rnd, held_on=dt.date(2025, 12, 22))
    services.decide_round(actor=world.officer, round=rnd)
    with pytest.raises(PermissionDenied, match="Năm 2025 đã được cấp trên xếp loại"):
        services.save_commitment(actor=world.member_same, commitment=c, political="Muộn")
