"""Reads over members: always scoped, always with a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.core import vntext
from chibo.members.models import Member, MemberStatus, PartyPosition
from chibo.organisations.models import Organisation


def visible_members(user: Any) -> QuerySet[Member]:
    scope = get_scope(user)
    qs = Member.objects.filter(scope.q(Perm.MEMBER_VIEW, "organisation__path"))
    if scope.member_id and not scope.superuser:
        qs = qs | Member.objects.filter(pk=scope.member_id)
    return qs


def search_filter(qs: QuerySet[Member], query: str) -> QuerySet[Member]:
    """Tone-placement-insensitive search; diacritic-insensitive when the query has none."""
    query = vntext.clean(query or "")
    if not query:
        return qs
    if vntext.query_is_ascii(query):
        for word in vntext.strip_diacritics(query).split(" "):
            qs = qs.filter(search_ascii__contains=word)
    else:
        for word in vntext.fold(query).split(" "):
            qs = qs.filter(search_folded__contains=word)
    return qs


def member_list(
    user: Any,
    *,
    organisation: Organisation | None = None,
    query: str = "",
    status: str = "",
    include_left: bool = False,
) -> QuerySet[Member]:
    qs = visible_members(user)
    if organisation is not None:
        qs = qs.filter(organisation__path__startswith=organisation.path)
    if not include_left:
        qs = qs.filter(left_at__isnull=True)
    if status:
        qs = qs.filter(status=status)
    qs = search_filter(qs, query)
    return qs.select_related("organisation", "party_group").order_by("sort_key", "id")


LIST_FIELDS = (
    "id", "full_name", "birth_date", "status", "party_position", "exempt_from", "temp_direction",
    "temp_from", "temp_to", "suspended_from", "special_duty", "organisation__name", "party_group__name",
)
POSITION_LABELS = dict(PartyPosition.choices)


def member_rows(members: Iterable[Member], *, start: int = 1) -> list[dict[str, Any]]:
    """The member list's rows with their display values worked out once, here, so the row
    template only prints strings (100 rows × a dozen lookups, filters and `{% url %}`s was most
    of the page's time). MEMBERS: `member_list(...).only(*LIST_FIELDS)`, a page of it."""
    today = timezone.localdate()
    # One reverse() for the page; the detail URL of member PK is PREFIX + PK + SUFFIX.
    prefix, suffix = reverse("members:detail", kwargs={"pk": 0}).rsplit("0", 1)
    rows = []
    for n, m in enumerate(members, start=start):
        group = m.party_group
        rows.append({
            "n": n,
            "url": f"{prefix}{m.pk}{suffix}",
            "name": m.full_name,
            "flags": m.flags(today),
            "birth": m.birth_date.strftime("%d/%m/%Y") if m.birth_date else "",
            "place": f"{m.organisation.name} / {group.name}" if group else m.organisation.name,
            "probation": m.status == MemberStatus.PROBATIONARY,
            "position": POSITION_LABELS.get(m.party_position, m.party_position),
        })
    return rows


def memberships(member: Member) -> QuerySet[Any]:
    return member.memberships.select_related("organisation", "party_group").all()


def roster_on(cell: Organisation, day: Any) -> QuerySet[Member]:
    """Members who belonged to CELL on DAY, from the membership history (not today's placement)."""
    from django.db.models import Q

    # One filter() call, so every condition applies to the same membership row.
    return (
        Member.objects.filter(
            Q(memberships__end__isnull=True) | Q(memberships__end__gte=day),
            memberships__organisation=cell,
            memberships__start__lte=day,
        )
        .filter(Q(left_at__isnull=True) | Q(left_at__gt=day))
        .distinct()
        .order_by("sort_key", "id")
    )
