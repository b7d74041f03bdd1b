"""The annual sections of the rulebook: shipped with sources, validated in Vietnamese."""

from __future__ import annotations

import pytest

from chibo.rules import loader

GOOD = (loader.RULEBOOK_DIR / "hd42-2025.yaml").read_text(encoding="utf-8")


def test_the_current_rulebook_ships_the_annual_sections_with_sources():
    annual = loader.parse(GOOD).annual
    assert annual is not None
    for rule in (annual.rating, annual.cap, annual.vote, annual.cell_year, annual.dues):
        assert rule.source
    assert annual.dues.working_age_source
    assert "366" in annual.rating.source and "342" in annual.dues.source
    assert [lv.min for lv in annual.rating.levels] == [90, 70, 50, 0]
    assert annual.dues.fixed_min == 2000 and annual.dues.fixed_max == 30000
    for frame in annual.rating.frames.values():
        assert sum(c.points for c in frame) == 100


def test_a_rulebook_without_annual_sections_still_loads_and_inherits_the_default():
    from chibo.annual.selectors import annual_rules

    legacy = loader.load_files()["hd12-2018"]
    assert legacy.annual is None
    assert annual_rules(legacy) is loader.load_files()["hd42-2025"].annual


@pytest.mark.parametrize(
    ("old", "new", "phrase"),
    [
        ("  excellent_cap:\n", "  excellent_cap_x:\n", "thiếu mục excellent_cap"),
        (
            'source: "Quy định 366-QĐ/TW (30/8/2025) của Bộ Chính trị, Điều 11 (thang điểm 100, bốn mức)"',
            'source: ""',
            "phải ghi nguồn",
        ),
        ("        min: 70\n", "        min: 95\n", "giảm dần"),
        ("exceeding_percent: 30, shortcomings", "exceeding_percent: 130, shortcomings", "từ 0 đến 100"),
        ("exceeding_percent: 30, shortcomings", "luck: 30, shortcomings", "điều kiện chỉ được dùng"),
        ("{code: nhiem_vu, points: 70", "{code: nhiem_vu, points: 71", "tổng điểm khung phải là 100"),
        ("max_percent_of_base: 20", "max_percent_of_base: hai mươi", "phân số"),
        ("base_levels: [xuat_sac, tot]", "base_levels: [gioi]", "base_levels"),
        (
            "{level: xuat_sac, fraction: 2/3, at_least: true}",
            "{level: xuat_sac, fraction: 3/2, at_least: true}",
            "từ 0 đến 1",
        ),
        (
            '{grade: kha, label: "Khá", all_at_least: trung_binh}',
            '{grade: kha, label: "Khá", all_at_least: gioi}',
            "all_at_least",
        ),
        ("fixed_min: 2000", "fixed_min: 40000", "không được lớn hơn fixed_max"),
        ("{code: luong, percent: 1,", "{code: luong, fixed: true, percent: 1,", "đúng một cách tính"),
        ("outside_working_age_factor: 0.5", "outside_working_age_factor: 2", "từ 0 đến 1"),
        (
            "nam: {base_year: 2021, base_months: 723",
            "ong: {base_year: 2021, base_months: 723",
            "thiếu mục nam",
        ),
        ("voluntary_needs_approval: true", "voluntary_needs_approval: co", "true hoặc false"),
    ],
)
def test_bad_annual_sections_are_refused_with_a_vietnamese_message(old, new, phrase):
    assert old in GOOD
    with pytest.raises(loader.RulebookError, match=phrase):
        loader.parse(GOOD.replace(old, new, 1))
