"""Reads for the member's year: the rules in force, the inputs a review gathers automatically,
the dues ledger, open shortcomings. Written once so list pages keep a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db.models import Min, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from chibo.annual import engine
from chibo.annual.models import (
    Commitment,
    DuesPayment,
    DuesProfile,
    Remittance,
    Review,
    ReviewRound,
    Shortcoming,
    ShortcomingStatus,
)
from chibo.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Task,
    TaskStatus,
)
from chibo.members.models import Member
from chibo.organisations.models import Organisation
from chibo.rules import loader

HELD = (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED, MeetingStatus.APPROVED)
MONTHS = tuple(range(1, 13))


# --- rules --------------------------------------------------------------------------------
def rulebook_for(cell: Organisation) -> loader.Rulebook:
    from chibo.organisations.selectors import effective_rulebook

    return effective_rulebook(cell)


def annual_rules(book: loader.Rulebook) -> loader.AnnualRules:
    """BOOK's annual sections, else the default rulebook's (older variants lack them)."""
    if book.annual is not None:
        return book.annual
    default = loader.get(None)
    if default.annual is None:  # pragma: no cover - the shipped default always has them
        raise RuntimeError("Bộ quy tắc mặc định thiếu các mục kiểm điểm, đảng phí.")
    return default.annual


def rules_for_cell(cell: Organisation) -> loader.AnnualRules:
    return annual_rules(rulebook_for(cell))


def rules_for_round(rnd: ReviewRound) -> loader.AnnualRules:
    return annual_rules(loader.get(rnd.rulebook_code, rnd.rulebook_version))


def grade_rank(book: loader.Rulebook) -> dict[str, int]:
    return {b.grade: i for i, b in enumerate(book.scorecard.bands)}


# --- people -------------------------------------------------------------------------------
def members_in_year(cell: Organisation, year: int) -> QuerySet[Member]:
    """Members who belonged to CELL at some point of YEAR and are still on its list at year end
    (or left during it), from the membership history."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return (
        Member.objects.filter(
            Q(memberships__end__isnull=True) | Q(memberships__end__gte=start),
            memberships__organisation=cell,
            memberships__start__lte=end,
        )
        .filter(Q(left_at__isnull=True) | Q(left_at__gt=start))
        .distinct()
        .order_by("sort_key", "id")
    )


def joined_cell_on(cell: Organisation, member_ids: list[int]) -> dict[int, dt.date]:
    from chibo.members.models import Membership

    rows = (
        Membership.objects.filter(organisation=cell, member_id__in=member_ids)
        .values("member_id")
        .annotate(first=Min("start"))
    )
    return {r["member_id"]: r["first"] for r in rows}


# --- dues ----------------------------------------------------------------------------------
@dataclass
class LedgerCell:
    month: int
    due: int | None  # None: not due (before joining, future month, no profile)
    paid: int
    status: str  # "paid", "short", "unpaid", "not_due", "no_profile"

    @property
    def flagged(self) -> bool:
        return self.status in ("short", "unpaid")


@dataclass
class LedgerRow:
    member: Member
    profile: DuesProfile | None  # the version in force at the last month shown (else the first)
    due_text: str
    months: list[LedgerCell]
    halved: bool = False
    # versions that took effect during the year (after the first month), oldest first
    changes: list[DuesProfile] = field(default_factory=list)

    @property
    def paid_total(self) -> int:
        return sum(c.paid for c in self.months)

    @property
    def due_total(self) -> int:
        return sum(c.due or 0 for c in self.months)

    @property
    def unpaid_months(self) -> list[int]:
        return [c.month for c in self.months if c.flagged]


@dataclass
class Ledger:
    cell: Organisation
    year: int
    rows: list[LedgerRow]
    month_paid: dict[int, int]
    month_due: dict[int, int]
    remittances: dict[int, Remittance]
    rule: loader.DuesRule
    last_due_month: int

    @property
    def year_paid(self) -> int:
        return sum(self.month_paid.values())

    @property
    def year_due(self) -> int:
        return sum(self.month_due.values())

    @property
    def year_remitted(self) -> int:
        return sum(r.amount for r in self.remittances.values())

    @property
    def flagged_count(self) -> int:
        return sum(len(r.unpaid_months) for r in self.rows)

    def month_totals(self) -> list[dict[str, Any]]:
        return [
            {
                "month": m,
                "due": self.month_due.get(m, 0),
                "paid": self.month_paid.get(m, 0),
                "remittance": self.remittances.get(m),
            }
            for m in MONTHS
        ]


