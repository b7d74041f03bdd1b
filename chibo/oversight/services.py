"""Every write of the upper committee's side: validate → write → audit, in one transaction.

Writes that touch a meeting (adopting guidance into its agenda, an officer's attendance and
remarks, a peer score) go through chibo.meetings.services, so the meeting's lock (MeetingLocked
once approved), version and audit trail apply unchanged.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chibo.accounts.access import get_scope
from chibo.accounts.models import RoleAssignment, User
from chibo.accounts.permissions import ROLE_PERMISSIONS, Perm
from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.core import versions, vntext
from chibo.meetings import services as meeting_services
from chibo.meetings.models import Meeting, MeetingKind, MeetingStatus, Notification, ScoreColumn, ScoreSheet
from chibo.meetings.notifications import notice_text
from chibo.members.models import Member
from chibo.organisations.models import CELL_KINDS, Organisation, under
from chibo.oversight.models import (
    Adoption,
    FollowUp,
    Guidance,
    GuidanceItem,
    GuidanceKind,
    InspectionItem,
    InspectionKind,
    InspectionProgramme,
    InspectionStatus,
    ModelMeeting,
    OfficerVisit,
    PeerPairing,
    Recommendation,
)

RUNNING = (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED)
logger = logging.getLogger(__name__)


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _month(year: int, month: int) -> None:
    if not 1 <= month <= 12:
        raise ValidationError({"month": "Tháng phải từ 1 đến 12."})
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "Năm không hợp lệ."})


def _cell_below(committee: Organisation, cell: Organisation, field: str = "cell") -> None:
    if cell.kind not in CELL_KINDS or not cell.path.startswith(committee.path) or cell.pk == committee.pk:
        raise ValidationError({field: f"{cell.name} không phải chi bộ trực thuộc {committee.name}."})


def cells_below(committee: Organisation) -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(under(committee.path), kind__in=list(CELL_KINDS), is_active=True)
        .exclude(pk=committee.pk)
        .order_by("sort_key")
    )


def _managers_of(cells: list[Organisation]) -> QuerySet[User]:
    """Users holding a role that runs meetings on one of CELLS (bí thư, phó bí thư, chi ủy viên)."""
    roles = [
        r
        for r, perms in ROLE_PERMISSIONS.items()
        if Perm.MEETING_MANAGE in perms and Perm.ORG_ADMIN not in perms
    ]
    ids = RoleAssignment.objects.filter(organisation__in=cells, role__in=roles).values_list(
        "user_id", flat=True
    )
    return User.objects.filter(pk__in=list(ids), is_active=True)


# --- guidance ---------------------------------------------------------------------------
@transaction.atomic
def create_guidance(
    *,
    actor: Any,
    committee: Organisation,
    year: int,
    month: int,
    title: str,
    body: str = "",
    all_cells: bool = True,
    cells: list[Organisation] | None = None,
) -> Guidance:
    _month(year, month)
    title = vntext.clean(title)
    if not title:
        raise ValidationError({"title": "Thiếu tiêu đề định hướng."})
    if committee.is_cell:
        raise ValidationError({"committee": "Chỉ cấp ủy cấp trên mới ban hành định hướng sinh hoạt."})
    cells = list(cells or [])
    if not all_cells and not cells:
        raise ValidationError({"cells": "Chọn ít nhất một chi bộ nhận định hướng."})
    for c in cells:
        _cell_below(committee, c, "cells")
    g = Guidance.objects.create(
        committee=committee,
        year=year,
        month=month,
        title=title,
        body=vntext.clean(body, multiline=True),
        all_cells=all_cells,
        created_by=_actor(actor),
    )
    if not all_cells:
        g.cells.set(cells)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=g,
        org_path=committee.path,
        changes={
            "title": ["", title],
            "month": ["", f"{month:02d}/{year}"],
            "cells": ["", "tất cả" if all_cells else ", ".join(c.name for c in cells)],
        },
    )
    return g


@transaction.atomic
def add_guidance_item(
    *,
    actor: Any,
    guidance: Guidance,
    title: str,
    kind: str = GuidanceKind.TOPIC,
    document_ref: str = "",
    deadline: dt.date | None = None,
) -> GuidanceItem:
    title = vntext.clean(title)
    if not title:
        raise ValidationError({"title": "Thiếu nội dung."})
    if kind not in GuidanceKind.values:
        raise ValidationError({"kind": "Loại nội dung không hợp lệ."})
    order = guidance.items.count() + 1
    item = GuidanceItem.objects.create(
        guidance=guidance,
        order=order,
        kind=kind,
        title=title,
        document_ref=vntext.clean(document_ref),
        deadline=deadline,
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=item,
        org_path=guidance.committee.path,
        changes={"item": ["", title]},
        object_repr=f"{item} — {guidance}",
    )
    return item


def target_cells(guidance: Guidance) -> QuerySet[Organisation]:
    if guidance.all_cells:
        return cells_below(guidance.committee)
    return guidance.cells.order_by("sort_key")


@transaction.atomic
def publish_guidance(*, actor: Any, guidance: Guidance) -> int:
    """Publish to the target cells; their secretaries get an in-app notice. Returns notices sent."""
    g = Guidance.objects.select_for_update().select_related("committee").get(pk=guidance.pk)
    if g.published_at is not None:
        raise ValidationError("Định hướng đã được ban hành.")
    if not g.items.exists():
        raise ValidationError("Hãy thêm ít nhất một nội dung trước khi ban hành.")
    g.published_at = timezone.now()
    g.save(update_fields=["published_at"])
    guidance.published_at = g.published_at
    cells = list(target_cells(g))
    text = f"{g.committee.name} ban hành định hướng sinh hoạt tháng {g.month:02d}/{g.year}: {g.title}."
    users = list(_managers_of(cells))
    Notification.objects.bulk_create([Notification(user=u, text=text) for u in users])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=g,
        org_path=g.committee.path,
        changes={"published_at": ["", g.published_at.isoformat()], "cells": [0, len(cells)]},
    )
    return len(users)


def guidance_for_meeting(meeting: Meeting) -> list[GuidanceItem]:
    """Published guidance items for MEETING's month addressed to its cell (by any committee above),
    read in plain steps: the month's published guidance from the committees above (usually none: then
    that is the only query), which of it names the cell when not sent to all, then its items. One
    query with the join, the OR and DISTINCT until 07/12/2026, which cost ~4 ms to build — more than
    the meeting page's other panels together (docs/bench.md, session 15)."""
    cell = meeting.organisation
    when = timezone.localtime(meeting.scheduled_at)
    found = list(
        Guidance.objects.filter(
            published_at__isnull=False, year=when.year, month=when.month, committee_id__in=cell.ancestor_ids()
        ).values_list("pk", "all_cells")
    )
    ids = [pk for pk, to_all in found if to_all]
    chosen = [pk for pk, to_all in found if not to_all]
    if chosen:
        ids += Guidance.cells.through.objects.filter(guidance_id__in=chosen, organisation_id=cell.pk).values_list(
            "guidance_id", flat=True
        )
    if not ids:
        return []
    return list(
        GuidanceItem.objects.filter(guidance_id__in=ids)
        .select_related("guidance__committee")
        .order_by("guidance_id", "order", "id")
    )


