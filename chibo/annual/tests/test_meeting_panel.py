"""The meeting page's panel from chibo/annual: the dues of the month (selectors.meeting_dues: one
statement, the same figures as the ORM reads it replaced — profiles in force, sums collected at the
month's meetings and recorded outside them — and as the cell's dues ledger for that month), and the
shortcomings raised at the meeting (selectors.shortcomings_of_meeting: one plain query, the names it
shows read only when there is something to show)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.annual import selectors, services
from chibo.annual.models import DuesPayment, DuesProfile
from chibo.annual.tests.helpers import PRESENT, held_meeting
from chibo.meetings.models import Attendance, AttendanceStatus, Meeting
from conftest import add_member

pytestmark = pytest.mark.django_db


def _reference(meeting: Meeting) -> dict:  # type: ignore[type-arg]
    """What the panel read before it was one statement: the ORM selectors the ledger uses."""
    when = timezone.localtime(meeting.scheduled_at).date()
    cell = meeting.organisation
    rule = selectors.rules_for_cell(cell).dues
    rows = list(meeting.attendance.select_related("member").order_by("member__sort_key", "id"))
    ids = [a.member_id for a in rows]
    start = when.replace(day=1)
    versions = selectors.dues_profiles(ids, upto=start)
    paid = selectors.paid_by_member_month(cell, when.year, ids, month=when.month)
    due_total, short = 0, []
    for a in rows:
        due = selectors.due_for(rule, a.member, selectors.in_force(versions.get(a.member_id, []), start), start)
        if due is None:
            continue
        due_total += due.amount
        if paid.get((a.member_id, when.month), 0) < due.amount:
            short.append(a.member.full_name)
    return {
        "year": when.year,
        "month": when.month,
        "due": due_total,
        "short": short,
        "collected": sum(a.dues_amount for a in rows if a.dues_collected),
    }


@pytest.fixture
def month(world):  # type: ignore[no-untyped-def]
    """A cell's June 2025 with every case the panel prices or sums differently."""
    cell = world.cell1
    salaried = world.m_same  # 1% of 5,000,000 from January, raised from July (not yet in force)
    DuesProfile.objects.create(member=salaried, valid_from=dt.date(2025, 1, 1), category="luong", base_income=5_000_000)
    DuesProfile.objects.create(member=salaried, valid_from=dt.date(2025, 7, 1), category="luong", base_income=9_000_000)
    retired = add_member(cell, "Lê Văn Bình", birth_date=dt.date(1950, 2, 1))  # pension: 0.5%
    DuesProfile.objects.create(member=retired, valid_from=dt.date(2024, 1, 1), category="huu_tri", base_income=4_000_000)
    farmer = add_member(cell, "Phạm Thị Cúc", birth_date=dt.date(1945, 3, 3), gender="nu")  # fixed, halved past working age
    DuesProfile.objects.create(member=farmer, valid_from=dt.date(2025, 6, 1), category="khac", fixed_amount=20_000)
    volunteer = add_member(cell, "Đỗ Văn An")  # a voluntary amount, approved
    DuesProfile.objects.create(
        member=volunteer, valid_from=dt.date(2025, 1, 1), category="khac", fixed_amount=10_000,
        voluntary_amount=100_000, voluntary_approved_at=timezone.now(),
    )
    unapproved = add_member(cell, "Vũ Thị Hoa")  # a voluntary amount not approved: the fixed amount
    DuesProfile.objects.create(
        member=unapproved, valid_from=dt.date(2025, 1, 1), category="khac", fixed_amount=15_000,
        voluntary_amount=200_000,
    )
    no_profile = add_member(cell, "Ngô Văn Dũng")
    later_profile = add_member(cell, "Bùi Thị Én")  # a profile only from August: not due in June
    DuesProfile.objects.create(member=later_profile, valid_from=dt.date(2025, 8, 1), category="luong", base_income=3_000_000)
    roll = [salaried, retired, farmer, volunteer, unapproved, no_profile, later_profile]
    june = held_meeting(
        cell, 2025, 6,
        attendance={m: PRESENT for m in roll},
        dues={salaried: 20_000, retired: 20_000, farmer: 10_000, no_profile: 5_000},
    )
    # the rest of the salaried member's June paid at a second meeting of the month, and outside meetings
    extra = held_meeting(cell, 2025, 6, attendance={salaried: PRESENT}, dues={salaried: 20_000})
    Meeting.objects.filter(pk=extra.pk).update(scheduled_at=dt.datetime(2025, 6, 28, 8, 0, tzinfo=timezone.get_current_timezone()))
    DuesPayment.objects.create(member=salaried, organisation=cell, year=2025, month=6, amount=10_000, paid_on=dt.date(2025, 6, 30))
    # not June's (each alone would cover the volunteer's June): another month, another year, the first
    # minute of July (local time), another cell's June meeting
    DuesPayment.objects.create(member=volunteer, organisation=cell, year=2025, month=5, amount=100_000, paid_on=dt.date(2025, 5, 30))
    DuesPayment.objects.create(member=volunteer, organisation=cell, year=2024, month=6, amount=100_000, paid_on=dt.date(2024, 6, 30))
    july = held_meeting(cell, 2025, 7, attendance={volunteer: PRESENT}, dues={volunteer: 100_000})
    Meeting.objects.filter(pk=july.pk).update(scheduled_at=dt.datetime(2025, 7, 1, 0, 0, tzinfo=timezone.get_current_timezone()))
    elsewhere = held_meeting(world.cell2, 2025, 6, attendance={world.m_other: PRESENT}, dues={world.m_other: 50_000})
    Attendance.objects.create(
        meeting=elsewhere, member=volunteer, status=AttendanceStatus.PRESENT, dues_collected=True, dues_amount=100_000
    )
    # the last minute of June (local time) counts for June: it covers the unapproved volunteer's month
    last = held_meeting(cell, 2025, 6, attendance={unapproved: PRESENT}, dues={unapproved: 15_000})
    Meeting.objects.filter(pk=last.pk).update(scheduled_at=dt.datetime(2025, 6, 30, 23, 59, tzinfo=timezone.get_current_timezone()))
    return june


