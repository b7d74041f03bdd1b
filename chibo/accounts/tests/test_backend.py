"""The request's user is read with their roles (accounts/backends.py): one query, the same scope as
access.get_scope() reads on its own, and a change of roles or of the account takes effect on the
user's next request."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from chibo.accounts import access
from chibo.accounts.backends import ScopedModelBackend
from chibo.accounts.models import RoleAssignment
from chibo.accounts.permissions import Role

pytestmark = pytest.mark.django_db


def _scope_read_alone(user):
    access.forget_scope(user)
    return access.get_scope(user)


def test_the_user_and_their_roles_come_in_one_query(world, django_assert_num_queries):
    # Two roles in two places (an officer of the commune who is also a member of a cell of it).
    RoleAssignment.objects.create(user=world.officer, organisation=world.cell2, role=Role.MEMBER)
    with django_assert_num_queries(1):
        user = ScopedModelBackend().get_user(world.officer.pk)
        scope = access.get_scope(user)
    alone = _scope_read_alone(world.officer)
    assert set(scope.grants) == set(alone.grants) and len(scope.grants) == 2
    assert (scope.superuser, scope.member_id) == (alone.superuser, alone.member_id)
    assert scope.perms_at(world.cell2.path) == alone.perms_at(world.cell2.path)
    # the user itself is whole: every column read and converted as the ORM would
    assert {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields} == {
        f.attname: getattr(world.officer, f.attname) for f in user._meta.concrete_fields
    }


def test_a_user_without_roles_has_an_empty_scope(world, django_assert_num_queries):
    RoleAssignment.objects.filter(user=world.member_same).delete()
    with django_assert_num_queries(1):
        user = ScopedModelBackend().get_user(world.member_same.pk)
        scope = access.get_scope(user)
    assert scope.grants == () and scope.member_id == world.m_same.pk


def test_an_unknown_or_inactive_account_is_nobody(world):
    assert ScopedModelBackend().get_user(10**9) is None
    assert ScopedModelBackend().get_user("not-an-id") is None
    world.secretary.is_active = False
    world.secretary.save(update_fields=["is_active"])
    assert ScopedModelBackend().get_user(world.secretary.pk) is None


def test_a_revoked_role_stops_at_the_next_request(world):
    client = Client()
    client.force_login(world.secretary)
    assert client.session[SESSION_KEY] == str(world.secretary.pk)
    cell_page = f"/to-chuc/{world.cell1.pk}/"
    assert client.get(cell_page).status_code == 200
    RoleAssignment.objects.filter(user=world.secretary).delete()
    assert client.get(cell_page).status_code == 404  # outside every scope now: not found


def test_a_new_role_counts_at_the_next_request(world):
    client = Client()
    client.force_login(world.officer_other)  # officer of Hòa Lạc: An Bình's cell 1 does not exist for them
    cell_page = f"/to-chuc/{world.cell1.pk}/"
    assert client.get(cell_page).status_code == 404
    RoleAssignment.objects.create(user=world.officer_other, organisation=world.an_binh, role=Role.OFFICER)
    assert client.get(cell_page).status_code == 200


def test_a_deactivated_account_is_logged_out_at_the_next_request(world):
    client = Client()
    client.force_login(world.secretary)
    assert client.get(f"/to-chuc/{world.cell1.pk}/").status_code == 200
    world.secretary.is_active = False
    world.secretary.save(update_fields=["is_active"])
    response = client.get(f"/to-chuc/{world.cell1.pk}/")
    assert response.status_code == 302 and "/tai-khoan/dang-nhap/" in response["Location"]
