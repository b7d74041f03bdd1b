"""Every rule at its boundaries, against the shipped rulebooks."""

from __future__ import annotations

import datetime as dt

import pytest

from chibo.rules import engine, loader
from chibo.rules.engine import ABSENT_EXCUSED, ABSENT_UNEXCUSED, AWAY, EXEMPT, PRESENT, Attendee

HD42 = loader.load_files()["hd42-2025"]
HD12 = loader.load_files()["hd12-2018"]
AT = dt.datetime(2026, 11, 20, 19, 30, tzinfo=dt.UTC)


def people(present: int, excused: int = 0, unexcused: int = 0, **extra) -> list[Attendee]:  # type: ignore[no-untyped-def]
    out, i = [], 0
    for status, n in ((PRESENT, present), (ABSENT_EXCUSED, excused), (ABSENT_UNEXCUSED, unexcused)):
        for _ in range(n):
            i += 1
            out.append(Attendee(member_id=i, status=status, **extra))
    return out


# Attendance ---------------------------------------------------------------------------
def test_exactly_85_percent_is_not_above_85_percent():
    figures = engine.attendance(people(17, excused=3), HD42.attendance)  # 17/20 = 85%
    assert figures.rate_percent == 85.0
    assert not engine.attendance_rate_ok(figures, HD42.attendance)


def test_just_above_85_percent_passes():
    figures = engine.attendance(people(18, excused=3), HD42.attendance)  # 18/21 = 85.7%
    assert engine.attendance_rate_ok(figures, HD42.attendance)


def test_exempt_and_special_duty_members_are_left_out_of_the_base():
    attendees = people(6) + [
        Attendee(member_id=90, status=EXEMPT, is_exempt=True),
        Attendee(member_id=91, status=ABSENT_EXCUSED, special_duty=True),
        Attendee(member_id=92, status=AWAY, is_away=True),
    ]
    figures = engine.attendance(attendees, HD42.attendance)
    assert (figures.base, figures.present) == (6, 6)
    assert engine.attendance_rate_ok(figures, HD42.attendance)


def test_an_exempt_member_who_comes_is_present_but_not_in_the_rate():
    attendees = people(6, excused=1) + [Attendee(member_id=90, status=PRESENT, is_exempt=True)]
    figures = engine.attendance(attendees, HD42.attendance)
    assert (figures.base, figures.present, figures.present_total) == (7, 6, 7)


def test_any_unexcused_absence_is_a_breach_naming_its_source():
    facts = engine.MeetingFacts(kind="regular", scheduled_at=AT, attendees=tuple(people(19, unexcused=1)),
                                duration_minutes=95, published_at=AT - dt.timedelta(days=2), notice_to_upper=True)
    codes = {b.code: b.message for b in engine.breaches(facts, HD42)}
    assert codes == {"unexcused": "1 đảng viên vắng không lý do (HD 12-HD/BTCTW (2018))"}


@pytest.mark.parametrize(("history", "run"), [
    ([ABSENT_EXCUSED] * 3, 3),
    ([ABSENT_EXCUSED] * 4, 4),
    ([ABSENT_EXCUSED, PRESENT, ABSENT_EXCUSED, ABSENT_EXCUSED], 2),
    ([ABSENT_EXCUSED, EXEMPT, ABSENT_EXCUSED], 2),
    ([ABSENT_UNEXCUSED, ABSENT_EXCUSED], 1),
    ([], 0),
])
def test_consecutive_excused_absences_are_counted_from_the_latest(history, run):
    assert engine.trailing_excused_run(history) == run


def test_three_excused_absences_in_a_row_pass_four_break_the_rule():
    base = dict(kind="regular", scheduled_at=AT, attendees=tuple(people(10)), duration_minutes=90,
                published_at=AT - dt.timedelta(days=1), notice_to_upper=True, member_names={5: "Trần Thị Lan"})
    assert engine.breaches(engine.MeetingFacts(**base, excused_runs={5: 3}), HD42) == []
    (breach,) = engine.breaches(engine.MeetingFacts(**base, excused_runs={5: 4}), HD42)
    assert breach.message == (
        "Đồng chí Trần Thị Lan vắng có lý do 4 lần liên tiếp, quá 3 lần trong năm (HD 12-HD/BTCTW (2018))"
    )


# Duration -----------------------------------------------------------------------------
@pytest.mark.parametrize(("kind", "minutes", "ok"), [
    ("regular", 89, False), ("regular", 90, True), ("thematic", 90, True),
    ("combined", 119, False), ("combined", 120, True),
])
def test_duration_boundaries_under_hd42(kind, minutes, ok):
    assert engine.duration_ok(minutes, kind, HD42) is ok


def test_hd12_has_no_separate_combined_minimum():
    assert engine.duration_ok(90, "combined", HD12)


def test_a_short_meeting_names_the_rule():
    facts = engine.MeetingFacts(kind="regular", scheduled_at=AT, attendees=tuple(people(10)), duration_minutes=75,
                                published_at=AT - dt.timedelta(days=1), notice_to_upper=True)
    assert [b.message for b in engine.breaches(facts, HD42)] == ["Thời lượng 75 phút, dưới 90 phút (HD 42-HD/BTCTW (2025))"]


# Documents ----------------------------------------------------------------------------
def test_documents_must_be_published_a_full_day_before():
    assert engine.documents_on_time(AT - dt.timedelta(days=1), AT, HD42)
    assert not engine.documents_on_time(AT - dt.timedelta(hours=23, minutes=59), AT, HD42)
    assert not engine.documents_on_time(None, AT, HD42)


