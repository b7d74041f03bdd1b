"""Reads over meetings: the facts the rules judge, the verdict, the plan, the live screen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.core import rawsql
from chibo.meetings import judge_cache
from chibo.meetings.models import (
    AttendanceStatus,
    DocumentKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    ScoreColumn,
    Task,
    TaskReport,
    TaskStatus,
)
from chibo.meetings.services import rulebook_of
from chibo.organisations.models import Organisation, under
from chibo.rules import engine, loader

HELD = (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED, MeetingStatus.APPROVED)


def visible_meetings(user: Any) -> QuerySet[Meeting]:
    return Meeting.objects.filter(get_scope(user).q(Perm.MEETING_VIEW, "organisation__path"))


def meetings_of(cell: Organisation, year: int | None = None) -> QuerySet[Meeting]:
    qs = Meeting.objects.filter(organisation=cell)
    if year:
        qs = qs.filter(scheduled_at__year=year)
    return qs.order_by("scheduled_at")


def plan_warnings(cell: Organisation, year: int) -> list[str]:
    book = loader.get(None) if not cell.is_cell else rulebook_for_cell(cell)
    planned = [
        engine.PlannedMeeting(kind=m.kind, day=timezone.localtime(m.scheduled_at).date())
        for m in meetings_of(cell, year).only("kind", "scheduled_at")
    ]
    return engine.plan_warnings(planned, year, book)


def rulebook_for_cell(cell: Organisation) -> loader.Rulebook:
    from chibo.organisations.selectors import effective_rulebook

    return effective_rulebook(cell)


def open_tasks_for(meeting: Meeting) -> QuerySet[Task]:
    """Tasks to review at MEETING: open ones assigned earlier, and those reported at it."""
    return (
        Task.objects.filter(organisation=meeting.organisation)
        .filter(Q(status=TaskStatus.OPEN) | Q(reports__meeting=meeting))
        .exclude(meeting=meeting)
        .select_related("assignee", "assignee_group")
        .distinct()
        .order_by("due_date", "id")
    )


def duration_minutes(meeting: Meeting) -> int | None:
    """Real duration from the recorded step times (first start to last end)."""
    starts = [i.started_at for i in meeting.items.all() if i.started_at]
    ends = [i.ended_at for i in meeting.items.all() if i.ended_at]
    begin = min(starts) if starts else meeting.started_at
    end = max(ends) if ends else meeting.ended_at
    if begin is None or end is None or end < begin:
        return None
    return int((end - begin).total_seconds() // 60)


def excused_runs(meeting: Meeting) -> dict[int, int]:
    """For members excused at MEETING: their run of excused absences this year, incl. this one."""
    ids = [a.member_id for a in meeting.attendance.all() if a.status == AttendanceStatus.ABSENT_EXCUSED]
    if not ids:
        return {}
    if not judge_cache.usable(meeting):  # nothing to key an entry by: one read, as before
        return _excused_runs_read(meeting, ids)
    kept = judge_cache.remembered(meeting, "runs", lambda: _approved_history(meeting))
    if kept["live"]:  # another held meeting of the window is not approved yet: its roll is read now
        return _excused_runs_read(meeting, ids)
    # The approved meetings' rows, kept, and this meeting's own, as loaded: in the order of the read.
    own = {a.member_id: a.status for a in meeting.attendance.all()} if meeting.status in HELD else {}
    runs = {}
    for i in ids:
        rows = list(kept["rows"].get(i, ()))
        if i in own:
            rows.append((meeting.scheduled_at, meeting.pk, own[i]))
        rows.sort(key=lambda row: (row[0], row[1]))
        runs[i] = engine.trailing_excused_run([status for _, _, status in rows])
    return runs


def _held_window(meeting: Meeting) -> Q:
    """MEETING's window for the excused runs: the meetings of its cell and year up to its time."""
    year = timezone.localtime(meeting.scheduled_at).year
    return Q(organisation=meeting.organisation_id, scheduled_at__year=year, scheduled_at__lte=meeting.scheduled_at)


