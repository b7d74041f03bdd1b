"""The live screen's hottest statements are written out (chibo/core/rawsql.py): the meeting's lock
taken by every live write (services._writable) and the roll a roll-call mark reads
(selectors.roll_rows). What they give must be exactly what the ORM gives, and a write they refuse
must leave nothing behind (the version is bumped before the checks, inside the transaction)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from chibo.meetings import selectors, services
from chibo.meetings.models import AttendanceStatus, Meeting
from chibo.meetings.tests.test_views import approved, running
from chibo.members.models import Member
from chibo.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def values(obj, model) -> dict:  # type: ignore[no-untyped-def]
    """Every concrete column loaded on OBJ (deferred ones left out), as the instance holds it."""
    loaded = obj.__dict__
    return {f.attname: loaded[f.attname] for f in model._meta.concrete_fields if f.attname in loaded}


@transaction.atomic
def lock(m: Meeting, **kw) -> Meeting:  # type: ignore[no-untyped-def]
    return services._writable(Meeting(pk=m.pk), **kw)


def test_the_locked_meeting_is_the_orm_row_with_its_cell_and_the_version_bumped(world):
    m = running(world)
    services.update_meeting(actor=world.secretary, meeting=m, place="Nhà văn hóa thôn")  # text, dates set
    orm = Meeting.objects.select_related("organisation").get(pk=m.pk)
    for parts in (False, True):
        before = Meeting.objects.get(pk=m.pk)
        fresh = lock(m, parts=parts)
        assert fresh.version == before.version + 1
        assert fresh.parts_version == before.parts_version + (1 if parts else 0)
        stored = Meeting.objects.get(pk=m.pk)
        assert (stored.version, stored.parts_version) == (fresh.version, fresh.parts_version)
        got, want = values(fresh, Meeting), values(stored, Meeting)
        assert got == want and len(got) == len(Meeting._meta.concrete_fields)
        # types as the ORM gives them (SQLite hands back strings and integers for these)
        assert fresh.started_at == orm.started_at and fresh.started_at.tzinfo is not None
        assert fresh.snapshot == orm.snapshot and isinstance(fresh.snapshot, dict)
        assert not fresh._state.adding and fresh._state.db == "default"
        with CaptureQueriesContext(connection) as queries:  # the cell came with it
            assert values(fresh.organisation, Organisation) == values(orm.organisation, Organisation)
            assert fresh.organisation.path == world.cell1.path
        assert not queries.captured_queries


def test_an_approved_meeting_a_stale_version_or_a_refused_user_leave_the_version_as_it_was(world):
    m = approved(world)
    version = Meeting.objects.get(pk=m.pk).version
    with pytest.raises(services.MeetingLocked):
        lock(m)
    live = running(world)
    seen = Meeting.objects.get(pk=live.pk).version
    with pytest.raises(services.Conflict):
        lock(live, expected_version=seen - 1)

    def refuse(_: Meeting) -> None:
        raise PermissionDenied

    with pytest.raises(PermissionDenied):
        lock(live, authorize=refuse)
    assert Meeting.objects.get(pk=m.pk).version == version
    assert Meeting.objects.get(pk=live.pk).version == seen
    assert lock(live, expected_version=seen).version == seen + 1  # the version the page showed: written


def test_a_meeting_that_does_not_exist(world):
    with pytest.raises(Meeting.DoesNotExist):
        lock(Meeting(pk=987654))


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_nothing_is_bumped(world):
    m = running(world)
    version = Meeting.objects.get(pk=m.pk).version
    with pytest.raises(RuntimeError):
        services._writable(Meeting(pk=m.pk))
    assert Meeting.objects.get(pk=m.pk).version == version


def test_the_roll_read_under_the_lock_is_roll_of_row_for_row(world):
    m = running(world)
    services.set_attendance(
        actor=world.secretary, meeting=m, member=world.m_same, status=AttendanceStatus.ABSENT_EXCUSED, reason="Ốm"
    )
    fresh = Meeting.objects.get(pk=m.pk)
    mine, orm = selectors.roll_rows(fresh), list(selectors.roll_of(fresh))
    assert [a.pk for a in mine] == [a.pk for a in orm] and len(mine) == 4
    for a, b in zip(mine, orm, strict=True):
        assert values(a, type(a)) == values(b, type(b))
        assert a.get_deferred_fields() == b.get_deferred_fields() == set()
        assert values(a.member, Member) == values(b.member, Member)
        assert a.member.get_deferred_fields() == b.member.get_deferred_fields() != set()  # only the brief
        assert a.is_full is b.is_full and isinstance(a.is_full, bool)
    with CaptureQueriesContext(connection) as queries:
        assert all(a.meeting is fresh for a in mine)  # the meeting as given, as meeting.attendance does
        names = [a.member.full_name for a in mine]
    assert not queries.captured_queries
    assert names == [a.member.full_name for a in orm]
    excused = next(a for a in mine if a.member_id == world.m_same.pk)
    assert (excused.status, excused.reason) == (AttendanceStatus.ABSENT_EXCUSED, "Ốm")
    # a deferred member column still loads on access, as with the ORM's .only()
    assert mine[0].member.official_date == Member.objects.get(pk=mine[0].member_id).official_date


def test_the_meeting_a_page_reads_is_the_orm_row_with_its_cell_and_the_cells_parent(world):
    m = running(world)
    services.update_meeting(actor=world.secretary, meeting=m, place="Nhà văn hóa thôn")
    orm = Meeting.objects.select_related("organisation", "organisation__parent").get(pk=m.pk)
    got = selectors.meeting_with_cell(m.pk)
    assert got is not None and values(got, Meeting) == values(orm, Meeting)
    assert len(values(got, Meeting)) == len(Meeting._meta.concrete_fields)
    assert got.started_at == orm.started_at and got.started_at.tzinfo is not None
    assert not got._state.adding and got._state.db == "default"
    with CaptureQueriesContext(connection) as queries:
        assert values(got.organisation, Organisation) == values(orm.organisation, Organisation)
        assert values(got.organisation.parent, Organisation) == values(orm.organisation.parent, Organisation)
        assert got.organisation.parent == world.an_binh
    assert not queries.captured_queries
    # a cell without a parent: None is cached, as select_related caches it
    Organisation.objects.filter(pk=world.cell1.pk).update(parent=None)
    got = selectors.meeting_with_cell(m.pk)
    with CaptureQueriesContext(connection) as queries:
        assert got is not None and got.organisation.parent is None
    assert not queries.captured_queries


def test_the_meeting_page_reads_the_bulletin_with_the_meeting(world):
    from chibo.bulletin.models import Bulletin
    from chibo.bulletin.selectors import bulletin_of

    m = running(world)
    with CaptureQueriesContext(connection) as queries:
        got = selectors.meeting_with_cell(m.pk, bulletin=True)
        assert got is not None and bulletin_of(got) is None  # none yet: known without asking again
    assert len(queries.captured_queries) == 1
    made = Bulletin.objects.create(meeting=m, organisation=m.organisation)
    with CaptureQueriesContext(connection) as queries:
        got = selectors.meeting_with_cell(m.pk, bulletin=True)
        found = bulletin_of(got)
        assert found is not None and found.meeting is got
    assert len(queries.captured_queries) == 1
    assert values(found, Bulletin) == values(Bulletin.objects.get(pk=made.pk), Bulletin)
    assert found.chapters == [] and isinstance(found.chapters, list)
    plain = selectors.meeting_with_cell(m.pk)  # not asked for: bulletin_of reads it
    with CaptureQueriesContext(connection) as queries:
        assert bulletin_of(plain) == made
    assert len(queries.captured_queries) == 1


def test_a_meeting_id_out_of_range_or_unknown_is_not_found(client, world):
    assert selectors.meeting_with_cell(987654) is None
    assert selectors.meeting_with_cell(2**63) is None and selectors.meeting_with_cell(-(2**63) - 1) is None
    client.force_login(world.secretary)
    for pk in ("987654", str(2**63), "99999999999999999999999"):
        assert client.get(f"/sinh-hoat/{pk}/").status_code == 404


def test_a_mark_writes_its_row_and_the_audit_entry_record_would_write_and_tells_the_listeners(world):
    from django.db.models import signals

    from chibo.audit import services as audit
    from chibo.audit.models import AuditEntry
    from chibo.meetings.models import Attendance

    m = running(world)
    row = Attendance.objects.get(meeting=m, member=world.m_same)
    heard: list[tuple[str, object, object]] = []

    def listen(signal_name):  # type: ignore[no-untyped-def]
        def receiver(sender, instance, **kw):  # type: ignore[no-untyped-def]
            heard.append((signal_name, instance.status, kw.get("update_fields")))
        return receiver

    pre, post = listen("pre"), listen("post")
    signals.pre_save.connect(pre, sender=Attendance)
    signals.post_save.connect(post, sender=Attendance)
    try:
        before = set(AuditEntry.objects.values_list("pk", flat=True))
        with transaction.atomic():
            marked = services.mark_attendance(
                actor=world.secretary, meeting=Meeting(pk=m.pk), member_id=world.m_same.pk,
                status=AttendanceStatus.ABSENT_EXCUSED, reason="  Ốm  ",
            )
    finally:
        signals.pre_save.disconnect(pre, sender=Attendance)
        signals.post_save.disconnect(post, sender=Attendance)
    stored = Attendance.objects.get(pk=row.pk)
    assert (stored.status, stored.reason) == (AttendanceStatus.ABSENT_EXCUSED, "Ốm")
    assert values(stored, Attendance) == values(marked.row, Attendance)  # the answer shows what was written
    others = Attendance.objects.filter(meeting=m).exclude(pk=row.pk)
    assert not others.filter(status=AttendanceStatus.ABSENT_EXCUSED).exists()  # that row only
    assert [(s, st, set(f)) for s, st, f in heard] == [
        ("pre", AttendanceStatus.ABSENT_EXCUSED, {"status", "reason"}),
        ("post", AttendanceStatus.ABSENT_EXCUSED, {"status", "reason"}),
    ]
    new = AuditEntry.objects.exclude(pk__in=before)
    assert new.count() == 1
    got = new.get()
    want = audit.entry(
        actor=world.secretary, action="update", obj=stored, org_path=world.cell1.path,
        changes={"attendance": [f"{world.m_same.full_name}: {row.status}", f"{world.m_same.full_name}: absent_excused"]},
        object_repr=f"{stored} — {Meeting.objects.get(pk=m.pk)}",
    )
    for f in ("actor_id", "actor_name", "action", "object_type", "object_id", "object_repr", "org_path", "changes", "ip"):
        assert getattr(got, f) == getattr(want, f), f
    assert got.changes["attendance"][1].endswith(": absent_excused") and isinstance(got.changes, dict)
    assert abs((got.at - want.at).total_seconds()) < 60 and got.at.tzinfo is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_on_postgresql_the_hot_statements_are_prepared_once_per_connection_and_give_the_same(world, settings):
    """rawsql.cursor(): the lock, the mark and the meeting a page reads are planned once per
    connection (pg_prepared_statements), the same rows come back the second time, and with
    CHIBO_PG_PREPARE off nothing is prepared. The queries still count (assertNumQueries)."""

    def prepared() -> list[str]:
        with connection.cursor() as c:
            c.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
            return [r[0] for r in c.fetchall()]

    m = running(world)
    settings.CHIBO_PG_PREPARE = False
    with connection.cursor() as c:
        c.execute("DEALLOCATE ALL")
    connection.connection._prepared.clear()  # (psycopg's own record of what it prepared)
    assert selectors.meeting_with_cell(m.pk) is not None
    with transaction.atomic():
        services.mark_attendance(actor=world.secretary, meeting=Meeting(pk=m.pk), member_id=world.m_same.pk, status="present")
    assert prepared() == []

    settings.CHIBO_PG_PREPARE = True
    first = selectors.meeting_with_cell(m.pk)
    with CaptureQueriesContext(connection) as q:
        with transaction.atomic():
            one = services.mark_attendance(actor=world.secretary, meeting=Meeting(pk=m.pk), member_id=world.m_same.pk, status="absent_unexcused")
    assert len([x for x in q.captured_queries if "SAVEPOINT" not in x["sql"]]) == 2  # the lock, the mark
    statements = prepared()
    assert len(statements) == 3, statements
    assert any("UPDATE" in s and "meetings_attendance" in s for s in statements)  # the mark and its audit
    with transaction.atomic():
        two = services.mark_attendance(actor=world.secretary, meeting=Meeting(pk=m.pk), member_id=world.m_same.pk, status="present")
    again = selectors.meeting_with_cell(m.pk)
    assert len(prepared()) == 3  # re-executed by name, not prepared again
    assert [values(a, type(a)) for a in one.roster if a.member_id != world.m_same.pk] == [
        values(a, type(a)) for a in two.roster if a.member_id != world.m_same.pk
    ]
    assert values(first, Meeting) | {"version": 0} == values(again, Meeting) | {"version": 0}
    assert again.version == first.version + 2
