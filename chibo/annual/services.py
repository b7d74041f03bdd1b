"""Every write of the member's year: lock → validate (Vietnamese messages) → write → audit.

Who may call what is checked by chibo.annual.access before; these functions check the state:
an approved commitment, a remedied shortcoming, a proposed or decided review round and a
confirmed remittance refuse changes (the *Locked errors are 403s).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chibo.annual import engine, selectors
from chibo.annual.models import (
    Commitment,
    CommitmentStatus,
    DuesPayment,
    DuesProfile,
    FollowUp,
    Remittance,
    Review,
    ReviewRound,
    ReviewStatus,
    RoundStatus,
    Shortcoming,
    ShortcomingStatus,
)
from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.core import versions, vntext
from chibo.meetings.models import Meeting
from chibo.meetings.services import MeetingLocked
from chibo.members.models import Member
from chibo.organisations.models import Organisation
from chibo.rules import loader

MAX_AMOUNT = 100_000_000

COMMITMENT_TEMPLATE = {
    "political": "Tuyệt đối trung thành với Đảng, kiên định chủ nghĩa Mác - Lênin, tư tưởng Hồ Chí Minh; "
    "chấp hành nghiêm chủ trương của Đảng, chính sách, pháp luật của Nhà nước. Cụ thể: …",
    "ethical": "Giữ gìn phẩm chất đạo đức, lối sống giản dị; gương mẫu trong gia đình và nơi cư trú; "
    "học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh. Cụ thể: …",
    "professional": "Hoàn thành tốt công việc, nghề nghiệp; học tập nâng cao trình độ. Cụ thể: …",
    "assigned_tasks": "Thực hiện nhiệm vụ chi bộ phân công: … ; dự sinh hoạt đầy đủ, đóng đảng phí đúng quy định.",
}
COMMITMENT_FIELDS = tuple(COMMITMENT_TEMPLATE)
COMMITMENT_LABELS = {
    "political": "Về tư tưởng chính trị",
    "ethical": "Về phẩm chất đạo đức, lối sống",
    "professional": "Về chuyên môn, nghề nghiệp, công việc",
    "assigned_tasks": "Về nhiệm vụ được chi bộ phân công",
}


class CommitmentLocked(PermissionDenied):
    def __init__(self) -> None:
        super().__init__("Bản cam kết đã được chi bộ duyệt nên không sửa được nữa.")


class ShortcomingClosed(PermissionDenied):
    def __init__(self) -> None:
        super().__init__("Chi bộ đã xác nhận hạn chế này được khắc phục; không thay đổi được nữa.")


class RoundLocked(PermissionDenied):
    def __init__(self, status: str) -> None:
        texts: dict[str, str] = {
            RoundStatus.PROPOSED: "Chi bộ đã gửi đề nghị xếp loại lên cấp trên; không sửa được nữa.",
            RoundStatus.DECIDED: "Cấp trên đã quyết định xếp loại; kết quả đã khóa.",
        }
        super().__init__(texts.get(status, "Đợt kiểm điểm đã khóa."))


class MonthLocked(PermissionDenied):
    def __init__(self, month: int, year: int) -> None:
        super().__init__(
            f"Đảng phí tháng {month:02d}/{year} đã được cấp trên xác nhận nhận; không sửa được nữa."
        )


def _audit(actor: Any, action: str, obj: Any, org: Organisation, changes: dict[str, Any]) -> None:
    record(actor=actor, action=action, obj=obj, org_path=org.path, changes=changes)


def _year(year: Any) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError({"year": "Năm không hợp lệ."})
    return year


def _text(value: str, limit: int = 5000) -> str:
    value = vntext.clean(value or "", multiline=True)
    if len(value) > limit:
        raise ValidationError(f"Nội dung quá dài (tối đa {limit} ký tự).")
    return value


# --- commitments ---------------------------------------------------------------------------
@transaction.atomic
def start_commitment(*, actor: Any, member: Member, year: int) -> Commitment:
    """The member's commitment for YEAR, created from the template if it does not exist."""
    _year(year)
    existing = Commitment.objects.filter(member=member, year=year).first()
    if existing is not None:
        return existing
    c = Commitment.objects.create(
        member=member, organisation=member.organisation, year=year, **COMMITMENT_TEMPLATE
    )
    _audit(actor, AuditAction.CREATE, c, c.organisation, {"commitment": ["", f"{member.full_name} {year}"]})
    return c


def _locked_commitment(c: Commitment) -> Commitment:
    fresh = Commitment.objects.select_for_update().select_related("organisation", "member").get(pk=c.pk)
    if fresh.is_locked:
        raise CommitmentLocked()
    if ReviewRound.objects.filter(
        organisation=fresh.organisation, year=fresh.year, status=RoundStatus.DECIDED
    ).exists():
        raise PermissionDenied(f"Năm {fresh.year} đã được cấp trên xếp loại; bản cam kết không sửa được nữa.")
    return fresh