def _approved_history(meeting: Meeting) -> dict[str, Any]:
    """What judge_cache keeps for excused_runs(): every row of the window's approved meetings but
    MEETING (per member, in the order of the read), and whether another held meeting of the window
    is not approved yet ("live": its roll can change without touching the cell)."""
    from chibo.meetings.models import Attendance

    window = Meeting.objects.filter(_held_window(meeting)).exclude(pk=meeting.pk)
    live = window.filter(status__in=[s for s in HELD if s != MeetingStatus.APPROVED]).exists()
    rows: dict[int, list[tuple[Any, int, str]]] = {}
    if not live:
        approved = window.filter(status=MeetingStatus.APPROVED).values("pk")
        for member_id, when, meeting_id, status in (
            Attendance.objects.filter(meeting_id__in=approved)
            .order_by("meeting__scheduled_at", "meeting_id")
            .values_list("member_id", "meeting__scheduled_at", "meeting_id", "status")
        ):
            rows.setdefault(member_id, []).append((when, meeting_id, status))
    return {"live": live, "rows": rows}


def _excused_runs_read(meeting: Meeting, ids: list[int]) -> dict[int, int]:
    """excused_runs() read from the database, this meeting's rows included."""
    year = timezone.localtime(meeting.scheduled_at).year
    from chibo.meetings.models import Attendance

    history: dict[int, list[str]] = {i: [] for i in ids}
    rows = (
        Attendance.objects.filter(
            member_id__in=ids, meeting__organisation=meeting.organisation,
            meeting__scheduled_at__year=year, meeting__scheduled_at__lte=meeting.scheduled_at,
            meeting__status__in=HELD,
        )
        .order_by("meeting__scheduled_at", "meeting_id")
        .values_list("member_id", "status")
    )
    for member_id, status in rows:
        history[member_id].append(status)
    return {i: engine.trailing_excused_run(h) for i, h in history.items()}


def shown_runs(meeting: Meeting) -> dict[int, int]:
    """The excused runs the roll call shows: an approved meeting's as its approval froze them (a
    meeting approved before they were frozen: computed now), else excused_runs()."""
    frozen = (meeting.snapshot or {}).get("excused_runs") if meeting.status == MeetingStatus.APPROVED else None
    if frozen is not None:
        return {int(k): v for k, v in frozen.items()}
    return excused_runs(meeting)


def minutes_missing(meeting: Meeting) -> list[str]:
    """What the minutes still lack (empty list = complete)."""
    missing = []
    if meeting.chair_id is None:
        missing.append("Chưa ghi người chủ trì.")
    if meeting.secretary_id is None:
        missing.append("Chưa cử thư ký.")
    rows = list(meeting.attendance.all())
    unmarked = [a for a in rows if not a.status]
    if unmarked:
        missing.append(f"Còn {len(unmarked)} đảng viên chưa điểm danh.")
    if any(a.status == AttendanceStatus.ABSENT_EXCUSED and not a.reason for a in rows):
        missing.append("Có đảng viên vắng có lý do chưa ghi lý do.")
    if not any(i.conclusion for i in meeting.items.all()):
        missing.append("Chưa ghi kết luận của chủ trì.")
    if not meeting.votes.exists():
        missing.append("Chưa biểu quyết nghị quyết/kết luận.")
    return missing


def _task_counts(meeting: Meeting) -> tuple[int, int]:
    """The tasks to review at MEETING and how many of them were reported at it: one query."""
    tasks = list(
        open_tasks_for(meeting)
        .select_related(None)
        .annotate(reported_here=Exists(TaskReport.objects.filter(task=OuterRef("pk"), meeting=meeting)))
        .values_list("pk", "reported_here")
    )
    return len(tasks), sum(1 for _, reported in tasks if reported)


