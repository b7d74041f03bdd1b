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


def test_scope_filter_stops_at_the_subtree_boundary(world):
    """Scope.q reads a subtree as a path range on SQLite (below a root): a sibling whose path only
    shares the digits ('/1/2/' and '/1/20/') stays out; a root scope keeps LIKE and sees everything."""
    from chibo.members.models import Member
    from chibo.members.selectors import member_list
    from chibo.organisations.models import Organisation

    Organisation.objects.filter(pk=world.cell3.pk).update(path=world.an_binh.path[:-1] + "0/")
    outsider = Member.objects.filter(organisation=world.cell3).first() or Member.objects.create(
        full_name="Trần Văn Ngoài", organisation=world.cell3
    )
    seen = set(member_list(world.officer).values_list("pk", flat=True))
    assert outsider.pk not in seen
    assert seen == set(
        Member.objects.filter(organisation__path__startswith=world.an_binh.path, left_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    assert outsider.pk in set(member_list(world.admin).values_list("pk", flat=True))
