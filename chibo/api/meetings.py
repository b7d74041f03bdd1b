"""/meetings and their parts (agenda, roll call, speeches, tasks, votes, score, documents).

Same scoping as the meeting pages: `meeting_for_user` with MEETING_VIEW for reads, MEETING_MANAGE
for writes and MEETING_SCORE_UPPER for the upper score column; creating a meeting needs
MEETING_MANAGE on the cell. An approved (locked) meeting refuses every write with 403 and the
MeetingLocked message, except amendments. Every write goes through chibo.meetings.services.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status
from pydantic import Field, PlainSerializer, ValidationInfo, WrapValidator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from chibo.accounts.access import meeting_for_user, org_for_user, perms_for, require
from chibo.accounts.permissions import Perm
from chibo.api.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut, InputSchema
from chibo.meetings import selectors, services
from chibo.meetings.documents import add_document
from chibo.meetings.models import (
    AgendaItem,
    Amendment,
    Attendance,
    AttendanceStatus,
    Ballot,
    Choice,
    DocumentKind,
    Guest,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    ScoreSheet,
    Speech,
    Task,
    TaskReport,
    Vote,
    VoteMethod,
)
from chibo.meetings.views import BREACH_RULES, warm_record
from chibo.members.models import Member
from chibo.organisations.models import Organisation, OrgKind, under
from chibo.rules import engine
from chibo.rules import loader as rules

router = Router(tags=["Sinh hoạt chi bộ"])

RUNNING = (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED)
HELD = (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED, MeetingStatus.APPROVED)
DATETIME_HELP = (
    "Thời gian theo ISO 8601, ví dụ 2026-05-15T19:30 hoặc 2026-05-15T19:30:00+07:00; "
    "không ghi múi giờ thì hiểu là giờ Việt Nam."
)
DATETIME_INVALID = "Thời gian không hợp lệ: dùng định dạng ISO 8601, ví dụ 2026-05-15T19:30."
NOT_ON_ROSTER = "Đảng viên không có trong danh sách của buổi sinh hoạt."
NOT_OF_CELL = "Đảng viên không thuộc chi bộ này."
UPPER_NOT_HELD = "Chỉ chấm điểm buổi sinh hoạt đã diễn ra."

WRITE_409: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}


# --- date-times: ISO in, local ISO out ---------------------------------------------------
def _datetime_in(value: Any, handler: Callable[[Any], dt.datetime], info: ValidationInfo) -> dt.datetime:
    try:
        parsed = handler(value)
    except PydanticValidationError:
        raise PydanticCustomError("datetime_vn", DATETIME_INVALID) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _datetime_out(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat()


DateTimeIn = Annotated[dt.datetime, WrapValidator(_datetime_in)]
LocalDateTime = Annotated[dt.datetime, PlainSerializer(_datetime_out, return_type=str)]


# --- output schemas ----------------------------------------------------------------------
class FrozenFiguresOut(Schema):
    base: int | None
    present: int | None
    excused: int | None
    unexcused: int | None
    duration_minutes: int | None
    speakers: int | None
    score: int | None
    grade: str = Field(description='Mã xếp loại, ví dụ "tot", "kha", "trung_binh", "kem".')
    breaches: int | None


class MeetingListOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    title: str
    scheduled_at: LocalDateTime
    place: str
    is_locked: bool
    version: int
    rulebook_code: str = Field(description="Bộ quy tắc ghi nhận khi bắt đầu họp; rỗng nếu chưa họp.")
    rulebook_version: int | None
    figures: FrozenFiguresOut | None = Field(
        description="Số liệu chốt khi duyệt biên bản; null nếu chưa duyệt."
    )

    @staticmethod
    def resolve_organisation_name(obj: Meeting) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_kind_label(obj: Meeting) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj: Meeting) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_figures(obj: Meeting) -> dict[str, Any] | None:
        if not obj.is_locked:
            return None
        return {
            "base": obj.fig_base,
            "present": obj.fig_present,
            "excused": obj.fig_excused,
            "unexcused": obj.fig_unexcused,
            "duration_minutes": obj.fig_duration,
            "speakers": obj.fig_speakers,
            "score": obj.fig_score,
            "grade": obj.fig_grade,
            "breaches": obj.fig_breaches,
        }


class RulebookRefOut(Schema):
    code: str
    version: int
    name: str
    recorded: bool = Field(description="true: phiên bản đã ghi nhận khi bắt đầu họp (không đổi về sau).")


class FiguresOut(Schema):
    attendance: dict[str, int] = Field(
        description="Số đảng viên theo tình trạng điểm danh: present, absent_excused, absent_unexcused, "
        "exempt, away, unmarked (chưa điểm danh)."
    )
    roster: int = Field(description="Số đảng viên trong danh sách buổi sinh hoạt.")
    base: int = Field(description="Số đảng viên phải dự theo bộ quy tắc (đã trừ diện miễn, tạm vắng…).")
    present: int = Field(description="Số có mặt trong số phải dự.")
    rate_percent: float
    rate_ok: bool = Field(description="Tỷ lệ dự họp đạt ngưỡng của bộ quy tắc.")
    excused: int
    unexcused: int
    present_total: int = Field(description="Tất cả đảng viên có mặt.")
    speakers: str = Field(description='Số đảng viên phát biểu / số có mặt, ví dụ "3/4".')
    speakers_count: int
    duration_minutes: int | None
    min_duration_minutes: int
    frozen: bool = Field(description="true: số liệu chốt khi duyệt biên bản.")


class GradeOut(Schema):
    total: int
    grade: str
    label: str


class BreachOut(Schema):
    code: str
    rule: str
    message: str


class AmendmentOut(Schema):
    id: int
    text: str
    author: str
    created_at: LocalDateTime

    @staticmethod
    def resolve_author(obj: Amendment) -> str:
        return obj.author.get_username() if obj.author_id else ""


class MeetingOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    title: str
    scheduled_at: LocalDateTime
    place: str
    topic_id: int | None
    preparer_id: int | None
    pre_meeting_at: LocalDateTime | None
    pre_meeting_notes: str
    chair_id: int | None
    secretary_id: int | None
    published_at: LocalDateTime | None
    notice_to_upper_at: LocalDateTime | None
    started_at: LocalDateTime | None
    ended_at: LocalDateTime | None
    minutes_read_at: LocalDateTime | None
    approved_at: LocalDateTime | None
    is_locked: bool
    version: int = Field(description="Tăng sau mỗi lần ghi; gửi lại trong expected_version để tránh ghi đè.")
    rulebook_code: str = Field(description="Ghi nhận khi bắt đầu họp; rỗng nếu chưa họp.")
    rulebook_version: int | None
    rulebook: RulebookRefOut = Field(description="Bộ quy tắc dùng để đánh giá buổi sinh hoạt này.")
    figures: FiguresOut
    grade: GradeOut | None = Field(description="Xếp loại theo cột chi bộ tự chấm.")
    breaches: list[BreachOut] = Field(description="Vi phạm quy định; chỉ đánh giá khi buổi họp đã bắt đầu.")
    minutes_missing: list[str] = Field(description="Biên bản còn thiếu gì (khi đang họp).")
    amendments: list[AmendmentOut]
    can_manage: bool
    can_score_upper: bool


class AgendaItemOut(Schema):
    id: int
    order: int
    code: str
    section: str
    title: str
    started_at: LocalDateTime | None
    ended_at: LocalDateTime | None
    minutes: int | None
    conclusion: str
    conclusion_version: str = Field(
        description="Phiên bản của kết luận. Gửi lại trong expected_version khi sửa; đã bị sửa từ đó thì trả 409 và không ghi."
    )

    @staticmethod
    def resolve_conclusion_version(obj: AgendaItem) -> str:
        return services.conclusion_version(obj)

    @staticmethod
    def resolve_minutes(obj: AgendaItem) -> int | None:
        if obj.started_at and obj.ended_at:
            return int((obj.ended_at - obj.started_at).total_seconds() // 60)
        return None


class AttendanceOut(Schema):
    member_id: int
    full_name: str
    status: str = Field(description="Rỗng nếu chưa điểm danh.")
    status_label: str
    reason: str
    is_full: bool = Field(description="Đảng viên chính thức tại ngày họp.")
    is_exempt: bool
    special_duty: bool
    is_away: bool
    is_suspended: bool
    is_incoming: bool
    dues_collected: bool
    dues_amount: int

    @staticmethod
    def resolve_full_name(obj: Attendance) -> str:
        return obj.member.full_name

    @staticmethod
    def resolve_status_label(obj: Attendance) -> str:
        return str(obj.get_status_display()) if obj.status else "Chưa điểm danh"


class GuestOut(Schema):
    id: int
    name: str
    position: str
    is_upper_officer: bool


class SpeechOut(Schema):
    id: int
    member_id: int | None
    guest_id: int | None
    speaker: str
    item_id: int | None
    summary: str
    created_at: LocalDateTime

    @staticmethod
    def resolve_speaker(obj: Speech) -> str:
        if obj.member_id:
            return obj.member.full_name  # type: ignore[union-attr]
        return obj.guest.name if obj.guest_id else ""  # type: ignore[union-attr]


class TaskReportOut(Schema):
    id: int
    task_id: int
    meeting_id: int
    text: str
    done: bool
    version: str = Field(
        description="Phiên bản của báo cáo. Gửi lại trong expected_version khi sửa; đã bị sửa từ đó thì trả 409 và không ghi."
    )

    @staticmethod
    def resolve_version(obj: TaskReport) -> str:
        return services.report_version(obj)


class TaskOut(Schema):
    id: int
    title: str
    assignee_id: int | None
    assignee_group_id: int | None
    assignee_name: str
    due_date: dt.date | None = Field(description="yyyy-mm-dd")
    status: str
    meeting_id: int | None = Field(description="Buổi sinh hoạt đã giao nhiệm vụ.")

    @staticmethod
    def resolve_assignee_name(obj: Task) -> str:
        if obj.assignee_id:
            return obj.assignee.full_name  # type: ignore[union-attr]
        return obj.assignee_group.name if obj.assignee_group_id else ""  # type: ignore[union-attr]


class TaskToReviewOut(TaskOut):
    report: TaskReportOut | None = Field(description="Báo cáo kết quả tại buổi này (nếu đã báo cáo).")
    report_version: str = Field(
        description="Phiên bản của báo cáo tại buổi này (kể cả khi chưa có báo cáo). Gửi lại trong expected_version khi sửa; đã bị sửa từ đó thì trả 409 và không ghi."
    )

    @staticmethod
    def resolve_report_version(obj: Task) -> str:
        return services.report_version(getattr(obj, "report", None))


class TasksOut(Schema):
    to_review: list[TaskToReviewOut] = Field(description="Nhiệm vụ cần kiểm điểm tại buổi này.")
    assigned: list[TaskOut] = Field(description="Nhiệm vụ giao tại buổi này.")


class VoteOut(Schema):
    id: int
    subject: str
    method: str
    eligible_count: int
    eligible_ids: list[int]
    in_favour: int
    against: int
    other: int
    passed: bool | None
    opened_at: LocalDateTime
    closed_at: LocalDateTime | None


class BallotOut(Schema):
    vote_id: int
    member_id: int
    choice: str


class CriterionOut(Schema):
    code: str
    group: str
    title: str
    points: int
    key: bool = Field(description="Tiêu chí then chốt: phải đủ điểm mới xếp mức cao nhất.")
    auto: str | None = Field(description="Phép đo tự động; null là tiêu chí chấm tay.")
    auto_value: int | None = Field(description="Điểm dữ liệu chứng minh được (null nếu chấm tay).")
    cell: int | None
    upper: int | None


class SheetOut(Schema):
    total: int
    grade: str
    label: str
    key_full: bool
    missing_key: list[str]
    note: str
    entries: dict[str, int]
    updated_at: LocalDateTime


class BandOut(Schema):
    grade: str
    label: str
    min: int
    requires_key_full: bool


class ScoreOut(Schema):
    rulebook: RulebookRefOut
    criteria: list[CriterionOut]
    columns: dict[str, SheetOut | None] = Field(
        description='"cell" (chi bộ tự chấm), "upper" (cấp trên chấm).'
    )
    bands: list[BandOut]
    breaches: list[BreachOut]
    can_score: dict[str, bool]
    versions: dict[str, str] = Field(
        description='Phiên bản của từng cột ("cell", "upper", kể cả khi chưa chấm); gửi lại trong '
        "expected_version khi chấm để không ghi đè điểm người khác vừa lưu."
    )


class DocumentOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    size: int
    content_type: str
    uploaded_at: LocalDateTime
    download_url: str

    @staticmethod
    def resolve_kind_label(obj: MeetingDocument) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_download_url(obj: MeetingDocument) -> str:
        return f"/api/v1/documents/{obj.pk}/download"


# --- input schemas -----------------------------------------------------------------------
class MeetingFilter(Schema):
    organisation: int | None = Field(None, description="Chỉ các buổi của tổ chức này và cấp dưới.")
    year: int | None = Field(None, ge=1900, le=9998, description="Năm của ngày họp.")
    status: MeetingStatus | None = None
    kind: MeetingKind | None = None


class MeetingCreateIn(InputSchema):
    organisation: int = Field(description="Chi bộ.")
    kind: MeetingKind
    scheduled_at: DateTimeIn = Field(description=DATETIME_HELP)
    place: str = Field("", max_length=255, description="Để trống: địa điểm sinh hoạt của chi bộ.")
    title: str = Field("", max_length=255)


class MeetingPatchIn(InputSchema):
    """Only the fields sent are changed. The kind can change only before the meeting starts."""

    title: str = Field(None, max_length=255)
    kind: MeetingKind = Field(None)
    scheduled_at: DateTimeIn = Field(None, description=DATETIME_HELP)
    place: str = Field(None, max_length=255)
    preparer: int | None = Field(None, description="Đảng viên của chi bộ; null là bỏ trống.")
    pre_meeting_at: DateTimeIn | None = Field(None, description="Chi ủy họp trước. " + DATETIME_HELP)
    pre_meeting_notes: str = Field(None, max_length=5000)
    chair: int | None = Field(None, description="Chủ trì: đảng viên của chi bộ.")
    secretary: int | None = Field(None, description="Thư ký: đảng viên của chi bộ.")
    expected_version: int | None = Field(
        None, ge=1, description="Phiên bản đã đọc; khác phiên bản hiện tại thì trả 409 và không ghi."
    )


class TextIn(InputSchema):
    text: str = Field(max_length=20000)


class AgendaItemIn(InputSchema):
    title: str = Field(max_length=255)
    after: int | None = Field(None, description="Chèn sau nội dung này; null là thêm vào cuối.")


class AttendanceIn(InputSchema):
    status: AttendanceStatus
    reason: str = Field("", max_length=255, description="Bắt buộc khi vắng có lý do.")
    expected_version: int | None = Field(None, ge=1)


class DuesIn(InputSchema):
    collected: bool
    amount: int = Field(0, ge=0, description="Số tiền (đồng).")


class GuestIn(InputSchema):
    name: str = Field(max_length=120)
    position: str = Field("", max_length=255)
    is_upper_officer: bool = False


class SpeechIn(InputSchema):
    summary: str = Field(max_length=20000)
    member: int | None = Field(None, description="Đảng viên có mặt (hoặc guest).")
    guest: int | None = Field(None, description="Đại biểu của buổi này (hoặc member).")
    item: int | None = Field(None, description="Nội dung chương trình.")


class TaskIn(InputSchema):
    title: str = Field(max_length=500)
    assignee: int | None = Field(None, description="Đảng viên của chi bộ (hoặc assignee_group).")
    assignee_group: int | None = Field(None, description="Tổ đảng của chi bộ.")
    due_date: dt.date | None = Field(None, description="yyyy-mm-dd")


class TaskReportIn(InputSchema):
    text: str = Field(max_length=20000)
    done: bool = False
    expected_version: str | None = Field(
        None,
        max_length=32,
        description="report_version của nhiệm vụ khi bắt đầu sửa; báo cáo đã bị sửa từ đó thì trả 409, không ghi gì.",
    )


class ConclusionIn(TextIn):
    expected_version: str | None = Field(
        None,
        max_length=32,
        description="conclusion_version khi bắt đầu sửa; kết luận đã bị sửa từ đó thì trả 409, không ghi gì.",
    )


class VoteOpenIn(InputSchema):
    subject: str = Field("", max_length=255)
    method: VoteMethod = VoteMethod.COUNT


class BallotIn(InputSchema):
    member: int
    choice: Choice


class VoteCloseIn(InputSchema):
    """Biểu quyết theo số lượng: gửi đủ ba số. Theo từng người: bỏ trống, kết quả tính từ phiếu."""

    in_favour: int | None = Field(None, ge=0)
    against: int | None = Field(None, ge=0)
    other: int | None = Field(None, ge=0)


class ScoreIn(InputSchema):
    entries: dict[str, int] = Field(
        default_factory=dict,
        description="Mã tiêu chí → điểm. Cột chi bộ: tiêu chí tự động luôn lấy theo dữ liệu.",
    )
    note: str = Field("", max_length=5000)
    expected_version: str | None = Field(
        None,
        max_length=32,
        description="versions[cột] khi bắt đầu chấm; cột đã được lưu từ đó thì trả 409, không ghi gì.",
    )


class DocumentIn(Schema):
    kind: DocumentKind
    title: str = Field("", max_length=255)


# --- access -------------------------------------------------------------------------------
def _managed(request: HttpRequest, pk: int) -> Meeting:
    """For a write: 404 outside the subtree, 403 read-only, 403 once approved (locked)."""
    meeting, _ = meeting_for_user(request.user, pk, need=Perm.MEETING_MANAGE)
    if meeting.is_locked:
        raise services.MeetingLocked()
    return meeting


def _child[M: Model](request: HttpRequest, model: type[M], pk: int, need: Perm) -> tuple[M, Meeting]:
    """A part of a meeting (agenda item, speech, vote, document) and its meeting, scoped like it."""
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise Http404("Không tìm thấy.")
    meeting, _ = meeting_for_user(request.user, obj.meeting_id, need=need)  # type: ignore[attr-defined]
    if need == Perm.MEETING_MANAGE and meeting.is_locked:
        raise services.MeetingLocked()
    obj.meeting = meeting  # type: ignore[attr-defined]
    return obj, meeting


def _conflict(exc: services.Conflict) -> Status:
    return Status(409, {"detail": " ".join(exc.messages)})


# --- the meeting as JSON ------------------------------------------------------------------
def _breaches_out(items: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        {"code": b["code"], "rule": BREACH_RULES.get(b["code"], b["code"]), "message": b["message"]}
        for b in items
    ]


def _book_ref(meeting: Meeting, book: rules.Rulebook) -> dict[str, Any]:
    return {
        "code": book.code,
        "version": book.version,
        "name": book.name,
        "recorded": bool(meeting.rulebook_code),
    }


def _grade_label(book: rules.Rulebook, grade: str) -> str:
    return next((b.label for b in book.scorecard.bands if b.grade == grade), grade)


def _figures(
    book: rules.Rulebook,
    fig: engine.AttendanceFigures,
    counts: Counter[str],
    speakers: int,
    duration: int | None,
    kind: str,
    *,
    frozen: bool,
) -> dict[str, Any]:
    statuses = [*AttendanceStatus.values, ""]
    return {
        "attendance": {(s or "unmarked"): counts.get(s, 0) for s in statuses},
        "roster": sum(counts.values()),
        "base": fig.base,
        "present": fig.present,
        "rate_percent": round(fig.rate_percent, 1),
        "rate_ok": engine.attendance_rate_ok(fig, book.attendance),
        "excused": fig.excused,
        "unexcused": fig.unexcused,
        "present_total": fig.present_total,
        "speakers": f"{speakers}/{fig.present_total}",
        "speakers_count": speakers,
        "duration_minutes": duration,
        "min_duration_minutes": book.duration.minimum_for(kind),
        "frozen": frozen,
    }


def meeting_out(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    """MeetingOut for MEETING: live figures, or the snapshot frozen at approval."""
    m = Meeting.objects.select_related("organisation").get(pk=meeting.pk)
    if not m.is_locked:  # judged now: load its parts once (judge() reads them from the prefetch)
        prefetch_related_objects([m], *selectors.judged_parts())
    book = services.rulebook_of(m)
    perms = perms_for(request.user, m.organisation)
    grade: dict[str, Any] | None = None
    missing: list[str] = []
    if m.is_locked:
        snap = m.snapshot or {}
        rows = snap.get("attendance", [])
        counts = Counter(r.get("status", "") for r in rows)
        f = snap.get("figures", {})
        fig = engine.AttendanceFigures(
            base=f.get("base", 0),
            present=f.get("present", 0),
            present_total=counts.get(AttendanceStatus.PRESENT, 0),
            excused=f.get("excused", 0),
            unexcused=f.get("unexcused", 0),
            exempt=counts.get(AttendanceStatus.EXEMPT, 0),
            away=counts.get(AttendanceStatus.AWAY, 0),
        )
        figures = _figures(
            book, fig, counts, f.get("speakers") or 0, f.get("duration_minutes"), m.kind, frozen=True
        )
        breaches = _breaches_out(snap.get("breaches", []))
        if m.fig_grade:
            grade = {
                "total": m.fig_score or 0,
                "grade": m.fig_grade,
                "label": _grade_label(book, m.fig_grade),
            }
    else:
        rows_ = list(m.attendance.all())
        counts = Counter(a.status for a in rows_)
        fig = engine.attendance([a.facts() for a in rows_], book.attendance)
        speakers = len({s.member_id for s in m.speeches.all() if s.member_id})
        figures = _figures(book, fig, counts, speakers, selectors.duration_minutes(m), m.kind, frozen=False)
        breaches = []
        if m.status in RUNNING:
            verdict = selectors.judge(m, book)
            breaches = _breaches_out([{"code": b.code, "message": b.message} for b in verdict.breaches])
            missing = verdict.minutes_missing
            if verdict.cell_grade is not None:
                g = verdict.cell_grade
                grade = {"total": g.total, "grade": g.band.grade, "label": g.band.label}
    return {
        "id": m.pk,
        "organisation_id": m.organisation_id,
        "organisation_name": m.organisation.name,
        "kind": m.kind,
        "kind_label": str(m.get_kind_display()),
        "status": m.status,
        "status_label": str(m.get_status_display()),
        "title": m.title,
        "scheduled_at": m.scheduled_at,
        "place": m.place,
        "topic_id": m.topic_id,
        "preparer_id": m.preparer_id,
        "pre_meeting_at": m.pre_meeting_at,
        "pre_meeting_notes": m.pre_meeting_notes,
        "chair_id": m.chair_id,
        "secretary_id": m.secretary_id,
        "published_at": m.published_at,
        "notice_to_upper_at": m.notice_to_upper_at,
        "started_at": m.started_at,
        "ended_at": m.ended_at,
        "minutes_read_at": m.minutes_read_at,
        "approved_at": m.approved_at,
        "is_locked": m.is_locked,
        "version": m.version,
        "rulebook_code": m.rulebook_code,
        "rulebook_version": m.rulebook_version,
        "rulebook": _book_ref(m, book),
        "figures": figures,
        "grade": grade,
        "breaches": breaches,
        "minutes_missing": missing,
        # amendments exist only once the minutes are approved (services.add_amendment)
        "amendments": list(m.amendments.select_related("author")) if m.is_locked else [],
        "can_manage": Perm.MEETING_MANAGE in perms and not m.is_locked,
        "can_score_upper": Perm.MEETING_SCORE_UPPER in perms and m.status in RUNNING,
    }


# --- lookups inside a meeting ---------------------------------------------------------------
def _roster_member(meeting: Meeting, pk: int | None, field: str) -> Member | None:
    """A member on MEETING's roster (422 otherwise, without saying who the id belongs to)."""
    if pk is None:
        return None
    member = Member.objects.filter(pk=pk, attendance__meeting=meeting).first()
    if member is None:
        raise ValidationError({field: NOT_ON_ROSTER})
    return member