def meeting_facts(meeting: Meeting) -> engine.MeetingFacts:
    loaded = getattr(meeting, "_prefetched_objects_cache", {})
    # The roll and the votes as the screen loaded them (roll_call_screen/live_screen), else a query.
    if "attendance" in loaded:
        attendance = list(meeting.attendance.all())
    else:
        attendance = list(meeting.attendance.select_related("member"))
    if "votes" in loaded:
        closed = [(v.closed_at, v) for v in meeting.votes.all() if v.closed_at is not None]
        vote = max(closed, key=lambda pair: pair[0])[1] if closed else None
    else:
        vote = meeting.votes.filter(closed_at__isnull=False).order_by("-closed_at").first()
    speakers = {s.member_id for s in meeting.speeches.all() if s.member_id}
    # Tasks to review and how many were reported at this meeting (kept: judge_cache).
    open_tasks, reviewed_tasks = judge_cache.remembered(meeting, "tasks", lambda: _task_counts(meeting))
    docs = list(meeting.documents.all())
    presenter_ok = False
    if meeting.has_thematic_part and meeting.topic_id:
        topic = meeting.topic
        presenter_speeches = [
            s for s in meeting.speeches.select_related("item").all()
            if s.item and s.item.code == "presentation" and s.member_id
        ]
        if topic and topic.presenter_id:
            presenter_ok = any(s.member_id == topic.presenter_id for s in presenter_speeches)
        elif topic and topic.presenter_group_id:
            group_ids = {a.member_id for a in attendance if a.member.party_group_id == topic.presenter_group_id}
            presenter_ok = any(s.member_id in group_ids for s in presenter_speeches)
    return engine.MeetingFacts(
        kind=meeting.kind,
        scheduled_at=meeting.scheduled_at,
        attendees=tuple(a.facts() for a in attendance if a.status),
        duration_minutes=duration_minutes(meeting),
        published_at=meeting.published_at if docs else None,
        notice_sent=meeting.published_at is not None,
        notice_to_upper=meeting.notice_to_upper_at is not None,
        prepared=meeting.preparer_id is not None and meeting.pre_meeting_at is not None,
        speakers=len(speakers),
        open_tasks=open_tasks,
        reviewed_tasks=reviewed_tasks,
        vote_in_favour=vote.in_favour if vote else None,
        vote_eligible=vote.eligible_count if vote else None,
        minutes_complete=not minutes_missing(meeting),
        minutes_read_back=meeting.minutes_read_at is not None,
        thematic_draft_ready=any(d.kind == DocumentKind.THEMATIC_DRAFT for d in docs)
        and meeting.published_at is not None,
        presented_by_assignee=presenter_ok,
        excused_runs=excused_runs(meeting),
        member_names={a.member_id: a.member.full_name for a in attendance},
    )


@dataclass(frozen=True)
class Verdict:
    book: loader.Rulebook
    facts: engine.MeetingFacts
    attendance: engine.AttendanceFigures
    breaches: list[engine.Breach]
    auto: dict[str, int | None]
    cell_grade: engine.Grade | None
    upper_grade: engine.Grade | None
    minutes_missing: list[str]

    @property
    def speakers(self) -> int:
        return self.facts.speakers


def judge(meeting: Meeting, book: loader.Rulebook | None = None) -> Verdict:
    """BOOK: the meeting's rulebook when the caller has it already (rulebook_of costs a query)."""
    book = book or rulebook_of(meeting)
    facts = meeting_facts(meeting)
    criteria = book.scorecard.criteria_for(meeting.kind)
    sheets = {s.column: s for s in meeting.scores.all()}

    def graded(column: str) -> engine.Grade | None:
        sheet = sheets.get(column)
        if sheet is None:
            return None
        return engine.grade(
            {k: v for k, v in sheet.entries.items() if k in {c.code for c in criteria}}, criteria, book.scorecard
        )

    return Verdict(
        book=book,
        facts=facts,
        attendance=engine.attendance(facts.attendees, book.attendance),
        breaches=engine.breaches(facts, book),
        auto={c.code: engine.auto_score(c, facts, book) for c in criteria},
        cell_grade=graded(ScoreColumn.CELL),
        upper_grade=graded(ScoreColumn.UPPER),
        minutes_missing=minutes_missing(meeting),
    )