@transaction.atomic
def save_commitment(*, actor: Any, commitment: Commitment, submit: bool = False, **fields: str) -> Commitment:
    c = _locked_commitment(commitment)
    unknown = set(fields) - set(COMMITMENT_FIELDS)
    if unknown:
        raise ValidationError(f"Trường không hợp lệ: {', '.join(sorted(unknown))}.")
    before = {f: getattr(c, f) for f in COMMITMENT_FIELDS}
    for name, value in fields.items():
        setattr(c, name, _text(value))
    if submit:
        empty = [
            COMMITMENT_LABELS[f]
            for f in COMMITMENT_FIELDS
            if not getattr(c, f).strip() or getattr(c, f).rstrip().endswith("…")
        ]
        if empty:
            raise ValidationError(
                {"__all__": "Hãy viết cụ thể trước khi gửi (thay dấu “…” của mẫu): " + "; ".join(empty) + "."}
            )
        c.status, c.submitted_at = CommitmentStatus.SUBMITTED, timezone.now()
    else:
        c.status = CommitmentStatus.DRAFT
    c.updated_at = timezone.now()
    c.save()
    changes = {f: [before[f], getattr(c, f)] for f in COMMITMENT_FIELDS if before[f] != getattr(c, f)}
    changes["status"] = ["", c.status]
    _audit(actor, AuditAction.UPDATE, c, c.organisation, changes)
    commitment.__dict__.update(c.__dict__)
    return c


@transaction.atomic
def approve_commitment(*, actor: Any, commitment: Commitment) -> Commitment:
    c = _locked_commitment(commitment)
    if c.status != CommitmentStatus.SUBMITTED:
        raise ValidationError("Đảng viên chưa gửi bản cam kết này.")
    c.status, c.approved_at, c.approved_by, c.return_note = (
        CommitmentStatus.APPROVED,
        timezone.now(),
        actor,
        "",
    )
    c.save()
    _audit(
        actor,
        AuditAction.UPDATE,
        c,
        c.organisation,
        {"status": [CommitmentStatus.SUBMITTED, CommitmentStatus.APPROVED]},
    )
    return c


@transaction.atomic
def return_commitment(*, actor: Any, commitment: Commitment, note: str) -> Commitment:
    c = _locked_commitment(commitment)
    note = vntext.clean(note)
    if not note:
        raise ValidationError({"note": "Hãy ghi ý kiến để đảng viên sửa bản cam kết."})
    c.status, c.return_note = CommitmentStatus.DRAFT, note[:500]
    c.save()
    _audit(
        actor,
        AuditAction.UPDATE,
        c,
        c.organisation,
        {"status": [CommitmentStatus.SUBMITTED, "returned"], "note": ["", note]},
    )
    return c


