"""Document downloads, the year-of-minutes export with its progress page, the slide outline.

Every view: access helper → selector/service → response. Downloads are scoped exactly like the
meeting (meeting_for_user, MEETING_VIEW): 404 outside the user's subtree.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from chibo.accounts.access import get_scope, meeting_for_user, org_for_user, require
from chibo.accounts.permissions import Perm
from chibo.core.forms import apply_service_errors, show_conflict
from chibo.core.versions import Stale
from chibo.documents import kinds, services
from chibo.documents.forms import ExportForm, OutlineForm
from chibo.documents.models import BatchExport
from chibo.documents.record import build
from chibo.meetings.models import ThematicTopic
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind

EXPORT_KINDS = [*CELL_KINDS, OrgKind.COMMUNE, OrgKind.GRASSROOTS, OrgKind.OTHER]


def file_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def download(request: HttpRequest, pk: int, kind: str, fmt: str) -> HttpResponse:
    meeting, can_manage = meeting_for_user(request.user, pk, need=Perm.MEETING_VIEW)
    if kind not in kinds.KINDS or fmt not in kinds.KINDS[kind].formats:
        raise Http404("Không có văn bản này.")
    if not can_manage and meeting.published_at is None:  # as for uploaded documents
        raise Http404(kinds.NOT_PUBLISHED)
    try:
        data, filename, content_type = kinds.render(build(meeting), kind, fmt)
    except kinds.NotAvailable as exc:
        return render(request, "documents/unavailable.html", {"message": str(exc), "m": meeting}, status=409)
    return file_response(data, filename, content_type)


def _export_orgs(user: Any) -> Any:
    return Organisation.objects.filter(get_scope(user).q(Perm.MEETING_VIEW), kind__in=EXPORT_KINDS).order_by("path")


@require_http_methods(["GET", "POST"])
@login_required
def export_new(request: HttpRequest) -> HttpResponse:
    organisations = _export_orgs(request.user)
    form = ExportForm(request.POST or None, organisations=organisations,
                      initial={"organisation": request.GET.get("to_chuc")})
    if request.method == "POST" and form.is_valid():
        org, _ = org_for_user(request.user, form.cleaned_data["organisation"].pk, need=Perm.ORG_VIEW)
        require(request.user, org, Perm.MEETING_VIEW)
        try:
            export = services.request_export(actor=request.user, organisation=org, year=form.cleaned_data["year"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("documents:export", pk=export.pk)
    recent = (BatchExport.objects.filter(requested_by=request.user).select_related("organisation")[:10]
              if request.user.is_authenticated else [])
    return render(request, "documents/export_new.html", {"form": form, "recent": recent})


def _export_for(user: Any, pk: int) -> BatchExport:
    export = get_object_or_404(BatchExport.objects.select_related("organisation"), pk=pk)
    require(user, export.organisation, Perm.MEETING_VIEW)  # 404 outside the subtree
    return export


@require_GET
@login_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = _export_for(request.user, pk)
    template = "documents/_export_progress.html" if getattr(request, "htmx", False) else "documents/export.html"
    return render(request, template, {"export": export})


@require_GET
@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = _export_for(request.user, pk)
    if not export.file:
        raise Http404("Tệp chưa sẵn sàng.")
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404("Tệp không còn trên máy chủ.") from None
    name = export.file.name.rsplit("/", 1)[-1]
    response = FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def outline_edit(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = get_object_or_404(ThematicTopic.objects.select_related("plan__organisation"), pk=topic_id)
    require(request.user, topic.plan.organisation, Perm.MEETING_MANAGE)  # 404 outsiders, 403 read-only
    initial = {"outline": topic.outline, "key_points": topic.key_points, "conclusion": topic.conclusion,
               "expected_version": services.outline_version(topic)}
    form = OutlineForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("expected_version") or None
        try:
            services.update_outline(actor=request.user, topic=topic, expected_version=expected, **data)
        except Stale as exc:
            show_conflict(form, exc)
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Đã lưu đề cương chuyên đề.")
            meeting = topic.meetings.order_by("scheduled_at").first()
            return redirect("meetings:detail", pk=meeting.pk) if meeting else redirect("documents:outline", topic_id)
    meeting = topic.meetings.order_by("scheduled_at").first()
    return render(request, "documents/outline.html", {"form": form, "topic": topic, "meeting": meeting},
                  status=status)
