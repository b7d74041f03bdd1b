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
    # session, user with their role scope (one query: accounts/backends.py), organisation, count,
    # page of rows — on PostgreSQL the count and the page in one round trip (core/paging.py).
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 5):
        response = client.get(path)
    assert "506 đảng viên" in response.content.decode()


def test_cell_page_queries_do_not_grow_with_members(client, world):
    client.force_login(world.secretary)
    path = f"/to-chuc/{world.cell1.pk}/"
    small = count_queries(client, path)
    bulk_members(world.cell1, world.group1, 500)
    assert count_queries(client, path) == small


def test_a_list_longer_than_the_cap_counts_only_up_to_it(client, world, monkeypatch):
    """Beyond COUNT_CAP rows the count stops there ('Hơn 1.000 đảng viên', no page total); pages
    still hold the right rows, and a page reaching the cap counts exactly."""
    from chibo.core import paging

    bulk_members(world.cell1, world.group1, 500)
    client.force_login(world.officer)
    path = f"/dang-vien/?to_chuc={world.an_binh.pk}"
    monkeypatch.setattr(paging, "COUNT_CAP", 250)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(path).content.decode()
    count_sql = next(q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper())
    assert "LIMIT 251" in count_sql.upper()
    assert "Hơn 250 đảng viên" in body and "Trang 1<" in body and "Trang 1/" not in body
    assert "trang=2" in body  # a next page exists
    second = client.get(path + "&trang=2").content.decode()
    assert "Hơn 250 đảng viên" in second and "trang=3" in second
    third = client.get(path + "&trang=3").content.decode()  # rows 201–300 reach the cap: exact
    assert "506 đảng viên" in third and "Trang 3/6" in third
    names = sorted(Member.objects.filter(organisation__path__startswith=world.an_binh.path, left_at__isnull=True)
                   .values_list("sort_key", "full_name"))
    assert names[200][1] in third and names[299][1] in third and names[300][1] not in third


def test_vietnamese_digit_grouping():
    from chibo.core.paging import vn_int

    assert [vn_int(n) for n in (0, 999, 1000, 187787, 1234567)] == ["0", "999", "1.000", "187.787", "1.234.567"]


PAGE_CASES = (None, "", "1", "2", "3", "5", "6", "7", "99", "0", "-1", "abc", "2.0")


@pytest.mark.parametrize("members", [0, 7, 40, 60])
def test_count_and_page_together_give_what_the_usual_way_gives(world, members, monkeypatch):
    """CappedPaginator's one-round-trip path (PostgreSQL) against its usual one (count, then page):
    the same page number, rows, count and next/previous for any page asked, any list length,
    below and beyond the cap. On SQLite both are the usual way."""
    from chibo.core import paging
    from chibo.members import selectors

    bulk_members(world.cell1, world.group1, members)
    monkeypatch.setattr(paging, "COUNT_CAP", 30)

    def seen(page):  # type: ignore[no-untyped-def]
        return (page.number, [tuple(r) for r in page.object_list], page.paginator.count,
                page.paginator.exact, page.has_next(), page.has_previous(), page.start_index())

    def listing():  # type: ignore[no-untyped-def]
        return selectors.member_list(world.admin).values_list(*selectors.LIST_FIELDS)

    together = {n: seen(paging.CappedPaginator(listing(), 10).get_page(n)) for n in PAGE_CASES}
    monkeypatch.setattr(paging.CappedPaginator, "_count_and_page", lambda self, number: None)
    usual = {n: seen(paging.CappedPaginator(listing(), 10).get_page(n)) for n in PAGE_CASES}
    assert together == usual
    assert together["2"][1] and isinstance(together["2"][1][0][2], dt.date)  # birth dates as dates


def test_a_page_short_of_the_cap_is_one_round_trip_on_postgresql(world):
    from chibo.core import paging
    from chibo.members import selectors

    bulk_members(world.cell1, world.group1, 250)
    rows = selectors.member_list(world.admin).values_list(*selectors.LIST_FIELDS)
    total = Member.objects.filter(left_at__isnull=True).count()
    assert total > 250
    with CaptureQueriesContext(connection) as ctx:
        page = paging.CappedPaginator(rows, 100).get_page("2")
        assert len(page.object_list) == 100 and page.paginator.count == total
    assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 2)


def test_with_server_side_binding_configured_the_two_statements_go_one_by_one(world, monkeypatch):
    """A server-side binding cursor (OPTIONS server_side_binding) takes one statement per execute:
    the count and the page then go the usual way, two queries, the same page."""
    from chibo.core import paging
    from chibo.members import selectors

    bulk_members(world.cell1, world.group1, 30)
    rows = selectors.member_list(world.admin).values_list(*selectors.LIST_FIELDS)
    usual = [tuple(r) for r in paging.CappedPaginator(rows, 10).get_page("2").object_list]
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", True)
    with CaptureQueriesContext(connection) as ctx:
        page = paging.CappedPaginator(rows.all(), 10).get_page("2")
        assert [tuple(r) for r in page.object_list] == usual
    assert len(ctx.captured_queries) == 2
