"""Test data for the member's year: held meetings with attendance and dues, tasks."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from chibo.annual import services
from chibo.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Task,
    TaskStatus,
)

TZ = timezone.get_current_timezone()


def held_meeting(
    cell,
    year: int,
    month: int,
    *,
    grade: str = "tot",
    kind=MeetingKind.REGULAR,
    attendance=None,
    dues: dict | None = None,
    status=MeetingStatus.APPROVED,
) -> Meeting:  # type: ignore[no-untyped-def]
    """An approved meeting row with its frozen grade (plain rows: the meetings app tests its own pipeline)."""
    m = Meeting.objects.create(
        organisation=cell,
        kind=kind,
        status=status,
        scheduled_at=dt.datetime(year, month, 15, 19, 30, tzinfo=TZ),
        fig_grade=grade if status == MeetingStatus.APPROVED else "",
    )
    for member, st in (attendance or {}).items():
        amount = (dues or {}).get(member, 0)
        Attendance.objects.create(
            meeting=m, member=member, status=st, dues_collected=bool(amount), dues_amount=amount
        )
    return m


def task(cell, member, year: int, month: int, *, done: bool) -> Task:  # type: ignore[no-untyped-def]
    return Task.objects.create(
        organisation=cell,
        title=f"Nhiệm vụ tháng {month}",
        assignee=member,
        due_date=dt.date(year, month, 28),
        status=TaskStatus.DONE if done else TaskStatus.OPEN,
    )


def assessed_round(w, year: int = 2025, *, level_scores=None):  # type: ignore[no-untyped-def]
    """A round where every member and the cell self-assessed and the cell assessed (all 80: tốt)."""
    rnd = services.open_round(actor=w.secretary, cell=w.cell1, year=year, today=dt.date(year, 12, 20))
    for r in rnd.reviews.select_related("member"):
        subject = r.subject
        frame = {
            "member": {"chinh_tri": 8, "dao_duc": 8, "ky_luat": 8, "nhiem_vu": 56},
            "cell": {"lanh_dao": 32, "chinh_tri_tu_tuong": 12, "to_chuc": 12, "sinh_hoat": 16, "kiem_tra": 8},
        }[subject]
        services.save_self_assessment(
            actor=w.secretary,
            review=r,
            scores=frame,
            strengths="Gương mẫu",
            weaknesses="Còn chậm",
            submit=True,
        )
        services.assess(actor=w.secretary, review=r, scores=(level_scores or {}).get(r.member_id, frame))
    return rnd


PRESENT = AttendanceStatus.PRESENT
EXCUSED = AttendanceStatus.ABSENT_EXCUSED
UNEXCUSED = AttendanceStatus.ABSENT_UNEXCUSED
