"""The rules engine: pure functions that judge a meeting against a rulebook.

Inputs are plain values (no ORM), so every rule is tested at its boundaries without a
database, and the meetings app, dashboards and the generator share one implementation.
Exact comparisons use Fraction: 85% is not "above 85%".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from chibo.rules.loader import AttendanceRule, Band, Criterion, Rulebook, Scorecard, VoteRule

# Attendance statuses (the meetings app stores the same codes).
PRESENT = "present"
ABSENT_EXCUSED = "absent_excused"
ABSENT_UNEXCUSED = "absent_unexcused"
EXEMPT = "exempt"  # miễn sinh hoạt (not expected)
AWAY = "away"  # sinh hoạt tạm thời nơi khác


@dataclass(frozen=True)
class Attendee:
    """What the rules need to know about one member at one meeting."""

    member_id: int
    status: str
    is_full: bool = True
    is_exempt: bool = False
    special_duty: bool = False
    is_away: bool = False
    is_suspended: bool = False


@dataclass(frozen=True)
class AttendanceFigures:
    base: int  # members expected, per the rulebook's exclusions
    present: int  # present among the base
    present_total: int  # everyone marked present (incl. excluded members who came)
    excused: int
    unexcused: int
    exempt: int
    away: int

    @property
    def rate(self) -> Fraction:
        return Fraction(self.present, self.base) if self.base else Fraction(0)

    @property
    def rate_percent(self) -> float:
        return float(self.rate * 100)


def _excluded(a: Attendee, exclusions: frozenset[str]) -> bool:
    return (
        ("exempt" in exclusions and (a.is_exempt or a.status == EXEMPT))
        or ("special_duty" in exclusions and a.special_duty)
        or ("away" in exclusions and (a.is_away or a.status == AWAY))
        or ("suspended" in exclusions and a.is_suspended)
    )


def attendance(attendees: Iterable[Attendee], rule: AttendanceRule) -> AttendanceFigures:
    attendees = list(attendees)
    in_base = [a for a in attendees if not _excluded(a, rule.excluded_from_base)]
    return AttendanceFigures(
        base=len(in_base),
        present=sum(a.status == PRESENT for a in in_base),
        present_total=sum(a.status == PRESENT for a in attendees),
        excused=sum(a.status == ABSENT_EXCUSED for a in in_base),
        unexcused=sum(a.status == ABSENT_UNEXCUSED for a in in_base),
        exempt=sum(a.is_exempt or a.status == EXEMPT for a in attendees),
        away=sum(a.is_away or a.status == AWAY for a in attendees),
    )


def attendance_rate_ok(figures: AttendanceFigures, rule: AttendanceRule) -> bool:
    if figures.base == 0:
        return False
    threshold = rule.min_rate_percent / 100
    return figures.rate > threshold if rule.rate_must_exceed else figures.rate >= threshold


def trailing_excused_run(history: Sequence[str]) -> int:
    """Consecutive 'absent with reason' at the end of a member's history (oldest first)."""
    run = 0
    for status in reversed(history):
        if status == ABSENT_EXCUSED:
            run += 1
        elif status in (EXEMPT, AWAY):
            continue  # not expected at those meetings: neither breaks nor extends the run
        else:
            break
    return run


def vote_eligible(attendees: Iterable[Attendee], rule: VoteRule) -> list[int]:
    """Members whose votes count in the base (QĐ 24-QĐ/TW 9.3.2, by default)."""
    out = []
    for a in attendees:
        if not a.is_full and not rule.probationary_may_vote:
            continue
        ex = rule.excluded_from_base
        if "away" in ex and (a.is_away or a.status == AWAY):
            continue
        if "suspended" in ex and a.is_suspended:
            continue
        if "exempt_absent" in ex and (a.is_exempt or a.status == EXEMPT) and a.status != PRESENT:
            continue
        if "special_duty_absent" in ex and a.special_duty and a.status != PRESENT:
            continue
        out.append(a.member_id)
    return out


def vote_passes(in_favour: int, eligible: int, rule: VoteRule) -> bool:
    """In favour must be MORE than pass_fraction of the eligible members (not of those present)."""
    return eligible > 0 and Fraction(in_favour) > rule.pass_fraction * eligible


