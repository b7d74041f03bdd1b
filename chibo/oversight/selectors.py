"""Reads for the upper committee's pages (lists scoped in the query, bounded query counts)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.core import vntext
from chibo.meetings.models import DocumentKind, Meeting, MeetingStatus, ScoreColumn
from chibo.members.models import Member
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind, under
from chibo.oversight.models import (
    Adoption,
    Guidance,
    InspectionItem,
    InspectionProgramme,
    ModelMeeting,
    OfficerVisit,
    PeerPairing,
    Recommendation,
)
from chibo.oversight.services import target_cells


def committees_for(user: Any) -> list[Organisation]:
    """The topmost non-cell nodes the user oversees (dashboard entry points)."""
    scope = get_scope(user)
    if scope.superuser:
        qs = Organisation.objects.filter(parent__isnull=True)
    else:
        qs = Organisation.objects.filter(path__in=scope.paths_with(Perm.MEETING_VIEW))
    return [
        o for o in qs.order_by("depth", "sort_key") if o.kind not in CELL_KINDS and o.kind != OrgKind.GROUP
    ]


def guidance_rows(committee: Organisation) -> QuerySet[Guidance]:
    return (
        Guidance.objects.filter(committee=committee)
        .annotate(n_items=Count("items", distinct=True), n_adopted=Count("items__adoptions", distinct=True))
        .order_by("-year", "-month", "-id")
    )


def adoption_status(g: Guidance) -> list[dict[str, Any]]:
    """Per target cell: which items it adopted, into which meeting, and whether it was presented."""
    items = list(g.items.all())
    cells = list(target_cells(g))
    adoptions: defaultdict[int, dict[int, Adoption]] = defaultdict(dict)
    for adoption in Adoption.objects.filter(item__guidance=g).select_related("meeting", "agenda_item"):
        adoptions[adoption.cell_id][adoption.item_id] = adoption
    rows = []
    for c in cells:
        per_item = []
        for it in items:
            a = adoptions[c.pk].get(it.pk)
            presented = bool(
                a
                and a.meeting.status == MeetingStatus.APPROVED
                and a.agenda_item
                and a.agenda_item.started_at
            )
            per_item.append({"item": it, "adoption": a, "presented": presented})
        rows.append({"cell": c, "items": per_item})
    return rows


def visit_rows(committee: Organisation, year: int) -> QuerySet[OfficerVisit]:
    return (
        OfficerVisit.objects.filter(committee=committee, year=year)
        .select_related("officer", "cell", "meeting")
        .order_by("month", "cell__sort_key", "officer__username")
    )


def visit_report(committee: Organisation, year: int) -> dict[str, Any]:
    """Who attended which cell, and how many cells each officer covered."""
    rows = list(visit_rows(committee, year))
    officers: dict[int, dict[str, Any]] = {}
    for v in rows:
        o = officers.setdefault(
            v.officer_id, {"officer": v.officer, "assigned": 0, "attended": 0, "cells": {}}
        )
        o["assigned"] += 1
        if v.attended:
            o["attended"] += 1
            o["cells"][v.cell_id] = v.cell.name
    cells = list(
        Organisation.objects.filter(under(committee.path), kind__in=list(CELL_KINDS), is_active=True).order_by(
            "sort_key"
        )
    )
    attended_by_cell: dict[int, list[str]] = defaultdict(list)
    for v in rows:
        if v.attended:
            attended_by_cell[v.cell_id].append(
                f"{v.officer.display_name or v.officer.username} ({v.month:02d})"
            )
    covered = len(attended_by_cell)
    return {
        "officers": sorted(
            officers.values(),
            key=lambda o: vntext.name_sort_key(o["officer"].display_name or o["officer"].username),
        ),
        "cells": [{"cell": c, "who": attended_by_cell.get(c.pk, [])} for c in cells],
        "covered": covered,
        "total": len(cells),
    }


def inspection_items(programme: InspectionProgramme) -> QuerySet[InspectionItem]:
    return (
        programme.items.select_related("subject_cell", "subject_member__organisation", "officer")
        .annotate(
            n_rec=Count("recommendations", distinct=True),
            n_open=Count("recommendations", filter=Q(recommendations__done_at__isnull=True), distinct=True),
        )
        .order_by("period_from", "id")
    )


def recommendations_for_subject(user: Any) -> QuerySet[Recommendation]:
    """Recommendations on cells (or their members) where the user may manage the organisation."""
    scope = get_scope(user)
    q_cell = scope.q(Perm.ORG_MANAGE, "item__subject_cell__path")
    q_member = scope.q(Perm.ORG_MANAGE, "item__subject_member__organisation__path")
    return (
        Recommendation.objects.filter(q_cell | q_member)
        .select_related("item__programme__committee", "item__subject_cell", "item__subject_member")
        .prefetch_related("follow_ups")
        .order_by("done_at", "due_date", "id")
    )


def peer_rows(committee: Organisation) -> list[dict[str, Any]]:
    pairings = list(
        PeerPairing.objects.filter(committee=committee)
        .select_related("scorer_cell", "scored_cell")
        .order_by("-year", "-month", "scored_cell__sort_key")
    )
    meetings = _paired_meetings(pairings)
    return [{"p": p, "meetings": meetings.get(p.pk, [])} for p in pairings]


def _paired_meetings(pairings: list[PeerPairing]) -> dict[int, list[dict[str, Any]]]:
    if not pairings:
        return {}
    q = Q(pk__in=[])
    for p in pairings:
        q |= Q(organisation_id=p.scored_cell_id, scheduled_at__year=p.year, scheduled_at__month=p.month)
    ms = list(Meeting.objects.filter(q).prefetch_related("scores").order_by("scheduled_at"))
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for p in pairings:
        for m in ms:
            local = timezone.localtime(m.scheduled_at)
            if m.organisation_id == p.scored_cell_id and (local.year, local.month) == (p.year, p.month):
                sheets = {s.column: s for s in m.scores.all()}
                out[p.pk].append(
                    {
                        "m": m,
                        "cell": sheets.get(ScoreColumn.CELL),
                        "upper": sheets.get(ScoreColumn.UPPER),
                        "peer": sheets.get(ScoreColumn.PEER),
                    }
                )
    return out


def peer_tasks_for(user: Any) -> list[dict[str, Any]]:
    scope = get_scope(user)
    pairings = list(
        PeerPairing.objects.filter(scope.q(Perm.MEETING_MANAGE, "scorer_cell__path"))
        .select_related("scorer_cell", "scored_cell")
        .order_by("-year", "-month")
    )
    meetings = _paired_meetings(pairings)
    return [{"p": p, "meetings": meetings.get(p.pk, [])} for p in pairings]


def model_meetings_for(user: Any) -> list[ModelMeeting]:
    """Model meetings marked by a committee whose subtree holds (or is below) one of the user's grants."""
    scope = get_scope(user)
    rows = ModelMeeting.objects.select_related("meeting__organisation", "committee").order_by("-marked_at")
    if scope.superuser:
        return list(rows)
    grants = [p for p, perms in scope.grants if Perm.ORG_VIEW in perms]
    if not grants:
        return []
    q = Q(pk__in=[])
    for p in grants:
        q |= Q(committee__path__startswith=p)  # the committee is at or below the grant
        ids = [int(x) for x in p.strip("/").split("/") if x]
        q |= Q(committee_id__in=ids)  # the committee is above the grant
    return list(rows.filter(q))


