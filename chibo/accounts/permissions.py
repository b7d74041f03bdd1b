"""The one permission catalogue: what each role may do on its organisation subtree.

A role is held on an organisation node and applies to that node and every node
below it. Adding a role = add it to Role and ROLE_PERMISSIONS (and, if it writes
or oversees, to ROLES_REQUIRING_2FA); nothing else in the code names roles.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Perm(StrEnum):
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"  # edit the node, add/edit tổ đảng and terms
    ORG_ADMIN = "org.admin"  # create/move any node in the subtree
    MEMBER_VIEW = "member.view"
    MEMBER_MANAGE = "member.manage"
    MEMBER_VIEW_SENSITIVE = "member.view_sensitive"  # unmasked CCCD
    ROLE_MANAGE = "role.manage"
    AUDIT_VIEW = "audit.view"
    MEETING_VIEW = "meeting.view"
    MEETING_MANAGE = "meeting.manage"  # plan, prepare, run, record, score (cell column), approve
    MEETING_SCORE_UPPER = "meeting.score_upper"  # the upper-level column of the scorecard
    RULEBOOK_MANAGE = "rulebook.manage"  # upload provincial variants
    ANNUAL_VIEW = "annual.view"  # every member's commitment, review and dues in the subtree
    ANNUAL_MANAGE = "annual.manage"  # the cell's side: approve, assess, propose, dues ledger
    ANNUAL_DECIDE = "annual.decide"  # the upper committee: decide ratings, confirm remittances
    NEWS_MANAGE = "news.manage"  # news sources and items of an organisation; pushing news down
    OVERSIGHT_MANAGE = "oversight.manage"  # upper committee: guidance, officer rota, inspection, peers, model meetings


class Role(models.TextChoices):
    SECRETARY = "bi_thu", "Bí thư"
    DEPUTY = "pho_bi_thu", "Phó Bí thư"
    COMMITTEE = "chi_uy_vien", "Chi ủy viên"
    MEMBER = "dang_vien", "Đảng viên"
    OFFICER = "can_bo_cap_tren", "Cán bộ cấp ủy cấp trên"
    ADMIN = "quan_tri", "Quản trị"


_READ = {Perm.ORG_VIEW, Perm.MEMBER_VIEW, Perm.MEETING_VIEW}
_CELL_MANAGER = _READ | {
    Perm.ORG_MANAGE, Perm.MEMBER_MANAGE, Perm.MEETING_MANAGE, Perm.ANNUAL_VIEW, Perm.ANNUAL_MANAGE,
    Perm.NEWS_MANAGE,
}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.SECRETARY: frozenset(_CELL_MANAGER | {Perm.MEMBER_VIEW_SENSITIVE}),
    Role.DEPUTY: frozenset(_CELL_MANAGER | {Perm.MEMBER_VIEW_SENSITIVE}),
    Role.COMMITTEE: frozenset(_CELL_MANAGER),
    Role.MEMBER: frozenset(_READ),
    Role.OFFICER: frozenset(
        _READ | {
            Perm.MEETING_SCORE_UPPER, Perm.ANNUAL_VIEW, Perm.ANNUAL_DECIDE, Perm.OVERSIGHT_MANAGE,
            Perm.NEWS_MANAGE,
        }
    ),
    Role.ADMIN: frozenset(Perm),
}

WRITE_PERMS = frozenset({
    Perm.ORG_MANAGE, Perm.ORG_ADMIN, Perm.MEMBER_MANAGE, Perm.ROLE_MANAGE, Perm.MEETING_MANAGE,
    Perm.RULEBOOK_MANAGE, Perm.ANNUAL_MANAGE, Perm.ANNUAL_DECIDE, Perm.OVERSIGHT_MANAGE,
    Perm.NEWS_MANAGE,
})

# Roles that write or oversee: two-factor required (settings.CHIBO_2FA_REQUIRED).
ROLES_REQUIRING_2FA = frozenset(
    {Role.SECRETARY, Role.DEPUTY, Role.COMMITTEE, Role.OFFICER, Role.ADMIN}
)
