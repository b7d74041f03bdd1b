"""Every bulletin page and action with the five personas: allowed, outsider (404), read-only (403),
and on an approved meeting every bulletin write is refused (403) with nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from chibo.audit.models import AuditEntry
from chibo.bulletin import documents, services
from chibo.bulletin.models import Bulletin, Category, Entry, FeedSource, NewsItem, Origin
from chibo.bulletin.selectors import ordered_entries, titles_for_meeting
from chibo.bulletin.tests.conftest import NEWS, lock, make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback_feeds(settings):
    """Placeholder feeds here live on 127.0.0.1:9 (nothing listens): allow loopback as an intranet."""
    settings.CHIBO_BULLETIN_PRIVATE_HOSTS = ["127.0.0.1"]
PERSONAS = ["secretary", "member_same", "officer", "member_other", "officer_other"]
WRITE = {"secretary": 302, "member_same": 403, "officer": 403, "member_other": 404, "officer_other": 404}
READ = {"secretary": 200, "member_same": 200, "officer": 200, "member_other": 404, "officer_other": 404}
LOCKED = "Biên bản đã được duyệt nên không thể sửa"


def state() -> tuple[Any, ...]:
    return (
        list(Entry.objects.order_by("pk").values_list("pk", "title", "text", "category", "order")),
        list(FeedSource.objects.order_by("pk").values_list("pk", "name", "active")),
        NewsItem.objects.count(),
        list(Bulletin.objects.values_list("audio_status", flat=True)),
        AuditEntry.objects.count(),
    )


# --- the bulletin of a meeting --------------------------------------------------------------
def meeting_writes(w, m) -> dict[str, Callable[[], tuple[str, dict[str, Any]]]]:  # type: ignore[no-untyped-def]
    def entry() -> Entry:
        return ordered_entries(Bulletin.objects.get(meeting=m))[0]

    services.add_typed_entry(
        actor=w.secretary,
        meeting=m,
        category=Category.PROVINCE,
        title="Tin tỉnh thứ hai",
        text="Nội dung thứ hai.",
    )
    spare = NewsItem.objects.create(
        organisation=w.cell1,
        origin=Origin.MANUAL,
        category=Category.SECTOR,
        key="spare",
        title="Tin ngành giáo dục",
        summary="Ngành giáo dục khai giảng.",
    )
    return {
        "entry_add": lambda: (f"/thoi-su/hop/{m.pk}/them/{spare.pk}/", {}),
        "entry_typed": lambda: (
            f"/thoi-su/hop/{m.pk}/nhap-tay/",
            {"category": "nganh", "title": "Tin gõ tay", "text": "Nội dung gõ tay."},
        ),
        "entry_update": lambda: (
            f"/thoi-su/hop/{m.pk}/muc/{entry().pk}/",
            {
                f"e{entry().pk}-title": "Tiêu đề mới",
                f"e{entry().pk}-text": "Nội dung mới.",
                f"e{entry().pk}-category": "trong_tinh",
            },
        ),
        "entry_full": lambda: (f"/thoi-su/hop/{m.pk}/muc/{entry().pk}/toan-van/", {}),
        "entry_down": lambda: (f"/thoi-su/hop/{m.pk}/muc/{entry().pk}/xuong/", {}),
        "entry_remove": lambda: (f"/thoi-su/hop/{m.pk}/muc/{entry().pk}/xoa/", {}),
        "audio_request": lambda: (f"/thoi-su/hop/{m.pk}/doc/", {}),
    }


MEETING_WRITES = [
    "entry_add",
    "entry_typed",
    "entry_update",
    "entry_full",
    "entry_down",
    "entry_remove",
    "audio_request",
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", MEETING_WRITES)
def test_bulletin_writes_are_scoped(
    world, filled, client, persona, action, django_capture_on_commit_callbacks
):
    url, data = meeting_writes(world, filled)[action]()
    before = state()
    client.force_login(getattr(world, persona))
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(url, data)
    assert resp.status_code == WRITE[persona], resp.content[:300]
    if WRITE[persona] == 302:
        assert state() != before
    else:
        assert state() == before


@pytest.mark.parametrize("action", MEETING_WRITES)
def test_bulletin_writes_are_refused_once_the_meeting_is_approved(world, filled, client, action):
    url, data = meeting_writes(world, filled)[action]()
    lock(filled)
    before = state()
    client.force_login(world.secretary)
    resp = client.post(url, data)
    assert resp.status_code == 403
    assert LOCKED in resp.content.decode()
    assert state() == before


def test_the_services_refuse_a_locked_meeting_too(world, filled, items):
    from chibo.meetings.services import MeetingLocked

    entry = ordered_entries(Bulletin.objects.get(meeting=filled))[0]
    lock(filled)
    with pytest.raises(MeetingLocked):
        services.update_entry(actor=world.secretary, entry=entry, title="x", text="y")
    with pytest.raises(MeetingLocked):
        services.remove_entry(actor=world.secretary, entry=entry)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("suffix", ["", "doc/tien-do/", "tai/docx/", "tai/pdf/"])
def test_bulletin_reads_are_scoped(world, filled, client, persona, suffix):
    client.force_login(getattr(world, persona))
    assert client.get(f"/thoi-su/hop/{filled.pk}/{suffix}").status_code == READ[persona]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("suffix", ["am-thanh/", "chuong.vtt", "clip"])
def test_audio_files_are_scoped(world, filled, client, persona, suffix, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_audio(actor=world.secretary, meeting=filled)
    if suffix == "clip":
        suffix = f"am-thanh/{ordered_entries(Bulletin.objects.get(meeting=filled))[0].pk}/"
    client.force_login(getattr(world, persona))
    resp = client.get(f"/thoi-su/hop/{filled.pk}/{suffix}")
    assert resp.status_code == READ[persona]
    if resp.status_code == 200 and suffix == "chuong.vtt":
        text = resp.content.decode()
        assert (
            text.startswith("WEBVTT") and "00:00:00.000 --> " in text and "Hội nghị thượng đỉnh ASEAN" in text
        )


def test_the_audio_can_be_sought_by_byte_range(world, filled, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_audio(actor=world.secretary, meeting=filled)
    client.force_login(world.member_same)
    whole = client.get(f"/thoi-su/hop/{filled.pk}/am-thanh/")
    assert (
        whole.status_code == 200
        and whole["Accept-Ranges"] == "bytes"
        and whole["Content-Type"] == "audio/mpeg"
    )
    size = len(whole.content)
    part = client.get(f"/thoi-su/hop/{filled.pk}/am-thanh/", HTTP_RANGE="bytes=1000-1999")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 1000-1999/{size}"
    assert part.content == whole.content[1000:2000]
    tail = client.get(f"/thoi-su/hop/{filled.pk}/am-thanh/", HTTP_RANGE="bytes=-500")
    assert tail.status_code == 206 and tail.content == whole.content[-500:]
    beyond = client.get(f"/thoi-su/hop/{filled.pk}/am-thanh/", HTTP_RANGE=f"bytes={size + 10}-")
    assert beyond.status_code == 416


def test_the_progress_lists_each_item_with_its_clip_once_ready(
    world, filled, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_audio(actor=world.secretary, meeting=filled)
    b = Bulletin.objects.get(meeting=filled)
    first, *rest = ordered_entries(b)
    Bulletin.objects.filter(pk=b.pk).update(audio_status="rendering", audio_done=1)
    Entry.objects.filter(pk__in=[e.pk for e in rest]).update(audio_status="queued")
    client.force_login(world.member_same)
    data = client.get(f"/thoi-su/hop/{filled.pk}/doc/tien-do/").json()
    assert (data["status"], data["done"], data["total"]) == ("rendering", 1, 3)
    assert data["entries"][0] == {
        "id": first.pk,
        "status": "ready",
        "label": "Đã có âm thanh",
        "error": "",
        "url": f"/thoi-su/hop/{filled.pk}/am-thanh/{first.pk}/",
    }
    assert [e["url"] for e in data["entries"][1:]] == [None, None]
    assert [e["label"] for e in data["entries"][1:]] == ["Đang chờ", "Đang chờ"]
    page = client.get(f"/thoi-su/hop/{filled.pk}/").content.decode()
    assert f'data-progress-url="/thoi-su/hop/{filled.pk}/doc/tien-do/"' in page


def test_no_audio_yet_is_a_404_not_an_error(world, filled, client):
    client.force_login(world.secretary)
    assert client.get(f"/thoi-su/hop/{filled.pk}/am-thanh/").status_code == 404


def test_an_entry_of_another_meeting_is_not_found(world, filled, client):
    other = make_meeting(world, days=40)
    entry = ordered_entries(Bulletin.objects.get(meeting=filled))[0]
    client.force_login(world.secretary)
    assert client.post(f"/thoi-su/hop/{other.pk}/muc/{entry.pk}/xoa/").status_code == 404
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_the_builder_shows_entries_by_category_in_order_and_the_pick_list(world, filled, client):
    client.force_login(world.secretary)
    page = client.get(f"/thoi-su/hop/{filled.pk}/").content.decode()
    positions = [
        page.index(label) for label in ("Trong tỉnh", "Trong nước", "Đối ngoại", "Thế giới", "Ngành, đơn vị")
    ]
    assert positions == sorted(positions)
    assert (
        page.index("Tỉnh ủy sơ kết")
        < page.index("Triển khai Hướng dẫn 12-HD/BTCTW")
        < page.index("Hội nghị thượng đỉnh ASEAN")
    )
    assert "Tạo âm thanh" in page and "Tải DOCX" in page


def test_a_member_sees_the_bulletin_read_only(world, filled, client):
    client.force_login(world.member_same)
    page = client.get(f"/thoi-su/hop/{filled.pk}/").content.decode()
    assert "Tỉnh ủy sơ kết công tác xây dựng Đảng" in page
    assert "Lưu</button>" not in page and "Đưa vào" not in page and "Tạo âm thanh" not in page


def test_bad_input_gets_a_vietnamese_error_and_changes_nothing(world, filled, client):
    entry = ordered_entries(Bulletin.objects.get(meeting=filled))[0]
    client.force_login(world.secretary)
    before = state()
    resp = client.post(
        f"/thoi-su/hop/{filled.pk}/muc/{entry.pk}/",
        {f"e{entry.pk}-title": "Tiêu đề", f"e{entry.pk}-text": "   ", f"e{entry.pk}-category": "trong_tinh"},
    )
    assert resp.status_code == 400
    assert "Trường này là bắt buộc." in resp.content.decode()
    resp = client.post(
        f"/thoi-su/hop/{filled.pk}/nhap-tay/", {"category": "xyz", "title": "Tiêu đề", "text": "Nội dung"}
    )
    assert resp.status_code == 400
    assert "Hãy chọn một lựa chọn hợp lệ" in resp.content.decode()
    assert state() == before
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        services.update_entry(actor=world.secretary, entry=entry, title="Tiêu đề", text="   ")
    assert err.value.message_dict == {"text": ["Nội dung đọc không được để trống."]}
    assert state() == before


def test_moving_and_editing_keeps_the_reading_order(world, filled):
    b = Bulletin.objects.get(meeting=filled)
    extra = services.add_typed_entry(
        actor=world.secretary,
        meeting=filled,
        category=Category.PROVINCE,
        title="Tin tỉnh thứ hai",
        text="Nội dung.",
    )
    assert [e.title for e in ordered_entries(b)][:2] == [
        "Tỉnh ủy sơ kết công tác xây dựng Đảng",
        "Tin tỉnh thứ hai",
    ]
    services.move_entry(actor=world.secretary, entry=extra, up=True)
    assert [e.title for e in ordered_entries(b)][:2] == [
        "Tin tỉnh thứ hai",
        "Tỉnh ủy sơ kết công tác xây dựng Đảng",
    ]
    services.update_entry(
        actor=world.secretary, entry=extra, title="Tin thế giới", text="Nội dung.", category=Category.WORLD
    )
    assert titles_for_meeting(filled) == [
        "Tỉnh ủy sơ kết công tác xây dựng Đảng",
        "Triển khai Hướng dẫn 12-HD/BTCTW",
        "Hội nghị thượng đỉnh ASEAN",
        "Tin thế giới",
    ]


def test_an_item_cannot_be_added_twice(world, filled, items):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="đã có trong bản tin"):
        services.add_entry(actor=world.secretary, meeting=filled, item=items[0])


def test_the_summary_can_be_accepted_or_replaced_by_the_full_text(world, meeting):
    long_text = " ".join(
        f"Câu thứ {i} nói về công tác xây dựng Đảng ở cơ sở và sinh hoạt chi bộ." for i in range(1, 30)
    )
    item = services.add_item(
        actor=world.secretary,
        organisation=world.cell1,
        category=Category.PROVINCE,
        title="Bài dài",
        text=long_text,
    )
    assert item.suggested and len(item.suggested) < len(long_text)
    entry = services.add_entry(actor=world.secretary, meeting=meeting, item=item)
    assert entry.text == item.suggested
    services.use_text(actor=world.secretary, entry=entry, which="full")
    assert Entry.objects.get(pk=entry.pk).text == long_text
    services.use_text(actor=world.secretary, entry=entry, which="summary")
    assert Entry.objects.get(pk=entry.pk).text == item.suggested


def test_titles_for_meeting_lists_the_bulletin_for_the_minutes(world, filled, meeting):
    assert titles_for_meeting(filled) == [t for _, t, _ in NEWS]
    assert titles_for_meeting(make_meeting(world, days=60)) == []


# --- the meeting screen shows the bulletin at its current-affairs step ---------------------
def test_the_meeting_pages_show_the_bulletin(world, filled, client, django_capture_on_commit_callbacks):
    from chibo.meetings import services as ms

    with django_capture_on_commit_callbacks(execute=True):
        services.request_audio(actor=world.secretary, meeting=filled)
    client.force_login(world.secretary)
    detail = client.get(f"/sinh-hoat/{filled.pk}/").content.decode()
    assert "Bản tin thời sự</b> (3 mục, có âm thanh)" in detail
    ms.publish(actor=world.secretary, meeting=filled)
    ms.start(actor=world.secretary, meeting=filled)
    live = client.get(f"/sinh-hoat/{filled.pk}/dieu-hanh/").content.decode()
    step = live.index("Thông tin thời sự")
    assert live.index('id="bulletin-step"', step) > step
    assert f"/thoi-su/hop/{filled.pk}/am-thanh/" in live and "data-device-voice" in live
    assert "Hội nghị thượng đỉnh ASEAN" in live


# --- an organisation's sources and items ------------------------------------------------------
def org_writes(w) -> dict[str, Callable[[], tuple[str, dict[str, Any]]]]:  # type: ignore[no-untyped-def]
    org = w.cell1.pk

    def feed() -> FeedSource:
        return FeedSource.objects.get_or_create(
            organisation=w.cell1,
            url="http://127.0.0.1:9/rss",
            defaults={"name": "Báo tỉnh", "category": "trong_tinh"},
        )[0]

    return {
        "feed_add": lambda: (
            f"/thoi-su/to-chuc/{org}/nguon/them/",
            {
                "feed-name": "Cổng TTĐT tỉnh",
                "feed-url": "http://127.0.0.1:9/tin.rss",
                "feed-category": "trong_tinh",
            },
        ),
        "feed_fetch": lambda: (f"/thoi-su/to-chuc/{org}/nguon/{feed().pk}/lay-tin/", {}),
        "feed_toggle": lambda: (f"/thoi-su/to-chuc/{org}/nguon/{feed().pk}/bat-tat/", {}),
        "feed_remove": lambda: (f"/thoi-su/to-chuc/{org}/nguon/{feed().pk}/xoa/", {}),
        "item_add": lambda: (
            f"/thoi-su/to-chuc/{org}/tin/them/",
            {"item-category": "nganh", "item-title": "Tin ngành", "item-text": "Nội dung."},
        ),
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["feed_add", "feed_fetch", "feed_toggle", "feed_remove", "item_add"])
def test_source_writes_are_scoped(world, client, persona, action, settings):
    settings.CHIBO_BULLETIN_FEED_TIMEOUT = 0.5
    url, data = org_writes(world)[action]()
    before = state()
    client.force_login(getattr(world, persona))
    resp = client.post(url, data)
    # News sources of a cell are managed by its committee and by the upper officer (NEWS_MANAGE).
    expected = {**WRITE, "officer": 302}[persona]
    assert resp.status_code == expected
    if expected == 302:
        assert state() != before
    else:
        assert state() == before


def test_a_feed_that_cannot_be_reached_is_reported_on_the_page(world, client, settings):
    settings.CHIBO_BULLETIN_FEED_TIMEOUT = 0.5
    feed = services.add_feed(
        actor=world.secretary,
        organisation=world.cell1,
        name="Báo tỉnh",
        url="http://127.0.0.1:9/rss",
        category="trong_tinh",
    )
    client.force_login(world.secretary)
    resp = client.post(f"/thoi-su/to-chuc/{world.cell1.pk}/nguon/{feed.pk}/lay-tin/", follow=True)
    page = resp.content.decode()
    assert (
        resp.status_code == 200
        and "Không lấy được tin từ “Báo tỉnh”" in page
        and "Không kết nối được nguồn tin" in page
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_source_pages_are_scoped(world, client, persona):
    client.force_login(getattr(world, persona))
    assert client.get(f"/thoi-su/to-chuc/{world.cell1.pk}/").status_code == READ[persona]


@pytest.mark.parametrize("persona", [*PERSONAS, "admin"])
def test_the_overview_lists_only_what_the_persona_may_see(world, client, persona, meeting):
    client.force_login(getattr(world, persona))
    page = client.get("/thoi-su/").content.decode()
    sees_cell1 = persona in ("secretary", "member_same", "officer", "admin")
    assert (f"/thoi-su/hop/{meeting.pk}/" in page) is sees_cell1
    assert (f"/thoi-su/to-chuc/{world.cell1.pk}/" in page) is sees_cell1
    if persona == "officer_other":
        assert f"/thoi-su/to-chuc/{world.cell3.pk}/" in page


def test_anonymous_users_are_sent_to_log_in(client, world, meeting, settings):
    for url in ("/thoi-su/", f"/thoi-su/hop/{meeting.pk}/", f"/thoi-su/to-chuc/{world.cell1.pk}/"):
        resp = client.get(url)
        assert resp.status_code == 302
        assert resp["Location"].startswith(reverse(settings.LOGIN_URL))


def test_bad_feed_input_gets_vietnamese_errors(world, client):
    client.force_login(world.secretary)
    resp = client.post(
        f"/thoi-su/to-chuc/{world.cell1.pk}/nguon/them/",
        {"feed-name": "X", "feed-url": "file:///etc/passwd", "feed-category": "trong_tinh"},
    )
    assert (
        resp.status_code == 400
        and "Địa chỉ phải bắt đầu bằng http:// hoặc https://." in resp.content.decode()
    )
    assert not FeedSource.objects.exists()


@pytest.mark.parametrize("pusher", ["admin", "officer"])
def test_an_upper_committee_pushes_news_down_to_every_cell_below(world, client, meeting, pusher):
    client.force_login(getattr(world, pusher))
    resp = client.post(
        f"/thoi-su/to-chuc/{world.an_binh.pk}/tin/them/",
        {
            "item-category": "trong_tinh",
            "item-title": "Thông báo của Đảng ủy xã",
            "item-text": "Nội dung chuyển xuống.",
            "item-push": "on",
        },
    )
    assert resp.status_code == 302
    item = NewsItem.objects.get(title="Thông báo của Đảng ủy xã")
    assert item.origin == Origin.PUSHED
    from chibo.bulletin.selectors import items_for_cell

    assert items_for_cell(world.cell1).filter(pk=item.pk).exists()
    assert items_for_cell(world.cell2).filter(pk=item.pk).exists()
    assert not items_for_cell(world.cell3).filter(pk=item.pk).exists()
    # The secretary of cell 1 picks it for the meeting.
    client.force_login(world.secretary)
    assert client.post(f"/thoi-su/hop/{meeting.pk}/them/{item.pk}/").status_code == 302
    assert titles_for_meeting(meeting) == ["Thông báo của Đảng ủy xã"]
    # A cell cannot push; an item of another cell cannot be picked.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Chỉ cấp ủy cấp trên"):
        services.add_item(
            actor=world.secretary, organisation=world.cell1, category="nganh", title="x", text="y", push=True
        )
    foreign = services.add_item(
        actor=world.admin, organisation=world.cell2, category="nganh", title="Tin chi bộ 2", text="y"
    )
    assert client.post(f"/thoi-su/hop/{meeting.pk}/them/{foreign.pk}/").status_code == 404


# --- documents are read back ---------------------------------------------------------------------
def test_the_docx_reads_back_with_titles_by_category(world, filled, client):
    import io

    from docx import Document

    client.force_login(world.member_same)
    resp = client.get(f"/thoi-su/hop/{filled.pk}/tai/docx/")
    assert resp.status_code == 200 and "ban-tin-thoi-su-AB-T1-" in resp["Content-Disposition"]
    doc = Document(io.BytesIO(resp.content))
    text = [p.text for p in doc.paragraphs]
    assert "BẢN TIN THỜI SỰ" in text
    assert (
        text.index("Trong tỉnh")
        < text.index("1. Tỉnh ủy sơ kết công tác xây dựng Đảng")
        < text.index("Thế giới")
    )
    assert "3. Hội nghị thượng đỉnh ASEAN" in text
    assert doc.styles["Normal"].font.name == "Liberation Serif"


def test_the_pdf_reads_back_in_one_serif_font_with_vietnamese_letters(world, filled, client, tmp_path):
    import subprocess

    client.force_login(world.officer)
    resp = client.get(f"/thoi-su/hop/{filled.pk}/tai/pdf/")
    assert resp.status_code == 200 and resp.content[:4] == b"%PDF"
    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(resp.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "BẢN TIN THỜI SỰ" in text and "Tỉnh ủy sơ kết công tác xây dựng Đảng" in text
    assert "15/16 chỉ tiêu đạt và vượt kế hoạch" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout.decode()
    families = {
        line.split()[0].split("+")[-1].split("-")[0] for line in fonts.splitlines()[2:] if line.strip()
    }
    # One serif family for the whole document: Liberation Serif where the installed one has the
    # Vietnamese letters (fonts-liberation2), else DejaVu Serif; never a mix inside words.
    assert families == {documents.pdf_font().split()[0]}, fonts
    assert Path(pdf).stat().st_size > 1000


# --- query counts are pinned -----------------------------------------------------------------------
def _grow(w, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        m = make_meeting(w, days=10 + i)
        item = services.add_item(
            actor=w.secretary, organisation=w.cell1, category="nganh", title=f"Tin {i}", text="Nội dung."
        )
        services.add_entry(actor=w.secretary, meeting=m, item=item)
        services.add_feed(
            actor=w.secretary,
            organisation=w.cell1,
            name=f"Nguồn {i}",
            url=f"http://127.0.0.1:9/{i}",
            category="nganh",
        )


@pytest.mark.parametrize("n", [1, 6])
def test_the_overview_costs_the_same_whatever_the_number_of_meetings(
    world, client, django_assert_num_queries, n
):
    _grow(world, n)
    client.force_login(world.secretary)
    client.get("/thoi-su/")
    with django_assert_num_queries(7):  # 8 before the user's roles were read with the user
        assert client.get("/thoi-su/").status_code == 200


@pytest.mark.parametrize("n", [1, 6])
def test_the_sources_page_costs_the_same_whatever_the_number_of_items(
    world, client, django_assert_num_queries, n
):
    _grow(world, n)
    client.force_login(world.secretary)
    with django_assert_num_queries(6):  # 7 before the user's roles were read with the user
        assert client.get(f"/thoi-su/to-chuc/{world.cell1.pk}/").status_code == 200


@pytest.mark.parametrize("n", [1, 6])
def test_the_builder_costs_the_same_whatever_the_number_of_entries(
    world, meeting, client, django_assert_num_queries, n
):
    for i in range(n):
        services.add_typed_entry(
            actor=world.secretary, meeting=meeting, category="nganh", title=f"Tin {i}", text="Nội dung."
        )
        services.add_item(
            actor=world.secretary,
            organisation=world.cell1,
            category="nganh",
            title=f"Chờ {i}",
            text="Nội dung.",
        )
    client.force_login(world.secretary)
    with django_assert_num_queries(6):  # 7 before the user's roles were read with the user
        assert client.get(f"/thoi-su/hop/{meeting.pk}/").status_code == 200


def test_the_same_news_typed_twice_is_refused(world):
    from django.core.exceptions import ValidationError

    services.add_item(
        actor=world.secretary, organisation=world.cell1, category="nganh", title="Tin A", text="Nội dung A."
    )
    with pytest.raises(ValidationError, match="Tin này đã có trong danh sách."):
        services.add_item(
            actor=world.secretary,
            organisation=world.cell1,
            category="nganh",
            title="Tin A",
            text="Nội dung A.",
        )
    link = "https://baotinh.vn/bai-1"
    services.add_item(
        actor=world.secretary, organisation=world.cell1, category="nganh", title="Bài 1", text="X.", link=link
    )
    with pytest.raises(ValidationError, match="Tin này đã có trong danh sách."):
        services.add_item(
            actor=world.secretary,
            organisation=world.cell1,
            category="nganh",
            title="Bài 1 (sửa)",
            text="Y.",
            link=link,
        )


def test_with_a_worker_the_fetch_is_queued_and_the_page_says_so(world, client, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    feed = services.add_feed(
        actor=world.secretary,
        organisation=world.cell1,
        name="Báo tỉnh",
        url="http://127.0.0.1:9/rss",
        category="trong_tinh",
    )
    client.force_login(world.secretary)
    page = client.post(
        f"/thoi-su/to-chuc/{world.cell1.pk}/nguon/{feed.pk}/lay-tin/", follow=True
    ).content.decode()
    assert "Đã gửi yêu cầu lấy tin từ “Báo tỉnh”" in page
    feed.refresh_from_db()
    assert feed.last_fetched_at is None


def test_the_minutes_list_the_bulletin_titles_at_current_affairs(world, filled):
    """The draft minutes (documents app) name every item read, under 'Thông tin thời sự'."""
    import datetime as dt

    from chibo.documents import kinds
    from chibo.documents.record import build
    from chibo.documents.tests.helpers import docx_text
    from chibo.meetings import services as ms

    ms.publish(actor=world.secretary, meeting=filled, now=filled.scheduled_at - dt.timedelta(days=2))
    ms.start(actor=world.secretary, meeting=filled, now=filled.scheduled_at)
    data, _, _ = kinds.render(build(filled), "bien-ban", "docx")
    text = docx_text(data)
    section = text[text.index("Thông tin thời sự"):]
    for title in titles_for_meeting(filled):
        assert f"- {title}" in section