def _cell_member(meeting: Meeting, pk: int | None, field: str) -> Member | None:
    """A member of MEETING's cell or on its roster (422 otherwise)."""
    if pk is None:
        return None
    member = (
        Member.objects.filter(Q(organisation=meeting.organisation) | Q(attendance__meeting=meeting), pk=pk)
        .distinct()
        .first()
    )
    if member is None:
        raise ValidationError({field: NOT_OF_CELL})
    return member


def _meeting_item(meeting: Meeting, pk: int | None, field: str) -> AgendaItem | None:
    if pk is None:
        return None
    item = AgendaItem.objects.filter(pk=pk, meeting=meeting).first()
    if item is None:
        raise ValidationError({field: "Nội dung không thuộc buổi sinh hoạt này."})
    return item


# --- meetings -----------------------------------------------------------------------------
@router.get(
    "/meetings", response={200: list[MeetingListOut], **READ_ERRORS}, summary="Danh sách buổi sinh hoạt"
)
@paginate(PageNumberPagination)
def list_meetings(request: HttpRequest, filters: Query[MeetingFilter]) -> Any:
    """Meetings the caller may see, newest first. Figures are those frozen at approval."""
    qs = selectors.visible_meetings(request.user).select_related("organisation")
    if filters.organisation is not None:
        org, _ = org_for_user(request.user, filters.organisation, need=Perm.MEETING_VIEW)
        qs = qs.filter(under(org.path, "organisation__"))
    if filters.year:
        qs = qs.filter(scheduled_at__year=filters.year)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs.order_by("-scheduled_at", "-id")


