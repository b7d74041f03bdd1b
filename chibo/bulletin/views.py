"""Current-affairs pages: news sources of an organisation, and the bulletin of a meeting.

Every view: access helper (org_for_user / meeting_for_user with the permission it needs) → one
service or selector → response. A 403 says why (read-only role, approved meeting).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from chibo.accounts.access import get_scope, meeting_for_user, org_for_user
from chibo.accounts.permissions import Perm
from chibo.bulletin import documents, selectors, services
from chibo.bulletin.forms import EntryForm, FeedForm, ItemForm, TypedEntryForm
from chibo.bulletin.models import AudioStatus, Category, Entry, FeedSource, NewsItem
from chibo.core.forms import apply_service_errors, show_conflict
from chibo.core.versions import Stale
from chibo.meetings.models import Meeting
from chibo.meetings.services import MeetingLocked
from chibo.organisations.models import Organisation


def explain_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            message = str(exc) or "Bạn không có quyền thực hiện thao tác này."
            return render(request, "bulletin/refused.html", {"message": message}, status=403)

    return wrapper


def _managed_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_MANAGE)
    if meeting.is_locked:
        raise MeetingLocked()
    return meeting


def _entry_of(meeting: Meeting, entry_id: int) -> Entry:
    try:
        return Entry.objects.select_related("bulletin", "bulletin__meeting").get(
            pk=entry_id, bulletin__meeting=meeting
        )
    except Entry.DoesNotExist:
        raise Http404("Không tìm thấy mục tin.") from None


# --- overview -----------------------------------------------------------------------------
@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = get_scope(request.user)
    orgs = list(selectors.visible_organisations(request.user)[:200])
    roots = scope.paths_with(Perm.ORG_VIEW)
    # The organisations a user works with: their own nodes and the cells below them.
    mine = [o for o in orgs if o.path in roots or o.is_cell]
    counts = selectors.feed_status_counts(mine)
    rows = [{"org": o, **counts[o.pk]} for o in mine]
    meetings = selectors.meetings_with_bulletins(request.user)
    return render(request, "bulletin/index.html", {"orgs": rows, "meetings": meetings})


# --- an organisation's sources and items --------------------------------------------------
def _news_page(
    request: HttpRequest,
    org: Organisation,
    can_manage: bool,
    *,
    status: int = 200,
    feed_form: FeedForm | None = None,
    item_form: ItemForm | None = None,
) -> HttpResponse:
    category = request.GET.get("chuyen_muc", "")
    items = selectors.items_for_cell(org).select_related("source", "organisation")
    if category in Category.values:
        items = items.filter(category=category)
    page = Paginator(items, 30).get_page(request.GET.get("trang"))
    return render(
        request,
        "bulletin/news.html",
        {
            "org": org,
            "can_manage": can_manage,
            "feeds": selectors.feeds_of(org),
            "page": page,
            "categories": Category.choices,
            "category": category,
            "feed_form": feed_form or FeedForm(prefix="feed"),
            "item_form": item_form or ItemForm(prefix="item"),
            "can_push": not org.is_cell,
        },
        status=status,
    )


@require_GET
@login_required
def news(request: HttpRequest, org_id: int) -> HttpResponse:
    org, _ = org_for_user(request.user, org_id, need=Perm.ORG_VIEW)
    can_manage = Perm.NEWS_MANAGE in get_scope(request.user).perms_at(org.path)
    return _news_page(request, org, can_manage)


@require_POST
@login_required
@explain_refusals
def feed_add(request: HttpRequest, org_id: int) -> HttpResponse:
    org, _ = org_for_user(request.user, org_id, need=Perm.NEWS_MANAGE)
    form = FeedForm(request.POST, prefix="feed")
    if form.is_valid():
        try:
            feed = services.add_feed(actor=request.user, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã thêm nguồn tin “{feed.name}”. Bấm “Lấy tin ngay” để tải tin.")
            return redirect("bulletin:news", org.pk)
    return _news_page(request, org, True, status=400, feed_form=form)


def _feed(org: Organisation, feed_id: int) -> FeedSource:
    try:
        return FeedSource.objects.select_related("organisation").get(pk=feed_id, organisation=org)
    except FeedSource.DoesNotExist:
        raise Http404("Không tìm thấy nguồn tin.") from None


@require_POST
@login_required
@explain_refusals
def feed_fetch(request: HttpRequest, org_id: int, feed_id: int) -> HttpResponse:
    org, _ = org_for_user(request.user, org_id, need=Perm.NEWS_MANAGE)
    feed = _feed(org, feed_id)
    from chibo.bulletin.tasks import fetch_feed

    result = fetch_feed.enqueue(feed.pk)
    feed.refresh_from_db()
    if result.status != TaskResultStatus.SUCCESSFUL or feed.fetching:  # queued for the worker
        messages.info(request, f"Đã gửi yêu cầu lấy tin từ “{feed.name}”; trạng thái sẽ cập nhật khi xong.")
    elif feed.healthy:
        messages.success(request, f"Đã lấy tin từ “{feed.name}”: {feed.last_new_items} tin mới.")
    else:
        messages.error(request, f"Không lấy được tin từ “{feed.name}”: {feed.last_error}")
    return redirect("bulletin:news", org.pk)


@require_POST
@login_required
@explain_refusals
def feed_toggle(request: HttpRequest, org_id: int, feed_id: int) -> HttpResponse:
    org, _ = org_for_user(request.user, org_id, need=Perm.NEWS_MANAGE)
    feed = _feed(org, feed_id)
    services.set_feed_active(actor=request.user, feed=feed, active=not feed.active)
    messages.success(request, f"Đã {'bật' if feed.active else 'tắt'} nguồn tin “{feed.name}”.")
    return redirect("bulletin:news", org.pk)


@require_POST
@login_required
@explain_refusals
def feed_remove(request: HttpRequest, org_id: int, feed_id: int) -> HttpResponse:
    org, _ = org_for_user(request.user, org_id, need=Perm.NEWS_MANAGE)
    feed = _feed(org, feed_id)
    services.remove_feed(actor=request.user, feed=feed)
    messages.success(request, f"Đã xóa nguồn tin “{feed.name}”; các tin đã lấy vẫn được giữ.")
    return redirect("bulletin:news", org.pk)


@require_POST
@login_required
@explain_refusals
def item_add(request: HttpRequest, org_id: int) -> HttpResponse:
    org, _ = org_for_user(request.user, org_id, need=Perm.NEWS_MANAGE)
    form = ItemForm(request.POST, prefix="item")
    if form.is_valid():
        try:
            item = services.add_item(actor=request.user, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            where = " và chuyển xuống các chi bộ trực thuộc" if item.origin == "pushed" else ""
            messages.success(request, f"Đã thêm tin “{item.title}”{where}.")
            return redirect("bulletin:news", org.pk)
    return _news_page(request, org, True, status=400, item_form=form)


# --- the bulletin of a meeting ------------------------------------------------------------
def _builder_context(
    request: HttpRequest, meeting: Meeting, can_manage: bool, **extra: Any
) -> dict[str, Any]:
    bulletin = selectors.bulletin_of(meeting)
    entries = selectors.ordered_entries(bulletin)
    used = {e.item_id for e in entries if e.item_id}
    editable = can_manage and not meeting.is_locked
    available: list[tuple[str, str, list[NewsItem]]] = []
    if editable:
        pool = list(
            selectors.items_for_cell(meeting.organisation).exclude(pk__in=used).select_related("source")[:150]
        )
        available = [(c.value, c.label, [i for i in pool if i.category == c.value]) for c in Category]
    forms_by_entry = extra.pop("entry_forms", {})
    groups = []
    for cat, label, rows in selectors.grouped(entries):
        groups.append(
            (
                cat,
                label,
                [
                    (
                        e,
                        forms_by_entry.get(e.pk)
                        or EntryForm(
                            initial={
                                "title": e.title,
                                "text": e.text,
                                "category": e.category,
                                "expected_version": services.entry_version(e),
                            },
                            prefix=f"e{e.pk}",
                        ),
                    )
                    for e in rows
                ],
            )
        )
    return {
        "m": meeting,
        "bulletin": bulletin,
        "entries": entries,
        "groups": groups,
        "available": available,
        "editable": editable,
        "can_manage": can_manage,
        "typed_form": extra.pop("typed_form", None) or TypedEntryForm(),
        "rendering": bool(bulletin and bulletin.audio_status in (AudioStatus.QUEUED, AudioStatus.RENDERING)),
        **extra,
    }


@require_GET
@login_required
def builder(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can_manage = meeting_for_user(request.user, pk, need=Perm.MEETING_VIEW)
    return render(request, "bulletin/builder.html", _builder_context(request, meeting, can_manage))


def _back(meeting: Meeting, anchor: str = "") -> HttpResponse:
    return redirect(reverse("bulletin:builder", args=[meeting.pk]) + (f"#{anchor}" if anchor else ""))


@require_POST
@login_required
@explain_refusals
def entry_add(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    try:
        item = selectors.items_for_cell(meeting.organisation).select_related("source").get(pk=item_id)
    except NewsItem.DoesNotExist:
        raise Http404("Không tìm thấy tin.") from None
    try:
        entry = services.add_entry(actor=request.user, meeting=meeting, item=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(meeting)
    messages.success(request, f"Đã đưa “{entry.title}” vào bản tin.")
    return _back(meeting, f"entry-{entry.pk}")


@require_POST
@login_required
@explain_refusals
def entry_typed(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = TypedEntryForm(request.POST)
    if form.is_valid():
        try:
            entry = services.add_typed_entry(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã thêm “{entry.title}” vào bản tin.")
            return _back(meeting, f"entry-{entry.pk}")
    ctx = _builder_context(request, meeting, True, typed_form=form)
    return render(request, "bulletin/builder.html", ctx, status=400)


@require_POST
@login_required
@explain_refusals
def entry_update(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    entry = _entry_of(meeting, entry_id)
    form = EntryForm(request.POST, prefix=f"e{entry.pk}")
    status = 400
    if form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("expected_version") or None
        try:
            services.update_entry(actor=request.user, entry=entry, expected_version=expected, **data)
        except Stale as exc:
            show_conflict(form, exc)
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã lưu “{entry.title}”.")
            return _back(meeting, f"entry-{entry.pk}")
    ctx = _builder_context(request, meeting, True, entry_forms={entry.pk: form})
    return render(request, "bulletin/builder.html", ctx, status=status)


@require_POST
@login_required
@explain_refusals
def entry_text(request: HttpRequest, pk: int, entry_id: int, which: str) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    entry = _entry_of(meeting, entry_id)
    try:
        services.use_text(
            actor=request.user,
            entry=entry,
            which=which,
            expected_version=request.POST.get("expected_version") or None,
        )
    except ValidationError as exc:  # a stale click too: the message names the current text
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, "Đã dùng bản tóm tắt đề xuất." if which == "summary" else "Đã dùng toàn văn bài."
        )
    return _back(meeting, f"entry-{entry.pk}")


@require_POST
@login_required
@explain_refusals
def entry_move(request: HttpRequest, pk: int, entry_id: int, direction: str) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    entry = _entry_of(meeting, entry_id)
    services.move_entry(actor=request.user, entry=entry, up=direction == "len")
    return _back(meeting, f"entry-{entry.pk}")


@require_POST
@login_required
@explain_refusals
def entry_remove(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    entry = _entry_of(meeting, entry_id)
    services.remove_entry(actor=request.user, entry=entry)
    messages.success(request, f"Đã bỏ “{entry.title}” khỏi bản tin.")
    return _back(meeting)


# --- audio --------------------------------------------------------------------------------
@require_POST
@login_required
@explain_refusals
def audio_request(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    try:
        services.request_audio(actor=request.user, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, "Đã bắt đầu tạo âm thanh; từng mục sẽ nghe được ngay khi xong.")
    return _back(meeting, "audio")


@require_GET
@login_required
def audio_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """Progress of the newsreader, polled by newsreader.js while it renders: each item's clip is
    added to the page as soon as it is ready, without replacing the ones already playing."""
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_VIEW)
    bulletin = selectors.bulletin_of(meeting)
    entries = selectors.ordered_entries(bulletin)
    return JsonResponse(
        {
            "status": bulletin.audio_status if bulletin else "",
            "done": bulletin.audio_done if bulletin else 0,
            "total": bulletin.audio_total if bulletin else 0,
            "error": bulletin.audio_error if bulletin else "",
            "entries": [
                {
                    "id": e.pk,
                    "status": e.audio_status,
                    "label": e.get_audio_status_display(),
                    "error": e.audio_error,
                    "url": reverse("bulletin:clip", args=[meeting.pk, e.pk])
                    if e.audio_status == AudioStatus.READY
                    else None,
                }
                for e in entries
            ],
        }
    )


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def ranged(request: HttpRequest, data: bytes, content_type: str, filename: str = "") -> HttpResponse:
    """Serve DATA honouring a single byte range: browsers seek audio (chapters) with Range requests."""
    size = len(data)
    m = _RANGE.match(request.headers.get("Range", "").strip())
    if m and (m.group(1) or m.group(2)):
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:  # suffix range: the last N bytes
            start, end = max(0, size - int(m.group(2))), size - 1
        if start >= size or start > end:
            resp = HttpResponse(status=416)
            resp["Content-Range"] = f"bytes */{size}"
            return resp
        resp = HttpResponse(data[start : end + 1], status=206, content_type=content_type)
        resp["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        resp = HttpResponse(data, content_type=content_type)
    resp["Accept-Ranges"] = "bytes"
    resp["Content-Length"] = str(len(resp.content))
    resp["Cache-Control"] = "private, max-age=3600"
    if filename:
        resp["Content-Disposition"] = f'inline; filename="{filename}"'
    return resp


@require_GET
@login_required
def audio_file(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_VIEW)
    bulletin = selectors.bulletin_of(meeting)
    if bulletin is None or not bulletin.audio_ready:
        raise Http404("Bản tin chưa có âm thanh.")
    try:
        with bulletin.audio_file.open("rb") as fh:
            data = fh.read()
    except (FileNotFoundError, OSError):
        raise Http404("Tệp âm thanh không còn trên máy chủ.") from None
    content_type = "audio/ogg" if bulletin.audio_format == "ogg" else "audio/mpeg"
    return ranged(request, data, content_type, f"ban-tin-{meeting.pk}.{bulletin.audio_format or 'mp3'}")


@require_GET
@login_required
def clip_file(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_VIEW)
    entry = _entry_of(meeting, entry_id)
    if entry.audio_status != AudioStatus.READY or not entry.audio_path:
        raise Http404("Mục tin chưa có âm thanh.")
    path = (Path(settings.MEDIA_ROOT) / entry.audio_path).resolve()
    if not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve()) or not path.is_file():
        raise Http404("Tệp âm thanh không còn trên máy chủ.")
    return ranged(request, path.read_bytes(), "audio/wav")


@require_GET
@login_required
def chapters_vtt(request: HttpRequest, pk: int) -> HttpResponse:
    """WebVTT chapters of the joined audio (for <track kind="chapters">)."""
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_VIEW)
    bulletin = selectors.bulletin_of(meeting)
    if bulletin is None or not bulletin.audio_ready:
        raise Http404("Bản tin chưa có âm thanh.")

    def stamp(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    lines = ["WEBVTT", ""]
    for i, ch in enumerate(bulletin.chapters, start=1):
        lines += [str(i), f"{stamp(ch['start'])} --> {stamp(ch['end'])}", ch["title"], ""]
    return HttpResponse("\n".join(lines), content_type="text/vtt; charset=utf-8")


# --- documents ----------------------------------------------------------------------------
@require_GET
@login_required
def download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_VIEW)
    bulletin = selectors.bulletin_of(meeting)
    if fmt == "docx":
        data = documents.docx_bytes(meeting, bulletin)
        ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif fmt == "pdf":
        data = documents.pdf_bytes(meeting, bulletin)
        ctype = "application/pdf"
    else:
        raise Http404("Định dạng không hỗ trợ.")
    response = HttpResponse(data, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{documents.filename(meeting, fmt)}"'
    return response
