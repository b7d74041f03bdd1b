"""A whole meeting through the services: plan, prepare, publish, run, vote, score, read back, approve."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chibo.audit.models import AuditEntry
from chibo.meetings import selectors, services
from chibo.meetings.models import (
    AttendanceStatus,
    MeetingKind,
    MeetingStatus,
    Notification,
    ScoreColumn,
    Task,
)
from conftest import add_member

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def run_meeting(world, *, day=None, minutes=100, kind=MeetingKind.REGULAR, statuses=None, in_favour=None):  # type: ignore[no-untyped-def]
    """Run a meeting of cell1 start to approval and return it."""
    day = day or timezone.localdate() - dt.timedelta(days=3)
    m = services.create_meeting(actor=world.secretary, cell=world.cell1, kind=kind, scheduled_at=at(day, 19, 30), place="Nhà văn hóa")
    services.update_meeting(actor=world.secretary, meeting=m, preparer=world.sec_member, pre_meeting_at=at(day - dt.timedelta(days=5), 8),
                            chair=world.sec_member, secretary=world.m_same)
    from chibo.meetings.documents import add_document

    add_document(actor=world.secretary, meeting=m, kind="draft_resolution", title="Dự thảo nghị quyết",
                 upload=SimpleUploadedFile("du-thao.pdf", b"%PDF-1.4 test", content_type="application/pdf"))
    services.publish(actor=world.secretary, meeting=m, now=at(day - dt.timedelta(days=2), 9))
    services.start(actor=world.secretary, meeting=m, now=at(day, 19, 30))
    statuses = statuses or {}
    for a in m.attendance.select_related("member"):
        status = statuses.get(a.member.full_name, AttendanceStatus.PRESENT)
        if a.status:  # exempt / away already marked
            continue
        services.set_attendance(actor=world.secretary, meeting=m, member=a.member, status=status,
                                reason="Ốm" if status == AttendanceStatus.ABSENT_EXCUSED else "")
    items = list(m.items.all())
    start = at(day, 19, 30)
    services.start_item(actor=world.secretary, item=items[0], now=start)
    discussion = next(i for i in items if i.code == "discussion")
    services.add_speech(actor=world.secretary, meeting=m, member=world.m_same, item=discussion, summary="Đề nghị làm đường.")
    if statuses.get("Nguyễn Văn Hùng", AttendanceStatus.PRESENT) == AttendanceStatus.PRESENT:
        services.add_speech(actor=world.secretary, meeting=m, member=world.sec_member, item=discussion, summary="Đồng ý.")
    services.set_conclusion(actor=world.secretary, item=next(i for i in items if i.code == "conclusion"), text="Thống nhất làm đường.")
    services.assign_task(actor=world.secretary, meeting=m, title="Vận động làm đường", assignee=world.m_same,
                         due_date=day + dt.timedelta(days=30))
    vote = services.open_vote(actor=world.secretary, meeting=m, subject="Nghị quyết tháng")
    voters = len(services._present_eligible(vote))
    services.close_vote(actor=world.secretary, vote=vote, in_favour=voters if in_favour is None else in_favour, against=0, other=0)
    services.start_item(actor=world.secretary, item=items[-1], now=start + dt.timedelta(minutes=minutes - 1))
    services.end_item(actor=world.secretary, item=items[-1], now=start + dt.timedelta(minutes=minutes))
    services.save_score(actor=world.secretary, meeting=m, column=ScoreColumn.CELL, entries={"order_content": 10, "criticism": 8})
    services.read_back(actor=world.secretary, meeting=m, now=start + dt.timedelta(minutes=minutes))
    return services.approve(actor=world.secretary, meeting=m)


def test_a_full_meeting_is_approved_locked_and_snapshotted(world):
    m = run_meeting(world)
    assert m.status == MeetingStatus.APPROVED and m.is_locked
    assert m.rulebook_code == "hd42-2025" and m.rulebook_version == 1
    assert (m.fig_base, m.fig_present, m.fig_duration, m.fig_speakers) == (4, 4, 100, 2)
    assert m.fig_grade == "tot" and m.fig_score == 98
    assert m.snapshot["votes"][0]["eligible"] == 3  # the probationary member does not vote
    assert m.snapshot["breaches"] == []
    notified = set(Notification.objects.filter(meeting=m).values_list("user__username", flat=True))
    assert notified == {"bithu", "dangvien", "danguy"}  # members with accounts + the supervising committee
    assert AuditEntry.objects.filter(object_type="meetings.meeting", object_id=str(m.pk)).count() >= 5


def test_an_approved_meeting_refuses_every_change_but_takes_amendments(world):
    m = run_meeting(world)
    item = m.items.first()
    member = world.m_same
    refusals = [
        lambda: services.update_meeting(actor=world.secretary, meeting=m, title="x"),
        lambda: services.set_attendance(actor=world.secretary, meeting=m, member=member, status="absent_unexcused"),
        lambda: services.add_speech(actor=world.secretary, meeting=m, member=member, summary="x"),
        lambda: services.set_conclusion(actor=world.secretary, item=item, text="x"),
        lambda: services.start_item(actor=world.secretary, item=item),
        lambda: services.open_vote(actor=world.secretary, meeting=m, subject="x"),
        lambda: services.save_score(actor=world.secretary, meeting=m, column="cell", entries={}),
        lambda: services.assign_task(actor=world.secretary, meeting=m, title="x", assignee=member),
        lambda: services.add_guest(actor=world.secretary, meeting=m, name="x"),
        lambda: services.read_back(actor=world.secretary, meeting=m),
        lambda: services.approve(actor=world.secretary, meeting=m),
    ]
    for refuse in refusals:
        with pytest.raises(services.MeetingLocked):
            refuse()
    amendment = services.add_amendment(actor=world.secretary, meeting=m, text="Đính chính: tên đồng chí Lan.")
    assert amendment.pk and m.amendments.count() == 1


def test_a_short_meeting_with_an_unexcused_absence_is_graded_down_and_warned(world):
    m = run_meeting(world, minutes=75, statuses={"Lê Văn Bình": AttendanceStatus.ABSENT_UNEXCUSED})
    messages = [b["message"] for b in m.snapshot["breaches"]]
    assert "Thời lượng 75 phút, dưới 90 phút (HD 42-HD/BTCTW (2025))" in messages
    assert any("vắng không lý do" in msg for msg in messages)
    assert m.fig_grade != "tot"


def test_a_vote_at_exactly_half_fails(world):
    add_member(world.cell1, "Đào Văn Tư")  # 4 full members eligible
    m = run_meeting(world, in_favour=2)
    assert m.snapshot["votes"][0]["passed"] is False
    assert any(b["code"] == "vote" for b in m.snapshot["breaches"])


def test_open_tasks_come_back_at_the_next_meeting_until_reported_done(world):
    first = run_meeting(world, day=timezone.localdate() - dt.timedelta(days=40))
    task = Task.objects.get(meeting=first)
    nxt = services.create_meeting(actor=world.secretary, cell=world.cell1, kind=MeetingKind.REGULAR,
                                  scheduled_at=at(timezone.localdate(), 19, 30))
    assert list(selectors.open_tasks_for(nxt)) == [task]
    services.start(actor=world.secretary, meeting=nxt)
    services.report_task(actor=world.secretary, meeting=nxt, task=task, text="Đã làm xong 200 m đường.", done=True)
    task.refresh_from_db()
    assert task.status == "done"
    assert list(selectors.open_tasks_for(nxt)) == [task]  # still listed where it was reported
    later = services.create_meeting(actor=world.secretary, cell=world.cell1, kind=MeetingKind.REGULAR,
                                    scheduled_at=at(timezone.localdate() + dt.timedelta(days=30), 19, 30))
    assert list(selectors.open_tasks_for(later)) == []


def test_the_fourth_excused_absence_in_a_row_is_flagged(world):
    base = timezone.localdate().replace(month=1, day=10) if timezone.localdate().month > 5 else timezone.localdate() - dt.timedelta(days=150)
    for i in range(4):
        m = run_meeting(world, day=base + dt.timedelta(days=30 * i), statuses={"Lê Văn Bình": AttendanceStatus.ABSENT_EXCUSED})
        codes = [b["code"] for b in m.snapshot["breaches"]]
        assert ("consecutive_excused" in codes) is (i == 3)


def test_by_name_votes_refuse_probationary_members(world):
    day = timezone.localdate()
    m = services.create_meeting(actor=world.secretary, cell=world.cell1, kind=MeetingKind.REGULAR, scheduled_at=at(day, 19, 30))
    services.start(actor=world.secretary, meeting=m)
    for a in m.attendance.select_related("member"):
        services.set_attendance(actor=world.secretary, meeting=m, member=a.member, status=AttendanceStatus.PRESENT)
    vote = services.open_vote(actor=world.secretary, meeting=m, subject="NQ", method="by_name")
    probationary = m.attendance.get(is_full=False).member
    with pytest.raises(ValidationError, match="không có quyền biểu quyết"):
        services.cast_ballot(actor=world.secretary, vote=vote, member=probationary, choice="for")
    for a in m.attendance.filter(is_full=True).select_related("member"):
        services.cast_ballot(actor=world.secretary, vote=vote, member=a.member, choice="for")
    closed = services.close_vote(actor=world.secretary, vote=vote)
    assert (closed.in_favour, closed.eligible_count, closed.passed) == (3, 3, True)


def test_a_tally_larger_than_the_eligible_members_present_is_refused(world):
    m = services.create_meeting(actor=world.secretary, cell=world.cell1, kind=MeetingKind.REGULAR, scheduled_at=at(timezone.localdate(), 19, 30))
    services.start(actor=world.secretary, meeting=m)
    for a in m.attendance.select_related("member"):
        services.set_attendance(actor=world.secretary, meeting=m, member=a.member, status=AttendanceStatus.PRESENT)
    vote = services.open_vote(actor=world.secretary, meeting=m, subject="NQ")
    with pytest.raises(ValidationError, match="vượt số đảng viên"):
        services.close_vote(actor=world.secretary, vote=vote, in_favour=4, against=0, other=0)


def test_a_stale_writer_gets_a_conflict_not_a_silent_overwrite(world):
    m = services.create_meeting(actor=world.secretary, cell=world.cell1, kind=MeetingKind.REGULAR, scheduled_at=at(timezone.localdate(), 19, 30))
    seen = m.version
    services.update_meeting(actor=world.secretary, meeting=m, title="A", expected_version=seen)
    with pytest.raises(services.Conflict):
        services.update_meeting(actor=world.secretary, meeting=m, title="B", expected_version=seen)


def test_the_annual_plan_warns_about_a_quarter_without_thematic_meeting(world):
    year = timezone.localdate().year + 1
    plan = services.create_plan(actor=world.secretary, cell=world.cell1, year=year)
    warnings = selectors.plan_warnings(world.cell1, year)
    assert len(warnings) == 4 and all("chuyên đề" in w for w in warnings)
    for q in (1, 2, 3):
        services.add_topic(actor=world.secretary, plan=plan, quarter=q, title=f"Chuyên đề quý {q}", presenter=world.m_same,
                           scheduled_at=at(dt.date(year, 3 * q - 1, 20), 19, 30))
    assert selectors.plan_warnings(world.cell1, year) == [
        f"Quý 4/{year} chưa có buổi sinh hoạt chuyên đề (Điều lệ Đảng (2011), Điều 24; HD 12-HD/BTCTW (2018))."
    ]