@dataclass(frozen=True)
class Record:
    """What an approved meeting's snapshot froze, in the shape the record page reads.

    Approval stores the verdict (`snapshot`, `fig_*`); the page shows that, not a re-judgement
    with today's data (tasks closed since, later meetings): it is what the minutes say was judged.
    """

    book: loader.Rulebook
    speakers: int
    breaches: list[engine.Breach]
    auto: dict[str, int | None]
    cell_grade: engine.Grade | None
    upper_grade: engine.Grade | None
    minutes_missing: list[str]


def recorded(meeting: Meeting, book: loader.Rulebook) -> Record:
    """The frozen verdict of an approved MEETING (no queries: reads `snapshot` and `fig_*`)."""
    snap = meeting.snapshot or {}
    criteria = book.scorecard.criteria_for(meeting.kind)
    codes = {c.code for c in criteria}
    scores = snap.get("scores", {})

    def graded(column: str) -> engine.Grade | None:
        sheet = scores.get(column)
        if not sheet:
            return None
        return engine.grade(
            {k: v for k, v in sheet.get("entries", {}).items() if k in codes}, criteria, book.scorecard
        )

    # Approval refreshes the cell column's data-proved criteria, so its entries are the auto values.
    cell_entries = scores.get(ScoreColumn.CELL, {}).get("entries", {})
    return Record(
        book=book,
        speakers=meeting.fig_speakers if meeting.fig_speakers is not None
        else snap.get("figures", {}).get("speakers", 0),
        breaches=[engine.Breach(b.get("code", ""), b.get("message", "")) for b in snap.get("breaches", [])],
        auto={c.code: cell_entries.get(c.code, 0) if c.auto is not None else None for c in criteria},
        cell_grade=graded(ScoreColumn.CELL),
        upper_grade=graded(ScoreColumn.UPPER),
        minutes_missing=[],
    )


def snapshot(meeting: Meeting, verdict: Verdict) -> dict[str, Any]:
    """What the approved record said: attendance, eligibility, votes, score, breaches."""
    return {
        "rulebook": {"code": verdict.book.code, "version": verdict.book.version, "name": verdict.book.name},
        "attendance": [
            {"member_id": a.member_id, "name": a.member.full_name, "status": a.status, "reason": a.reason,
             "is_full": a.is_full, "is_exempt": a.is_exempt, "is_away": a.is_away}
            for a in meeting.attendance.select_related("member").order_by("member__sort_key", "member_id")
        ],
        "figures": {
            "base": verdict.attendance.base, "present": verdict.attendance.present,
            "rate_percent": round(verdict.attendance.rate_percent, 1),
            "excused": verdict.attendance.excused, "unexcused": verdict.attendance.unexcused,
            "duration_minutes": verdict.facts.duration_minutes, "speakers": verdict.facts.speakers,
        },
        "votes": [
            {"subject": v.subject, "eligible_ids": v.eligible_ids, "eligible": v.eligible_count,
             "for": v.in_favour, "against": v.against, "other": v.other, "passed": v.passed}
            for v in meeting.votes.all()
        ],
        "scores": {
            s.column: {"entries": s.entries, "total": s.total, "grade": s.grade} for s in meeting.scores.all()
        },
        "breaches": [{"code": b.code, "message": b.message} for b in verdict.breaches],
        # The record page shows each excused member's run as it was judged (str keys: JSON).
        "excused_runs": {str(k): v for k, v in verdict.facts.excused_runs.items()},
        "approved_at": timezone.now().isoformat(),
    }


