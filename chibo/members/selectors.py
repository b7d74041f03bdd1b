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
from chibo.members.models import Member, MemberStatus, PartyPosition, standing_flags
from chibo.organisations.models import Organisation, under


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
        qs = qs.filter(under(organisation.path, "organisation__"))
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


def member_rows(members: Iterable[tuple[Any, ...]], *, start: int = 1) -> list[dict[str, Any]]:
    """The member list's rows, display values worked out once, here, so the page only prints
    strings. MEMBERS: `member_list(...).values_list(*LIST_FIELDS)`, a page of it: plain column
    values, not model instances (building 100 members with their cell and tổ đảng was a large part
    of the page's time)."""
    today = timezone.localdate()
    # One reverse() for the page; the detail URL of member PK is PREFIX + PK + SUFFIX.
    prefix, suffix = reverse("members:detail", kwargs={"pk": 0}).rsplit("0", 1)
    rows = []
    for n, (pk, name, birth, status, position, exempt_from, temp_direction, temp_from, temp_to,
            suspended_from, special_duty, cell, group) in enumerate(members, start=start):
        rows.append({
            "n": n,
            "url": f"{prefix}{pk}{suffix}",
            "name": name,
            "flags": standing_flags(
                today, exempt_from=exempt_from, temp_direction=temp_direction, temp_from=temp_from,
                temp_to=temp_to, suspended_from=suspended_from, special_duty=special_duty,
            ),
            "birth": f"{birth.day:02d}/{birth.month:02d}/{birth.year:04d}" if birth else "",  # (strftime: 5x)
            "place": f"{cell} / {group}" if group else cell,
            "probation": status == MemberStatus.PROBATIONARY,
            "position": POSITION_LABELS.get(position, position),
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
