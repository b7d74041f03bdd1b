"""`Organisation.activity_rev`: a new random value whenever something a meeting page shows beside the
approved record changes for a cell (the panels of chibo/meetings/panel_cache.py).

`Organisation.save()` sets a new value itself; these set it with one UPDATE, without loading or saving
the rows (so `rev`, which the dashboards' memo reads, does not move). Call them after the write they
announce, in the same transaction: a reader who sees the new value then also sees the write.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Subquery

from chibo.organisations.models import Organisation, in_subtree, new_activity_rev


def touch(ids: Iterable[int | None]) -> None:
    """The cells (or any organisations) IDS."""
    wanted = sorted({i for i in ids if i is not None})
    if wanted:
        Organisation.objects.filter(pk__in=wanted).update(activity_rev=new_activity_rev())


def touch_member_cell(member_id: int | None) -> None:
    """The organisation MEMBER_ID belongs to (one UPDATE with a subquery, no read first)."""
    if member_id is None:
        return
    from chibo.members.models import Member

    Organisation.objects.filter(
        pk=Subquery(Member.objects.filter(pk=member_id).values("organisation_id")[:1])
    ).update(activity_rev=new_activity_rev())


def touch_subtree(path: str) -> None:
    """Every organisation below (and including) the one at PATH: guidance, a rename or a rulebook
    set above a cell shows on its meetings' pages."""
    if path:
        Organisation.objects.filter(in_subtree(path)).update(activity_rev=new_activity_rev())


def touch_all() -> None:
    """Every organisation (a rulebook variant uploaded: which cells it reaches is not read here)."""
    Organisation.objects.update(activity_rev=new_activity_rev())
