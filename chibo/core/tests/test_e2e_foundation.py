"""End to end in headless Chromium: the demo secretary and officer use the real pages.

Screenshots are kept in test-artifacts/e2e/ so a person can look at them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "e2e"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium).")
        pytest.skip("Chromium not installed (make test installs it).")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def demo(settings, live_server):
    settings.DEBUG = True
    call_command("seed_demo")
    settings.DEBUG = False
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/tai-khoan/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", "chibo-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state()


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