# --- shortcomings ---------------------------------------------------------------------------
@transaction.atomic
def raise_shortcoming(
    *,
    actor: Any,
    cell: Organisation,
    text: str,
    member: Member | None = None,
    raised_by: Member | None = None,
    raised_by_name: str = "",
    meeting: Meeting | None = None,
    review: Review | None = None,
    remedy_plan: str = "",
    remedy_due: dt.date | None = None,
    year: int | None = None,
) -> Shortcoming:
    text = _text(text, 2000)
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "Hãy ghi nội dung hạn chế, khuyết điểm."
    raised_by_name = vntext.clean(raised_by_name)[:255]
    if raised_by is None and not raised_by_name:
        errors["raised_by"] = "Hãy ghi ai đã nêu hạn chế này."
    if member is not None and member.organisation_id != cell.pk:
        errors["member"] = f"{member.full_name} không thuộc {cell.name}."
    if raised_by is not None and raised_by.organisation_id != cell.pk:
        errors["raised_by"] = f"{raised_by.full_name} không thuộc {cell.name}; hãy ghi tên người nêu."
    if meeting is not None and meeting.organisation_id != cell.pk:
        errors["meeting"] = "Buổi sinh hoạt không thuộc chi bộ này."
    if review is not None and review.round.organisation_id != cell.pk:
        errors["review"] = "Bản kiểm điểm không thuộc chi bộ này."
    if errors:
        raise ValidationError(errors)
    if meeting is not None:
        locked = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
        if locked.is_locked:
            raise MeetingLocked()
        year = year or timezone.localtime(locked.scheduled_at).year
    if review is not None:
        rnd = ReviewRound.objects.select_for_update().get(pk=review.round_id)
        if rnd.status != RoundStatus.OPEN:
            raise RoundLocked(rnd.status)
        year = year or rnd.year
    s = Shortcoming.objects.create(
        organisation=cell,
        member=member,
        year=year or timezone.localdate().year,
        text=text,
        raised_by=raised_by,
        raised_by_name="" if raised_by else raised_by_name,
        meeting=meeting,
        review=review,
        remedy_plan=_text(remedy_plan, 2000),
        remedy_due=remedy_due,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _audit(
        actor,
        AuditAction.CREATE,
        s,
        cell,
        {
            "shortcoming": ["", f"{s.subject_name}: {text}"],
            "raised_by": ["", s.raiser],
            **({"meeting": ["", str(meeting)]} if meeting else {}),
        },
    )
    return s


def _open_shortcoming(s: Shortcoming) -> Shortcoming:
    fresh = (
        Shortcoming.objects.select_for_update(of=("self",))
        .select_related("organisation", "member")
        .get(pk=s.pk)
    )
    if fresh.is_locked:
        raise ShortcomingClosed()
    return fresh


def plan_version(shortcoming: Shortcoming) -> str:
    """The version of a shortcoming's remedy plan an editor saw (chibo.core.versions)."""
    return versions.token(shortcoming.remedy_plan, shortcoming.remedy_due)


@transaction.atomic
def set_remedy_plan(
    *,
    actor: Any,
    shortcoming: Shortcoming,
    plan: str,
    due: dt.date | None = None,
    expected_version: str | None = None,
) -> Shortcoming:
    """With EXPECTED_VERSION (plan_version() of what the editor saw), a plan changed since raises
    versions.Stale naming the current plan; nothing is written."""
    s = _open_shortcoming(shortcoming)
    versions.check(
        expected_version,
        plan_version(s),
        "Kế hoạch khắc phục vừa được người khác sửa nên nội dung của bạn chưa được lưu. Kế hoạch hiện tại: "
        f"{versions.quoted(s.remedy_plan)}"
        f"{', hạn ' + s.remedy_due.strftime('%d/%m/%Y') if s.remedy_due else ''}. Hãy xem lại rồi lưu lại.",
    )
    plan = _text(plan, 2000)
    if not plan:
        raise ValidationError({"plan": "Hãy ghi kế hoạch khắc phục."})
    old = s.remedy_plan
    s.remedy_plan, s.remedy_due = plan, due
    s.save(update_fields=["remedy_plan", "remedy_due"])
    _audit(
        actor,
        AuditAction.UPDATE,
        s,
        s.organisation,
        {"remedy_plan": [old, plan], "remedy_due": ["", due.strftime("%d/%m/%Y") if due else ""]},
    )
    return s


@transaction.atomic
def add_follow_up(*, actor: Any, shortcoming: Shortcoming, note: str) -> FollowUp:
    s = _open_shortcoming(shortcoming)
    note = _text(note, 2000)
    if not note:
        raise ValidationError({"note": "Hãy ghi tiến độ khắc phục."})
    f = FollowUp.objects.create(
        shortcoming=s, note=note, author=actor if getattr(actor, "pk", None) else None
    )
    _audit(actor, AuditAction.CREATE, f, s.organisation, {"follow_up": ["", note]})
    return f


@transaction.atomic
def confirm_remedied(*, actor: Any, shortcoming: Shortcoming, note: str = "") -> Shortcoming:
    s = _open_shortcoming(shortcoming)
    if note.strip():
        FollowUp.objects.create(shortcoming=s, note=_text(note, 2000), author=actor)
    s.status, s.remedied_at, s.confirmed_by = ShortcomingStatus.REMEDIED, timezone.now(), actor
    s.save(update_fields=["status", "remedied_at", "confirmed_by"])
    _audit(
        actor,
        AuditAction.UPDATE,
        s,
        s.organisation,
        {"status": [ShortcomingStatus.OPEN, ShortcomingStatus.REMEDIED]},
    )
    shortcoming.status = s.status
    return s


# --- review rounds ----------------------------------------------------------------------------
def _gather(review: Review, cell: Organisation, year: int, today: dt.date | None) -> None:
    review.inputs = (
        selectors.cell_inputs(cell, year, today=today)
        if review.member is None
        else selectors.member_inputs(review.member, cell, year, today=today)
    )
    review.inputs_at = timezone.now()


@transaction.atomic
def open_round(*, actor: Any, cell: Organisation, year: int, today: dt.date | None = None) -> ReviewRound:
    """Open the year-end review: one review per member of the year, one for the cell, inputs gathered."""
    _year(year)
    if not cell.is_cell:
        raise ValidationError({"organisation": "Chỉ chi bộ mới tổ chức kiểm điểm đảng viên."})
    if ReviewRound.objects.filter(organisation=cell, year=year).exists():
        raise ValidationError({"year": f"Chi bộ đã mở đợt kiểm điểm năm {year}."})
    book = selectors.rulebook_for(cell)
    from chibo.rules.models import remember

    remember(book)
    rnd = ReviewRound.objects.create(
        organisation=cell,
        year=year,
        rulebook_code=book.code,
        rulebook_version=book.version,
        opened_by=actor if getattr(actor, "pk", None) else None,
    )
    members = [
        m for m in selectors.members_in_year(cell, year) if m.left_at is None and m.organisation_id == cell.pk
    ]
    reviews = [Review(round=rnd, member=m) for m in members] + [Review(round=rnd, member=None)]
    for r in reviews:
        _gather(r, cell, year, today)
    Review.objects.bulk_create(reviews)
    _audit(
        actor,
        AuditAction.CREATE,
        rnd,
        cell,
        {"review_round": ["", f"{year}: {len(members)} đảng viên và tập thể chi bộ"]},
    )
    return rnd


def _open_round(rnd: ReviewRound) -> ReviewRound:
    fresh = ReviewRound.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=rnd.pk)
    if fresh.status != RoundStatus.OPEN:
        raise RoundLocked(fresh.status)
    return fresh


