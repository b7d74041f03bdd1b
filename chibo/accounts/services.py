"""Accounts and roles: every write audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from chibo.accounts.access import forget_scope
from chibo.accounts.models import RoleAssignment, User
from chibo.accounts.permissions import Role
from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.members.models import Member
from chibo.organisations.models import Organisation


@transaction.atomic
def create_account(
    *,
    actor: Any,
    organisation: Organisation,
    username: str,
    email: str = "",
    display_name: str = "",
    member: Member | None = None,
    role: str,
    password: str | None = None,
    officer_title: str = "",
) -> User:
    username = username.strip()
    if not username:
        raise ValidationError({"username": "Thiếu tên đăng nhập."})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"Tên đăng nhập {username!r} đã có."})
    if role not in Role.values:
        raise ValidationError({"role": "Vai trò không hợp lệ."})
    if member is not None:
        if not member.organisation.path.startswith(organisation.path):
            raise ValidationError({"member": "Đảng viên không thuộc tổ chức này."})
        if User.objects.filter(member=member).exists():
            raise ValidationError({"member": "Đảng viên này đã có tài khoản."})
    user = User(
        username=username,
        email=email.strip(),
        display_name=display_name.strip() or (member.full_name if member else ""),
        member=member,
        officer_title=officer_title.strip(),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    record(
        actor=actor, action=AuditAction.CREATE, obj=user, org_path=organisation.path,
        changes={"username": ["", username], "email": ["", user.email],
                 "member": ["", str(member or "")]},
    )
    assign_role(actor=actor, user=user, organisation=organisation, role=role)
    return user


@transaction.atomic
def assign_role(*, actor: Any, user: User, organisation: Organisation, role: str) -> RoleAssignment:
    if role not in Role.values:
        raise ValidationError({"role": "Vai trò không hợp lệ."})
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, organisation=organisation, role=role
    )
    if not created:
        raise ValidationError({"role": "Tài khoản đã có vai trò này ở tổ chức này."})
    forget_scope(user)
    record(
        actor=actor, action=AuditAction.CREATE, obj=assignment, org_path=organisation.path,
        changes={"user": ["", user.username], "role": ["", Role(role).label],
                 "organisation": ["", organisation.name]},
    )
    return assignment


@transaction.atomic
def revoke_role(*, actor: Any, assignment: RoleAssignment) -> None:
    org = assignment.organisation
    record(
        actor=actor, action=AuditAction.DELETE, obj=assignment, org_path=org.path,
        changes={"user": [assignment.user.username, ""],
                 "role": [Role(assignment.role).label, ""], "organisation": [org.name, ""]},
    )
    forget_scope(assignment.user)
    assignment.delete()


@transaction.atomic
def set_active(*, actor: Any, user: User, active: bool, organisation: Organisation) -> User:
    before = user.is_active
    user.is_active = active
    user.save(update_fields=["is_active"])
    if before != active:
        record(
            actor=actor, action=AuditAction.UPDATE, obj=user, org_path=organisation.path,
            changes={"is_active": [before, active]},
        )
    return user
