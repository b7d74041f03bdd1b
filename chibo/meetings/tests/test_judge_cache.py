"""What judge() reads outside the meeting is kept (chibo/meetings/judge_cache.py): every write that
changes it shows on the next answer, a roll-call mark keeps it, and nothing is shared between meetings.

Each check judges the meeting as a new request would (the meeting and its cell read again) and
compares with the figures read from the database with nothing kept."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from chibo.documents.models import IssuedNumber
from chibo.meetings import selectors, services
from chibo.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingKind, Task, TaskReport
from chibo.meetings.tests.test_lifecycle import at, run_meeting
from chibo.organisations.models import Organisation

pytestmark = pytest.mark.django_db
EXCUSED = AttendanceStatus.ABSENT_EXCUSED
BINH = "Lê Văn Bình"


def day(month: int) -> dt.date:
    return dt.date(timezone.localdate().year, month, 10)


def running_on(world, when: dt.date) -> Meeting:  # type: ignore[no-untyped-def]
    m = services.create_meeting(
        actor=world.secretary, cell=world.cell1, kind=MeetingKind.REGULAR, scheduled_at=at(when, 19, 30)
    )
    services.start(actor=world.secretary, meeting=m, now=at(when, 19, 30))
    return m


def binh(world):  # type: ignore[no-untyped-def]
    return world.cell1.members.get(full_name=BINH)


def mark(world, m: Meeting, member, status: str = EXCUSED) -> None:  # type: ignore[no-untyped-def]
    services.set_attendance(
        actor=world.secretary, meeting=m, member=member, status=status, reason="Ốm" if status == EXCUSED else ""
    )


def judged(m: Meeting) -> selectors.Verdict:
    """judge() as the next request: the meeting and its cell read again (the kept entries used)."""
    return selectors.judge(selectors.roll_call_screen(m))


def read(m: Meeting) -> selectors.Verdict:
    """judge() with nothing kept."""
    cache.clear()
    return selectors.judge(selectors.roll_call_screen(m))


def runs(m: Meeting) -> dict[int, int]:
    kept = judged(m).facts.excused_runs
    assert kept == read(m).facts.excused_runs
    judged(m)  # kept again for the next write
    return kept


def tasks(m: Meeting) -> tuple[int, int]:
    v = judged(m)
    kept = (v.facts.open_tasks, v.facts.reviewed_tasks)
    fresh = read(m)
    assert kept == (fresh.facts.open_tasks, fresh.facts.reviewed_tasks)
    judged(m)
    return kept


def rev(world) -> int:  # type: ignore[no-untyped-def]
    return Organisation.objects.get(pk=world.cell1.pk).activity_rev


# --- the excused runs ---------------------------------------------------------------------------
@pytest.fixture
def two_approved(world):  # type: ignore[no-untyped-def]
    """Bình excused at two approved meetings (January, February) and at a March meeting running."""
    first = run_meeting(world, day=day(1), statuses={BINH: EXCUSED})
    second = run_meeting(world, day=day(2), statuses={BINH: EXCUSED})
    m = running_on(world, day(3))
    mark(world, m, binh(world))
    return first, second, m


def test_the_runs_are_kept_and_a_mark_changes_only_the_meeting_s_own_part(world, two_approved):
    _, _, m = two_approved
    b = binh(world)
    assert runs(m) == {b.pk: 3}
    before = rev(world)
    mark(world, m, b, AttendanceStatus.PRESENT)
    assert rev(world) == before  # a roll-call mark touches nothing: the kept entries stay
    assert judged(m).facts.excused_runs == {}
    mark(world, m, b)
    assert rev(world) == before and judged(m).facts.excused_runs == {b.pk: 3}


def test_an_approved_meeting_s_roll_changed_elsewhere_shows_at_once(world, two_approved):
    _, second, m = two_approved
    b = binh(world)
    assert runs(m) == {b.pk: 3}
    row = Attendance.objects.get(meeting=second, member=b)  # e.g. a correction made in the shell
    row.status = AttendanceStatus.PRESENT
    row.save()
    assert runs(m) == {b.pk: 1}
    Attendance.objects.get(meeting=second, member=b).delete()
    assert runs(m) == {b.pk: 2}


def test_another_meeting_of_the_window_that_starts_is_read_live(world, two_approved):
    _, _, m = two_approved
    b = binh(world)
    assert runs(m) == {b.pk: 3}
    between = running_on(world, day(2) + dt.timedelta(days=10))  # held, not approved: marks touch nothing
    assert runs(m) == {b.pk: 1}  # on its roll, not marked yet: the run is broken
    mark(world, between, b, AttendanceStatus.PRESENT)
    assert runs(m) == {b.pk: 1}
    mark(world, between, b)
    assert runs(m) == {b.pk: 4}
    later = running_on(world, day(4))  # after the meeting: not in its window
    mark(world, later, b, AttendanceStatus.PRESENT)
    assert runs(m) == {b.pk: 4}


def test_a_meeting_moved_or_deleted_shows_at_once(world, two_approved):
    first, second, m = two_approved
    b = binh(world)
    assert runs(m) == {b.pk: 3}
    second.scheduled_at = at(day(4), 19, 30)  # moved after the meeting (the shell: approved is locked)
    second.save()
    assert runs(m) == {b.pk: 2}
    Meeting.objects.filter(pk=second.pk).update(scheduled_at=at(day(2), 19, 30))  # (bypasses save)
    Organisation.objects.get(pk=world.cell1.pk).save()  # …so the writer touches the cell itself
    assert runs(m) == {b.pk: 3}
    IssuedNumber.objects.filter(meeting=first).delete()
    first.delete()
    assert runs(m) == {b.pk: 2}


def test_a_meeting_rescheduled_through_the_service_is_judged_in_its_new_window(world, two_approved):
    _, _, m = two_approved
    b = binh(world)
    assert runs(m) == {b.pk: 3}
    services.update_meeting(actor=world.secretary, meeting=m, scheduled_at=at(day(1) - dt.timedelta(days=5), 19, 30))
    assert runs(m) == {b.pk: 1}


# --- the tasks to review ------------------------------------------------------------------------
def test_the_tasks_to_review_show_every_write_at_once(world):
    earlier = run_meeting(world, day=day(1))  # assigns "Vận động làm đường"
    m = running_on(world, day(2))
    task = Task.objects.get(meeting=earlier)
    assert tasks(m) == (1, 0)
    services.report_task(actor=world.secretary, meeting=m, task=task, text="Đang làm.", done=False)
    assert tasks(m) == (1, 1)
    services.report_task(actor=world.secretary, meeting=m, task=task, text="Đã xong.", done=True)
    assert tasks(m) == (1, 1)  # done, still listed where it was reported
    other = Task.objects.create(organisation=world.cell1, meeting=earlier, title="Dọn đường", assignee=world.m_same)
    assert tasks(m) == (2, 1)
    other.status = "done"
    other.save()
    assert tasks(m) == (1, 1)
    TaskReport.objects.get(task=task, meeting=m).delete()
    assert tasks(m) == (0, 0)  # done and no longer reported here
    Task.objects.create(organisation=world.cell2, title="Của chi bộ khác", assignee=world.m_other)
    assert tasks(m) == (0, 0)
    task.delete()
    other.delete()
    assert tasks(m) == (0, 0)


def test_a_task_reported_at_another_meeting_of_the_cell_shows_at_once(world):
    earlier = run_meeting(world, day=day(1))
    task = Task.objects.get(meeting=earlier)
    m = running_on(world, day(3))
    other = running_on(world, day(2))
    assert tasks(m) == (1, 0) and tasks(other) == (1, 0)
    services.report_task(actor=world.secretary, meeting=other, task=task, text="Đã xong.", done=True)
    assert tasks(other) == (1, 1)  # reported there: each meeting its own entry
    assert tasks(m) == (0, 0)  # closed at the other meeting


def test_the_roll_call_answer_shows_a_task_report_written_elsewhere(client, world):
    earlier = run_meeting(world, day=day(1))
    task = Task.objects.get(meeting=earlier)
    m = running_on(world, day(2))
    client.force_login(world.secretary)

    def answer() -> str:
        response = client.post(
            f"/sinh-hoat/{m.pk}/dieu-hanh/diem-danh/{world.m_same.pk}/",
            {"status": "present"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        return same(response.content.decode())

    before = answer()
    assert answer() == before  # from the kept entries
    services.report_task(actor=world.secretary, meeting=m, task=task, text="Đã xong.", done=True)
    after = answer()
    cache.clear()
    assert after == answer() != before


def same(html: str) -> str:
    """HTML without what changes on every answer: CSRF tokens (masked anew), the meeting's version."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'(name="expected_version"|id="meeting-version") value="\d+"', "", html)