@router.post("/meetings", response={201: MeetingOut, **WRITE_ERRORS}, summary="Thêm buổi sinh hoạt")
def create_meeting(request: HttpRequest, payload: MeetingCreateIn) -> Any:
    cell, _ = org_for_user(request.user, payload.organisation)
    require(request.user, cell, Perm.MEETING_MANAGE)
    meeting = services.create_meeting(
        actor=request.user,
        cell=cell,
        kind=payload.kind,
        scheduled_at=payload.scheduled_at,
        place=payload.place,
        title=payload.title,
    )
    return Status(201, meeting_out(request, meeting))


@router.get("/meetings/{meeting_id}", response={200: MeetingOut, **READ_ERRORS}, summary="Một buổi sinh hoạt")
def get_meeting(request: HttpRequest, meeting_id: int) -> Any:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    return meeting_out(request, meeting)


@router.patch(
    "/meetings/{meeting_id}", response={200: MeetingOut, **WRITE_409}, summary="Sửa thông tin chuẩn bị"
)
def update_meeting(request: HttpRequest, meeting_id: int, payload: MeetingPatchIn) -> Any:
    """Only the fields sent change. With expected_version, a stale version gives 409 and nothing is written."""
    meeting = _managed(request, meeting_id)
    fields = payload.model_dump(exclude_unset=True)
    expected = fields.pop("expected_version", None)
    if (
        "kind" in fields
        and fields["kind"] != meeting.kind
        and meeting.status
        not in (
            MeetingStatus.PLANNED,
            MeetingStatus.PUBLISHED,
        )
    ):
        raise ValidationError({"kind": "Chỉ đổi loại buổi sinh hoạt trước khi bắt đầu họp."})
    for key in ("preparer", "chair", "secretary"):
        if key in fields:
            fields[key] = _cell_member(meeting, fields[key], key)
    try:
        services.update_meeting(actor=request.user, meeting=meeting, expected_version=expected, **fields)
    except services.Conflict as exc:
        return _conflict(exc)
    return meeting_out(request, meeting)