def use_approved_names(meeting: Meeting, extra: Iterable[Any] = ()) -> None:
    """Show the people of approved MEETING (loaded by live_screen) by the names its approval froze,
    as the official minutes do: a later rename does not rewrite an approved record. In memory only
    (the member rows are not saved); people who are not on the roll keep their current name."""
    frozen = {a.get("member_id"): a.get("name") for a in (meeting.snapshot or {}).get("attendance", [])}
    if not frozen:
        return
    cache = getattr(meeting, "_prefetched_objects_cache", {})
    people: list[Any] = [meeting.chair, meeting.secretary, meeting.preparer, *extra]
    if "attendance" in cache:
        people += [a.member for a in meeting.attendance.all()]
    if "speeches" in cache:
        people += [s.member for s in meeting.speeches.all()]
    if "tasks_assigned" in cache:
        people += [t.assignee for t in meeting.tasks_assigned.all()]
    for person in people:
        if person is not None and frozen.get(person.pk):
            person.full_name = frozen[person.pk]


def upcoming_for_cell(cell: Organisation, *, now: dt.datetime | None = None) -> Meeting | None:
    now = now or timezone.now()
    return (
        Meeting.objects.filter(organisation=cell, scheduled_at__gte=now - dt.timedelta(hours=12))
        .exclude(status=MeetingStatus.APPROVED)
        .order_by("scheduled_at")
        .first()
    )


# What the screens read of a member joined to another row (a name, the group for the thematic
# presenter check, birth date and gender for the dues panel): loading all ~30 member columns per
# row was a large part of the page's time.
MEMBER_BRIEF = ("full_name", "sort_key", "party_group_id", "organisation_id", "birth_date", "gender")


def _brief(qs: QuerySet[Any], *members: str) -> QuerySet[Any]:
    """QS with its own columns and only MEMBER_BRIEF of each related member in MEMBERS."""
    own = [f.attname for f in qs.model._meta.concrete_fields]
    return qs.select_related(*members).only(*own, *(f"{m}__{f}" for m in members for f in MEMBER_BRIEF))


def roll_of(meeting: Meeting) -> QuerySet[Any]:
    """MEETING's roll in roll order, each row with the brief of its member (what the roll call,
    the figures and the speaker list show): the roll-call mark reads it under its lock."""
    return _brief(meeting.attendance.order_by("member__sort_key"), "member")


@cache
def _roll_sql(db: str) -> tuple[str, tuple[rawsql.Shape, rawsql.Shape]]:
    from chibo.meetings.models import Attendance
    from chibo.members.models import Member

    qn = connections[db].ops.quote_name
    row, member = rawsql.shape(Attendance), rawsql.shape(Member, MEMBER_BRIEF)
    sql = (
        f"SELECT {row.columns(db, 'a')}, {member.columns(db, 'mb')} "
        f"FROM {qn(Attendance._meta.db_table)} a "
        f"INNER JOIN {qn(Member._meta.db_table)} mb ON mb.{qn(rawsql.column(Member))} = a.{qn(rawsql.column(Attendance, 'member'))} "
        f"WHERE a.{qn(rawsql.column(Attendance, 'meeting'))} = %s ORDER BY mb.{qn(rawsql.column(Member, 'sort_key'))} ASC"
    )
    return sql, (row, member)


BULLETIN = "bulletin"  # the reverse one-to-one of bulletin.Bulletin (read through Meeting's meta)