def redact(text: str, names: set[str]) -> str:
    """Replace the cell members' names in free text (longest first) by a neutral word."""
    for name in sorted((n for n in names if n), key=len, reverse=True):
        text = text.replace(name, "(đảng viên)")
    return text


def model_record(mm: ModelMeeting) -> dict[str, Any]:
    """What a model meeting shares: agenda and conclusions, anonymous speech summaries, documents,
    votes (counts) and scores. No member names, no attendance list, nothing from member records."""
    m = mm.meeting
    items = list(m.items.prefetch_related("speeches__guest").order_by("order", "id"))
    names = {a["name"] for a in (m.snapshot or {}).get("attendance", [])}
    names |= set(Member.objects.filter(organisation=m.organisation).values_list("full_name", flat=True))
    sections = []
    for i in items:
        speeches = []
        for s in i.speeches.all():
            who = (s.guest.position or "Đại biểu") if s.guest is not None else "Ý kiến đảng viên"
            speeches.append({"who": who, "summary": redact(s.summary, names)})
        sections.append({"title": i.title, "conclusion": redact(i.conclusion, names), "speeches": speeches})
    docs = [
        d
        for d in m.documents.all()
        if d.kind in (DocumentKind.DRAFT_RESOLUTION, DocumentKind.THEMATIC_DRAFT, DocumentKind.DRAFT_REPORT)
    ]
    figures = (m.snapshot or {}).get("figures", {})
    scores = (m.snapshot or {}).get("scores", {})
    return {
        "m": m,
        "sections": sections,
        "documents": docs,
        "figures": figures,
        "scores": [(label, scores.get(code)) for code, label in ScoreColumn.choices if code in scores],
        "votes": [
            {k: v for k, v in vote.items() if k != "eligible_ids"}
            for vote in (m.snapshot or {}).get("votes", [])
        ],
        "breaches": (m.snapshot or {}).get("breaches", []),
    }


