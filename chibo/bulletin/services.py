"""Every write to feeds, news items and bulletins: validate → write → audit, in one transaction.

A bulletin belongs to a meeting; once the meeting is approved its bulletin is locked like the rest
of the record (MeetingLocked). Bulletin writes lock the meeting row but do not bump
Meeting.version, so preparing the bulletin never makes the live screen report a conflict.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.bulletin import feeds as feedlib
from chibo.bulletin.models import (
    CATEGORY_ORDER,
    AudioStatus,
    Bulletin,
    Category,
    Entry,
    ExtractStatus,
    FeedSource,
    NewsItem,
    Origin,
)
from chibo.core import versions, vntext
from chibo.meetings.models import Meeting
from chibo.meetings.services import MeetingLocked
from chibo.organisations.models import Organisation

MAX_TEXT = 20000
LONG_ARTICLE = 900  # characters: longer texts get a suggested summary


def _category(value: str) -> str:
    if value not in CATEGORY_ORDER:
        raise ValidationError(
            {
                "category": "Hãy chọn chuyên mục: trong tỉnh, trong nước, đối ngoại, thế giới hoặc ngành, đơn vị."
            }
        )
    return value


# --- feeds --------------------------------------------------------------------------------
@transaction.atomic
def add_feed(*, actor: Any, organisation: Organisation, name: str, url: str, category: str) -> FeedSource:
    name = vntext.clean(name)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Thiếu tên nguồn tin."
    try:
        url = feedlib.check_url(url)
    except feedlib.FetchError as exc:
        errors["url"] = str(exc)
    if category not in CATEGORY_ORDER:
        errors["category"] = "Hãy chọn chuyên mục của nguồn tin."
    if errors:
        raise ValidationError(errors)
    if FeedSource.objects.filter(organisation=organisation, url=url).exists():
        raise ValidationError({"url": "Nguồn tin này đã có trong danh sách."})
    feed = FeedSource.objects.create(organisation=organisation, name=name[:200], url=url, category=category)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=feed,
        org_path=organisation.path,
        changes={"name": ["", feed.name], "url": ["", url], "category": ["", category]},
    )
    return feed


@transaction.atomic
def set_feed_active(*, actor: Any, feed: FeedSource, active: bool) -> FeedSource:
    if feed.active != active:
        FeedSource.objects.filter(pk=feed.pk).update(active=active)
        feed.active = active
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=feed,
            org_path=feed.organisation.path,
            changes={"active": [not active, active]},
        )
    return feed


@transaction.atomic
def remove_feed(*, actor: Any, feed: FeedSource) -> None:
    record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=feed,
        org_path=feed.organisation.path,
        changes={"name": [feed.name, ""], "url": [feed.url, ""]},
    )
    feed.delete()


def claim_feed(feed_id: int) -> FeedSource | None:
    """Mark a feed as being fetched (conditional UPDATE: two workers never fetch it at once)."""
    stale = timezone.now() - dt.timedelta(minutes=10)
    claimed = (
        FeedSource.objects.filter(pk=feed_id)
        .filter(models_q_not_fetching(stale))
        .update(fetching=True, last_fetched_at=timezone.now())
    )
    if not claimed:
        return None
    return FeedSource.objects.select_related("organisation").get(pk=feed_id)


def models_q_not_fetching(stale: dt.datetime):  # type: ignore[no-untyped-def]
    from django.db.models import Q

    return Q(fetching=False) | Q(last_fetched_at__lt=stale) | Q(last_fetched_at__isnull=True)


@transaction.atomic
def record_fetch_failure(*, feed: FeedSource, error: str) -> None:
    now = timezone.now()
    FeedSource.objects.filter(pk=feed.pk).update(
        fetching=False, last_error=error[:500], last_error_at=now, last_fetched_at=now, last_new_items=0
    )
    record(
        actor=None,
        action=AuditAction.UPDATE,
        obj=feed,
        org_path=feed.organisation.path,
        changes={"fetch": ["", "lỗi"], "error": ["", error[:200]]},
    )


@transaction.atomic
def record_fetch(
    *, feed: FeedSource, entries: list[feedlib.Entry], warning: str = "", etag: str = "", modified: str = ""
) -> list[NewsItem]:
    """Store new entries (de-duplicated by key within the organisation); mark the feed healthy."""
    now = timezone.now()
    keys = [e.key for e in entries]
    known = set(
        NewsItem.objects.filter(organisation_id=feed.organisation_id, key__in=keys).values_list(
            "key", flat=True
        )
    )
    fresh = [
        NewsItem(
            organisation_id=feed.organisation_id,
            source=feed,
            origin=Origin.FEED,
            category=feed.category,
            key=e.key,
            title=vntext.clean(e.title)[:500],
            link=e.link[:1000],
            summary=vntext.clean(e.summary, multiline=True)[:MAX_TEXT],
            published_at=e.published_at,
        )
        for e in entries
        if e.key not in known
    ]
    NewsItem.objects.bulk_create(fresh, ignore_conflicts=True)
    stored = list(
        NewsItem.objects.filter(organisation_id=feed.organisation_id, key__in=[i.key for i in fresh])
    )
    for item in stored:
        if len(item.full_text) > LONG_ARTICLE:
            set_suggestion(item)
    FeedSource.objects.filter(pk=feed.pk).update(
        fetching=False,
        last_success_at=now,
        last_fetched_at=now,
        last_warning=warning[:300],
        last_new_items=len(stored),
        etag=etag[:300],
        modified=modified[:100],
    )
    if stored:
        record(
            actor=None,
            action=AuditAction.IMPORT,
            obj=feed,
            org_path=feed.organisation.path,
            changes={"items": [0, len(stored)]},
        )
    return stored


def set_suggestion(item: NewsItem) -> None:
    from chibo.bulletin.summarise import summarise

    suggestion = summarise(item.full_text)
    if suggestion and suggestion != item.full_text.strip():
        NewsItem.objects.filter(pk=item.pk).update(suggested=suggestion)
        item.suggested = suggestion


@transaction.atomic
def record_extraction(*, item: NewsItem, body: str) -> NewsItem:
    body = vntext.clean(body, multiline=True)[:MAX_TEXT]
    first, _, rest = body.partition("\n")
    if first.strip().casefold() == item.title.strip().casefold():  # the page's own headline
        body = rest.strip()
    status = ExtractStatus.OK if body else ExtractStatus.FAILED
    NewsItem.objects.filter(pk=item.pk).update(body=body, extract_status=status)
    item.body, item.extract_status = body, status
    if len(item.full_text) > LONG_ARTICLE:
        set_suggestion(item)
    return item


# --- items typed by hand or pushed down ---------------------------------------------------
@transaction.atomic
def add_item(
    *,
    actor: Any,
    organisation: Organisation,
    category: str,
    title: str,
    text: str,
    link: str = "",
    push: bool = False,
) -> NewsItem:
    """A news item typed or pasted by hand; PUSH makes it visible to every cell below ORGANISATION."""
    title = vntext.clean(title)
    text = vntext.clean(text, multiline=True)
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Thiếu tiêu đề tin."
    if not text:
        errors["text"] = "Thiếu nội dung tin."
    elif len(text) > MAX_TEXT:
        errors["text"] = f"Nội dung quá dài (tối đa {MAX_TEXT} ký tự)."
    if category not in CATEGORY_ORDER:
        errors["category"] = "Hãy chọn chuyên mục của tin."
    if link:
        try:
            link = feedlib.check_url(link)
        except feedlib.FetchError as exc:
            errors["link"] = str(exc)
    if push and organisation.is_cell:
        errors["push"] = "Chỉ cấp ủy cấp trên mới chuyển tin xuống các chi bộ."
    if errors:
        raise ValidationError(errors)
    # The same article (by link), or the same title and opening, is not stored twice.
    key = feedlib.entry_key(link, "", f"{title}\n{text[:200]}")
    if NewsItem.objects.filter(organisation=organisation, key=key).exists():
        raise ValidationError({"title": "Tin này đã có trong danh sách."})
    item = NewsItem.objects.create(
        organisation=organisation,
        origin=Origin.PUSHED if push else Origin.MANUAL,
        category=category,
        key=key,
        title=title[:500],
        link=link,
        summary=text,
        published_at=timezone.now(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if len(text) > LONG_ARTICLE:
        set_suggestion(item)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=item,
        org_path=organisation.path,
        changes={"title": ["", item.title], "origin": ["", item.origin], "category": ["", category]},
    )
    return item


# --- the bulletin of a meeting --------------------------------------------------------------
def _lock(meeting: Meeting) -> Meeting:
    fresh = Meeting.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=meeting.pk)
    if fresh.is_locked:
        raise MeetingLocked()
    return fresh


def _bulletin(meeting: Meeting, actor: Any) -> Bulletin:
    bulletin, created = Bulletin.objects.get_or_create(
        meeting=meeting,
        defaults={
            "organisation": meeting.organisation,
            "created_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    if created:
        record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=bulletin,
            org_path=meeting.organisation.path,
            changes={"meeting": ["", str(meeting)]},
        )
    return bulletin


def _touch(bulletin: Bulletin) -> None:
    Bulletin.objects.filter(pk=bulletin.pk).update(updated_at=timezone.now())


def _next_order(bulletin: Bulletin, category: str) -> int:
    top = bulletin.entries.filter(category=category).aggregate(m=Max("order"))["m"]
    return (top or 0) + 1


@transaction.atomic
def add_entry(*, actor: Any, meeting: Meeting, item: NewsItem) -> Entry:
    m = _lock(meeting)
    from chibo.bulletin.selectors import items_for_cell

    if not items_for_cell(m.organisation).filter(pk=item.pk).exists():
        raise ValidationError({"item": "Tin này không thuộc nguồn tin của chi bộ."})
    bulletin = _bulletin(m, actor)
    if bulletin.entries.filter(item=item).exists():
        raise ValidationError({"item": "Tin này đã có trong bản tin."})
    try:
        with transaction.atomic():
            entry = Entry.objects.create(
                bulletin=bulletin,
                item=item,
                category=item.category,
                order=_next_order(bulletin, item.category),
                title=item.title,
                text=item.reading_text[:MAX_TEXT],
                link=item.link,
                source_name=item.source.name if item.source is not None else item.get_origin_display(),
            )
    except IntegrityError:
        raise ValidationError({"item": "Tin này đã có trong bản tin."}) from None
    _touch(bulletin)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=entry,
        org_path=m.organisation.path,
        changes={"title": ["", entry.title], "category": ["", entry.category]},
        object_repr=f"{entry.title} — {m}",
    )
    return entry


@transaction.atomic
def add_typed_entry(*, actor: Any, meeting: Meeting, category: str, title: str, text: str) -> Entry:
    """An entry typed straight into the bulletin (no news item behind it)."""
    m = _lock(meeting)
    title, text = vntext.clean(title), vntext.clean(text, multiline=True)
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Thiếu tiêu đề tin."
    if not text:
        errors["text"] = "Thiếu nội dung đọc."
    if category not in CATEGORY_ORDER:
        errors["category"] = "Hãy chọn chuyên mục của tin."
    if errors:
        raise ValidationError(errors)
    bulletin = _bulletin(m, actor)
    entry = Entry.objects.create(
        bulletin=bulletin,
        category=category,
        order=_next_order(bulletin, category),
        title=title[:500],
        text=text[:MAX_TEXT],
        source_name="Nhập tay",
    )
    _touch(bulletin)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=entry,
        org_path=m.organisation.path,
        changes={"title": ["", entry.title], "category": ["", category]},
        object_repr=f"{entry.title} — {m}",
    )
    return entry


def _entry(entry: Entry) -> tuple[Meeting, Entry]:
    m = _lock(entry.bulletin.meeting)
    fresh = Entry.objects.select_related("bulletin").get(pk=entry.pk)
    return m, fresh


def entry_version(entry: Entry) -> str:
    """The version of ENTRY's title, text and category an editor saw (chibo.core.versions)."""
    return versions.token(entry.title, entry.text, entry.category)