def guidance_reaches(meeting: Meeting, item_pk: int) -> bool:
    """Whether guidance item ITEM_PK is one MEETING's cell may adopt at it (guidance_for_meeting)."""
    return any(it.pk == item_pk for it in guidance_for_meeting(meeting))


@transaction.atomic
def adopt(*, actor: Any, item: GuidanceItem, meeting: Meeting) -> Adoption:
    """Put guidance ITEM on MEETING's agenda (meetings.services.add_item) and record the adoption."""
    if meeting.is_locked:
        raise meeting_services.MeetingLocked()
    if not guidance_reaches(meeting, item.pk):
        raise ValidationError("Nội dung định hướng này không dành cho chi bộ trong tháng của buổi sinh hoạt.")
    if Adoption.objects.filter(item=item, cell=meeting.organisation).exists():
        raise ValidationError("Chi bộ đã đưa nội dung này vào chương trình sinh hoạt.")
    after = meeting.items.filter(code="upper_documents").first()
    title = item.title if not item.document_ref else f"{item.title} ({item.document_ref})"
    agenda_item = meeting_services.add_item(actor=actor, meeting=meeting, title=title[:255], after=after)
    adoption = Adoption.objects.create(
        item=item,
        cell=meeting.organisation,
        meeting=meeting,
        agenda_item=agenda_item,
        adopted_by=_actor(actor),
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=adoption,
        org_path=meeting.organisation.path,
        changes={"guidance": ["", item.title], "meeting": ["", str(meeting)]},
        object_repr=f"{item} — {meeting}",
    )
    return adoption


