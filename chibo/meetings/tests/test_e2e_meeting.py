"""End to end in headless Chromium: the demo secretary runs a whole meeting through the pages.

Prepare (details, draft resolution PDF) → publish → start → roll call (one excused with a reason)
→ steps → two speeches → conclusion → task → vote by count → scorecard → read back → approve;
then the locked record shows the grade and the speaker count, and an edit is refused.
Screenshots: test-artifacts/e2e/meeting-*.png (laptop 1280×800; the roll call also on a phone).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from chibo.core.tests.e2e import ARTIFACTS, LAPTOP, PHONE, login, saved

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

def shot(page, name: str, *, full: bool = True) -> None:
    page.screenshot(path=ARTIFACTS / f"meeting-{name}.png", full_page=full)


def section_shot(page, selector: str, name: str) -> None:
    """One section of the live screen (the sticky summary bar would cover part of it)."""
    # Through the CSSOM: the Content-Security-Policy forbids inline <style> (page.add_style_tag).
    page.evaluate("() => document.querySelectorAll('.live-summary')"
                  ".forEach(e => e.style.setProperty('position', 'static', 'important'))")
    page.locator(selector).screenshot(path=ARTIFACTS / f"meeting-{name}.png")


def test_secretary_runs_a_meeting_from_preparation_to_the_locked_record(browser, demo, tmp_path):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, demo, "bithu.thon1")

    # A meeting today, through "Thêm buổi sinh hoạt".
    page.goto(f"{demo}/sinh-hoat/")
    shot(page, "00-list")
    page.click("text=Lập kế hoạch năm")
    page.wait_for_load_state()
    assert "Kế hoạch sinh hoạt năm" in page.locator("h1").inner_text()
    shot(page, "00-plan")
    page.goto(f"{demo}/sinh-hoat/")
    page.click("text=Thêm buổi sinh hoạt")
    page.fill("#id_date", timezone.localdate().strftime("%d/%m/%Y"))
    page.fill("#id_time", "19:30")
    page.fill("#id_title", "Sinh hoạt thường kỳ: tổng kết làm đường liên thôn")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "Sinh hoạt thường kỳ" in page.locator("h1").inner_text()
    meeting_url = page.url

    # Prepare: who prepares, chi ủy met beforehand, chair and secretary.
    page.select_option("#id_preparer", label="Nguyễn Văn Hùng")
    page.fill("#id_pre_meeting_date", (timezone.localdate() - dt.timedelta(days=3)).strftime("%d/%m/%Y"))
    page.fill("#id_pre_meeting_time", "08:00")
    page.fill("#id_pre_meeting_notes", "Thống nhất nội dung: tổng kết làm đường, thu quỹ.")
    page.select_option("#id_chair", label="Nguyễn Văn Hùng")
    page.select_option("#id_secretary", label="Lê Thị Hồng")
    page.click("text=Lưu thông tin")
    page.wait_for_load_state()
    assert "Đã lưu thông tin chuẩn bị." in page.content()

    # Upload the draft resolution (a real PDF header) and a fake one that is refused.
    fake = tmp_path / "gia-mao.pdf"
    fake.write_bytes(b"MZ this is not a pdf")
    page.set_input_files("#doc_file", str(fake))
    page.click("button:has-text('Tải lên')")
    page.wait_for_load_state()
    assert "Nội dung tệp không phải là PDF hợp lệ." in page.content()
    pdf = tmp_path / "du-thao-nghi-quyet.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    page.select_option("#doc_kind", value="draft_resolution")
    page.fill("#doc_title", "Dự thảo nghị quyết tháng")
    page.set_input_files("#doc_file", str(pdf))
    page.click("button:has-text('Tải lên')")
    page.wait_for_load_state()
    assert page.locator(".docs a", has_text="Dự thảo nghị quyết tháng").count() == 1
    shot(page, "01-prepare")

    # Publish: the rule "documents ≥ N days before" is checked (today's meeting: late).
    page.click("button:has-text('Công bố và thông báo')")
    page.wait_for_load_state()
    assert "Đã công bố và gửi thông báo" in page.content()
    assert "phải công bố trước buổi sinh hoạt ít nhất 1 ngày" in page.content()
    shot(page, "02-published")

    # Start: the live screen.
    page.click("button:has-text('Bắt đầu họp')")
    page.wait_for_load_state()
    assert "/dieu-hanh/" in page.url
    live_url = page.url
    shot(page, "03-live-start", full=False)

    # Roll call: one tap each, quickly (requests queue one after another); one excused with a reason.
    rows = page.locator("#sec-roll .roll-row.st-none")
    names = [rows.nth(i).locator(".roll-name b").inner_text() for i in range(rows.count())]
    assert len(names) == 14  # 15 members, the exempt one is pre-marked
    assert page.locator("#sec-roll .roll-row.st-exempt").count() == 1
    excused = "Ngô Thị Nga"
    for name in names:
        if name == excused:
            continue
        page.locator("#sec-roll .roll-row", has_text=name).locator("button.tap.present").click()
    row = page.locator("#sec-roll .roll-row", has_text=excused)
    row.locator("button.tap.excused").click()  # no reason yet: the reason box opens instead
    row.locator("input.reason").fill("Đi công tác tỉnh")
    row.locator("button.tap.excused").click()
    saved(page)
    assert page.locator("#sec-roll .roll-row.st-present").count() == 13
    assert page.locator("#sec-roll .roll-row.st-absent_excused").count() == 1
    summary = page.locator("#live-summary").inner_text()
    assert "13/14" in summary and "92,9%" in summary
    page.locator("#sec-roll .roll-row", has_text="Nguyễn Văn Hùng").locator("input[name=collected]").check()
    saved(page)
    shot(page, "04-rollcall", full=False)

    # The connection drops: a tap is kept ("Chưa lưu"), survives in localStorage, and is sent on reconnect.
    late = page.locator("#sec-roll .roll-row", has_text="Mai Thị Xuân")
    context.set_offline(True)
    late.locator("button.tap.unexcused").click()
    page.wait_for_function("() => document.getElementById('save-state').dataset.state === 'unsaved'")
    assert "Chưa lưu (1)" in page.locator("#save-state").inner_text()
    assert "Mất kết nối" in page.locator("#unsaved").inner_text()
    assert "Điểm danh Mai Thị Xuân: Vắng không lý do" in page.evaluate(
        "() => localStorage.getItem('chibo.unsaved.' + document.getElementById('live-root').dataset.meeting)"
    )
    page.locator("#unsaved").scroll_into_view_if_needed()
    shot(page, "04-offline-unsaved", full=False)
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    saved(page)
    late = page.locator("#sec-roll .roll-row", has_text="Mai Thị Xuân")
    assert "st-absent_unexcused" in (late.get_attribute("class") or "")
    assert page.locator("#unsaved").is_hidden()
    late.locator("button.tap.present").click()
    saved(page)

    phone = browser.new_context(viewport=PHONE)
    phone_page = phone.new_page()
    login(phone_page, demo, "bithu.thon1")
    phone_page.goto(live_url + "#sec-roll")
    phone_page.screenshot(path=ARTIFACTS / "meeting-04-rollcall-phone.png", full_page=False)
    phone_page.locator("#sec-roll").screenshot(path=ARTIFACTS / "meeting-04-rollcall-phone-full.png")
    phone_page.goto(live_url)
    phone_page.screenshot(path=ARTIFACTS / "meeting-04-live-phone-top.png", full_page=False)
    phone_page.locator("#sec-agenda").screenshot(path=ARTIFACTS / "meeting-04-agenda-phone.png")
    phone.close()

    # Steps: start the first two, the second ends the first.
    steps = page.locator("#sec-agenda li.step")
    steps.nth(0).locator("button:has-text('Bắt đầu')").click()
    saved(page)
    steps.nth(1).locator("button:has-text('Bắt đầu')").click()
    saved(page)
    assert "running" in (steps.nth(1).get_attribute("class") or "")
    assert "done" in (steps.nth(0).get_attribute("class") or "")

    # Two speeches in the discussion step.
    discussion = page.locator("#sec-agenda li.step", has_text="Thảo luận")
    discussion.locator("button:has-text('Bắt đầu')").click()
    saved(page)
    for who, text in (
        ("Trần Thị Lan", "Đề nghị chi bộ vận động thêm hộ góp công làm đường."),
        ("Đỗ Văn Khoa", "Tổ 2 nhận phần đoạn đường qua xóm Đông."),
    ):
        page.select_option("#speech-who", label=who)
        page.fill("#speech_summary", text)
        page.click("button:has-text('Ghi ý kiến')")
        saved(page)
    assert discussion.locator(".speeches li").count() == 2
    assert "2/13" in page.locator(".speaker-count").inner_text()

    # Conclusion of the chair.
    conclusion = page.locator("#sec-agenda li.step", has_text="Chủ trì kết luận")
    conclusion.locator("button:has-text('Bắt đầu')").click()
    saved(page)
    conclusion = page.locator("#sec-agenda li.step", has_text="Chủ trì kết luận")
    conclusion.locator("textarea").fill("Chi bộ thống nhất hoàn thành đoạn đường trước 30/6.")
    conclusion.locator("button:has-text('Lưu kết luận')").click()
    saved(page)
    section_shot(page, "#sec-agenda", "05-agenda")
    section_shot(page, "#sec-speech", "05-speech")

    # Last month's open tasks (the demo history leaves some): report the first one done.
    reports = page.locator("#sec-tasks form[id^=report-form-]")
    if reports.count():
        first = reports.first
        first.locator("textarea").fill("Đã hoàn thành, 45 hộ tham gia.")
        first.locator("input[name=done]").check()
        first.locator("button").click()
        saved(page)
        assert page.locator("#sec-tasks .task .tag.ok").count() >= 1

    # A task for next month.
    page.fill("#task_title", "Vận động các hộ góp công làm đường xóm Đông")
    page.select_option("#task_assignee", label="Đỗ Văn Khoa")
    page.fill("#task_due_date", (timezone.localdate() + dt.timedelta(days=30)).strftime("%d/%m/%Y"))
    page.click("button:has-text('Giao nhiệm vụ')")
    saved(page)
    assert page.locator("#sec-tasks", has_text="Vận động các hộ góp công").count() == 1

    # Vote by count: the probationary member does not vote.
    page.locator("#sec-agenda li.step", has_text="Biểu quyết").locator("button:has-text('Bắt đầu')").click()
    saved(page)
    page.click("button:has-text('Mở biểu quyết')")
    saved(page)
    vote = page.locator("#sec-vote .vote").first
    text = vote.inner_text()
    eligible, voters = (
        int(x) for x in re.search(r"Có quyền biểu quyết: (\d+) đảng viên; đang có mặt: (\d+)", text).groups()
    )
    assert (eligible, voters) == (13, 12)  # 15 − exempt not present − probationary; the excused one counts
    vote.locator("input[name=in_favour]").fill(str(voters))
    vote.locator("input[name=against]").fill("0")
    vote.locator("input[name=other]").fill("0")
    vote.locator("button:has-text('Ghi kết quả')").click()
    saved(page)
    assert "Thông qua" in page.locator("#sec-vote .result").inner_text()
    section_shot(page, "#sec-vote", "06-vote")

    # Scorecard: the cell enters what the data cannot prove.
    page.locator("#sec-agenda li.step", has_text="Chấm điểm").locator("button:has-text('Bắt đầu')").click()
    saved(page)
    page.fill("#cell_c_order_content", "9")
    page.fill("#cell_c_criticism", "8")
    assert "Tạm tính" in page.locator("[data-preview=cell]").inner_text()
    page.click("button:has-text('Lưu điểm chi bộ chấm')")
    saved(page)
    assert re.search(r"\d+ — (Tốt|Khá|Trung bình|Kém)", page.locator("#grade-cell").inner_text())
    section_shot(page, "#sec-score", "07-score")
    section_shot(page, "#sec-tasks", "07-tasks")

    # Read back, then approve: the record locks.
    page.click("button:has-text('Đã đọc lại biên bản')")
    saved(page)
    page.wait_for_selector("button:has-text('Duyệt và khóa biên bản')")
    page.locator("#sec-finish").scroll_into_view_if_needed()
    shot(page, "07-closed", full=False)
    with page.expect_navigation(url=meeting_url):
        page.click("button:has-text('Duyệt và khóa biên bản')")
    page.wait_for_load_state()
    assert "Đã duyệt biên bản" in page.content()
    grade = page.locator(".grade-box b").inner_text()
    assert grade in {"Tốt", "Khá", "Trung bình", "Kém"}
    assert re.search(r"\d+/\d+ đảng viên phát biểu", page.locator(".record-head").inner_text())
    assert "2/13 đảng viên phát biểu" in page.locator(".record-head").inner_text()
    assert page.locator(".record form").count() == 0  # the record is read-only
    shot(page, "08-approved-record")

    # An edit attempt is refused, with the reason.
    token = context.cookies()[0]["value"] if context.cookies() else ""
    token = next((c["value"] for c in context.cookies() if c["name"] == "csrftoken"), token)
    member_url = live_url + "diem-danh/1/"
    response = page.request.post(member_url, form={"status": "present"}, headers={"X-CSRFToken": token})
    assert response.status == 403
    with page.expect_navigation():
        page.evaluate(
            """([url, token]) => { const f = document.createElement('form'); f.method = 'post'; f.action = url;
        f.innerHTML = `<input name="csrfmiddlewaretoken" value="${token}"><input name="text" value="x">`;
        document.body.appendChild(f); f.submit(); }""",
            [live_url + "buoc/1/ket-luan/", token],
        )
    page.wait_for_load_state()
    assert "Biên bản đã được duyệt nên không thể sửa" in page.content()
    shot(page, "09-edit-refused")
    page.goto(live_url)
    assert page.url == meeting_url  # the live screen of a locked meeting shows the record
    assert not errors, errors
    context.close()