def _lifecycle(request: HttpRequest, meeting_id: int, action: Callable[..., Meeting]) -> Any:
    meeting = _managed(request, meeting_id)
    action(actor=request.user, meeting=meeting)
    return meeting_out(request, meeting)


@router.post(
    "/meetings/{meeting_id}/publish",
    response={200: MeetingOut, **WRITE_ERRORS},
    summary="Công bố: thông báo đảng viên và cấp ủy cấp trên",
)
def publish(request: HttpRequest, meeting_id: int) -> Any:
    """Draws the roster from the membership history of the meeting day and sends the notices."""
    return _lifecycle(request, meeting_id, services.publish)


@router.post(
    "/meetings/{meeting_id}/start", response={200: MeetingOut, **WRITE_ERRORS}, summary="Bắt đầu họp"
)
def start(request: HttpRequest, meeting_id: int) -> Any:
    """Records the rulebook version that will judge the meeting and creates the agenda from its template."""
    return _lifecycle(request, meeting_id, services.start)


@router.post(
    "/meetings/{meeting_id}/read-back",
    response={200: MeetingOut, **WRITE_ERRORS},
    summary="Đã đọc lại biên bản; kết thúc buổi họp",
)
def read_back(request: HttpRequest, meeting_id: int) -> Any:
    return _lifecycle(request, meeting_id, services.read_back)


