"""Meeting pages: list, annual plan, prepare, live screen, record, notifications, iCal feed.

Every view: access helper (meeting_for_user / org_for_user with the permission it needs) →
one service or selector → response. Live-screen actions answer htmx requests with the updated
fragment and plain form posts with a redirect, so the screen works with and without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial, wraps
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chibo.accounts.access import check_meeting, get_scope, meeting_for_user, org_for_user, perms_for
from chibo.accounts.permissions import Perm
from chibo.core.forms import apply_service_errors
from chibo.meetings import forms as mf
from chibo.meetings import live_parts, record_cache, selectors, services
from chibo.meetings.documents import add_document, remove_document
from chibo.meetings.models import (
    AgendaItem,
    AnnualPlan,
    Attendance,
    AttendanceStatus,
    Ballot,
    Choice,
    Guest,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    Notification,
    ScoreColumn,
    Speech,
    Task,
    TaskReport,
    Vote,
    VoteMethod,
)
from chibo.members.models import Member
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind, under
from chibo.rules import engine, loader

HELD = (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED, MeetingStatus.APPROVED)
RUNNING = (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED)
EXCLUSION_LABELS = {
    "exempt": "miễn sinh hoạt",
    "special_duty": "lực lượng vũ trang làm nhiệm vụ đặc biệt",
    "away": "sinh hoạt tạm thời nơi khác",
    "suspended": "đình chỉ sinh hoạt",
}
BREACH_RULES = {
    "attendance_rate": "Tỷ lệ dự họp",
    "unexcused": "Vắng không lý do",
    "consecutive_excused": "Vắng có lý do nhiều lần liên tiếp",
    "duration": "Thời lượng sinh hoạt",
    "documents": "Công bố tài liệu trước buổi sinh hoạt",
    "notice_upper": "Thông báo cấp ủy cấp trên",
    "vote": "Biểu quyết nghị quyết",
}
GRADE_TONE = {"tot": "good", "kha": "ok", "trung_binh": "warn", "kem": "bad"}


# --- small helpers --------------------------------------------------------------------
def _pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _refused(request: HttpRequest, message: str, meeting_pk: Any = None) -> HttpResponse:
    if _is_htmx(request):
        html = render_to_string("meetings/live/_alert.html", {"message": message, "tone": "error"}, request)
        return HttpResponse(
            html, status=403, headers={"HX-Retarget": "#live-alert", "HX-Reswap": "innerHTML"}
        )
    back = reverse("meetings:detail", args=[meeting_pk]) if meeting_pk else reverse("meetings:list")
    return render(request, "meetings/refused.html", {"message": message, "back": back}, status=403)


def explain_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A 403 that says why (locked record, read-only role) instead of a bare 'Forbidden'."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            message = str(exc) or "Bạn không có quyền thực hiện thao tác này."
            return _refused(request, message, kwargs.get("pk"))

    return wrapper


def _managed(request: HttpRequest, pk: int) -> Meeting:
    """The meeting, for a write: 404 outside the subtree, 403 read-only, 403 once approved."""
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_MANAGE)
    if meeting.is_locked:
        raise services.MeetingLocked()
    return meeting


def _cells_with(user: Any, perm: Perm) -> QuerySet[Organisation]:
    return Organisation.objects.filter(get_scope(user).q(perm), kind__in=list(CELL_KINDS)).order_by(
        "sort_key"
    )


def _cell_for(user: Any, pk: Any, need: Perm) -> Organisation:
    cell, _ = org_for_user(user, pk, need=need)
    if not cell.is_cell:
        raise Http404("Chỉ chi bộ mới có kế hoạch sinh hoạt.")
    return cell


def _cell_members(cell: Organisation) -> QuerySet[Member]:
    return Member.objects.filter(organisation=cell, left_at__isnull=True).order_by("sort_key", "id")


def _groups(cell: Organisation) -> QuerySet[Organisation]:
    return Organisation.objects.filter(parent=cell, kind=OrgKind.GROUP).order_by("sort_key")


def _grade_label(book: Any, grade: str) -> str:
    return next((b.label for b in book.scorecard.bands if b.grade == grade), grade)


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else ""


def documents_check(
    meeting: Meeting, book: Any, has_documents: bool, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The rulebook's 'documents published ≥ N days before' rule, as the page and publish show it."""
    rule = book.documents
    now = now or timezone.now()
    deadline = meeting.scheduled_at - dt.timedelta(days=rule.publish_days_before)
    rule_text = (
        f"Tài liệu, dự thảo nghị quyết phải công bố trước buổi sinh hoạt ít nhất {rule.publish_days_before} ngày, "
        f"tức trước {_local(deadline)} ({rule.source})."
    )
    if meeting.published_at and has_documents:
        ok = engine.documents_on_time(meeting.published_at, meeting.scheduled_at, book)
        text = f"Đã công bố lúc {_local(meeting.published_at)}: " + (
            "đúng hạn." if ok else "muộn so với hạn."
        )
    elif not has_documents:
        ok = False
        text = "Chưa có tài liệu nào. Hãy tải lên dự thảo nghị quyết/báo cáo rồi công bố."
    elif now <= deadline:
        ok = None
        days = (deadline - now).days
        text = (
            f"Chưa công bố. Còn {days} ngày {((deadline - now).seconds // 3600)} giờ đến hạn."
            if days
            else (f"Chưa công bố. Còn {((deadline - now).seconds // 3600)} giờ đến hạn.")
        )
    else:
        ok = False
        text = "Chưa công bố và đã quá hạn: buổi sinh hoạt sẽ bị ghi nhận công bố tài liệu muộn."
    return {"ok": ok, "text": text, "rule": rule_text, "deadline": deadline}


# --- list -----------------------------------------------------------------------------
@require_GET
@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    org = None
    if request.GET.get("to_chuc"):
        org, _ = org_for_user(request.user, request.GET["to_chuc"], need=Perm.MEETING_VIEW)
    try:
        year = int(request.GET.get("nam") or 0) or None
    except ValueError:
        year = None
    qs = selectors.visible_meetings(request.user).select_related("organisation")
    if org is not None:
        qs = qs.filter(under(org.path, "organisation__"))
    if year:
        qs = qs.filter(scheduled_at__year=year)
    since = timezone.now() - dt.timedelta(hours=12)
    upcoming = list(
        qs.filter(scheduled_at__gte=since)
        .exclude(status=MeetingStatus.APPROVED)
        .order_by("scheduled_at")[:60]
    )
    recent = Paginator(
        qs.filter(Q(scheduled_at__lt=since) | Q(status=MeetingStatus.APPROVED)).order_by("-scheduled_at"), 50
    ).get_page(request.GET.get("trang"))
    books: dict[str, Any] = {}
    for m in [*upcoming, *recent]:
        if m.fig_grade:
            if m.rulebook_code not in books:
                books[m.rulebook_code] = loader.get(m.rulebook_code or None)
            m.grade_label = _grade_label(books[m.rulebook_code], m.fig_grade)  # type: ignore[attr-defined]
    manageable = list(_cells_with(request.user, Perm.MEETING_MANAGE)[:6])
    if org is not None:
        manageable = [c for c in manageable if c.path.startswith(org.path)] or (
            [org] if org.is_cell and Perm.MEETING_MANAGE in perms_for(request.user, org) else []
        )
    this_year = timezone.localdate().year
    return render(
        request,
        "meetings/list.html",
        {
            "org": org,
            "year": year,
            "upcoming": upcoming,
            "recent": recent,
            "cells": _cells_with(request.user, Perm.MEETING_VIEW)[:500],
            "years": list(range(this_year + 1, this_year - 4, -1)),
            "manageable": manageable[:5],
            "plan_year": year or this_year,
        },
    )


