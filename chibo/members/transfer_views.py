"""Member import (upload → preview → confirm) and export (.xlsx / .csv)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from chibo.accounts.access import get_scope, org_for_user, require
from chibo.accounts.permissions import Perm
from chibo.members import exports, imports, selectors
from chibo.members.models import ImportBatch
from chibo.organisations.models import Organisation

PREVIEW_PAGE_SIZE = 200
PROBLEM_SUMMARY_LIMIT = 200


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Tệp dữ liệu (.xlsx hoặc .csv)",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        error_messages={"required": "Hãy chọn tệp để tải lên.", "empty": "Tệp rỗng."},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            imports.check_upload(upload.name or "", upload.size or 0)
        except imports.ImportFileError as exc:
            raise forms.ValidationError(str(exc))
        return upload


def _import_org(request: HttpRequest) -> Organisation | None:
    """The organisation the import starts from (?to_chuc), checked for MEMBER_MANAGE."""
    pk = request.GET.get("to_chuc") or request.POST.get("to_chuc")
    if pk:
        org, _ = org_for_user(request.user, pk)
        require(request.user, org, Perm.MEMBER_MANAGE)
        return org
    if not get_scope(request.user).has_anywhere(Perm.MEMBER_MANAGE):
        raise PermissionDenied("Bạn không có quyền nhập đảng viên.")
    return None


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    org = _import_org(request)
    posted = request.method == "POST"
    form = ImportUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch, ignored = imports.create_batch(
                user=request.user, file_name=upload.name, data=upload.read(), default_org=org
            )
        except imports.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            if ignored:
                messages.info(request, "Đã bỏ qua các cột không nhận ra: " + ", ".join(ignored) + ".")
            return redirect("members:import_preview", pk=batch.pk)
    context = {
        "form": form,
        "org": org,
        "columns": imports.COLUMNS,
        "max_size": imports.max_upload_text(),
    }
    return render(request, "members/import_upload.html", context)


def _preview_rows(batch: ImportBatch, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "line": row["line"],
            "values": row["values"],
            "cccd_masked": row.get("cccd_masked", ""),
            "problems": batch.errors.get(str(row["line"]), []),
        }
        for row in rows
    ]


def _list_url(batch: ImportBatch, cell_ids: tuple[int, ...]) -> str:
    org_id = cell_ids[0] if len(cell_ids) == 1 else batch.organisation_id
    url = reverse("members:list")
    return f"{url}?to_chuc={org_id}" if org_id else url


def _confirm(request: HttpRequest, batch: ImportBatch) -> HttpResponse:
    if not get_scope(request.user).has_anywhere(Perm.MEMBER_MANAGE):
        raise PermissionDenied("Bạn không có quyền nhập đảng viên.")
    outcome = imports.apply_batch(batch=batch, user=request.user)
    if outcome.ok:
        messages.success(
            request,
            format_html(
                '{} <a href="{}">Xem danh sách đảng viên</a>.',
                outcome.message,
                _list_url(batch, outcome.cell_ids),
            ),
        )
    else:
        messages.error(request, outcome.message)
    return redirect("members:import_preview", pk=batch.pk)


def _cancel(request: HttpRequest, batch: ImportBatch) -> HttpResponse:
    if imports.cancel_batch(batch=batch):
        messages.info(request, "Đã hủy lô nhập; không có dữ liệu nào được ghi.")
    else:
        messages.error(request, imports.ALREADY_DONE)
    url = reverse("members:import")
    return redirect(f"{url}?to_chuc={batch.organisation_id}" if batch.organisation_id else url)


@require_http_methods(["GET", "POST"])
@login_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    # Only the uploader may see a batch: it holds personal data from their file.
    batch = get_object_or_404(
        ImportBatch.objects.select_related("organisation"), pk=pk, created_by=request.user
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "confirm":
            return _confirm(request, batch)
        if action == "cancel":
            return _cancel(request, batch)
        return HttpResponseBadRequest("Thao tác không hợp lệ.")
    only_errors = request.GET.get("loi") == "1"
    rows = batch.rows
    if only_errors:
        rows = [row for row in rows if str(row["line"]) in batch.errors]
    page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("trang"))
    problems = batch.problem_lines()
    context = {
        "batch": batch,
        "page": page,
        "rows": _preview_rows(batch, list(page.object_list)),
        "only_errors": only_errors,
        "problems": problems[:PROBLEM_SUMMARY_LIMIT],
        "more_problems": max(0, len(problems) - PROBLEM_SUMMARY_LIMIT),
        "can_apply": batch.is_pending and not batch.errors,
        "valid_count": batch.row_count - batch.error_count,
        "default_cell_name": batch.organisation.name
        if batch.organisation is not None and batch.organisation.is_cell
        else "",
    }
    return render(request, "members/import_preview.html", context)


@require_GET
@login_required
def export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("dinh_dang") or "xlsx"
    if fmt not in exports.FORMATS:
        return HttpResponseBadRequest("Định dạng phải là xlsx hoặc csv.")
    org = None
    if request.GET.get("to_chuc"):
        org, _ = org_for_user(request.user, request.GET["to_chuc"])
    members = selectors.member_list(request.user, organisation=org)
    exports.record_export(request.user, org, fmt, members.count())
    filename = exports.export_filename(org, fmt)
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_chunks(members, request.user), content_type=exports.CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        response = FileResponse(
            exports.xlsx_file(members, request.user),
            as_attachment=True,
            filename=filename,
            content_type=exports.CONTENT_TYPES["xlsx"],
        )
    add_never_cache_headers(response)
    return response
