"""Access helpers: every page and API endpoint fetches objects through these.

Rules:
- an object outside the user's subtree does not exist for them (Http404);
- a user who may read but not write gets PermissionDenied (403) on a write;
- list queries are filtered by the scope's Q objects in selectors, never in templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from chibo.accounts.permissions import ROLE_PERMISSIONS, Perm

if TYPE_CHECKING:
    from chibo.members.models import Member
    from chibo.organisations.models import Organisation

_CACHE_ATTR = "_chibo_scope"


@dataclass(frozen=True)
class Scope:
    """The user's grants: (organisation path, permissions) pairs."""

    grants: tuple[tuple[str, frozenset[Perm]], ...]
    superuser: bool = False
    member_id: int | None = None

    def perms_at(self, path: str) -> frozenset[Perm]:
        if self.superuser:
            return frozenset(Perm)
        out: set[Perm] = set()
        for grant_path, perms in self.grants:
            if path.startswith(grant_path):
                out |= perms
        return frozenset(out)

    def paths_with(self, perm: Perm) -> list[str]:
        """Minimal list of subtree roots where PERM holds."""
        paths = sorted({p for p, perms in self.grants if perm in perms}, key=len)
        minimal: list[str] = []
        for p in paths:
            if not any(p.startswith(m) for m in minimal):
                minimal.append(p)
        return minimal

    def q(self, perm: Perm, path_field: str = "path") -> Q:
        """A filter selecting rows whose organisation path is inside the scope."""
        if self.superuser:
            return Q()
        paths = self.paths_with(perm)
        if not paths:
            return Q(pk__in=[])
        from chibo.organisations.models import under

        # a range on SQLite below the root (a cell secretary's member list at 10,000 cells: ~300 → ~1.5 ms),
        # LIKE for a root scope, where walking the list's own order index and testing the path is cheaper
        prefix = path_field.removesuffix("path")
        query = Q()
        for p in paths:
            if path_field.endswith("path") and (prefix == "" or prefix.endswith("__")):
                query |= under(p, prefix)
            else:
                query |= Q(**{f"{path_field}__startswith": p})
        return query

    def has_anywhere(self, perm: Perm) -> bool:
        return self.superuser or any(perm in perms for _, perms in self.grants)


def get_scope(user: Any) -> Scope:
    if not getattr(user, "is_authenticated", False):
        return Scope(grants=())
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from chibo.accounts.models import RoleAssignment

    rows = RoleAssignment.objects.filter(user_id=user.pk).values_list(
        "organisation__path", "role"
    )
    return remember_grants(user, rows)


def remember_grants(user: Any, rows: Any) -> Scope:
    """USER's scope from their role assignments ROWS, (organisation path, role) pairs — read here, or
    with the user (accounts.backends) —, kept on the user for the rest of the request."""
    scope = Scope(
        grants=tuple((path, ROLE_PERMISSIONS[role]) for path, role in rows),
        superuser=bool(user.is_superuser),
        member_id=user.member_id,
    )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _check(perms: frozenset[Perm], need: Perm, read: Perm) -> None:
    if read not in perms:
        raise Http404("Không tìm thấy.")
    if need not in perms:
        raise PermissionDenied("Bạn chỉ có quyền xem, không có quyền thay đổi.")


def org_for_user(
    user: Any, pk: Any, *, need: Perm = Perm.ORG_VIEW
) -> tuple[Organisation, bool]:
    """The organisation PK if the user may see it, and whether they may edit it."""
    from chibo.organisations.models import Organisation

    try:
        org = Organisation.objects.select_related("parent").get(pk=int(pk))
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy tổ chức.") from None
    perms = get_scope(user).perms_at(org.path)
    _check(perms, need, Perm.ORG_VIEW)
    return org, Perm.ORG_MANAGE in perms


def member_for_user(
    user: Any, pk: Any, *, need: Perm = Perm.MEMBER_VIEW
) -> tuple[Member, bool]:
    """The member PK if the user may see it, and whether they may edit it."""
    from chibo.members.models import Member

    try:
        member = Member.objects.select_related("organisation", "party_group").get(pk=int(pk))
    except (Member.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy đảng viên.") from None
    scope = get_scope(user)
    perms = scope.perms_at(member.organisation.path)
    if scope.member_id == member.pk:
        perms = perms | {Perm.MEMBER_VIEW}
    _check(perms, need, Perm.MEMBER_VIEW)
    return member, Perm.MEMBER_MANAGE in perms


def perms_for(user: Any, org: Organisation) -> frozenset[Perm]:
    return get_scope(user).perms_at(org.path)


def require(user: Any, org: Organisation, need: Perm) -> None:
    """For creating things under ORG: 404 if unseen, 403 if read-only."""
    _check(perms_for(user, org), need, Perm.ORG_VIEW)


def meeting_for_user(
    user: Any, pk: Any, *, need: Perm = Perm.MEETING_VIEW, bulletin: bool = False
) -> tuple[Any, bool]:
    """The meeting PK if the user may see it, and whether they may run/edit it (BULLETIN: read
    its bulletin with it, meetings.selectors.meeting_with_cell)."""
    from chibo.meetings.selectors import meeting_with_cell

    try:
        meeting = meeting_with_cell(int(pk), bulletin=bulletin)
    except (ValueError, TypeError):
        meeting = None
    if meeting is None:
        raise Http404("Không tìm thấy buổi sinh hoạt.")
    return meeting, check_meeting(user, meeting, need=need)


def check_meeting(user: Any, meeting: Any, *, need: Perm = Perm.MEETING_VIEW) -> bool:
    """meeting_for_user()'s check on a meeting already read with its organisation (a write's own
    locked read: services.mark_attendance(authorize=…)): 404 unseen, 403 without NEED; whether the
    user may run/edit it."""
    perms = get_scope(user).perms_at(meeting.organisation.path)
    _check(perms, need, Perm.MEETING_VIEW)
    return Perm.MEETING_MANAGE in perms
