"""Demo data for the upper committees, called from seed_demo after the meeting history.

For Đảng ủy xã An Bình (officer danguy.anbinh) it adds, through the oversight services:
- the content guidance for the month of the next thôn 1 meeting, published to every cell below,
  with a topic and a document to present, so the secretary can adopt it while preparing;
- the officer rota: danguy.anbinh attends the next meeting of Chi bộ thôn 1 (he is notified);
- the year's inspection and supervision programme: supervision of Chi bộ thôn 2's meetings with
  a conclusion, one recommendation and a follow-up note from the cell (still open);
- a peer pairing: thôn 1 scores thôn 2's meeting of the coming month;
- a model meeting: the best-scored approved meeting of thôn 1, shared with the commune.

Idempotent: everything is looked up before it is created.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from chibo.meetings.models import Meeting, MeetingStatus
from chibo.organisations.models import Organisation
from chibo.oversight import services
from chibo.oversight.models import (
    Guidance,
    GuidanceKind,
    InspectionKind,
    InspectionProgramme,
    ModelMeeting,
    OfficerVisit,
    PeerPairing,
)


def _next_meeting(cell: Organisation) -> Meeting | None:
    return (
        Meeting.objects.filter(organisation=cell, scheduled_at__gte=timezone.now())
        .exclude(status=MeetingStatus.APPROVED)
        .order_by("scheduled_at")
        .first()
    )


def build(*, commune: Organisation, thon1: Organisation, thon2: Organisation, officer: Any) -> int:
    created = 0
    nxt = _next_meeting(thon1)
    when = timezone.localtime(nxt.scheduled_at).date() if nxt else timezone.localdate()
    year, month = when.year, when.month

    if not Guidance.objects.filter(committee=commune, year=year, month=month).exists():
        g = services.create_guidance(
            actor=officer, committee=commune, year=year, month=month,
            title=f"Định hướng sinh hoạt chi bộ tháng {month:02d}/{year}",
            body="Các chi bộ lồng ghép nội dung dưới đây vào buổi sinh hoạt thường kỳ; "
            "báo cáo kết quả về Đảng ủy xã sau buổi sinh hoạt.",
        )
        services.add_guidance_item(
            actor=officer, guidance=g, kind=GuidanceKind.TOPIC,
            title="Đánh giá kết quả thực hiện nhiệm vụ năm, bàn giải pháp hoàn thành chỉ tiêu năm",
            deadline=when,
        )
        services.add_guidance_item(
            actor=officer, guidance=g, kind=GuidanceKind.DOCUMENT,
            title="Quán triệt Chỉ thị về tổ chức Tết Nguyên đán an toàn, tiết kiệm",
            document_ref="Chỉ thị số 45-CT/TW", deadline=when,
        )
        services.publish_guidance(actor=officer, guidance=g)
        created += 1

    if not OfficerVisit.objects.filter(cell=thon1, year=year, month=month).exists():
        services.assign_officer(
            actor=officer, committee=commune, officer=officer, cell=thon1, year=year, month=month
        )
        created += 1

    if not PeerPairing.objects.filter(scored_cell=thon2, year=year, month=month).exists():
        services.pair_cells(
            actor=officer, committee=commune, year=year, month=month, scorer_cell=thon1, scored_cell=thon2
        )
        created += 1

    if not InspectionProgramme.objects.filter(committee=commune, year=year).exists():
        programme = services.create_programme(actor=officer, committee=commune, year=year)
        item = services.add_inspection_item(
            actor=officer, programme=programme, kind=InspectionKind.SUPERVISE,
            content="Giám sát việc thực hiện quy định về chất lượng sinh hoạt chi bộ",
            period_from=dt.date(year, 1, 1), period_to=dt.date(year, 6, 30),
            officer=officer, subject_cell=thon2,
        )
        services.conclude(
            actor=officer, item=item,
            result="Chi bộ duy trì sinh hoạt đều đặn hằng tháng; có buổi thời lượng chưa đủ theo quy định.",
            conclusion="Cơ bản thực hiện tốt; cần bảo đảm thời lượng và chuẩn bị nội dung kỹ hơn.",
        )
        rec = services.add_recommendation(
            actor=officer, item=item,
            text="Bảo đảm mỗi buổi sinh hoạt đủ thời lượng tối thiểu; gửi tài liệu trước cho đảng viên.",
            due_date=dt.date(year, 12, 31),
        )
        services.add_follow_up(
            actor=officer, recommendation=rec,
            note="Chi bộ đã rút kinh nghiệm, từ tháng sau gửi tài liệu trước 2 ngày.",
        )
        created += 1

    best = (
        Meeting.objects.filter(organisation=thon1, status=MeetingStatus.APPROVED, fig_score__isnull=False)
        .order_by("-fig_score", "-scheduled_at")
        .first()
    )
    if best is not None and not ModelMeeting.objects.filter(committee=commune).exists():
        services.mark_model(
            actor=officer, meeting=best,
            note="Chuẩn bị chu đáo, nhiều đảng viên phát biểu, kết luận rõ người rõ việc.",
        )
        created += 1
    return created