@transaction.atomic
def check_entry_version(entry: Entry, expected_version: str | None) -> tuple[Meeting, Entry]:
    """Lock ENTRY's meeting and raise versions.Stale, naming the current title and text, when
    EXPECTED_VERSION was sent and the entry changed since (call it inside the writer's transaction)."""
    m, e = _entry(entry)
    versions.check(
        expected_version,
        entry_version(e),
        f"Tin “{e.title}” vừa được người khác sửa nên nội dung của bạn chưa được lưu. Hiện tại: tiêu đề "
        f"{versions.quoted(e.title)}, chuyên mục {e.get_category_display()}, nội dung đọc "
        f"{versions.quoted(e.text)}. Hãy xem lại rồi lưu lại.",
    )
    return m, e


@transaction.atomic
def update_entry(
    *, actor: Any, entry: Entry, title: str, text: str, category: str | None = None,
    expected_version: str | None = None,
) -> Entry:
    """With EXPECTED_VERSION (entry_version() of what the editor saw), an entry changed since raises
    versions.Stale naming its current title and text; nothing is written."""
    m, e = check_entry_version(entry, expected_version)
    title, text = vntext.clean(title), vntext.clean(text, multiline=True)
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Thiếu tiêu đề tin."
    if not text:
        errors["text"] = "Nội dung đọc không được để trống."
    elif len(text) > MAX_TEXT:
        errors["text"] = f"Nội dung quá dài (tối đa {MAX_TEXT} ký tự)."
    if category is not None and category not in CATEGORY_ORDER:
        errors["category"] = "Hãy chọn chuyên mục của tin."
    if errors:
        raise ValidationError(errors)
    before = {"title": e.title, "text": e.text[:200], "category": e.category}
    e.title, e.text = title[:500], text
    if category is not None and category != e.category:
        e.category = category
        e.order = _next_order(e.bulletin, category)
    e.save(update_fields=["title", "text", "category", "order"])
    _touch(e.bulletin)
    after = {"title": e.title, "text": e.text[:200], "category": e.category}
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=e,
        org_path=m.organisation.path,
        changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        object_repr=f"{e.title} — {m}",
    )
    entry.title, entry.text, entry.category = e.title, e.text, e.category
    return e


