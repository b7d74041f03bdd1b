"""Resolution numbers: consecutive per type within the cell's term, never reused, never skipped, safe concurrently."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from chibo.audit.models import AuditEntry
from chibo.documents.models import DocumentCounter, IssuedNumber
from chibo.documents.tests.helpers import full_meeting
from chibo.meetings import services
from chibo.meetings.models import Meeting, MeetingKind
from chibo.organisations import services as org_services


def days_back(*offsets: int) -> list[dt.date]:
    today = timezone.localdate()
    return [today - dt.timedelta(days=n) for n in offsets]


@pytest.mark.django_db
def test_numbers_run_consecutively_per_type_within_the_term(world):
    symbols = [full_meeting(world, day=day).meeting.issued_number.symbol for day in days_back(40, 30, 20)]
    assert symbols == ["01-NQ/CB", "02-NQ/CB", "03-NQ/CB"]
    thematic = full_meeting(world, day=days_back(10)[0], kind=MeetingKind.THEMATIC).meeting
    assert thematic.issued_number.symbol == "01-KL/CB"  # its own series
    issued = IssuedNumber.objects.get(meeting=thematic)
    assert issued.term.name == "Nhiệm kỳ 2025–2030" and issued.scope == f"term:{issued.term_id}"
    entry = AuditEntry.objects.filter(object_type="documents.issuednumber", object_id=str(issued.pk)).get()
    assert entry.changes["number"] == ["", "Số 01-KL/CB"]


@pytest.mark.django_db
def test_a_new_term_starts_again_from_01(world):
    first, second = days_back(60, 3)
    org_services.add_term(actor=None, org=world.cell1, name="Nhiệm kỳ cũ", start=first - dt.timedelta(days=400),
                          end=first + dt.timedelta(days=5))
    org_services.add_term(actor=None, org=world.cell1, name="Nhiệm kỳ mới", start=first + dt.timedelta(days=6),
                          end=second + dt.timedelta(days=900))
    a = full_meeting(world, day=first).meeting
    b = full_meeting(world, day=second).meeting
    assert (a.issued_number.symbol, a.issued_number.term.name) == ("01-NQ/CB", "Nhiệm kỳ cũ")
    assert (b.issued_number.symbol, b.issued_number.term.name) == ("01-NQ/CB", "Nhiệm kỳ mới")


@pytest.mark.django_db
def test_a_rejected_resolution_gets_no_number_and_the_next_one_is_not_skipped(world):
    failed = full_meeting(world, day=days_back(40)[0], in_favour=2).meeting  # 2 of 5 eligible: not adopted
    assert failed.snapshot["votes"][0]["passed"] is False
    assert not IssuedNumber.objects.filter(meeting=failed).exists()
    adopted = full_meeting(world, day=days_back(20)[0]).meeting
    assert adopted.issued_number.number == 1


@pytest.mark.django_db
def test_a_rolled_back_approval_issues_nothing(world):
    built = full_meeting(world, approve=False)
    with pytest.raises(RuntimeError, match="power cut"), transaction.atomic():
        services.approve(actor=world.secretary, meeting=built.meeting)
        raise RuntimeError("power cut")
    assert IssuedNumber.objects.count() == 0
    assert DocumentCounter.objects.filter(last_number__gt=0).count() == 0
    approved = services.approve(actor=world.secretary, meeting=Meeting.objects.get(pk=built.meeting.pk))
    assert approved.issued_number.symbol == "01-NQ/CB"


@pytest.mark.django_db
def test_without_a_term_numbers_run_per_calendar_year(world):
    built = full_meeting(world, approve=False)
    world.cell1.terms.all().delete()
    m = services.approve(actor=world.secretary, meeting=built.meeting)
    assert m.issued_number.scope == f"year:{built.day.year}" and m.issued_number.term is None


@pytest.mark.django_db
def test_a_number_can_never_be_issued_twice(world):
    issued = full_meeting(world).meeting.issued_number
    other = full_meeting(world, day=days_back(1)[0], approve=False).meeting
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuedNumber.objects.create(meeting=other, organisation=issued.organisation, term=issued.term, scope=issued.scope,
                                    doc_type=issued.doc_type, number=issued.number, symbol=issued.symbol,
                                    issued_on=issued.issued_on)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_in_one_term_never_share_a_number(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks); SQLite serialises every writer")
    count = 6
    meetings = [full_meeting(world, day=day, approve=False).meeting for day in days_back(*range(60, 60 - 7 * count, -7))]
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def approve(meeting: Meeting) -> None:
        try:
            barrier.wait(timeout=30)
            services.approve(actor=world.secretary, meeting=meeting)
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(m,)) for m in meetings]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    numbers = sorted(IssuedNumber.objects.filter(meeting__in=meetings).values_list("number", flat=True))
    assert numbers == list(range(1, count + 1))  # all distinct, none skipped
    assert DocumentCounter.objects.get(organisation=world.cell1, doc_type="NQ").last_number == count