@router.post(
    "/meetings/{meeting_id}/approve",
    response={200: MeetingOut, **WRITE_ERRORS},
    summary="Duyệt biên bản (khóa)",
)
def approve(request: HttpRequest, meeting_id: int) -> Any:
    """Freezes the snapshot and the figures; afterwards the only write is an amendment. The record
    page is rendered before the answer (both readers' variants), so its first readers are served
    from the cache."""
    meeting = _managed(request, meeting_id)
    services.approve(actor=request.user, meeting=meeting)
    warm_record(meeting)
    return meeting_out(request, meeting)


@router.post(
    "/meetings/{meeting_id}/amendments",
    response={201: AmendmentOut, **WRITE_ERRORS},
    summary="Thêm đính chính vào biên bản đã duyệt",
)
def add_amendment(request: HttpRequest, meeting_id: int, payload: TextIn) -> Any:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_MANAGE)
    amendment = services.add_amendment(actor=request.user, meeting=meeting, text=payload.text)
    warm_record(meeting)  # the record's new version, rendered before the answer
    return Status(201, amendment)


# --- agenda -----------------------------------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}/agenda",
    response={200: list[AgendaItemOut], **READ_ERRORS},
    summary="Chương trình buổi sinh hoạt",
)
def list_agenda(request: HttpRequest, meeting_id: int) -> Any:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    return meeting.items.order_by("order", "id")


