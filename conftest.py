"""Shared test fixtures: the five personas every guarded operation is tested with.

World (built through the real services):
  Đảng bộ tỉnh Test
  ├── Đảng ủy xã An Bình        ← officer (cán bộ cấp trên, reads both cells)
  │   ├── Chi bộ thôn 1 (+ Tổ đảng số 1)  ← secretary (bí thư), member_same (đảng viên)
  │   └── Chi bộ thôn 2          ← member_other (đảng viên)
  └── Đảng ủy xã Hòa Lạc        ← officer_other (cán bộ cấp trên of another commune)
      └── Chi bộ Trường Tiểu học
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection

from chibo.accounts.models import RoleAssignment, User
from chibo.accounts.permissions import Role
from chibo.core.tests.e2e import browser, demo  # noqa: F401  (end-to-end fixtures)
from chibo.members import services as member_services
from chibo.members.models import MemberStatus
from chibo.organisations import services as org_services
from chibo.organisations.models import OrgKind
from chibo.oversight.dashboard import _MEMO as dashboard_memo
from chibo.rules.models import _STORED as stored_rulebooks

# Statements a live write spends to lock its meeting and bump the version (meetings.services._writable):
# on PostgreSQL one (the UPDATE in a WITH, read back joined to the cell), elsewhere the UPDATE and the read.
LOCK_QUERIES = 1 if connection.vendor == "postgresql" else 2
# Statements a roll-call mark spends, after the lock, to read the roll and write the row and its audit
# entry (meetings.services.mark_attendance): on PostgreSQL one (_mark_and_read: the UPDATE and the INSERT
# in a WITH, the roll read after them), elsewhere the three.
MARK_QUERIES = 1 if connection.vendor == "postgresql" else 3


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Cached pages (the approved record) are keyed by primary keys that a rolled-back test reuses.
    cache.clear()
    stored_rulebooks.clear()  # the process's stored rulebook versions (rows of rolled-back tests)
    dashboard_memo.clear()  # the dashboards' per-process memo (keyed by rows of rolled-back tests)
    settings.CHIBO_2FA_REQUIRED = False
    # Dashboards are computed in the request whatever they cost (a busy CI machine would otherwise
    # cross the budget and show the last figures); test_dashboard_refresh.py sets its own.
    settings.CHIBO_DASHBOARD_SYNC_MS = 10**9
    # Background tasks run inside the test; tests of the database worker set TASKS themselves.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def make_user(username: str, role: str | None, org, member=None) -> User:
    user = User.objects.create_user(username=username, password="chibo-test-pw", member=member)
    if role:
        RoleAssignment.objects.create(user=user, organisation=org, role=role)
    return user


def add_member(cell, name: str, *, status=MemberStatus.FULL, group=None, **extra):
    defaults = {
        "birth_date": dt.date(1980, 5, 17),
        "admission_date": dt.date(2005, 3, 1),
        "official_date": dt.date(2006, 3, 1) if status == MemberStatus.FULL else None,
        "status": status,
    }
    defaults.update(extra)
    return member_services.create_member(
        actor=None, organisation=cell, party_group=group, full_name=name,
        joined_on=dt.date(2020, 1, 1), **defaults,
    )


@pytest.fixture
def world(db):
    province = org_services.create_organisation(
        actor=None, name="Đảng bộ tỉnh Test", kind=OrgKind.PROVINCE, parent=None
    )
    an_binh = org_services.create_organisation(
        actor=None, name="Đảng ủy xã An Bình", kind=OrgKind.COMMUNE, parent=province
    )
    hoa_lac = org_services.create_organisation(
        actor=None, name="Đảng ủy xã Hòa Lạc", kind=OrgKind.COMMUNE, parent=province
    )
    cell1 = org_services.create_organisation(
        actor=None, name="Chi bộ thôn 1", kind=OrgKind.CELL, parent=an_binh, code="AB-T1"
    )
    group1 = org_services.create_organisation(
        actor=None, name="Tổ đảng số 1", kind=OrgKind.GROUP, parent=cell1
    )
    cell2 = org_services.create_organisation(
        actor=None, name="Chi bộ thôn 2", kind=OrgKind.CELL, parent=an_binh, code="AB-T2"
    )
    cell3 = org_services.create_organisation(
        actor=None, name="Chi bộ Trường Tiểu học", kind=OrgKind.CELL, parent=hoa_lac, code="HL-TH"
    )
    sec_member = add_member(cell1, "Nguyễn Văn Hùng", party_position="bi_thu", group=group1)
    m_same = add_member(cell1, "Trần Thị Lan", group=group1)
    add_member(cell1, "Lê Văn Bình")
    add_member(cell1, "Phạm Thị Hoà", status=MemberStatus.PROBATIONARY)
    m_other = add_member(cell2, "Hoàng Văn Nam")
    add_member(cell2, "Đỗ Thị Mai")
    add_member(cell3, "Vũ Văn Đức")
    return SimpleNamespace(
        province=province,
        an_binh=an_binh,
        hoa_lac=hoa_lac,
        cell1=cell1,
        group1=group1,
        cell2=cell2,
        cell3=cell3,
        sec_member=sec_member,
        m_same=m_same,
        m_other=m_other,
        secretary=make_user("bithu", Role.SECRETARY, cell1, sec_member),
        member_same=make_user("dangvien", Role.MEMBER, cell1, m_same),
        member_other=make_user("dangvien2", Role.MEMBER, cell2, m_other),
        officer=make_user("danguy", Role.OFFICER, an_binh),
        officer_other=make_user("danguy2", Role.OFFICER, hoa_lac),
        admin=make_user("quantri", Role.ADMIN, province),
    )


def client_for(client, user):
    client.force_login(user)
    return client