def paid_by_member_month(
    cell: Organisation, year: int, member_ids: list[int] | None = None, *, month: int | None = None
) -> dict[tuple[int, int], int]:
    """Dues paid per (member, month): collected at the cell's meetings + recorded outside them
    (only MONTH's when given: the meeting page's panel reads one month, not the year)."""
    paid: dict[tuple[int, int], int] = defaultdict(int)
    at_meetings = Attendance.objects.filter(meeting__organisation=cell, dues_collected=True)
    manual = DuesPayment.objects.filter(organisation=cell, year=year)
    if month is None:
        at_meetings = at_meetings.filter(meeting__scheduled_at__year=year)
    else:
        tz = timezone.get_current_timezone()
        begin = dt.datetime(year, month, 1, tzinfo=tz)
        end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz)
        at_meetings = at_meetings.filter(meeting__scheduled_at__gte=begin, meeting__scheduled_at__lt=end)
        manual = manual.filter(month=month)
    if member_ids is not None:
        at_meetings = at_meetings.filter(member_id__in=member_ids)
        manual = manual.filter(member_id__in=member_ids)
    for r in (
        at_meetings.annotate(m=ExtractMonth("meeting__scheduled_at"))
        .values("member_id", "m")
        .annotate(total=Sum("dues_amount"))
    ):
        paid[(r["member_id"], r["m"])] += r["total"] or 0
    for row in manual.values("member_id", "month").annotate(total=Sum("amount")):
        paid[(row["member_id"], row["month"])] += row["total"] or 0
    return paid


def dues_profiles(member_ids: list[int], *, upto: dt.date) -> dict[int, list[DuesProfile]]:
    """Every member's dues profile versions valid from ``upto`` or earlier, oldest first: one query."""
    out: dict[int, list[DuesProfile]] = defaultdict(list)
    for p in DuesProfile.objects.filter(member_id__in=member_ids, valid_from__lte=upto).order_by(
        "member_id", "valid_from"
    ):
        out[p.member_id].append(p)
    return out


def in_force(versions: list[DuesProfile], on: dt.date) -> DuesProfile | None:
    """The version in force on ``on``: the latest valid from that month or earlier."""
    found = None
    for p in versions:
        if p.valid_from <= on:
            found = p
        else:
            break
    return found


def profile_in_force(member: Member, on: dt.date | None = None) -> DuesProfile | None:
    """The member's dues profile in force on ``on`` (default today); the earliest future one if none."""
    on = on or timezone.localdate()
    qs = DuesProfile.objects.filter(member=member)
    return qs.filter(valid_from__lte=on).order_by("-valid_from").first() or qs.order_by("valid_from").first()


def due_for(
    rule: loader.DuesRule, member: Member, profile: DuesProfile | None, on: dt.date
) -> engine.DuesDue | None:
    if profile is None:
        return None
    return price(
        rule,
        birth=member.birth_date,
        gender=member.gender,
        on=on,
        category=profile.category,
        base=profile.base_income,
        fixed=profile.fixed_amount,
        voluntary=profile.voluntary_amount,
        voluntary_approved=profile.voluntary_approved_at is not None,
    )


def price(
    rule: loader.DuesRule,
    *,
    birth: dt.date | None,
    gender: str,
    on: dt.date,
    category: str,
    base: int,
    fixed: int | None,
    voluntary: int | None,
    voluntary_approved: bool,
) -> engine.DuesDue | None:
    """One member's dues for ON's month from their profile's figures (None: not priceable)."""
    outside = engine.outside_working_age(rule, birth=birth, gender=gender, on=on)
    try:
        return engine.monthly_dues(
            rule,
            category=category,
            base=base,
            fixed=fixed,
            outside_age=outside,
            voluntary=voluntary,
            voluntary_approved=voluntary_approved,
        )
    except ValueError:
        return None


