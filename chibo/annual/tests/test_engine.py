"""Boundaries of the annual rules, read from the shipped rulebook (QĐ 366, QĐ 342)."""

from __future__ import annotations

import datetime as dt

import pytest

from chibo.annual import engine
from chibo.annual.engine import RatingFacts
from chibo.rules import loader

RULES = loader.load_files()["hd42-2025"].annual
assert RULES is not None
RATING, CAP, VOTE, DUES = RULES.rating, RULES.cap, RULES.vote, RULES.dues
RANK = {"tot": 0, "kha": 1, "trung_binh": 2, "kem": 3}


def member(total: int, **kw) -> str:  # type: ignore[no-untyped-def]
    facts = {"tasks_total": 10, "tasks_done": 10, "tasks_exceeding": 3, **kw}
    return engine.rate(RATING, "member", RatingFacts(total=total, **facts)).level


# --- bands --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("total", "level"),
    [
        (100, "xuat_sac"),
        (90, "xuat_sac"),
        (89, "tot"),
        (70, "tot"),
        (69, "hoan_thanh"),
        (50, "hoan_thanh"),
        (49, "khong_hoan_thanh"),
        (0, "khong_hoan_thanh"),
    ],
)
def test_the_rating_bands_have_their_boundaries_where_qd366_puts_them(total, level):
    assert member(total) == level


def test_a_score_outside_0_to_100_is_refused():
    with pytest.raises(ValueError, match="0 đến 100"):
        engine.rate(RATING, "member", RatingFacts(total=101))


# --- the ≥ 30% exceeding condition -------------------------------------------------------------
def test_exactly_30_percent_of_tasks_exceeding_is_enough_for_xuat_sac():
    assert member(95, tasks_exceeding=3) == "xuat_sac"


def test_one_task_short_of_30_percent_drops_xuat_sac_to_tot_with_the_reason():
    result = engine.rate(
        RATING, "member", RatingFacts(total=95, tasks_total=10, tasks_done=10, tasks_exceeding=2)
    )
    assert result.level == "tot"
    assert "ít nhất 30% nhiệm vụ vượt yêu cầu (đạt 20%)" in result.missed[0]


def test_thirty_percent_is_measured_exactly_not_rounded():
    # 29.99…%: 3 of 10.0033… is impossible; use 299 of 1000 vs 300 of 1000.
    assert member(95, tasks_total=1000, tasks_done=1000, tasks_exceeding=299) == "tot"
    assert member(95, tasks_total=1000, tasks_done=1000, tasks_exceeding=300) == "xuat_sac"


def test_without_tasks_nobody_exceeds_so_no_xuat_sac():
    assert member(95, tasks_total=0, tasks_done=0, tasks_exceeding=0) == "tot"


def test_xuat_sac_and_tot_need_every_task_done():
    assert member(95, tasks_done=9) == "hoan_thanh"
    assert member(75, tasks_done=9) == "hoan_thanh"


def test_xuat_sac_needs_every_previous_shortcoming_remedied():
    assert member(95, shortcomings_previous=2, shortcomings_remedied=1) == "tot"
    assert member(95, shortcomings_previous=2, shortcomings_remedied=2) == "xuat_sac"


def test_the_cell_is_not_xuat_sac_when_someone_was_disciplined():
    facts = RatingFacts(total=95, tasks_total=10, tasks_done=10, tasks_exceeding=3, disciplined=True)
    assert engine.rate(RATING, "cell", facts).level == "tot"
    assert (
        engine.rate(
            RATING, "cell", RatingFacts(total=95, tasks_total=10, tasks_done=10, tasks_exceeding=3)
        ).level
        == "xuat_sac"
    )


