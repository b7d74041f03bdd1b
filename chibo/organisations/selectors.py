"""Reads over the organisation tree, scoped and with bounded query counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.core import vntext
from chibo.members.models import COMMITTEE_POSITIONS, Member, MemberStatus, TempDirection
from chibo.organisations.models import Organisation, OrgKind, Term
from chibo.rules import loader as rules


def visible_organisations(user: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(get_scope(user).q(Perm.ORG_VIEW))


def scope_roots(user: Any) -> QuerySet[Organisation]:
    scope = get_scope(user)
    if scope.superuser:
        return Organisation.objects.filter(parent__isnull=True).order_by("sort_key")
    return Organisation.objects.filter(path__in=scope.paths_with(Perm.ORG_VIEW)).order_by(
        "depth", "sort_key"
    )


def active_members() -> QuerySet[Member]:
    return Member.objects.filter(left_at__isnull=True)


def with_member_counts(qs: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """Annotate each node with the number of active members in its subtree (one query)."""
    counts = (
        active_members()
        .filter(organisation__path__startswith=OuterRef("path"))
        .order_by()
        .annotate(n=Func(F("id"), function="COUNT"))
        .values("n")
    )
    group_counts = (
        active_members()
        .filter(party_group=OuterRef("pk"))
        .order_by()
        .annotate(n=Func(F("id"), function="COUNT"))
        .values("n")
    )
    return qs.annotate(
        subtree_members=Coalesce(Subquery(counts[:1], output_field=IntegerField()), 0),
        group_member_count=Coalesce(Subquery(group_counts[:1], output_field=IntegerField()), 0),
    )


def children(org: Organisation) -> QuerySet[Organisation]:
    return with_member_counts(org.children.all()).order_by("sort_key")


def ancestors(org: Organisation) -> list[Organisation]:
    ids = org.ancestor_ids()
    if not ids:
        return []
    return list(Organisation.objects.filter(pk__in=ids).order_by("depth"))


def search(user: Any, query: str, *, limit: int = 50) -> list[Organisation]:
    """Scoped search by name or code; ignores tone placement, and diacritics if the query has none."""
    query = vntext.clean(query or "")
    if not query:
        return []
    qs = visible_organisations(user)
    if vntext.query_is_ascii(query):
        words, column = vntext.strip_diacritics(query).split(" "), "search_ascii"
    else:
        words, column = vntext.fold(query).split(" "), "search_folded"
    name_q = Q()
    for word in words:
        name_q &= Q(**{f"{column}__contains": word})
    return list(qs.filter(name_q | Q(code__iexact=query)).order_by("sort_key")[:limit])


_RULEBOOK_SQL = (
    "SELECT 0, r.code, MAX(r.version) FROM {record} r WHERE r.is_variant GROUP BY r.code"
    "{above}"
)


def effective_rulebook(org: Organisation) -> rules.Rulebook:
    """ORG's rulebook: its own, else the nearest committee's above it, else the default — and the
    newest uploaded version of it. One statement reads both which committees above set one and the
    newest version of every variant (two ORM queries until 07/12/2026: every meeting page's panels,
    the dues ledger and the judge read it; docs/bench.md, session 15)."""
    from django.db import router

    from chibo.core import rawsql
    from chibo.rules.models import RulebookRecord

    ids = [] if org.rulebook_code else org.ancestor_ids()
    above = (
        f" UNION ALL SELECT o.id, o.rulebook_code, 0 FROM {Organisation._meta.db_table} o"
        f" WHERE o.id IN ({', '.join(['%s'] * len(ids))}) AND o.rulebook_code <> ''"
        if ids
        else ""
    )
    sql = _RULEBOOK_SQL.format(record=RulebookRecord._meta.db_table, above=above)
    with rawsql.cursor(router.db_for_read(Organisation)) as cursor:
        cursor.execute(sql, ids)
        found = cursor.fetchall()
    newest = {code: version for pk, code, version in found if not pk}
    codes = {pk: code for pk, code, _ in found if pk}
    code = org.rulebook_code or next((codes[pk] for pk in reversed(ids) if pk in codes), None)
    return rules.get(code, variants=newest)


def current_term(org: Organisation, on: dt.date | None = None) -> Term | None:
    on = on or timezone.localdate()
    terms = list(org.terms.all())
    for term in terms:
        if term.covers(on):
            return term
    return terms[0] if terms else None


@dataclass(frozen=True)
class CellSummary:
    total: int
    full: int
    probationary: int
    incoming: int
    exempt: int
    away: int
    suspended: int
    special_duty: int
    committee: int


def cell_summary(cell: Organisation, on: dt.date | None = None) -> CellSummary:
    on = on or timezone.localdate()
    qs = active_members().filter(organisation=cell)
    away = Q(temp_direction=TempDirection.OUTGOING) & (
        Q(temp_from__isnull=True) | Q(temp_from__lte=on)
    ) & (Q(temp_to__isnull=True) | Q(temp_to__gte=on))
    agg = qs.aggregate(
        total=Count("id"),
        full=Count("id", filter=Q(status=MemberStatus.FULL)),
        probationary=Count("id", filter=Q(status=MemberStatus.PROBATIONARY)),
        incoming=Count("id", filter=Q(temp_direction=TempDirection.INCOMING)),
        exempt=Count("id", filter=Q(exempt_from__lte=on)),
        away=Count("id", filter=away),
        suspended=Count("id", filter=Q(suspended_from__lte=on)),
        special_duty=Count("id", filter=Q(special_duty=True)),
        committee=Count("id", filter=Q(party_position__in=list(COMMITTEE_POSITIONS))),
    )
    return CellSummary(**agg)


def structure_warnings(cell: Organisation, summary: CellSummary | None = None) -> list[str]:
    """Charter checks on a cell's size and committee, read from its rulebook."""
    if cell.kind not in (OrgKind.CELL, OrgKind.CELL_GRASSROOTS):
        return []
    summary = summary or cell_summary(cell)
    rule = effective_rulebook(cell).cell_structure
    warnings = []
    if summary.full < rule.min_full_members:
        warnings.append(
            f"Chi bộ có {summary.full} đảng viên chính thức, ít hơn "
            f"{rule.min_full_members} ({rule.source})."
        )
    if summary.full >= rule.committee_from_full_members and summary.committee < rule.min_committee_size:
        warnings.append(
            f"Chi bộ có {summary.full} đảng viên chính thức nhưng chưa có chi ủy "
            f"(từ {rule.committee_from_full_members} đảng viên chính thức phải bầu chi ủy; "
            f"{rule.source})."
        )
    return warnings


def birthdays_of_month(cell: Organisation, month: int | None = None) -> list[Member]:
    month = month or timezone.localdate().month
    members = list(
        active_members()
        .filter(organisation=cell, birth_date__month=month)
        .only("id", "full_name", "birth_date", "sort_key")
    )
    return sorted(members, key=lambda m: (m.birth_date.day if m.birth_date else 0, m.sort_key))
