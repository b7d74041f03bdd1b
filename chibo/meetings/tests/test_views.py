"""The meeting pages and every action on them, with the five personas.

For every view: the allowed persona succeeds, an outsider gets 404, a read-only persona 403,
and after approval every write is refused (403) with nothing changed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.accounts.models import RoleAssignment
from chibo.accounts.permissions import Role
from chibo.audit.models import AuditEntry
from chibo.meetings import services
from chibo.meetings.documents import add_document
from chibo.meetings.models import (
    AnnualPlan,
    AttendanceStatus,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    Notification,
    ScoreColumn,
    Task,
    ThematicTopic,
)
from chibo.meetings.views import feed_token
from chibo.organisations import services as org_services
from chibo.organisations.models import OrgKind
from conftest import LOCK_QUERIES, MARK_QUERIES, add_member, make_user

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
WRITE = {"secretary": 302, "member_same": 403, "officer": 403, "member_other": 404, "officer_other": 404}
READ = {"secretary": 200, "member_same": 200, "officer": 200, "member_other": 404, "officer_other": 404}
UPPER = {"officer": 302, "secretary": 403, "member_same": 403, "member_other": 404, "officer_other": 404}
LOCKED = "Biên bản đã được duyệt nên không thể sửa"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def pdf(name: str = "du-thao.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%test\n", content_type="application/pdf")


def planned(w, *, day=None) -> Meeting:  # type: ignore[no-untyped-def]
    day = day or timezone.localdate() + dt.timedelta(days=5)
    return services.create_meeting(
        actor=w.secretary,
        cell=w.cell1,
        kind=MeetingKind.REGULAR,
        scheduled_at=at(day, 19, 30),
        place="Nhà văn hóa thôn 1",
    )


def published(w, **kw) -> Meeting:  # type: ignore[no-untyped-def]
    m = planned(w, **kw)
    services.update_meeting(
        actor=w.secretary,
        meeting=m,
        preparer=w.sec_member,
        chair=w.sec_member,
        secretary=w.m_same,
        pre_meeting_at=m.scheduled_at - dt.timedelta(days=4),
    )
    add_document(
        actor=w.secretary, meeting=m, kind="draft_resolution", title="Dự thảo nghị quyết", upload=pdf()
    )
    services.publish(actor=w.secretary, meeting=m, now=m.scheduled_at - dt.timedelta(days=2))
    return m


def running(w, **kw) -> Meeting:  # type: ignore[no-untyped-def]
    """In progress, everyone present, the first step started, one speech."""
    m = published(w, **kw)
    services.start(actor=w.secretary, meeting=m, now=m.scheduled_at)
    for a in m.attendance.select_related("member"):
        if not a.status:
            services.set_attendance(
                actor=w.secretary, meeting=m, member=a.member, status=AttendanceStatus.PRESENT
            )
    first = m.items.order_by("order").first()
    services.start_item(actor=w.secretary, item=first, now=m.scheduled_at)
    services.add_speech(
        actor=w.secretary, meeting=m, member=w.sec_member, item=first, summary="Báo cáo tình hình."
    )
    return Meeting.objects.get(pk=m.pk)


def approved(w) -> Meeting:  # type: ignore[no-untyped-def]
    day = timezone.localdate() - dt.timedelta(days=3)
    m = running(w, day=day)
    services.add_speech(actor=w.secretary, meeting=m, member=w.m_same, summary="Đề nghị làm đường.")
    items = list(m.items.order_by("order"))
    services.set_conclusion(actor=w.secretary, item=items[-2], text="Thống nhất làm đường.")
    services.assign_task(
        actor=w.secretary,
        meeting=m,
        title="Vận động làm đường",
        assignee=w.m_same,
        due_date=day + dt.timedelta(days=30),
    )
    vote = services.open_vote(actor=w.secretary, meeting=m, subject="Nghị quyết tháng")
    services.close_vote(actor=w.secretary, vote=vote, in_favour=3, against=0, other=0)
    services.start_item(actor=w.secretary, item=items[-1], now=m.scheduled_at + dt.timedelta(minutes=99))
    services.end_item(actor=w.secretary, item=items[-1], now=m.scheduled_at + dt.timedelta(minutes=100))
    services.save_score(
        actor=w.secretary, meeting=m, column=ScoreColumn.CELL, entries={"order_content": 10, "criticism": 8}
    )
    services.read_back(actor=w.secretary, meeting=m, now=m.scheduled_at + dt.timedelta(minutes=100))
    return services.approve(actor=w.secretary, meeting=m)


def state(m: Meeting) -> tuple:
    m = Meeting.objects.get(pk=m.pk)
    return (
        m.version,
        m.status,
        AuditEntry.objects.count(),
        m.speeches.count(),
        m.guests.count(),
        m.items.count(),
        m.votes.count(),
        m.scores.count(),
        m.documents.count(),
        m.amendments.count(),
        Task.objects.count(),
        sorted(m.attendance.values_list("member_id", "status", "dues_collected")),
        sorted(m.items.values_list("id", "order", "conclusion", "started_at", "ended_at")),
    )


# --- prerequisites of individual live actions ---------------------------------------------
def open_count_vote(w, m):  # type: ignore[no-untyped-def]
    services.open_vote(actor=w.secretary, meeting=m, subject="Nghị quyết")


def open_by_name_vote(w, m):  # type: ignore[no-untyped-def]
    services.open_vote(actor=w.secretary, meeting=m, subject="Nghị quyết", method="by_name")


def earlier_task(w, m):  # type: ignore[no-untyped-def]
    before = services.create_meeting(
        actor=w.secretary,
        cell=w.cell1,
        kind=MeetingKind.REGULAR,
        scheduled_at=m.scheduled_at - dt.timedelta(days=30),
    )
    services.start(actor=w.secretary, meeting=before)
    services.assign_task(actor=w.secretary, meeting=before, title="Sửa nhà văn hóa", assignee=w.m_same)


def score_and_read_back(w, m):  # type: ignore[no-untyped-def]
    services.save_score(actor=w.secretary, meeting=m, column=ScoreColumn.CELL, entries={"order_content": 9})
    services.read_back(actor=w.secretary, meeting=m)


def live(m: Meeting, path: str) -> str:
    return f"/sinh-hoat/{m.pk}/dieu-hanh/{path}"


def item(m: Meeting, n: int = 0):  # type: ignore[no-untyped-def]
    return m.items.order_by("order")[n]


LIVE_ACTIONS = {
    "people": (
        None,
        lambda w, m: (live(m, "chu-tri/"), {"chair": w.sec_member.pk, "secretary": w.m_same.pk}),
    ),
    "attendance": (None, lambda w, m: (live(m, f"diem-danh/{w.m_same.pk}/"), {"status": "absent_unexcused"})),
    "dues": (None, lambda w, m: (live(m, f"dang-phi/{w.m_same.pk}/"), {"collected": "1", "amount": "20000"})),
    "guest": (
        None,
        lambda w, m: (live(m, "dai-bieu/"), {"name": "Phạm Văn Đông", "position": "Phó Bí thư Đảng ủy xã"}),
    ),
    "item_add": (None, lambda w, m: (live(m, "buoc/them/"), {"title": "Việc phát sinh"})),
    "item_start": (None, lambda w, m: (live(m, f"buoc/{item(m, 1).pk}/bat-dau/"), {})),
    "item_end": (None, lambda w, m: (live(m, f"buoc/{item(m, 0).pk}/ket-thuc/"), {})),
    "item_up": (None, lambda w, m: (live(m, f"buoc/{item(m, 1).pk}/len/"), {})),
    "item_down": (None, lambda w, m: (live(m, f"buoc/{item(m, 0).pk}/xuong/"), {})),
    "conclusion": (
        None,
        lambda w, m: (live(m, f"buoc/{item(m, 0).pk}/ket-luan/"), {"text": "Chi bộ thống nhất."}),
    ),
    "speech": (
        None,
        lambda w, m: (live(m, "phat-bieu/"), {"who": f"m{w.m_same.pk}", "summary": "Nhất trí."}),
    ),
    "speech_delete": (None, lambda w, m: (live(m, f"phat-bieu/{m.speeches.first().pk}/xoa/"), {})),
    "task": (
        None,
        lambda w, m: (
            live(m, "nhiem-vu/"),
            {"title": "Làm đường", "assignee": f"m{w.m_same.pk}", "due_date": "30/12/2030"},
        ),
    ),
    "task_report": (
        earlier_task,
        lambda w, m: (
            live(m, f"nhiem-vu/{Task.objects.order_by('pk').first().pk}/bao-cao/"),
            {"text": "Đã sửa xong.", "done": "1"},
        ),
    ),
    "vote_open": (
        None,
        lambda w, m: (live(m, "bieu-quyet/"), {"subject": "Nghị quyết tháng", "method": "count"}),
    ),
    "vote_close": (
        open_count_vote,
        lambda w, m: (
            live(m, f"bieu-quyet/{m.votes.latest('opened_at').pk}/ket-thuc/"),
            {"in_favour": "3", "against": "0", "other": "0"},
        ),
    ),
    "ballot": (
        open_by_name_vote,
        lambda w, m: (
            live(m, f"bieu-quyet/{m.votes.latest('opened_at').pk}/phieu/"),
            {"member": w.sec_member.pk, "choice": "for"},
        ),
    ),
    "score_cell": (None, lambda w, m: (live(m, "cham-diem/"), {"c_order_content": "9", "c_criticism": "8"})),
    "read_back": (None, lambda w, m: (live(m, "doc-lai-bien-ban/"), {})),
    "approve": (score_and_read_back, lambda w, m: (live(m, "duyet/"), {})),
}
PREPARE_ACTIONS = {
    "update": lambda w, m: (
        f"/sinh-hoat/{m.pk}/chuan-bi/",
        {
            "title": "Tổng kết quý",
            "kind": "regular",
            "date": "28/12/2030",
            "time": "19:00",
            "place": "Hội trường",
            "preparer": w.sec_member.pk,
            "chair": w.sec_member.pk,
            "secretary": w.m_same.pk,
            "expected_version": m.version,
        },
    ),
    "reschedule": lambda w, m: (
        f"/sinh-hoat/{m.pk}/doi-lich/",
        {"date": "27/12/2030", "time": "20:00", "expected_version": m.version},
    ),
    "document_upload": lambda w, m: (
        f"/sinh-hoat/{m.pk}/tai-lieu/",
        {"kind": "other", "title": "Báo cáo", "file": pdf("bao-cao.pdf")},
    ),
    "document_remove": lambda w, m: (f"/sinh-hoat/{m.pk}/tai-lieu/{m.documents.first().pk}/xoa/", {}),
    "publish": lambda w, m: (f"/sinh-hoat/{m.pk}/cong-bo/", {}),
    "start": lambda w, m: (f"/sinh-hoat/{m.pk}/bat-dau/", {}),
}


# --- reads ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("persona", "status"), READ.items())
def test_reading_pages(client, world, persona, status):
    m = running(world)
    client.force_login(getattr(world, persona))
    year = timezone.localtime(m.scheduled_at).year
    for url in (
        f"/sinh-hoat/?to_chuc={world.cell1.pk}",
        f"/sinh-hoat/ke-hoach/{world.cell1.pk}/{year}/",
        f"/sinh-hoat/{m.pk}/",
        live(m, ""),
        f"/sinh-hoat/{m.pk}/tai-lieu/{m.documents.first().pk}/",
    ):
        assert client.get(url).status_code == status, url


def test_the_list_shows_only_visible_meetings_upcoming_first(client, world):
    mine = planned(world)
    past = approved(world)
    other = services.create_meeting(
        actor=None, cell=world.cell3, kind=MeetingKind.REGULAR, scheduled_at=at(timezone.localdate(), 8)
    )
    client.force_login(world.secretary)
    page = client.get("/sinh-hoat/").content.decode()
    assert f"/sinh-hoat/{mine.pk}/" in page and f"/sinh-hoat/{past.pk}/" in page
    assert f"/sinh-hoat/{other.pk}/" not in page
    assert (
        page.index("Sắp tới")
        < page.index(f"/sinh-hoat/{mine.pk}/")
        < page.index("Các buổi trước")
        < page.index(f"/sinh-hoat/{past.pk}/")
    )
    assert "Khá" in page or "Tốt" in page  # the grade of the approved meeting
    assert "Lập kế hoạch năm" in page and "Thêm buổi sinh hoạt" in page
    client.force_login(world.member_same)
    page = client.get(f"/sinh-hoat/?nam={timezone.localdate().year}").content.decode()
    assert "Lập kế hoạch năm" not in page and "Thêm buổi sinh hoạt" not in page
    client.force_login(world.officer_other)
    assert f"/sinh-hoat/{mine.pk}/" not in client.get("/sinh-hoat/").content.decode()


def test_anonymous_users_are_sent_to_login(client, world):
    m = planned(world)
    for url in ("/sinh-hoat/", f"/sinh-hoat/{m.pk}/", "/sinh-hoat/thong-bao/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/tai-khoan/dang-nhap/")


@pytest.mark.parametrize(("persona", "status"), {**WRITE, "secretary": 200}.items())
def test_create_page_access(client, world, persona, status):
    client.force_login(getattr(world, persona))
    assert client.get(f"/sinh-hoat/them/?to_chuc={world.cell1.pk}").status_code == status


def test_secretary_adds_an_extraordinary_meeting(client, world):
    client.force_login(world.secretary)
    response = client.post(
        "/sinh-hoat/them/",
        {
            "organisation": world.cell1.pk,
            "kind": "extraordinary",
            "date": "05/01/2031",
            "time": "7h30",
            "place": "",
            "title": "Phòng chống bão",
        },
    )
    m = Meeting.objects.get(title="Phòng chống bão")
    assert response.status_code == 302 and response["Location"] == f"/sinh-hoat/{m.pk}/"
    assert (
        m.kind == MeetingKind.EXTRAORDINARY
        and timezone.localtime(m.scheduled_at).strftime("%H:%M %d/%m/%Y") == "07:30 05/01/2031"
    )
    response = client.post(
        "/sinh-hoat/them/",
        {"organisation": world.cell1.pk, "kind": "regular", "date": "31/02/2031", "time": "25:00"},
    )
    assert response.status_code == 200
    assert "dd/mm/yyyy" in response.content.decode() and "HH:MM" in response.content.decode()
    # A cell the secretary does not manage is not offered (and refused if forced).
    response = client.post(
        "/sinh-hoat/them/",
        {"organisation": world.cell2.pk, "kind": "regular", "date": "05/01/2031", "time": "19:30"},
    )
    assert response.status_code == 200 and not Meeting.objects.filter(organisation=world.cell2).exists()


# --- plan -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("persona", "status"), WRITE.items())
def test_plan_writes(client, world, persona, status):
    year = timezone.localdate().year + 2
    plan = services.create_plan(actor=world.secretary, cell=world.cell1, year=year - 1)
    client.force_login(getattr(world, persona))
    before = (AnnualPlan.objects.count(), ThematicTopic.objects.count(), Meeting.objects.count())
    r1 = client.post(
        f"/sinh-hoat/ke-hoach/{world.cell1.pk}/{year}/lap/",
        {"day_of_month": "10", "time": "19:30", "place": ""},
    )
    r2 = client.post(
        f"/sinh-hoat/ke-hoach/{world.cell1.pk}/{plan.year}/chuyen-de/",
        {
            "quarter": "2",
            "title": "Học tập tư tưởng Hồ Chí Minh",
            "presenter": world.m_same.pk,
            "draft_due": f"01/05/{plan.year}",
            "meeting_date": f"20/05/{plan.year}",
            "meeting_time": "19:30",
            "combined": "on",
        },
    )
    assert (r1.status_code, r2.status_code) == (status, status)
    if status == 302:
        assert AnnualPlan.objects.filter(organisation=world.cell1, year=year).exists()
        topic = ThematicTopic.objects.get(title="Học tập tư tưởng Hồ Chí Minh")
        assert topic.meetings.get().kind == MeetingKind.COMBINED
    else:
        assert (AnnualPlan.objects.count(), ThematicTopic.objects.count(), Meeting.objects.count()) == before


def test_plan_page_shows_months_topics_and_warnings(client, world):
    year = timezone.localdate().year + 1
    client.force_login(world.secretary)
    page = client.get(f"/sinh-hoat/ke-hoach/{world.cell1.pk}/{year}/").content.decode()
    assert "Lập kế hoạch năm" in page
    client.post(f"/sinh-hoat/ke-hoach/{world.cell1.pk}/{year}/lap/", {"day_of_month": "12", "time": "19:30"})
    page = client.get(f"/sinh-hoat/ke-hoach/{world.cell1.pk}/{year}/").content.decode()
    assert "Kế hoạch chưa đủ theo quy định" in page
    assert f"Quý 1/{year} chưa có buổi sinh hoạt chuyên đề" in page
    assert f"12/03/{year}" in page and "Đổi ngày giờ" in page
    response = client.post(
        f"/sinh-hoat/ke-hoach/{world.cell1.pk}/{year}/chuyen-de/",
        {
            "quarter": "1",
            "title": "Chuyên đề quý 1",
            "presenter_group": world.group1.pk,
            "meeting_date": f"20/07/{year}",
            "meeting_time": "19:30",
        },
    )
    assert (
        response.status_code == 200
        and f"Ngày sinh hoạt phải trong quý 1/{year}." in response.content.decode()
    )
    assert not ThematicTopic.objects.exists()
    client.force_login(world.member_same)
    page = client.get(f"/sinh-hoat/ke-hoach/{world.cell1.pk}/{year}/").content.decode()
    assert "Đổi ngày giờ" not in page and "Thêm chuyên đề" not in page
    assert client.get(f"/sinh-hoat/ke-hoach/{world.group1.pk}/{year}/").status_code == 404  # not a cell


def test_rescheduling_with_a_stale_version_shows_the_conflict(client, world):
    m = planned(world)
    seen = m.version
    services.update_meeting(actor=world.secretary, meeting=m, title="Đổi bởi người khác")
    client.force_login(world.secretary)
    response = client.post(
        f"/sinh-hoat/{m.pk}/doi-lich/", {"date": "27/12/2030", "time": "20:00", "expected_version": seen}
    )
    assert response.status_code == 200
    assert "vừa được người khác cập nhật" in response.content.decode()
    assert timezone.localtime(Meeting.objects.get(pk=m.pk).scheduled_at).year != 2030


# --- prepare ----------------------------------------------------------------------------------
@pytest.mark.parametrize("action", list(PREPARE_ACTIONS))
@pytest.mark.parametrize(("persona", "status"), WRITE.items())
def test_prepare_writes(client, world, action, persona, status):
    m = planned(world)
    add_document(actor=world.secretary, meeting=m, kind="draft_resolution", title="Dự thảo", upload=pdf())
    m.refresh_from_db()
    url, data = PREPARE_ACTIONS[action](world, m)
    before = state(m)
    client.force_login(getattr(world, persona))
    response = client.post(url, data)
    assert response.status_code == status, response.content[:500]
    if status == 302:
        assert state(m) != before
    else:
        assert state(m) == before


def test_details_form_saves_and_validates(client, world):
    m = planned(world)
    client.force_login(world.secretary)
    page = client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert "Công bố và thông báo" in page and "Bắt đầu họp" in page and 'name="expected_version"' in page
    url, data = PREPARE_ACTIONS["update"](world, m)
    data.update(
        pre_meeting_date="20/12/2030", pre_meeting_time="08:00", pre_meeting_notes="Thống nhất nội dung."
    )
    assert client.post(url, data).status_code == 302
    m.refresh_from_db()
    assert (m.title, m.chair, m.secretary, m.preparer) == (
        "Tổng kết quý",
        world.sec_member,
        world.m_same,
        world.sec_member,
    )
    assert timezone.localtime(m.pre_meeting_at).strftime("%d/%m/%Y %H:%M") == "20/12/2030 08:00"
    data["chair"] = world.m_other.pk  # another cell's member is not offered
    response = client.post(url, {**data, "expected_version": m.version})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert Meeting.objects.get(pk=m.pk).chair == world.sec_member
    response = client.post(url, {**data, "chair": world.sec_member.pk, "expected_version": m.version - 1})
    assert "vừa được người khác cập nhật" in response.content.decode()


def test_a_non_pdf_renamed_pdf_is_refused(client, world):
    m = planned(world)
    client.force_login(world.secretary)
    fake = SimpleUploadedFile(
        "nghi-quyet.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf"
    )
    response = client.post(
        f"/sinh-hoat/{m.pk}/tai-lieu/", {"kind": "draft_resolution", "title": "", "file": fake}
    )
    assert response.status_code == 200
    assert "Nội dung tệp không phải là PDF hợp lệ." in response.content.decode()
    assert not MeetingDocument.objects.exists()
    response = client.post(
        f"/sinh-hoat/{m.pk}/tai-lieu/", {"kind": "other", "file": SimpleUploadedFile("x.exe", b"MZ")}
    )
    assert "Chỉ nhận tệp PDF, DOCX, XLSX, PPTX, PNG hoặc JPG." in response.content.decode()
    response = client.post(f"/sinh-hoat/{m.pk}/tai-lieu/", {"kind": "other"})
    assert "Hãy chọn tệp để tải lên." in response.content.decode()


def test_document_download_is_an_access_checked_attachment(client, world):
    m = planned(world)
    doc = add_document(
        actor=world.secretary, meeting=m, kind="draft_resolution", title="Dự thảo nghị quyết", upload=pdf()
    )
    url = f"/sinh-hoat/{m.pk}/tai-lieu/{doc.pk}/"
    client.force_login(world.secretary)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "filename*=utf-8''D%E1%BB%B1" in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert "/media/" not in client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    client.force_login(world.member_same)
    assert client.get(url).status_code == 404  # not published yet: members do not see drafts
    services.publish(actor=world.secretary, meeting=m)
    assert client.get(url).status_code == 200
    for outsider in (world.member_other, world.officer_other):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    other = planned(world)
    client.force_login(world.secretary)
    assert (
        client.get(f"/sinh-hoat/{other.pk}/tai-lieu/{doc.pk}/").status_code == 404
    )  # not this meeting's document
    client.logout()
    assert client.get(url).status_code == 302


def test_publishing_reports_the_documents_rule(client, world):
    m = planned(world, day=timezone.localdate())  # today: too late for "1 day before"
    add_document(actor=world.secretary, meeting=m, kind="draft_resolution", title="Dự thảo", upload=pdf())
    client.force_login(world.secretary)
    page = client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert "phải công bố trước buổi sinh hoạt ít nhất 1 ngày" in page and "HD 42-HD/BTCTW (2025)" in page
    response = client.post(f"/sinh-hoat/{m.pk}/cong-bo/", follow=True)
    text = response.content.decode()
    assert "Đã công bố và gửi thông báo đến 3 người" in text
    assert "muộn so với hạn" in text
    on_time = planned(world, day=timezone.localdate() + dt.timedelta(days=6))
    add_document(
        actor=world.secretary, meeting=on_time, kind="draft_resolution", title="Dự thảo", upload=pdf()
    )
    text = client.post(f"/sinh-hoat/{on_time.pk}/cong-bo/", follow=True).content.decode()
    assert "Công bố tài liệu: đúng hạn." in text


def test_start_leads_to_the_live_screen(client, world):
    m = published(world)
    client.force_login(world.secretary)
    assert client.get(live(m, "")).status_code == 302  # not started yet
    response = client.post(f"/sinh-hoat/{m.pk}/bat-dau/")
    assert response.status_code == 302 and response["Location"] == live(m, "")
    page = client.get(live(m, "")).content.decode()
    assert (
        "Điểm danh" in page
        and "Thu nộp đảng phí" in page
        and "static/js/meeting.js" in page.replace("/static/", "static/")
    )


# --- the live screen --------------------------------------------------------------------------
@pytest.mark.parametrize("action", list(LIVE_ACTIONS))
@pytest.mark.parametrize(("persona", "status"), WRITE.items())
def test_live_actions(client, world, action, persona, status):
    m = running(world)
    prepare, spec = LIVE_ACTIONS[action]
    if prepare:
        prepare(world, m)
    url, data = spec(world, m)
    before = state(m)
    client.force_login(getattr(world, persona))
    response = client.post(url, data)
    assert response.status_code == status, response.content.decode()[:800]
    if status == 302:
        assert state(m) != before
    else:
        assert state(m) == before


@pytest.mark.parametrize(("persona", "status"), UPPER.items())
def test_upper_level_scoring(client, world, persona, status):
    m = running(world)
    before = state(m)
    client.force_login(getattr(world, persona))
    response = client.post(
        live(m, "cham-diem-cap-tren/"), {"c_order_content": "7", "c_attendance_rate": "15", "note": "Tốt."}
    )
    assert response.status_code == status
    if status == 302:
        sheet = m.scores.get(column=ScoreColumn.UPPER)
        assert (
            sheet.entries["order_content"] == 7
            and sheet.entries["attendance_rate"] == 15
            and sheet.note == "Tốt."
        )
    else:
        assert state(m) == before


def test_officer_sees_the_upper_column_form_beside_the_cell_column(client, world):
    m = running(world)
    client.force_login(world.officer)
    page = client.get(live(m, "")).content.decode()
    assert 'id="score-upper"' in page and "Lưu điểm cấp trên chấm" in page
    assert 'id="score-cell"' not in page and 'id="att-form-' not in page  # read-only for the rest
    assert "Chấm điểm (cấp ủy cấp trên)" in client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    client.force_login(world.secretary)
    page = client.get(live(m, "")).content.decode()
    assert 'id="score-cell"' in page and 'id="score-upper"' not in page


def test_roll_call_by_htmx_returns_the_row_and_the_live_counts(client, world):
    m = running(world)
    client.force_login(world.secretary)
    m.refresh_from_db()
    response = client.post(
        live(m, f"diem-danh/{world.m_same.pk}/"),
        {"status": "absent_excused", "reason": "Ốm", "expected_version": m.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li id="att-{world.m_same.pk}"')
    assert 'id="live-summary" class="live-summary" hx-swap-oob="true"' in html
    assert "<b>3/4</b>có mặt · 75,0%" in html  # rate on the rulebook's base
    assert "Vắng có lý do: Ốm" in html and "Vắng có lý do 1 lần liên tiếp" in html
    assert (
        'id="speech-who"' in html
        and f'value="m{world.m_same.pk}"' not in html.split('id="speech-who"')[1].split("</select>")[0]
    )
    row = m.attendance.get(member=world.m_same)
    assert (row.status, row.reason) == ("absent_excused", "Ốm")


def test_a_roll_call_mark_for_someone_not_on_the_roll_is_404_and_writes_nothing(client, world):
    m = running(world)
    client.force_login(world.secretary)
    before = Meeting.objects.get(pk=m.pk).version
    outsider = add_member(world.cell2, "Đinh Văn Ngoài")  # another cell's member: not on this roll
    for data in ({"status": "absent_unexcused"}, {"status": "không-hợp-lệ"}):
        for headers in ({"HTTP_HX_REQUEST": "true"}, {}):
            response = client.post(live(m, f"diem-danh/{outsider.pk}/"), data, **headers)
            assert response.status_code == 404
    response = client.post(live(m, "diem-danh/999999/"), {"status": "present"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert Meeting.objects.get(pk=m.pk).version == before  # the mark's transaction rolled back
    assert not AuditEntry.objects.filter(object_type="meetings.attendance", object_repr__contains="Ngoài").exists()


def test_a_roll_call_mark_checks_access_on_the_meeting_it_locks_and_writes_nothing_when_refused(client, world):
    """The mark reads the meeting once, under its lock, and checks access there (services._writable's
    authorize): the same answers as reading it first, and a refused mark writes nothing."""
    m = running(world)
    done = approved(world)
    before = {x.pk: Meeting.objects.get(pk=x.pk).version for x in (m, done)}
    audits = AuditEntry.objects.count()
    for user, meeting, status, says in (
        (world.officer_other, m, 404, ""),  # another commune: the meeting does not exist for them
        (world.member_same, m, 403, "không có quyền thay đổi"),  # reads the cell, may not write
        (world.secretary, done, 403, "Biên bản đã được duyệt"),  # approved: locked
    ):
        client.force_login(user)
        for data in ({"status": "present"}, {"status": "không-hợp-lệ"}):
            response = client.post(live(meeting, f"diem-danh/{world.m_same.pk}/"), data, HTTP_HX_REQUEST="true")
            assert response.status_code == status and says in response.content.decode()
    client.force_login(world.secretary)
    for data in ({"status": "present"}, {"status": "không-hợp-lệ"}):
        assert client.post(f"/sinh-hoat/999999/dieu-hanh/diem-danh/{world.m_same.pk}/", data).status_code == 404
    assert {x.pk: Meeting.objects.get(pk=x.pk).version for x in (m, done)} == before
    assert AuditEntry.objects.count() == audits


def test_excused_without_reason_is_refused_in_the_row(client, world):
    m = running(world)
    client.force_login(world.secretary)
    response = client.post(
        live(m, f"diem-danh/{world.m_same.pk}/"), {"status": "absent_excused"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "Vắng có lý do: hãy ghi lý do." in response.content.decode()
    assert "has-error" in response.content.decode()
    assert m.attendance.get(member=world.m_same).status == AttendanceStatus.PRESENT
    response = client.post(
        live(m, f"diem-danh/{world.m_same.pk}/"), {"status": "absent_excused"}
    )  # without JS
    assert response.status_code == 200 and "Vắng có lý do: hãy ghi lý do." in response.content.decode()


def test_a_stale_roll_call_gets_the_conflict_message(client, world):
    m = running(world)
    seen = Meeting.objects.get(pk=m.pk).version
    services.add_guest(actor=world.secretary, meeting=m, name="Khách")  # someone else wrote meanwhile
    client.force_login(world.secretary)
    response = client.post(
        live(m, f"diem-danh/{world.m_same.pk}/"),
        {"status": "absent_unexcused", "expected_version": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#live-alert"
    html = response.content.decode()
    assert (
        "vừa được người khác cập nhật" in html
        and 'id="live-board" class="live-board" hx-swap-oob="true"' in html
    )
    assert m.attendance.get(member=world.m_same).status == AttendanceStatus.PRESENT
    response = client.post(
        live(m, f"diem-danh/{world.m_same.pk}/"), {"status": "absent_unexcused", "expected_version": seen}
    )
    assert response.status_code == 409 and "vừa được người khác cập nhật" in response.content.decode()


# The roll-call answer (htmx). 7 queries when the meeting's parts are kept (chibo/meetings/
# live_parts.py): session, user with their role scope (accounts/backends.py); the mark (version and
# lock — the meeting read once, access checked on it; LOCK_QUERIES: one statement on PostgreSQL —,
# the whole roll — 404 when the member is not on it —, update and audit: MARK_QUERIES, the three in
# one statement on PostgreSQL). The tasks to review and the other meetings' rolls (the excused runs) are kept too (chibo/meetings/judge_cache.py:
# read again once the cell's activity_rev moves). The first answer after another write to the meeting
# also reads the six parts (agenda, speeches, votes, score sheets, documents, guests). Tests run
# inside a transaction, which adds a savepoint and its release. Was 9 with the meeting read for the
# access check first, 10 before judge_cache (the tasks to review on every answer, + the excused runs
# when someone is excused), 11 before the mark found the row on the roll it reads, 19 (+ the excused
# runs twice) before the mark kept its roll and the parts, 23 before that; 8 before the user's roles
# were read with the user.
ROLL_CALL_QUERIES = 2 + LOCK_QUERIES + MARK_QUERIES + 2
ROLL_CALL_QUERIES_FIRST = ROLL_CALL_QUERIES + 6


def tap(client, m, member, status="present", **extra):  # type: ignore[no-untyped-def]
    """One htmx roll-call mark; the answer's HTML and its number of queries (commit callbacks run,
    as outside a test's transaction: that is when the parts are kept)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            live(m, f"diem-danh/{member.pk}/"), {"status": status, **extra}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200 and f'id="att-{member.pk}"' in response.content.decode()
    return response.content.decode(), len(queries.captured_queries)