# Vote ---------------------------------------------------------------------------------
def test_votes_exactly_at_half_fail_and_one_more_passes():
    assert not engine.vote_passes(5, 10, HD42.vote)
    assert engine.vote_passes(6, 10, HD42.vote)
    assert engine.vote_passes(5, 9, HD42.vote)
    assert not engine.vote_passes(0, 0, HD42.vote)


def test_probationary_members_cannot_vote():
    attendees = people(3) + [Attendee(member_id=50, status=PRESENT, is_full=False)]
    assert 50 not in engine.vote_eligible(attendees, HD42.vote)
    assert len(engine.vote_eligible(attendees, HD42.vote)) == 3


def test_eligible_base_is_the_summoned_full_members_not_those_present():
    attendees = [
        Attendee(1, PRESENT), Attendee(2, PRESENT), Attendee(3, ABSENT_EXCUSED),
        Attendee(4, ABSENT_UNEXCUSED),
        Attendee(5, AWAY, is_away=True),  # attached elsewhere: out
        Attendee(6, EXEMPT, is_exempt=True),  # exempt and absent: out
        Attendee(7, PRESENT, is_exempt=True),  # exempt but came and votes: in
        Attendee(8, PRESENT, is_suspended=True),  # suspended: out
    ]
    assert engine.vote_eligible(attendees, HD42.vote) == [1, 2, 3, 4, 7]
    # 3 present votes in favour of 5 eligible: more than half -> passes; 2 of 5 does not.
    assert engine.vote_passes(3, 5, HD42.vote) and not engine.vote_passes(2, 5, HD42.vote)


# Plan ---------------------------------------------------------------------------------
def test_a_quarter_without_a_thematic_meeting_is_flagged():
    meetings = [engine.PlannedMeeting("regular", dt.date(2026, m, 15)) for m in range(1, 13)]
    meetings += [engine.PlannedMeeting("thematic", dt.date(2026, m, 20)) for m in (2, 5, 11)]
    assert engine.plan_warnings(meetings, 2026, HD42) == [
        "Quý 3/2026 chưa có buổi sinh hoạt chuyên đề (Điều lệ Đảng (2011), Điều 24; HD 12-HD/BTCTW (2018))."
    ]


def test_a_month_without_a_regular_meeting_is_flagged_and_combined_counts_as_both():
    meetings = [engine.PlannedMeeting("regular", dt.date(2026, m, 15)) for m in range(1, 13) if m != 8]
    meetings += [engine.PlannedMeeting("combined", dt.date(2026, 8, 15))]
    meetings += [engine.PlannedMeeting("thematic", dt.date(2026, m, 20)) for m in (2, 5, 11)]
    assert engine.plan_warnings(meetings, 2026, HD42) == []
    warnings = engine.plan_warnings(meetings[1:], 2026, HD42)
    assert warnings[0].startswith("Tháng 01/2026 chưa có buổi sinh hoạt thường kỳ")


# Scorecard ----------------------------------------------------------------------------
REG = HD42.scorecard.criteria_for("regular")


def full_marks() -> dict[str, int]:
    return {c.code: c.points for c in REG}


@pytest.mark.parametrize(("total_drop", "grade"), [(0, "tot"), (10, "tot"), (11, "kha"), (30, "kha"), (31, "trung_binh"), (50, "trung_binh"), (51, "kem")])
def test_grade_bands_at_their_boundaries(total_drop, grade):
    entries = full_marks()
    # take points off non-key criteria first, then key ones, to hit the exact total
    remaining = total_drop
    for code in ["order_content", "criticism", "resolution", "prep_content", "prep_documents", "prep_notice",
                 "no_unexcused", "tasks_reviewed", "duration", "participation", "minutes", "attendance_rate"]:
        take = min(remaining, entries[code])
        entries[code] -= take
        remaining -= take
    result = engine.grade(entries, REG, HD42.scorecard)
    assert result.total == 100 - total_drop
    assert result.band.grade == grade


def test_ninety_points_without_full_duration_marks_is_kha_not_tot():
    entries = full_marks()
    entries["duration"] = 0  # 90 points, but a key criterion is not full
    result = engine.grade(entries, REG, HD42.scorecard)
    assert (result.total, result.band.label, result.missing_key) == (90, "Khá", ("duration",))


def test_scores_outside_a_criterion_range_are_refused():
    with pytest.raises(ValueError):
        engine.grade({"duration": 11}, REG, HD42.scorecard)


def test_auto_scores_come_from_the_facts():
    facts = engine.MeetingFacts(
        kind="regular", scheduled_at=AT, attendees=tuple(people(9, excused=1)), duration_minutes=100,
        published_at=AT - dt.timedelta(days=2), notice_sent=True, notice_to_upper=True, prepared=True,
        speakers=5, open_tasks=2, reviewed_tasks=2, vote_in_favour=8, vote_eligible=10,
        minutes_complete=True, minutes_read_back=True,
    )
    scores = {c.code: engine.auto_score(c, facts, HD42) for c in REG}
    assert scores["attendance_rate"] == 15  # 9/10 = 90% > 85%
    assert scores["duration"] == 10
    assert scores["participation"] == 10  # 5 of 9 present spoke (>= 50%)
    assert scores["resolution"] == 10
    assert scores["order_content"] is None and scores["criticism"] is None  # the cell enters these
    fewer = engine.MeetingFacts(**{**facts.__dict__, "speakers": 3})
    assert engine.auto_score(next(c for c in REG if c.code == "participation"), fewer, HD42) == 6
