"""Pages of the upper committee: dashboards, guidance, officers' rota, inspection, peers, model meetings.

Every view: access helper (chibo.oversight.access / chibo.accounts.access) → one service or
selector → response. 404 outside the user's subtree, 403 (with the reason) for a read-only
user or a locked meeting.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chibo.accounts.access import get_scope, meeting_for_user
from chibo.accounts.permissions import Perm
from chibo.core.forms import apply_service_errors, show_conflict
from chibo.core.versions import Stale
from chibo.meetings.models import DocumentKind, ScoreColumn
from chibo.meetings.services import rulebook_of
from chibo.organisations.models import Organisation
from chibo.oversight import access, dashboard, selectors, services
from chibo.oversight import forms as of
from chibo.oversight.models import GuidanceItem, InspectionProgramme


def explain_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A 403 that says why (read-only role, locked record) instead of a bare 'Forbidden'."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            message = str(exc) or "Bạn không có quyền thực hiện thao tác này."
            return render(request, "oversight/refused.html", {"message": message}, status=403)

    return wrapper


def _guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return login_required(explain_refusals(view))


def _committee_ctx(committee: Organisation, can_manage: bool, tab: str) -> dict[str, Any]:
    return {"committee": committee, "can_manage": can_manage, "tab": tab, "year": timezone.localdate().year}


def _fail(form: Any, exc: ValidationError) -> None:
    apply_service_errors(form, exc)


# --- index and dashboards ----------------------------------------------------------------
@require_GET
@_guarded
def index(request: HttpRequest) -> HttpResponse:
    committees = selectors.committees_for(request.user)
    if len(committees) == 1:
        return redirect("oversight:dashboard", committees[0].pk)
    return render(
        request,
        "oversight/index.html",
        {"committees": committees, "models": selectors.model_meetings_for(request.user)[:10]},
    )


@require_GET
@_guarded
def dashboard_view(request: HttpRequest, org_id: int) -> HttpResponse:
    from chibo.accounts.access import org_for_user

    org, _ = org_for_user(request.user, org_id, need=Perm.MEETING_VIEW)
    period, error = dashboard.parse_period(request.GET.get("tu"), request.GET.get("den"))
    board = dashboard.build(
        org,
        period,
        meeting_url=lambda pk: reverse("meetings:detail", args=[pk]),
        org_url=lambda pk: reverse("oversight:dashboard", args=[pk]) + "?" + period.as_query(),
        allow_stale=True,  # the page may show the last figures while they are computed again (it says so)
    )
    can_manage = Perm.OVERSIGHT_MANAGE in get_scope(request.user).perms_at(org.path) and not org.is_cell
    return render(
        request,
        "oversight/dashboard.html",
        {
            "board": board,
            "org": org,
            "period": period,
            "period_error": error,
            "tu": request.GET.get("tu", f"{period.first[1]:02d}/{period.first[0]}"),
            "den": request.GET.get("den", f"{period.last[1]:02d}/{period.last[0]}"),
            "committee": org if not org.is_cell else None,
            "can_manage": can_manage,
            "tab": "dashboard",
        },
    )


@require_GET
@_guarded
def dashboard_excel(request: HttpRequest, org_id: int) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from chibo.accounts.access import org_for_user

    org, _ = org_for_user(request.user, org_id, need=Perm.MEETING_VIEW)
    period, _ = dashboard.parse_period(request.GET.get("tu"), request.GET.get("den"))
    board = dashboard.build(org, period, detail=True)  # the full lists the page above commune level cuts
    key = request.GET.get("bang")
    if key and key not in board.tables:
        raise Http404("Không có bảng này.")
    tables = [board.tables[key]] if key else list(board.tables.values())
    wb = Workbook()
    wb.remove(wb.active)
    for t in tables:
        ws = wb.create_sheet(t.key[:31])
        ws.append([f"{t.title} — {org.name} — {period.label()}"])
        ws["A1"].font = Font(bold=True)
        ws.append(t.headers)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in t.rows:
            ws.append(row)
        if t.note:
            ws.append([])
            ws.append([t.note])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    name = f"bang-theo-doi-{org.pk}-{key or 'tat-ca'}.xlsx"
    return FileResponse(
        out,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- guidance ------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@_guarded
def guidance_list(request: HttpRequest, org_id: int) -> HttpResponse:
    need = Perm.OVERSIGHT_MANAGE if request.method == "POST" else Perm.ORG_VIEW
    committee, can_manage = access.committee_for_user(request.user, org_id, need=need)
    form = of.GuidanceForm(request.POST or None, committee=committee)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            g = services.create_guidance(
                actor=request.user,
                committee=committee,
                year=d["year"],
                month=d["month"],
                title=d["title"],
                body=d["body"],
                all_cells=d["all_cells"],
                cells=list(d["cells"]),
            )
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "Đã tạo định hướng; thêm nội dung rồi ban hành.")
            return redirect("oversight:guidance", g.pk)
    return render(
        request,
        "oversight/guidance_list.html",
        {
            **_committee_ctx(committee, can_manage, "guidance"),
            "form": form,
            "rows": selectors.guidance_rows(committee),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@_guarded
def guidance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need = Perm.OVERSIGHT_MANAGE if request.method == "POST" else Perm.ORG_VIEW
    g, can_manage = access.guidance_for_user(request.user, pk, need=need)
    form = of.GuidanceItemForm(request.POST or None)
    if request.method == "POST":
        if g.published_at is not None:
            raise PermissionDenied("Định hướng đã ban hành; không thêm nội dung được nữa.")
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.add_guidance_item(
                    actor=request.user,
                    guidance=g,
                    kind=d["kind"],
                    title=d["title"],
                    document_ref=d["document_ref"],
                    deadline=d["deadline"],
                )
            except ValidationError as exc:
                _fail(form, exc)
            else:
                messages.success(request, "Đã thêm nội dung.")
                return redirect("oversight:guidance", g.pk)
    return render(
        request,
        "oversight/guidance_detail.html",
        {
            **_committee_ctx(g.committee, can_manage, "guidance"),
            "g": g,
            "form": form,
            "status": selectors.adoption_status(g),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@_guarded
def guidance_publish(request: HttpRequest, pk: int) -> HttpResponse:
    g, _ = access.guidance_for_user(request.user, pk, need=Perm.OVERSIGHT_MANAGE)
    try:
        sent = services.publish_guidance(actor=request.user, guidance=g)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Đã ban hành định hướng; {sent} người nhận thông báo.")
    return redirect("oversight:guidance", g.pk)


@require_POST
@_guarded
def adopt(request: HttpRequest, item_id: int, meeting_id: int) -> HttpResponse:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_MANAGE)
    item = GuidanceItem.objects.select_related("guidance").filter(pk=item_id).first()
    if item is None or not services.guidance_reaches(meeting, item_id):
        raise Http404("Không tìm thấy nội dung định hướng.")
    try:
        services.adopt(actor=request.user, item=item, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Đã đưa “{item.title}” vào chương trình sinh hoạt.")
    return redirect(reverse("meetings:detail", args=[meeting.pk]) + "#dinh-huong")


# --- officers attending ------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@_guarded
def visits(request: HttpRequest, org_id: int) -> HttpResponse:
    need = Perm.OVERSIGHT_MANAGE if request.method == "POST" else Perm.ORG_VIEW
    committee, can_manage = access.committee_for_user(request.user, org_id, need=need)
    try:
        year = int(request.GET.get("nam") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    form = of.AssignForm(request.POST or None, committee=committee, initial={"year": year})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            v = services.assign_officer(
                actor=request.user,
                committee=committee,
                officer=d["officer"],
                cell=d["cell"],
                year=d["year"],
                month=d["month"],
            )
        except ValidationError as exc:
            _fail(form, exc)
        else:
            note = " và đã gửi thông báo lịch họp" if v.notified_at else "; sẽ thông báo khi chi bộ lên lịch"
            messages.success(request, f"Đã phân công{note}.")
            return redirect(reverse("oversight:visits", args=[committee.pk]) + f"?nam={d['year']}")
    return render(
        request,
        "oversight/visits.html",
        {
            **_committee_ctx(committee, can_manage, "visits"),
            "form": form,
            "year": year,
            "rows": selectors.visit_rows(committee, year),
            "report": selectors.visit_report(committee, year),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@_guarded
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    need = Perm.OVERSIGHT_MANAGE if request.method == "POST" else Perm.ORG_VIEW
    v, can_manage = access.visit_for_user(request.user, pk, need=need)
    form = of.VisitForm(
        request.POST or None,
        initial={"attended": "1" if v.attended is not False else "0", "remarks": v.remarks},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_visit(
                actor=request.user,
                visit=v,
                attended=form.cleaned_data["attended"],
                remarks=form.cleaned_data["remarks"],
            )
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "Đã ghi nhận vào biên bản buổi sinh hoạt.")
            return redirect(reverse("oversight:visits", args=[v.committee_id]) + f"?nam={v.year}")
    return render(
        request,
        "oversight/visit_record.html",
        {
            **_committee_ctx(v.committee, can_manage, "visits"),
            "v": v,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- inspection and supervision ------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@_guarded
def inspection(request: HttpRequest, org_id: int, year: int) -> HttpResponse:
    need = Perm.OVERSIGHT_MANAGE if request.method == "POST" else Perm.ORG_VIEW
    committee, can_manage = access.committee_for_user(request.user, org_id, need=need)
    programme = InspectionProgramme.objects.filter(committee=committee, year=year).first()
    programme_form = of.ProgrammeForm(request.POST if request.POST.get("action") == "programme" else None)
    item_form = of.InspectionItemForm(
        request.POST if request.POST.get("action") == "item" else None, committee=committee
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "programme" and programme_form.is_valid():
                services.create_programme(
                    actor=request.user,
                    committee=committee,
                    year=year,
                    title=programme_form.cleaned_data["title"],
                )
                messages.success(request, "Đã lập chương trình kiểm tra, giám sát.")
                return redirect("oversight:inspection", committee.pk, year)
            if request.POST.get("action") == "item" and programme is not None and item_form.is_valid():
                d = item_form.cleaned_data
                services.add_inspection_item(
                    actor=request.user,
                    programme=programme,
                    kind=d["kind"],
                    content=d["content"],
                    period_from=d["period_from"],
                    period_to=d["period_to"],
                    officer=d["officer"],
                    subject_cell=d["subject_cell"],
                    subject_member=d["subject_member"],
                )
                messages.success(request, "Đã thêm nội dung kiểm tra, giám sát.")
                return redirect("oversight:inspection", committee.pk, year)
        except ValidationError as exc:
            _fail(item_form if request.POST.get("action") == "item" else programme_form, exc)
    return render(
        request,
        "oversight/inspection.html",
        {
            **_committee_ctx(committee, can_manage, "inspection"),
            "programme": programme,
            "year": year,
            "programme_form": programme_form,
            "item_form": item_form,
            "items": selectors.inspection_items(programme) if programme else [],
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@_guarded
def inspection_item(request: HttpRequest, pk: int) -> HttpResponse:
    need = Perm.OVERSIGHT_MANAGE if request.method == "POST" else Perm.ORG_VIEW
    item, can_manage = access.inspection_item_for_user(request.user, pk, need=need)
    action = request.POST.get("action")
    conclude_form = of.ConcludeForm(
        request.POST if action == "conclude" else None,
        initial={
            "result": item.result,
            "conclusion": item.conclusion,
            "expected_version": services.conclusion_version(item),
        },
    )
    rec_form = of.RecommendationForm(request.POST if action == "recommendation" else None)
    status = 400
    if request.method == "POST":
        try:
            if action == "conclude" and conclude_form.is_valid():
                data = dict(conclude_form.cleaned_data)
                services.conclude(
                    actor=request.user, item=item, expected_version=data.pop("expected_version") or None, **data
                )
                messages.success(request, "Đã ghi kết quả và kết luận.")
                return redirect("oversight:inspection_item", item.pk)
            if action == "recommendation" and rec_form.is_valid():
                services.add_recommendation(actor=request.user, item=item, **rec_form.cleaned_data)
                messages.success(request, "Đã thêm kiến nghị.")
                return redirect("oversight:inspection_item", item.pk)
        except Stale as exc:
            show_conflict(conclude_form, exc)
            status = 409
        except ValidationError as exc:
            _fail(conclude_form if action == "conclude" else rec_form, exc)
    return render(
        request,
        "oversight/inspection_item.html",
        {
            **_committee_ctx(item.programme.committee, can_manage, "inspection"),
            "item": item,
            "conclude_form": conclude_form,
            "rec_form": rec_form,
            "follow_form": of.FollowUpForm(),
            "recommendations": item.recommendations.prefetch_related("follow_ups__author"),
        },
        status=status if request.method == "POST" else 200,
    )


@require_POST
@_guarded
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    rec, may_close = access.recommendation_for_follow_up(request.user, pk)
    form = of.FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.add_follow_up(
                actor=request.user,
                recommendation=rec,
                note=form.cleaned_data["note"],
                done=form.cleaned_data["done"],
                may_close=may_close,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Đã ghi kết quả thực hiện kiến nghị.")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    if may_close:
        return redirect(reverse("oversight:inspection_item", args=[rec.item_id]) + f"#kn-{rec.pk}")
    return redirect("oversight:recommendations")


@require_GET
@_guarded
def guidance_received(request: HttpRequest) -> HttpResponse:
    """Guidance addressed to the user's cells, with what each cell adopted (links to the meeting)."""
    return render(
        request, "oversight/guidance_received.html", {"rows": selectors.guidance_received(request.user)}
    )