# --- officers attending ------------------------------------------------------------------
def meeting_in_month(cell: Organisation, year: int, month: int) -> Meeting | None:
    """The cell's regular (or combined) meeting of the month, else its first meeting that month."""
    qs = Meeting.objects.filter(
        organisation=cell, scheduled_at__year=year, scheduled_at__month=month
    ).order_by("scheduled_at")
    return qs.filter(kind__in=[MeetingKind.REGULAR, MeetingKind.COMBINED]).first() or qs.first()


def _notify_officer(visit: OfficerVisit, *, changed: bool = False) -> None:
    """In-app notice (and e-mail when the officer has an address), worded like the meeting notices."""
    assert visit.meeting is not None
    prefix = "Thay đổi lịch dự sinh hoạt" if changed else "Lịch dự sinh hoạt"
    text = f"{prefix} — {notice_text(visit.meeting)}"[:500]
    Notification.objects.create(user=visit.officer, meeting=visit.meeting, text=text)
    if visit.officer.email:
        try:
            send_mail(f"[chibo] {prefix} {visit.cell.name}", text, None, [visit.officer.email])
        except OSError as exc:  # SMTP down: the in-app notice is stored
            logger.warning("Không gửi được thư lịch dự sinh hoạt %s: %s", visit.pk, exc)
    visit.notified_at = timezone.now()
    visit.save(update_fields=["notified_at", "meeting"])


@transaction.atomic
def assign_officer(
    *,
    actor: Any,
    committee: Organisation,
    officer: User,
    cell: Organisation,
    year: int,
    month: int,
) -> OfficerVisit:
    _month(year, month)
    _cell_below(committee, cell)
    if Perm.MEETING_SCORE_UPPER not in get_scope(officer).perms_at(cell.path):
        raise ValidationError({"officer": f"{officer} không phải cán bộ cấp ủy cấp trên của {cell.name}."})
    if OfficerVisit.objects.filter(officer=officer, cell=cell, year=year, month=month).exists():
        raise ValidationError(
            {"officer": f"Đã phân công {officer} dự sinh hoạt {cell.name} tháng {month:02d}/{year}."}
        )
    visit = OfficerVisit.objects.create(
        committee=committee,
        officer=officer,
        cell=cell,
        year=year,
        month=month,
        meeting=meeting_in_month(cell, year, month),
    )
    if visit.meeting is not None:
        _notify_officer(visit)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=visit,
        org_path=committee.path,
        changes={
            "officer": ["", str(officer)],
            "cell": ["", cell.name],
            "month": ["", f"{month:02d}/{year}"],
        },
        object_repr=f"Lịch dự sinh hoạt {cell.name} {month:02d}/{year}",
    )
    return visit


def on_meeting_rescheduled(sender: Any, meeting: Meeting, changes: dict[str, Any], **kwargs: Any) -> None:
    """Officers assigned to the meeting (or to its cell that month) hear of the new time or place."""
    when = timezone.localtime(meeting.scheduled_at)
    visits = OfficerVisit.objects.filter(
        Q(meeting=meeting)
        | Q(meeting__isnull=True, cell_id=meeting.organisation_id, year=when.year, month=when.month)
    ).select_related("officer", "cell")
    for visit in visits:
        visit.meeting = meeting
        _notify_officer(visit, changed=True)


def on_meeting_published(sender: Any, meeting: Meeting, **kwargs: Any) -> None:
    """Visits assigned before the cell scheduled its meeting are linked and the officer notified."""
    when = timezone.localtime(meeting.scheduled_at)
    visits = OfficerVisit.objects.filter(
        meeting__isnull=True, cell_id=meeting.organisation_id, year=when.year, month=when.month
    ).select_related("officer", "cell")
    for visit in visits:
        visit.meeting = meeting
        _notify_officer(visit)


