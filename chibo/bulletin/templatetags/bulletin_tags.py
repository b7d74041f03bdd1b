"""{% bulletin_step m %}: the bulletin at a meeting's current-affairs step (two queries)."""

from __future__ import annotations

from typing import Any

from django import template

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.bulletin.selectors import bulletin_of, ordered_entries

register = template.Library()


@register.inclusion_tag("bulletin/_meeting_step.html", takes_context=True)
def bulletin_step(context: template.Context, meeting: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    bulletin = bulletin_of(meeting)
    return {
        "m": meeting,
        "bulletin": bulletin,
        "entries": ordered_entries(bulletin),
        "can_manage": bool(user)
        and Perm.MEETING_MANAGE in get_scope(user).perms_at(meeting.organisation.path),
    }