@router.post(
    "/meetings/{meeting_id}/agenda",
    response={201: AgendaItemOut, **WRITE_ERRORS},
    summary="Thêm nội dung vào chương trình",
)
def add_agenda_item(request: HttpRequest, meeting_id: int, payload: AgendaItemIn) -> Any:
    meeting = _managed(request, meeting_id)
    after = _meeting_item(meeting, payload.after, "after")
    return Status(
        201, services.add_item(actor=request.user, meeting=meeting, title=payload.title, after=after)
    )


@router.post(
    "/agenda-items/{item_id}/start",
    response={200: AgendaItemOut, **WRITE_ERRORS},
    summary="Bắt đầu một nội dung (nội dung đang chạy kết thúc)",
)
def start_item(request: HttpRequest, item_id: int) -> Any:
    item, _ = _child(request, AgendaItem, item_id, Perm.MEETING_MANAGE)
    return services.start_item(actor=request.user, item=item)


@router.post(
    "/agenda-items/{item_id}/end",
    response={200: AgendaItemOut, **WRITE_ERRORS},
    summary="Kết thúc một nội dung",
)
def end_item(request: HttpRequest, item_id: int) -> Any:
    item, _ = _child(request, AgendaItem, item_id, Perm.MEETING_MANAGE)
    return services.end_item(actor=request.user, item=item)


@router.post(
    "/agenda-items/{item_id}/conclusion",
    response={200: AgendaItemOut, **WRITE_409},
    summary="Ghi kết luận của chủ trì",
)
def set_conclusion(request: HttpRequest, item_id: int, payload: ConclusionIn) -> Any:
    """With expected_version (the item's conclusion_version), a conclusion changed since gives 409
    naming the current text, and nothing is written."""
    item, _ = _child(request, AgendaItem, item_id, Perm.MEETING_MANAGE)
    try:
        return services.set_conclusion(
            actor=request.user, item=item, text=payload.text, expected_version=payload.expected_version
        )
    except services.Conflict as exc:
        return _conflict(exc)


# --- roll call, dues, guests --------------------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}/attendance",
    response={200: list[AttendanceOut], **READ_ERRORS},
    summary="Điểm danh",
)
def list_attendance(request: HttpRequest, meeting_id: int) -> Any:
    """The roster (drawn at publication/start) with each member's standing and roll-call status."""
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    return meeting.attendance.select_related("member").order_by("member__sort_key", "member_id")


def _roster_row(meeting: Meeting, member_id: int) -> Attendance:
    row = Attendance.objects.select_related("member").filter(meeting=meeting, member_id=member_id).first()
    if row is None:
        raise Http404("Không tìm thấy.")
    return row


@router.put(
    "/meetings/{meeting_id}/attendance/{member_id}",
    response={200: AttendanceOut, **WRITE_409},
    summary="Điểm danh một đảng viên",
)
def set_attendance(request: HttpRequest, meeting_id: int, member_id: int, payload: AttendanceIn) -> Any:
    meeting = _managed(request, meeting_id)
    row = _roster_row(meeting, member_id)
    try:
        return services.set_attendance(
            actor=request.user,
            meeting=meeting,
            member=row.member,
            status=payload.status,
            reason=payload.reason,
            expected_version=payload.expected_version,
        )
    except services.Conflict as exc:
        return _conflict(exc)


@router.put(
    "/meetings/{meeting_id}/dues/{member_id}",
    response={200: AttendanceOut, **WRITE_ERRORS},
    summary="Thu nộp đảng phí của một đảng viên",
)
def set_dues(request: HttpRequest, meeting_id: int, member_id: int, payload: DuesIn) -> Any:
    meeting = _managed(request, meeting_id)
    row = _roster_row(meeting, member_id)
    return services.set_dues(
        actor=request.user,
        meeting=meeting,
        member=row.member,
        collected=payload.collected,
        amount=payload.amount,
    )


@router.get(
    "/meetings/{meeting_id}/guests", response={200: list[GuestOut], **READ_ERRORS}, summary="Đại biểu"
)
def list_guests(request: HttpRequest, meeting_id: int) -> Any:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    return meeting.guests.order_by("id")


@router.post(
    "/meetings/{meeting_id}/guests", response={201: GuestOut, **WRITE_ERRORS}, summary="Thêm đại biểu"
)
def add_guest(request: HttpRequest, meeting_id: int, payload: GuestIn) -> Any:
    meeting = _managed(request, meeting_id)
    return Status(201, services.add_guest(actor=request.user, meeting=meeting, **payload.model_dump()))


