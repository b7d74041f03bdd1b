"""seed_demo builds the demo province the README promises, once."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from chibo.accounts.models import User
from chibo.members.models import Member, MemberStatus
from chibo.organisations import selectors
from chibo.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")


def test_seed_demo_builds_the_demo_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (Organisation.objects.count(), Member.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Organisation.objects.count(), Member.objects.count(), User.objects.count()) == counts
    thon1 = Organisation.objects.get(name="Chi bộ thôn 1")
    thon2 = Organisation.objects.get(name="Chi bộ thôn 2")
    school = Organisation.objects.get(name="Chi bộ Trường Tiểu học")
    assert thon1.parent.name == "Đảng ủy xã An Bình" and school.parent.name == "Đảng ủy xã Hòa Lạc"
    assert thon1.children.count() == 2
    assert Member.objects.filter(organisation=thon1).count() == 15
    assert Member.objects.filter(organisation=thon1, status=MemberStatus.PROBATIONARY).count() == 1
    assert sum(m.is_exempt() for m in Member.objects.filter(organisation=thon1)) == 1
    assert Member.objects.filter(organisation=thon2).count() == 9
    assert Member.objects.filter(organisation=school).count() == 7
    assert selectors.structure_warnings(thon1) == [] and selectors.structure_warnings(thon2) == []
    assert selectors.birthdays_of_month(thon1)
    for name in ["admin", "bithu.thon1", "dangvien.thon1", "bithu.thon2", "danguy.anbinh", "danguy.hoalac"]:
        assert User.objects.get(username=name).check_password("chibo-demo")


def test_demo_officers_see_only_their_commune(client, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    thon1 = Organisation.objects.get(name="Chi bộ thôn 1")
    client.force_login(User.objects.get(username="danguy.anbinh"))
    assert client.get(f"/to-chuc/{thon1.pk}/").status_code == 200
    client.force_login(User.objects.get(username="danguy.hoalac"))
    assert client.get(f"/to-chuc/{thon1.pk}/").status_code == 404