@transaction.atomic
def refresh_inputs(*, actor: Any, round: ReviewRound, today: dt.date | None = None) -> int:
    rnd = _open_round(round)
    reviews = list(rnd.reviews.select_related("member"))
    for r in reviews:
        _gather(r, rnd.organisation, rnd.year, today)
        _recompute(r, rnd)
    Review.objects.bulk_update(
        reviews, ["inputs", "inputs_at", "computed_level", "computed_notes", "self_level"]
    )
    _audit(actor, AuditAction.UPDATE, rnd, rnd.organisation, {"inputs": ["", "cập nhật số liệu tự động"]})
    return len(reviews)


def _writable_review(review: Review) -> tuple[Review, ReviewRound]:
    rnd = _open_round(review.round)
    fresh = Review.objects.select_for_update(of=("self",)).select_related("member").get(pk=review.pk)
    fresh.round = rnd
    return fresh, rnd


def _scores(rules: loader.AnnualRules, subject: str, scores: dict[str, Any]) -> tuple[dict[str, int], int]:
    frame = rules.rating.frames[subject]
    out: dict[str, int] = {}
    errors: dict[str, str] = {}
    for c in frame:
        raw = scores.get(c.code)
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            errors[c.code] = f"{c.title}: hãy chấm điểm (0–{c.points})."
            continue
        if not 0 <= value <= c.points:
            errors[c.code] = f"{c.title}: điểm phải từ 0 đến {c.points} (đang là {value})."
            continue
        out[c.code] = value
    if errors:
        raise ValidationError(errors)
    return out, sum(out.values())


def _recompute(r: Review, rnd: ReviewRound) -> None:
    rules = selectors.rules_for_round(rnd)
    if r.self_total is not None:
        r.self_level = engine.rate(rules.rating, r.subject, selectors.rating_facts(r, r.self_total)).level
    total = r.cell_total if r.cell_total is not None else None
    if total is not None:
        rating = engine.rate(rules.rating, r.subject, selectors.rating_facts(r, total))
        r.computed_level, r.computed_notes = rating.level, list(rating.missed)


def self_version(review: Review) -> str:
    """The version of REVIEW's self-assessment an editor saw (chibo.core.versions). It matters for
    the cell's own review, which any member of the chi ủy may write."""
    return versions.token(review.self_scores, review.strengths, review.weaknesses, review.remedy, review.status)


@transaction.atomic
def save_self_assessment(
    *,
    actor: Any,
    review: Review,
    scores: dict[str, Any],
    strengths: str = "",
    weaknesses: str = "",
    remedy: str = "",
    submit: bool = False,
    expected_version: str | None = None,
) -> Review:
    """With EXPECTED_VERSION (self_version() of what the editor saw), a self-assessment saved since
    raises versions.Stale naming it; nothing is written."""
    r, rnd = _writable_review(review)
    versions.check(
        expected_version,
        self_version(r),
        "Bản tự kiểm điểm vừa được người khác lưu nên nội dung của bạn chưa được ghi. Hiện tại: "
        f"{r.self_total if r.self_total is not None else '—'} điểm, ưu điểm {versions.quoted(r.strengths)}, "
        f"hạn chế {versions.quoted(r.weaknesses)}. Hãy xem lại rồi lưu lại.",
    )
    if r.status in (ReviewStatus.ASSESSED, ReviewStatus.DECIDED):
        raise PermissionDenied("Chi bộ đã đánh giá bản kiểm điểm này; phần tự đánh giá không sửa được nữa.")
    rules = selectors.rules_for_round(rnd)
    r.self_scores, r.self_total = _scores(rules, r.subject, scores)
    r.strengths, r.weaknesses, r.remedy = _text(strengths), _text(weaknesses), _text(remedy)
    if submit:
        if not r.strengths or not r.weaknesses:
            raise ValidationError(
                {"strengths": "Bản tự kiểm điểm cần nêu cả ưu điểm và hạn chế, khuyết điểm."}
            )
        r.status, r.self_submitted_at = ReviewStatus.SELF_SUBMITTED, timezone.now()
    _recompute(r, rnd)
    r.updated_at = timezone.now()
    r.save()
    _audit(
        actor,
        AuditAction.UPDATE,
        r,
        rnd.organisation,
        {
            "self_total": ["", r.self_total],
            "self_level": ["", r.self_level],
            "status": ["", r.status],
        },
    )
    review.__dict__.update({k: v for k, v in r.__dict__.items() if not k.startswith("_")})
    return r


def assessment_version(review: Review) -> str:
    """The version of the cell's assessment of REVIEW an editor saw (chibo.core.versions)."""
    return versions.token(
        review.cell_scores, review.cell_comment, review.tasks_exceeding, review.disciplined, review.proposed_level
    )