def test_the_cell_completes_its_tasks_only_with_at_most_20_percent_late():
    ok = RatingFacts(total=60, tasks_total=10, tasks_done=10, tasks_late=2)
    late = RatingFacts(total=60, tasks_total=10, tasks_done=10, tasks_late=3)
    assert engine.rate(RATING, "cell", ok).level == "hoan_thanh"
    assert engine.rate(RATING, "cell", late).level == "khong_hoan_thanh"


# --- the cap ---------------------------------------------------------------------------------
def test_the_cap_allows_20_percent_of_those_rated_tot_or_better():
    levels = ["xuat_sac"] * 2 + ["tot"] * 8  # base 10 → 2 allowed
    check = engine.check_cap(CAP, levels, top="xuat_sac", label="Hoàn thành xuất sắc nhiệm vụ")
    assert (check.allowed, check.exceeded) == (2, False)


def test_one_more_xuat_sac_over_the_cap_is_flagged_with_a_clear_warning():
    levels = ["xuat_sac"] * 3 + ["tot"] * 7 + ["hoan_thanh"] * 5
    check = engine.check_cap(CAP, levels, top="xuat_sac", label="Hoàn thành xuất sắc nhiệm vụ")
    assert check.exceeded and check.allowed == 2
    assert "Vượt tỷ lệ “Hoàn thành xuất sắc nhiệm vụ”: 3 người" in check.message
    assert "tối đa 20% của 10 người" in check.message


def test_the_cap_rounds_down_a_fraction_of_a_person():
    check = engine.check_cap(CAP, ["xuat_sac"] + ["tot"] * 8, top="xuat_sac", label="x")  # 20% of 9 = 1.8
    assert (check.allowed, check.exceeded) == (1, False)
    check = engine.check_cap(CAP, ["xuat_sac"] * 2 + ["tot"] * 7, top="xuat_sac", label="x")
    assert check.exceeded


def test_a_rulebook_without_a_cap_never_warns():
    from dataclasses import replace

    check = engine.check_cap(replace(CAP, max_percent=None), ["xuat_sac"] * 5, top="xuat_sac", label="x")
    assert not check.exceeded


# --- the vote --------------------------------------------------------------------------------
@pytest.mark.parametrize(("votes", "passed"), [(6, True), (5, False)])
def test_xuat_sac_needs_two_thirds_of_full_members(votes, passed):
    check = engine.check_vote(VOTE, "xuat_sac", in_favour=votes, base=9)  # 2/3 of 9 = 6
    assert check.required and check.needed == 6 and check.passed is passed


def test_two_thirds_of_a_base_not_divisible_by_three_rounds_up():
    assert engine.check_vote(VOTE, "xuat_sac", in_favour=None, base=10).needed == 7


@pytest.mark.parametrize(("votes", "passed"), [(6, True), (5, False)])
def test_tot_needs_more_than_half(votes, passed):
    assert engine.check_vote(VOTE, "tot", in_favour=votes, base=10).passed is passed


def test_lower_levels_need_no_vote():
    assert not engine.check_vote(VOTE, "hoan_thanh", in_favour=None, base=10).required


# --- the cell's year from its monthly grades ---------------------------------------------------
def test_seven_tot_and_the_rest_kha_make_a_tot_year():
    grades = ["tot"] * 7 + ["kha"] * 5
    assert engine.cell_year_grade(RULES.cell_year, grades, RANK).grade == "tot"


def test_six_tot_is_not_enough_for_a_tot_year():
    assert engine.cell_year_grade(RULES.cell_year, ["tot"] * 6 + ["kha"] * 6, RANK).grade == "kha"


def test_one_trung_binh_month_caps_the_year_at_kha_and_a_missing_month_at_trung_binh():
    assert engine.cell_year_grade(RULES.cell_year, ["tot"] * 11 + ["trung_binh"], RANK).grade == "kha"
    result = engine.cell_year_grade(RULES.cell_year, ["tot"] * 11 + [None], RANK)
    assert result.grade == "trung_binh" and result.missing == 1