@cache
def _meeting_sql(db: str, bulletin: bool) -> tuple[str, tuple[rawsql.Shape, ...]]:
    from chibo.organisations.models import Organisation

    qn = connections[db].ops.quote_name
    meeting, cell, parent = rawsql.shape(Meeting), rawsql.shape(Organisation), rawsql.shape(Organisation)
    org_table, org_pk = qn(Organisation._meta.db_table), qn(rawsql.column(Organisation))
    m_pk = qn(rawsql.column(Meeting))
    shapes: tuple[rawsql.Shape, ...] = (meeting, cell, parent)
    columns = f"{meeting.columns(db, 'm')}, {cell.columns(db, 'o')}, {parent.columns(db, 'p')}"
    joins = (
        f"INNER JOIN {org_table} o ON o.{org_pk} = m.{qn(rawsql.column(Meeting, 'organisation'))} "
        f"LEFT OUTER JOIN {org_table} p ON p.{org_pk} = o.{qn(rawsql.column(Organisation, 'parent'))} "
    )
    if bulletin:
        rel: Any = Meeting._meta.get_field(BULLETIN)
        b = rawsql.shape(rel.related_model)
        shapes += (b,)
        columns += f", {b.columns(db, 'b')}"
        joins += f"LEFT OUTER JOIN {qn(rel.related_model._meta.db_table)} b ON b.{qn(rel.field.column)} = m.{m_pk} "
    sql = f"SELECT {columns} FROM {qn(Meeting._meta.db_table)} m {joins}WHERE m.{m_pk} = %s"
    return sql, shapes


def meeting_with_cell(pk: int, *, bulletin: bool = False) -> Meeting | None:
    """Meeting PK with its cell and the cell's parent (as `select_related("organisation",
    "organisation__parent")` gives them; checked by tests), or None: every meeting page and action
    reads its meeting so (accounts.access.meeting_for_user), and the ORM compiled that joined query
    anew on each request (~1 ms; chibo/core/rawsql.py). PK out of the column's range: None.
    BULLETIN: its bulletin too (`meeting.bulletin`, as select_related("bulletin"); None cached when
    it has none), for the meeting page, which shows it (bulletin.selectors.bulletin_of)."""
    db = router.db_for_read(Meeting)
    low, high = connections[db].ops.integer_field_range(Meeting._meta.pk.get_internal_type())  # type: ignore[union-attr]
    if (low is not None and pk < low) or (high is not None and pk > high):
        return None
    sql, shapes = _meeting_sql(db, bulletin)
    found = rawsql.rows(db, sql, [pk], shapes)
    if not found:
        return None
    meeting, cell, parent, *rest = found[0]
    from chibo.organisations.models import Organisation

    Organisation._meta.get_field("parent").set_cached_value(cell, parent)
    Meeting._meta.get_field("organisation").set_cached_value(meeting, cell)
    if bulletin:
        rel: Any = Meeting._meta.get_field(BULLETIN)  # (the reverse one-to-one: caches as select_related)
        rel.set_cached_value(meeting, rest[0])
        if rest[0] is not None:
            rel.field.set_cached_value(rest[0], meeting)
    return meeting  # type: ignore[no-any-return]


def roll_rows(meeting: Meeting) -> list[Any]:
    """roll_of(MEETING) read: the same rows, columns and order (checked by tests), from SQL written
    once (chibo/core/rawsql.py) — the roll-call mark reads it under its lock on every mark, and the
    ORM's compiling of the joined query was ~0.5 ms of it."""
    from chibo.meetings.models import Attendance

    db = router.db_for_write(Attendance)  # under the mark's lock: the primary
    return roll_read(db, meeting)


def roll_read(db: str, meeting: Meeting, *, before: str = "", params: Sequence[Any] = ()) -> list[Any]:
    """roll_rows() on DB, the statement preceded by BEFORE (a `WITH …` the caller writes with it, on
    PostgreSQL: meetings.services.mark_attendance's mark) whose PARAMS come first."""
    from chibo.meetings.models import Attendance

    sql, shapes = _roll_sql(db)
    cache_member = Attendance._meta.get_field("member").set_cached_value
    cache_meeting = Attendance._meta.get_field("meeting").set_cached_value  # (as meeting.attendance does)
    out = []
    for row, member in rawsql.rows(db, f"{before}{sql}", [*params, meeting.pk], shapes):
        cache_member(row, member)
        cache_meeting(row, meeting)
        out.append(row)
    return out


