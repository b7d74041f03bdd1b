"""Small template helpers and the two panels other apps include (meeting page, member page)."""

from __future__ import annotations

from typing import Any

from django import template

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def dues_category(code: str, rules: Any) -> str:
    cat = rules.dues.category(code) if rules else None
    return cat.label if cat else code


@register.inclusion_tag("annual/_meeting_panel_body.html", takes_context=True)
def annual_meeting_panel(context: Any, meeting: Any) -> dict[str, Any]:
    """Self-criticism and criticism raised at MEETING, and the dues of its month."""
    from chibo.annual import selectors
    from chibo.annual.forms import ShortcomingForm
    from chibo.meetings import panel_cache
    from chibo.meetings.models import MeetingKind

    request = context.get("request")
    user = getattr(request, "user", None)
    scope = get_scope(user)
    perms = scope.perms_at(meeting.organisation.path)
    sees_all = Perm.ANNUAL_VIEW in perms

    def shared() -> dict[str, Any]:  # the same for every reader (chibo/meetings/panel_cache.py)
        regular = meeting.kind in (MeetingKind.REGULAR, MeetingKind.COMBINED)
        raised = selectors.shortcomings_of_meeting(meeting)  # (each with the meeting attached)
        return {"items": raised, "dues": selectors.meeting_dues(meeting) if regular else None}

    data = panel_cache.remembered(meeting, "annual", shared)
    items = [s for s in data["items"] if sees_all or s.member_id is None or s.member_id == scope.member_id]
    can_raise = Perm.ANNUAL_MANAGE in perms and not meeting.is_locked
    members = []
    if can_raise:
        from chibo.members.models import Member

        members = list(
            Member.objects.filter(organisation=meeting.organisation, left_at__isnull=True).order_by(
                "sort_key", "id"
            )
        )
    dues = data["dues"] if sees_all else None
    return {
        "meeting": meeting,
        "items": items,
        "can_raise": can_raise,
        "dues": dues,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "form": ShortcomingForm(
            members=members, initial={"meeting": meeting.pk, "back": getattr(request, "path", "")}
        )
        if can_raise
        else None,
    }


@register.inclusion_tag("annual/_member_panel_body.html", takes_context=True)
def annual_member_panel(context: Any, member: Any) -> dict[str, Any]:
    """Open shortcomings of MEMBER and a link to their year (own record or ANNUAL_VIEW only)."""
    from django.utils import timezone

    from chibo.annual import selectors

    request = context.get("request")
    scope = get_scope(getattr(request, "user", None))
    visible = scope.member_id == member.pk or Perm.ANNUAL_VIEW in scope.perms_at(member.organisation.path)
    return {
        "visible": visible,
        "member": member,
        "year": timezone.localdate().year,
        "items": list(selectors.open_shortcomings(member=member)) if visible else [],
    }