def dues_ledger(
    cell: Organisation, year: int, *, today: dt.date | None = None, only: Member | None = None
) -> Ledger:
    """Every member's twelve months: due, paid, flagged. Six queries whatever the size."""
    today = today or timezone.localdate()
    rule = rules_for_cell(cell).dues
    members = list(members_in_year(cell, year)) if only is None else [only]
    ids = [m.pk for m in members]
    versions = dues_profiles(ids, upto=dt.date(year, 12, 1))
    joined = joined_cell_on(cell, ids)
    paid = paid_by_member_month(cell, year, ids)
    remittances = {r.month: r for r in Remittance.objects.filter(organisation=cell, year=year)}
    last_due = 12 if year < today.year else (today.month if year == today.year else 0)
    rows: list[LedgerRow] = []
    month_paid: dict[int, int] = defaultdict(int)
    month_due: dict[int, int] = defaultdict(int)
    for member in members:
        mine = versions.get(member.pk, [])
        first = joined.get(member.pk)
        cells: list[LedgerCell] = []
        due_text, halved = "", False
        for month in MONTHS:
            on = dt.date(year, month, 1)
            got = paid.get((member.pk, month), 0)
            month_paid[month] += got
            before_joining = first is not None and (first.year, first.month) > (year, month)
            left = member.left_at is not None and member.left_at < on
            if month > last_due or before_joining or left:
                cells.append(LedgerCell(month, None, got, "not_due"))
                continue
            due = due_for(rule, member, in_force(mine, on), on)
            if due is None:
                cells.append(LedgerCell(month, None, got, "no_profile"))
                continue
            due_text, halved = due.explanation, due.halved
            month_due[month] += due.amount
            status = "paid" if got >= due.amount else ("short" if got else "unpaid")
            cells.append(LedgerCell(month, due.amount, got, status))
        shown = dt.date(year, max(last_due, 1), 1)
        profile = in_force(mine, shown) or (mine[0] if mine else None)
        changes = [p for p in mine if p.valid_from > dt.date(year, 1, 1)]
        rows.append(LedgerRow(member, profile, due_text, cells, halved, changes))
    return Ledger(cell, year, rows, dict(month_paid), dict(month_due), remittances, rule, last_due)


def receipts(cell: Organisation, year: int) -> list[dict[str, Any]]:
    """Every payment of the year, at meetings and outside them, in date order."""
    out: list[dict[str, Any]] = []
    rows = (
        Attendance.objects.filter(
            meeting__organisation=cell, meeting__scheduled_at__year=year, dues_collected=True
        )
        .select_related("member", "meeting")
        .order_by("meeting__scheduled_at", "member__sort_key")
    )
    for a in rows:
        when = timezone.localtime(a.meeting.scheduled_at).date()
        out.append(
            {
                "date": when,
                "month": when.month,
                "member": a.member.full_name,
                "sort": a.member.sort_key,
                "amount": a.dues_amount,
                "how": f"Thu tại buổi sinh hoạt {when:%d/%m/%Y}",
                "note": "",
            }
        )
    for p in DuesPayment.objects.filter(organisation=cell, year=year).select_related("member"):
        out.append(
            {
                "date": p.paid_on,
                "month": p.month,
                "member": p.member.full_name,
                "sort": p.member.sort_key,
                "amount": p.amount,
                "how": "Nộp ngoài buổi sinh hoạt",
                "note": p.note,
            }
        )
    out.sort(key=lambda r: (r["date"], r["sort"]))
    return out


# --- shortcomings --------------------------------------------------------------------------
def open_shortcomings(
    *, member: Member | None = None, cell: Organisation | None = None
) -> QuerySet[Shortcoming]:
    qs = Shortcoming.objects.filter(status=ShortcomingStatus.OPEN).select_related(
        "organisation", "member", "raised_by", "meeting"
    )
    if member is not None:
        qs = qs.filter(member=member)
    if cell is not None:
        qs = qs.filter(organisation=cell, member__isnull=True)
    return qs.order_by("created_at", "id")