@transaction.atomic
def record_visit(*, actor: Any, visit: OfficerVisit, attended: bool, remarks: str = "") -> OfficerVisit:
    """The officer's attendance and remarks, written on the meeting record (guest + speech)."""
    meeting = visit.meeting or meeting_in_month(visit.cell, visit.year, visit.month)
    if meeting is None:
        raise ValidationError("Chi bộ chưa có buổi sinh hoạt trong tháng này.")
    if meeting.is_locked:
        raise meeting_services.MeetingLocked()
    if meeting.status not in RUNNING:
        raise ValidationError(
            "Buổi sinh hoạt chưa bắt đầu; chỉ ghi nhận khi đang họp hoặc chờ duyệt biên bản."
        )
    remarks = vntext.clean(remarks, multiline=True)
    if attended and visit.guest_id is None:
        officer = visit.officer
        visit.guest = meeting_services.add_guest(
            actor=actor,
            meeting=meeting,
            name=officer.display_name or officer.get_username(),
            position=officer.officer_title,
            is_upper_officer=True,
            user=officer,
        )
    if attended and remarks and remarks != visit.remarks:
        meeting_services.add_speech(actor=actor, meeting=meeting, summary=remarks, guest=visit.guest)
    before = [visit.attended, visit.remarks]
    visit.meeting, visit.attended, visit.remarks = meeting, attended, remarks if attended else ""
    visit.recorded_at = timezone.now()
    visit.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=visit,
        org_path=visit.committee.path,
        changes={"attended": [before[0], attended], "remarks": [before[1], visit.remarks]},
        object_repr=f"Lịch dự sinh hoạt {visit.cell.name} {visit.month:02d}/{visit.year}",
    )
    return visit


# --- inspection and supervision ------------------------------------------------------------
@transaction.atomic
def create_programme(
    *, actor: Any, committee: Organisation, year: int, title: str = ""
) -> InspectionProgramme:
    _month(year, 1)
    if committee.is_cell:
        raise ValidationError({"committee": "Chương trình kiểm tra, giám sát do cấp ủy cấp trên lập."})
    if InspectionProgramme.objects.filter(committee=committee, year=year).exists():
        raise ValidationError({"year": f"{committee.name} đã có chương trình kiểm tra, giám sát năm {year}."})
    title = vntext.clean(title) or f"Chương trình kiểm tra, giám sát năm {year}"
    p = InspectionProgramme.objects.create(
        committee=committee, year=year, title=title, created_by=_actor(actor)
    )
    record(
        actor=actor, action=AuditAction.CREATE, obj=p, org_path=committee.path, changes={"title": ["", title]}
    )
    return p


@transaction.atomic
def add_inspection_item(
    *,
    actor: Any,
    programme: InspectionProgramme,
    content: str,
    period_from: dt.date,
    period_to: dt.date,
    officer: User | None,
    kind: str = InspectionKind.INSPECT,
    subject_cell: Organisation | None = None,
    subject_member: Member | None = None,
) -> InspectionItem:
    committee = programme.committee
    errors: dict[str, str] = {}
    content = vntext.clean(content, multiline=True)
    if not content:
        errors["content"] = "Thiếu nội dung kiểm tra, giám sát."
    if kind not in InspectionKind.values:
        errors["kind"] = "Hình thức không hợp lệ."
    if (subject_cell is None) == (subject_member is None):
        errors["subject_cell"] = "Chọn một chi bộ hoặc một đảng viên là đối tượng."
    elif subject_cell is not None and (
        subject_cell.kind not in CELL_KINDS or not subject_cell.path.startswith(committee.path)
    ):
        errors["subject_cell"] = f"{subject_cell.name} không thuộc {committee.name}."
    elif subject_member is not None and not subject_member.organisation.path.startswith(committee.path):
        errors["subject_member"] = f"Đồng chí {subject_member.full_name} không thuộc {committee.name}."
    if period_from > period_to:
        errors["period_to"] = "Ngày kết thúc phải sau ngày bắt đầu."
    elif period_from.year != programme.year:
        errors["period_from"] = f"Thời gian phải trong năm {programme.year}."
    if officer is None or Perm.OVERSIGHT_MANAGE not in get_scope(officer).perms_at(committee.path):
        errors["officer"] = "Cán bộ phụ trách phải là cán bộ của cấp ủy này."
    if errors:
        raise ValidationError(errors)
    item = InspectionItem.objects.create(
        programme=programme,
        kind=kind,
        subject_cell=subject_cell,
        subject_member=subject_member,
        content=content,
        period_from=period_from,
        period_to=period_to,
        officer=officer,
    )
    who = subject_cell.name if subject_cell else subject_member.full_name  # type: ignore[union-attr]
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=item,
        org_path=committee.path,
        changes={"subject": ["", who], "content": ["", content[:200]]},
    )
    return item


