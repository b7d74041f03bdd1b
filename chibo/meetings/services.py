"""Every write to a meeting: check lock and version → validate → write → audit.

Approved meetings are locked: every function here refuses to change them (MeetingLocked),
except add_amendment, which only works on approved meetings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.db.models import F, Max, signals
from django.dispatch import Signal
from django.utils import timezone

from chibo.audit import services as audit
from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.core import rawsql, versions, vntext
from chibo.meetings.models import (
    AgendaItem,
    Amendment,
    AnnualPlan,
    Attendance,
    AttendanceStatus,
    Ballot,
    Choice,
    Guest,
    Meeting,
    MeetingKind,
    MeetingStatus,
    ScoreColumn,
    ScoreSheet,
    Speech,
    Task,
    TaskReport,
    TaskStatus,
    ThematicTopic,
    Vote,
    VoteMethod,
)
from chibo.members.models import Member
from chibo.organisations import activity
from chibo.organisations.models import Organisation
from chibo.rules import engine
from chibo.rules import loader as rules

# Sent (inside the transaction) when a meeting is published or its time or place change; oversight
# notifies the officers assigned to attend it.
meeting_published = Signal()
meeting_rescheduled = Signal()


class MeetingLocked(PermissionDenied):
    def __init__(self) -> None:
        super().__init__("Biên bản đã được duyệt nên không thể sửa; hãy thêm đính chính.")


class Conflict(ValidationError):
    def __init__(self, message: str = "") -> None:
        super().__init__(message or "Buổi sinh hoạt vừa được người khác cập nhật. Hãy tải lại trang rồi thử lại.")


def conclusion_version(item: AgendaItem) -> str:
    """The version of ITEM's conclusion an editor saw (a digest of the text: see chibo.core.versions)."""
    return versions.token(item.conclusion)


def score_version(sheet: ScoreSheet | None) -> str:
    """The version of one scorecard column an editor saw (the empty column has one too)."""
    return versions.token(sheet.entries, sheet.note) if sheet is not None else versions.token(None)


def report_version(report: TaskReport | None) -> str:
    """The version of a task's report at one meeting an editor saw ("" = no report yet)."""
    return versions.token(report.text, report.done) if report is not None else versions.token(None)


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


@cache
def _lock_sql(db: str, parts: bool) -> tuple[str | None, str, tuple[rawsql.Shape, rawsql.Shape]]:
    """The statements of _writable() on DB, written out (rawsql: the ORM compiled the locked read
    with its join anew on every live write, ~0.8 ms): bump the version (and PARTS' version) of one
    meeting, which locks its row until the transaction ends, and read it back with its cell.
    PostgreSQL: one statement (the update in a WITH, its row joined to the cell); elsewhere the
    update, then a SELECT (SQLite: the transaction already holds the write lock, BEGIN IMMEDIATE).
    Returns (the update to run first or None, the statement giving the row, its shapes)."""
    connection = connections[db]
    qn = connection.ops.quote_name
    meeting, cell = rawsql.shape(Meeting), rawsql.shape(Organisation)
    table, pk = qn(Meeting._meta.db_table), qn(rawsql.column(Meeting))
    bump = ", ".join(
        f"{qn(c)} = {qn(c)} + 1" for c in ("version", "parts_version") if c == "version" or parts
    )
    org_fk = qn(rawsql.column(Meeting, "organisation"))
    org_table, org_pk = qn(Organisation._meta.db_table), qn(rawsql.column(Organisation))
    update = f"UPDATE {table} SET {bump} WHERE {pk} = %s"
    join = f"INNER JOIN {org_table} o ON o.{org_pk} = m.{org_fk}"
    columns = f"{meeting.columns(db, 'm')}, {cell.columns(db, 'o')}"
    if connection.vendor == "postgresql":
        return None, f"WITH m AS ({update} RETURNING *) SELECT {columns} FROM m {join}", (meeting, cell)
    return update, f"SELECT {columns} FROM {table} m {join} WHERE m.{pk} = %s", (meeting, cell)


def _writable(
    meeting: Meeting, expected_version: int | None = None, *, parts: bool = True,
    authorize: Callable[[Meeting], Any] | None = None,
) -> Meeting:
    """Lock the row, refuse approved meetings and stale writers, bump the version.

    The version is bumped first (the UPDATE is what locks the row) and the checks run on the row
    as it stood before: a refusal raises, and the caller's transaction (every caller is atomic;
    checked) rolls the bump back. PARTS=False only for a roll-call or dues mark, which changes
    attendance rows and nothing else: `parts_version` (what chibo/meetings/live_parts.py keys the
    screen's other parts by) stays. AUTHORIZE: the caller's access check
    (accounts.access.check_meeting), run on the row locked here before anything else is written,
    when the caller has not read the meeting itself. Meeting.DoesNotExist if there is none."""
    db = router.db_for_write(Meeting)
    if not connections[db].in_atomic_block:
        raise RuntimeError("_writable() outside a transaction: a refused write could not be undone.")
    update, select, shapes = _lock_sql(db, parts)
    if update is not None:
        with connections[db].cursor() as cursor:
            cursor.execute(update, [meeting.pk])
    found = rawsql.rows(db, select, [meeting.pk], shapes)
    if not found:
        raise Meeting.DoesNotExist("Meeting matching query does not exist.")
    fresh, cell = found[0]
    Meeting._meta.get_field("organisation").set_cached_value(fresh, cell)  # (as select_related)
    if authorize is not None:
        authorize(fresh)
    if fresh.is_locked:
        raise MeetingLocked()
    if expected_version is not None and fresh.version - 1 != expected_version:
        raise Conflict()
    meeting.version = fresh.version
    return fresh