# --- dues ------------------------------------------------------------------------------------
def test_salaried_members_pay_1_percent():
    assert engine.monthly_dues(DUES, category="luong", base=8_500_000).amount == 85_000
    assert engine.monthly_dues(DUES, category="phu_cap", base=1_000_000).amount == 10_000


def test_pensioners_pay_half_a_percent_even_outside_working_age():
    due = engine.monthly_dues(DUES, category="huu_tri", base=6_000_000, outside_age=True)
    assert due.amount == 30_000 and not due.halved


def test_rounding_is_to_the_dong_half_up():
    assert engine.monthly_dues(DUES, category="huu_tri", base=3_333_333).amount == 16_667


@pytest.mark.parametrize(("fixed", "ok"), [(1_999, False), (2_000, True), (30_000, True), (30_001, False)])
def test_the_fixed_amount_stays_within_2000_to_30000(fixed, ok):
    if ok:
        assert engine.monthly_dues(DUES, category="khac", base=0, fixed=fixed).amount == fixed
    else:
        with pytest.raises(ValueError, match="2.000 đến 30.000"):
            engine.monthly_dues(DUES, category="khac", base=0, fixed=fixed)


def test_others_outside_working_age_pay_half():
    due = engine.monthly_dues(DUES, category="khac", base=0, fixed=10_000, outside_age=True)
    assert due.amount == 5_000 and due.halved and "ngoài độ tuổi lao động" in due.explanation
    assert engine.monthly_dues(DUES, category="khac", base=0, fixed=2_000, outside_age=True).amount == 1_000


def test_a_voluntary_higher_amount_counts_only_once_the_chi_uy_approved_it():
    assert engine.monthly_dues(DUES, category="khac", base=0, fixed=10_000, voluntary=50_000).amount == 10_000
    due = engine.monthly_dues(
        DUES, category="khac", base=0, fixed=10_000, voluntary=50_000, voluntary_approved=True
    )
    assert due.amount == 50_000 and due.voluntary


def test_an_unknown_category_is_refused():
    with pytest.raises(ValueError, match="Không có đối tượng"):
        engine.monthly_dues(DUES, category="la", base=1)


# --- working age -----------------------------------------------------------------------------
def test_retirement_age_follows_the_roadmap():
    assert DUES.retirement["nam"].months_for(2021) == 723
    assert DUES.retirement["nam"].months_for(2026) == 738  # 61 tuổi 6 tháng
    assert DUES.retirement["nam"].months_for(2040) == 744  # 62, capped
    assert DUES.retirement["nu"].months_for(2026) == 684  # 57 tuổi


def test_a_man_is_outside_working_age_from_the_day_he_reaches_retirement_age():
    on = dt.date(2026, 6, 1)
    birth_at_limit = dt.date(1964, 12, 1)  # 61 years 6 months on 01/06/2026
    day_before = dt.date(1964, 12, 2)
    assert engine.outside_working_age(DUES, birth=birth_at_limit, gender="nam", on=on)
    assert not engine.outside_working_age(DUES, birth=day_before, gender="nam", on=on)


def test_a_woman_of_57_is_outside_working_age_in_2026_but_not_a_man():
    birth = dt.date(1969, 1, 1)
    on = dt.date(2026, 1, 1)
    assert engine.outside_working_age(DUES, birth=birth, gender="nu", on=on)
    assert not engine.outside_working_age(DUES, birth=birth, gender="nam", on=on)


def test_under_15_is_outside_working_age_and_unknown_birth_is_inside():
    assert engine.outside_working_age(DUES, birth=dt.date(2012, 1, 2), gender="nam", on=dt.date(2027, 1, 1))
    assert not engine.outside_working_age(
        DUES, birth=dt.date(2012, 1, 1), gender="nam", on=dt.date(2027, 1, 1)
    )
    assert not engine.outside_working_age(DUES, birth=None, gender="nam", on=dt.date(2027, 1, 1))
