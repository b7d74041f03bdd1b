"""A roll-call mark written out (meetings.services.mark_attendance): on PostgreSQL the row, its audit
entry and the roll read go in one statement, the entry's label and changes computed in SQL. Whatever
the database, the row, the entry and the roll given back are what the ORM's save would leave, and a
refused mark writes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from chibo.audit.models import AuditEntry
from chibo.meetings import services
from chibo.meetings.models import Attendance, AttendanceStatus, Meeting
from chibo.meetings.tests.test_views import running

pytestmark = pytest.mark.django_db


def state(m: Meeting) -> tuple:
    return (
        Meeting.objects.get(pk=m.pk).version,
        AuditEntry.objects.count(),
        sorted(Attendance.objects.filter(meeting=m).values_list("member_id", "status", "reason")),
    )


def test_a_mark_writes_the_row_and_the_entry_the_orm_would_and_gives_the_roll_after_it(world):
    m = running(world)  # everyone marked present
    before = {a.member_id: a.status for a in m.attendance.all()}
    entries = AuditEntry.objects.count()
    marked = services.mark_attendance(
        actor=world.secretary, meeting=m, member_id=world.m_same.pk,
        status=AttendanceStatus.ABSENT_EXCUSED, reason="  Ốm\u200b ",
    )
    row = Attendance.objects.select_related("member").get(meeting=m, member=world.m_same)
    assert (row.status, row.reason) == (AttendanceStatus.ABSENT_EXCUSED, "Ốm")
    assert AuditEntry.objects.count() == entries + 1
    entry = AuditEntry.objects.order_by("-id").first()
    name = world.m_same.full_name
    assert (entry.actor_id, entry.actor_name, entry.action) == (world.secretary.pk, world.secretary.username, "update")
    assert (entry.object_type, entry.object_id) == ("meetings.attendance", str(row.pk))
    assert entry.object_repr == f"{name} — Vắng có lý do — {Meeting.objects.get(pk=m.pk)}"
    assert entry.org_path == world.cell1.path
    assert entry.changes == {"attendance": [f"{name}: present", f"{name}: absent_excused"]}
    # The roll given back: the marked row as written, the others as stored, in roll order.
    assert [(a.member_id, a.status, a.reason) for a in marked.roster] == list(
        Attendance.objects.filter(meeting=m).order_by("member__sort_key").values_list("member_id", "status", "reason")
    )
    assert {a.member_id: a.status for a in marked.roster if a.member_id != world.m_same.pk} == {
        k: v for k, v in before.items() if k != world.m_same.pk
    }
    assert marked.row is next(a for a in marked.roster if a.member_id == world.m_same.pk)
    assert marked.meeting.version == Meeting.objects.get(pk=m.pk).version


def test_a_long_label_is_cut_as_the_orm_cuts_it(world):
    m = running(world)
    type(world.cell1).objects.filter(pk=world.cell1.pk).update(name="Chi bộ " + "thôn rất xa " * 20)
    services.mark_attendance(
        actor=world.secretary, meeting=m, member_id=world.m_same.pk, status=AttendanceStatus.ABSENT_UNEXCUSED
    )
    entry = AuditEntry.objects.order_by("-id").first()
    full = f"{world.m_same.full_name} — Vắng không lý do — {Meeting.objects.get(pk=m.pk)}"
    assert len(full) > 255 and entry.object_repr == full[:255]


def test_a_refused_mark_writes_nothing(world):
    m = running(world)
    kept = state(m)
    with pytest.raises(ValidationError) as refused:  # excused without a reason
        services.mark_attendance(
            actor=world.secretary, meeting=m, member_id=world.m_same.pk, status=AttendanceStatus.ABSENT_EXCUSED
        )
    assert "reason" in refused.value.message_dict
    assert state(m) == kept
    with pytest.raises(services.NotOnRoll):  # a member of another cell
        services.mark_attendance(
            actor=world.secretary, meeting=m, member_id=world.m_other.pk, status=AttendanceStatus.PRESENT
        )
    assert state(m) == kept
    with pytest.raises(ValidationError):
        services.mark_attendance(
            actor=world.secretary, meeting=m, member=world.m_other, status=AttendanceStatus.PRESENT
        )
    with pytest.raises(services.Conflict):  # a stale version
        services.mark_attendance(
            actor=world.secretary, meeting=m, member_id=world.m_same.pk, status=AttendanceStatus.PRESENT,
            expected_version=Meeting.objects.get(pk=m.pk).version - 1,
        )
    assert state(m) == kept
