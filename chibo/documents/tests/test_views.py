"""Downloads on the meeting page and the API, the year ZIP export, the slide outline: persona trio each."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chibo.accounts.models import ApiToken
from chibo.audit.models import AuditEntry
from chibo.documents.models import BatchExport, ExportStatus
from chibo.documents.record import build
from chibo.documents.tests.helpers import docx_text, flat, full_meeting, pdf_text
from chibo.meetings.models import MeetingKind, ThematicTopic
from chibo.members import services as member_services
from conftest import add_member, client_for

pytestmark = pytest.mark.django_db


def url(m, kind: str = "bien-ban", fmt: str = "pdf") -> str:  # type: ignore[no-untyped-def]
    return f"/van-ban/sinh-hoat/{m.pk}/{kind}.{fmt}"


def api(client, user, path: str):  # type: ignore[no-untyped-def]
    token = ApiToken.issue(user)[1]
    return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")


# --- the meeting page ---------------------------------------------------------------------------
def test_the_cell_its_members_and_the_supervising_officer_download_the_minutes(client, world):
    m = full_meeting(world).meeting
    for user in (world.secretary, world.member_same, world.officer, world.admin):
        response = client_for(client, user).get(url(m))
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert f'filename="bien-ban-{m.scheduled_at:%Y-%m-%d}-{m.pk}.pdf"' in response["Content-Disposition"]
        assert "BIÊN BẢN" in pdf_text(response.content)


def test_outsiders_get_404_for_every_document(client, world):
    m = full_meeting(world).meeting
    for user in (world.member_other, world.officer_other):
        c = client_for(client, user)
        for kind, fmt in (("bien-ban", "pdf"), ("nghi-quyet", "docx"), ("danh-sach", "pdf"), ("slides", "pptx")):
            assert c.get(url(m, kind, fmt)).status_code == 404, (user, kind)
    client.logout()
    assert client.get(url(m)).status_code == 302  # to the login page


def test_a_document_that_cannot_exist_yet_says_why_and_unknown_ones_are_404(client, world):
    m = full_meeting(world).meeting
    c = client_for(client, world.secretary)
    response = c.get(url(m, "slides", "pptx"))
    assert response.status_code == 409 and "Buổi sinh hoạt không có chuyên đề." in response.content.decode()
    assert c.get(url(m, "bien-ban", "pptx")).status_code == 404
    assert c.get(url(m, "khong-co", "pdf")).status_code == 404


def test_the_meeting_page_lists_the_documents_with_the_number_once_approved(client, world):
    m = full_meeting(world).meeting
    page = client_for(client, world.member_same).get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert 'id="van-ban"' in page and "số <b>01-NQ/CB</b>" in page
    assert url(m, "bien-ban", "docx") in page and url(m, "phieu-cham-diem", "pdf") in page
    assert "Buổi sinh hoạt không có chuyên đề." in page  # the slides line says why there are none
    assert "DỰ THẢO" not in page


def test_before_approval_the_page_and_the_files_say_draft(client, world):
    m = full_meeting(world, approve=False).meeting
    c = client_for(client, world.secretary)
    page = c.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert "DỰ THẢO" in page
    response = c.get(url(m, "bien-ban", "docx"))
    assert response.status_code == 200 and "-du-thao.docx" in response["Content-Disposition"]
    assert "DỰ THẢO" in docx_text(response.content)


def test_members_see_no_papers_before_the_meeting_is_published(client, world):
    from chibo.documents.tests.helpers import at
    from chibo.meetings import services

    m = services.create_meeting(actor=world.secretary, cell=world.cell1, kind=MeetingKind.REGULAR,
                                scheduled_at=at(dt.date.today() + dt.timedelta(days=5), 19, 30))
    assert client_for(client, world.secretary).get(url(m, "thong-bao", "pdf")).status_code == 200
    member = client_for(client, world.member_same)
    assert member.get(url(m, "thong-bao", "pdf")).status_code == 404
    assert 'id="van-ban"' not in member.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert api(client, world.member_same, f"/meetings/{m.pk}/documents/thong-bao.pdf").status_code == 404
    assert api(client, world.member_same, f"/meetings/{m.pk}/official-documents").json() == []
    services.publish(actor=world.secretary, meeting=m)
    assert member.get(url(m, "thong-bao", "pdf")).status_code == 200
    assert "DỰ THẢO" not in pdf_text(member.get(url(m, "thong-bao", "pdf")).content)


def test_an_approved_record_reads_the_same_after_later_changes(client, world):
    """Locked: the minutes come from the approval snapshot; a later rename does not rewrite them."""
    m = full_meeting(world).meeting
    before = client_for(client, world.secretary).get(url(m, "bien-ban", "docx")).content
    version = m.version
    member_services.update_member(actor=None, member=world.m_same, full_name="Trần Thị Lan Anh")
    after = client.get(url(m, "bien-ban", "docx")).content
    assert "Lan Anh" not in docx_text(after)
    assert docx_text(after) == docx_text(before)
    m.refresh_from_db()
    assert m.version == version  # downloading never writes to the meeting


def test_building_the_record_costs_the_same_queries_for_a_bigger_cell(world):
    small = full_meeting(world, day=dt.date.today() - dt.timedelta(days=40)).meeting
    for given in ("An", "Bảo", "Cường", "Dũng", "Giang", "Hải", "Khánh", "Long", "Minh", "Nghĩa", "Phúc", "Quân"):
        add_member(world.cell1, f"Nguyễn Văn {given}")
    big = full_meeting(world, day=dt.date.today() - dt.timedelta(days=10)).meeting
    counts = []
    for m in (small, big):
        build(m)  # warm caches (rulebook)
        with CaptureQueriesContext(connection) as ctx:
            build(m)
        counts.append(len(ctx.captured_queries))
    assert big.attendance.count() == small.attendance.count() + 12
    assert counts[0] == counts[1], counts


# --- the API ------------------------------------------------------------------------------------
def test_the_api_serves_each_format_scoped_like_the_meeting(client, world):
    m = full_meeting(world, kind=MeetingKind.THEMATIC, topic_outline="1. Mở đầu\n- Ý một\n2. Kết thúc").meeting
    response = api(client, world.secretary, f"/meetings/{m.pk}/documents/bien-ban.docx")
    assert response.status_code == 200 and "wordprocessingml" in response["Content-Type"]
    assert "Sinh hoạt chi bộ chuyên đề" in flat(docx_text(response.content))
    response = api(client, world.member_same, f"/meetings/{m.pk}/documents/nghi-quyet.pdf")
    assert response.status_code == 200 and "Số 01-KL/CB" in flat(pdf_text(response.content))
    response = api(client, world.officer, f"/meetings/{m.pk}/documents/slides.pptx")
    assert response.status_code == 200 and "presentationml" in response["Content-Type"]
    for outsider in (world.member_other, world.officer_other):
        assert api(client, outsider, f"/meetings/{m.pk}/documents/bien-ban.pdf").status_code == 404
        assert api(client, outsider, f"/meetings/{m.pk}/official-documents").status_code == 404
    assert api(client, world.secretary, f"/meetings/{m.pk}/documents/bien-ban.xlsx").status_code == 404
    listing = api(client, world.member_same, f"/meetings/{m.pk}/official-documents").json()
    assert {d["kind"] for d in listing} >= {"bien-ban", "nghi-quyet", "slides", "bai-viet"}
    resolution = next(d for d in listing if d["kind"] == "nghi-quyet")
    assert resolution["label"] == "Kết luận" and resolution["available"] is True
    assert resolution["urls"]["pdf"] == f"/api/v1/meetings/{m.pk}/documents/nghi-quyet.pdf"


def test_the_api_says_409_with_the_reason_when_a_document_cannot_exist(client, world):
    m = full_meeting(world).meeting
    response = api(client, world.secretary, f"/meetings/{m.pk}/documents/slides.pptx")
    assert response.status_code == 409 and response.json() == {"detail": "Buổi sinh hoạt không có chuyên đề."}


# --- the year export ----------------------------------------------------------------------------
def test_a_year_of_minutes_becomes_one_zip_with_progress(client, world, django_capture_on_commit_callbacks):
    days = [dt.date.today() - dt.timedelta(days=n) for n in (50, 30, 10)]
    days = [d for d in days if d.year == dt.date.today().year] or [dt.date.today() - dt.timedelta(days=1)]
    for day in days:
        full_meeting(world, day=day)
    c = client_for(client, world.secretary)
    form = c.get("/van-ban/tai-ca-nam/").content.decode()
    assert "Chi bộ thôn 1" in form and "Chi bộ thôn 2" not in form  # only organisations in scope
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post("/van-ban/tai-ca-nam/", {"organisation": world.cell1.pk, "year": dt.date.today().year})
    export = BatchExport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/van-ban/tai-ca-nam/{export.pk}/"
    assert (export.status, export.done, export.total, export.percent) == (ExportStatus.DONE, len(days), len(days), 100)
    progress = c.get(f"/van-ban/tai-ca-nam/{export.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Đã xong" in progress and f"{len(days)}/{len(days)}" in progress and "hx-trigger" not in progress
    archive = zipfile.ZipFile(io.BytesIO(b"".join(c.get(f"/van-ban/tai-ca-nam/{export.pk}/tai-ve/").streaming_content)))
    names = sorted(archive.namelist())
    assert names == sorted(f"chi-bo-thon-1/{d:%Y-%m-%d}-bien-ban.pdf" for d in days)
    assert "BIÊN BẢN" in pdf_text(archive.read(names[0]))
    assert AuditEntry.objects.filter(object_type="documents.batchexport", object_id=str(export.pk)).exists()
    for outsider in (world.member_other, world.officer_other):
        oc = client_for(client, outsider)
        assert oc.get(f"/van-ban/tai-ca-nam/{export.pk}/").status_code == 404
        assert oc.get(f"/van-ban/tai-ca-nam/{export.pk}/tai-ve/").status_code == 404


def test_a_running_export_polls_and_the_officer_exports_the_whole_commune(client, world, django_capture_on_commit_callbacks):
    full_meeting(world, day=dt.date.today() - dt.timedelta(days=1))
    queued = BatchExport.objects.create(organisation=world.cell1, year=dt.date.today().year, total=4, done=1)
    page = client_for(client, world.officer).get(f"/van-ban/tai-ca-nam/{queued.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page and "1/4" in page and "25%" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/van-ban/tai-ca-nam/", {"organisation": world.an_binh.pk, "year": dt.date.today().year})
    export = BatchExport.objects.exclude(pk=queued.pk).get()
    assert export.organisation == world.an_binh and export.status == ExportStatus.DONE and export.done == 1


def test_bad_export_requests_change_nothing_and_say_why(client, world):
    c = client_for(client, world.secretary)
    year = dt.date.today().year
    page = c.post("/van-ban/tai-ca-nam/", {"organisation": world.cell1.pk, "year": year}).content.decode()
    assert f"Chi bộ thôn 1 không có biên bản đã duyệt nào trong năm {year}." in page
    page = c.post("/van-ban/tai-ca-nam/", {"organisation": world.cell1.pk, "year": 1990}).content.decode()
    assert f"Năm phải từ 2000 đến {year}." in page
    page = c.post("/van-ban/tai-ca-nam/", {"organisation": world.cell2.pk, "year": year}).content.decode()
    assert "Tổ chức không có trong phạm vi của bạn." in page
    assert BatchExport.objects.count() == 0


def test_the_export_page_costs_the_same_queries_with_more_exports(client, world, django_assert_num_queries):
    c = client_for(client, world.secretary)
    BatchExport.objects.create(organisation=world.cell1, year=2025, requested_by=world.secretary)
    c.get("/van-ban/tai-ca-nam/")
    with CaptureQueriesContext(connection) as one:
        c.get("/van-ban/tai-ca-nam/")
    for _ in range(6):
        BatchExport.objects.create(organisation=world.cell1, year=2025, requested_by=world.secretary)
    with django_assert_num_queries(len(one.captured_queries)):
        assert c.get("/van-ban/tai-ca-nam/").status_code == 200


# --- the slide outline --------------------------------------------------------------------------
def _topic(world) -> ThematicTopic:  # type: ignore[no-untyped-def]
    return full_meeting(world, kind=MeetingKind.THEMATIC, approve=False).meeting.topic


def test_the_secretary_writes_the_outline_and_the_slides_follow(client, world):
    topic = _topic(world)
    c = client_for(client, world.secretary)
    assert c.get(f"/van-ban/chuyen-de/{topic.pk}/de-cuong/").status_code == 200
    response = c.post(f"/van-ban/chuyen-de/{topic.pk}/de-cuong/", {
        "outline": "1. Nội dung\n- Gần dân\n2. Việc làm", "key_points": "Trọng dân", "conclusion": "Làm ngay.",
    })
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.outline, topic.key_points, topic.conclusion) == ("1. Nội dung\n- Gần dân\n2. Việc làm", "Trọng dân", "Làm ngay.")
    assert AuditEntry.objects.filter(object_type="meetings.thematictopic", object_id=str(topic.pk)).exists()
    meeting = topic.meetings.get()
    assert c.get(url(meeting, "slides", "pptx")).status_code == 200


def test_the_outline_is_refused_to_readers_outsiders_and_empty_input(client, world):
    topic = _topic(world)
    data = {"outline": "1. Phần một"}
    assert client_for(client, world.member_same).post(f"/van-ban/chuyen-de/{topic.pk}/de-cuong/", data).status_code == 403
    assert client_for(client, world.officer).post(f"/van-ban/chuyen-de/{topic.pk}/de-cuong/", data).status_code == 403
    assert client_for(client, world.member_other).get(f"/van-ban/chuyen-de/{topic.pk}/de-cuong/").status_code == 404
    page = client_for(client, world.secretary).post(f"/van-ban/chuyen-de/{topic.pk}/de-cuong/", {"outline": "  "})
    assert "Hãy nhập ít nhất một phần của đề cương." in page.content.decode()
    topic.refresh_from_db()
    assert topic.outline == ""
