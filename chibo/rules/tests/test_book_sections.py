"""The rulebook pages show the year-end review, dues and oversight sections with their sources."""

from __future__ import annotations

import pytest

from chibo.rules import loader, services
from chibo.rules.tests.test_variants import CODE, variant
from chibo.rules.views import present

pytestmark = pytest.mark.django_db

ANNUAL_TEXTS = (
    "Kiểm điểm, xếp loại cuối năm và đảng phí",  # the section heading
    "Hoàn thành xuất sắc nhiệm vụ: từ 90 điểm và hoàn thành 100% nhiệm vụ, ít nhất 30% nhiệm vụ vượt yêu cầu",
    "Không hoàn thành nhiệm vụ: dưới 50 điểm",
    "không có tổ chức, cá nhân bị kỷ luật",  # the cell's extra condition
    "Quy định 366-QĐ/TW (30/8/2025)",
    "không quá 20% số được xếp “Hoàn thành xuất sắc nhiệm vụ” hoặc “Hoàn thành tốt nhiệm vụ”",
    "HD 21-HD/BTCTW (2019)",
    "“Hoàn thành xuất sắc nhiệm vụ” cần ít nhất 2/3 số đảng viên chính thức",
    "“Hoàn thành tốt nhiệm vụ” cần trên 1/2",
    "HD 07-HD/BTCTW (2011)",
    "Tốt: mọi kỳ từ mức Khá trở lên và ít nhất 7 kỳ mức Tốt",
    "tính là mức Kém",
    "Hưởng lương hưu, trợ cấp BHXH (0,5%)",
    "Từ 2.000 đến 30.000 đồng/tháng; đảng viên ngoài độ tuổi lao động đóng 50% mức đó",
    "khi chi ủy đồng ý",
    "Quyết định 342-QĐ/TW (28/12/2010)",
    "nam 60 tuổi 3 tháng năm 2021, mỗi năm thêm 3 tháng, đến 62 tuổi",
    "nữ 55 tuổi 4 tháng năm 2021, mỗi năm thêm 4 tháng, đến 60 tuổi",
    "Bộ luật Lao động 2019, Điều 169",
)
OVERSIGHT_TEXTS = (
    "Cấp ủy cấp trên theo dõi",
    "dưới 50%, 50–70%, 70–85%, 85–95%, từ 95%",
    "nêu 3 chi bộ cần giúp đỡ nhất",
    "Cách trình bày của bảng theo dõi chibo",
)


def test_every_annual_and_oversight_rule_has_its_source():
    for book in loader.load_all().values():
        shown = [r for r in present(book).rules if r.section != "meetings"]
        assert {r.section for r in shown} == {"annual", "oversight"}
        assert len([r for r in shown if r.section == "annual"]) == 8
        assert all(r.text and r.source for r in shown), book.code


def test_the_default_rulebook_page_shows_the_new_sections(world, client):
    client.force_login(world.member_same)
    html = client.get("/quy-tac/hd42-2025/").content.decode()
    for text in ANNUAL_TEXTS + OVERSIGHT_TEXTS:
        assert text in html, text
    assert "theo bộ quy tắc mặc định" not in html
    listing = client.get("/quy-tac/").content.decode()
    assert "Quyết định 342-QĐ/TW (28/12/2010)" in listing and "Cấp ủy cấp trên theo dõi" in listing


def test_a_rulebook_without_the_annual_sections_says_it_follows_the_default(world, client):
    assert loader.get("hd12-2018").annual is None
    client.force_login(world.member_same)
    html = client.get("/quy-tac/hd12-2018/").content.decode()
    assert "Quy định 366-QĐ/TW (30/8/2025)" in html
    assert "(theo bộ quy tắc mặc định, bộ này không quy định riêng)" in html


def test_a_variant_s_own_values_are_shown(world, client):
    text = variant()
    text = text.replace("fixed_max: 30000", "fixed_max: 40000", 1)
    text = text.replace("max_percent_of_base: 20", "max_percent_of_base: 25", 1)
    text = text.replace("weak_cells_shown: 3", "weak_cells_shown: 5", 1)
    text = text.replace(
        "{level: xuat_sac, fraction: 2/3, at_least: true}",
        "{level: xuat_sac, fraction: 3/4, at_least: true}",
        1,
    )
    services.save_variant(actor=world.admin, organisation=world.province, text=text)
    client.force_login(world.officer)
    html = client.get(f"/quy-tac/{CODE}/").content.decode()
    for shown in (
        "Từ 2.000 đến 40.000 đồng/tháng",
        "không quá 25% số được xếp",
        "nêu 5 chi bộ",
        "ít nhất 3/4 số",
    ):
        assert shown in html, shown
