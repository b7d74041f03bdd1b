"""Charter checks on a cell (Điều lệ Đảng, Điều 24), read from the rulebook."""

from __future__ import annotations

import datetime as dt

import pytest

from chibo.members.models import MemberStatus
from chibo.organisations import selectors
from conftest import add_member

pytestmark = pytest.mark.django_db


def test_a_cell_with_fewer_than_three_full_members_is_warned(world):
    # cell2 has exactly 2 full members
    warnings = selectors.structure_warnings(world.cell2)
    assert warnings == ["Chi bộ có 2 đảng viên chính thức, ít hơn 3 (Điều lệ Đảng (2011), Điều 24)."]


def test_three_full_members_is_enough(world):
    add_member(world.cell2, "Cao Văn Toàn")
    assert selectors.structure_warnings(world.cell2) == []


def test_probationary_members_do_not_count_towards_the_minimum(world):
    add_member(world.cell2, "Cao Văn Toàn", status=MemberStatus.PROBATIONARY)
    assert len(selectors.structure_warnings(world.cell2)) == 1


def test_nine_full_members_without_a_committee_is_warned(world):
    for i in range(6):
        add_member(world.cell1, f"Đảng Viên Số{'ABCDEF'[i]}")
    # cell1: 3 full + 6 = 9 full, only a secretary
    summary = selectors.cell_summary(world.cell1)
    assert summary.full == 9
    assert any("chưa có chi ủy" in w for w in selectors.structure_warnings(world.cell1, summary))


def test_eight_full_members_need_no_committee(world):
    for i in range(5):
        add_member(world.cell1, f"Đảng Viên Số{'ABCDE'[i]}")
    assert selectors.cell_summary(world.cell1).full == 8
    assert selectors.structure_warnings(world.cell1) == []


def test_nine_full_members_with_a_committee_is_fine(world):
    add_member(world.cell1, "Đảng Viên Phóbíthư", party_position="pho_bi_thu")
    add_member(world.cell1, "Đảng Viên Chiủyviên", party_position="chi_uy_vien")
    for i in range(4):
        add_member(world.cell1, f"Đảng Viên Số{'ABCD'[i]}")
    assert selectors.cell_summary(world.cell1).full == 9
    assert selectors.structure_warnings(world.cell1) == []


def test_summary_counts_each_flag(world):
    add_member(world.cell1, "Lý Văn Miễn", exempt_from=dt.date(2024, 1, 1))
    add_member(world.cell1, "Lý Văn Đến", temp_direction="den", temp_other_cell="Chi bộ X")
    add_member(world.cell1, "Lý Văn Đi", temp_direction="di", temp_from=dt.date(2025, 1, 1))
    s = selectors.cell_summary(world.cell1)
    assert (s.total, s.full, s.probationary, s.exempt, s.incoming, s.away) == (7, 6, 1, 1, 1, 1)


def test_birthdays_of_the_month_are_listed_by_day(world):
    add_member(world.cell1, "Mai Thị Sinh", birth_date=dt.date(1970, 11, 30))
    add_member(world.cell1, "Đào Văn Nhật", birth_date=dt.date(1985, 11, 2))
    add_member(world.cell2, "Khác Chi Bộ", birth_date=dt.date(1985, 11, 1))
    names = [m.full_name for m in selectors.birthdays_of_month(world.cell1, 11)]
    assert names == ["Đào Văn Nhật", "Mai Thị Sinh"]