def previous_shortcomings(
    year: int, *, member: Member | None = None, cell: Organisation | None = None
) -> QuerySet[Shortcoming]:
    """Raised before YEAR and still open when YEAR began: what "100% fixed" is measured on."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    qs = Shortcoming.objects.filter(year__lt=year).filter(
        Q(status=ShortcomingStatus.OPEN) | Q(remedied_at__gte=start)
    )
    if member is not None:
        qs = qs.filter(member=member)
    else:
        qs = qs.filter(organisation=cell, member__isnull=True)
    return qs.select_related("organisation", "member", "raised_by", "meeting").order_by("created_at", "id")


@cache
def _shortcomings_sql(db: str) -> tuple[str, Any]:
    """`Shortcoming.objects.filter(meeting=…).order_by("created_at", "id")` written once (chibo/core/rawsql.py)."""
    from django.db import connections

    from chibo.core import rawsql

    qn = connections[db].ops.quote_name
    shape = rawsql.shape(Shortcoming)
    sql = (
        f"SELECT {shape.columns(db, 's')} FROM {qn(Shortcoming._meta.db_table)} s "
        f"WHERE s.{qn(rawsql.column(Shortcoming, 'meeting'))} = %s "
        f"ORDER BY s.{qn(rawsql.column(Shortcoming, 'created_at'))}, s.{qn(rawsql.column(Shortcoming))}"
    )
    return sql, shape


def shortcomings_of_meeting(meeting: Meeting) -> list[Shortcoming]:
    """What was raised at MEETING, oldest first, with the rows the list names (its subject, who raised
    it, the cell: the meeting's own) attached. Usually there is none: one plain statement then, where
    the ORM's join of three tables cost three times as much to build (docs/bench.md, session 15)."""
    from django.db import router

    from chibo.core import rawsql

    db = router.db_for_read(Shortcoming)
    sql, shape = _shortcomings_sql(db)
    items = [row for (row,) in rawsql.rows(db, sql, [meeting.pk], [shape])]
    if items:
        people = Member.objects.in_bulk(({s.member_id for s in items} | {s.raised_by_id for s in items}) - {None})
        for s in items:
            s.meeting = meeting
            s.member = people.get(s.member_id) if s.member_id is not None else None
            s.raised_by = people.get(s.raised_by_id) if s.raised_by_id is not None else None
            if s.organisation_id == meeting.organisation_id:
                s.organisation = meeting.organisation
    return items


# --- inputs gathered for a review --------------------------------------------------------------
def _cutoff(year: int, today: dt.date) -> dt.date:
    return min(dt.date(year, 12, 31), today)


def task_figures(tasks: QuerySet[Task], year: int, today: dt.date) -> dict[str, int]:
    """Tasks due in YEAR: done, and overdue (still open after their due date at year end or today).
    A task counts as late only while it is overdue: meetings record when a task was reported done,
    not the day it was finished, so "done after the due date" cannot be measured honestly."""
    cutoff = _cutoff(year, today)
    # Open tasks not yet due are still in progress: they count once their due date has passed.
    rows = list(
        tasks.filter(due_date__year=year)
        .filter(Q(status=TaskStatus.DONE) | Q(due_date__lte=cutoff))
        .values_list("status", "due_date")
    )
    done = sum(1 for status, _ in rows if status == TaskStatus.DONE)
    overdue = sum(
        1 for status, due in rows if status == TaskStatus.OPEN and due is not None and due < cutoff
    )
    return {"tasks_total": len(rows), "tasks_done": done, "tasks_overdue": overdue, "tasks_late": overdue}


def member_inputs(
    member: Member, cell: Organisation, year: int, *, today: dt.date | None = None
) -> dict[str, Any]:
    today = today or timezone.localdate()
    att = Attendance.objects.filter(member=member, meeting__scheduled_at__year=year, meeting__status__in=HELD)
    counts: dict[str, int] = defaultdict(int)
    for status in att.values_list("status", flat=True):
        counts[status or ""] += 1
    prev = list(previous_shortcomings(year, member=member))
    ledger = dues_ledger(cell, year, today=today, only=member)
    row = ledger.rows[0]
    out = {
        "meetings_held": sum(counts.values()),
        "meetings_attended": counts[AttendanceStatus.PRESENT],
        "missed_excused": counts[AttendanceStatus.ABSENT_EXCUSED],
        "missed_unexcused": counts[AttendanceStatus.ABSENT_UNEXCUSED],
        **task_figures(Task.objects.filter(assignee=member), year, today),
        "shortcomings_previous": len(prev),
        "shortcomings_remedied": sum(1 for s in prev if s.status == ShortcomingStatus.REMEDIED),
        "shortcomings_raised": Shortcoming.objects.filter(member=member, year=year).count(),
        "dues_paid": row.paid_total,
        "dues_due": row.due_total,
        "dues_unpaid_months": row.unpaid_months,
        "dues_months_due": sum(1 for c in row.months if c.due is not None),
    }
    return out


def monthly_grades(cell: Organisation, year: int) -> list[str | None]:
    """The grade of each month's regular meeting (approved), None where there is none."""
    best: dict[int, str] = {}
    book = rulebook_for(cell)
    rank = grade_rank(book)
    rows = (
        Meeting.objects.filter(
            organisation=cell,
            scheduled_at__year=year,
            status=MeetingStatus.APPROVED,
            kind__in=[MeetingKind.REGULAR, MeetingKind.COMBINED],
        )
        .annotate(m=ExtractMonth("scheduled_at"))
        .values_list("m", "fig_grade")
    )
    for month, grade in rows:
        if grade and (month not in best or rank.get(grade, 99) < rank.get(best[month], 99)):
            best[month] = grade
    return [best.get(m) for m in MONTHS]


def cell_inputs(cell: Organisation, year: int, *, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    book = rulebook_for(cell)
    rules = annual_rules(book)
    grades = monthly_grades(cell, year)
    # Months still to come in the current year are not missing meetings.
    upto = 12 if year < today.year else max(1, today.month) if year == today.year else 0
    roll = engine.cell_year_grade(rules.cell_year, grades[:upto] or [None], grade_rank(book))
    held = Meeting.objects.filter(organisation=cell, scheduled_at__year=year, status__in=HELD)
    prev = list(previous_shortcomings(year, cell=cell))
    ledger = dues_ledger(cell, year, today=today)
    return {
        "monthly_grades": grades,
        "year_grade": roll.grade,
        "year_grade_label": roll.label,
        "months_without_grade": roll.missing,
        "meetings_held": held.count(),
        "thematic_held": held.filter(kind__in=[MeetingKind.THEMATIC, MeetingKind.COMBINED]).count(),
        **task_figures(Task.objects.filter(organisation=cell), year, today),
        "shortcomings_previous": len(prev),
        "shortcomings_remedied": sum(1 for s in prev if s.status == ShortcomingStatus.REMEDIED),
        "dues_paid": ledger.year_paid,
        "dues_due": ledger.year_due,
        "dues_remitted": ledger.year_remitted,
        "dues_flagged_months": ledger.flagged_count,
    }


def rating_facts(review: Review, total: int | None) -> engine.RatingFacts:
    i = review.inputs or {}
    return engine.RatingFacts(
        total=total or 0,
        tasks_total=i.get("tasks_total", 0),
        tasks_done=i.get("tasks_done", 0),
        tasks_exceeding=review.tasks_exceeding,
        tasks_late=i.get("tasks_late", 0),
        shortcomings_previous=i.get("shortcomings_previous", 0),
        shortcomings_remedied=i.get("shortcomings_remedied", 0),
        disciplined=review.disciplined,
    )


# --- pages ----------------------------------------------------------------------------------
@dataclass
class RoundView:
    rnd: ReviewRound
    rules: loader.AnnualRules
    member_reviews: list[Review]
    cell_review: Review | None
    cap: engine.CapCheck
    commitments: dict[int, Commitment] = field(default_factory=dict)


def round_view(rnd: ReviewRound) -> RoundView:
    """The round page: every review with its member and commitment; the cap on proposed levels."""
    rules = rules_for_round(rnd)
    reviews = list(rnd.reviews.select_related("member").order_by("member__sort_key", "id"))
    members = [r for r in reviews if r.member_id]
    cell_review = next((r for r in reviews if not r.member_id), None)
    top = rules.rating.levels[0]
    levels = [r.final_level or r.proposed_level for r in members if (r.final_level or r.proposed_level)]
    cap = engine.check_cap(rules.cap, levels, top=top.level, label=top.label)
    commitments = {
        c.member_id: c
        for c in Commitment.objects.filter(member_id__in=[r.member_id for r in members], year=rnd.year)
    }
    return RoundView(rnd, rules, members, cell_review, cap, commitments)


def rounds_for(cell: Organisation) -> QuerySet[ReviewRound]:
    return ReviewRound.objects.filter(organisation=cell).order_by("-year")


def full_members_count(cell: Organisation, on: dt.date) -> int:
    from chibo.members.selectors import roster_on

    return roster_on(cell, on).filter(status="chinh_thuc").count()


# One statement for the meeting page's dues panel: the roll with, for each member, the dues profile
# in force at the start of the month and what they paid for it (collected at any of the cell's
# meetings of that month + recorded outside them). The ORM took four queries for it (roll, profiles,
# two sums), and building them cost more than running them (docs/bench.md, session 15).
_MEETING_DUES_SQL = """
SELECT a.member_id, mm.full_name, mm.birth_date, mm.gender, a.dues_collected, a.dues_amount,
       p.category, p.base_income, p.fixed_amount, p.voluntary_amount, p.voluntary_approved_at,
       (SELECT COALESCE(SUM(a2.dues_amount), 0)
          FROM {attendance} a2 INNER JOIN {meeting} m2 ON m2.id = a2.meeting_id
         WHERE a2.member_id = a.member_id AND a2.dues_collected
           AND m2.organisation_id = %s AND m2.scheduled_at >= %s AND m2.scheduled_at < %s)
     + (SELECT COALESCE(SUM(d.amount), 0) FROM {payment} d
         WHERE d.member_id = a.member_id AND d.organisation_id = %s AND d.year = %s AND d.month = %s)
  FROM {attendance} a
  INNER JOIN {member} mm ON mm.id = a.member_id
  LEFT JOIN {profile} p ON p.id = (
       SELECT p2.id FROM {profile} p2 WHERE p2.member_id = a.member_id AND p2.valid_from <= %s
        ORDER BY p2.valid_from DESC LIMIT 1)
 WHERE a.meeting_id = %s
 ORDER BY mm.sort_key, a.id
"""


def _as_date(value: Any) -> dt.date | None:
    """A DATE column read by a raw cursor (SQLite gives text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def meeting_dues(meeting: Meeting) -> dict[str, Any]:
    """Dues of the meeting's month for the members on its roll: what is due, what was collected
    (one query; priced by the same engine as the ledger, dues_ledger)."""
    from django.db import connections, router

    from chibo.core import rawsql

    local = timezone.localtime(meeting.scheduled_at)
    when = local.date()
    cell = meeting.organisation
    rule = rules_for_cell(cell).dues
    month_start = when.replace(day=1)
    begin = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = begin.replace(year=begin.year + begin.month // 12, month=begin.month % 12 + 1)
    db = router.db_for_read(Attendance)
    ops = connections[db].ops
    sql = _MEETING_DUES_SQL.format(
        attendance=Attendance._meta.db_table,
        meeting=Meeting._meta.db_table,
        payment=DuesPayment._meta.db_table,
        member=Member._meta.db_table,
        profile=DuesProfile._meta.db_table,
    )
    params = [
        cell.pk, ops.adapt_datetimefield_value(begin), ops.adapt_datetimefield_value(end),
        cell.pk, when.year, when.month,
        ops.adapt_datefield_value(month_start),
        meeting.pk,
    ]
    with rawsql.cursor(db) as cursor:  # (prepared on PostgreSQL: planned once per connection)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    due_total, collected, short = 0, 0, []
    for (_, name, birth, gender, dues_collected, dues_amount,
         category, base, fixed, voluntary, approved_at, paid) in rows:
        if dues_collected:
            collected += dues_amount
        if category is None:  # no dues profile in force
            continue
        due = price(
            rule, birth=_as_date(birth), gender=gender, on=month_start, category=category, base=base,
            fixed=fixed, voluntary=voluntary, voluntary_approved=approved_at is not None,
        )
        if due is None:
            continue
        due_total += due.amount
        if paid < due.amount:
            short.append(name)
    return {"year": when.year, "month": when.month, "due": due_total, "short": short, "collected": collected}
