"""The meeting record as documents read it: one plain structure, built in a fixed number of queries.

An approved meeting is read from what approval froze (Meeting.snapshot: attendance with names,
figures, votes, scores, breaches; the fig_* columns); a meeting not yet approved is judged now
with the same selectors (chibo.meetings.selectors.judge/snapshot), so drafts and final documents
come out of one code path. Every document builder reads only this structure: nothing is retyped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from chibo.core import vntext
from chibo.meetings import selectors
from chibo.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    ScoreColumn,
    ScoreSheet,
    Speech,
    TaskReport,
)
from chibo.meetings.services import rulebook_of
from chibo.members.models import Member, PartyPosition

HELD = (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED, MeetingStatus.APPROVED)
_UPPER_PREFIX = re.compile(r"^(Đảng ủy|Đảng uỷ|Đảng bộ|Chi bộ)\s+", re.IGNORECASE)
_PLACE_PREFIX = re.compile(
    r"^(Đảng ủy|Đảng uỷ|Đảng bộ|Chi bộ)\s+(cơ sở\s+)?(xã|phường|thị trấn|đặc khu|tỉnh|thành phố|huyện|quận|thị xã|khối)?\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Absentee:
    name: str
    reason: str = ""


@dataclass(frozen=True)
class RosterLine:
    name: str
    category: str  # Chính thức / Dự bị (+ tạm thời)
    status: str
    reason: str
    position: str
    present: bool


@dataclass(frozen=True)
class GuestLine:
    name: str
    position: str
    upper: bool


@dataclass(frozen=True)
class SpeechLine:
    speaker: str
    summary: str
    guest: bool
    position: str = ""


@dataclass(frozen=True)
class ItemLine:
    order: int
    code: str
    title: str
    speeches: tuple[SpeechLine, ...]
    conclusion: str


@dataclass(frozen=True)
class TaskLine:
    title: str
    owner: str
    due: dt.date | None
    group: bool = False  # owner is a tổ đảng, not a person


@dataclass(frozen=True)
class ReportLine:
    title: str
    owner: str
    result: str
    done: bool


@dataclass(frozen=True)
class VoteLine:
    subject: str
    eligible: int
    in_favour: int
    against: int
    other: int
    passed: bool | None


@dataclass(frozen=True)
class ScoreRow:
    code: str
    title: str
    points: int
    cell: int | None
    upper: int | None


@dataclass(frozen=True)
class Sheet:
    total: int
    grade: str
    label: str
    scorer: str


@dataclass
class Record:
    meeting_id: int
    approved: bool
    held: bool
    published: bool
    kind: str
    kind_label: str
    title: str
    cell_name: str
    upper_name: str  # the upper Party organisation (issuing body, first line)
    place_name: str  # for "…, ngày … tháng … năm …"
    place: str
    scheduled_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    read_at: dt.datetime | None
    approved_at: dt.datetime | None
    topic_title: str
    presenter: str
    total: int = 0
    full: int = 0
    probationary: int = 0
    incoming: int = 0
    exempt: int = 0
    away: int = 0
    present_full: int = 0
    present_probationary: int = 0
    present_incoming: int = 0
    present_total: int = 0
    base: int = 0
    present_in_base: int = 0
    rate_percent: float = 0.0
    duration_minutes: int | None = None
    speakers: int = 0
    excused: list[Absentee] = field(default_factory=list)
    unexcused: list[Absentee] = field(default_factory=list)
    roster: list[RosterLine] = field(default_factory=list)
    guests: list[GuestLine] = field(default_factory=list)
    chair: str = ""
    chair_position: str = ""
    secretary: str = ""
    cell_secretary: str = ""  # the cell's bí thư (signs T/M CHI BỘ when not chairing)
    items: list[ItemLine] = field(default_factory=list)
    news_titles: list[str] = field(default_factory=list)  # the bulletin read at current affairs
    tasks: list[TaskLine] = field(default_factory=list)
    reports: list[ReportLine] = field(default_factory=list)
    votes: list[VoteLine] = field(default_factory=list)
    scores: list[ScoreRow] = field(default_factory=list)
    cell_sheet: Sheet | None = None
    upper_sheet: Sheet | None = None
    grade_label: str = ""
    score: int | None = None
    breaches: list[str] = field(default_factory=list)
    amendments: list[tuple[dt.datetime, str]] = field(default_factory=list)
    dues_count: int = 0
    dues_total: int = 0
    number_symbol: str = ""  # "07-NQ/CB" once issued at approval
    number_type: str = ""  # NQ / KL
    rulebook_name: str = ""
    planned_agenda: list[str] = field(default_factory=list)  # the rulebook's agenda for the kind
    topic: Any = None

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.scheduled_at).date()

    @property
    def month_label(self) -> str:
        return f"tháng {self.day.month:02d} năm {self.day.year}"

    @property
    def vote(self) -> VoteLine | None:
        return self.votes[-1] if self.votes else None

    @property
    def upper_guests(self) -> list[GuestLine]:
        return [g for g in self.guests if g.upper]

    def speech_lines(self) -> list[SpeechLine]:
        return [s for i in self.items for s in i.speeches]


def upper_line(name: str) -> str:
    """ "Đảng ủy xã An Bình" → "Đảng bộ xã An Bình" (the issuing body is the Party organisation)."""
    return _UPPER_PREFIX.sub("Đảng bộ ", name, count=1) if name.lower().startswith(("đảng ủy", "đảng uỷ")) else name


def place_of(name: str) -> str:
    stripped = _PLACE_PREFIX.sub("", name, count=1).strip()
    return stripped or name


def _category(row: Attendance) -> str:
    base = "Chính thức" if row.is_full else "Dự bị"
    return f"{base}, sinh hoạt tạm thời" if row.is_incoming else base


def _user_name(user: Any) -> str:
    if user is None:
        return ""
    member = getattr(user, "member", None)
    return member.full_name if member else str(user)


def meeting_with_everything(meeting_id: int) -> Meeting:
    return (
        Meeting.objects.select_related("organisation", "organisation__parent", "chair", "secretary", "topic",
                                       "topic__presenter", "topic__presenter_group", "issued_number")
        .prefetch_related(
            "items",
            Prefetch("attendance", queryset=Attendance.objects.select_related("member").order_by("member__sort_key", "id")),
            Prefetch("speeches", queryset=Speech.objects.select_related("member", "guest", "item").order_by("created_at", "id")),
            "guests", "votes", "amendments",
            Prefetch("scores", queryset=ScoreSheet.objects.select_related("scorer", "scorer__member")),
            "tasks_assigned__assignee", "tasks_assigned__assignee_group",
            Prefetch("task_reports", queryset=TaskReport.objects.select_related("task__assignee", "task__assignee_group")),
        )
        .get(pk=meeting_id)
    )


def build(meeting: Meeting | int) -> Record:
    """The record of MEETING for documents (approved: the frozen snapshot; else judged now)."""
    m = meeting_with_everything(meeting if isinstance(meeting, int) else meeting.pk)
    book = rulebook_of(m)
    approved = m.status == MeetingStatus.APPROVED and bool(m.snapshot)
    snap = m.snapshot if approved else selectors.snapshot(m, selectors.judge(m))
    cell = m.organisation
    upper = cell.parent
    topic = m.topic
    rec = Record(
        meeting_id=m.pk, approved=approved, held=m.status in HELD, published=m.published_at is not None,
        kind=m.kind, kind_label=m.get_kind_display(), title=m.title, cell_name=cell.name,
        upper_name=upper_line(upper.name) if upper else "", place_name=place_of(upper.name if upper else cell.name),
        place=m.place, scheduled_at=m.scheduled_at, started_at=m.started_at, ended_at=m.ended_at,
        read_at=m.minutes_read_at, approved_at=m.approved_at,
        topic_title=topic.title if topic else "",
        presenter=(topic.presenter.full_name if topic and topic.presenter else
                   (topic.presenter_group.name if topic and topic.presenter_group else "")),
        chair_position=m.chair.party_position if m.chair else "",
        rulebook_name=book.name, topic=topic,
        planned_agenda=[step.title for step in book.agenda.get(m.kind, ())],
    )
    secretary_member = (
        Member.objects.filter(organisation=cell, party_position=PartyPosition.SECRETARY, left_at__isnull=True)
        .order_by("id").first()
    )
    # Attendance: the snapshot's names/statuses; the standing flags from the rows drawn at the roster.
    frozen = {a["member_id"]: a for a in snap.get("attendance", [])}

    def name_of(member: Member | None) -> str:
        """The name as approved (a later rename does not rewrite an approved record)."""
        if member is None:
            return ""
        return frozen.get(member.pk, {}).get("name") or member.full_name

    rec.chair, rec.secretary = name_of(m.chair), name_of(m.secretary)
    rec.cell_secretary = name_of(secretary_member) if secretary_member else rec.chair
    rows = list(m.attendance.all())
    labels = dict(AttendanceStatus.choices)
    positions = dict(PartyPosition.choices)
    lines = []
    for row in rows:
        f = frozen.get(row.member_id, {})
        name = f.get("name") or row.member.full_name
        status = f.get("status", row.status)
        reason = f.get("reason", row.reason) or ""
        rec.total += 1
        rec.full += int(row.is_full and not row.is_incoming)
        rec.probationary += int(not row.is_full and not row.is_incoming)
        rec.incoming += int(row.is_incoming)
        rec.exempt += int(row.is_exempt)
        rec.away += int(row.is_away)
        present = status == AttendanceStatus.PRESENT
        if present:
            rec.present_total += 1
            if row.is_incoming:
                rec.present_incoming += 1
            elif row.is_full:
                rec.present_full += 1
            else:
                rec.present_probationary += 1
        if status == AttendanceStatus.ABSENT_EXCUSED:
            rec.excused.append(Absentee(name, reason))
        if status == AttendanceStatus.ABSENT_UNEXCUSED:
            rec.unexcused.append(Absentee(name))
        lines.append(RosterLine(
            name=name, category=_category(row), status=labels.get(status, "Chưa điểm danh") if status else "Chưa điểm danh",
            reason=reason, position=positions.get(row.member.party_position, "") if row.member.party_position else "",
            present=present,
        ))
        if row.dues_collected:
            rec.dues_count += 1
            rec.dues_total += row.dues_amount
    key = vntext.name_sort_key
    rec.roster = sorted(lines, key=lambda r: key(r.name))
    rec.excused.sort(key=lambda a: key(a.name))
    rec.unexcused.sort(key=lambda a: key(a.name))
    figures = snap.get("figures", {})
    rec.base = figures.get("base", 0)
    rec.present_in_base = figures.get("present", 0)
    rec.rate_percent = figures.get("rate_percent", 0.0)
    rec.duration_minutes = figures.get("duration_minutes")
    rec.speakers = figures.get("speakers", 0)

    rec.guests = [GuestLine(g.name, g.position, g.is_upper_officer) for g in m.guests.all()]
    by_item: dict[int | None, list[SpeechLine]] = {}
    for s in m.speeches.all():
        if s.member_id:
            line = SpeechLine(name_of(s.member), s.summary, False)
        else:
            line = SpeechLine(s.guest.name, s.summary, True, s.guest.position)
        by_item.setdefault(s.item_id, []).append(line)
    items = sorted(m.items.all(), key=lambda i: (i.order, i.id))
    rec.items = [
        ItemLine(i.order, i.code, i.title, tuple(by_item.get(i.pk, ())), i.conclusion)
        for i in items
    ]
    if by_item.get(None):
        rec.items.append(ItemLine(len(items) + 1, "other", "Ý kiến khác", tuple(by_item[None]), ""))
    from chibo.bulletin.selectors import titles_for_meeting

    rec.news_titles = titles_for_meeting(m)

    def owner(task: Any) -> str:
        return name_of(task.assignee) if task.assignee else (task.assignee_group.name if task.assignee_group else "")

    rec.tasks = [TaskLine(t.title, owner(t), t.due_date, t.assignee_id is None and t.assignee_group_id is not None)
                 for t in sorted(m.tasks_assigned.all(), key=lambda t: (t.due_date or dt.date.max, t.id))]
    rec.reports = [ReportLine(r.task.title, owner(r.task), r.text, r.done)
                   for r in sorted(m.task_reports.all(), key=lambda r: r.id)]
    rec.votes = [
        VoteLine(v["subject"], v["eligible"], v["for"], v["against"], v["other"], v["passed"])
        for v in snap.get("votes", [])
    ]
    sheets = {s.column: s for s in m.scores.all()}
    snap_scores = snap.get("scores", {})
    criteria = book.scorecard.criteria_for(m.kind)
    cell_entries = snap_scores.get(ScoreColumn.CELL, {}).get("entries", {})
    upper_entries = snap_scores.get(ScoreColumn.UPPER, {}).get("entries", {})
    rec.scores = [
        ScoreRow(c.code, c.title, c.points, cell_entries.get(c.code), upper_entries.get(c.code))
        for c in criteria
    ]
    band_labels = {b.grade: b.label for b in book.scorecard.bands}
    for column, attr in ((ScoreColumn.CELL, "cell_sheet"), (ScoreColumn.UPPER, "upper_sheet")):
        data = snap_scores.get(column)
        if data:
            setattr(rec, attr, Sheet(data["total"], data["grade"], band_labels.get(data["grade"], data["grade"]),
                                     _user_name(sheets[column].scorer) if column in sheets else ""))
    if approved:
        rec.score, rec.grade_label = m.fig_score, band_labels.get(m.fig_grade, m.fig_grade)
    elif rec.cell_sheet:
        rec.score, rec.grade_label = rec.cell_sheet.total, rec.cell_sheet.label
    rec.breaches = [b.get("message", "") for b in snap.get("breaches", [])]
    rec.amendments = [(a.created_at, a.text) for a in m.amendments.all()]
    issued = getattr(m, "issued_number", None) if approved else None
    if issued is not None:
        rec.number_symbol, rec.number_type = issued.symbol, issued.doc_type
    return rec


def kind_is_thematic(kind: str) -> bool:
    return kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED)
