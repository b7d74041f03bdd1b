"""End to end in headless Chromium: the demo secretary and officer use the real pages.

Screenshots are kept in test-artifacts/e2e/ so a person can look at them.
"""

from __future__ import annotations

import pytest

from chibo.core.tests.e2e import ARTIFACTS, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

def test_secretary_adds_a_member_and_finds_her_without_diacritics(browser, demo):
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    login(page, demo, "bithu.thon1")
    assert page.locator("h1").inner_text() == "Chi bộ thôn 1"
    page.screenshot(path=ARTIFACTS / "01-cell-home-phone.png", full_page=True)
    page.click("text=Thêm đảng viên")
    page.fill("#id_full_name", "Đinh Thị Ngọc Ánh")
    page.fill("#id_birth_date", "02/09/1992")
    page.fill("#id_admission_date", "19/05/2020")
    page.fill("#id_official_date", "19/05/2021")
    page.fill("#id_cccd", "001192012345")
    page.select_option("#id_party_group", label="Tổ đảng số 2")
    page.screenshot(path=ARTIFACTS / "02-member-form.png", full_page=True)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Đinh Thị Ngọc Ánh"
    assert "001192012345" in page.content()  # the secretary may see the CCCD
    assert "02/09/1992" in page.content()
    page.goto(f"{demo}/dang-vien/?q=ngoc anh")
    page.screenshot(path=ARTIFACTS / "03-search-without-diacritics.png", full_page=True)
    assert page.locator("td a", has_text="Đinh Thị Ngọc Ánh").count() == 1


def test_officer_sees_both_cells_and_masked_cccd_and_other_officer_does_not(browser, demo):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    login(page, demo, "danguy.anbinh")
    assert page.locator("h1").inner_text() == "Đảng ủy xã An Bình"
    page.screenshot(path=ARTIFACTS / "04-commune-officer.png", full_page=True)
    page.click("text=Chi bộ thôn 2")
    page.wait_for_load_state()
    page.click("text=Danh sách đảng viên")
    page.wait_for_load_state()
    page.click("text=Trần Văn Quang")
    page.wait_for_load_state()
    assert "********" in page.content()
    assert page.locator("text=Sửa").count() == 0  # read-only
    page.screenshot(path=ARTIFACTS / "05-member-read-only.png", full_page=True)
    url = page.url
    other = browser.new_page()
    login(other, demo, "danguy.hoalac")
    response = other.goto(url)
    assert response.status == 404
