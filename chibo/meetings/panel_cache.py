"""What the meeting page shows beside the record, read once per version and shared by its readers.

The page's panels from other apps (chibo/annual: shortcomings raised at the meeting and the dues of
its month; chibo/oversight: the month's guidance and its adoption, the model-meeting mark) read live
rows that are not part of the meeting: ~10 queries until 07/12/2026, more than half the page's time
once the record itself came from record_cache; 5 plain statements since, the panels reading only what
exists (docs/architecture.md "What the panels read"). They are kept in the configured cache under a key built from rows the
access check already loaded, so a kept entry costs no query to validate:

    (meeting.pk, meeting.version, cell.activity_rev, cell.path, the code's digest, the part)

`Organisation.activity_rev` gets a new random value, in the writing transaction, on every write those
parts read: the receivers below (saves and deletes of shortcomings, dues profiles and payments,
members, guidance and its items, adoptions, officers' visits, peer pairings, model meetings,
rulebook variants, organisations above the cell, a meeting deleted) and `services.set_dues` /
`update_meeting` (the dues collected at a meeting count for every meeting page of its month). Random values, not a counter: a database
restored from a backup brings back the values of that state, which name that state's entries.

Per reader: which shortcomings the reader may see is filtered after the cache (the entry holds all
of them); the officer's own visit and the peer pairing the reader may score are kept in an entry of
the reader's own, whose key adds the user and a digest of their roles (`reader_key`); forms are
rendered per request (they carry the request's CSRF token). Names read through other rows (a user
account who raised a shortcoming, a committee renamed) are refreshed when the entry expires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django.core.cache import cache as default_cache
from django.db.models.signals import post_delete, post_save

from chibo.organisations import activity

PANEL_SECONDS = 600
_APPS = Path(__file__).resolve().parent.parent


@cache
def code_version() -> str:
    """A digest of the code that builds what is kept (Redis outlives a deployment that changes it)."""
    digest = hashlib.sha256()
    for name in (
        "meetings/panel_cache.py",
        "annual/templatetags/annual_tags.py",
        "annual/selectors.py",
        "oversight/templatetags/oversight.py",
        "oversight/services.py",
    ):
        digest.update((_APPS / name).read_bytes())
    return digest.hexdigest()[:12]


def reader_key(user: Any) -> str:
    """The reader and their roles as the access check read them (accounts.access.get_scope)."""
    from chibo.accounts.access import get_scope

    scope = get_scope(user)
    grants = sorted((path, sorted(perms)) for path, perms in scope.grants)
    text = repr((user.pk, scope.superuser, scope.member_id, grants))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def key_for(meeting: Any, part: str, reader: Any = None) -> str:
    cell = meeting.organisation
    who = f":{reader_key(reader)}" if reader is not None else ""
    return (
        f"chibo:panel:{part}:{meeting.pk}:{meeting.version}:{cell.activity_rev}:{cell.path}:{code_version()}{who}"
    )


def remembered(meeting: Any, part: str, build: Callable[[], Any], *, reader: Any = None) -> Any:
    """BUILD()'s value for MEETING's PART, from the cache while nothing it reads has changed
    (READER: a value of that reader's own, kept under their roles too)."""
    return default_cache.get_or_set(key_for(meeting, part, reader), build, PANEL_SECONDS)


# --- the writes that change a panel -------------------------------------------------------------
def _cell_of(field: str) -> Callable[..., None]:
    def receiver(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if not raw:  # loaddata (restore) brings back the rows' own values
            activity.touch([getattr(instance, field)])

    return receiver


def _member_cell(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        activity.touch_member_cell(instance.member_id)


def _guidance(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Guidance saved or deleted, or an item of published guidance: every cell below its committee."""
    if raw:
        return
    from chibo.organisations.models import Organisation

    if hasattr(instance, "committee_id"):  # the guidance itself
        committee = Organisation.objects.filter(pk=instance.committee_id)
    else:  # one of its items: only shown once the guidance is published
        committee = Organisation.objects.filter(
            guidance_issued__id=instance.guidance_id, guidance_issued__published_at__isnull=False
        )
    activity.touch_subtree(committee.values_list("path", flat=True).first() or "")


def _model_meeting(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        from chibo.meetings.models import Meeting

        activity.touch(Meeting.objects.filter(pk=instance.meeting_id).values_list("organisation_id", flat=True))


def _pairing(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        activity.touch([instance.scored_cell_id, instance.scorer_cell_id])


def _rulebook(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        activity.touch_all()


def _organisation(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """A committee renamed or given a rulebook: the cells below it (the cell's own save set its value)."""
    if not raw and not instance.is_cell:
        activity.touch_subtree(instance.path)


def connect() -> None:
    from chibo.annual.models import DuesPayment, DuesProfile, Shortcoming
    from chibo.meetings.models import Meeting
    from chibo.members.models import Member
    from chibo.organisations.models import Organisation
    from chibo.oversight.models import (
        Adoption,
        Guidance,
        GuidanceItem,
        ModelMeeting,
        OfficerVisit,
        PeerPairing,
    )
    from chibo.rules.models import RulebookRecord

    for model, receiver in (
        (Shortcoming, _cell_of("organisation_id")),
        (DuesPayment, _cell_of("organisation_id")),
        (DuesProfile, _member_cell),
        (Member, _cell_of("organisation_id")),
        (Guidance, _guidance),
        (GuidanceItem, _guidance),
        (Adoption, _cell_of("cell_id")),
        (OfficerVisit, _cell_of("cell_id")),
        (PeerPairing, _pairing),
        (ModelMeeting, _model_meeting),
        (RulebookRecord, _rulebook),
        (Organisation, _organisation),
    ):
        uid = f"chibo.panel_cache.{model.__name__}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
    # a meeting deleted takes its dues with it (its saves bump its own version, which is in the key)
    post_delete.connect(_cell_of("organisation_id"), sender=Meeting, weak=False, dispatch_uid="chibo.panel_cache.Meeting")
    # Guidance.cells: set only by create_guidance, before publication (publish_guidance saves the row).
    # No m2m_changed receiver: loaddata (restore) sets m2m fields without telling it is raw.