def conclusion_version(item: InspectionItem) -> str:
    """The version of an inspection item's result and conclusion an editor saw (chibo.core.versions)."""
    return versions.token(item.result, item.conclusion)


@transaction.atomic
def conclude(
    *, actor: Any, item: InspectionItem, result: str, conclusion: str, expected_version: str | None = None
) -> InspectionItem:
    """With EXPECTED_VERSION (conclusion_version() of what the editor saw), a result or conclusion
    written since by another officer raises versions.Stale naming it; nothing is written."""
    locked = (
        InspectionItem.objects.select_for_update(of=("self",)).select_related("programme__committee").get(pk=item.pk)
    )
    versions.check(
        expected_version,
        conclusion_version(locked),
        "Kết quả và kết luận kiểm tra, giám sát vừa được người khác sửa nên nội dung của bạn chưa được lưu. "
        f"Hiện tại: kết quả {versions.quoted(locked.result)}; kết luận {versions.quoted(locked.conclusion)}. "
        "Hãy xem lại rồi lưu lại.",
    )
    given, item = item, locked  # "before" is what is stored now, not what the caller loaded
    result, conclusion = vntext.clean(result, multiline=True), vntext.clean(conclusion, multiline=True)
    errors = {}
    if not result:
        errors["result"] = "Ghi kết quả kiểm tra, giám sát."
    if not conclusion:
        errors["conclusion"] = "Ghi kết luận."
    if errors:
        raise ValidationError(errors)
    before = [item.result, item.conclusion]
    item.result, item.conclusion, item.status = result, conclusion, InspectionStatus.CONCLUDED
    item.concluded_at = timezone.now()
    item.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=item,
        org_path=item.programme.committee.path,
        changes={"result": [before[0], result[:200]], "conclusion": [before[1], conclusion[:200]]},
    )
    given.result, given.conclusion, given.status, given.concluded_at = (
        item.result, item.conclusion, item.status, item.concluded_at
    )  # the caller's object (e.g. add_recommendation checks its status next)
    return item


@transaction.atomic
def add_recommendation(
    *, actor: Any, item: InspectionItem, text: str, due_date: dt.date | None = None
) -> Recommendation:
    text = vntext.clean(text, multiline=True)
    if not text:
        raise ValidationError({"text": "Thiếu nội dung kiến nghị."})
    if item.status != InspectionStatus.CONCLUDED:
        raise ValidationError("Chỉ nêu kiến nghị sau khi có kết luận.")
    rec = Recommendation.objects.create(item=item, text=text, due_date=due_date)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=rec,
        org_path=item.programme.committee.path,
        changes={"recommendation": ["", text[:200]]},
    )
    return rec


@transaction.atomic
def add_follow_up(
    *, actor: Any, recommendation: Recommendation, note: str, done: bool = False, may_close: bool = False
) -> FollowUp:
    rec = (
        Recommendation.objects.select_for_update()
        .select_related("item__programme__committee")
        .get(pk=recommendation.pk)
    )
    note = vntext.clean(note, multiline=True)
    if not note:
        raise ValidationError({"note": "Ghi kết quả thực hiện kiến nghị."})
    if rec.done_at is not None:
        raise ValidationError("Kiến nghị đã được xác nhận hoàn thành.")
    if done and not may_close:
        raise ValidationError({"done": "Chỉ cấp ủy ra kiến nghị mới xác nhận hoàn thành."})
    fu = FollowUp.objects.create(recommendation=rec, note=note, done=done, author=_actor(actor))
    if done:
        rec.done_at = timezone.now()
        rec.save(update_fields=["done_at"])
        recommendation.done_at = rec.done_at
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=fu,
        org_path=rec.item.programme.committee.path,
        changes={"follow_up": ["", note[:200]], "done": [False, done]},
        object_repr=f"Theo dõi kiến nghị: {rec}",
    )
    return fu


