"""{% oversight_panel m %}: the upper committee's part of a meeting page (guidance to adopt,
officer's visit, peer scoring, model meeting)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import IntegerField, QuerySet, Subquery, Value

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.meetings import panel_cache
from chibo.meetings.models import Meeting
from chibo.oversight.models import Adoption, ModelMeeting, OfficerVisit, PeerPairing
from chibo.oversight.selectors import panel_probe
from chibo.oversight.services import RUNNING, guidance_for_meeting

register = template.Library()


def _first_pk(qs: QuerySet[Any]) -> Subquery:
    """The primary key QS.first() would give, as a subquery (None when QS is empty)."""
    return Subquery((qs if qs.ordered else qs.order_by("pk")).values("pk")[:1])


@register.inclusion_tag("oversight/_meeting_panel.html", takes_context=True)
def oversight_panel(context: dict[str, Any], m: Any) -> dict[str, Any]:
    user = context["request"].user
    perms = get_scope(user).perms_at(m.organisation.path)
    from django.utils import timezone

    when = timezone.localtime(m.scheduled_at)

    def shared() -> dict[str, Any]:  # the same for every reader (chibo/meetings/panel_cache.py)
        probe = panel_probe(m)  # what exists (one statement); only that is read
        items = guidance_for_meeting(m) if probe.guidance else []
        adopted: dict[int, Adoption] = {}
        if items:
            for a in Adoption.objects.filter(cell=m.organisation, item__in=items).select_related("meeting"):
                adopted[a.item_id] = a
        model = (
            ModelMeeting.objects.select_related("committee").filter(pk=probe.model_id).first()
            if probe.model_id is not None
            else None
        )
        return {
            "guidance": [{"item": it, "adoption": adopted.get(it.pk)} for it in items],
            "model": model,
            "pairings": probe.pairings,
            "visits": probe.visits,
        }

    data = panel_cache.remembered(m, "oversight", shared)
    scope = get_scope(user)

    def own() -> dict[str, Any]:
        """The reader's own: the visit they were sent on, the pairing whose scoring cell they manage
        (whether each exists: one query, then only a row found is read)."""
        pairings = PeerPairing.objects.filter(
            scored_cell=m.organisation, year=when.year, month=when.month
        ).filter(scope.q(Perm.MEETING_MANAGE, "scorer_cell__path"))
        visits = OfficerVisit.objects.filter(meeting=m, officer=user) if user.is_authenticated else None
        found = (
            Meeting.objects.filter(pk=m.pk)
            .annotate(
                pairing_pk=_first_pk(pairings),
                visit_pk=_first_pk(visits) if visits is not None else Value(None, output_field=IntegerField()),
            )
            .values("pairing_pk", "visit_pk")
            .first()
        ) or {}
        return {
            "visit": visits.get(pk=found["visit_pk"]) if visits is not None and found.get("visit_pk") else None,
            "pairing": pairings.select_related("scorer_cell").get(pk=found["pairing_pk"])
            if found.get("pairing_pk")
            else None,
        }

    if not (data["pairings"] or data["visits"]):  # nobody's: nothing to read or keep per reader
        mine: dict[str, Any] = {"visit": None, "pairing": None}
    elif user.is_authenticated:
        # kept per reader too: visits and pairings give the cell a new activity_rev, the reader's roles
        # are in the key (a role granted or taken away reads them again)
        mine = panel_cache.remembered(m, "oversight-reader", own, reader=user)
    else:
        mine = own()
    return {
        "m": m,
        "guidance": data["guidance"],
        "can_adopt": Perm.MEETING_MANAGE in perms and not m.is_locked,
        "can_oversee": Perm.OVERSIGHT_MANAGE in perms and not m.organisation.is_group,
        "model": data["model"],
        "visit": mine["visit"],
        "pairing": mine["pairing"],
        "running": m.status in RUNNING,
        "csrf_token": context.get("csrf_token"),
    }