@transaction.atomic
def assess(
    *,
    actor: Any,
    review: Review,
    scores: dict[str, Any],
    comment: str = "",
    tasks_exceeding: int = 0,
    disciplined: bool = False,
    proposed_level: str = "",
    expected_version: str | None = None,
) -> Review:
    """The cell's assessment: its scores, the computed level and the level it proposes. With
    EXPECTED_VERSION (assessment_version() of what the editor saw), an assessment saved since by
    another member of the chi ủy raises versions.Stale naming it; nothing is written."""
    r, rnd = _writable_review(review)
    if versions.is_stale(expected_version, assessment_version(r)):
        rules_ = selectors.rules_for_round(rnd)
        level = rules_.rating.label(r.proposed_level) if r.proposed_level else "(chưa đề nghị)"
        raise versions.Stale(
            "Bản đánh giá của chi bộ vừa được người khác lưu nên đánh giá của bạn chưa được ghi. Hiện tại: "
            f"{r.cell_total if r.cell_total is not None else '—'} điểm, mức đề nghị {level}, nhận xét "
            f"{versions.quoted(r.cell_comment)}. Hãy xem lại rồi lưu lại.",
            assessment_version(r),
        )
    if r.status == ReviewStatus.DRAFT:
        who = "Tập thể chi bộ" if r.is_cell else (r.member.full_name if r.member else "")
        raise ValidationError(f"{who} chưa gửi bản tự kiểm điểm.")
    rules = selectors.rules_for_round(rnd)
    tasks_total = (r.inputs or {}).get("tasks_total", 0)
    if not isinstance(tasks_exceeding, int) or not 0 <= tasks_exceeding <= tasks_total:
        raise ValidationError(
            {
                "tasks_exceeding": f"Số nhiệm vụ vượt yêu cầu phải từ 0 đến {tasks_total} (số nhiệm vụ trong năm)."
            }
        )
    r.cell_scores, r.cell_total = _scores(rules, r.subject, scores)
    r.cell_comment, r.tasks_exceeding, r.disciplined = _text(comment), tasks_exceeding, bool(disciplined)
    _recompute(r, rnd)
    proposed = proposed_level or r.computed_level
    if proposed not in {lv.level for lv in rules.rating.levels}:
        raise ValidationError({"proposed_level": "Mức đề nghị không hợp lệ."})
    if rules.rating.rank(proposed) < rules.rating.rank(r.computed_level):
        raise ValidationError(
            {
                "proposed_level": (
                    f"Không đề nghị cao hơn mức đạt theo điểm và điều kiện (“{rules.rating.label(r.computed_level)}”)."
                )
            }
        )
    if proposed != r.proposed_level:
        r.vote_for = r.vote_against = r.vote_base = r.vote_passed = None
    r.proposed_level = proposed
    r.status = ReviewStatus.ASSESSED
    r.updated_at = timezone.now()
    r.save()
    _audit(
        actor,
        AuditAction.UPDATE,
        r,
        rnd.organisation,
        {
            "cell_total": ["", r.cell_total],
            "computed_level": ["", r.computed_level],
            "proposed_level": ["", proposed],
        },
    )
    return r


@transaction.atomic
def record_vote(
    *, actor: Any, review: Review, in_favour: int, against: int, base: int | None = None
) -> Review:
    r, rnd = _writable_review(review)
    if r.status != ReviewStatus.ASSESSED or not r.proposed_level:
        raise ValidationError("Chi bộ chưa đánh giá và đề nghị mức xếp loại.")
    rules = selectors.rules_for_round(rnd)
    if base is None:
        base = selectors.full_members_count(rnd.organisation, rnd.held_on or timezone.localdate())
    if (
        not all(isinstance(v, int) and v >= 0 for v in (in_favour, against, base))
        or in_favour + against > base
    ):
        raise ValidationError(
            {
                "in_favour": f"Số phiếu không hợp lệ: tán thành + không tán thành không vượt quá {base} đảng viên chính thức."
            }
        )
    check = engine.check_vote(rules.vote, r.proposed_level, in_favour=in_favour, base=base)
    if not check.required:
        raise ValidationError(
            f"Mức “{rules.rating.label(r.proposed_level)}” không cần biểu quyết theo bộ quy tắc."
        )
    r.vote_for, r.vote_against, r.vote_base, r.vote_passed = in_favour, against, base, check.passed
    r.save(update_fields=["vote_for", "vote_against", "vote_base", "vote_passed"])
    _audit(
        actor,
        AuditAction.UPDATE,
        r,
        rnd.organisation,
        {
            "vote": [
                "",
                f"{in_favour} tán thành, {against} không tán thành / {base}; cần {check.needed}: {'đạt' if check.passed else 'không đạt'}",
            ],
        },
    )
    return r


@transaction.atomic
def propose_round(
    *,
    actor: Any,
    round: ReviewRound,
    held_on: dt.date,
    place: str = "",
    present_count: int | None = None,
) -> ReviewRound:
    """Send the proposal list to the upper committee. Every review must be assessed, and every
    level that needs a vote must have passed it. The cap is a warning shown to both sides."""
    rnd = _open_round(round)
    rules = selectors.rules_for_round(rnd)
    problems: list[str] = []
    if held_on is None or held_on.year not in (rnd.year, rnd.year + 1):
        problems.append(f"Ngày họp kiểm điểm phải thuộc năm {rnd.year} hoặc đầu năm {rnd.year + 1}.")
    for r in rnd.reviews.select_related("member"):
        who = r.member.full_name if r.member is not None else "Tập thể chi bộ"
        if r.status != ReviewStatus.ASSESSED:
            problems.append(f"{who}: chưa được chi bộ đánh giá.")
            continue
        if r.member_id is None:
            continue
        check = engine.check_vote(rules.vote, r.proposed_level, in_favour=r.vote_for, base=r.vote_base or 0)
        if check.required and r.vote_passed is None:
            problems.append(f"{who}: mức “{rules.rating.label(r.proposed_level)}” cần chi bộ biểu quyết.")
        elif check.required and not r.vote_passed:
            problems.append(f"{who}: biểu quyết không đạt; hãy đề nghị mức thấp hơn.")
    if problems:
        raise ValidationError(problems)
    rnd.status, rnd.proposed_at, rnd.held_on = RoundStatus.PROPOSED, timezone.now(), held_on
    rnd.place, rnd.present_count = vntext.clean(place)[:255], present_count
    rnd.save()
    _audit(
        actor, AuditAction.UPDATE, rnd, rnd.organisation, {"status": [RoundStatus.OPEN, RoundStatus.PROPOSED]}
    )
    round.status = rnd.status
    return rnd