def _audit_entry(actor: Any, meeting: Meeting, action: str, changes: dict[str, Any], obj: Any = None) -> Any:
    """The audit entry of a write to MEETING (or to OBJ, one of its parts), not yet saved."""
    return audit.entry(
        actor=actor, action=action, obj=obj or meeting, org_path=meeting.organisation.path,
        changes=changes, object_repr=str(meeting) if obj is None else f"{obj} — {meeting}",
    )


def _audit(actor: Any, meeting: Meeting, action: str, changes: dict[str, Any], obj: Any = None) -> None:
    _audit_entry(actor, meeting, action, changes, obj).save(force_insert=True)


def _summaries(meeting: Meeting) -> None:
    """The dashboards' pre-aggregated figures for the meeting's month (same transaction)."""
    from chibo.oversight.summaries import refresh_for

    refresh_for(meeting)


def effective_rulebook(cell: Organisation) -> rules.Rulebook:
    from chibo.organisations.selectors import effective_rulebook as find

    return find(cell)


def rulebook_of(meeting: Meeting) -> rules.Rulebook:
    """The rulebook version that judges MEETING (recorded at start), else the cell's current one."""
    if meeting.rulebook_code:
        return rules.get(meeting.rulebook_code, meeting.rulebook_version)
    return effective_rulebook(meeting.organisation)


def _member_of(meeting: Meeting, member: Member | None, field: str) -> None:
    if member is not None and member.organisation_id != meeting.organisation_id and not meeting.attendance.filter(member=member).exists():
        raise ValidationError({field: f"{member.full_name} không thuộc chi bộ này."})


# --- plan -----------------------------------------------------------------------------
@transaction.atomic
def create_plan(
    *,
    actor: Any,
    cell: Organisation,
    year: int,
    day_of_month: int = 15,
    time: dt.time = dt.time(19, 30),
    place: str = "",
) -> AnnualPlan:
    """An annual plan with one regular meeting a month (editable afterwards)."""
    if not cell.is_cell:
        raise ValidationError({"organisation": "Chỉ chi bộ mới lập kế hoạch sinh hoạt."})
    if AnnualPlan.objects.filter(organisation=cell, year=year).exists():
        raise ValidationError({"year": f"Chi bộ đã có kế hoạch năm {year}."})
    if not 1 <= day_of_month <= 28:
        raise ValidationError({"day_of_month": "Ngày trong tháng phải từ 1 đến 28."})
    plan = AnnualPlan.objects.create(organisation=cell, year=year)
    tz = timezone.get_current_timezone()
    Meeting.objects.bulk_create([
        Meeting(
            organisation=cell, plan=plan, kind=MeetingKind.REGULAR,
            scheduled_at=dt.datetime.combine(dt.date(year, month, day_of_month), time, tzinfo=tz),
            place=vntext.clean(place or cell.address),
            title=f"Sinh hoạt thường kỳ tháng {month:02d}/{year}",
        )
        for month in range(1, 13)
    ])
    record(actor=actor, action=AuditAction.CREATE, obj=plan, org_path=cell.path,
           changes={"year": ["", year], "meetings": [0, 12]})
    return plan


@transaction.atomic
def add_topic(
    *,
    actor: Any,
    plan: AnnualPlan,
    quarter: int,
    title: str,
    presenter: Member | None = None,
    presenter_group: Organisation | None = None,
    draft_due: dt.date | None = None,
    outline: str = "",
    scheduled_at: dt.datetime | None = None,
    combined: bool = False,
) -> ThematicTopic:
    """A quarterly thematic topic; with SCHEDULED_AT it also plans its meeting."""
    if not 1 <= quarter <= 4:
        raise ValidationError({"quarter": "Quý phải từ 1 đến 4."})
    if not vntext.clean(title):
        raise ValidationError({"title": "Thiếu tên chuyên đề."})
    if presenter is not None and presenter.organisation_id != plan.organisation_id:
        raise ValidationError({"presenter": "Người trình bày phải là đảng viên của chi bộ."})
    if presenter_group is not None and presenter_group.parent_id != plan.organisation_id:
        raise ValidationError({"presenter_group": "Tổ đảng phải thuộc chi bộ."})
    topic = ThematicTopic.objects.create(
        plan=plan, quarter=quarter, title=vntext.clean(title), presenter=presenter,
        presenter_group=presenter_group, draft_due=draft_due, outline=vntext.clean(outline, multiline=True),
    )
    if scheduled_at is not None:
        if (timezone.localtime(scheduled_at).month - 1) // 3 + 1 != quarter or scheduled_at.year != plan.year:
            raise ValidationError({"scheduled_at": f"Ngày sinh hoạt phải trong quý {quarter}/{plan.year}."})
        create_meeting(
            actor=actor, cell=plan.organisation, kind=MeetingKind.COMBINED if combined else MeetingKind.THEMATIC,
            scheduled_at=scheduled_at, place=plan.organisation.address, title=topic.title, topic=topic, plan=plan,
        )
    record(actor=actor, action=AuditAction.CREATE, obj=topic, org_path=plan.organisation.path,
           changes={"title": ["", topic.title], "quarter": ["", quarter]})
    return topic


