"""End to end in headless Chromium: the demo secretary changes a member's dues from this month on
(earlier months keep their price), is refused a change dated into a month the commune confirmed, and
reads the dues and year-end rules on the rulebook page.
Screenshots: test-artifacts/e2e/dues-*.png."""

from __future__ import annotations

import pytest
from django.utils import timezone

from chibo.core.tests.e2e import ARTIFACTS, LAPTOP, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=ARTIFACTS / f"dues-{name}.png", full_page=True)


def test_a_dues_change_from_a_month_through_the_pages(browser, demo):  # type: ignore[no-untyped-def]
    from chibo.annual import selectors
    from chibo.annual.models import Remittance
    from chibo.members.models import Member

    today = timezone.localdate()
    year = today.year
    lan = Member.objects.get(full_name="Trần Thị Lan")
    before = [c.due for c in selectors.dues_ledger(lan.organisation, year, only=lan).rows[0].months]
    locked = Remittance.objects.filter(
        organisation=lan.organisation, year=year, confirmed_at__isnull=False
    ).first()

    ctx = browser.new_context(viewport=LAPTOP, locale="vi-VN")
    page = ctx.new_page()
    login(page, demo, "bithu.thon1")
    page.goto(f"{demo}/hang-nam/dang-vien/{lan.pk}/{year}/")
    page.click("#dang-phi summary")
    assert page.input_value("input[name=valid_from]") == f"{today:%m/%Y}"
    page.select_option("select[name=category]", "khac")
    page.fill("input[name=fixed_amount]", "25000")
    page.fill("input[name=base_income]", "")
    page.fill("input[name=voluntary_amount]", "")
    page.click("#dang-phi button:has-text('Lưu mức đóng')")
    page.wait_for_load_state()
    assert f"áp dụng từ tháng {today:%m/%Y}" in page.inner_text(".messages")
    after = [c.due for c in selectors.dues_ledger(lan.organisation, year, only=lan).rows[0].months]
    assert after[: today.month - 1] == before[: today.month - 1]  # the months before keep their price
    assert after[today.month - 1] == 25_000
    assert f"Từ tháng {today:%m/%Y}" in page.inner_text("#dang-phi")
    shot(page, "member-changed")

    if locked is not None:  # the demo's commune confirmed the remittances of all but the last two months
        page.click("#dang-phi summary")
        page.fill("input[name=valid_from]", f"{locked.month:02d}/{locked.year}")
        page.fill("input[name=fixed_amount]", "30000")
        page.click("#dang-phi button:has-text('Lưu mức đóng')")
        page.wait_for_load_state()
        assert (
            f"Đảng phí tháng {locked.month:02d}/{locked.year} đã được cấp trên xác nhận"
            in page.inner_text(".messages")
        )
        assert [
            c.due for c in selectors.dues_ledger(lan.organisation, year, only=lan).rows[0].months
        ] == after
        shot(page, "locked-refused")

    page.goto(f"{demo}/quy-tac/hd42-2025/")
    body = page.inner_text("main")
    assert "Kiểm điểm, xếp loại cuối năm và đảng phí" in body and "Quyết định 342-QĐ/TW" in body
    shot(page, "rulebook")
    ctx.close()
