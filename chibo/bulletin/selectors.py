"""Reads for the bulletin pages, the meeting screen, the minutes and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.bulletin.models import CATEGORY_ORDER, Bulletin, Category, Entry, FeedSource, NewsItem, Origin
from chibo.meetings.models import Meeting
from chibo.organisations.models import Organisation


def ancestor_paths(org: Organisation) -> list[str]:
    """'/1/7/42/' → ['/1/', '/1/7/'] (the organisations above ORG)."""
    ids = [p for p in org.path.strip("/").split("/") if p]
    return ["/" + "/".join(ids[:i]) + "/" for i in range(1, len(ids))]


def items_for_cell(org: Organisation) -> QuerySet[NewsItem]:
    """The organisation's own items and those pushed down by any committee above it."""
    above = ancestor_paths(org)
    return NewsItem.objects.filter(
        Q(organisation=org) | Q(origin=Origin.PUSHED, organisation__path__in=above)
    )


def feeds_of(org: Organisation) -> QuerySet[FeedSource]:
    return FeedSource.objects.filter(organisation=org).order_by("category", "name", "id")


def bulletin_of(meeting: Meeting) -> Bulletin | None:
    """MEETING's bulletin or None; read with the meeting when the view asked for it
    (meetings.selectors.meeting_with_cell(bulletin=True)), else one query."""
    rel: Any = Meeting._meta.get_field("bulletin")  # (the reverse one-to-one)
    if rel.is_cached(meeting):
        cached: Bulletin | None = rel.get_cached_value(meeting)
        return cached
    return Bulletin.objects.filter(meeting=meeting).first()


def ordered_entries(bulletin: Bulletin | None) -> list[Entry]:
    """Entries in reading order: by category (tỉnh, nước, đối ngoại, thế giới, ngành), then order."""
    if bulletin is None:
        return []
    rows = list(bulletin.entries.all())
    return sorted(rows, key=lambda e: (CATEGORY_ORDER.get(e.category, 99), e.order, e.pk))


def grouped(entries: list[Entry]) -> list[tuple[str, str, list[Entry]]]:
    """[(category, label, entries)] for every category, in reading order."""
    out = []
    for cat in Category:
        out.append((cat.value, cat.label, [e for e in entries if e.category == cat.value]))
    return out


def titles_for_meeting(meeting: Meeting) -> list[str]:
    """Titles of the bulletin read at MEETING, in reading order (for the minutes)."""
    bulletin = bulletin_of(meeting)
    return [e.title for e in ordered_entries(bulletin)]


def visible_organisations(user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(get_scope(user).q(Perm.ORG_VIEW)).order_by("path")


def meetings_with_bulletins(user: Any, limit: int = 30) -> list[Meeting]:
    """Recent and coming meetings the user can see, each with `.bulletin_row` (or None)."""
    meetings = list(
        Meeting.objects.filter(get_scope(user).q(Perm.MEETING_VIEW, "organisation__path"))
        .select_related("organisation")
        .order_by("-scheduled_at")[:limit]
    )
    by_meeting = {
        b.meeting_id: b
        for b in Bulletin.objects.filter(meeting__in=meetings).only(
            "id", "meeting_id", "audio_status", "updated_at"
        )
    }
    counts: dict[int, int] = {}
    for mid in Entry.objects.filter(bulletin__meeting__in=meetings).values_list(
        "bulletin__meeting_id", flat=True
    ):
        counts[mid] = counts.get(mid, 0) + 1
    for m in meetings:
        m.bulletin_row = by_meeting.get(m.pk)  # type: ignore[attr-defined]
        m.bulletin_count = counts.get(m.pk, 0)  # type: ignore[attr-defined]
    return meetings


def feed_status_counts(orgs: list[Organisation]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {o.pk: {"feeds": 0, "broken": 0} for o in orgs}
    for feed in FeedSource.objects.filter(organisation__in=orgs).only(
        "organisation_id", "last_fetched_at", "last_success_at", "last_error_at"
    ):
        row = out[feed.organisation_id]
        row["feeds"] += 1
        if feed.healthy is False:
            row["broken"] += 1
    return out