def test_a_meeting_read_without_its_cell_is_judged_from_the_database(world, two_approved):
    _, second, m = two_approved
    b = binh(world)
    assert runs(m) == {b.pk: 3} and tasks(m) == (2, 0)
    cache.clear()
    bare = Meeting.objects.prefetch_related(*selectors.judged_parts()).get(pk=m.pk)  # no cell loaded
    verdict = selectors.judge(bare)
    assert verdict.facts.excused_runs == {b.pk: 3} and (verdict.facts.open_tasks, verdict.facts.reviewed_tasks) == (2, 0)


def test_entries_are_not_shared_between_meetings(world, two_approved):
    """Each meeting its own entries: a meeting of another cell, or of the same cell, is judged on its own rows."""
    _, _, m = two_approved
    b = binh(world)
    other = services.create_meeting(
        actor=world.secretary, cell=world.cell1, kind=MeetingKind.REGULAR, scheduled_at=at(day(1) - dt.timedelta(days=3), 19, 30)
    )
    services.start(actor=world.secretary, meeting=other, now=other.scheduled_at)
    mark(world, other, b)
    assert runs(m) == {b.pk: 4}  # `other` (held, not approved: read live), January, February, m
    assert runs(other) == {b.pk: 1}  # before the approved ones: only its own row
    mark(world, other, b, AttendanceStatus.PRESENT)
    assert runs(other) == {} and runs(m) == {b.pk: 3}