# --- peer evaluation ---------------------------------------------------------------------
@transaction.atomic
def pair_cells(
    *,
    actor: Any,
    committee: Organisation,
    year: int,
    month: int,
    scorer_cell: Organisation,
    scored_cell: Organisation,
) -> PeerPairing:
    _month(year, month)
    _cell_below(committee, scorer_cell, "scorer_cell")
    _cell_below(committee, scored_cell, "scored_cell")
    if scorer_cell.pk == scored_cell.pk:
        raise ValidationError({"scored_cell": "Chi bộ không tự chấm chéo cho mình."})
    if PeerPairing.objects.filter(scored_cell=scored_cell, year=year, month=month).exists():
        raise ValidationError(
            {"scored_cell": f"{scored_cell.name} đã có chi bộ chấm chéo tháng {month:02d}/{year}."}
        )
    p = PeerPairing.objects.create(
        committee=committee,
        year=year,
        month=month,
        scorer_cell=scorer_cell,
        scored_cell=scored_cell,
        created_by=_actor(actor),
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=p,
        org_path=committee.path,
        changes={"pair": ["", f"{scorer_cell.name} chấm {scored_cell.name} {month:02d}/{year}"]},
        object_repr=f"Chấm chéo {month:02d}/{year}",
    )
    return p


def pairing_meetings(pairing: PeerPairing) -> QuerySet[Meeting]:
    return Meeting.objects.filter(
        organisation=pairing.scored_cell, scheduled_at__year=pairing.year, scheduled_at__month=pairing.month
    ).order_by("scheduled_at")


@transaction.atomic
def peer_score(
    *, actor: Any, pairing: PeerPairing, meeting: Meeting, entries: dict[str, int], note: str = ""
) -> ScoreSheet:
    """The peer column of MEETING's scorecard, by the paired cell (meetings.services.save_score)."""
    if not pairing_meetings(pairing).filter(pk=meeting.pk).exists():
        raise ValidationError("Buổi sinh hoạt không thuộc phân công chấm chéo này.")
    if meeting.status not in RUNNING and not meeting.is_locked:
        raise ValidationError("Chỉ chấm khi buổi sinh hoạt đang họp hoặc chờ duyệt biên bản.")
    return meeting_services.save_score(
        actor=actor, meeting=meeting, column=ScoreColumn.PEER, entries=entries, note=note
    )


# --- model meetings ----------------------------------------------------------------------
def marking_committee(actor: Any, meeting: Meeting) -> Organisation:
    """The widest committee above MEETING's cell where ACTOR manages oversight."""
    scope = get_scope(actor)
    path = meeting.organisation.path
    if scope.superuser:
        roots = ["/" + path.strip("/").split("/")[0] + "/"]
    else:
        roots = [p for p in scope.paths_with(Perm.OVERSIGHT_MANAGE) if path.startswith(p) and p != path]
    if not roots:
        raise ValidationError("Chỉ cán bộ cấp ủy cấp trên mới chọn buổi sinh hoạt mẫu.")
    return Organisation.objects.get(path=min(roots, key=len))


@transaction.atomic
def mark_model(*, actor: Any, meeting: Meeting, note: str = "") -> ModelMeeting:
    if not meeting.is_locked:
        raise ValidationError("Chỉ chọn làm mẫu buổi sinh hoạt đã duyệt biên bản.")
    if ModelMeeting.objects.filter(meeting=meeting).exists():
        raise ValidationError("Buổi sinh hoạt này đã là buổi mẫu.")
    committee = marking_committee(actor, meeting)
    mm = ModelMeeting.objects.create(
        meeting=meeting, committee=committee, note=vntext.clean(note, multiline=True), marked_by=_actor(actor)
    )
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=mm,
        org_path=committee.path,
        changes={"model_meeting": ["", str(meeting)]},
        object_repr=f"Sinh hoạt mẫu: {meeting}",
    )
    return mm


@transaction.atomic
def unmark_model(*, actor: Any, model: ModelMeeting) -> None:
    record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=model,
        org_path=model.committee.path,
        changes={"model_meeting": [str(model.meeting), ""]},
        object_repr=f"Sinh hoạt mẫu: {model.meeting}",
    )
    model.delete()