# --- speeches --------------------------------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}/speeches",
    response={200: list[SpeechOut], **READ_ERRORS},
    summary="Ý kiến phát biểu",
)
def list_speeches(request: HttpRequest, meeting_id: int) -> Any:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    return meeting.speeches.select_related("member", "guest").order_by("created_at", "id")


@router.post(
    "/meetings/{meeting_id}/speeches",
    response={201: SpeechOut, **WRITE_ERRORS},
    summary="Ghi ý kiến phát biểu",
)
def add_speech(request: HttpRequest, meeting_id: int, payload: SpeechIn) -> Any:
    meeting = _managed(request, meeting_id)
    member = _roster_member(meeting, payload.member, "member")
    guest = None
    if payload.guest is not None:
        guest = Guest.objects.filter(pk=payload.guest, meeting=meeting).first()
        if guest is None:
            raise ValidationError({"guest": "Đại biểu không dự buổi này."})
    item = _meeting_item(meeting, payload.item, "item")
    speech = services.add_speech(
        actor=request.user, meeting=meeting, summary=payload.summary, member=member, guest=guest, item=item
    )
    return Status(201, speech)


@router.delete("/speeches/{speech_id}", response={204: None, **WRITE_ERRORS}, summary="Xóa ý kiến phát biểu")
def delete_speech(request: HttpRequest, speech_id: int) -> Any:
    speech, _ = _child(request, Speech, speech_id, Perm.MEETING_MANAGE)
    services.delete_speech(actor=request.user, speech=speech)
    return Status(204, None)


# --- tasks ---------------------------------------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}/tasks",
    response={200: TasksOut, **READ_ERRORS},
    summary="Nhiệm vụ: cần kiểm điểm và giao mới",
)
def list_tasks(request: HttpRequest, meeting_id: int) -> Any:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    reports = {r.task_id: r for r in TaskReport.objects.filter(meeting=meeting)}
    to_review = list(selectors.open_tasks_for(meeting))
    for task in to_review:
        task.report = reports.get(task.pk)  # type: ignore[attr-defined]
    assigned = (
        Task.objects.filter(meeting=meeting).select_related("assignee", "assignee_group").order_by("id")
    )
    return {"to_review": to_review, "assigned": list(assigned)}


@router.post("/meetings/{meeting_id}/tasks", response={201: TaskOut, **WRITE_ERRORS}, summary="Giao nhiệm vụ")
def assign_task(request: HttpRequest, meeting_id: int, payload: TaskIn) -> Any:
    meeting = _managed(request, meeting_id)
    assignee = None
    if payload.assignee is not None:
        assignee = Member.objects.filter(pk=payload.assignee, organisation=meeting.organisation).first()
        if assignee is None:
            raise ValidationError({"assignee": NOT_OF_CELL})
    group = None
    if payload.assignee_group is not None:
        group = Organisation.objects.filter(
            pk=payload.assignee_group, parent=meeting.organisation, kind=OrgKind.GROUP
        ).first()
        if group is None:
            raise ValidationError({"assignee_group": "Tổ đảng không thuộc chi bộ."})
    task = services.assign_task(
        actor=request.user,
        meeting=meeting,
        title=payload.title,
        assignee=assignee,
        assignee_group=group,
        due_date=payload.due_date,
    )
    return Status(201, task)


@router.post(
    "/meetings/{meeting_id}/tasks/{task_id}/report",
    response={200: TaskReportOut, **WRITE_409},
    summary="Báo cáo kết quả thực hiện nhiệm vụ",
)
def report_task(request: HttpRequest, meeting_id: int, task_id: int, payload: TaskReportIn) -> Any:
    """With expected_version (the task's report_version), a report written or changed since gives
    409 naming the current one, and nothing is written."""
    meeting = _managed(request, meeting_id)
    task = Task.objects.filter(pk=task_id, organisation=meeting.organisation).first()
    if task is None:
        raise Http404("Không tìm thấy.")
    try:
        return services.report_task(
            actor=request.user,
            meeting=meeting,
            task=task,
            text=payload.text,
            done=payload.done,
            expected_version=payload.expected_version,
        )
    except services.Conflict as exc:
        return _conflict(exc)


# --- votes -----------------------------------------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}/votes", response={200: list[VoteOut], **READ_ERRORS}, summary="Biểu quyết"
)
def list_votes(request: HttpRequest, meeting_id: int) -> Any:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    return meeting.votes.order_by("opened_at", "id")


@router.post("/meetings/{meeting_id}/votes", response={201: VoteOut, **WRITE_ERRORS}, summary="Mở biểu quyết")
def open_vote(request: HttpRequest, meeting_id: int, payload: VoteOpenIn) -> Any:
    """Who may vote is frozen now, from the roll call, by the rulebook."""
    meeting = _managed(request, meeting_id)
    vote = services.open_vote(
        actor=request.user, meeting=meeting, subject=payload.subject, method=payload.method
    )
    return Status(201, vote)


@router.post(
    "/votes/{vote_id}/ballots",
    response={200: BallotOut, **WRITE_ERRORS},
    summary="Ghi phiếu của một đảng viên (biểu quyết theo từng người)",
)
def cast_ballot(request: HttpRequest, vote_id: int, payload: BallotIn) -> Any:
    vote, meeting = _child(request, Vote, vote_id, Perm.MEETING_MANAGE)
    member = _roster_member(meeting, payload.member, "member")
    ballot: Ballot = services.cast_ballot(actor=request.user, vote=vote, member=member, choice=payload.choice)  # type: ignore[arg-type]
    return ballot


@router.post(
    "/votes/{vote_id}/close",
    response={200: VoteOut, **WRITE_ERRORS},
    summary="Kết thúc biểu quyết và tính kết quả",
)
def close_vote(request: HttpRequest, vote_id: int, payload: VoteCloseIn) -> Any:
    vote, _ = _child(request, Vote, vote_id, Perm.MEETING_MANAGE)
    return services.close_vote(actor=request.user, vote=vote, **payload.model_dump())


