"""/bulletins: news sources and items of an organisation, the bulletin of a meeting, its audio.

Same scoping as the pages: org_for_user (ORG_VIEW to read, NEWS_MANAGE to write) for sources and
items; meeting_for_user (MEETING_VIEW / MEETING_MANAGE) for bulletins. An approved meeting's
bulletin refuses every write (403, MeetingLocked). Every write goes through chibo.bulletin.services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from chibo.accounts.access import meeting_for_user, org_for_user
from chibo.accounts.permissions import Perm
from chibo.api.schemas import EXPECTED_VERSION, READ_ERRORS, VERSION, WRITE_409, WRITE_ERRORS, InputSchema
from chibo.bulletin import selectors, services
from chibo.bulletin.models import Bulletin, Category, Entry, FeedSource, NewsItem
from chibo.meetings.models import Meeting
from chibo.meetings.services import MeetingLocked

router = Router(tags=["Thông tin thời sự"])
CATEGORY_HELP = "Chuyên mục: " + ", ".join(f'"{c.value}" ({c.label})' for c in Category)


class FeedOut(Schema):
    id: int
    name: str
    url: str
    category: str
    active: bool
    healthy: bool | None = Field(
        description="null: chưa lấy tin lần nào; true: lần gần nhất thành công; false: lỗi."
    )
    last_success_at: dt.datetime | None
    last_error: str
    last_error_at: dt.datetime | None
    last_new_items: int


class ItemOut(Schema):
    id: int
    organisation_id: int
    origin: str
    category: str
    title: str
    link: str
    text: str
    suggested_summary: str
    published_at: dt.datetime | None


class ItemIn(InputSchema):
    category: str = Field(description=CATEGORY_HELP)
    title: str
    text: str
    link: str = ""
    push: bool = Field(False, description="Cấp ủy cấp trên chuyển tin xuống mọi chi bộ trực thuộc.")


class EntryOut(Schema):
    id: int
    item_id: int | None
    category: str
    category_label: str
    order: int
    title: str
    text: str
    source_name: str
    audio_status: str
    audio_duration: float | None
    audio_error: str
    version: str = Field(description=VERSION)


class ChapterOut(Schema):
    entry: int
    title: str
    start: float
    end: float


class BulletinOut(Schema):
    meeting_id: int
    locked: bool
    entries: list[EntryOut]
    titles: list[str]
    audio_status: str
    audio_done: int
    audio_total: int
    audio_error: str
    audio_url: str | None
    audio_voice: str
    audio_duration: float | None
    chapters: list[ChapterOut]


class EntryAddIn(InputSchema):
    item_id: int | None = Field(
        None, description="Tin có sẵn; bỏ trống để gõ tin trực tiếp (cần category, title, text)."
    )
    category: str | None = Field(None, description=CATEGORY_HELP)
    title: str | None = None
    text: str | None = None


class EntryPatchIn(InputSchema):
    title: str | None = None
    text: str | None = None
    category: str | None = Field(None, description=CATEGORY_HELP)
    move: str | None = Field(None, description='"up" hoặc "down": đổi thứ tự trong chuyên mục.')
    expected_version: str | None = Field(None, max_length=32, description=EXPECTED_VERSION)


def _item_out(i: NewsItem) -> dict[str, Any]:
    return {
        "id": i.pk,
        "organisation_id": i.organisation_id,
        "origin": i.origin,
        "category": i.category,
        "title": i.title,
        "link": i.link,
        "text": i.full_text,
        "suggested_summary": i.suggested,
        "published_at": i.published_at,
    }


def _entry_out(e: Entry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "item_id": e.item_id,
        "category": e.category,
        "category_label": e.get_category_display(),
        "order": e.order,
        "title": e.title,
        "text": e.text,
        "source_name": e.source_name,
        "audio_status": e.audio_status,
        "audio_duration": e.audio_duration,
        "audio_error": e.audio_error,
        "version": services.entry_version(e),
    }


def _bulletin_out(request: HttpRequest, meeting: Meeting, bulletin: Bulletin | None) -> dict[str, Any]:
    entries = selectors.ordered_entries(bulletin)
    ready = bool(bulletin and bulletin.audio_ready)
    return {
        "meeting_id": meeting.pk,
        "locked": meeting.is_locked,
        "entries": [_entry_out(e) for e in entries],
        "titles": [e.title for e in entries],
        "audio_status": bulletin.audio_status if bulletin else "",
        "audio_done": bulletin.audio_done if bulletin else 0,
        "audio_total": bulletin.audio_total if bulletin else 0,
        "audio_error": bulletin.audio_error if bulletin else "",
        "audio_url": request.build_absolute_uri(f"/thoi-su/hop/{meeting.pk}/am-thanh/") if ready else None,
        "audio_voice": bulletin.audio_voice if bulletin else "",
        "audio_duration": bulletin.audio_duration if bulletin else None,
        "chapters": bulletin.chapters if ready and bulletin else [],
    }


def _managed(request: HttpRequest, meeting_id: int) -> Meeting:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_MANAGE)
    if meeting.is_locked:
        raise MeetingLocked()
    return meeting


def _entry(meeting: Meeting, entry_id: int) -> Entry:
    try:
        return Entry.objects.select_related("bulletin", "bulletin__meeting").get(
            pk=entry_id, bulletin__meeting=meeting
        )
    except Entry.DoesNotExist:
        raise Http404("Không tìm thấy mục tin.") from None


# --- sources and items --------------------------------------------------------------------
@router.get(
    "/bulletins/organisations/{org_id}/feeds",
    response={200: list[FeedOut], **READ_ERRORS},
    summary="Nguồn tin RSS/Atom của một tổ chức và trạng thái",
)
def list_feeds(request: HttpRequest, org_id: int) -> Any:
    org, _ = org_for_user(request.user, org_id, need=Perm.ORG_VIEW)
    return list(selectors.feeds_of(org))


@router.get(
    "/bulletins/organisations/{org_id}/items",
    response={200: list[ItemOut], **READ_ERRORS},
    summary="Tin của tổ chức (kể cả tin cấp trên chuyển xuống)",
)
def list_items(request: HttpRequest, org_id: int, category: str = "", limit: int = 100) -> Any:
    org, _ = org_for_user(request.user, org_id, need=Perm.ORG_VIEW)
    qs = selectors.items_for_cell(org)
    if category:
        qs = qs.filter(category=category)
    return [_item_out(i) for i in qs[: max(1, min(limit, 500))]]


@router.post(
    "/bulletins/organisations/{org_id}/items",
    response={201: ItemOut, **WRITE_ERRORS},
    summary="Thêm tin nhập tay hoặc chuyển tin xuống chi bộ",
)
def add_item(request: HttpRequest, org_id: int, payload: ItemIn) -> Any:
    org, _ = org_for_user(request.user, org_id, need=Perm.NEWS_MANAGE)
    item = services.add_item(actor=request.user, organisation=org, **payload.model_dump())
    return Status(201, _item_out(item))


@router.post(
    "/bulletins/organisations/{org_id}/feeds/{feed_id}/fetch",
    response={200: FeedOut, **WRITE_ERRORS},
    summary="Lấy tin ngay từ một nguồn",
)
def fetch(request: HttpRequest, org_id: int, feed_id: int) -> Any:
    org, _ = org_for_user(request.user, org_id, need=Perm.NEWS_MANAGE)
    try:
        feed = FeedSource.objects.get(pk=feed_id, organisation=org)
    except FeedSource.DoesNotExist:
        raise Http404("Không tìm thấy nguồn tin.") from None
    from chibo.bulletin.tasks import fetch_feed

    fetch_feed.enqueue(feed.pk)
    feed.refresh_from_db()
    return feed


# --- the bulletin of a meeting ------------------------------------------------------------
@router.get(
    "/bulletins/meetings/{meeting_id}",
    response={200: BulletinOut, **READ_ERRORS},
    summary="Bản tin thời sự của một buổi sinh hoạt",
)
def get_bulletin(request: HttpRequest, meeting_id: int) -> Any:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    return _bulletin_out(request, meeting, selectors.bulletin_of(meeting))


@router.post(
    "/bulletins/meetings/{meeting_id}/entries",
    response={201: EntryOut, **WRITE_ERRORS},
    summary="Đưa một tin vào bản tin (hoặc gõ tin trực tiếp)",
)
def add_entry(request: HttpRequest, meeting_id: int, payload: EntryAddIn) -> Any:
    meeting = _managed(request, meeting_id)
    if payload.item_id is not None:
        try:
            item = (
                selectors.items_for_cell(meeting.organisation)
                .select_related("source")
                .get(pk=payload.item_id)
            )
        except NewsItem.DoesNotExist:
            raise Http404("Không tìm thấy tin.") from None
        entry = services.add_entry(actor=request.user, meeting=meeting, item=item)
    else:
        entry = services.add_typed_entry(
            actor=request.user,
            meeting=meeting,
            category=payload.category or "",
            title=payload.title or "",
            text=payload.text or "",
        )
    return Status(201, _entry_out(entry))


@router.patch(
    "/bulletins/meetings/{meeting_id}/entries/{entry_id}",
    response={200: EntryOut, **WRITE_409},
    summary="Sửa tiêu đề, nội dung đọc, chuyên mục hoặc thứ tự của một mục",
)
def update_entry(request: HttpRequest, meeting_id: int, entry_id: int, payload: EntryPatchIn) -> Any:
    """With expected_version, an entry changed since gives 409 naming its current text, and nothing
    (not even the move) is written."""
    meeting = _managed(request, meeting_id)
    entry = _entry(meeting, entry_id)
    with transaction.atomic():
        services.check_entry_version(entry, payload.expected_version)  # before the move, under the lock
        if payload.move is not None:
            if payload.move not in ("up", "down"):
                from django.core.exceptions import ValidationError

                raise ValidationError({"move": 'Chỉ nhận "up" hoặc "down".'})
            entry = services.move_entry(actor=request.user, entry=entry, up=payload.move == "up")
        if payload.title is not None or payload.text is not None or payload.category is not None:
            entry = services.update_entry(
                actor=request.user,
                entry=entry,
                title=payload.title if payload.title is not None else entry.title,
                text=payload.text if payload.text is not None else entry.text,
                category=payload.category,
                expected_version=payload.expected_version,
            )
    entry.refresh_from_db()
    return _entry_out(entry)


@router.delete(
    "/bulletins/meetings/{meeting_id}/entries/{entry_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Bỏ một mục khỏi bản tin",
)
def remove_entry(request: HttpRequest, meeting_id: int, entry_id: int) -> Any:
    meeting = _managed(request, meeting_id)
    services.remove_entry(actor=request.user, entry=_entry(meeting, entry_id))
    return Status(204, None)


@router.post(
    "/bulletins/meetings/{meeting_id}/audio",
    response={202: BulletinOut, **WRITE_ERRORS},
    summary="Tạo âm thanh bản tin (chạy nền; theo dõi qua GET bản tin)",
)
def request_audio(request: HttpRequest, meeting_id: int) -> Any:
    meeting = _managed(request, meeting_id)
    services.request_audio(actor=request.user, meeting=meeting)
    return Status(202, _bulletin_out(request, meeting, selectors.bulletin_of(meeting)))