def guidance_received(user: Any) -> list[dict[str, Any]]:
    """Published guidance addressed to the cells where the user holds a role, newest month first,
    with each item's adoption by those cells and the cell's meeting of that month."""
    scope = get_scope(user)
    cells = list(
        Organisation.objects.filter(
            path__in=[p for p, _ in scope.grants], kind__in=list(CELL_KINDS)
        ).order_by("sort_key")
    )
    if not cells:
        return []
    above = {int(x) for c in cells for x in c.path.strip("/").split("/")[:-1] if x}
    guidance = list(
        Guidance.objects.filter(published_at__isnull=False, committee_id__in=above)
        .filter(Q(all_cells=True) | Q(cells__in=cells))
        .select_related("committee")
        .prefetch_related("items", "cells")
        .distinct()
        .order_by("-year", "-month", "-id")[:24]
    )
    adoptions = {
        (a.item_id, a.cell_id): a
        for a in Adoption.objects.filter(item__guidance__in=guidance, cell__in=cells).select_related(
            "meeting"
        )
    }
    months = {(g.year, g.month) for g in guidance}
    q = Q(pk__in=[])
    for y, mo in months:
        q |= Q(scheduled_at__year=y, scheduled_at__month=mo)
    meetings: dict[tuple[int, int, int], Meeting] = {}
    for m in Meeting.objects.filter(q, organisation__in=cells).order_by("-scheduled_at"):
        local = timezone.localtime(m.scheduled_at)
        meetings[(m.organisation_id, local.year, local.month)] = m  # the earliest wins
    out = []
    for g in guidance:
        chosen = {c.pk for c in g.cells.all()}
        targets = [
            c for c in cells if c.path.startswith(g.committee.path) and (g.all_cells or c.pk in chosen)
        ]
        out.append(
            {
                "g": g,
                "cells": [
                    {
                        "cell": c,
                        "meeting": meetings.get((c.pk, g.year, g.month)),
                        "items": [
                            {"item": it, "adoption": adoptions.get((it.pk, c.pk))} for it in g.items.all()
                        ],
                    }
                    for c in targets
                ],
            }
        )
    return out


# --- what the meeting page's panel has to read -------------------------------------------------
@dataclass(frozen=True)
class PanelProbe:
    """What exists beside a meeting for the upper committee's panel (templatetags/oversight.py)."""

    model_id: int | None  # its model-meeting mark
    pairings: bool  # a peer pairing scores its cell in its month
    visits: bool  # an officer was sent to it
    guidance: bool  # published guidance of its month addressed to its cell (services.guidance_for_meeting)


_PROBE_SQL = """
SELECT (SELECT mm.id FROM {model} mm WHERE mm.meeting_id = %s),
       EXISTS (SELECT 1 FROM {pairing} p WHERE p.scored_cell_id = %s AND p.year = %s AND p.month = %s),
       EXISTS (SELECT 1 FROM {visit} v WHERE v.meeting_id = %s),
       EXISTS (SELECT 1 FROM {guidance} g
                WHERE g.published_at IS NOT NULL AND g.year = %s AND g.month = %s AND g.committee_id IN ({above})
                  AND (g.all_cells OR EXISTS (SELECT 1 FROM {cells} gc
                                               WHERE gc.guidance_id = g.id AND gc.organisation_id = %s)))
"""


def panel_probe(meeting: Meeting) -> PanelProbe:
    """One statement answering what the panel would otherwise ask in three ORM queries (the month's
    guidance, the model-meeting mark, the reader's visit and pairing), whose building cost several
    times their running (docs/bench.md, session 15). Most meetings have none of them: the panel then
    reads nothing else; what exists is read as before."""
    from django.db import router

    from chibo.core import rawsql

    cell = meeting.organisation
    when = timezone.localtime(meeting.scheduled_at)
    above = cell.ancestor_ids() or [0]  # (no committee has id 0)
    sql = _PROBE_SQL.format(
        model=ModelMeeting._meta.db_table,
        pairing=PeerPairing._meta.db_table,
        visit=OfficerVisit._meta.db_table,
        guidance=Guidance._meta.db_table,
        cells=Guidance.cells.through._meta.db_table,
        above=", ".join(["%s"] * len(above)),
    )
    params = [meeting.pk, cell.pk, when.year, when.month, meeting.pk, when.year, when.month, *above, cell.pk]
    with rawsql.cursor(router.db_for_read(Meeting)) as cursor:
        cursor.execute(sql, params)
        model_id, pairings, visits, guidance = cursor.fetchone()
    return PanelProbe(model_id=model_id, pairings=bool(pairings), visits=bool(visits), guidance=bool(guidance))
