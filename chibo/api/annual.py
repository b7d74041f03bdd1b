"""/annual: the member's year — commitments, shortcomings, annual review and rating, dues.

Same access helpers as the pages (chibo.annual.access): outside the subtree 404, read-only 403,
a member reads and writes only their own commitment and self-assessment; a proposed or decided
round, an approved commitment, a remedied shortcoming and a confirmed remittance refuse writes
(403 with the reason). Every write goes through chibo.annual.services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from chibo.accounts.permissions import Perm
from chibo.annual import access, selectors, services
from chibo.annual.models import (
    Commitment,
    DuesProfile,
    Remittance,
    Review,
    ReviewRound,
    Shortcoming,
)
from chibo.api.schemas import EXPECTED_VERSION, READ_ERRORS, VERSION, WRITE_409, WRITE_ERRORS, InputSchema
from chibo.meetings.models import Meeting
from chibo.members.models import Member

router = Router(tags=["Năm của đảng viên: cam kết, kiểm điểm, đảng phí"])


# --- output --------------------------------------------------------------------------------------
class CommitmentOut(Schema):
    id: int
    member_id: int
    year: int
    political: str
    ethical: str
    professional: str
    assigned_tasks: str
    status: str
    return_note: str
    approved_at: dt.datetime | None


class ReviewOut(Schema):
    id: int
    round_id: int
    year: int
    member_id: int | None = Field(description="null: bản kiểm điểm của tập thể chi bộ.")
    status: str
    self_scores: dict[str, int]
    self_total: int | None
    self_level: str
    strengths: str
    weaknesses: str
    remedy: str
    cell_scores: dict[str, int]
    cell_total: int | None
    cell_comment: str
    tasks_exceeding: int
    disciplined: bool
    inputs: dict[str, Any] = Field(
        description="Số liệu tổng hợp tự động: dự họp, nhiệm vụ, hạn chế, đảng phí."
    )
    computed_level: str
    computed_notes: list[str]
    proposed_level: str
    vote_for: int | None
    vote_against: int | None
    vote_base: int | None
    vote_passed: bool | None
    final_level: str
    assessment_version: str = Field(description="Phiên bản của phần chi bộ đánh giá. " + VERSION)
    self_version: str = Field(description="Phiên bản của phần tự kiểm điểm. " + VERSION)

    @staticmethod
    def resolve_year(obj: Review) -> int:
        return obj.round.year

    @staticmethod
    def resolve_assessment_version(obj: Review) -> str:
        return services.assessment_version(obj)

    @staticmethod
    def resolve_self_version(obj: Review) -> str:
        return services.self_version(obj)


class CapOut(Schema):
    excellent: int
    base: int
    allowed: int | None
    exceeded: bool
    message: str


class RoundOut(Schema):
    id: int
    organisation_id: int
    year: int
    status: str
    rulebook_code: str
    rulebook_version: int
    held_on: dt.date | None
    reviews: list[ReviewOut]
    cap: CapOut


class ShortcomingOut(Schema):
    id: int
    organisation_id: int
    member_id: int | None
    year: int
    text: str
    raised_by_id: int | None
    raised_by_name: str
    meeting_id: int | None
    review_id: int | None
    remedy_plan: str
    remedy_due: dt.date | None
    status: str
    follow_ups: list[str]
    plan_version: str = Field(description="Phiên bản của kế hoạch khắc phục. " + VERSION)

    @staticmethod
    def resolve_follow_ups(obj: Shortcoming) -> list[str]:
        return [f.note for f in obj.follow_ups.all()]

    @staticmethod
    def resolve_plan_version(obj: Shortcoming) -> str:
        return services.plan_version(obj)


class MonthOut(Schema):
    month: int
    due: int | None
    paid: int
    status: str = Field(description='"paid", "short", "unpaid", "not_due" hoặc "no_profile".')


class LedgerRowOut(Schema):
    member_id: int
    full_name: str
    due_text: str
    months: list[MonthOut]
    paid_total: int
    due_total: int
    unpaid_months: list[int]


class RemittanceOut(Schema):
    id: int
    year: int
    month: int
    amount: int
    remitted_on: dt.date
    confirmed: bool

    @staticmethod
    def resolve_confirmed(obj: Remittance) -> bool:
        return obj.confirmed_at is not None


class LedgerOut(Schema):
    organisation_id: int
    year: int
    rows: list[LedgerRowOut]
    year_paid: int
    year_due: int
    year_remitted: int
    remittances: list[RemittanceOut]


class DuesProfileOut(Schema):
    member_id: int
    valid_from: dt.date = Field(description="Áp dụng từ tháng (ngày 1 của tháng).")
    category: str
    base_income: int
    fixed_amount: int | None
    voluntary_amount: int | None
    voluntary_approved: bool
    profile_version: str = Field(description="Phiên bản của lịch sử mức đóng của đảng viên. " + VERSION)

    @staticmethod
    def resolve_voluntary_approved(obj: DuesProfile) -> bool:
        return obj.voluntary_approved_at is not None

    @staticmethod
    def resolve_profile_version(obj: DuesProfile) -> str:
        return services.profile_version(obj.member_id)


class PaymentOut(Schema):
    id: int
    member_id: int
    year: int
    month: int
    amount: int
    paid_on: dt.date


class MemberYearOut(Schema):
    member_id: int
    year: int
    commitment: CommitmentOut | None
    review: ReviewOut | None
    dues: LedgerRowOut | None
    open_shortcomings: list[ShortcomingOut]


# --- input ---------------------------------------------------------------------------------------
class CommitmentIn(InputSchema):
    political: str | None = None
    ethical: str | None = None
    professional: str | None = None
    assigned_tasks: str | None = None
    submit: bool = False


class NoteIn(InputSchema):
    note: str = ""


class SelfAssessmentIn(InputSchema):
    scores: dict[str, int] = Field(description="Mã tiêu chí của khung 100 điểm → điểm.")
    strengths: str = ""
    weaknesses: str = ""
    remedy: str = ""
    submit: bool = False
    expected_version: str | None = Field(None, max_length=32, description=EXPECTED_VERSION)


class AssessmentIn(InputSchema):
    scores: dict[str, int]
    comment: str = ""
    tasks_exceeding: int = 0
    disciplined: bool = False
    proposed_level: str = Field("", description="Rỗng: theo điểm và điều kiện.")
    expected_version: str | None = Field(None, max_length=32, description=EXPECTED_VERSION)


class VoteIn(InputSchema):
    in_favour: int
    against: int
    base: int | None = Field(None, description="Tổng số đảng viên chính thức; bỏ trống để chibo tự tính.")


class DecisionIn(InputSchema):
    final_level: str
    note: str = ""


class ProposeIn(InputSchema):
    held_on: dt.date
    place: str = ""
    present_count: int | None = None


class ShortcomingIn(InputSchema):
    member_id: int | None = Field(None, description="null: hạn chế của tập thể chi bộ.")
    text: str
    raised_by_id: int | None = None
    raised_by_name: str = ""
    meeting_id: int | None = None
    review_id: int | None = None
    remedy_plan: str = ""
    remedy_due: dt.date | None = None


class PlanIn(InputSchema):
    plan: str
    due: dt.date | None = None
    expected_version: str | None = Field(None, max_length=32, description=EXPECTED_VERSION)


class DuesProfileIn(InputSchema):
    valid_from: dt.date | None = Field(
        None,
        description="Áp dụng từ tháng của ngày này (mặc định: tháng hiện tại); các tháng trước giữ mức cũ.",
    )
    category: str
    base_income: int = 0
    fixed_amount: int | None = None
    voluntary_amount: int | None = None
    expected_version: str | None = Field(
        None,
        max_length=32,
        description="profile_version khi bắt đầu sửa (lịch sử mức đóng của đảng viên); đã bị sửa từ đó "
        "thì trả 409 (nêu mức mới nhất) và không ghi gì.",
    )


class PaymentIn(InputSchema):
    member_id: int
    month: int
    amount: int
    paid_on: dt.date
    note: str = ""


class RemittanceIn(InputSchema):
    month: int
    amount: int
    remitted_on: dt.date
    note: str = ""


# --- helpers ------------------------------------------------------------------------------------
def _ledger_row(row: selectors.LedgerRow) -> dict[str, Any]:
    return {
        "member_id": row.member.pk,
        "full_name": row.member.full_name,
        "due_text": row.due_text,
        "months": [{"month": c.month, "due": c.due, "paid": c.paid, "status": c.status} for c in row.months],
        "paid_total": row.paid_total,
        "due_total": row.due_total,
        "unpaid_months": row.unpaid_months,
    }


def _round(request: HttpRequest, pk: int, need: Perm) -> ReviewRound:
    rnd = ReviewRound.objects.select_related("organisation", "organisation__parent").filter(pk=pk).first()
    if rnd is None:
        raise Http404("Không tìm thấy đợt kiểm điểm.")
    access.cell_for_user(request.user, rnd.organisation_id, need=need)
    return rnd


def _round_out(rnd: ReviewRound) -> dict[str, Any]:
    view = selectors.round_view(rnd)
    reviews = view.member_reviews + ([view.cell_review] if view.cell_review else [])
    for r in reviews:
        r.round = rnd
    cap = view.cap
    return {
        "id": rnd.pk,
        "organisation_id": rnd.organisation_id,
        "year": rnd.year,
        "status": rnd.status,
        "rulebook_code": rnd.rulebook_code,
        "rulebook_version": rnd.rulebook_version,
        "held_on": rnd.held_on,
        "reviews": reviews,
        "cap": {
            "excellent": cap.excellent,
            "base": cap.base,
            "allowed": cap.allowed,
            "exceeded": cap.exceeded,
            "message": cap.message,
        },
    }


def _cell_member(cell_id: int, member_id: int | None) -> Member | None:
    if member_id is None:
        return None
    member = Member.objects.filter(pk=member_id, organisation_id=cell_id).first()
    if member is None:
        raise Http404("Không tìm thấy đảng viên trong chi bộ.")
    return member


# --- the member's year ------------------------------------------------------------------------
@router.get(
    "/annual/members/{member_id}/years/{year}",
    response={200: MemberYearOut, **READ_ERRORS},
    summary="Năm của một đảng viên: cam kết, kiểm điểm, đảng phí, hạn chế đang khắc phục",
)
def member_year(request: HttpRequest, member_id: int, year: int) -> Any:
    member, _ = access.member_year_for_user(request.user, member_id)
    review = Review.objects.filter(member=member, round__year=year).select_related("round").first()
    ledger = (
        selectors.dues_ledger(member.organisation, year, only=member) if member.organisation.is_cell else None
    )
    return {
        "member_id": member.pk,
        "year": year,
        "commitment": Commitment.objects.filter(member=member, year=year).first(),
        "review": review,
        "dues": _ledger_row(ledger.rows[0]) if ledger else None,
        "open_shortcomings": list(selectors.open_shortcomings(member=member).prefetch_related("follow_ups")),
    }


@router.put(
    "/annual/members/{member_id}/commitments/{year}",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="Đảng viên viết (từ mẫu), sửa, gửi bản cam kết của mình",
)
def save_commitment(request: HttpRequest, member_id: int, year: int, payload: CommitmentIn) -> Any:
    member, _ = access.member_year_for_user(request.user, member_id)
    if not access.is_self(request.user, member.pk):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Chỉ đảng viên viết và sửa bản cam kết của chính mình.")
    c = services.start_commitment(actor=request.user, member=member, year=year)
    fields = {k: v for k, v in payload.dict(exclude={"submit"}).items() if v is not None}
    return services.save_commitment(actor=request.user, commitment=c, submit=payload.submit, **fields)


@router.post(
    "/annual/commitments/{commitment_id}/approve",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="Chi ủy duyệt bản cam kết",
)
def approve_commitment(request: HttpRequest, commitment_id: int) -> Any:
    c, _ = access.commitment_for_user(request.user, commitment_id, write="cell")
    return services.approve_commitment(actor=request.user, commitment=c)


@router.post(
    "/annual/commitments/{commitment_id}/return",
    response={200: CommitmentOut, **WRITE_ERRORS},
    summary="Chi ủy trả lại bản cam kết để sửa",
)
def return_commitment(request: HttpRequest, commitment_id: int, payload: NoteIn) -> Any:
    c, _ = access.commitment_for_user(request.user, commitment_id, write="cell")
    return services.return_commitment(actor=request.user, commitment=c, note=payload.note)


# --- review rounds and reviews ----------------------------------------------------------------
@router.get(
    "/annual/cells/{cell_id}/rounds/{year}",
    response={200: RoundOut, **READ_ERRORS},
    summary="Đợt kiểm điểm năm của chi bộ, mọi bản kiểm điểm và cảnh báo tỷ lệ xuất sắc",
)
def get_round(request: HttpRequest, cell_id: int, year: int) -> Any:
    cell, _ = access.cell_for_user(request.user, cell_id)
    rnd = ReviewRound.objects.filter(organisation=cell, year=year).select_related("organisation").first()
    if rnd is None:
        raise Http404("Chi bộ chưa mở đợt kiểm điểm năm này.")
    return _round_out(rnd)


@router.post(
    "/annual/cells/{cell_id}/rounds/{year}",
    response={201: RoundOut, **WRITE_ERRORS},
    summary="Mở đợt kiểm điểm năm (tổng hợp số liệu tự động)",
)
def open_round(request: HttpRequest, cell_id: int, year: int) -> Any:
    cell, _ = access.cell_for_user(request.user, cell_id, need=Perm.ANNUAL_MANAGE)
    return Status(201, _round_out(services.open_round(actor=request.user, cell=cell, year=year)))


@router.post(
    "/annual/rounds/{round_id}/refresh",
    response={200: RoundOut, **WRITE_ERRORS},
    summary="Cập nhật số liệu tự động",
)
def refresh_round(request: HttpRequest, round_id: int) -> Any:
    rnd = _round(request, round_id, Perm.ANNUAL_MANAGE)
    services.refresh_inputs(actor=request.user, round=rnd)
    return _round_out(rnd)


@router.post(
    "/annual/rounds/{round_id}/propose",
    response={200: RoundOut, **WRITE_ERRORS},
    summary="Chi bộ gửi danh sách đề nghị xếp loại lên cấp trên",
)
def propose_round(request: HttpRequest, round_id: int, payload: ProposeIn) -> Any:
    rnd = _round(request, round_id, Perm.ANNUAL_MANAGE)
    return _round_out(services.propose_round(actor=request.user, round=rnd, **payload.dict()))


@router.post(
    "/annual/rounds/{round_id}/decide",
    response={200: RoundOut, **WRITE_ERRORS},
    summary="Cấp ủy cấp trên quyết định xếp loại cả đợt (khóa kết quả)",
)
def decide_round(request: HttpRequest, round_id: int, payload: NoteIn) -> Any:
    rnd = _round(request, round_id, Perm.ANNUAL_DECIDE)
    return _round_out(services.decide_round(actor=request.user, round=rnd, note=payload.note))


@router.post(
    "/annual/rounds/{round_id}/return",
    response={200: RoundOut, **WRITE_ERRORS},
    summary="Cấp ủy cấp trên trả lại để chi bộ làm lại",
)
def return_round(request: HttpRequest, round_id: int, payload: NoteIn) -> Any:
    rnd = _round(request, round_id, Perm.ANNUAL_DECIDE)
    return _round_out(services.return_round(actor=request.user, round=rnd, note=payload.note))


@router.get(
    "/annual/reviews/{review_id}", response={200: ReviewOut, **READ_ERRORS}, summary="Một bản kiểm điểm"
)
def get_review(request: HttpRequest, review_id: int) -> Any:
    r, _ = access.review_for_user(request.user, review_id)
    return r


@router.put(
    "/annual/reviews/{review_id}/self",
    response={200: ReviewOut, **WRITE_409},
    summary="Tự kiểm điểm, tự chấm điểm (đảng viên; chi ủy cho tập thể)",
)
def self_assessment(request: HttpRequest, review_id: int, payload: SelfAssessmentIn) -> Any:
    r, _ = access.review_for_user(request.user, review_id, write="own")
    return services.save_self_assessment(actor=request.user, review=r, **payload.dict())


@router.put(
    "/annual/reviews/{review_id}/assessment",
    response={200: ReviewOut, **WRITE_409},
    summary="Chi bộ đánh giá, chấm điểm và đề nghị mức xếp loại",
)
def assessment(request: HttpRequest, review_id: int, payload: AssessmentIn) -> Any:
    r, _ = access.review_for_user(request.user, review_id, write="cell")
    return services.assess(actor=request.user, review=r, **payload.dict())


@router.put(
    "/annual/reviews/{review_id}/vote",
    response={200: ReviewOut, **WRITE_ERRORS},
    summary="Kết quả biểu quyết mức đề nghị (khi bộ quy tắc yêu cầu)",
)
def vote(request: HttpRequest, review_id: int, payload: VoteIn) -> Any:
    r, _ = access.review_for_user(request.user, review_id, write="cell")
    return services.record_vote(actor=request.user, review=r, **payload.dict())


@router.put(
    "/annual/reviews/{review_id}/decision",
    response={200: ReviewOut, **WRITE_ERRORS},
    summary="Cấp ủy cấp trên quyết định mức xếp loại",
)
def decision(request: HttpRequest, review_id: int, payload: DecisionIn) -> Any:
    r, _ = access.review_for_user(request.user, review_id, write="decide")
    return services.decide(actor=request.user, review=r, **payload.dict())


# --- shortcomings -------------------------------------------------------------------------------
@router.post(
    "/annual/cells/{cell_id}/shortcomings",
    response={201: ShortcomingOut, **WRITE_ERRORS},
    summary="Ghi hạn chế, khuyết điểm được nêu (tại buổi sinh hoạt hoặc khi kiểm điểm)",
)
def raise_shortcoming(request: HttpRequest, cell_id: int, payload: ShortcomingIn) -> Any:
    cell, _ = access.cell_for_user(request.user, cell_id, need=Perm.ANNUAL_MANAGE)
    meeting = None
    if payload.meeting_id is not None:
        meeting = Meeting.objects.filter(pk=payload.meeting_id, organisation=cell).first()
        if meeting is None:
            raise Http404("Không tìm thấy buổi sinh hoạt của chi bộ.")
    review = None
    if payload.review_id is not None:
        review = (
            Review.objects.filter(pk=payload.review_id, round__organisation=cell)
            .select_related("round")
            .first()
        )
        if review is None:
            raise Http404("Không tìm thấy bản kiểm điểm của chi bộ.")
    s = services.raise_shortcoming(
        actor=request.user,
        cell=cell,
        member=_cell_member(cell.pk, payload.member_id),
        text=payload.text,
        raised_by=_cell_member(cell.pk, payload.raised_by_id),
        raised_by_name=payload.raised_by_name,
        meeting=meeting,
        review=review,
        remedy_plan=payload.remedy_plan,
        remedy_due=payload.remedy_due,
    )
    return Status(201, s)


@router.get(
    "/annual/shortcomings/{shortcoming_id}",
    response={200: ShortcomingOut, **READ_ERRORS},
    summary="Một hạn chế và việc theo dõi",
)
def get_shortcoming(request: HttpRequest, shortcoming_id: int) -> Any:
    s, _ = access.shortcoming_for_user(request.user, shortcoming_id)
    return s


@router.put(
    "/annual/shortcomings/{shortcoming_id}/plan",
    response={200: ShortcomingOut, **WRITE_409},
    summary="Kế hoạch khắc phục",
)
def plan(request: HttpRequest, shortcoming_id: int, payload: PlanIn) -> Any:
    """With expected_version (plan_version), a plan changed since gives 409 and nothing is written."""
    s, _ = access.shortcoming_for_user(request.user, shortcoming_id, write=True)
    return services.set_remedy_plan(
        actor=request.user,
        shortcoming=s,
        plan=payload.plan,
        due=payload.due,
        expected_version=payload.expected_version,
    )


@router.post(
    "/annual/shortcomings/{shortcoming_id}/follow-ups",
    response={200: ShortcomingOut, **WRITE_ERRORS},
    summary="Ghi tiến độ khắc phục",
)
def follow_up(request: HttpRequest, shortcoming_id: int, payload: NoteIn) -> Any:
    s, _ = access.shortcoming_for_user(request.user, shortcoming_id, write=True)
    services.add_follow_up(actor=request.user, shortcoming=s, note=payload.note)
    return Shortcoming.objects.get(pk=s.pk)


@router.post(
    "/annual/shortcomings/{shortcoming_id}/confirm",
    response={200: ShortcomingOut, **WRITE_ERRORS},
    summary="Chi bộ xác nhận đã khắc phục (khóa)",
)
def confirm(request: HttpRequest, shortcoming_id: int, payload: NoteIn) -> Any:
    s, _ = access.shortcoming_for_user(request.user, shortcoming_id, write=True)
    return services.confirm_remedied(actor=request.user, shortcoming=s, note=payload.note)


# --- dues ---------------------------------------------------------------------------------------
@router.get(
    "/annual/cells/{cell_id}/dues/{year}",
    response={200: LedgerOut, **READ_ERRORS},
    summary="Sổ đảng phí năm: từng tháng phải nộp, đã nộp, tháng chưa nộp đủ, nộp cấp trên",
)
def ledger(request: HttpRequest, cell_id: int, year: int) -> Any:
    cell, _ = access.cell_for_user(request.user, cell_id)
    lg = selectors.dues_ledger(cell, year)
    return {
        "organisation_id": cell.pk,
        "year": year,
        "rows": [_ledger_row(r) for r in lg.rows],
        "year_paid": lg.year_paid,
        "year_due": lg.year_due,
        "year_remitted": lg.year_remitted,
        "remittances": list(lg.remittances.values()),
    }


@router.put(
    "/annual/members/{member_id}/dues-profile",
    response={200: DuesProfileOut, **WRITE_409},
    summary="Đối tượng và căn cứ đóng đảng phí của đảng viên",
)
def dues_profile(request: HttpRequest, member_id: int, payload: DuesProfileIn) -> Any:
    member, _ = access.member_year_for_user(request.user, member_id)
    access.cell_for_user(request.user, member.organisation_id, need=Perm.ANNUAL_MANAGE)
    return services.set_dues_profile(actor=request.user, member=member, **payload.dict())


@router.post(
    "/annual/members/{member_id}/dues-profile/approve-voluntary",
    response={200: DuesProfileOut, **WRITE_ERRORS},
    summary="Chi ủy đồng ý mức đóng tự nguyện cao hơn",
)
def approve_voluntary(request: HttpRequest, member_id: int) -> Any:
    member, _ = access.member_year_for_user(request.user, member_id)
    access.cell_for_user(request.user, member.organisation_id, need=Perm.ANNUAL_MANAGE)
    profile = selectors.profile_in_force(member)
    if profile is None:
        raise Http404("Đảng viên chưa có mức đóng đảng phí.")
    return services.approve_voluntary(actor=request.user, profile=profile)


@router.post(
    "/annual/cells/{cell_id}/dues/{year}/payments",
    response={201: PaymentOut, **WRITE_ERRORS},
    summary="Ghi khoản đảng phí nộp ngoài buổi sinh hoạt",
)
def payment(request: HttpRequest, cell_id: int, year: int, payload: PaymentIn) -> Any:
    cell, _ = access.cell_for_user(request.user, cell_id, need=Perm.ANNUAL_MANAGE)
    member = _cell_member(cell.pk, payload.member_id)
    return Status(
        201,
        services.record_payment(
            actor=request.user,
            member=member,
            year=year,
            month=payload.month,
            amount=payload.amount,
            paid_on=payload.paid_on,
            note=payload.note,
        ),
    )


@router.post(
    "/annual/cells/{cell_id}/dues/{year}/remittances",
    response={201: RemittanceOut, **WRITE_ERRORS},
    summary="Ghi khoản nộp đảng phí lên cấp trên",
)
def remittance(request: HttpRequest, cell_id: int, year: int, payload: RemittanceIn) -> Any:
    cell, _ = access.cell_for_user(request.user, cell_id, need=Perm.ANNUAL_MANAGE)
    return Status(201, services.record_remittance(actor=request.user, cell=cell, year=year, **payload.dict()))


@router.post(
    "/annual/remittances/{remittance_id}/confirm",
    response={200: RemittanceOut, **WRITE_ERRORS},
    summary="Cấp trên xác nhận đã nhận đảng phí (khóa tháng)",
)
def confirm_remittance(request: HttpRequest, remittance_id: int) -> Any:
    rem = Remittance.objects.filter(pk=remittance_id).first()
    if rem is None:
        raise Http404("Không tìm thấy khoản nộp.")
    access.cell_for_user(request.user, rem.organisation_id, need=Perm.ANNUAL_DECIDE)
    return services.confirm_remittance(actor=request.user, remittance=rem)