def test_the_roll_call_answer_costs_a_fixed_number_of_queries_whatever_the_roster(
    client, world, django_capture_on_commit_callbacks
):
    m = running(world)
    client.force_login(world.secretary)
    tap(client, m, world.sec_member)  # the first answer also reads the meeting's rulebook version (kept after)
    with django_capture_on_commit_callbacks(execute=True):
        assert tap(client, m, world.m_same)[1] == ROLL_CALL_QUERIES_FIRST  # parts read, then kept
    with django_capture_on_commit_callbacks(execute=True):
        assert tap(client, m, world.sec_member)[1] == ROLL_CALL_QUERIES
    for name in ("An", "Bình", "Cường", "Dũng", "Giang", "Hải", "Khánh", "Long"):
        add_member(world.cell1, f"Nguyễn Văn {name}")
    services.draw_roster(m)
    assert m.attendance.count() >= 12
    with django_capture_on_commit_callbacks(execute=True):  # new members: the cell's activity_rev moved
        assert tap(client, m, world.m_same)[1] == ROLL_CALL_QUERIES + 1  # the tasks read again, then kept
    with django_capture_on_commit_callbacks(execute=True):
        assert tap(client, m, world.sec_member)[1] == ROLL_CALL_QUERIES


def _same_page(html: str) -> str:
    """HTML with its CSRF tokens blanked (masked anew on every rendering)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)


def test_the_roll_call_answer_is_the_same_from_the_kept_parts_as_from_the_database(
    client, world, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    m = running(world)
    services.add_guest(actor=world.secretary, meeting=m, name="Phạm Văn Đông", position="Bí thư Đảng ủy xã")
    services.open_vote(actor=world.secretary, meeting=m, subject="Nghị quyết tháng")
    client.force_login(world.secretary)
    with django_capture_on_commit_callbacks(execute=True):
        tap(client, m, world.sec_member, "absent_excused", reason="Ốm")  # keeps the parts, tasks, runs
    with django_capture_on_commit_callbacks(execute=True):
        kept, n_kept = tap(client, m, world.m_same, "absent_excused", reason="Ốm")
    assert n_kept == ROLL_CALL_QUERIES  # the excused runs kept too (judge_cache)
    version = Meeting.objects.get(pk=m.pk).version  # the next mark's answer carries version + 1
    # The same mark again, now with nothing kept: every part read from the database.
    cache.clear()
    read, n_read = tap(client, m, world.m_same, "absent_excused", reason="Ốm")
    assert n_read == ROLL_CALL_QUERIES_FIRST + 3  # + the tasks, the runs (held meetings, their rolls)
    assert _same_page(kept) == _same_page(read).replace(f'value="{version + 1}"', f'value="{version}"')
    assert "Phạm Văn Đông — Bí thư Đảng ủy xã" in kept and "Vắng có lý do: Ốm" in kept


def test_a_roll_call_mark_keeps_the_parts_version_and_every_other_write_bumps_it(world):
    m = running(world)
    parts = Meeting.objects.get(pk=m.pk).parts_version
    services.set_attendance(
        actor=world.secretary, meeting=m, member=world.m_same, status=AttendanceStatus.ABSENT_UNEXCUSED
    )
    services.set_dues(actor=world.secretary, meeting=m, member=world.m_same, collected=True, amount=5000)
    fresh = Meeting.objects.get(pk=m.pk)
    assert fresh.parts_version == parts and fresh.version == m.version
    services.add_guest(actor=world.secretary, meeting=m, name="Khách")
    services.update_meeting(actor=world.secretary, meeting=m, place="Hội trường")  # saves the whole row
    fresh = Meeting.objects.get(pk=m.pk)
    assert fresh.parts_version == parts + 2 and fresh.place == "Hội trường"


@pytest.mark.parametrize(
    "write, shows",
    [
        (lambda w, m: services.add_guest(actor=w.secretary, meeting=m, name="Hoàng Văn Khách"), "Hoàng Văn Khách"),
        (lambda w, m: services.start_item(actor=w.secretary, item=item(m, 1)), "Đang: <b>{title1}</b>"),
        (
            lambda w, m: services.add_speech(actor=w.secretary, meeting=m, member=w.m_same, summary="Ý kiến."),
            "<b>2/4</b>đảng viên phát biểu",
        ),
    ],
    ids=["guest", "step", "speech"],
)
def test_a_write_between_two_marks_shows_in_the_next_roll_call_answer(
    client, world, django_capture_on_commit_callbacks, write, shows
):
    m = running(world)
    client.force_login(world.secretary)
    with django_capture_on_commit_callbacks(execute=True):
        before, _ = tap(client, m, world.sec_member)
    shows = shows.format(title1=item(m, 1).title)
    assert shows not in before
    write(world, m)  # any write but a mark: a new parts_version, so the kept parts are not used
    with django_capture_on_commit_callbacks(execute=True):
        after, n = tap(client, m, world.sec_member)
    assert shows in after and n == ROLL_CALL_QUERIES_FIRST


def test_the_parts_are_kept_only_once_the_mark_has_committed(client, world, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from chibo.meetings import live_parts

    m = running(world)
    client.force_login(world.secretary)
    key = live_parts.key_for(Meeting.objects.get(pk=m.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tap(client, m, world.sec_member)
    assert cache.get(key) is None and len(callbacks) == 1  # not committed (yet): nothing kept
    callbacks[0]()
    assert set(cache.get(key)) == set(live_parts.PARTS)
    # A refused mark (excused without a reason) writes nothing and keeps nothing.
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            live(m, f"diem-danh/{world.m_same.pk}/"), {"status": "absent_excused"}, HTTP_HX_REQUEST="true"
        )
    assert "Vắng có lý do: hãy ghi lý do." in response.content.decode() and not callbacks
    assert cache.get(key) is None


def test_speeches_give_the_derived_speaker_count(client, world):
    m = running(world)  # 4 present, one of them spoke
    client.force_login(world.secretary)
    response = client.post(
        live(m, "phat-bieu/"),
        {"who": f"m{world.m_same.pk}", "summary": "Nhất trí.", "item": item(m, 1).pk},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="live-board"')
    assert "<b>2/4</b> đảng viên phát biểu" in html
    guest = services.add_guest(actor=world.secretary, meeting=m, name="Phạm Văn Đông")
    html = client.post(
        live(m, "phat-bieu/"),
        {"who": f"g{guest.pk}", "summary": "Biểu dương chi bộ."},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert (
        "<b>2/4</b> đảng viên phát biểu" in html and "Phạm Văn Đông (đại biểu)" in html
    )  # guests do not count
    html = client.post(
        live(m, "phat-bieu/"), {"who": "", "summary": ""}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert (
        "Hãy chọn người phát biểu." in html
        and "Hãy ghi tóm tắt ý kiến." in html
        and 'id="live-alert" hx-swap-oob="true"' in html
    )


def test_vote_by_name_and_by_count_show_the_result_with_eligible_count(client, world):
    m = running(world)
    client.force_login(world.secretary)
    client.post(live(m, "bieu-quyet/"), {"subject": "Nghị quyết tháng", "method": "by_name"})
    vote = m.votes.get()
    page = client.get(live(m, "")).content.decode()
    assert (
        "Phạm Thị Hoà" not in page.split(f'id="vote-{vote.pk}"')[1].split("</div>")[0]
    )  # probationary: no ballot
    for member in (world.sec_member, world.m_same):
        client.post(live(m, f"bieu-quyet/{vote.pk}/phieu/"), {"member": member.pk, "choice": "for"})
    client.post(live(m, f"bieu-quyet/{vote.pk}/ket-thuc/"))
    page = client.get(live(m, "")).content.decode()
    assert "<b>Thông qua</b>" in page and "2/3 tán thành" in page
    client.post(live(m, "bieu-quyet/"), {"subject": "Kết nạp", "method": "count"})
    second = m.votes.get(subject="Kết nạp")
    html = client.post(
        live(m, f"bieu-quyet/{second.pk}/ket-thuc/"),
        {"in_favour": "9", "against": "0", "other": "0"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "vượt số đảng viên có quyền biểu quyết đang có mặt (3)" in html
    client.post(
        live(m, f"bieu-quyet/{second.pk}/ket-thuc/"), {"in_favour": "1", "against": "2", "other": "0"}
    )
    assert "<b>Không thông qua</b>" in client.get(live(m, "")).content.decode()


def test_scorecard_auto_criteria_are_read_only_and_the_grade_is_shown(client, world):
    m = running(world)
    client.force_login(world.secretary)
    page = client.get(live(m, "")).content.decode()
    assert 'name="c_attendance_rate"' not in page.split('id="score-upper"')[0]  # auto: no input
    assert 'id="auto-attendance_rate"' in page and 'name="c_order_content"' in page
    client.post(
        live(m, "cham-diem/"), {"c_order_content": "10", "c_criticism": "10", "c_attendance_rate": "0"}
    )
    sheet = m.scores.get(column=ScoreColumn.CELL)
    assert sheet.entries["attendance_rate"] == 15  # from the data, not from the form
    assert re.search(
        r'<span id="grade-cell"><b>\d+</b> — <b>(Tốt|Khá|Trung bình|Kém)</b>',
        client.get(live(m, "")).content.decode(),
    )
    html = client.post(
        live(m, "cham-diem/"), {"c_order_content": "11"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Tối đa 10 điểm." in html


def test_breaches_name_the_rule_and_its_source(client, world):
    m = running(world)
    client.force_login(world.secretary)
    client.post(live(m, f"diem-danh/{world.m_same.pk}/"), {"status": "absent_unexcused"})
    page = client.get(live(m, "")).content.decode()
    section = page.split('id="live-breaches"')[1]
    assert "<b>Vắng không lý do:</b> 1 đảng viên vắng không lý do (HD 12-HD/BTCTW (2018))" in section
    assert "<b>Tỷ lệ dự họp:</b>" in section


def test_read_back_then_approve_locks_and_shows_the_record(client, world):
    m = running(world)
    client.force_login(world.secretary)
    response = client.post(live(m, "duyet/"), HTTP_HX_REQUEST="true")
    assert "Biên bản chưa được đọc lại trước chi bộ." in response.content.decode()
    client.post(live(m, "cham-diem/"), {"c_order_content": "10", "c_criticism": "8"})
    assert client.post(live(m, "doc-lai-bien-ban/")).status_code == 302
    response = client.post(live(m, "duyet/"), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == f"/sinh-hoat/{m.pk}/"
    m.refresh_from_db()
    assert m.status == MeetingStatus.APPROVED
    page = client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert "Xếp loại" in page and "1/4 đảng viên phát biểu" in page and "Đính chính" in page
    assert 'id="att-form-' not in page and 'action="/sinh-hoat/' in page  # only the amendment form
    assert client.get(live(m, "")).status_code == 302


# --- after approval ---------------------------------------------------------------------------
@pytest.mark.parametrize("action", [*LIVE_ACTIONS, *PREPARE_ACTIONS, "score_upper"])
def test_every_write_is_refused_after_approval_with_nothing_changed(client, world, action):
    m = approved(world)
    if action in LIVE_ACTIONS:
        url, data = LIVE_ACTIONS[action][1](world, m)
    elif action == "score_upper":
        url, data = live(m, "cham-diem-cap-tren/"), {"c_order_content": "5"}
    else:
        url, data = PREPARE_ACTIONS[action](world, m)
    before = state(m)
    client.force_login(world.officer if action == "score_upper" else world.secretary)
    response = client.post(url, data)
    assert response.status_code == 403, response.content.decode()[:500]
    assert LOCKED in response.content.decode()
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert (
        response.status_code == 403
        and response["HX-Retarget"] == "#live-alert"
        and LOCKED in response.content.decode()
    )
    assert state(m) == before


@pytest.mark.parametrize(("persona", "status"), WRITE.items())
def test_amendments_after_approval(client, world, persona, status):
    m = approved(world)
    before = state(m)
    client.force_login(getattr(world, persona))
    response = client.post(f"/sinh-hoat/{m.pk}/dinh-chinh/", {"text": "Đính chính: tên đồng chí Lan."})
    assert response.status_code == status
    if status == 302:
        assert m.amendments.get().text == "Đính chính: tên đồng chí Lan."
        page = client.get(f"/sinh-hoat/{m.pk}/").content.decode()
        assert "Đính chính: tên đồng chí Lan." in page
    else:
        assert state(m) == before


def test_amending_a_meeting_not_yet_approved_is_explained(client, world):
    m = running(world)
    client.force_login(world.secretary)
    response = client.post(f"/sinh-hoat/{m.pk}/dinh-chinh/", {"text": "x"}, follow=True)
    assert "Biên bản chưa duyệt: hãy sửa trực tiếp thay vì đính chính." in response.content.decode()
    assert not m.amendments.exists()


def test_the_approved_record_shows_snapshot_figures_grade_and_breaches(client, world):
    m = approved(world)
    client.force_login(world.member_same)
    page = client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert m.get_status_display() in page
    assert f"{m.fig_present}/{m.fig_base} đảng viên" in page
    assert "2/4 đảng viên phát biểu" in page
    assert "Thống nhất làm đường." in page and "Đề nghị làm đường." in page and "Vận động làm đường" in page
    assert "Thêm đính chính" not in page  # read-only member


# Session, user with their role scope (accounts/backends.py), meeting with its cell and bulletin (one
# statement: meetings.selectors.meeting_with_cell), then the record's HTML from the cache (chibo/meetings/
# record_cache.py: rendered once per version of the record, shared by every reader), the panels
# other apps add (oversight 1: whether the month's guidance, a peer pairing, a model-meeting mark or
# an officer's visit exists, in one statement, then only what exists — 3 queries before 07/12/2026,
# session 15: oversight.selectors.panel_probe; annual 3: shortcomings, the cell's
# rulebook in one statement (2 before: organisations.selectors.effective_rulebook), the month's dues in one statement — the roll, profiles and the two sums were four
# queries before 07/12/2026, session 15: annual.selectors.meeting_dues). The first reader of a version also renders the record: the record in one load (meeting + 9
# prefetches), excused runs, the task reports, who approved it, the documents' issued number.
# Pinned so a new per-page query is noticed (was 45 before the record read its frozen verdict, 30
# before the cache, 16 before the oversight panel asked its three questions in one query, 14 before
# the panels beside the record were kept per version — 6 before the reader's own visit and pairing
# were too: chibo/meetings/panel_cache.py; one more before the user's roles were read with the user,
# one more before the bulletin was read with the meeting).
# The stored rendering (meetings.RecordRender, record_cache.stored / store): a reader the cache
# misses reads it (1); the reader who renders the record stores it (one upsert; in a test's
# transaction inside a savepoint: 3).
RECORD_QUERIES = 3
STORE_READ = 1
STORE_WRITE = 3
RECORD_QUERIES_FIRST = 20 + STORE_READ + STORE_WRITE


def test_the_approved_record_reads_the_frozen_verdict_in_a_fixed_number_of_queries(
    client, world, monkeypatch, django_assert_num_queries
):
    m = approved(world)
    client.force_login(world.secretary)

    def no_judging(meeting):  # type: ignore[no-untyped-def]
        raise AssertionError("the approved record must not be judged again")

    monkeypatch.setattr("chibo.meetings.selectors.judge", no_judging)
    with django_assert_num_queries(RECORD_QUERIES_FIRST):
        first = client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    with django_assert_num_queries(RECORD_QUERIES):
        page = client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    for text in (first, page):
        assert f"{m.fig_present}/{m.fig_base} đảng viên" in text and "Thêm đính chính" in text
        # What approval froze is what the page shows, even if the stored sheet changed since.
        snap = m.snapshot
        assert snap["scores"]["cell"]["total"] == m.fig_score
        assert f"<b>{m.fig_score}</b>" in text
    # More members on the roll: the same number of queries (a new version: rendered again).
    for name in ("Trần Văn An", "Lê Thị Bình", "Phạm Văn Cường", "Hoàng Thị Dung", "Vũ Văn Đức"):
        member = add_member(world.cell1, name)
        m.attendance.create(member=member, status=AttendanceStatus.PRESENT)
    Meeting.objects.filter(pk=m.pk).update(version=m.version + 1)
    with django_assert_num_queries(RECORD_QUERIES_FIRST):
        client.get(f"/sinh-hoat/{m.pk}/")
    with django_assert_num_queries(RECORD_QUERIES):
        client.get(f"/sinh-hoat/{m.pk}/")


# --- notifications and the calendar -----------------------------------------------------------
def test_notifications_list_and_mark_read(client, world):
    m = published(world)
    note = Notification.objects.get(user=world.member_same, meeting=m)
    client.force_login(world.member_same)
    page = client.get("/sinh-hoat/thong-bao/").content.decode()
    assert note.text in page and "1 chưa đọc" in page
    assert f"/sinh-hoat/lich/{world.member_same.pk}/{feed_token(world.member_same.pk)}.ics" in page
    response = client.post(f"/sinh-hoat/thong-bao/{note.pk}/da-doc/", {"mo": "1"})
    assert response["Location"] == f"/sinh-hoat/{m.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    client.force_login(world.member_other)
    assert client.post(f"/sinh-hoat/thong-bao/{note.pk}/da-doc/").status_code == 404
    assert note.text not in client.get("/sinh-hoat/thong-bao/").content.decode()
    client.force_login(world.secretary)
    client.post("/sinh-hoat/thong-bao/da-doc/")
    assert not Notification.objects.filter(user=world.secretary, read_at__isnull=True).exists()


def test_ical_feed(client, world):
    m = published(world)
    m.place = "Nhà văn hóa thôn 1, xã An Bình; phòng họp số 2 — tầng 1 của khu nhà mới xây năm 2024"
    m.save()
    far = services.create_meeting(
        actor=None,
        cell=world.cell1,
        kind=MeetingKind.REGULAR,
        scheduled_at=timezone.now() + dt.timedelta(days=500),
    )
    other = services.create_meeting(
        actor=None, cell=world.cell3, kind=MeetingKind.REGULAR, scheduled_at=timezone.now()
    )
    user = world.member_same
    assert client.get(f"/sinh-hoat/lich/{user.pk}/{'0' * 32}.ics").status_code == 404
    assert client.get(f"/sinh-hoat/lich/{world.member_other.pk}/{feed_token(user.pk)}.ics").status_code == 404
    response = client.get(f"/sinh-hoat/lich/{user.pk}/{feed_token(user.pk)}.ics")  # no login needed
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    text = raw.decode().replace("\r\n ", "")  # unfold
    assert (
        f"UID:meeting-{m.pk}@" in text
        and f"UID:meeting-{far.pk}@" not in text
        and f"UID:meeting-{other.pk}@" not in text
    )
    start = m.scheduled_at.astimezone(dt.UTC)
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}" in text
    assert f"DTEND:{start + dt.timedelta(minutes=90):%Y%m%dT%H%M%SZ}" in text
    assert "SUMMARY:Sinh hoạt thường kỳ — Chi bộ thôn 1" in text
    assert (
        "LOCATION:Nhà văn hóa thôn 1\\, xã An Bình\\; phòng họp số 2 — tầng 1 của khu nhà mới xây năm 2024"
        in text
    )
    assert "DTSTAMP:" in text and text.count("BEGIN:VEVENT") == text.count("END:VEVENT") == 1
    # A member without any role still sees their own cell's meetings.
    RoleAssignment.objects.filter(user=user).delete()
    text = client.get(f"/sinh-hoat/lich/{user.pk}/{feed_token(user.pk)}.ics").content.decode()
    assert f"UID:meeting-{m.pk}@" in text
    # The officer of the commune sees both cells' meetings.
    officer_text = client.get(
        f"/sinh-hoat/lich/{world.officer.pk}/{feed_token(world.officer.pk)}.ics"
    ).content.decode()
    assert f"UID:meeting-{m.pk}@" in officer_text and f"UID:meeting-{other.pk}@" not in officer_text


FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ"]
GIVEN = [
    "An",
    "Bảo",
    "Cường",
    "Dũng",
    "Đạt",
    "Giang",
    "Hải",
    "Hiếu",
    "Hòa",
    "Huy",
    "Khang",
    "Khoa",
    "Lâm",
    "Long",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quang",
    "Quân",
    "Sơn",
    "Tài",
    "Thành",
    "Thắng",
    "Toàn",
    "Trí",
    "Trung",
    "Tuấn",
    "Vinh",
]


# --- the live screen scales -------------------------------------------------------------------
def _big_meeting(world, cell, size: int) -> Meeting:  # type: ignore[no-untyped-def]
    for i in range(size):
        add_member(cell, f"{FAMILY[i % len(FAMILY)]} Văn {GIVEN[i]}", group=None)
    m = services.create_meeting(
        actor=world.admin, cell=cell, kind=MeetingKind.REGULAR, scheduled_at=timezone.now()
    )
    services.start(actor=world.admin, meeting=m)
    rows = list(m.attendance.select_related("member"))
    for n, a in enumerate(rows):
        status = AttendanceStatus.PRESENT if n % 4 else AttendanceStatus.ABSENT_EXCUSED
        services.set_attendance(actor=world.admin, meeting=m, member=a.member, status=status, reason="Ốm")
        services.set_dues(actor=world.admin, meeting=m, member=a.member, collected=True, amount=30000)
    present = [a.member for a in rows if m.attendance.get(member=a.member).status == AttendanceStatus.PRESENT]
    first = m.items.first()
    services.start_item(actor=world.admin, item=first)
    for member in present[:3]:
        services.add_speech(actor=world.admin, meeting=m, member=member, item=first, summary="Ý kiến.")
    services.assign_task(actor=world.admin, meeting=m, title="Nhiệm vụ", assignee=present[0])
    services.add_guest(actor=world.admin, meeting=m, name="Đại biểu")
    vote = services.open_vote(actor=world.admin, meeting=m, subject="NQ", method="by_name")
    services.cast_ballot(actor=world.admin, vote=vote, member=present[1], choice="for")
    services.save_score(actor=world.admin, meeting=m, column=ScoreColumn.CELL, entries={"order_content": 8})
    return m


def test_the_live_screen_renders_in_a_fixed_number_of_queries(client, world):
    small_cell = org_services.create_organisation(
        actor=None, name="Chi bộ nhỏ", kind=OrgKind.CELL, parent=world.an_binh
    )
    big_cell = org_services.create_organisation(
        actor=None, name="Chi bộ lớn", kind=OrgKind.CELL, parent=world.an_binh
    )
    small, big = _big_meeting(world, small_cell, 5), _big_meeting(world, big_cell, 30)
    assert (small.attendance.count(), big.attendance.count()) == (5, 30)
    client.force_login(world.admin)
    counts = []
    for m in (small, big):
        client.get(live(m, ""))  # warm caches (rulebook, session)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(live(m, ""))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert "<b>3/" in response.content.decode()  # 3 speakers out of those present


def test_a_persona_for_a_new_cell_secretary_sees_its_own_actions(client, world):
    cell = org_services.create_organisation(
        actor=None, name="Chi bộ mới", kind=OrgKind.CELL, parent=world.an_binh
    )
    user = make_user("bithu.moi", Role.SECRETARY, cell)
    client.force_login(user)
    page = client.get("/sinh-hoat/").content.decode()
    assert f"/sinh-hoat/them/?to_chuc={cell.pk}" in page
    assert f"/sinh-hoat/ke-hoach/{cell.pk}/" in page