@transaction.atomic
def use_text(*, actor: Any, entry: Entry, which: str, expected_version: str | None = None) -> Entry:
    """Accept the suggested summary ('summary') or go back to the full article ('full'). It replaces
    the text, so it takes the version of the entry the editor saw, like update_entry."""
    if entry.item_id is None:
        raise ValidationError({"text": "Tin nhập tay không có bản tóm tắt đề xuất."})
    item = NewsItem.objects.get(pk=entry.item_id)
    if which == "summary":
        if not item.suggested:
            raise ValidationError({"text": "Tin này ngắn, không có bản tóm tắt đề xuất."})
        text = item.suggested
    elif which == "full":
        text = item.full_text or item.title
    else:
        raise ValidationError({"text": "Lựa chọn không hợp lệ."})
    _, e = _entry(entry)
    return update_entry(actor=actor, entry=e, title=e.title, text=text, expected_version=expected_version)


@transaction.atomic
def move_entry(*, actor: Any, entry: Entry, up: bool) -> Entry:
    m, e = _entry(entry)
    siblings = list(e.bulletin.entries.filter(category=e.category).order_by("order", "id"))
    for i, s in enumerate(siblings, start=1):  # renumber so swaps are always well defined
        if s.order != i:
            Entry.objects.filter(pk=s.pk).update(order=i)
            s.order = i
    idx = next(i for i, s in enumerate(siblings) if s.pk == e.pk)
    other = idx - 1 if up else idx + 1
    if 0 <= other < len(siblings):
        a, b = siblings[idx], siblings[other]
        Entry.objects.filter(pk=a.pk).update(order=b.order)
        Entry.objects.filter(pk=b.pk).update(order=a.order)
        _touch(e.bulletin)
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=e,
            org_path=m.organisation.path,
            changes={"order": [a.order, b.order]},
            object_repr=f"{e.title} — {m}",
        )
        e.order = b.order
    return e


