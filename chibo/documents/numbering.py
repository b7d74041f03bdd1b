"""Resolution/conclusion numbers: consecutive per document type within the cell's term.

Called from chibo.meetings.services.approve inside the approval transaction, so a number is
issued exactly when the record is locked: a rolled-back approval issues nothing (no gaps),
and the counter row is locked with SELECT … FOR UPDATE, so concurrent approvals in one term
queue on it and never draw the same number. The IssuedNumber unique constraint is the last
line of defence against reuse.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.documents.layout import layout
from chibo.documents.models import DocumentCounter, IssuedNumber
from chibo.meetings.models import Meeting
from chibo.organisations.models import Term


def term_on(cell: Any, day: dt.date) -> Term | None:
    """The cell's term covering DAY (only a covering term: numbering never borrows another term)."""
    return cell.terms.filter(start__lte=day, end__gte=day).order_by("-start").first()


def scope_for(cell: Any, day: dt.date) -> tuple[str, Term | None]:
    term = term_on(cell, day)
    return (f"term:{term.pk}", term) if term else (f"year:{day.year}", None)


def resolution_passed(meeting: Meeting) -> bool:
    vote = meeting.votes.filter(closed_at__isnull=False).order_by("-closed_at", "-id").first()
    return bool(vote and vote.passed)


def assign_on_approval(*, actor: Any, meeting: Meeting) -> IssuedNumber | None:
    """Issue the meeting's resolution (or conclusion) number if the cell adopted it by vote.

    Must run inside the approval transaction (the caller holds the meeting row lock).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("assign_on_approval must run inside the approval transaction")
    existing = IssuedNumber.objects.filter(meeting=meeting).first()
    if existing is not None or not resolution_passed(meeting):
        return existing
    rules = layout().numbering
    doc_type = rules.doc_type_for(meeting.kind)
    day = timezone.localtime(meeting.scheduled_at).date()
    cell = meeting.organisation
    scope, term = scope_for(cell, day)
    DocumentCounter.objects.bulk_create(
        [DocumentCounter(organisation=cell, scope=scope, doc_type=doc_type)], ignore_conflicts=True
    )
    counter = DocumentCounter.objects.select_for_update().get(organisation=cell, scope=scope, doc_type=doc_type)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    issued = IssuedNumber.objects.create(
        meeting=meeting, organisation=cell, term=term, scope=scope, doc_type=doc_type,
        number=counter.last_number, symbol=rules.symbol(doc_type, counter.last_number), issued_on=day,
    )
    record(
        actor=actor, action=AuditAction.CREATE, obj=issued, org_path=cell.path,
        changes={"number": ["", f"Số {issued.symbol}"], "scope": ["", term.name if term else scope]},
        object_repr=f"Số {issued.symbol} — {meeting}",
    )
    return issued
