"""{% oversight_panel m %}: the upper committee's part of a meeting page (guidance to adopt,
officer's visit, peer scoring, model meeting)."""

from __future__ import annotations

from typing import Any

from django import template

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.oversight.models import Adoption, ModelMeeting, OfficerVisit, PeerPairing
from chibo.oversight.services import RUNNING, guidance_for_meeting

register = template.Library()


@register.inclusion_tag("oversight/_meeting_panel.html", takes_context=True)
def oversight_panel(context: dict[str, Any], m: Any) -> dict[str, Any]:
    user = context["request"].user
    perms = get_scope(user).perms_at(m.organisation.path)
    from django.utils import timezone

    when = timezone.localtime(m.scheduled_at)
    items = list(guidance_for_meeting(m))
    adopted = {
        a.item_id: a
        for a in Adoption.objects.filter(cell=m.organisation, item__in=items).select_related("meeting")
    }
    scope = get_scope(user)
    pairing = (
        PeerPairing.objects.filter(scored_cell=m.organisation, year=when.year, month=when.month)
        .filter(scope.q(Perm.MEETING_MANAGE, "scorer_cell__path"))
        .select_related("scorer_cell")
        .first()
    )
    return {
        "m": m,
        "guidance": [{"item": it, "adoption": adopted.get(it.pk)} for it in items],
        "can_adopt": Perm.MEETING_MANAGE in perms and not m.is_locked,
        "can_oversee": Perm.OVERSIGHT_MANAGE in perms and not m.organisation.is_group,
        "model": ModelMeeting.objects.filter(meeting=m).first(),
        "visit": OfficerVisit.objects.filter(meeting=m, officer=user).first()
        if user.is_authenticated
        else None,
        "pairing": pairing,
        "running": m.status in RUNNING,
        "csrf_token": context.get("csrf_token"),
    }