# --- annual plan ----------------------------------------------------------------------
def _plan_context(request: HttpRequest, cell: Organisation, year: int, **forms_: Any) -> dict[str, Any]:
    plan = AnnualPlan.objects.filter(organisation=cell, year=year).first()
    meetings = list(selectors.meetings_of(cell, year).select_related("topic"))
    months = []
    for month in range(1, 13):
        rows = [m for m in meetings if timezone.localtime(m.scheduled_at).month == month]
        for m in rows:
            m.reschedule_form = forms_.get(f"reschedule-{m.pk}") or mf.RescheduleForm(  # type: ignore[attr-defined]
                initial={
                    "date": timezone.localtime(m.scheduled_at).date(),
                    "time": timezone.localtime(m.scheduled_at).time(),
                    "expected_version": m.version,
                },
                auto_id=f"m{m.pk}_%s",
            )
        months.append({"month": month, "meetings": rows, "quarter": (month - 1) // 3 + 1})
    topics = list(plan.topics.select_related("presenter", "presenter_group")) if plan else []
    by_topic = {m.topic_id: m for m in meetings if m.topic_id}
    quarters = [
        {"quarter": q, "topics": [(t, by_topic.get(t.pk)) for t in topics if t.quarter == q]}
        for q in range(1, 5)
    ]
    can_manage = Perm.MEETING_MANAGE in perms_for(request.user, cell)
    return {
        "cell": cell,
        "year": year,
        "plan": plan,
        "months": months,
        "quarters": quarters,
        "warnings": selectors.plan_warnings(cell, year) if plan or meetings else [],
        "can_manage": can_manage,
        "plan_form": forms_.get("plan") or mf.PlanForm(initial={"place": cell.address}),
        "topic_form": forms_.get("topic") or mf.TopicForm(members=_cell_members(cell), groups=_groups(cell)),
        "years": [year - 1, year + 1],
    }


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise Http404("Năm không hợp lệ.")
    return year


@require_GET
@login_required
def plan_view(request: HttpRequest, cell_id: int, year: int) -> HttpResponse:
    cell = _cell_for(request.user, cell_id, Perm.MEETING_VIEW)
    return render(request, "meetings/plan.html", _plan_context(request, cell, _year(year)))


@require_POST
@login_required
@explain_refusals
def plan_create(request: HttpRequest, cell_id: int, year: int) -> HttpResponse:
    cell = _cell_for(request.user, cell_id, Perm.MEETING_MANAGE)
    form = mf.PlanForm(request.POST)
    if form.is_valid():
        try:
            services.create_plan(actor=request.user, cell=cell, year=_year(year), **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã lập kế hoạch năm {year}: 12 buổi sinh hoạt thường kỳ.")
            return redirect("meetings:plan", cell_id=cell.pk, year=year)
    return render(request, "meetings/plan.html", _plan_context(request, cell, year, plan=form))


@require_POST
@login_required
@explain_refusals
def topic_add(request: HttpRequest, cell_id: int, year: int) -> HttpResponse:
    cell = _cell_for(request.user, cell_id, Perm.MEETING_MANAGE)
    plan = get_object_or_404(AnnualPlan, organisation=cell, year=year)
    form = mf.TopicForm(request.POST, members=_cell_members(cell), groups=_groups(cell))
    if form.is_valid():
        try:
            services.add_topic(actor=request.user, plan=plan, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã thêm chuyên đề “{form.cleaned_data['title']}”.")
            return redirect(
                f"{reverse('meetings:plan', args=[cell.pk, year])}#quy-{form.cleaned_data['quarter']}"
            )
    return render(request, "meetings/plan.html", _plan_context(request, cell, year, topic=form))


@require_POST
@login_required
@explain_refusals
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    form = mf.RescheduleForm(request.POST, auto_id=f"m{meeting.pk}_%s")
    year = timezone.localtime(meeting.scheduled_at).year
    if form.is_valid():
        try:
            services.update_meeting(
                actor=request.user,
                meeting=meeting,
                expected_version=form.cleaned_data["expected_version"],
                scheduled_at=mf.combine(form.cleaned_data["date"], form.cleaned_data["time"]),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã đổi lịch sang {_local(meeting.scheduled_at)}.")
            return redirect(
                f"{reverse('meetings:plan', args=[meeting.organisation_id, year])}#thang-{timezone.localtime(meeting.scheduled_at).month}"
            )
    context = _plan_context(request, meeting.organisation, year, **{f"reschedule-{meeting.pk}": form})
    return render(request, "meetings/plan.html", context)


# --- create and prepare ---------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@login_required
@explain_refusals
def meeting_create(request: HttpRequest) -> HttpResponse:
    cells = _cells_with(request.user, Perm.MEETING_MANAGE)
    initial: dict[str, Any] = {
        "kind": request.GET.get("loai") or MeetingKind.REGULAR,
        "time": dt.time(19, 30),
    }
    if request.GET.get("to_chuc"):
        cell = _cell_for(request.user, request.GET["to_chuc"], Perm.MEETING_MANAGE)
        initial.update(organisation=cell.pk, place=cell.address)
    elif not cells.exists():
        raise PermissionDenied("Bạn không có quyền thêm buổi sinh hoạt ở chi bộ nào.")
    form = mf.MeetingCreateForm(request.POST or None, cells=cells, initial=initial)
    if request.method == "POST" and form.is_valid():
        cell = _cell_for(request.user, form.cleaned_data["organisation"].pk, Perm.MEETING_MANAGE)
        try:
            meeting = services.create_meeting(actor=request.user, **{**form.service_kwargs(), "cell": cell})
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, f"Đã thêm {meeting.get_kind_display().lower()} ngày {_local(meeting.scheduled_at)}."
            )
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/create.html", {"form": form})


def _detail_context(request: HttpRequest, meeting: Meeting, **forms_: Any) -> dict[str, Any]:
    perms = perms_for(request.user, meeting.organisation)
    can_manage = Perm.MEETING_MANAGE in perms
    if meeting.is_locked:
        return _record_context(request, meeting, can_manage, **forms_)
    editable = can_manage
    documents = list(meeting.documents.select_related("uploaded_by").order_by("uploaded_at"))
    book = services.rulebook_of(meeting)
    # The cell's members and whoever is on the roll: a subquery, not a join + DISTINCT (which
    # scanned every attendance row of the cell's members, three times: one per select).
    members = Member.objects.filter(
        Q(organisation=meeting.organisation, left_at__isnull=True)
        | Q(pk__in=Attendance.objects.filter(meeting=meeting).values("member_id"))
    ).order_by("sort_key", "id")
    ids = {meeting.preparer_id, meeting.chair_id, meeting.secretary_id} - {None}
    people = {p.pk: p for p in Member.objects.filter(pk__in=ids)} if ids else {}  # one query, not three
    for role in ("preparer", "chair", "secretary"):
        if getattr(meeting, f"{role}_id") in people:
            setattr(meeting, role, people[getattr(meeting, f"{role}_id")])
    context: dict[str, Any] = {
        "m": meeting,
        "book": book,
        "can_manage": can_manage,
        "editable": editable,
        "can_score_upper": Perm.MEETING_SCORE_UPPER in perms and meeting.status in RUNNING,
        "documents": documents if can_manage or meeting.published_at else [],
        "docs_check": documents_check(meeting, book, bool(documents)),
        "held": meeting.status in HELD,
        "preparer": meeting.preparer,
        "chair": meeting.chair,
        "secretary_member": meeting.secretary,
    }
    if editable:
        context["details_form"] = forms_.get("details") or mf.MeetingDetailsForm(
            initial=mf.MeetingDetailsForm.initial_for(meeting),
            members=members,
            kind_editable=meeting.status in (MeetingStatus.PLANNED, MeetingStatus.PUBLISHED),
        )
        context["document_form"] = forms_.get("document") or mf.DocumentForm()
    return context


@cache
def _blank_amendment_form() -> SimpleNamespace:
    """The empty amendment form as the template shows it (`.as_div`), rendered once per process: it
    holds no per-request value (the CSRF token is the template's own tag)."""
    return SimpleNamespace(as_div=mark_safe(str(mf.AmendmentForm().as_div())))  # noqa: S308 (our render)


def _record_context(request: HttpRequest, meeting: Meeting, can_manage: bool, **forms_: Any) -> dict[str, Any]:
    """The approved record: its HTML comes from record_cache (rendered once per version for every
    reader); only the amendment form and the live bulletin are made per request."""
    parts = record_cache.fragments(meeting, can_manage=can_manage, build=partial(record_fragments, meeting))
    record = {k: mark_safe(v) if v is not None else None for k, v in parts.items()}  # noqa: S308 (our render)
    if record_cache.BULLETIN_SLOT in record["body"]:
        from chibo.bulletin.templatetags.bulletin_tags import bulletin_step

        live = render_to_string("bulletin/_meeting_step.html", bulletin_step({"request": request}, meeting))
        record["body"] = mark_safe(record["body"].replace(record_cache.BULLETIN_SLOT, live))  # noqa: S308
    return {
        "m": meeting,
        "can_manage": can_manage,
        "editable": False,
        "can_score_upper": False,
        "held": True,
        "record": record,
        "amendment_form": (forms_.get("amendment") or _blank_amendment_form()) if can_manage else None,
    }


def warm_record(meeting: Meeting) -> None:
    """Once the current transaction commits (at once outside one), render approved MEETING's record
    for readers who manage the cell and for those who do not, through record_fragments, and keep it
    in record_cache: called by the views and the API right after an approval or an amendment, so the
    members who open the new minutes are served from the cache. The writer's request pays the
    rendering; a failure is logged and the page renders on demand (record_cache.warm)."""
    pk = meeting.pk
    transaction.on_commit(lambda: record_cache.warm(pk, build=record_fragments))


def record_fragments(meeting: Meeting, can_manage: bool) -> dict[str, str | None]:
    """Render the parts of approved MEETING's page that are the same for every reader who does
    (or does not) manage the cell: loaded once, with its documents, people and amendments, and
    judged no more (the snapshot is the verdict). No request and no user: the page (on a cache miss)
    and warm_record (right after the record changed) both render through here. What is loaded is
    kept on MEETING for its version (_record_loaded): record_cache.warm renders both variants of
    one meeting object and loads it once."""
    m, context = _record_loaded(meeting)
    context = {
        **context,
        "can_manage": can_manage,
        "documents": context["documents"] if can_manage or m.published_at else [],
    }
    return {
        "head": render_to_string("meetings/record/_head.html", context),
        "amendments": render_to_string("meetings/record/_amendments.html", context),
        "documents": render_to_string("meetings/_documents.html", context),
        # The slides depend on the topic's outline, which can still change: read each time.
        "official": None if m.topic_id else render_to_string("documents/_meeting_documents.html", context),
        "body": render_to_string("meetings/record/_body.html", context),
    }


_LOADED = "_chibo_record_loaded"  # MEETING's attribute: (version, loaded meeting, context)


def _record_loaded(meeting: Meeting) -> tuple[Meeting, dict[str, Any]]:
    """Approved MEETING loaded for its record (selectors.live_screen, the approved names, the
    rulebook, the board as approved) and the context every variant shares; kept on MEETING for
    its version, so a second variant rendered from the same object costs no query."""
    kept = meeting.__dict__.get(_LOADED)
    if kept is not None and kept[0] == meeting.version:
        return kept[1], kept[2]
    m = selectors.live_screen(meeting)
    selectors.use_approved_names(m)
    book = services.rulebook_of(m)
    context: dict[str, Any] = {
        "m": m,
        "book": book,
        "editable": False,
        "documents": list(m.documents.all()),
        "bulletin_slot": mark_safe(record_cache.BULLETIN_SLOT),  # noqa: S308 (a constant)
    }
    context.update(_board(None, m, editable=False, book=book, loaded=True), record=True)
    context["amendments"] = list(m.amendments.all())
    context["figures"] = m.snapshot.get("figures", {})
    context["grade_label"] = _grade_label(book, m.fig_grade) if m.fig_grade else ""
    context["grade_tone"] = GRADE_TONE.get(m.fig_grade, "")
    context["snapshot_breaches"] = [
        {"rule": BREACH_RULES.get(b.get("code", ""), ""), "message": b.get("message", "")}
        for b in m.snapshot.get("breaches", [])
    ]
    meeting.__dict__[_LOADED] = (meeting.version, m, context)
    return m, context


@require_GET
@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _ = meeting_for_user(request.user, pk, bulletin=True)  # (the page shows it)
    return render(request, "meetings/detail.html", _detail_context(request, meeting))


@require_POST
@login_required
@explain_refusals
def meeting_update(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    members = Member.objects.filter(
        Q(organisation=meeting.organisation) | Q(attendance__meeting=meeting)
    ).distinct()
    form = mf.MeetingDetailsForm(
        request.POST,
        members=members,
        kind_editable=meeting.status in (MeetingStatus.PLANNED, MeetingStatus.PUBLISHED),
    )
    if form.is_valid():
        try:
            services.update_meeting(actor=request.user, meeting=meeting, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Đã lưu thông tin chuẩn bị.")
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/detail.html", _detail_context(request, meeting, details=form))


@require_POST
@login_required
@explain_refusals
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    form = mf.DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            doc = add_document(
                actor=request.user,
                meeting=meeting,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã tải lên “{doc.title}”.")
            return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#tai-lieu")
    return render(request, "meetings/detail.html", _detail_context(request, meeting, document=form))


@require_GET
@login_required
def document_download(request: HttpRequest, pk: int, doc_id: int) -> FileResponse:
    meeting, can_manage = meeting_for_user(request.user, pk)
    doc = get_object_or_404(MeetingDocument, pk=doc_id, meeting=meeting)
    if not can_manage and meeting.published_at is None:
        raise Http404("Tài liệu chưa được công bố.")
    extension = doc.file.name.rsplit(".", 1)[-1] if "." in doc.file.name else ""
    filename = doc.title if doc.title.lower().endswith(f".{extension}") else f"{doc.title}.{extension}"
    try:
        handle = doc.file.open("rb")
    except FileNotFoundError:
        raise Http404("Tệp không còn trên máy chủ.") from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=doc.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
@explain_refusals
def document_remove(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    meeting = _managed(request, pk)
    doc = get_object_or_404(MeetingDocument, pk=doc_id, meeting=meeting)
    remove_document(actor=request.user, document=doc)
    messages.success(request, f"Đã xóa tài liệu “{doc.title}”.")
    return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#tai-lieu")


@require_POST
@login_required
@explain_refusals
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    try:
        meeting = services.publish(actor=request.user, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("meetings:detail", pk=pk)
    sent = Notification.objects.filter(meeting=meeting, created_at__gte=meeting.published_at).count()
    messages.success(request, f"Đã công bố và gửi thông báo đến {sent} người (đảng viên và cấp ủy cấp trên).")
    check = documents_check(meeting, services.rulebook_of(meeting), meeting.documents.exists())
    if check["ok"]:
        messages.success(request, f"Công bố tài liệu: đúng hạn. {check['rule']}")
    else:
        messages.warning(request, f"Công bố tài liệu: {check['text']} {check['rule']}")
    return redirect("meetings:detail", pk=pk)


@require_POST
@login_required
@explain_refusals
def start(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    services.start(actor=request.user, meeting=meeting)
    return redirect("meetings:live", pk=pk)


@require_POST
@login_required
@explain_refusals
def amendment_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_MANAGE)
    form = mf.AmendmentForm(request.POST)
    if form.is_valid():
        try:
            services.add_amendment(actor=request.user, meeting=meeting, text=form.cleaned_data["text"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            warm_record(meeting)
            messages.success(request, "Đã thêm đính chính vào biên bản.")
            return redirect(f"{reverse('meetings:detail', args=[meeting.pk])}#dinh-chinh")
    if not meeting.is_locked:
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
        return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/detail.html", _detail_context(request, meeting, amendment=form))


# --- the live screen ------------------------------------------------------------------
@dataclass
class Failed:
    """A live action the services refused: which form, with what the user typed."""

    key: str
    form: forms.Form | None = None
    errors: list[str] = field(default_factory=list)


def _errors_of(form: forms.Form) -> list[str]:
    return [str(m) for errs in form.errors.values() for m in errs]


def _roll_rows(
    m: Meeting, book: Any, failed: Failed | None, runs: dict[int, int] | None = None
) -> tuple[list[Attendance], list[dict[str, Any]]]:
    """The roster (prefetched on M) and one row per member for the roll-call list. RUNS: the
    excused runs when the caller has them (a live verdict's facts), else read (shown_runs)."""
    fail = failed.key if failed else ""
    attendance = list(m.attendance.all())
    if runs is None:
        runs = selectors.shown_runs(m)
    rows = []
    for a in attendance:
        key = f"att-{a.member_id}"
        row_failed = failed if fail in (key, f"dues-{a.member_id}") else None
        rows.append(
            {
                "a": a,
                "mid": str(a.member_id),  # (the row's ids: not through the template's number formatting)
                "run": runs.get(a.member_id, 0),
                "run_warn": runs.get(a.member_id, 0) > book.attendance.max_consecutive_excused,
                "failed": row_failed,
                "reason": failed.form.data.get("reason", "") if row_failed and failed and failed.form else a.reason,
            }
        )
    return attendance, rows


def _summary(m: Meeting, verdict: selectors.Verdict | selectors.Record, attendance: list[Attendance]) -> dict[str, Any]:
    """The figures bar: on the whole roster (unmarked rows count as not present yet), by the rulebook's base."""
    book = verdict.book
    fig = engine.attendance([a.facts() for a in attendance], book.attendance)
    return {
        "fig": fig,
        "unmarked": sum(1 for a in attendance if not a.status),
        "rate": _pct(fig.rate_percent),
        "rate_ok": engine.attendance_rate_ok(fig, book.attendance),
        "threshold": f"{'trên' if book.attendance.rate_must_exceed else 'từ'} {_pct(float(book.attendance.min_rate_percent)).removesuffix(',0')}%",
        "excluded": ", ".join(EXCLUSION_LABELS[x] for x in sorted(book.attendance.excluded_from_base)),
        "speakers": verdict.speakers,
        "present_total": fig.present_total,
        "dues_count": sum(1 for a in attendance if a.dues_collected),
        "dues_total": sum(a.dues_amount for a in attendance if a.dues_collected),
        "duration": selectors.duration_minutes(m),
        "min_duration": book.duration.minimum_for(m.kind),
        "source": book.attendance.source,
    }


def _who_choices(present: list[Attendance], guests: list[Guest]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Who may be recorded as speaking: members present, then guests."""
    return [
        (label, options)
        for label, options in (
            ("Đảng viên có mặt", [(f"m{a.member_id}", a.member.full_name) for a in present]),
            (
                "Đại biểu",
                [(f"g{g.pk}", f"{g.name}{' — ' + g.position if g.position else ''}") for g in guests],
            ),
        )
        if options
    ]


def _breaches(verdict: selectors.Verdict | selectors.Record) -> list[dict[str, str]]:
    return [{"rule": BREACH_RULES.get(b.code, b.code), "message": b.message} for b in verdict.breaches]


def _row_board(
    request: HttpRequest, meeting: Meeting, *, failed: Failed | None = None, screen: Meeting | None = None
) -> dict[str, Any]:
    """What a roll-call or dues answer re-renders (meetings/live/_row_response.html): the row, the
    figures, the warnings, the speaker list and the data-proved scores — not the whole board (its
    forms, tasks and votes), which the roll call does not change. SCREEN: the meeting already
    loaded like roll_call_screen() (a mark's, live_parts.screen_after_mark), else read here."""
    m = screen if screen is not None else selectors.roll_call_screen(meeting)
    verdict = selectors.judge(m)
    # A running meeting shows the runs judge() has just computed (shown_runs = excused_runs).
    attendance, rows = _roll_rows(m, verdict.book, failed, runs=verdict.facts.excused_runs)
    present = [a for a in attendance if a.status == AttendanceStatus.PRESENT]
    items = list(m.items.all())
    return {
        "m": m,
        "book": verdict.book,
        "verdict": verdict,
        "editable": Perm.MEETING_MANAGE in perms_for(request.user, m.organisation) and not m.is_locked,
        "rows": rows,
        "summary": _summary(m, verdict, attendance),
        "running": next((i for i in items if i.started_at and not i.ended_at), None),
        "who_choices": _who_choices(present, list(m.guests.all())),
        # The data-proved scores, (code, points) as shown (the board's _score.html draws the rest).
        "autos": [
            (c.code, str(points))
            for c in verdict.book.scorecard.criteria_for(m.kind)
            if (points := verdict.auto.get(c.code)) is not None
        ],
        "breaches": _breaches(verdict),
        "failed": failed,
    }


def _board(
    request: HttpRequest | None,
    meeting: Meeting,
    *,
    editable: bool | None = None,
    failed: Failed | None = None,
    book: Any = None,
    loaded: bool = False,
) -> dict[str, Any]:
    """Everything the live screen (and the approved record) shows, in a fixed number of queries.

    LOADED: MEETING already comes from selectors.live_screen. An approved meeting shows the
    verdict its approval froze (selectors.recorded), a running one is judged now. REQUEST None: the
    approved record, the same for every reader (no user's permissions are read; nothing is editable).
    """
    m = meeting if loaded else selectors.live_screen(meeting)
    verdict: selectors.Verdict | selectors.Record
    if m.status == MeetingStatus.APPROVED and m.snapshot:
        verdict = selectors.recorded(m, book or services.rulebook_of(m))
    else:
        verdict = selectors.judge(m)
    book = verdict.book
    perms = perms_for(request.user, m.organisation) if request is not None else frozenset()
    if editable is None:
        editable = Perm.MEETING_MANAGE in perms and not m.is_locked
    can_upper = Perm.MEETING_SCORE_UPPER in perms and m.status in RUNNING
    fail = failed.key if failed else ""

    # A judged (running) meeting: the runs judge() has just computed; an approved one: as frozen.
    runs = verdict.facts.excused_runs if isinstance(verdict, selectors.Verdict) else None
    attendance, rows = _roll_rows(m, book, failed, runs=runs)
    present = [a for a in attendance if a.status == AttendanceStatus.PRESENT]
    summary = _summary(m, verdict, attendance)

    items = list(m.items.all())
    speeches = list(m.speeches.all())
    running = next((i for i in items if i.started_at and not i.ended_at), None)
    agenda = []
    for i in items:
        minutes = (
            int((i.ended_at - i.started_at).total_seconds() // 60) if i.started_at and i.ended_at else None
        )
        key = f"conclusion-{i.pk}"
        agenda.append(
            {
                "item": i,
                "running": i is running,
                "minutes": minutes,
                "speeches": [s for s in speeches if s.item_id == i.pk],
                "failed": failed if fail == key else None,
                "conclusion": failed.form.data.get("text", "")
                if fail == key and failed and failed.form
                else i.conclusion,
                # the version of the text the editor sees (a failed form keeps the one it was drawn with)
                "version": failed.form.data.get("record_version", "")
                if fail == key and failed and failed.form
                else services.conclusion_version(i),
            }
        )
    loose_speeches = [s for s in speeches if s.item_id is None]
    guests = list(m.guests.all())
    item_choices = [(i.pk, f"{n}. {i.title}") for n, i in enumerate(items, start=1)]
    who_choices = _who_choices(present, guests)
    roster_choices = [(a.member_id, a.member.full_name) for a in attendance]

    def form_for(key: str, make: Callable[[], forms.Form], shown: bool | None = None) -> forms.Form | None:
        """The failed form for KEY, else a new one; None when the page shows no form (read-only
        viewers and the approved record only see the values, so building forms there is waste)."""
        if failed and failed.key == key and failed.form is not None:
            return failed.form
        return make() if (editable if shown is None else shown) else None

    groups = list(_groups(m.organisation)) if editable else []  # only the task form lists them
    if m.status == MeetingStatus.APPROVED:
        # The record shows the tasks reviewed at the meeting (its reports), as the minutes do; the
        # cell's open tasks of today (some assigned at later meetings) are not part of it.
        reviewed = list(
            TaskReport.objects.filter(meeting=m)
            .select_related("task__assignee", "task__assignee_group")
            .order_by("task__due_date", "task_id")
        )
        selectors.use_approved_names(m, [r.task.assignee for r in reviewed])
        open_tasks = [r.task for r in reviewed]
        reports = {r.task_id: r for r in reviewed}
    else:
        open_tasks = list(selectors.open_tasks_for(m))
        reports = {r.task_id: r for r in TaskReport.objects.filter(meeting=m)}
    task_rows = [
        {
            "t": t,
            "report": reports.get(t.pk),
            "failed": failed if fail == f"report-{t.pk}" else None,
            "text": failed.form.data.get("text", "")
            if fail == f"report-{t.pk}" and failed and failed.form
            else (reports[t.pk].text if t.pk in reports else ""),
            "version": failed.form.data.get("record_version", "")
            if fail == f"report-{t.pk}" and failed and failed.form
            else services.report_version(reports.get(t.pk)),
        }
        for t in open_tasks
    ]
    new_tasks = list(m.tasks_assigned.all())
    assignees = [
        (label, options)
        for label, options in (
            ("Đảng viên", [(f"m{a.member_id}", a.member.full_name) for a in attendance]),
            ("Tổ đảng", [(f"g{g.pk}", g.name) for g in groups]),
        )
        if options
    ]

    votes = sorted(m.votes.all(), key=lambda v: (v.opened_at, v.pk))
    ballots: dict[int, dict[int, str]] = {}
    if any(v.method == VoteMethod.BY_NAME for v in votes):
        for b in Ballot.objects.filter(vote__meeting=m).values("vote_id", "member_id", "choice"):
            ballots.setdefault(b["vote_id"], {})[b["member_id"]] = b["choice"]
    present_ids = {a.member_id for a in present}
    pass_pct = _pct(float(book.vote.pass_fraction * 100)).removesuffix(",0")
    vote_rows = []
    for v in votes:
        eligible = set(v.eligible_ids)
        vote_rows.append(
            {
                "v": v,
                "voters": len(present_ids & eligible),
                "ballots": [
                    {"a": a, "choice": ballots.get(v.pk, {}).get(a.member_id, "")}
                    for a in present
                    if a.member_id in eligible
                ],
                "cast": len(ballots.get(v.pk, {})),
                "failed": failed if fail == f"vote-{v.pk}" else None,
                "close_form": form_for(f"vote-{v.pk}", lambda pk=v.pk: mf.VoteCloseForm(auto_id=f"v{pk}_%s")),
            }
        )
    open_vote = next((v for v in votes if v.closed_at is None), None)

    criteria = book.scorecard.criteria_for(m.kind)
    sheets = {s.column: s for s in m.scores.all()}
    cell_sheet, upper_sheet = sheets.get(ScoreColumn.CELL), sheets.get(ScoreColumn.UPPER)
    manual = {c.code for c in criteria if verdict.auto.get(c.code) is None}
    cell_form = form_for(
        "score-cell",
        lambda: mf.ScoreForm(
            criteria=criteria,
            entered=manual,
            auto_id="cell_%s",
            initial={
                **{f"c_{k}": v for k, v in (cell_sheet.entries if cell_sheet else {}).items()},
                "note": cell_sheet.note if cell_sheet else "",
                "record_version": services.score_version(cell_sheet),
            },
        ),
    )
    upper_form = form_for(
        "score-upper",
        lambda: mf.ScoreForm(
            criteria=criteria,
            auto_id="upper_%s",
            initial={
                **{
                    f"c_{c.code}": verdict.auto.get(c.code)
                    for c in criteria
                    if verdict.auto.get(c.code) is not None
                },
                **{f"c_{k}": v for k, v in (upper_sheet.entries if upper_sheet else {}).items()},
                "note": upper_sheet.note if upper_sheet else "",
                "record_version": services.score_version(upper_sheet),
            },
        ),
        shown=can_upper,
    )
    for f, form_id in ((cell_form, "score-cell"), (upper_form, "score-upper")):
        if f is None:
            continue
        for name in f.fields:
            f.fields[name].widget.attrs.update({"form": form_id})
            if name.startswith("c_"):
                f.fields[name].widget.attrs.update({"inputmode": "numeric", "class": "score-input"})
    score_rows = [
        {
            "c": c,
            "auto": verdict.auto.get(c.code),
            "cell_field": cell_form[f"c_{c.code}"] if cell_form and c.code in manual else None,
            "cell_value": verdict.auto.get(c.code)
            if c.code not in manual
            else (cell_sheet.entries.get(c.code) if cell_sheet else None),
            "upper_field": upper_form[f"c_{c.code}"] if upper_form else None,
            "upper_value": upper_sheet.entries.get(c.code) if upper_sheet else None,
        }
        for c in criteria
    ]
    bands = [
        {"grade": b.grade, "label": b.label, "min": b.min, "key": b.requires_key_full}
        for b in book.scorecard.bands
    ]

    return {
        "m": m,
        "book": book,
        "verdict": verdict,
        "editable": editable,
        "can_upper": can_upper,
        "rows": rows,
        "summary": summary,
        "agenda": agenda,
        "running": running,
        "loose_speeches": loose_speeches,
        "guests": guests,
        "task_rows": task_rows,
        "new_tasks": new_tasks,
        "vote_rows": vote_rows,
        "open_vote": open_vote,
        "pass_pct": pass_pct,
        "score_rows": score_rows,
        "bands_json": json.dumps(bands),
        "key_criteria": [c.title for c in criteria if c.code in book.scorecard.key_criteria],
        "key_codes": list(book.scorecard.key_criteria),
        "cell_form": cell_form,
        "upper_form": upper_form,
        "cell_sheet": cell_sheet,
        "upper_sheet": upper_sheet,
        "cell_grade": verdict.cell_grade,
        "upper_grade": verdict.upper_grade,
        "breaches": _breaches(verdict),
        "minutes_missing": verdict.minutes_missing,
        "people_form": form_for(
            "people",
            lambda: mf.PeopleForm(
                members=roster_choices,
                initial={"chair": m.chair_id, "secretary": m.secretary_id, "expected_version": m.version},
            ),
        ),
        "guest_form": form_for("guest", lambda: mf.GuestForm(auto_id="guest_%s")),
        "item_form": form_for("item", lambda: mf.ItemForm(items=item_choices, auto_id="item_%s")),
        "speech_form": form_for(
            "speech",
            lambda: mf.SpeechForm(
                who=who_choices,
                items=item_choices,
                initial={"item": running.pk if running else None},
                auto_id="speech_%s",
            ),
        ),
        "who_choices": who_choices,
        "task_form": form_for("task", lambda: mf.TaskForm(assignees=assignees, auto_id="task_%s")),
        "vote_form": form_for("vote-open", lambda: mf.VoteOpenForm(auto_id="vote_%s")),
        "failed": failed,
        "ballot_choices": Choice.choices,
    }


def _live_page(
    request: HttpRequest,
    meeting: Meeting,
    *,
    failed: Failed | None = None,
    status: int = 200,
    alert: str = "",
) -> HttpResponse:
    context = _board(request, meeting, failed=failed)
    context["alert"] = alert
    template = "meetings/live/_board.html" if _is_htmx(request) else "meetings/live.html"
    return render(request, template, context, status=status)


@require_GET
@login_required
def live(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, can_manage = meeting_for_user(request.user, pk)
    if meeting.is_locked:
        return redirect("meetings:detail", pk=pk)
    if meeting.status not in RUNNING:
        messages.info(
            request,
            "Buổi sinh hoạt chưa bắt đầu."
            + (" Bấm “Bắt đầu họp” khi chi bộ đã tập trung." if can_manage else ""),
        )
        return redirect("meetings:detail", pk=pk)
    return _live_page(request, meeting)


ANCHORS = {
    "att": "sec-roll",
    "dues": "sec-roll",
    "people": "sec-agenda",
    "guest": "sec-guests",
    "item": "sec-agenda",
    "conclusion": "sec-agenda",
    "speech": "sec-speech",
    "report": "sec-tasks",
    "task": "sec-tasks",
    "vote": "sec-vote",
    "score": "sec-score",
    "finish": "sec-finish",
}


def _act(
    request: HttpRequest,
    meeting: Meeting,
    key: str,
    action: Callable[[dict[str, Any]], Any],
    form: forms.Form | None = None,
    *,
    row: int | None = None,
    on_success: Callable[[], HttpResponse] | None = None,
    screen: Callable[[], Meeting | None] | None = None,
) -> HttpResponse:
    """Run one live action: validate FORM, call the service, answer with the updated fragment (htmx)
    or a redirect (plain form post). Refusals: 403 (locked/read-only), 409 (stale version).
    SCREEN: for a ROW answer, the meeting as the action left it loaded (None: read it again)."""
    errors: list[str] = []
    if form is not None and not form.is_valid():
        errors = _errors_of(form)
    else:
        try:
            action(form.cleaned_data if form is not None else {})
        except services.Conflict as exc:
            message = " ".join(exc.messages)
            if _is_htmx(request):
                context = _board(request, meeting)
                context.update(message=message)
                html = render_to_string("meetings/live/_conflict.html", context, request)
                return HttpResponse(
                    html, status=409, headers={"HX-Retarget": "#live-alert", "HX-Reswap": "innerHTML"}
                )
            return _live_page(request, meeting, status=409, alert=message)
        except ValidationError as exc:
            if form is None:
                form = forms.Form(data={})
                form.is_valid()
            apply_service_errors(form, exc)
            errors = _errors_of(form)
    failed = Failed(key=key, form=form, errors=errors) if errors else None
    if failed is None and on_success is not None:
        return on_success()
    if not _is_htmx(request):
        if failed:
            return _live_page(request, meeting, failed=failed)
        return redirect(
            f"{reverse('meetings:live', args=[meeting.pk])}#{ANCHORS.get(key.split('-')[0], 'live')}"
        )
    if row is not None:
        context = _row_board(request, meeting, failed=failed, screen=screen() if screen else None)
        context["row"] = next((r for r in context["rows"] if r["a"].member_id == row), None)
        if context["row"] is None:  # not on the roll (a refused form for a member id made up)
            raise Http404("Đảng viên này không có trong danh sách của buổi sinh hoạt.")
        return render(request, "meetings/live/_row_response.html", context)
    return _live_page(request, meeting, failed=failed)


@require_POST
@login_required
@explain_refusals
def set_people(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    roster = {a.member_id: a.member for a in meeting.attendance.select_related("member")}
    form = mf.PeopleForm(request.POST, members=[(k, v.full_name) for k, v in roster.items()])
    return _act(
        request,
        meeting,
        "people",
        lambda d: services.update_meeting(
            actor=request.user,
            meeting=meeting,
            expected_version=d["expected_version"],
            chair=roster.get(d["chair"]),
            secretary=roster.get(d["secretary"]),
        ),
        form,
    )


@require_POST
@login_required
@explain_refusals
def set_attendance(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    form = mf.AttendanceForm(request.POST)
    if form.is_valid():
        # The mark reads the meeting once, under its lock, and checks access there (404/403, locked:
        # as _managed, before anything is written); the answer's other reads go by its pk.
        meeting = Meeting(pk=pk)
    else:
        meeting = _managed(request, pk)
        if not meeting.attendance.filter(member_id=member_id).exists():
            raise Http404("Đảng viên này không có trong danh sách của buổi sinh hoạt.")  # (a valid mark: NotOnRoll)
    marked: list[services.Marked] = []

    def mark(d: dict[str, Any]) -> None:
        marked.append(
            services.mark_attendance(
                actor=request.user,
                meeting=meeting,
                member_id=member_id,  # found on the roll the mark reads under its lock
                status=d["status"],
                reason=d["reason"],
                expected_version=d["expected_version"],
                authorize=lambda locked: check_meeting(request.user, locked, need=Perm.MEETING_MANAGE),
            )
        )

    def screen() -> Meeting | None:
        # The answer shows the roll the mark was written into and the parts it cannot change.
        return live_parts.screen_after_mark(marked[0].meeting, marked[0].roster) if marked else None

    try:
        return _act(request, meeting, f"att-{member_id}", mark, form, row=member_id, screen=screen)
    except services.NotOnRoll:
        raise Http404("Đảng viên này không có trong danh sách của buổi sinh hoạt.") from None
    except Meeting.DoesNotExist:
        raise Http404("Không tìm thấy buổi sinh hoạt.") from None


@require_POST
@login_required
@explain_refusals
def set_dues(request: HttpRequest, pk: int, member_id: int) -> HttpResponse:
    meeting = _managed(request, pk)
    row = get_object_or_404(Attendance.objects.select_related("member"), meeting=meeting, member_id=member_id)
    return _act(
        request,
        meeting,
        f"dues-{member_id}",
        lambda d: services.set_dues(
            actor=request.user,
            meeting=meeting,
            member=row.member,
            collected=d["collected"],
            amount=d["amount"] or 0,
        ),
        mf.DuesForm(request.POST),
        row=member_id,
    )


@require_POST
@login_required
@explain_refusals
def guest_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    return _act(
        request,
        meeting,
        "guest",
        lambda d: services.add_guest(actor=request.user, meeting=meeting, **d),
        mf.GuestForm(request.POST, auto_id="guest_%s"),
    )


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    return get_object_or_404(AgendaItem, pk=item_id, meeting=meeting)


@require_POST
@login_required
@explain_refusals
def item_start(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    meeting = _managed(request, pk)
    item = _item(meeting, item_id)
    return _act(
        request, meeting, f"item-{item_id}", lambda d: services.start_item(actor=request.user, item=item)
    )


@require_POST
@login_required
@explain_refusals
def item_end(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    meeting = _managed(request, pk)
    item = _item(meeting, item_id)
    return _act(
        request, meeting, f"item-{item_id}", lambda d: services.end_item(actor=request.user, item=item)
    )


@require_POST
@login_required
@explain_refusals
def item_move(request: HttpRequest, pk: int, item_id: int, direction: str) -> HttpResponse:
    meeting = _managed(request, pk)
    item = _item(meeting, item_id)
    return _act(
        request,
        meeting,
        f"item-{item_id}",
        lambda d: services.move_item(actor=request.user, item=item, up=direction == "len"),
    )


@require_POST
@login_required
@explain_refusals
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    items = {i.pk: i for i in meeting.items.all()}
    form = mf.ItemForm(request.POST, items=[(k, v.title) for k, v in items.items()], auto_id="item_%s")
    return _act(
        request,
        meeting,
        "item",
        lambda d: services.add_item(
            actor=request.user,
            meeting=meeting,
            title=d["title"],
            after=items.get(d["after"]),
        ),
        form,
    )


@require_POST
@login_required
@explain_refusals
def conclusion(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    meeting = _managed(request, pk)
    item = _item(meeting, item_id)
    return _act(
        request,
        meeting,
        f"conclusion-{item_id}",
        lambda d: services.set_conclusion(
            actor=request.user, item=item, text=d["text"], expected_version=d["record_version"] or None
        ),
        mf.ConclusionForm(request.POST),
    )


@require_POST
@login_required
@explain_refusals
def speech_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    members = {f"m{a.member_id}": a.member for a in meeting.attendance.select_related("member")}
    guests = {f"g{g.pk}": g for g in meeting.guests.all()}
    items = {i.pk: i for i in meeting.items.all()}
    form = mf.SpeechForm(
        request.POST,
        auto_id="speech_%s",
        who=[(k, v.full_name) for k, v in members.items()] + [(k, g.name) for k, g in guests.items()],
        items=[(k, v.title) for k, v in items.items()],
    )
    return _act(
        request,
        meeting,
        "speech",
        lambda d: services.add_speech(
            actor=request.user,
            meeting=meeting,
            summary=d["summary"],
            member=members.get(d["who"]),
            guest=guests.get(d["who"]),
            item=items.get(d["item"]),
        ),
        form,
    )


@require_POST
@login_required
@explain_refusals
def speech_delete(request: HttpRequest, pk: int, speech_id: int) -> HttpResponse:
    meeting = _managed(request, pk)
    speech = get_object_or_404(Speech, pk=speech_id, meeting=meeting)
    return _act(
        request, meeting, "speech", lambda d: services.delete_speech(actor=request.user, speech=speech)
    )


@require_POST
@login_required
@explain_refusals
def task_report(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    meeting = _managed(request, pk)
    task = get_object_or_404(Task, pk=task_id, organisation=meeting.organisation)
    return _act(
        request,
        meeting,
        f"report-{task_id}",
        lambda d: services.report_task(
            actor=request.user,
            meeting=meeting,
            task=task,
            text=d["text"],
            done=d["done"],
            expected_version=d["record_version"] or None,
        ),
        mf.TaskReportForm(request.POST),
    )


@require_POST
@login_required
@explain_refusals
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    members = {f"m{a.member_id}": a.member for a in meeting.attendance.select_related("member")}
    groups = {f"g{g.pk}": g for g in _groups(meeting.organisation)}
    form = mf.TaskForm(
        request.POST,
        auto_id="task_%s",
        assignees=[(k, v.full_name) for k, v in members.items()] + [(k, g.name) for k, g in groups.items()],
    )
    return _act(
        request,
        meeting,
        "task",
        lambda d: services.assign_task(
            actor=request.user,
            meeting=meeting,
            title=d["title"],
            assignee=members.get(d["assignee"]),
            assignee_group=groups.get(d["assignee"]),
            due_date=d["due_date"],
        ),
        form,
    )


@require_POST
@login_required
@explain_refusals
def vote_open(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    return _act(
        request,
        meeting,
        "vote-open",
        lambda d: services.open_vote(actor=request.user, meeting=meeting, **d),
        mf.VoteOpenForm(request.POST, auto_id="vote_%s"),
    )


@require_POST
@login_required
@explain_refusals
def ballot(request: HttpRequest, pk: int, vote_id: int) -> HttpResponse:
    meeting = _managed(request, pk)
    vote = get_object_or_404(Vote, pk=vote_id, meeting=meeting)
    form = mf.BallotForm(request.POST)

    def cast(d: dict[str, Any]) -> Any:
        member = Member.objects.filter(pk=d["member"], attendance__meeting=meeting).first()
        if member is None:
            raise ValidationError("Đảng viên không có trong danh sách của buổi sinh hoạt.")
        return services.cast_ballot(actor=request.user, vote=vote, member=member, choice=d["choice"])

    return _act(request, meeting, f"vote-{vote_id}", cast, form)


@require_POST
@login_required
@explain_refusals
def vote_close(request: HttpRequest, pk: int, vote_id: int) -> HttpResponse:
    meeting = _managed(request, pk)
    vote = get_object_or_404(Vote, pk=vote_id, meeting=meeting)
    return _act(
        request,
        meeting,
        f"vote-{vote_id}",
        lambda d: services.close_vote(actor=request.user, vote=vote, **d),
        mf.VoteCloseForm(request.POST, auto_id=f"v{vote_id}_%s"),
    )


def _score(request: HttpRequest, meeting: Meeting, column: str) -> HttpResponse:
    book = services.rulebook_of(meeting)
    criteria = book.scorecard.criteria_for(meeting.kind)
    form = mf.ScoreForm(request.POST, criteria=criteria, auto_id=f"{column}_%s")
    return _act(
        request,
        meeting,
        f"score-{column}",
        lambda d: services.save_score(
            actor=request.user,
            meeting=meeting,
            column=column,
            entries=form.entries(),
            note=d["note"],
            expected_version=d["record_version"] or None,
        ),
        form,
    )


@require_POST
@login_required
@explain_refusals
def score_cell(request: HttpRequest, pk: int) -> HttpResponse:
    return _score(request, _managed(request, pk), ScoreColumn.CELL)


@require_POST
@login_required
@explain_refusals
def score_upper(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_SCORE_UPPER)
    if meeting.status not in HELD:
        raise PermissionDenied("Chỉ chấm điểm buổi sinh hoạt đã diễn ra.")
    return _score(request, meeting, ScoreColumn.UPPER)


@require_POST
@login_required
@explain_refusals
def read_back(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)
    return _act(request, meeting, "finish", lambda d: services.read_back(actor=request.user, meeting=meeting))


@require_POST
@login_required
@explain_refusals
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed(request, pk)

    def done() -> HttpResponse:
        warm_record(meeting)
        messages.success(request, "Đã duyệt biên bản. Biên bản đã khóa; nếu cần sửa, hãy thêm đính chính.")
        url = reverse("meetings:detail", args=[pk])
        if _is_htmx(request):
            return HttpResponse(status=204, headers={"HX-Redirect": url})
        return redirect(url)

    return _act(
        request,
        meeting,
        "finish",
        lambda d: services.approve(actor=request.user, meeting=meeting),
        on_success=done,
    )


# --- notifications and the calendar feed ----------------------------------------------
def feed_token(user_id: int) -> str:
    return salted_hmac("chibo.meetings.ical", str(user_id), algorithm="sha256").hexdigest()[:32]


@require_GET
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user=request.user).select_related("meeting", "meeting__organisation")
    page = Paginator(rows, 50).get_page(request.GET.get("trang"))
    feed = request.build_absolute_uri(
        reverse("meetings:ical", args=[request.user.pk, feed_token(request.user.pk)])
    )
    return render(
        request,
        "meetings/notifications.html",
        {
            "page": page,
            "feed": feed,
            "webcal": "webcal://" + feed.split("://", 1)[1],
            "unread": rows.filter(read_at__isnull=True).count(),
        },
    )


@require_POST
@login_required
def notification_read(request: HttpRequest, note_id: int) -> HttpResponse:
    note = get_object_or_404(Notification, pk=note_id, user=request.user)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    if note.meeting_id and request.POST.get("mo"):
        return redirect("meetings:detail", pk=note.meeting_id)
    return redirect("meetings:notifications")


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    n = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, f"Đã đánh dấu {n} thông báo là đã đọc.")
    return redirect("meetings:notifications")


def _ics_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _ics_fold(line: str) -> str:
    """Fold at 75 octets (RFC 5545 §3.1) without splitting a UTF-8 character."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def _ics_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


@require_GET
def ical_feed(request: HttpRequest, user_id: int, token: str) -> HttpResponse:
    if not constant_time_compare(token, feed_token(user_id)):
        raise Http404("Không tìm thấy lịch.")
    user = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    now = timezone.now()
    own = (
        Q(organisation_id=user.member.organisation_id)
        if user.member_id and user.member.organisation_id
        else Q(pk__in=[])
    )
    meetings = (
        Meeting.objects.filter(get_scope(user).q(Perm.MEETING_VIEW, "organisation__path") | own)
        .filter(scheduled_at__gte=now - dt.timedelta(days=92), scheduled_at__lte=now + dt.timedelta(days=366))
        .select_related("organisation")
        .order_by("scheduled_at")[:3000]
    )
    books: dict[int, Any] = {}
    stamp = _ics_time(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//chibo//Lich sinh hoat chi bo//VI",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Lịch sinh hoạt chi bộ",
        "X-WR-TIMEZONE:" + str(timezone.get_current_timezone()),
    ]
    host = request.get_host().split(":")[0]
    for m in meetings:
        if m.ended_at and m.started_at:
            end = m.scheduled_at + (m.ended_at - m.started_at)
        else:
            if m.organisation_id not in books:
                books[m.organisation_id] = services.rulebook_of(m)
            end = m.scheduled_at + dt.timedelta(minutes=books[m.organisation_id].duration.minimum_for(m.kind))
        url = request.build_absolute_uri(reverse("meetings:detail", args=[m.pk]))
        description = "\n".join(x for x in [m.title, f"Trạng thái: {m.get_status_display()}", url] if x)
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{m.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_ics_time(m.scheduled_at)}",
            f"DTEND:{_ics_time(end)}",
            f"SEQUENCE:{m.version}",
            f"SUMMARY:{_ics_text(f'{m.get_kind_display()} — {m.organisation.name}')}",
            f"LOCATION:{_ics_text(m.place)}",
            f"DESCRIPTION:{_ics_text(description)}",
            f"URL:{url}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    body = "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="chibo.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


# --- task follow-up -------------------------------------------------------------------
@require_GET
@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """Every task the user's cells were given, open ones first, with the latest report."""
    org = None
    if request.GET.get("to_chuc"):
        org, _ = org_for_user(request.user, request.GET["to_chuc"], need=Perm.MEETING_VIEW)
    state = request.GET.get("trang_thai") or "mo"
    if state not in selectors.TASK_FILTERS:
        state = "mo"
    mine = request.GET.get("cua_toi") == "1"
    today = timezone.localdate()
    page = Paginator(
        selectors.visible_tasks(request.user, state=state, org=org, mine=mine, today=today), 50
    ).get_page(request.GET.get("trang"))
    query = request.GET.copy()
    query.pop("trang", None)
    return render(
        request,
        "meetings/tasks.html",
        {
            "page": page,
            "org": org,
            "state": state,
            "mine": mine,
            "filters": selectors.TASK_FILTERS,
            "cells": _cells_with(request.user, Perm.MEETING_VIEW)[:200],
            "today": today,
            "query": query.urlencode(),
            "has_member": bool(getattr(request.user, "member_id", None)),
        },
    )