def _proposed_round(rnd: ReviewRound) -> ReviewRound:
    fresh = (
        ReviewRound.objects.select_for_update(of=("self",))
        .select_related("organisation", "organisation__parent")
        .get(pk=rnd.pk)
    )
    if fresh.status == RoundStatus.DECIDED:
        raise RoundLocked(fresh.status)
    if fresh.status != RoundStatus.PROPOSED:
        raise ValidationError("Chi bộ chưa gửi đề nghị xếp loại.")
    return fresh


@transaction.atomic
def decide(*, actor: Any, review: Review, final_level: str, note: str = "") -> Review:
    rnd = _proposed_round(review.round)
    r = Review.objects.select_for_update(of=("self",)).select_related("member").get(pk=review.pk)
    rules = selectors.rules_for_round(rnd)
    if final_level not in {lv.level for lv in rules.rating.levels}:
        raise ValidationError({"final_level": "Mức xếp loại không hợp lệ."})
    if rules.rating.rank(final_level) < rules.rating.rank(r.computed_level):
        raise ValidationError(
            {
                "final_level": (
                    f"Không quyết định cao hơn mức đạt theo điểm và điều kiện (“{rules.rating.label(r.computed_level)}”)."
                )
            }
        )
    old = r.final_level
    r.final_level, r.decision_note = final_level, vntext.clean(note)[:500]
    r.decided_at, r.decided_by, r.status = timezone.now(), actor, ReviewStatus.DECIDED
    r.save()
    _audit(actor, AuditAction.UPDATE, r, rnd.organisation, {"final_level": [old, final_level]})
    return r


@transaction.atomic
def decide_round(
    *, actor: Any, round: ReviewRound, note: str = "", deciding_body: Organisation | None = None
) -> ReviewRound:
    """Close the year: reviews not decided one by one take the proposed level; then locked."""
    rnd = _proposed_round(round)
    now = timezone.now()
    for r in rnd.reviews.select_for_update(of=("self",)).filter(status=ReviewStatus.ASSESSED):
        r.final_level, r.decided_at, r.decided_by, r.status = (
            r.proposed_level,
            now,
            actor,
            ReviewStatus.DECIDED,
        )
        r.save(update_fields=["final_level", "decided_at", "decided_by", "status"])
    rnd.status, rnd.decided_at, rnd.decided_by = RoundStatus.DECIDED, now, actor
    rnd.decision_note = _text(note)
    rnd.deciding_body = deciding_body or rnd.organisation.parent
    rnd.save()
    _audit(
        actor,
        AuditAction.UPDATE,
        rnd,
        rnd.organisation,
        {"status": [RoundStatus.PROPOSED, RoundStatus.DECIDED]},
    )
    round.status = rnd.status
    return rnd


@transaction.atomic
def return_round(*, actor: Any, round: ReviewRound, note: str) -> ReviewRound:
    """The upper committee sends the proposal back for rework."""
    rnd = _proposed_round(round)
    note = _text(note)
    if not note:
        raise ValidationError({"note": "Hãy ghi lý do trả lại để chi bộ làm lại."})
    rnd.reviews.filter(status=ReviewStatus.DECIDED).update(
        status=ReviewStatus.ASSESSED, final_level="", decided_at=None, decided_by=None
    )
    rnd.status, rnd.decision_note, rnd.proposed_at = RoundStatus.OPEN, note, None
    rnd.save()
    _audit(
        actor,
        AuditAction.UPDATE,
        rnd,
        rnd.organisation,
        {"status": [RoundStatus.PROPOSED, RoundStatus.OPEN], "note": ["", note]},
    )
    round.status = rnd.status
    return rnd


# --- dues -----------------------------------------------------------------------------------
def _locked_months(cell: Organisation, start: dt.date, until: dt.date | None) -> list[Remittance]:
    """The months in [start, until) whose remittance the upper level has confirmed, in order."""
    locked = Remittance.objects.filter(organisation=cell, confirmed_at__isnull=False).filter(
        Q(year__gt=start.year) | Q(year=start.year, month__gte=start.month)
    )
    if until is not None:
        locked = locked.filter(Q(year__lt=until.year) | Q(year=until.year, month__lt=until.month))
    return list(locked.order_by("year", "month"))


def _profile_token(rows: list[DuesProfile]) -> str:
    return versions.token(
        [(p.valid_from, p.category, p.base_income, p.fixed_amount, p.voluntary_amount) for p in rows]
    )


