"""End to end in headless Chromium: danguy.anbinh drills down commune, cell, meeting; danguy.hoalac
cannot see the cells of An Binh. Screenshots: test-artifacts/e2e/oversight-*.png."""

from __future__ import annotations

import pytest
from django.utils import timezone

from chibo.core.tests.e2e import ARTIFACTS, LAPTOP, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

def shot(page, name: str, *, full: bool = True) -> None:
    page.screenshot(path=ARTIFACTS / f"oversight-{name}.png", full_page=full)


def test_the_commune_officer_drills_down_from_the_commune_to_a_cell_and_a_meeting(browser, demo):
    from chibo.meetings.models import Meeting
    from chibo.organisations.models import Organisation

    an_binh = Organisation.objects.get(code="DEMO-AB")
    thon1 = Organisation.objects.get(code="DEMO-AB-T1")
    truong = Organisation.objects.get(code="DEMO-HL-TH")
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, demo, "danguy.anbinh")

    # /cap-tren/ leads the officer straight to the commune's dashboard.
    page.goto(f"{demo}/cap-tren/")
    page.wait_for_load_state()
    assert "Bảng theo dõi — Đảng ủy xã An Bình" in page.locator("h1").inner_text()
    assert page.locator("svg.chart").count() >= 5
    assert "Chi bộ Trường Tiểu học" not in page.content()  # Hòa Lạc's cell is not in An Bình's subtree
    shot(page, "01-commune")
    page.locator("#bang-weakness").screenshot(path=ARTIFACTS / "oversight-01-weakness.png")

    # Drill down: the children table links to the cell's dashboard.
    page.locator("#bang-children a", has_text="Chi bộ thôn 1").click()
    page.wait_for_load_state()
    assert "Bảng theo dõi — Chi bộ thôn 1" in page.locator("h1").inner_text()
    assert page.locator(".crumbs a", has_text="Đảng ủy xã An Bình").count() == 1
    shot(page, "02-cell")

    # ... and the cell's meetings table links to the meeting record.
    page.locator("#bang-meetings tbody a").first.click()
    page.wait_for_load_state()
    assert "/sinh-hoat/" in page.url and "Chi bộ thôn 1" in page.content()
    assert "Cấp ủy cấp trên" in page.content()  # the oversight panel on the meeting page
    shot(page, "03-meeting")

    # The meeting is approved: the officer chooses it as a model meeting for the commune.
    page.fill("#model-note", "Chuẩn bị chu đáo, nhiều đảng viên phát biểu.")
    page.click("button:has-text('Chọn làm buổi mẫu')")
    page.wait_for_load_state()
    assert "Sinh hoạt mẫu" in page.title() and "Chuẩn bị chu đáo" in page.content()
    assert "CCCD" not in page.content()
    shot(page, "04-model")

    # Guidance for the month of Thôn 1's next meeting, published to every cell.
    upcoming = Meeting.objects.filter(organisation=thon1, status="published").order_by("scheduled_at").first()
    when = timezone.localtime(upcoming.scheduled_at)
    page.goto(f"{demo}/cap-tren/dinh-huong/{an_binh.pk}/")
    page.fill("#id_year", str(when.year))
    page.select_option("#id_month", str(when.month))
    page.fill("#id_title", f"Định hướng sinh hoạt tháng {when.month:02d}/{when.year}")
    page.fill("#id_body", "Tập trung quán triệt nghị quyết mới, chuẩn bị mùa mưa bão.")
    page.click("button:has-text('Tạo định hướng')")
    page.wait_for_load_state()
    page.select_option("#id_kind", "document")
    page.fill("#id_title", "Quán triệt Nghị quyết 57-NQ/TW về chuyển đổi số")
    page.fill("#id_document_ref", "57-NQ/TW")
    page.click("button:has-text('Thêm nội dung')")
    page.wait_for_load_state()
    page.click("button:has-text('Ban hành cho chi bộ')")
    page.wait_for_load_state()
    assert "Đã ban hành định hướng" in page.content()
    guidance_url = page.url

    # The demo already has him at Thôn 1's meeting that month; he adds Thôn 2 and is notified.
    page.goto(f"{demo}/cap-tren/du-sinh-hoat/{an_binh.pk}/?nam={when.year}")
    page.select_option("#id_officer", label="Ủy viên Ban Thường vụ Đảng ủy xã An Bình")
    page.select_option("#id_cell", label="Chi bộ thôn 2")
    page.fill("#id_year", str(when.year))
    page.select_option("#id_month", str(when.month))
    page.click("button:has-text('Phân công và thông báo')")
    page.wait_for_load_state()
    assert "Đã phân công và đã gửi thông báo lịch họp." in page.content()
    shot(page, "05-visits")

    # The secretary sees the guidance while preparing and adopts it with one action.
    cell = browser.new_context(viewport=LAPTOP).new_page()
    login(cell, demo, "bithu.thon1")
    cell.goto(f"{demo}/sinh-hoat/{upcoming.pk}/")
    cell.locator("li", has_text="57-NQ/TW").locator("button:has-text('Đưa vào chương trình')").click()
    cell.wait_for_load_state()
    assert (
        "Đã đưa “Quán triệt Nghị quyết 57-NQ/TW về chuyển đổi số” vào chương trình sinh hoạt."
        in cell.content()
    )
    cell.locator("#dinh-huong").screenshot(path=ARTIFACTS / "oversight-06-adopted.png")
    page.goto(guidance_url)
    assert "Đã đưa vào chương trình" in page.content()
    shot(page, "07-guidance")

    # A period filter with a bad month is explained, not ignored.
    page.goto(f"{demo}/cap-tren/tong-quan/{an_binh.pk}/?tu=13/2026")
    assert "Tháng không hợp lệ" in page.content()

    # The Hòa Lạc officer cannot see An Bình's cells, nor An Bình's dashboard.
    other = browser.new_context(viewport=LAPTOP).new_page()
    login(other, demo, "danguy.hoalac")
    for url in (f"/cap-tren/tong-quan/{an_binh.pk}/", f"/cap-tren/tong-quan/{thon1.pk}/"):
        response = other.goto(f"{demo}{url}")
        assert response is not None and response.status == 404
    response = other.goto(f"{demo}/cap-tren/tong-quan/{truong.pk}/")
    assert response is not None and response.status == 200
    other.goto(f"{demo}/cap-tren/")
    assert "Chi bộ thôn 1" not in other.content() and "Đảng ủy xã Hòa Lạc" in other.content()
    shot(other, "08-hoalac")
    assert errors == []