@transaction.atomic
def remove_entry(*, actor: Any, entry: Entry) -> None:
    m, e = _entry(entry)
    record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=e,
        org_path=m.organisation.path,
        changes={"title": [e.title, ""]},
        object_repr=f"{e.title} — {m}",
    )
    bulletin = e.bulletin
    e.delete()
    _touch(bulletin)


# --- audio --------------------------------------------------------------------------------
@transaction.atomic
def request_audio(*, actor: Any, meeting: Meeting) -> Bulletin:
    """Queue the newsreader for this bulletin; the task renders item by item (chibo.bulletin.tasks)."""
    m = _lock(meeting)
    bulletin = Bulletin.objects.select_for_update().filter(meeting=m).first()
    if bulletin is None or not bulletin.entries.exists():
        raise ValidationError("Bản tin chưa có mục nào để đọc.")
    if (
        bulletin.audio_status in (AudioStatus.QUEUED, AudioStatus.RENDERING)
        and bulletin.audio_requested_at
        and bulletin.audio_requested_at > timezone.now() - dt.timedelta(minutes=15)
    ):
        raise ValidationError("Âm thanh đang được tạo; hãy chờ xong rồi thử lại.")
    total = bulletin.entries.count()
    Bulletin.objects.filter(pk=bulletin.pk).update(
        audio_status=AudioStatus.QUEUED,
        audio_done=0,
        audio_total=total,
        audio_error="",
        audio_requested_at=timezone.now(),
    )
    bulletin.entries.update(audio_status=AudioStatus.QUEUED, audio_error="")
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=bulletin,
        org_path=m.organisation.path,
        changes={"audio": ["", "queued"], "entries": [0, total]},
    )
    from chibo.bulletin.tasks import render_bulletin_audio

    transaction.on_commit(lambda: render_bulletin_audio.enqueue(bulletin.pk))
    bulletin.refresh_from_db()
    return bulletin


def category_label(value: str) -> str:
    return Category(value).label