def profile_version(member: Member | int) -> str:
    """The version of MEMBER's dues profile history (every effective-dated version) an editor saw."""
    return _profile_token(list(DuesProfile.objects.filter(member=member).order_by("valid_from")))


@transaction.atomic
def set_dues_profile(
    *,
    actor: Any,
    member: Member,
    category: str,
    base_income: int = 0,
    fixed_amount: int | None = None,
    voluntary_amount: int | None = None,
    valid_from: dt.date | None = None,
    expected_version: str | None = None,
) -> DuesProfile:
    """Set the member's dues category and base from a month on (default: the current month).

    Months before it keep the amount due under the version then in force; a version already
    starting that month is replaced. Refused when a month it would re-price — from ``valid_from``
    up to the next later version — has been confirmed as remitted by the upper level."""
    rule = selectors.rules_for_cell(member.organisation).dues
    cat = rule.category(category)
    errors: dict[str, str] = {}
    if cat is None:
        errors["category"] = "Đối tượng đóng đảng phí không hợp lệ."
    else:
        if not cat.fixed and not (isinstance(base_income, int) and 0 < base_income <= MAX_AMOUNT):
            errors["base_income"] = "Hãy ghi thu nhập làm căn cứ đóng đảng phí (đồng/tháng)."
        if cat.fixed and not (
            isinstance(fixed_amount, int) and rule.fixed_min <= fixed_amount <= rule.fixed_max
        ):
            errors["fixed_amount"] = (
                f"Mức cố định phải từ {rule.fixed_min:,} đến {rule.fixed_max:,} đồng/tháng.".replace(",", ".")
            )
    if voluntary_amount is not None and not (
        isinstance(voluntary_amount, int) and 0 < voluntary_amount <= MAX_AMOUNT
    ):
        errors["voluntary_amount"] = "Mức tự nguyện không hợp lệ."
    if valid_from is not None and not isinstance(valid_from, dt.date):
        errors["valid_from"] = "Tháng bắt đầu áp dụng không hợp lệ."
    if errors:
        raise ValidationError(errors)
    assert cat is not None
    start = (valid_from or timezone.localdate()).replace(day=1)
    history = list(DuesProfile.objects.select_for_update().filter(member=member).order_by("valid_from"))
    if versions.is_stale(expected_version, _profile_token(history)):
        now = history[-1] if history else None
        label = rule.category(now.category) if now else None
        shown = (
            f"{label.label if label else now.category} từ tháng {now.valid_from:%m/%Y}"
            + (f", thu nhập {now.base_income:,} đồng".replace(",", ".") if now.base_income else "")
            + (f", mức cố định {now.fixed_amount:,} đồng".replace(",", ".") if now.fixed_amount else "")
            if now else "(chưa có)"
        )
        raise versions.Stale(
            f"Mức đóng đảng phí của {member.full_name} vừa được người khác sửa nên thay đổi của bạn chưa "
            f"được lưu. Mức mới nhất hiện tại: {shown}. Hãy xem lại rồi lưu lại.",
            _profile_token(history),
        )
    later = next((p.valid_from for p in history if p.valid_from > start), None)
    locked = _locked_months(member.organisation, start, later)
    if locked:
        first, last = locked[0], locked[-1]
        raise ValidationError(
            {
                "valid_from": (
                    f"Đảng phí tháng {first.month:02d}/{first.year} đã được cấp trên xác nhận "
                    f"nhận nên không thể tính lại mức đóng từ tháng {start:%m/%Y}. Hãy chọn tháng áp dụng "
                    f"sau tháng {last.month:02d}/{last.year}"
                    + (" (tháng cuối cùng đã khóa)." if last is not first else ".")
                )
            }
        )
    previous = selectors.in_force(history, start)
    profile = next((p for p in history if p.valid_from == start), None) or DuesProfile(
        member=member, valid_from=start
    )
    before = (profile.category, profile.base_income, profile.fixed_amount, profile.voluntary_amount)
    profile.category = category
    profile.base_income = 0 if cat.fixed else base_income
    profile.fixed_amount = fixed_amount if cat.fixed else None
    due = engine.monthly_dues(
        rule,
        category=category,
        base=profile.base_income,
        fixed=profile.fixed_amount,
        outside_age=engine.outside_working_age(
            rule, birth=member.birth_date, gender=member.gender, on=start
        ),
    )
    if voluntary_amount is not None and voluntary_amount <= due.amount:
        raise ValidationError(
            {
                "voluntary_amount": f"Mức tự nguyện phải cao hơn mức phải đóng ({due.amount:,} đ).".replace(
                    ",", "."
                )
            }
        )
    if profile.pk is None and previous is not None and previous.voluntary_amount == voluntary_amount:
        # the chi ủy's consent to the same voluntary amount carries over to the new version
        profile.voluntary_approved_at = previous.voluntary_approved_at
        profile.voluntary_approved_by = previous.voluntary_approved_by
    elif voluntary_amount != profile.voluntary_amount:
        profile.voluntary_approved_at = profile.voluntary_approved_by = None
    profile.voluntary_amount = voluntary_amount
    profile.updated_at = timezone.now()
    created = profile.pk is None
    profile.save()
    if created and previous is not None:
        before = (previous.category, previous.base_income, previous.fixed_amount, previous.voluntary_amount)
    after = (profile.category, profile.base_income, profile.fixed_amount, profile.voluntary_amount)
    _audit(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        profile,
        member.organisation,
        {"dues_profile": [list(before), list(after)], "valid_from": ["", f"{start:%m/%Y}"]},
    )
    return profile