def test_the_panel_prices_and_sums_the_month_as_the_orm_reads_did(month):  # type: ignore[no-untyped-def]
    got = selectors.meeting_dues(month)
    assert got == _reference(month)
    # by hand: 50,000 (1% of 5M; July's raise not in force) + 20,000 (0.5% of 4M) + 10,000 (20,000 halved)
    # + 100,000 (voluntary, approved) + 15,000 (fixed: the voluntary amount is not approved)
    assert got["due"] == 50_000 + 20_000 + 10_000 + 100_000 + 15_000
    assert got["collected"] == 20_000 + 20_000 + 10_000 + 5_000  # at this meeting only
    # the salaried member paid 20,000 + 20,000 + 10,000 in June; the volunteer's payments are for other months
    assert got["short"] == ["Đỗ Văn An"]
    assert (got["year"], got["month"]) == (2025, 6)


def test_the_panel_agrees_with_the_ledger_of_the_month(month):  # type: ignore[no-untyped-def]
    ledger = selectors.dues_ledger(month.organisation, 2025, today=dt.date(2025, 12, 31))
    on_roll = set(month.attendance.values_list("member_id", flat=True))
    june = [row.months[5] for row in ledger.rows if row.member.pk in on_roll]
    got = selectors.meeting_dues(month)
    assert got["due"] == sum(c.due or 0 for c in june)
    flagged = sorted(row.member.full_name for row in ledger.rows if row.member.pk in on_roll and row.months[5].flagged)
    assert sorted(got["short"]) == flagged


def test_the_panel_is_one_query_after_the_rulebook_whatever_the_roll(month, world):  # type: ignore[no-untyped-def]
    selectors.meeting_dues(month)  # the rulebook read once
    with CaptureQueriesContext(connection) as small:
        selectors.meeting_dues(month)
    given = ("Anh", "Bảo", "Chi", "Dương", "Giang", "Hà", "Khánh", "Linh", "Minh", "Nga", "Oanh", "Phúc")
    for i, name in enumerate(given):
        member = add_member(world.cell1, f"Nguyễn Văn {name}")
        DuesProfile.objects.create(member=member, valid_from=dt.date(2025, 1, 1), category="luong", base_income=2_000_000)
        Attendance.objects.create(meeting=month, member=member, status=PRESENT, dues_collected=bool(i % 2), dues_amount=20_000 * (i % 2))
    with CaptureQueriesContext(connection) as large:
        got = selectors.meeting_dues(month)
    assert len(large) == len(small)
    assert got == _reference(month)
    assert got["due"] == 195_000 + 12 * 20_000


def test_the_shortcomings_of_a_meeting_carry_the_names_the_list_shows(world):  # type: ignore[no-untyped-def]
    from chibo.meetings.models import MeetingStatus

    meeting = held_meeting(world.cell1, 2025, 6, attendance={world.m_same: PRESENT}, status=MeetingStatus.CLOSED)
    with CaptureQueriesContext(connection) as none:
        assert selectors.shortcomings_of_meeting(meeting) == []
    assert len(none) == 1
    guest = add_member(world.cell1, "Lý Văn Tùng")
    first = services.raise_shortcoming(
        actor=world.secretary, cell=world.cell1, text="Chậm nộp báo cáo", member=world.m_same, raised_by=guest,
        meeting=meeting,
    )
    second = services.raise_shortcoming(
        actor=world.secretary, cell=world.cell1, text="Sinh hoạt chưa đều", raised_by_name="Đồng chí Bí thư xã",
        meeting=meeting,
    )
    services.raise_shortcoming(
        actor=world.secretary, cell=world.cell1, text="Không tại buổi này", member=world.m_same, raised_by=guest
    )
    with CaptureQueriesContext(connection) as some:
        items = selectors.shortcomings_of_meeting(meeting)
        shown = [(s.pk, s.subject_name, s.raiser, s.meeting.scheduled_at) for s in items]
    assert len(some) == 2  # the shortcomings, then the members they name
    from django.forms.models import model_to_dict

    from chibo.annual.models import Shortcoming

    orm = Shortcoming.objects.filter(meeting=meeting).order_by("created_at", "id")
    assert [model_to_dict(s) for s in items] == [model_to_dict(s) for s in orm]  # the ORM's own instances
    assert shown == [
        (first.pk, "Trần Thị Lan", "Lý Văn Tùng", meeting.scheduled_at),
        (second.pk, f"Tập thể {world.cell1.name}", "Đồng chí Bí thư xã", meeting.scheduled_at),
    ]