# --- score ---------------------------------------------------------------------------------------------
def _sheet_out(sheet: ScoreSheet | None, graded: engine.Grade | None) -> dict[str, Any] | None:
    if sheet is None or graded is None:
        return None
    return {
        "total": graded.total,
        "grade": graded.band.grade,
        "label": graded.band.label,
        "key_full": graded.key_full,
        "missing_key": list(graded.missing_key),
        "note": sheet.note,
        "entries": sheet.entries,
        "updated_at": sheet.updated_at,
    }


def score_out(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    m = Meeting.objects.select_related("organisation").get(pk=meeting.pk)
    verdict = selectors.judge(m)
    book = verdict.book
    criteria = book.scorecard.criteria_for(m.kind)
    sheets = {s.column: s for s in m.scores.all()}
    cell, upper = sheets.get("cell"), sheets.get("upper")
    if m.is_locked:
        breaches = _breaches_out(m.snapshot.get("breaches", []))
    elif m.status in RUNNING:
        breaches = _breaches_out([{"code": b.code, "message": b.message} for b in verdict.breaches])
    else:
        breaches = []
    perms = perms_for(request.user, m.organisation)
    return {
        "rulebook": _book_ref(m, book),
        "criteria": [
            {
                "code": c.code,
                "group": c.group,
                "title": c.title,
                "points": c.points,
                "key": c.code in book.scorecard.key_criteria,
                "auto": c.auto,
                "auto_value": verdict.auto.get(c.code),
                "cell": cell.entries.get(c.code) if cell else None,
                "upper": upper.entries.get(c.code) if upper else None,
            }
            for c in criteria
        ],
        "columns": {
            "cell": _sheet_out(cell, verdict.cell_grade),
            "upper": _sheet_out(upper, verdict.upper_grade),
        },
        "versions": {"cell": services.score_version(cell), "upper": services.score_version(upper)},
        "bands": [
            {"grade": b.grade, "label": b.label, "min": b.min, "requires_key_full": b.requires_key_full}
            for b in book.scorecard.bands
        ],
        "breaches": breaches,
        "can_score": {
            "cell": Perm.MEETING_MANAGE in perms and not m.is_locked,
            "upper": Perm.MEETING_SCORE_UPPER in perms and m.status in RUNNING,
        },
    }


@router.get(
    "/meetings/{meeting_id}/score",
    response={200: ScoreOut, **READ_ERRORS},
    summary="Phiếu chấm điểm: điểm tự động, hai cột, xếp loại, vi phạm",
)
def get_score(request: HttpRequest, meeting_id: int) -> Any:
    meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    return score_out(request, meeting)


@router.put(
    "/meetings/{meeting_id}/score/{column}",
    response={200: ScoreOut, **WRITE_409},
    summary="Chấm điểm một cột",
)
def save_score(
    request: HttpRequest, meeting_id: int, column: Literal["cell", "upper"], payload: ScoreIn
) -> Any:
    """`cell`: the cell's own column (meeting managers); `upper`: the upper-level officer's column,
    only once the meeting has been held. In the cell column, data-proved criteria are always filled
    from the data."""
    if column == "upper":
        meeting, _ = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_SCORE_UPPER)
        if meeting.is_locked:
            raise services.MeetingLocked()
        if meeting.status not in HELD:
            raise PermissionDenied(UPPER_NOT_HELD)
    else:
        meeting = _managed(request, meeting_id)
    criteria = services.rulebook_of(meeting).scorecard.criteria_for(meeting.kind)
    codes = {c.code for c in criteria}
    unknown = sorted(set(payload.entries) - codes)
    if unknown:
        raise ValidationError(
            {
                f"entries.{code}": "Không có tiêu chí này trong phiếu chấm của buổi sinh hoạt."
                for code in unknown
            }
        )
    try:
        services.save_score(
            actor=request.user,
            meeting=meeting,
            column=column,
            entries=payload.entries,
            note=payload.note,
            expected_version=payload.expected_version,
        )
    except services.Conflict as exc:
        return _conflict(exc)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {
                    (f"entries.{key}" if key in codes else key): errors
                    for key, errors in exc.error_dict.items()
                }
            ) from None
        raise
    return score_out(request, meeting)


# --- documents ------------------------------------------------------------------------------------------
@router.get(
    "/meetings/{meeting_id}/documents",
    response={200: list[DocumentOut], **READ_ERRORS},
    summary="Tài liệu của buổi sinh hoạt",
)
def list_documents(request: HttpRequest, meeting_id: int) -> Any:
    """Members see the documents once the meeting is published; managers see them from upload."""
    meeting, can_manage = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    if not can_manage and meeting.published_at is None:
        return []
    return meeting.documents.order_by("uploaded_at", "id")


@router.post(
    "/meetings/{meeting_id}/documents",
    response={201: DocumentOut, **WRITE_ERRORS},
    summary="Tải lên tài liệu (multipart: kind, title, file)",
)
def upload_document(
    request: HttpRequest, meeting_id: int, payload: Form[DocumentIn], file: File[UploadedFile | None] = None
) -> Any:
    """PDF, DOCX, XLSX, PPTX, PNG or JPG; the content must match the extension; size-limited."""
    meeting = _managed(request, meeting_id)
    if file is None:
        raise ValidationError({"file": "Hãy chọn tệp để tải lên."})
    doc = add_document(
        actor=request.user, meeting=meeting, kind=payload.kind, title=payload.title, upload=file
    )
    return Status(201, doc)


@router.get(
    "/documents/{document_id}/download",
    response={200: None, **READ_ERRORS},
    summary="Tải xuống tài liệu",
    openapi_extra={
        "responses": {
            200: {
                "description": "Nội dung tệp.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_document(request: HttpRequest, document_id: int) -> Any:
    doc, meeting = _child(request, MeetingDocument, document_id, Perm.MEETING_VIEW)
    if (
        Perm.MEETING_MANAGE not in perms_for(request.user, meeting.organisation)
        and meeting.published_at is None
    ):
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
