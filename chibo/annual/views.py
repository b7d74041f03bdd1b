"""Pages of the member's year. Every view: access helper → one service or selector → response.

Writes are POSTs that redirect back; a refused write (locked, read-only) renders a 403 page that
says why, bad input comes back as a Vietnamese message and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.annual import access, documents, engine, selectors, services
from chibo.annual import forms as af
from chibo.annual.models import (
    Commitment,
    CommitmentStatus,
    Remittance,
    ReviewRound,
    ReviewStatus,
    RoundStatus,
)
from chibo.meetings.models import Meeting
from chibo.members.models import Member
from chibo.organisations.models import CELL_KINDS, Organisation

LEVEL_TONE = {"xuat_sac": "good", "tot": "ok", "hoan_thanh": "warn", "khong_hoan_thanh": "bad"}


def explain_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            message = str(exc) or "Bạn không có quyền thực hiện thao tác này."
            back = request.META.get("HTTP_REFERER") or reverse("annual:index")
            return render(request, "annual/refused.html", {"message": message, "back": back}, status=403)

    return wrapper


def _act(request: HttpRequest, back: str, fn: Callable[[], Any], ok: str) -> HttpResponse:
    try:
        fn()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ok)
    return redirect(back)


def _safe_back(request: HttpRequest, value: str | None, default: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return default


def _year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise Http404("Năm không hợp lệ.") from None
    if not 2000 <= year <= 2100:
        raise Http404("Năm không hợp lệ.")
    return year


def _cell_members(cell: Organisation) -> list[Member]:
    return list(Member.objects.filter(organisation=cell, left_at__isnull=True).order_by("sort_key", "id"))


# --- index -----------------------------------------------------------------------------------
@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = get_scope(request.user)
    cells = Organisation.objects.filter(scope.q(Perm.ANNUAL_VIEW), kind__in=list(CELL_KINDS)).order_by(
        "sort_key"
    )[:200]
    year = timezone.localdate().year
    return render(
        request,
        "annual/index.html",
        {
            "cells": cells,
            "year": year,
            "member_id": scope.member_id,
            "nav_section": "annual",
        },
    )


# --- the member's year ---------------------------------------------------------------------
@require_GET
@login_required
@explain_refusals
def member_year(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    member, perms = access.member_year_for_user(request.user, pk)
    year = _year(year)
    cell = member.organisation
    commitment = Commitment.objects.filter(member=member, year=year).first()
    review = selectors.Review.objects.filter(member=member, round__year=year).select_related("round").first()
    rules = selectors.rules_for_round(review.round) if review else selectors.rules_for_cell(cell)
    ledger = selectors.dues_ledger(cell, year, only=member) if cell.is_cell else None
    return render(
        request,
        "annual/member_year.html",
        {
            "member": member,
            "year": year,
            "commitment": commitment,
            "review": review,
            "rules": rules,
            "row": ledger.rows[0] if ledger else None,
            "is_self": access.is_self(request.user, member.pk),
            "can_manage": Perm.ANNUAL_MANAGE in perms,
            # the version of the dues profile history the form is drawn from (one query, managers only)
            "profile_version": services.profile_version(member) if Perm.ANNUAL_MANAGE in perms else "",
            "open_shortcomings": selectors.open_shortcomings(member=member),
            "levels": {lv.level: lv.label for lv in rules.rating.levels},
            "tone": LEVEL_TONE,
            "prev_year": year - 1,
            "next_year": year + 1,
        },
    )


@require_GET
@login_required
def my_year(request: HttpRequest) -> HttpResponse:
    member_id = get_scope(request.user).member_id
    if member_id is None:
        messages.info(request, "Tài khoản của bạn không gắn với đảng viên nào.")
        return redirect("annual:index")
    return redirect("annual:member_year", member_id, timezone.localdate().year)


# --- commitments ---------------------------------------------------------------------------
@require_POST
@login_required
@explain_refusals
def commitment_start(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    member, _ = access.member_year_for_user(request.user, pk)
    if not access.is_self(request.user, member.pk):
        raise PermissionDenied("Chỉ đảng viên tự viết bản cam kết của mình.")
    c = services.start_commitment(actor=request.user, member=member, year=_year(year))
    return redirect("annual:commitment", c.pk)


@login_required
@explain_refusals
def commitment(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        c, _ = access.commitment_for_user(request.user, pk, write="own")
        form = af.CommitmentForm(request.POST)
        form.is_valid()
        back = reverse("annual:commitment", args=[c.pk])
        submit = "submit" in request.POST
        return _act(
            request,
            back,
            lambda: services.save_commitment(
                actor=request.user, commitment=c, submit=submit, **form.cleaned_data
            ),
            "Đã gửi bản cam kết để chi bộ duyệt." if submit else "Đã lưu bản cam kết.",
        )
    c, perms = access.commitment_for_user(request.user, pk)
    own = access.is_self(request.user, c.member_id)
    form = af.CommitmentForm(initial={f: getattr(c, f) for f in services.COMMITMENT_FIELDS})
    return render(
        request,
        "annual/commitment.html",
        {
            "c": c,
            "form": form,
            "own": own,
            "editable": own and not c.is_locked,
            "can_approve": Perm.ANNUAL_MANAGE in perms and c.status == CommitmentStatus.SUBMITTED,
            "sections": [(services.COMMITMENT_LABELS[f], getattr(c, f)) for f in services.COMMITMENT_FIELDS],
            "note_form": af.NoteForm(),
        },
    )


@require_POST
@login_required
@explain_refusals
def commitment_approve(request: HttpRequest, pk: int) -> HttpResponse:
    c, _ = access.commitment_for_user(request.user, pk, write="cell")
    return _act(
        request,
        reverse("annual:commitment", args=[c.pk]),
        lambda: services.approve_commitment(actor=request.user, commitment=c),
        "Chi bộ đã duyệt bản cam kết.",
    )


@require_POST
@login_required
@explain_refusals
def commitment_return(request: HttpRequest, pk: int) -> HttpResponse:
    c, _ = access.commitment_for_user(request.user, pk, write="cell")
    note = request.POST.get("note", "")
    return _act(
        request,
        reverse("annual:commitment", args=[c.pk]),
        lambda: services.return_commitment(actor=request.user, commitment=c, note=note),
        "Đã trả lại bản cam kết.",
    )


# --- the cell's year ------------------------------------------------------------------------
@require_GET
@login_required
@explain_refusals
def cell_year(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    cell, perms = access.cell_for_user(request.user, pk)
    year = _year(year)
    rnd = ReviewRound.objects.filter(organisation=cell, year=year).first()
    view = selectors.round_view(rnd) if rnd else None
    members = _cell_members(cell)
    commitments = {c.member_id: c for c in Commitment.objects.filter(organisation=cell, year=year)}
    rules = view.rules if view else selectors.rules_for_cell(cell)
    return render(
        request,
        "annual/cell_year.html",
        {
            "cell": cell,
            "year": year,
            "rnd": rnd,
            "view": view,
            "rules": rules,
            "levels": {lv.level: lv.label for lv in rules.rating.levels},
            "tone": LEVEL_TONE,
            "commitment_rows": [(m, commitments.get(m.pk)) for m in members],
            "open_cell_shortcomings": selectors.open_shortcomings(cell=cell),
            "can_manage": Perm.ANNUAL_MANAGE in perms,
            "can_decide": Perm.ANNUAL_DECIDE in perms,
            "propose_form": af.ProposeForm(initial={"held_on": timezone.localdate()}),
            "shortcoming_form": af.ShortcomingForm(members=members, initial={"back": request.path}),
            "prev_year": year - 1,
            "next_year": year + 1,
        },
    )


@require_POST
@login_required
@explain_refusals
def round_open(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    cell, _ = access.cell_for_user(request.user, pk, need=Perm.ANNUAL_MANAGE)
    year = _year(year)
    return _act(
        request,
        reverse("annual:cell_year", args=[cell.pk, year]),
        lambda: services.open_round(actor=request.user, cell=cell, year=year),
        f"Đã mở đợt kiểm điểm năm {year}; số liệu đã được tổng hợp tự động.",
    )


def _round(request: HttpRequest, pk: int, need: Perm) -> ReviewRound:
    try:
        rnd = ReviewRound.objects.select_related("organisation", "organisation__parent").get(pk=pk)
    except ReviewRound.DoesNotExist:
        raise Http404("Không tìm thấy đợt kiểm điểm.") from None
    access.cell_for_user(request.user, rnd.organisation_id, need=need)
    return rnd


@require_POST
@login_required
@explain_refusals
def round_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk, Perm.ANNUAL_MANAGE)
    return _act(
        request,
        reverse("annual:cell_year", args=[rnd.organisation_id, rnd.year]),
        lambda: services.refresh_inputs(actor=request.user, round=rnd),
        "Đã cập nhật số liệu tự động.",
    )


@require_POST
@login_required
@explain_refusals
def round_propose(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk, Perm.ANNUAL_MANAGE)
    back = reverse("annual:cell_year", args=[rnd.organisation_id, rnd.year])
    form = af.ProposeForm(request.POST)
    if not form.is_valid():
        messages.error(request, af.form_errors(form))
        return redirect(back)
    return _act(
        request,
        back,
        lambda: services.propose_round(actor=request.user, round=rnd, **form.cleaned_data),
        "Đã gửi danh sách đề nghị xếp loại lên cấp ủy cấp trên.",
    )


@require_POST
@login_required
@explain_refusals
def round_decide(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk, Perm.ANNUAL_DECIDE)
    note = request.POST.get("note", "")
    return _act(
        request,
        reverse("annual:cell_year", args=[rnd.organisation_id, rnd.year]),
        lambda: services.decide_round(actor=request.user, round=rnd, note=note),
        "Đã quyết định xếp loại; kết quả năm đã khóa.",
    )


@require_POST
@login_required
@explain_refusals
def round_return(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round(request, pk, Perm.ANNUAL_DECIDE)
    note = request.POST.get("note", "")
    return _act(
        request,
        reverse("annual:cell_year", args=[rnd.organisation_id, rnd.year]),
        lambda: services.return_round(actor=request.user, round=rnd, note=note),
        "Đã trả lại để chi bộ làm lại.",
    )


@require_GET
@login_required
@explain_refusals
def round_document(request: HttpRequest, pk: int, kind: str, fmt: str) -> HttpResponse:
    rnd = _round(request, pk, Perm.ANNUAL_VIEW)
    if kind not in ("danh-sach", "bien-ban") or fmt not in ("docx", "pdf"):
        raise Http404("Không có tài liệu này.")
    doc = documents.proposal_list(rnd) if kind == "danh-sach" else documents.minutes(rnd)
    return documents.respond(doc, fmt)


# --- a review -------------------------------------------------------------------------------
@require_GET
@login_required
@explain_refusals
def review(request: HttpRequest, pk: int) -> HttpResponse:
    r, perms = access.review_for_user(request.user, pk)
    rnd = r.round
    rules = selectors.rules_for_round(rnd)
    subject = r.subject
    frame = rules.rating.frames[subject]
    own = access.is_self(request.user, r.member_id) or (r.is_cell and Perm.ANNUAL_MANAGE in perms)
    open_round = rnd.status == RoundStatus.OPEN
    vote = (
        engine.check_vote(rules.vote, r.proposed_level, in_favour=r.vote_for, base=r.vote_base or 0)
        if r.proposed_level
        else None
    )
    commitment = (
        Commitment.objects.filter(member_id=r.member_id, year=rnd.year).first() if r.member_id else None
    )
    if r.member_id:
        previous = selectors.previous_shortcomings(rnd.year, member=r.member)
    else:
        previous = selectors.previous_shortcomings(rnd.year, cell=rnd.organisation)
    members = _cell_members(rnd.organisation)
    return render(
        request,
        "annual/review.html",
        {
            "r": r,
            "rnd": rnd,
            "rules": rules,
            "i": r.inputs or {},
            "commitment": commitment,
            "levels": {lv.level: lv.label for lv in rules.rating.levels},
            "tone": LEVEL_TONE,
            "self_fields": af.score_fields(frame, r.self_scores, "self_"),
            "cell_fields": af.score_fields(frame, r.cell_scores or r.self_scores, "cell_"),
            "self_form": af.SelfAssessmentForm(
                initial={
                    "strengths": r.strengths,
                    "weaknesses": r.weaknesses,
                    "remedy": r.remedy,
                    "expected_version": services.self_version(r),
                }
            ),
            "assess_form": af.AssessForm(
                rules=rules,
                initial={
                    "comment": r.cell_comment,
                    "tasks_exceeding": r.tasks_exceeding,
                    "disciplined": r.disciplined,
                    "proposed_level": r.proposed_level,
                    "expected_version": services.assessment_version(r),
                },
            ),
            "vote_form": af.VoteForm(
                initial={"in_favour": r.vote_for, "against": r.vote_against, "base": r.vote_base}
            ),
            "decide_form": af.DecideForm(
                rules=rules, initial={"final_level": r.final_level or r.proposed_level}
            ),
            "can_self": own and open_round and r.status in (ReviewStatus.DRAFT, ReviewStatus.SELF_SUBMITTED),
            "can_assess": Perm.ANNUAL_MANAGE in perms and open_round and r.status != ReviewStatus.DRAFT,
            "can_vote": Perm.ANNUAL_MANAGE in perms and open_round and bool(vote and vote.required),
            "can_decide": Perm.ANNUAL_DECIDE in perms and rnd.status == RoundStatus.PROPOSED,
            "can_manage": Perm.ANNUAL_MANAGE in perms,
            "vote": vote,
            "previous": previous,
            "raised": r.shortcomings_raised.select_related("member", "raised_by"),
            "shortcoming_form": af.ShortcomingForm(
                members=members, initial={"member": r.member_id, "review": r.pk, "back": request.path}
            ),
            "grade_labels": {
                b.grade: b.label for b in selectors.rulebook_for(rnd.organisation).scorecard.bands
            },
        },
    )


@require_POST
@login_required
@explain_refusals
def review_self(request: HttpRequest, pk: int) -> HttpResponse:
    r, _ = access.review_for_user(request.user, pk, write="own")
    rules = selectors.rules_for_round(r.round)
    form = af.SelfAssessmentForm(request.POST)
    form.is_valid()
    data = dict(form.cleaned_data)
    expected = data.pop("expected_version", None) or None
    scores = af.scores_from(request.POST, rules.rating.frames[r.subject], "self_")
    submit = "submit" in request.POST
    return _act(
        request,
        reverse("annual:review", args=[r.pk]),
        lambda: services.save_self_assessment(
            actor=request.user, review=r, scores=scores, submit=submit, expected_version=expected, **data
        ),
        "Đã gửi bản tự kiểm điểm." if submit else "Đã lưu bản tự kiểm điểm.",
    )


@require_POST
@login_required
@explain_refusals
def review_assess(request: HttpRequest, pk: int) -> HttpResponse:
    r, _ = access.review_for_user(request.user, pk, write="cell")
    rules = selectors.rules_for_round(r.round)
    back = reverse("annual:review", args=[r.pk])
    form = af.AssessForm(request.POST, rules=rules)
    if not form.is_valid():
        messages.error(request, af.form_errors(form))
        return redirect(back)
    data = form.cleaned_data
    scores = af.scores_from(request.POST, rules.rating.frames[r.subject], "cell_")
    return _act(
        request,
        back,
        lambda: services.assess(
            actor=request.user,
            review=r,
            scores=scores,
            comment=data["comment"],
            tasks_exceeding=data["tasks_exceeding"] or 0,
            disciplined=data["disciplined"],
            proposed_level=data["proposed_level"],
            expected_version=data["expected_version"] or None,
        ),
        "Chi bộ đã đánh giá và đề nghị mức xếp loại.",
    )


@require_POST
@login_required
@explain_refusals
def review_vote(request: HttpRequest, pk: int) -> HttpResponse:
    r, _ = access.review_for_user(request.user, pk, write="cell")
    back = reverse("annual:review", args=[r.pk])
    form = af.VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, af.form_errors(form))
        return redirect(back)
    d = form.cleaned_data
    return _act(
        request,
        back,
        lambda: services.record_vote(
            actor=request.user, review=r, in_favour=d["in_favour"], against=d["against"], base=d["base"]
        ),
        "Đã ghi kết quả biểu quyết.",
    )


@require_POST
@login_required
@explain_refusals
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    r, _ = access.review_for_user(request.user, pk, write="decide")
    back = reverse("annual:review", args=[r.pk])
    form = af.DecideForm(request.POST, rules=selectors.rules_for_round(r.round))
    if not form.is_valid():
        messages.error(request, af.form_errors(form))
        return redirect(back)
    return _act(
        request,
        back,
        lambda: services.decide(actor=request.user, review=r, **form.cleaned_data),
        "Đã quyết định xếp loại.",
    )


@require_GET
@login_required
@explain_refusals
def review_document(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    r, _ = access.review_for_user(request.user, pk)
    if fmt not in ("docx", "pdf"):
        raise Http404("Không có định dạng này.")
    return documents.respond(documents.personal_review(r), fmt)


# --- shortcomings -----------------------------------------------------------------------------
@require_POST
@login_required
@explain_refusals
def shortcoming_raise(request: HttpRequest, pk: int) -> HttpResponse:
    cell, _ = access.cell_for_user(request.user, pk, need=Perm.ANNUAL_MANAGE)
    members = _cell_members(cell)
    form = af.ShortcomingForm(request.POST, members=members)
    default = reverse("annual:cell_year", args=[cell.pk, timezone.localdate().year])
    back = _safe_back(request, request.POST.get("back"), default)
    if not form.is_valid():
        messages.error(request, af.form_errors(form))
        return redirect(back)
    d = form.cleaned_data
    by_pk = {m.pk: m for m in members}
    meeting = Meeting.objects.filter(pk=d["meeting"], organisation=cell).first() if d["meeting"] else None
    review = (
        selectors.Review.objects.filter(pk=d["review"], round__organisation=cell)
        .select_related("round")
        .first()
        if d["review"]
        else None
    )
    return _act(
        request,
        back,
        lambda: services.raise_shortcoming(
            actor=request.user,
            cell=cell,
            member=by_pk.get(d["member"]) if d["member"] else None,
            text=d["text"],
            raised_by=by_pk.get(d["raised_by"]) if d["raised_by"] else None,
            raised_by_name=d["raised_by_name"],
            meeting=meeting,
            review=review,
            remedy_plan=d["remedy_plan"],
            remedy_due=d["remedy_due"],
        ),
        "Đã ghi hạn chế, khuyết điểm; chi bộ sẽ theo dõi đến khi khắc phục xong.",
    )


@require_GET
@login_required
@explain_refusals
def shortcoming(request: HttpRequest, pk: int) -> HttpResponse:
    s, perms = access.shortcoming_for_user(request.user, pk)
    return render(
        request,
        "annual/shortcoming.html",
        {
            "s": s,
            "follow_ups": s.follow_ups.select_related("author"),
            "can_manage": Perm.ANNUAL_MANAGE in perms and not s.is_locked,
            "plan_form": af.PlanForm(
                initial={"plan": s.remedy_plan, "due": s.remedy_due, "expected_version": services.plan_version(s)}
            ),
        },
    )


@require_POST
@login_required
@explain_refusals
def shortcoming_plan(request: HttpRequest, pk: int) -> HttpResponse:
    s, _ = access.shortcoming_for_user(request.user, pk, write=True)
    form = af.PlanForm(request.POST)
    back = reverse("annual:shortcoming", args=[s.pk])
    if not form.is_valid():
        messages.error(request, af.form_errors(form))
        return redirect(back)
    return _act(
        request,
        back,
        lambda: services.set_remedy_plan(actor=request.user, shortcoming=s, **form.cleaned_data),
        "Đã lưu kế hoạch khắc phục.",
    )


@require_POST
@login_required
@explain_refusals
def shortcoming_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    s, _ = access.shortcoming_for_user(request.user, pk, write=True)
    note = request.POST.get("note", "")
    return _act(
        request,
        reverse("annual:shortcoming", args=[s.pk]),
        lambda: services.add_follow_up(actor=request.user, shortcoming=s, note=note),
        "Đã ghi tiến độ khắc phục.",
    )


@require_POST
@login_required
@explain_refusals
def shortcoming_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    s, _ = access.shortcoming_for_user(request.user, pk, write=True)
    note = request.POST.get("note", "")
    return _act(
        request,
        reverse("annual:shortcoming", args=[s.pk]),
        lambda: services.confirm_remedied(actor=request.user, shortcoming=s, note=note),
        "Chi bộ đã xác nhận hạn chế được khắc phục.",
    )


# --- dues -------------------------------------------------------------------------------------
@require_GET
@login_required
@explain_refusals
def dues(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    cell, perms = access.cell_for_user(request.user, pk)
    year = _year(year)
    ledger = selectors.dues_ledger(cell, year)
    members = [r.member for r in ledger.rows]
    rules = selectors.rules_for_cell(cell)
    return render(
        request,
        "annual/dues.html",
        {
            "cell": cell,
            "year": year,
            "ledger": ledger,
            "rules": rules,
            "months": selectors.MONTHS,
            "can_manage": Perm.ANNUAL_MANAGE in perms,
            "can_decide": Perm.ANNUAL_DECIDE in perms,
            "payment_form": af.PaymentForm(
                members=members,
                initial={"paid_on": timezone.localdate(), "month": timezone.localdate().month},
            ),
            "remittance_form": af.RemittanceForm(initial={"remitted_on": timezone.localdate()}),
            "profile_form": af.DuesProfileForm(rules=rules),
            "prev_year": year - 1,
            "next_year": year + 1,
        },
    )


@require_GET
@login_required
@explain_refusals
def dues_xlsx(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    cell, _ = access.cell_for_user(request.user, pk)
    return documents.receipts_xlsx(cell, _year(year))


@require_POST
@login_required
@explain_refusals
def dues_profile(request: HttpRequest, pk: int) -> HttpResponse:
    member, _ = access.member_year_for_user(request.user, pk)
    access.cell_for_user(request.user, member.organisation_id, need=Perm.ANNUAL_MANAGE)
    rules = selectors.rules_for_cell(member.organisation)
    form = af.DuesProfileForm(request.POST, rules=rules)
    back = _safe_back(
        request,
        request.POST.get("back"),
        reverse("annual:dues", args=[member.organisation_id, timezone.localdate().year]),
    )
    if not form.is_valid():
        messages.error(request, af.form_errors(form))
        return redirect(back)
    d = form.cleaned_data
    return _act(
        request,
        back,
        lambda: services.set_dues_profile(
            actor=request.user,
            member=member,
            category=d["category"],
            base_income=d["base_income"] or 0,
            fixed_amount=d["fixed_amount"],
            voluntary_amount=d["voluntary_amount"],
            valid_from=d["valid_from"],
            expected_version=d["expected_version"] or None,
        ),
        f"Đã lưu mức đóng đảng phí của {member.full_name}, áp dụng từ tháng "
        f"{(d['valid_from'] or timezone.localdate()):%m/%Y}.",
    )


@require_POST
@login_required
@explain_refusals
def dues_voluntary(request: HttpRequest, pk: int) -> HttpResponse:
    member, _ = access.member_year_for_user(request.user, pk)
    access.cell_for_user(request.user, member.organisation_id, need=Perm.ANNUAL_MANAGE)
    profile = selectors.profile_in_force(member)
    if profile is None:
        raise Http404("Đảng viên chưa có mức đóng đảng phí.")
    back = _safe_back(
        request,
        request.POST.get("back"),
        reverse("annual:dues", args=[member.organisation_id, timezone.localdate().year]),
    )
    return _act(
        request,
        back,
        lambda: services.approve_voluntary(actor=request.user, profile=profile),
        "Chi ủy đã đồng ý mức đóng tự nguyện.",
    )


@require_POST
@login_required
@explain_refusals
def dues_payment(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    cell, _ = access.cell_for_user(request.user, pk, need=Perm.ANNUAL_MANAGE)
    year = _year(year)
    back = reverse("annual:dues", args=[cell.pk, year])
    members = list(selectors.members_in_year(cell, year))
    form = af.PaymentForm(request.POST, members=members)
    if not form.is_valid():
        messages.error(request, af.form_errors(form))
        return redirect(back)
    d = form.cleaned_data
    member = next(m for m in members if m.pk == d["member"])
    return _act(
        request,
        back,
        lambda: services.record_payment(
            actor=request.user,
            member=member,
            year=year,
            month=d["month"],
            amount=d["amount"],
            paid_on=d["paid_on"],
            note=d["note"],
        ),
        "Đã ghi khoản đảng phí.",
    )


@require_POST
@login_required
@explain_refusals
def dues_remit(request: HttpRequest, pk: int, year: int) -> HttpResponse:
    cell, _ = access.cell_for_user(request.user, pk, need=Perm.ANNUAL_MANAGE)
    year = _year(year)
    back = reverse("annual:dues", args=[cell.pk, year])
    form = af.RemittanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, af.form_errors(form))
        return redirect(back)
    return _act(
        request,
        back,
        lambda: services.record_remittance(actor=request.user, cell=cell, year=year, **form.cleaned_data),
        "Đã ghi khoản nộp cấp trên.",
    )


@require_POST
@login_required
@explain_refusals
def dues_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        rem = Remittance.objects.select_related("organisation").get(pk=pk)
    except Remittance.DoesNotExist:
        raise Http404("Không tìm thấy khoản nộp.") from None
    access.cell_for_user(request.user, rem.organisation_id, need=Perm.ANNUAL_DECIDE)
    return _act(
        request,
        reverse("annual:dues", args=[rem.organisation_id, rem.year]),
        lambda: services.confirm_remittance(actor=request.user, remittance=rem),
        "Cấp trên đã xác nhận nhận đảng phí.",
    )
