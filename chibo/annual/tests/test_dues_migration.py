"""0002 carries each existing dues profile over as the first version of its history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("annual", "0001_initial")]
AFTER = [("annual", "0002_dues_profile_history")]


def test_existing_profiles_are_valid_from_the_members_earliest_month(world):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Member = apps.get_model("members", "Member")
    Membership = apps.get_model("members", "Membership")
    DuesProfile = apps.get_model("annual", "DuesProfile")
    lan = Member.objects.get(pk=world.m_same.pk)
    lan.admission_date = dt.date(2012, 5, 19)
    lan.save()
    Membership.objects.filter(member_id=lan.pk).update(start=dt.date(2010, 3, 3))
    other = Member.objects.get(pk=world.m_other.pk)
    other.admission_date = None
    other.save()
    Membership.objects.filter(member_id=other.pk).delete()
    DuesProfile.objects.create(member_id=lan.pk, category="khac", fixed_amount=10_000)
    DuesProfile.objects.create(member_id=other.pk, category="khac", fixed_amount=5_000)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    rows = {p.member_id: p for p in apps.get_model("annual", "DuesProfile").objects.all()}
    assert rows[lan.pk].valid_from == dt.date(2010, 3, 1)  # the earlier of membership and admission
    assert rows[lan.pk].fixed_amount == 10_000
    assert rows[other.pk].valid_from == dt.date(1930, 2, 1)  # nothing known: every month keeps its price
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
