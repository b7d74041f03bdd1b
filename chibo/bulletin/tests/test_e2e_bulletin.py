"""End to end in headless Chromium: the demo secretary adds a feed (served on 127.0.0.1), fetches
it, builds the bulletin of the next meeting, has the newsreader read it, and finds it on the meeting
page. Screenshots: test-artifacts/e2e/bulletin-*.png (and the PDF's first page)."""

from __future__ import annotations

import subprocess

import pytest
from django.utils import timezone

from chibo.bulletin.models import AudioStatus, Bulletin, Entry
from chibo.bulletin.selectors import ordered_entries
from chibo.bulletin.tests import feedserver as fs
from chibo.core.tests.e2e import ARTIFACTS, LAPTOP, PHONE, login
from chibo.meetings.models import Meeting, MeetingStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SUMMARY = "Tóm tắt đủ dài của bài báo để không cần lấy toàn văn từ trang gốc. " * 7


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=ARTIFACTS / f"bulletin-{name}.png", full_page=True)


@pytest.fixture
def feeds(settings):
    settings.CHIBO_BULLETIN_PRIVATE_HOSTS = ["127.0.0.1"]  # the test feed server is on loopback
    state, srv = fs.start()
    state.routes["/bai-viet"] = fs.Response(fs.ARTICLE_HTML.encode(), content_type="text/html; charset=utf-8")
    state.routes["/rss"] = fs.Response(
        fs.rss(
            [
                ("Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 12", state.url("/bai-viet"), "Sáng 28/11..."),
                ("Tỉnh đạt 27/30 xã nông thôn mới", state.url("/ntm"), SUMMARY),
                ("Kinh tế tăng trưởng 7,09%", state.url("/kt"), SUMMARY),
            ]
        ).encode()
    )
    state.routes["/hong"] = fs.Response(b"<html>bao tri</html>", content_type="text/html")
    yield state
    srv.shutdown()
    srv.server_close()


