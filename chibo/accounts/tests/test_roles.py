"""Role administration: create accounts, assign and revoke roles, all audited and scoped."""

from __future__ import annotations

import pytest
from django.core import mail

from chibo.accounts.access import get_scope
from chibo.accounts.models import RoleAssignment, User
from chibo.accounts.permissions import ROLE_PERMISSIONS, Perm, Role
from chibo.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_every_role_has_permissions_in_the_catalogue():
    assert set(ROLE_PERMISSIONS) == set(Role.values)
    assert Perm.ORG_VIEW in ROLE_PERMISSIONS[Role.MEMBER]
    assert Perm.MEMBER_MANAGE not in ROLE_PERMISSIONS[Role.OFFICER]


def test_scope_holds_down_the_subtree_only(world):
    scope = get_scope(world.officer)
    assert Perm.MEMBER_VIEW in scope.perms_at(world.group1.path)
    assert scope.perms_at(world.cell3.path) == frozenset()
    assert scope.perms_at(world.province.path) == frozenset()


def test_admin_creates_an_account_for_a_member_and_a_set_password_mail_is_sent(client, world):
    from conftest import add_member

    new = add_member(world.cell2, "Cao Văn Toàn")
    client.force_login(world.admin)
    response = client.post(
        f"/tai-khoan/vai-tro/{world.cell2.pk}/",
        {"action": "create", "create-username": "bithu.thon2", "create-email": "toan@example.vn",
         "create-member": new.pk, "create-role": Role.SECRETARY},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="bithu.thon2")
    assert user.member == new and not user.has_usable_password()
    assert RoleAssignment.objects.filter(user=user, organisation=world.cell2, role=Role.SECRETARY).exists()
    assert len(mail.outbox) == 1 and "dat-mat-khau" in mail.outbox[0].body
    actions = set(AuditEntry.objects.filter(actor=world.admin).values_list("object_type", "action"))
    assert ("accounts.user", "create") in actions and ("accounts.roleassignment", "create") in actions


def test_assign_and_revoke_a_role(client, world):
    client.force_login(world.admin)
    client.post(f"/tai-khoan/vai-tro/{world.cell3.pk}/", {"action": "assign", "assign-username": "danguy", "assign-role": Role.OFFICER})
    assignment = RoleAssignment.objects.get(user=world.officer, organisation=world.cell3)
    client.post(f"/tai-khoan/vai-tro/thu-hoi/{assignment.pk}/")
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEntry.objects.filter(object_type="accounts.roleassignment", action="delete").exists()


def test_revoking_outside_the_subtree_is_not_found(client, world):
    client.force_login(world.officer_other)
    assignment = RoleAssignment.objects.get(user=world.secretary)
    assert client.post(f"/tai-khoan/vai-tro/thu-hoi/{assignment.pk}/").status_code == 404
    client.force_login(world.secretary)
    assert client.post(f"/tai-khoan/vai-tro/thu-hoi/{assignment.pk}/").status_code == 403
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