@require_GET
@_guarded
def recommendations(request: HttpRequest) -> HttpResponse:
    """Recommendations addressed to the cells the user manages, with their follow-up."""
    return render(
        request,
        "oversight/recommendations.html",
        {"rows": selectors.recommendations_for_subject(request.user), "follow_form": of.FollowUpForm()},
    )


# --- peer evaluation ---------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@_guarded
def peers(request: HttpRequest, org_id: int) -> HttpResponse:
    need = Perm.OVERSIGHT_MANAGE if request.method == "POST" else Perm.ORG_VIEW
    committee, can_manage = access.committee_for_user(request.user, org_id, need=need)
    form = of.PairForm(request.POST or None, committee=committee)
    if request.method == "POST" and form.is_valid():
        try:
            services.pair_cells(actor=request.user, committee=committee, **form.cleaned_data)
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "Đã phân công chấm chéo.")
            return redirect("oversight:peers", committee.pk)
    return render(
        request,
        "oversight/peers.html",
        {
            **_committee_ctx(committee, can_manage, "peers"),
            "form": form,
            "rows": selectors.peer_rows(committee),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@_guarded
def peer_tasks(request: HttpRequest) -> HttpResponse:
    """Pairings where one of the user's cells scores another cell."""
    return render(request, "oversight/peer_tasks.html", {"rows": selectors.peer_tasks_for(request.user)})


@require_http_methods(["GET", "POST"])
@_guarded
def peer_score(request: HttpRequest, pairing_id: int, meeting_id: int) -> HttpResponse:
    pairing = access.pairing_for_scorer(request.user, pairing_id)
    meeting = services.pairing_meetings(pairing).filter(pk=meeting_id).select_related("organisation").first()
    if meeting is None:
        raise Http404("Không tìm thấy buổi sinh hoạt.")
    if meeting.is_locked and request.method == "POST":
        from chibo.meetings.services import MeetingLocked

        raise MeetingLocked()
    book = rulebook_of(meeting)
    criteria = book.scorecard.criteria_for(meeting.kind)
    sheets = {s.column: s for s in meeting.scores.all()}
    peer = sheets.get(ScoreColumn.PEER)
    form = of.ScoreForm(
        request.POST or None,
        criteria=criteria,
        initial_entries=peer.entries if peer else None,
        initial={"note": peer.note if peer else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.peer_score(
                actor=request.user,
                pairing=pairing,
                meeting=meeting,
                entries=form.entries(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _fail(form, exc)
        else:
            messages.success(request, "Đã lưu điểm chấm chéo.")
            return redirect("oversight:peer_score", pairing.pk, meeting.pk)
    return render(
        request,
        "oversight/peer_score.html",
        {
            "pairing": pairing,
            "m": meeting,
            "form": form,
            "sheets": sheets,
            "columns": [(c, sheets.get(c)) for c in (ScoreColumn.CELL, ScoreColumn.UPPER, ScoreColumn.PEER)],
            "labels": dict(ScoreColumn.choices),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- model meetings ------------------------------------------------------------------------------
@require_GET
@_guarded
def model_list(request: HttpRequest) -> HttpResponse:
    return render(request, "oversight/model_list.html", {"rows": selectors.model_meetings_for(request.user)})


@require_GET
@_guarded
def model_detail(request: HttpRequest, pk: int) -> HttpResponse:
    mm = access.model_meeting_for_user(request.user, pk)
    return render(request, "oversight/model_detail.html", {"mm": mm, **selectors.model_record(mm)})


@require_GET
@_guarded
def model_document(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    mm = access.model_meeting_for_user(request.user, pk)
    doc = mm.meeting.documents.filter(pk=doc_id).first()
    if doc is None or doc.kind not in (
        DocumentKind.DRAFT_RESOLUTION,
        DocumentKind.THEMATIC_DRAFT,
        DocumentKind.DRAFT_REPORT,
    ):
        raise Http404("Không tìm thấy tài liệu.")
    return FileResponse(
        doc.file.open("rb"),
        as_attachment=False,
        filename=doc.file.name.rsplit("/", 1)[-1],
        content_type=doc.content_type,
    )


@require_POST
@_guarded
def model_mark(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.OVERSIGHT_MANAGE)
    form = of.ModelMarkForm(request.POST)
    form.is_valid()
    try:
        mm = services.mark_model(actor=request.user, meeting=meeting, note=form.cleaned_data.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("meetings:detail", meeting.pk)
    messages.success(request, "Đã chọn làm buổi sinh hoạt mẫu; các chi bộ trong phạm vi đã xem được.")
    return redirect("oversight:model", mm.pk)


@require_POST
@_guarded
def model_unmark(request: HttpRequest, pk: int) -> HttpResponse:
    mm = access.model_meeting_for_user(request.user, pk)
    meeting_for_user(request.user, mm.meeting_id, need=Perm.OVERSIGHT_MANAGE)
    services.unmark_model(actor=request.user, model=mm)
    messages.success(request, "Đã bỏ chọn buổi sinh hoạt mẫu.")
    return redirect("meetings:detail", mm.meeting_id)