def test_secretary_builds_a_bulletin_and_the_newsreader_reads_it(browser, demo, feeds):
    meeting = (
        Meeting.objects.filter(organisation__code="DEMO-AB-T1", scheduled_at__gt=timezone.now())
        .exclude(status=MeetingStatus.APPROVED)
        .order_by("scheduled_at")
        .first()
    )
    assert meeting is not None
    # The demo fills this meeting's bulletin with its five demo items; this test builds one itself.
    Entry.objects.filter(bulletin__meeting=meeting).delete()
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The test server shares one in-memory SQLite connection between its threads: keep the
    # browser from sending a stray concurrent request (favicon) that races the audio request.
    page.route("**/favicon.ico", lambda route: route.abort())
    login(page, demo, "bithu.thon1")

    page.goto(f"{demo}/thoi-su/")
    assert page.locator("h1").inner_text() == "Thông tin thời sự"
    page.click("a:has-text('Chi bộ thôn 1')")
    page.wait_for_load_state()

    # Two feeds: one good, one broken; the broken one is reported and the page still works.
    for name, path in (("Báo tỉnh", "/rss"), ("Trang hỏng", "/hong")):
        page.click("summary:has-text('Thêm nguồn tin')")
        page.fill("#id_feed-name", name)
        page.fill("#id_feed-url", feeds.url(path))
        page.select_option("#id_feed-category", "trong_tinh")
        page.click("button:has-text('Thêm nguồn')")
        page.wait_for_load_state()
    page.locator("tr:has-text('Báo tỉnh') button:has-text('Lấy tin ngay')").click()
    page.wait_for_load_state()
    assert "Đã lấy tin từ “Báo tỉnh”: 3 tin mới." in page.content()
    page.locator("tr:has-text('Trang hỏng') button:has-text('Lấy tin ngay')").click()
    page.wait_for_load_state()
    assert "Nội dung tải về không phải RSS/Atom hợp lệ." in page.content()
    # A hand-typed item in another category.
    page.click("summary:has-text('Nhập hoặc dán một tin')")
    page.select_option("#id_item-category", "the_gioi")
    page.fill("#id_item-title", "Hội nghị cấp cao ASEAN lần thứ 47")
    page.fill(
        "#id_item-text",
        "Hội nghị cấp cao ASEAN lần thứ 47 khai mạc ngày 26/10/2026, thông qua Tầm nhìn 2045.",
    )
    page.click("button:has-text('Lưu tin')")
    page.wait_for_load_state()
    shot(page, "01-sources")

    # The bulletin of the next meeting: pick, edit, order.
    page.goto(f"{demo}/thoi-su/hop/{meeting.pk}/")
    for title in (
        "Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 12",
        "Tỉnh đạt 27/30 xã nông thôn mới",
        "Hội nghị cấp cao ASEAN lần thứ 47",
    ):
        page.locator(f"#chon-tin li:has-text('{title}') button:has-text('Đưa vào')").click()
        page.wait_for_load_state()
    entries = page.locator("#entries li.entry")
    assert entries.count() == 3
    first = entries.nth(0)
    assert "Dùng bản tóm tắt đề xuất" in first.inner_text()  # the extracted article got a summary
    second_title = entries.nth(1).locator("input[name$='-title']").input_value()
    entries.nth(1).locator("button:has-text('↑')").click()
    page.wait_for_load_state()
    assert (
        page.locator("#entries li.entry").nth(0).locator("input[name$='-title']").input_value()
        == second_title
    )
    box = page.locator("#entries li.entry").nth(0)
    box.locator("textarea").fill("Toàn tỉnh có 27/30 xã đạt chuẩn nông thôn mới, tăng 3 xã so với năm 2025.")
    box.locator("button:has-text('Lưu')").click()
    page.wait_for_load_state()
    assert "Đã lưu" in page.content()
    shot(page, "02-builder")

    # The newsreader (tasks run at once in tests): per-item clips and the joined audio with chapters.
    page.click("button:has-text('Tạo âm thanh')")
    page.wait_for_load_state()
    assert page.locator("#audio audio[data-player]").count() == 1
    assert page.locator("#audio ol.clips audio").count() == 3
    chapters = page.locator("#audio .chapters button")
    assert chapters.count() == 3 and chapters.nth(0).inner_text() == "Tỉnh đạt 27/30 xã nông thôn mới"
    page.locator("#audio audio[data-player]").evaluate("a => { a.preload = 'auto'; a.load(); }")
    page.wait_for_function(
        "() => document.querySelector('#audio audio[data-player]').readyState >= 1", timeout=20000
    )
    assert page.locator("#audio audio[data-player]").evaluate("a => a.duration") > 10
    chapters.nth(2).click()
    start = float(chapters.nth(2).get_attribute("data-start"))
    page.wait_for_function(
        f"() => document.querySelector('#audio audio[data-player]').currentTime >= {start - 0.5}", timeout=10000
    )
    device = page.locator("#audio [data-device-voice]")
    assert device.is_visible()  # enabled only where the device has a Vietnamese voice
    page.locator("#audio").screenshot(path=ARTIFACTS / "bulletin-03-audio.png")

    # While a re-render runs, each item's player appears as soon as its clip is ready, without
    # replacing the players already on the page; when all are done the page shows the joined audio.
    bulletin = Bulletin.objects.get(meeting=meeting)
    last = ordered_entries(bulletin)[-1]
    clip_path = last.audio_path
    Bulletin.objects.filter(pk=bulletin.pk).update(
        audio_status=AudioStatus.RENDERING, audio_done=2, audio_total=3
    )
    Entry.objects.filter(pk=last.pk).update(audio_status=AudioStatus.QUEUED, audio_path="")
    page.goto(f"{demo}/thoi-su/hop/{meeting.pk}/")
    assert page.locator(f"#clip-{last.pk} audio").count() == 0
    assert page.locator(f"#clip-{last.pk}").inner_text().endswith("Đang chờ")
    first_player = page.locator("#audio ol.clips audio").first.element_handle()
    Entry.objects.filter(pk=last.pk).update(audio_status=AudioStatus.READY, audio_path=clip_path)
    page.wait_for_selector(f"#clip-{last.pk} audio", timeout=10000)
    assert page.evaluate("el => el.isConnected", first_player)  # not re-rendered
    Bulletin.objects.filter(pk=bulletin.pk).update(audio_status=AudioStatus.READY, audio_done=3)
    page.wait_for_selector("#audio audio[data-player]", timeout=10000)

    # The PDF, read back and rendered for a look.
    pdf = page.request.get(f"{demo}/thoi-su/hop/{meeting.pk}/tai/pdf/")
    assert pdf.status == 200
    out = ARTIFACTS / "bulletin-04-pdf.pdf"
    out.write_bytes(pdf.body())
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True).stdout.decode()
    assert "BẢN TIN THỜI SỰ" in text and "27/30 xã đạt chuẩn" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(out), str(ARTIFACTS / "bulletin-04-pdf")],
        check=True,
    )

    # The meeting page shows it, for the current-affairs step.
    page.goto(f"{demo}/sinh-hoat/{meeting.pk}/")
    assert "Bản tin thời sự (3 mục, có âm thanh)" in page.locator("#thoi-su").inner_text()
    page.locator("#thoi-su").screenshot(path=ARTIFACTS / "bulletin-05-meeting.png")

    # Once the meeting runs, the live screen plays it at the current-affairs step.
    from chibo.accounts.models import User
    from chibo.meetings import services as meeting_services

    secretary = User.objects.get(username="bithu.thon1")
    meeting_services.publish(actor=secretary, meeting=meeting)
    meeting_services.start(actor=secretary, meeting=meeting)
    page.goto(f"{demo}/sinh-hoat/{meeting.pk}/dieu-hanh/")
    step = page.locator("li.step:has(#bulletin-step)")
    assert "Thông tin thời sự" in step.locator(".step-title").inner_text()
    assert step.locator("audio[data-player]").count() == 1
    # Through the CSSOM: the Content-Security-Policy forbids inline <style> (page.add_style_tag).
    page.evaluate("() => document.querySelectorAll('.live-summary')"
                  ".forEach(e => e.style.setProperty('position', 'static', 'important'))")
    step.screenshot(path=ARTIFACTS / "bulletin-07-live-step.png")
    # The bulletin plays on while the secretary works the live screen (htmx re-renders the board).
    player = step.locator("audio[data-player]").element_handle()
    player.evaluate("a => { a.muted = true; return a.play(); }")
    step.locator("button:has-text('Bắt đầu')").click()
    page.wait_for_selector("li.step.running:has(#bulletin-step)", timeout=15000)
    assert page.evaluate("a => a.isConnected && !a.paused", player)

    # A member reads it on a phone.
    member = browser.new_context(viewport=PHONE).new_page()
    login(member, demo, "dangvien.thon1")
    member.goto(f"{demo}/thoi-su/hop/{meeting.pk}/")
    assert member.locator("#entries").inner_text().count("Hội nghị") >= 2
    assert member.locator("button:has-text('Tạo âm thanh')").count() == 0
    member.screenshot(path=ARTIFACTS / "bulletin-06-member-phone.png", full_page=True)
    assert errors == []
