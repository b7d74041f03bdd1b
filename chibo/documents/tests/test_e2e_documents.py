"""End to end in headless Chromium: the demo secretary downloads the papers of an approved meeting
and a year of minutes as a ZIP (progress page). Screenshots: test-artifacts/e2e/documents-*.png."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.utils import timezone

from chibo.core.tests.e2e import ARTIFACTS, LAPTOP, login
from chibo.documents.tests.helpers import flat, pdf_text
from chibo.meetings.models import Meeting, MeetingStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_secretary_downloads_the_papers_and_a_year_zip(browser, demo):
    meeting = (Meeting.objects.filter(organisation__code="DEMO-AB-T1", status=MeetingStatus.APPROVED)
               .order_by("-scheduled_at").first())
    page = browser.new_context(viewport=LAPTOP, accept_downloads=True).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, demo, "bithu.thon1")
    page.goto(f"{demo}/sinh-hoat/{meeting.pk}/")
    section = page.locator("#van-ban")
    section.scroll_into_view_if_needed()
    section.screenshot(path=ARTIFACTS / "documents-meeting-section.png")
    assert "Biên bản sinh hoạt chi bộ" in section.inner_text()
    with page.expect_download() as info:
        section.locator("a[data-doc=bien-ban]", has_text="PDF").click()
    text = flat(pdf_text(open(info.value.path(), "rb").read()))
    assert "BIÊN BẢN" in text and meeting.organisation.name.upper() in text
    with page.expect_download() as info:
        section.locator("a[data-doc=nghi-quyet]", has_text="Word").click()
    assert info.value.suggested_filename.endswith(".docx")

    section.locator("text=Tải biên bản cả năm (ZIP)").click()
    page.wait_for_load_state()
    year = timezone.localtime(meeting.scheduled_at).year
    page.fill("#id_year", str(year))
    page.click("button:has-text('Tạo tệp ZIP')")
    page.wait_for_selector("text=Tải tệp ZIP", timeout=120000)
    page.screenshot(path=ARTIFACTS / "documents-export-done.png", full_page=True)
    assert "Đã xong" in page.locator("#export-progress").inner_text()
    with page.expect_download() as info:
        page.click("text=Tải tệp ZIP")
    archive = zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read()))
    expected = Meeting.objects.filter(organisation__code="DEMO-AB-T1", status=MeetingStatus.APPROVED,
                                      scheduled_at__year=year).count()
    assert len(archive.namelist()) == expected > 0
    assert errors == []