@transaction.atomic
def create_meeting(
    *,
    actor: Any,
    cell: Organisation,
    kind: str,
    scheduled_at: dt.datetime,
    place: str = "",
    title: str = "",
    topic: ThematicTopic | None = None,
    plan: AnnualPlan | None = None,
) -> Meeting:
    if not cell.is_cell:
        raise ValidationError({"organisation": "Chỉ chi bộ mới có buổi sinh hoạt."})
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": "Loại buổi sinh hoạt không hợp lệ."})
    if plan is None:
        plan = AnnualPlan.objects.filter(organisation=cell, year=timezone.localtime(scheduled_at).year).first()
    meeting = Meeting.objects.create(
        organisation=cell, plan=plan, topic=topic, kind=kind, scheduled_at=scheduled_at,
        place=vntext.clean(place or cell.address), title=vntext.clean(title),
    )
    _audit(actor, meeting, AuditAction.CREATE, {"kind": ["", kind], "scheduled_at": ["", scheduled_at.isoformat()]})
    return meeting


# --- prepare --------------------------------------------------------------------------
PREPARATION_FIELDS = (
    "title", "scheduled_at", "place", "preparer", "pre_meeting_at", "pre_meeting_notes", "chair",
    "secretary", "kind",
)


@transaction.atomic
def update_meeting(*, actor: Any, meeting: Meeting, expected_version: int | None = None, **fields: Any) -> Meeting:
    unknown = set(fields) - set(PREPARATION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    m = _writable(meeting, expected_version)
    for key in ("preparer", "chair", "secretary"):
        if key in fields:
            _member_of(m, fields[key], key)
    if "kind" in fields and fields["kind"] not in MeetingKind.values:
        raise ValidationError({"kind": "Loại buổi sinh hoạt không hợp lệ."})
    changes = {}
    was = Meeting(organisation_id=m.organisation_id, scheduled_at=m.scheduled_at)
    for key, value in fields.items():
        if isinstance(value, str):
            value = vntext.clean(value, multiline=key == "pre_meeting_notes")
        old = getattr(m, key)
        if old != value:
            changes[key] = [str(old or ""), str(value or "")]
            setattr(m, key, value)
    m.save()
    if "scheduled_at" in changes:  # its dues now count for another month's meetings (panel_cache)
        activity.touch([m.organisation_id])
    if {"scheduled_at", "kind"} & changes.keys() and m.status in (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED):
        _summaries(was)  # a held meeting moved or changed kind: both months' figures
        _summaries(m)
    if changes:
        _audit(actor, m, AuditAction.UPDATE, changes)
        if {"scheduled_at", "place"} & changes.keys():
            meeting_rescheduled.send(sender=Meeting, meeting=m, changes=changes)
    return m


def draw_roster(meeting: Meeting) -> int:
    """Attendance rows for every member of the cell on the meeting day, with their standing."""
    from chibo.members.selectors import roster_on

    day = timezone.localtime(meeting.scheduled_at).date()
    existing = set(meeting.attendance.values_list("member_id", flat=True))
    rows = []
    for member in roster_on(meeting.organisation, day):
        if member.pk in existing:
            continue
        away = member.is_temporarily_away(day)
        exempt = member.is_exempt(day)
        rows.append(Attendance(
            meeting=meeting, member=member, is_full=member.is_full, is_exempt=exempt,
            special_duty=member.special_duty, is_away=away, is_suspended=member.is_suspended(day),
            is_incoming=member.temp_direction == "den",
            status=AttendanceStatus.AWAY if away else (AttendanceStatus.EXEMPT if exempt else ""),
        ))
    Attendance.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def publish(*, actor: Any, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """Notice to every member and the supervising committee; documents become visible."""
    m = _writable(meeting)
    if m.status not in (MeetingStatus.PLANNED, MeetingStatus.PUBLISHED):
        raise ValidationError("Buổi sinh hoạt đã bắt đầu; không cần thông báo lại.")
    now = _now(now)
    m.status = MeetingStatus.PUBLISHED
    m.published_at = now
    m.notice_to_upper_at = now
    m.save()
    draw_roster(m)
    from chibo.meetings.notifications import notify_published

    sent = notify_published(m)
    meeting_published.send(sender=Meeting, meeting=m)
    _audit(actor, m, AuditAction.UPDATE, {"status": ["planned", "published"], "notified": [0, sent]})
    return m


# --- run ------------------------------------------------------------------------------
@transaction.atomic
def start(*, actor: Any, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    m = _writable(meeting)
    if m.status in (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED):
        return m
    now = _now(now)
    book = effective_rulebook(m.organisation)
    from chibo.rules.models import remember

    remember(book)
    m.rulebook_code, m.rulebook_version = book.code, book.version
    m.status = MeetingStatus.IN_PROGRESS
    m.started_at = now
    m.save()
    draw_roster(m)
    added = list(m.items.order_by("order", "id"))
    if not any(i.code for i in added):
        # Items added while preparing (e.g. adopted upper-level guidance) follow the upper_documents step.
        steps = [AgendaItem(meeting=m, code=s.code, section=s.section, title=s.title) for s in book.agenda[m.kind]]
        at = next((i + 1 for i, s in enumerate(steps) if s.code == "upper_documents"), len(steps))
        for order, item in enumerate(steps[:at] + added + steps[at:], start=1):
            item.order = order
        AgendaItem.objects.bulk_create(steps)
        if added:
            AgendaItem.objects.bulk_update(added, ["order"])
    _audit(actor, m, AuditAction.UPDATE, {"status": ["published", "in_progress"], "rulebook": ["", f"{book.code} v{book.version}"]})
    # Last, so the roll-up rows it locks (the province's month is shared by every cell) are held only
    # until the commit right after (load test run 8: many cells start within seconds of each other).
    _summaries(m)
    return m


def _require_running(m: Meeting) -> None:
    if m.status not in (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED):
        raise ValidationError("Buổi sinh hoạt chưa bắt đầu.")


class NotOnRoll(Exception):
    """mark_attendance(member_id=…) for someone who is not on the meeting's roll."""


@dataclass(frozen=True)
class Marked:
    """A roll-call mark and what it was written against: the meeting as locked (version bumped) and
    its whole roll after the mark (members loaded, in roll order), read under the lock."""

    meeting: Meeting
    roster: list[Attendance]
    row: Attendance


def set_attendance(
    *, actor: Any, meeting: Meeting, member: Member, status: str, reason: str = "",
    expected_version: int | None = None,
) -> Attendance:
    return mark_attendance(
        actor=actor, meeting=meeting, member=member, status=status, reason=reason,
        expected_version=expected_version,
    ).row


@transaction.atomic
def mark_attendance(
    *, actor: Any, meeting: Meeting, member: Member | None = None, status: str, reason: str = "",
    expected_version: int | None = None, member_id: int | None = None,
    authorize: Callable[[Meeting], Any] | None = None,
) -> Marked:
    """set_attendance(), also giving the roll it was written into (the roll-call answer shows it
    without reading the meeting and its roll again). MEMBER_ID instead of MEMBER: the member is
    found on the roll read here (NotOnRoll if absent: the roll-call view answers 404). AUTHORIZE:
    the access check, on the meeting as locked here (the view then need not read it first; a
    meeting that does not exist raises Meeting.DoesNotExist)."""
    m = _writable(meeting, expected_version, parts=False, authorize=authorize)
    if status not in AttendanceStatus.values:
        raise ValidationError({"status": "Tình trạng điểm danh không hợp lệ."})
    db = router.db_for_write(Attendance)
    wanted = member.pk if member is not None else member_id
    reason = vntext.clean(reason)
    kept = reason if status == AttendanceStatus.ABSENT_EXCUSED else ""
    # The whole roll in one query (the order of selectors.judged_parts()): the row to mark, with its
    # member's brief (the audit's label), and the rest for the answer. On PostgreSQL the same
    # statement writes the mark and its audit entry first (_mark_and_read: one round trip, not two)
    # and the roll comes back as it stood before; a refusal below rolls the write back.
    from chibo.meetings import selectors  # (selectors import this module)

    written = connections[db].vendor == "postgresql"
    roster = _mark_and_read(db, actor, m, wanted, status, kept) if written else selectors.roll_rows(m)
    row = next((a for a in roster if a.member_id == wanted), None)
    if row is None:
        if member is None:
            raise NotOnRoll()
        raise ValidationError({"member": f"{member.full_name} không có trong danh sách của buổi sinh hoạt."})
    member = member or row.member
    if status == AttendanceStatus.ABSENT_EXCUSED and not reason:
        raise ValidationError({"reason": "Vắng có lý do: hãy ghi lý do."})
    old = row.status
    row.status, row.reason = status, kept
    if written:
        _mark_signals(db, row, signals.pre_save)  # (no receiver reads the row's stored state)
        _mark_signals(db, row, signals.post_save)
    else:
        _save_mark(row, _audit_entry(
            actor, m, AuditAction.UPDATE, {"attendance": [f"{member.full_name}: {old}", f"{member.full_name}: {status}"]}, row
        ))
    return Marked(meeting=m, roster=roster, row=row)


MARK_FIELDS = frozenset({"status", "reason"})


@cache
def _mark_sql(db: str) -> str:
    qn = connections[db].ops.quote_name
    sets = ", ".join(f"{qn(rawsql.column(Attendance, f))} = %s" for f in sorted(MARK_FIELDS))
    return f"UPDATE {qn(Attendance._meta.db_table)} SET {sets} WHERE {qn(rawsql.column(Attendance))} = %s"


def _mark_signals(db: str, row: Attendance, signal: Signal) -> None:
    """The signal row.save(update_fields=MARK_FIELDS) sends (judge_cache and panel_cache listen)."""
    if signal is signals.pre_save:
        signal.send(sender=Attendance, instance=row, raw=False, using=db, update_fields=MARK_FIELDS)
    else:
        row._state.db = db
        signal.send(sender=Attendance, instance=row, created=False, update_fields=MARK_FIELDS, raw=False, using=db)


def _save_mark(row: Attendance, made: Any) -> None:
    """row.save(update_fields=MARK_FIELDS) and the audit entry MADE saved, written out (two
    statements; PostgreSQL: _mark_and_read). The ORM's signals are sent as save() sends them."""
    db = router.db_for_write(Attendance)
    _mark_signals(db, row, signals.pre_save)
    values = [getattr(row, f) for f in sorted(MARK_FIELDS)] + [row.pk]
    insert, params = audit.insert_statement(db, made)
    with connections[db].cursor() as cursor:
        cursor.execute(_mark_sql(db), values)
        cursor.execute(insert, params)
    _mark_signals(db, row, signals.post_save)


@cache
def _mark_and_read_sql(db: str) -> tuple[str, str]:
    """(the mark's UPDATE, returning the row's pk and member; the FROM clause of its audit entry's
    SELECT, which reads the row as it stood before — `o` — and its member `mb`)."""
    qn = connections[db].ops.quote_name
    table, pk = qn(Attendance._meta.db_table), qn(rawsql.column(Attendance))
    meeting_fk, member_fk = qn(rawsql.column(Attendance, "meeting")), qn(rawsql.column(Attendance, "member"))
    sets = ", ".join(f"{qn(rawsql.column(Attendance, f))} = %s" for f in sorted(MARK_FIELDS))
    update = (
        f"UPDATE {table} SET {sets} WHERE {meeting_fk} = %s AND {member_fk} = %s "
        f"RETURNING {pk} AS row_id, {member_fk} AS member_id"
    )
    source = (
        f"FROM u INNER JOIN {table} o ON o.{pk} = u.row_id "
        f"INNER JOIN {qn(Member._meta.db_table)} mb ON mb.{qn(rawsql.column(Member))} = u.member_id"
    )
    return update, source


def _mark_and_read(db: str, actor: Any, m: Meeting, member_id: Any, status: str, reason: str) -> list[Attendance]:
    """PostgreSQL, under the meeting's lock: mark MEMBER_ID's row of M's roll STATUS/REASON, write its
    audit entry — as _audit_entry() makes it: "Name: old" -> "Name: new", "row — meeting" — and read
    the roll, in one statement (`WITH u AS (UPDATE …), a AS (INSERT … SELECT …) SELECT roll`). The
    statement's reads see the rows as they stood before its writes (one snapshot, taken after the
    lock was held: every earlier mark is in it): the roll comes back unmarked, the caller sets the
    row. Nothing is written when MEMBER_ID is not on the roll."""
    from chibo.meetings import selectors

    qn = connections[db].ops.quote_name
    update, source = _mark_and_read_sql(db)
    name, old = f"mb.{qn(rawsql.column(Member, 'full_name'))}", f"o.{qn(rawsql.column(Attendance, 'status'))}"
    label = dict(AttendanceStatus.choices)[status]
    made = audit.entry(  # object_id, object_repr and changes: computed in the statement
        actor=actor, action=AuditAction.UPDATE, obj=Attendance(), org_path=m.organisation.path, object_repr="-",
    )
    insert, insert_params = audit.insert_select(db, made, {
        "object_id": ("CAST(u.row_id AS varchar)", []),
        "object_repr": (f"LEFT({name} || %s, 255)", [f" — {label} — {m}"]),
        "changes": (
            f"jsonb_build_object('attendance', jsonb_build_array({name} || ': ' || {old}, {name} || %s))",
            [f": {status}"],
        ),
    })
    values = [{"reason": reason, "status": status}[f] for f in sorted(MARK_FIELDS)]
    return selectors.roll_read(
        db, m, before=f"WITH u AS ({update}), a AS ({insert} {source}) ",
        params=[*values, m.pk, member_id, *insert_params],
    )


@transaction.atomic
def set_dues(*, actor: Any, meeting: Meeting, member: Member, collected: bool, amount: int = 0) -> Attendance:
    m = _writable(meeting, parts=False)
    row = m.attendance.select_related("member").filter(member=member).first()
    if row is None:
        raise ValidationError({"member": f"{member.full_name} không có trong danh sách."})
    if amount < 0 or amount > 10_000_000:
        raise ValidationError({"amount": "Số tiền không hợp lệ."})
    row.dues_collected, row.dues_amount = collected, amount if collected else 0
    row.save(update_fields=["dues_collected", "dues_amount"])
    activity.touch([m.organisation_id])  # every meeting page of that month shows the month's dues
    _audit(actor, m, AuditAction.UPDATE, {"dues": ["", f"{member.full_name}: {row.dues_amount}"]}, row)
    return row


@transaction.atomic
def add_guest(*, actor: Any, meeting: Meeting, name: str, position: str = "", is_upper_officer: bool = False, user: Any = None) -> Guest:
    m = _writable(meeting)
    name = vntext.clean(name)
    if not name:
        raise ValidationError({"name": "Thiếu họ và tên đại biểu."})
    guest = Guest.objects.create(meeting=m, name=name, position=vntext.clean(position), is_upper_officer=is_upper_officer, user=user)
    _audit(actor, m, AuditAction.CREATE, {"guest": ["", f"{name} ({guest.position})"]}, guest)
    return guest


@transaction.atomic
def start_item(*, actor: Any, item: AgendaItem, now: dt.datetime | None = None) -> AgendaItem:
    """Start ITEM; the item running before it ends at the same moment."""
    m = _writable(item.meeting)
    _require_running(m)
    now = _now(now)
    running = m.items.filter(started_at__isnull=False, ended_at__isnull=True).exclude(pk=item.pk)
    running.update(ended_at=now)
    item = AgendaItem.objects.get(pk=item.pk)
    item.started_at, item.ended_at = now, None
    item.save(update_fields=["started_at", "ended_at"])
    _audit(actor, m, AuditAction.UPDATE, {"step": ["", f"bắt đầu: {item.title}"]}, item)
    return item


@transaction.atomic
def end_item(*, actor: Any, item: AgendaItem, now: dt.datetime | None = None) -> AgendaItem:
    m = _writable(item.meeting)
    _require_running(m)
    item = AgendaItem.objects.get(pk=item.pk)
    if item.started_at is None:
        raise ValidationError("Bước này chưa bắt đầu.")
    item.ended_at = _now(now)
    item.save(update_fields=["ended_at"])
    _audit(actor, m, AuditAction.UPDATE, {"step": ["", f"kết thúc: {item.title}"]}, item)
    return item


@transaction.atomic
def add_item(*, actor: Any, meeting: Meeting, title: str, after: AgendaItem | None = None) -> AgendaItem:
    m = _writable(meeting)
    title = vntext.clean(title)
    if not title:
        raise ValidationError({"title": "Thiếu tên nội dung."})
    if after is not None:
        m.items.filter(order__gt=after.order).update(order=F("order") + 1)
        order = after.order + 1
    else:
        order = (m.items.aggregate(n=Max("order"))["n"] or 0) + 1
    item = AgendaItem.objects.create(meeting=m, order=order, title=title, section="content")
    _audit(actor, m, AuditAction.CREATE, {"item": ["", title]}, item)
    return item


@transaction.atomic
def move_item(*, actor: Any, item: AgendaItem, up: bool) -> None:
    m = _writable(item.meeting)
    items = list(m.items.order_by("order", "id"))
    index = next(i for i, it in enumerate(items) if it.pk == item.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    for order, it in enumerate(items, start=1):
        if it.order != order:
            AgendaItem.objects.filter(pk=it.pk).update(order=order)
    _audit(actor, m, AuditAction.UPDATE, {"order": ["", f"{'lên' if up else 'xuống'}: {item.title}"]}, item)


@transaction.atomic
def set_conclusion(*, actor: Any, item: AgendaItem, text: str, expected_version: str | None = None) -> AgendaItem:
    """With EXPECTED_VERSION (conclusion_version() of the text the editor saw), a conclusion changed
    since then raises Conflict naming the current text; nothing is written."""
    m = _writable(item.meeting)
    item = AgendaItem.objects.get(pk=item.pk)
    if versions.is_stale(expected_version, conclusion_version(item)):
        raise Conflict(
            f"Kết luận của “{item.title}” vừa được người khác sửa nên nội dung của bạn chưa được lưu. "
            f"Kết luận hiện tại: {versions.quoted(item.conclusion)}. Hãy xem lại rồi lưu lại."
        )
    old = item.conclusion
    item.conclusion = vntext.clean(text, multiline=True)
    item.save(update_fields=["conclusion"])
    _audit(actor, m, AuditAction.UPDATE, {"conclusion": [old, item.conclusion]}, item)
    return item


@transaction.atomic
def add_speech(
    *, actor: Any, meeting: Meeting, summary: str, member: Member | None = None,
    guest: Guest | None = None, item: AgendaItem | None = None,
) -> Speech:
    m = _writable(meeting)
    summary = vntext.clean(summary, multiline=True)
    if not summary:
        raise ValidationError({"summary": "Hãy ghi tóm tắt ý kiến."})
    if (member is None) == (guest is None):
        raise ValidationError({"member": "Chọn một đảng viên hoặc một đại biểu."})
    if member is not None and not m.attendance.filter(member=member, status=AttendanceStatus.PRESENT).exists():
        raise ValidationError({"member": f"{member.full_name} không có mặt theo điểm danh."})
    if guest is not None and guest.meeting_id != m.pk:
        raise ValidationError({"guest": "Đại biểu không dự buổi này."})
    if item is not None and item.meeting_id != m.pk:
        raise ValidationError({"item": "Nội dung không thuộc buổi này."})
    speech = Speech.objects.create(meeting=m, item=item, member=member, guest=guest, summary=summary)
    who = member.full_name if member else guest.name  # type: ignore[union-attr]
    _audit(actor, m, AuditAction.CREATE, {"speech": ["", f"{who}: {summary[:120]}"]}, speech)
    return speech


@transaction.atomic
def delete_speech(*, actor: Any, speech: Speech) -> None:
    m = _writable(speech.meeting)
    _audit(actor, m, AuditAction.DELETE, {"speech": [speech.summary[:120], ""]}, speech)
    speech.delete()


# --- tasks ----------------------------------------------------------------------------
@transaction.atomic
def assign_task(
    *, actor: Any, meeting: Meeting, title: str, assignee: Member | None = None,
    assignee_group: Organisation | None = None, due_date: dt.date | None = None,
) -> Task:
    m = _writable(meeting)
    title = vntext.clean(title)
    if not title:
        raise ValidationError({"title": "Thiếu nội dung nhiệm vụ."})
    if assignee is None and assignee_group is None:
        raise ValidationError({"assignee": "Giao cho một đảng viên hoặc một tổ đảng."})
    if assignee is not None and assignee.organisation_id != m.organisation_id:
        raise ValidationError({"assignee": f"{assignee.full_name} không thuộc chi bộ."})
    if assignee_group is not None and assignee_group.parent_id != m.organisation_id:
        raise ValidationError({"assignee_group": "Tổ đảng không thuộc chi bộ."})
    task = Task.objects.create(
        organisation=m.organisation, meeting=m, title=title, assignee=assignee,
        assignee_group=assignee_group, due_date=due_date,
    )
    _audit(actor, m, AuditAction.CREATE, {"task": ["", title]}, task)
    return task


@transaction.atomic
def report_task(
    *, actor: Any, meeting: Meeting, task: Task, text: str, done: bool, expected_version: str | None = None
) -> TaskReport:
    """With EXPECTED_VERSION (report_version() of the report the editor saw), a report written or
    changed since then raises Conflict naming the current one; nothing is written."""
    m = _writable(meeting)
    if task.organisation_id != m.organisation_id:
        raise ValidationError({"task": "Nhiệm vụ không thuộc chi bộ."})
    current = TaskReport.objects.filter(task=task, meeting=m).first()
    if versions.is_stale(expected_version, report_version(current)):
        now = (
            f"{versions.quoted(current.text)} ({'đã hoàn thành' if current.done else 'đang thực hiện'})"
            if current is not None else "(chưa có)"
        )
        raise Conflict(
            f"Báo cáo nhiệm vụ “{task.title}” vừa được người khác sửa nên nội dung của bạn chưa được lưu. "
            f"Báo cáo hiện tại: {now}. Hãy xem lại rồi lưu lại."
        )
    text = vntext.clean(text, multiline=True)
    if not text:
        raise ValidationError({"text": "Hãy ghi kết quả thực hiện."})
    report, _ = TaskReport.objects.update_or_create(task=task, meeting=m, defaults={"text": text, "done": done})
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.DONE if done else TaskStatus.OPEN)
    _audit(actor, m, AuditAction.UPDATE, {"task_report": ["", f"{task.title}: {'xong' if done else 'đang làm'}"]}, task)
    return report


# --- vote -----------------------------------------------------------------------------
@transaction.atomic
def open_vote(*, actor: Any, meeting: Meeting, subject: str, method: str = VoteMethod.COUNT) -> Vote:
    """Eligibility is frozen now, from the roll call, by the rulebook (QĐ 24-QĐ/TW by default)."""
    m = _writable(meeting)
    _require_running(m)
    if m.votes.filter(closed_at__isnull=True).exists():
        raise ValidationError("Đang có một biểu quyết chưa kết thúc.")
    roll = list(m.attendance.all())
    if any(not a.status for a in roll):
        raise ValidationError("Hãy điểm danh xong trước khi biểu quyết.")
    book = rulebook_of(m)
    eligible = engine.vote_eligible([a.facts() for a in roll], book.vote)
    vote = Vote.objects.create(
        meeting=m, subject=vntext.clean(subject) or "Nghị quyết", method=method,
        eligible_count=len(eligible), eligible_ids=eligible,
    )
    _audit(actor, m, AuditAction.CREATE, {"vote": ["", f"{vote.subject} ({len(eligible)} người có quyền)"]}, vote)
    return vote


def _present_eligible(vote: Vote) -> set[int]:
    present = set(vote.meeting.attendance.filter(status=AttendanceStatus.PRESENT).values_list("member_id", flat=True))
    return present & set(vote.eligible_ids)


@transaction.atomic
def cast_ballot(*, actor: Any, vote: Vote, member: Member, choice: str) -> Ballot:
    m = _writable(vote.meeting)
    if vote.closed_at is not None:
        raise ValidationError("Biểu quyết đã kết thúc.")
    if vote.method != VoteMethod.BY_NAME:
        raise ValidationError("Biểu quyết này ghi theo số lượng.")
    if choice not in Choice.values:
        raise ValidationError({"choice": "Lựa chọn không hợp lệ."})
    if member.pk not in _present_eligible(vote):
        raise ValidationError({"member": f"{member.full_name} không có quyền biểu quyết (dự bị, vắng, hoặc không thuộc diện)."})
    ballot, _ = Ballot.objects.update_or_create(vote=vote, member=member, defaults={"choice": choice})
    _audit(actor, m, AuditAction.UPDATE, {"ballot": ["", f"{member.full_name}: {choice}"]}, vote)
    return ballot


@transaction.atomic
def close_vote(
    *, actor: Any, vote: Vote, in_favour: int | None = None, against: int | None = None,
    other: int | None = None,
) -> Vote:
    """Record the tally (counted, or from ballots) and compute the result by the pass mark."""
    m = _writable(vote.meeting)
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    vote.meeting = m  # locked above; not fetched again
    if vote.closed_at is not None:
        raise ValidationError("Biểu quyết đã kết thúc.")
    if vote.method == VoteMethod.BY_NAME:
        choices = list(vote.ballots.values_list("choice", flat=True))
        in_favour, against, other = choices.count(Choice.FOR), choices.count(Choice.AGAINST), choices.count(Choice.OTHER)
    else:
        if None in (in_favour, against, other):
            raise ValidationError("Hãy nhập đủ số tán thành, không tán thành, ý kiến khác.")
        assert in_favour is not None and against is not None and other is not None
        if min(in_favour, against, other) < 0:
            raise ValidationError("Số phiếu không thể âm.")
        voters = len(_present_eligible(vote))
        if in_favour + against + other > voters:
            raise ValidationError(
                f"Tổng {in_favour + against + other} vượt số đảng viên có quyền biểu quyết đang có mặt ({voters})."
            )
    vote.in_favour, vote.against, vote.other = in_favour, against, other
    vote.passed = engine.vote_passes(in_favour, vote.eligible_count, rulebook_of(m).vote)
    vote.closed_at = timezone.now()
    vote.save()
    _audit(actor, m, AuditAction.UPDATE, {"vote": ["", f"{in_favour}/{against}/{other} → {'thông qua' if vote.passed else 'không thông qua'}"]}, vote)
    return vote


# --- score, read back, approve, amend -------------------------------------------------
@transaction.atomic
def save_score(
    *, actor: Any, meeting: Meeting, column: str, entries: dict[str, int], note: str = "",
    expected_version: str | None = None,
) -> ScoreSheet:
    """Save one column of the scorecard. Criteria the data proves are filled from the data. With
    EXPECTED_VERSION (score_version() of the column the scorer saw), a column saved since by someone
    else raises Conflict naming its total and note; nothing is written."""
    from chibo.meetings.selectors import meeting_facts

    m = _writable(meeting)
    if column not in ScoreColumn.values:
        raise ValidationError({"column": "Cột chấm điểm không hợp lệ."})
    current = m.scores.filter(column=column).first()
    if versions.is_stale(expected_version, score_version(current)):
        now = f"{current.total} điểm, ghi chú {versions.quoted(current.note)}" if current else "(chưa chấm)"
        raise Conflict(
            f"Cột điểm {'chi bộ tự chấm' if column == ScoreColumn.CELL else 'cấp trên chấm'} vừa được người khác "
            f"lưu nên điểm của bạn chưa được ghi. Hiện tại: {now}. Hãy xem lại rồi lưu lại."
        )
    book = rulebook_of(m)
    criteria = book.scorecard.criteria_for(m.kind)
    facts = meeting_facts(m)
    merged: dict[str, int] = {}
    errors = {}
    for c in criteria:
        auto = engine.auto_score(c, facts, book)
        value = entries.get(c.code)
        if column == ScoreColumn.CELL and auto is not None:
            merged[c.code] = auto
        elif value is None:
            merged[c.code] = auto if auto is not None else 0
        elif not isinstance(value, int) or not 0 <= value <= c.points:
            errors[c.code] = f"{c.title}: điểm phải từ 0 đến {c.points}."
        else:
            merged[c.code] = value
    if errors:
        raise ValidationError(errors)
    result = engine.grade(merged, criteria, book.scorecard)
    sheet, _ = ScoreSheet.objects.update_or_create(
        meeting=m, column=column,
        defaults={"entries": merged, "total": result.total, "grade": result.band.grade, "scorer": actor if getattr(actor, "pk", None) else None,
                  "note": vntext.clean(note, multiline=True), "updated_at": timezone.now()},
    )
    _audit(actor, m, AuditAction.UPDATE, {"score": ["", f"{column}: {result.total} — {result.band.label}"]}, sheet)
    return sheet


@transaction.atomic
def read_back(*, actor: Any, meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """The minutes were read to the cell before closing."""
    m = _writable(meeting)
    _require_running(m)
    now = _now(now)
    m.items.filter(started_at__isnull=False, ended_at__isnull=True).update(ended_at=now)
    m.minutes_read_at = now
    m.ended_at = now
    m.status = MeetingStatus.CLOSED
    m.save()
    _audit(actor, m, AuditAction.UPDATE, {"status": ["in_progress", "closed"], "minutes_read_at": ["", now.isoformat()]})
    return m


@transaction.atomic
def approve(*, actor: Any, meeting: Meeting) -> Meeting:
    """Lock the record and freeze its snapshot and figures."""
    from chibo.meetings.selectors import judge, snapshot

    m = _writable(meeting)
    if m.minutes_read_at is None:
        raise ValidationError("Biên bản chưa được đọc lại trước chi bộ.")
    if m.votes.filter(closed_at__isnull=True).exists():
        raise ValidationError("Còn biểu quyết chưa kết thúc.")
    if not m.scores.filter(column=ScoreColumn.CELL).exists():
        raise ValidationError("Chi bộ chưa chấm điểm buổi sinh hoạt.")
    # The cell column's data-proved criteria are refreshed now that the minutes are read back.
    cell_sheet = m.scores.get(column=ScoreColumn.CELL)
    save_score(actor=actor, meeting=m, column=ScoreColumn.CELL, entries=cell_sheet.entries, note=cell_sheet.note)
    verdict = judge(m)
    m.snapshot = snapshot(m, verdict)
    m.fig_base = verdict.attendance.base
    m.fig_present = verdict.attendance.present
    m.fig_excused = verdict.attendance.excused
    m.fig_unexcused = verdict.attendance.unexcused
    m.fig_duration = verdict.facts.duration_minutes
    m.fig_speakers = verdict.facts.speakers
    m.fig_score = verdict.cell_grade.total if verdict.cell_grade else None
    scored = m.snapshot.get("scores", {})
    m.fig_upper = scored.get(ScoreColumn.UPPER, {}).get("total")  # (the dashboards' meeting lists)
    m.fig_peer = scored.get(ScoreColumn.PEER, {}).get("total")
    m.fig_grade = verdict.cell_grade.band.grade if verdict.cell_grade else ""
    m.fig_breaches = len(verdict.breaches)
    m.status = MeetingStatus.APPROVED
    m.approved_at = timezone.now()
    m.approved_by = actor if getattr(actor, "pk", None) else None
    m.save()
    _audit(actor, m, AuditAction.UPDATE, {"status": ["closed", "approved"], "grade": ["", m.fig_grade]})
    from chibo.documents.numbering import assign_on_approval  # the resolution number, same transaction

    assign_on_approval(actor=actor, meeting=m)
    _summaries(m)
    return m


@transaction.atomic
def add_amendment(*, actor: Any, meeting: Meeting, text: str) -> Amendment:
    m = Meeting.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=meeting.pk)
    if not m.is_locked:
        raise ValidationError("Biên bản chưa duyệt: hãy sửa trực tiếp thay vì đính chính.")
    text = vntext.clean(text, multiline=True)
    if not text:
        raise ValidationError({"text": "Thiếu nội dung đính chính."})
    amendment = Amendment.objects.create(meeting=m, text=text, author=actor if getattr(actor, "pk", None) else None)
    # The record changed: a new version, so every cached rendering of it is outdated (record_cache).
    Meeting.objects.filter(pk=m.pk).update(version=F("version") + 1, parts_version=F("parts_version") + 1)
    meeting.version = m.version + 1
    _audit(actor, m, AuditAction.CREATE, {"amendment": ["", text[:200]]}, amendment)
    return amendment