@transaction.atomic
def approve_voluntary(*, actor: Any, profile: DuesProfile) -> DuesProfile:
    p = (
        DuesProfile.objects.select_for_update()
        .select_related("member", "member__organisation")
        .get(pk=profile.pk)
    )
    if not p.voluntary_amount:
        raise ValidationError("Đảng viên chưa đăng ký mức đóng tự nguyện.")
    later = (
        DuesProfile.objects.filter(member=p.member, valid_from__gt=p.valid_from)
        .order_by("valid_from")
        .values_list("valid_from", flat=True)
        .first()
    )
    locked_months = _locked_months(p.member.organisation, p.valid_from, later)
    if locked_months:
        locked = locked_months[0]
        raise ValidationError(
            f"Mức đóng này áp dụng cả tháng {locked.month:02d}/{locked.year}, tháng đã được cấp trên xác "
            "nhận nhận đảng phí. Hãy ghi lại mức đóng tự nguyện áp dụng từ tháng sau rồi đồng ý."
        )
    p.voluntary_approved_at, p.voluntary_approved_by = timezone.now(), actor
    p.save(update_fields=["voluntary_approved_at", "voluntary_approved_by"])
    _audit(
        actor,
        AuditAction.UPDATE,
        p,
        p.member.organisation,
        {"voluntary": ["", f"chi ủy đồng ý {p.voluntary_amount} đ/tháng"]},
    )
    return p


def _month_open(cell: Organisation, year: int, month: int) -> None:
    if not 1 <= month <= 12:
        raise ValidationError({"month": "Tháng phải từ 1 đến 12."})
    rem = Remittance.objects.select_for_update().filter(organisation=cell, year=year, month=month).first()
    if rem is not None and rem.is_locked:
        raise MonthLocked(month, year)


@transaction.atomic
def record_payment(
    *,
    actor: Any,
    member: Member,
    year: int,
    month: int,
    amount: int,
    paid_on: dt.date,
    note: str = "",
) -> DuesPayment:
    """Dues paid outside a meeting (collected at a meeting: chibo.meetings.services.set_dues)."""
    _year(year)
    cell = member.organisation
    _month_open(cell, year, month)
    if not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise ValidationError({"amount": "Số tiền không hợp lệ."})
    if paid_on is None or paid_on > timezone.localdate():
        raise ValidationError({"paid_on": "Ngày nộp không hợp lệ (không được sau hôm nay)."})
    p = DuesPayment.objects.create(
        member=member,
        organisation=cell,
        year=year,
        month=month,
        amount=amount,
        paid_on=paid_on,
        note=vntext.clean(note)[:255],
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    _audit(
        actor,
        AuditAction.CREATE,
        p,
        cell,
        {"dues_payment": ["", f"{member.full_name} {month:02d}/{year}: {amount}"]},
    )
    return p


@transaction.atomic
def record_remittance(
    *,
    actor: Any,
    cell: Organisation,
    year: int,
    month: int,
    amount: int,
    remitted_on: dt.date,
    note: str = "",
) -> Remittance:
    _year(year)
    _month_open(cell, year, month)
    if Remittance.objects.filter(organisation=cell, year=year, month=month).exists():
        raise ValidationError({"month": f"Đã ghi nộp cấp trên cho tháng {month:02d}/{year}."})
    collected = sum(v for (_, m), v in selectors.paid_by_member_month(cell, year).items() if m == month)
    if not isinstance(amount, int) or not 0 < amount <= collected:
        raise ValidationError(
            {
                "amount": f"Số tiền nộp cấp trên phải lớn hơn 0 và không vượt số đã thu tháng này ({collected:,} đ).".replace(
                    ",", "."
                )
            }
        )
    if remitted_on is None or remitted_on > timezone.localdate():
        raise ValidationError({"remitted_on": "Ngày nộp không hợp lệ (không được sau hôm nay)."})
    r = Remittance.objects.create(
        organisation=cell,
        year=year,
        month=month,
        amount=amount,
        remitted_on=remitted_on,
        note=vntext.clean(note)[:255],
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    _audit(actor, AuditAction.CREATE, r, cell, {"remittance": ["", f"{month:02d}/{year}: {amount}"]})
    return r


@transaction.atomic
def confirm_remittance(*, actor: Any, remittance: Remittance) -> Remittance:
    r = (
        Remittance.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=remittance.pk)
    )
    if r.is_locked:
        raise MonthLocked(r.month, r.year)
    r.confirmed_at, r.confirmed_by = timezone.now(), actor
    r.save(update_fields=["confirmed_at", "confirmed_by"])
    _audit(actor, AuditAction.UPDATE, r, r.organisation, {"confirmed": ["", f"cấp trên đã nhận {r.amount}"]})
    return r