def duration_ok(minutes: int, kind: str, book: Rulebook) -> bool:
    return minutes >= book.duration.minimum_for(kind)


def documents_on_time(published_at: dt.datetime | None, scheduled_at: dt.datetime, book: Rulebook) -> bool:
    if published_at is None:
        return False
    return published_at <= scheduled_at - dt.timedelta(days=book.documents.publish_days_before)


# --- the plan -------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedMeeting:
    kind: str
    day: dt.date


def plan_warnings(meetings: Iterable[PlannedMeeting], year: int, book: Rulebook) -> list[str]:
    regular_by_month = dict.fromkeys(range(1, 13), 0)
    thematic_by_quarter = dict.fromkeys(range(1, 5), 0)
    for m in meetings:
        if m.day.year != year:
            continue
        if m.kind in ("regular", "combined"):
            regular_by_month[m.day.month] += 1
        if m.kind in ("thematic", "combined"):
            thematic_by_quarter[(m.day.month - 1) // 3 + 1] += 1
    out = []
    freq = book.frequency
    for month, n in regular_by_month.items():
        if n < freq.regular_per_month:
            out.append(f"Tháng {month:02d}/{year} chưa có buổi sinh hoạt thường kỳ ({freq.source}).")
    for quarter, n in thematic_by_quarter.items():
        if n < freq.thematic_per_quarter:
            out.append(f"Quý {quarter}/{year} chưa có buổi sinh hoạt chuyên đề ({freq.source}).")
    return out


# --- judging a held meeting ---------------------------------------------------------------
@dataclass(frozen=True)
class MeetingFacts:
    """Everything the data can prove about one meeting."""

    kind: str
    scheduled_at: dt.datetime
    attendees: tuple[Attendee, ...]
    duration_minutes: int | None = None
    published_at: dt.datetime | None = None
    notice_sent: bool = False
    notice_to_upper: bool = False
    prepared: bool = False  # preparer assigned and chi ủy pre-meeting recorded
    speakers: int = 0  # distinct members who spoke
    open_tasks: int = 0
    reviewed_tasks: int = 0
    vote_in_favour: int | None = None
    vote_eligible: int | None = None
    minutes_complete: bool = False
    minutes_read_back: bool = False
    thematic_draft_ready: bool = False
    presented_by_assignee: bool = False
    excused_runs: dict[int, int] = field(default_factory=dict)  # member id -> run incl. this meeting
    member_names: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Breach:
    code: str
    message: str


def breaches(facts: MeetingFacts, book: Rulebook) -> list[Breach]:
    out: list[Breach] = []
    att = attendance(facts.attendees, book.attendance)
    rule = book.attendance
    if not attendance_rate_ok(att, rule):
        word = "trên" if rule.rate_must_exceed else "từ"
        out.append(Breach(
            "attendance_rate",
            f"Tỷ lệ dự họp {_pct(att.rate)} ({att.present}/{att.base}), chưa đạt {word} "
            f"{_num(rule.min_rate_percent)}% ({rule.source})",
        ))
    if att.unexcused > rule.max_unexcused:
        out.append(Breach(
            "unexcused", f"{att.unexcused} đảng viên vắng không lý do ({rule.source})"
        ))
    for member_id, run in sorted(facts.excused_runs.items()):
        if run > rule.max_consecutive_excused:
            name = facts.member_names.get(member_id, f"#{member_id}")
            out.append(Breach(
                "consecutive_excused",
                f"Đồng chí {name} vắng có lý do {run} lần liên tiếp, quá {rule.max_consecutive_excused} lần "
                f"trong năm ({rule.source})",
            ))
    if facts.duration_minutes is not None and not duration_ok(facts.duration_minutes, facts.kind, book):
        minimum = book.duration.minimum_for(facts.kind)
        out.append(Breach(
            "duration",
            f"Thời lượng {facts.duration_minutes} phút, dưới {minimum} phút ({book.duration.source})",
        ))
    if not documents_on_time(facts.published_at, facts.scheduled_at, book):
        days = book.documents.publish_days_before
        what = "chưa công bố" if facts.published_at is None else "công bố muộn"
        out.append(Breach(
            "documents", f"Tài liệu {what}: phải công bố trước ít nhất {days} ngày ({book.documents.source})"
        ))
    if book.documents.notify_upper_committee and not facts.notice_to_upper:
        out.append(Breach(
            "notice_upper", f"Chưa thông báo cấp ủy cấp trên theo dõi chi bộ ({book.documents.source})"
        ))
    if facts.vote_in_favour is not None and facts.vote_eligible is not None:
        if not vote_passes(facts.vote_in_favour, facts.vote_eligible, book.vote):
            out.append(Breach(
                "vote",
                f"Biểu quyết không thông qua: {facts.vote_in_favour}/{facts.vote_eligible} tán thành, "
                f"chưa quá {_num(book.vote.pass_fraction * 100)}% đảng viên có quyền biểu quyết "
                f"({book.vote.source})",
            ))
    return out


def _num(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else f"{float(value):.1f}".replace(".", ",")


def _pct(rate: Fraction) -> str:
    return f"{float(rate * 100):.1f}".replace(".", ",") + "%"


def auto_score(criterion: Criterion, facts: MeetingFacts, book: Rulebook) -> int | None:
    """Points the data proves for CRITERION, or None if the cell must enter it."""
    full, zero = criterion.points, 0
    if criterion.auto in ("attendance_rate", "no_unexcused", "speakers"):  # (only these read the figures)
        att = attendance(facts.attendees, book.attendance)
    match criterion.auto:
        case None:
            return None
        case "prepared":
            return full if facts.prepared else zero
        case "documents_on_time":
            return full if documents_on_time(facts.published_at, facts.scheduled_at, book) else zero
        case "notice_sent":
            ok = facts.notice_sent and (facts.notice_to_upper or not book.documents.notify_upper_committee)
            return full if ok else zero
        case "attendance_rate":
            return full if attendance_rate_ok(att, book.attendance) else zero
        case "no_unexcused":
            return full if att.unexcused <= book.attendance.max_unexcused else zero
        case "duration":
            if facts.duration_minutes is None:
                return zero
            return full if duration_ok(facts.duration_minutes, facts.kind, book) else zero
        case "speakers":
            if att.present_total == 0:
                return zero
            ratio = Fraction(facts.speakers, att.present_total)
            for threshold, points in criterion.steps:
                if ratio >= threshold:
                    return points
            return zero if criterion.steps else (full if facts.speakers else zero)
        case "tasks_reviewed":
            return full if facts.reviewed_tasks >= facts.open_tasks else zero
        case "vote_passed":
            if facts.vote_in_favour is None or facts.vote_eligible is None:
                return zero
            return full if vote_passes(facts.vote_in_favour, facts.vote_eligible, book.vote) else zero
        case "minutes_complete":
            return full if facts.minutes_complete and facts.minutes_read_back else zero
        case "thematic_draft_ready":
            return full if facts.thematic_draft_ready else zero
        case "presented_by_assignee":
            return full if facts.presented_by_assignee else zero
    raise ValueError(f"Unknown auto measure {criterion.auto!r}")


@dataclass(frozen=True)
class Grade:
    total: int
    band: Band
    key_full: bool
    missing_key: tuple[str, ...]


def grade(entries: dict[str, int], criteria: Sequence[Criterion], scorecard: Scorecard) -> Grade:
    """Total and band; a band that requires full marks on the key criteria is skipped without them."""
    by_code = {c.code: c for c in criteria}
    unknown = set(entries) - set(by_code)
    if unknown:
        raise ValueError(f"Unknown criteria: {sorted(unknown)}")
    for code, points in entries.items():
        if not 0 <= points <= by_code[code].points:
            raise ValueError(f"{code}: {points} ngoài khoảng 0–{by_code[code].points}")
    total = sum(entries.values())
    missing = tuple(
        code for code in scorecard.key_criteria if entries.get(code, 0) < by_code[code].points
    )
    for band in scorecard.bands:
        if total >= band.min and (not band.requires_key_full or not missing):
            return Grade(total=total, band=band, key_full=not missing, missing_key=missing)
    return Grade(total=total, band=scorecard.bands[-1], key_full=not missing, missing_key=missing)
