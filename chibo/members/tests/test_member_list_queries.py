"""The member list costs the same number of queries for 5 or 500 members."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chibo.members.models import Member, MemberStatus

pytestmark = pytest.mark.django_db


def bulk_members(cell, group, n: int) -> None:
    given = ["An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hà", "Hải", "Khánh", "Linh"]
    rows = []
    for i in range(n):
        m = Member(
            full_name=f"Nguyễn Văn {given[i % 10]} {i:03d}".replace(" 0", " Số"),
            organisation=cell,
            party_group=group if i % 2 else None,
            status=MemberStatus.PROBATIONARY if i % 7 == 0 else MemberStatus.FULL,
            birth_date=dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
            exempt_from=dt.date(2020, 1, 1) if i % 11 == 0 else None,
        )
        m.refresh_derived()
        rows.append(m)
    Member.objects.bulk_create(rows, batch_size=500)


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_member_list_queries_do_not_grow_with_members(client, world, django_assert_num_queries):
    client.force_login(world.officer)
    path = f"/dang-vien/?to_chuc={world.an_binh.pk}"
    small = count_queries(client, path)
    bulk_members(world.cell1, world.group1, 500)
    large = count_queries(client, path)
    assert small == large
    # Pin the absolute number so a new per-page query is noticed:
    # session, user, role scope, organisation, count, page of rows.
    with django_assert_num_queries(6):
        response = client.get(path)
    assert "506 đảng viên" in response.content.decode()


def test_cell_page_queries_do_not_grow_with_members(client, world):
    client.force_login(world.secretary)
    path = f"/to-chuc/{world.cell1.pk}/"
    small = count_queries(client, path)
    bulk_members(world.cell1, world.group1, 500)
    assert count_queries(client, path) == small