def live_screen(meeting: Meeting) -> Meeting:
    """One meeting with everything the live screen shows, in a fixed number of queries."""
    from chibo.meetings.models import Amendment, Attendance, MeetingDocument, Speech

    return (
        Meeting.objects.select_related(
            "organisation", "organisation__parent", "chair", "secretary", "preparer", "topic"
        )
        .prefetch_related(
            "items",
            Prefetch("attendance", queryset=_brief(Attendance.objects.order_by("member__sort_key"), "member")),
            Prefetch("speeches", queryset=_brief(Speech.objects.select_related("guest"), "member")),
            "guests", "votes", "scores",
            Prefetch("documents", queryset=MeetingDocument.objects.select_related("uploaded_by").order_by("uploaded_at")),
            Prefetch("tasks_assigned", queryset=_brief(Task.objects.select_related("assignee_group"), "assignee")),
            Prefetch("amendments", queryset=Amendment.objects.select_related("author")),
        )
        .get(pk=meeting.pk)
    )


KIND_LABELS = dict(MeetingKind.choices)


TASK_FILTERS = {
    "mo": "Đang thực hiện",
    "qua-han": "Quá hạn",
    "xong": "Đã hoàn thành",
    "tat-ca": "Tất cả",
}


def visible_tasks(
    user: Any, *, state: str = "mo", org: Organisation | None = None, mine: bool = False,
    today: dt.date | None = None,
) -> QuerySet[Task]:
    """Tasks of the cells USER may read, filtered by STATE (a TASK_FILTERS key), with the latest
    report's text and date annotated so the list costs the same number of queries at any size."""
    today = today or timezone.localdate()
    qs = Task.objects.filter(get_scope(user).q(Perm.MEETING_VIEW, "organisation__path"))
    if org is not None:
        qs = qs.filter(under(org.path, "organisation__"))
    if mine:
        member_id = getattr(user, "member_id", None)
        qs = qs.filter(assignee_id=member_id) if member_id else qs.none()
    if state == "mo":
        qs = qs.filter(status=TaskStatus.OPEN)
    elif state == "qua-han":
        qs = qs.filter(status=TaskStatus.OPEN, due_date__lt=today)
    elif state == "xong":
        qs = qs.filter(status=TaskStatus.DONE)
    latest = TaskReport.objects.filter(task=OuterRef("pk")).order_by(
        "-meeting__scheduled_at", "-id"
    )
    return (
        qs.select_related("organisation", "assignee", "assignee_group", "meeting")
        .annotate(
            last_report_text=Subquery(latest.values("text")[:1]),
            # The report is made at a meeting: its date is the meeting's.
            last_report_at=Subquery(latest.values("meeting__scheduled_at")[:1]),
            open_first=Case(
                When(status=TaskStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
        )
        .order_by("open_first", "due_date", "id")
    )


def judged_parts() -> list[Any]:
    """What judge() reads of a meeting, for prefetch_related: with these loaded it costs only the
    rulebook, the open tasks, their reports and (when someone is excused) the year's attendance."""
    from chibo.meetings.models import Attendance

    return [
        "items",
        Prefetch("attendance", queryset=Attendance.objects.select_related("member").order_by("member__sort_key")),
        "speeches", "votes", "scores", "documents",
    ]


def roll_call_screen(meeting: Meeting) -> Meeting:
    """One meeting with what a roll-call answer re-renders (the row, the figures, the warnings,
    the speaker list, the data-proved scores): live_screen() without the tasks and amendments."""
    return (
        Meeting.objects.select_related("organisation", "topic")
        .prefetch_related(*judged_parts(), "guests")
        .get(pk=meeting.pk)
    )
