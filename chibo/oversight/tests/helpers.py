"""Meetings for the oversight tests, built only through chibo.meetings.services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chibo.accounts.models import RoleAssignment
from chibo.accounts.permissions import Role
from chibo.meetings import services
from chibo.meetings.documents import add_document
from chibo.meetings.models import AttendanceStatus, Meeting, MeetingKind, ScoreColumn
from chibo.members.models import Member
from chibo.organisations.models import Organisation
from conftest import make_user

TZ = timezone.get_current_timezone()


def at(day: dt.date, hour: int = 19, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def planned(
    cell: Organisation, *, day: dt.date | None = None, kind: str = MeetingKind.REGULAR, actor: Any = None
) -> Meeting:
    day = day or timezone.localdate() + dt.timedelta(days=5)
    return services.create_meeting(
        actor=actor, cell=cell, kind=kind, scheduled_at=at(day), place="Nhà văn hóa"
    )


def published(cell: Organisation, **kw: Any) -> Meeting:
    m = planned(cell, **kw)
    members = list(Member.objects.filter(organisation=cell).order_by("id"))
    services.update_meeting(
        actor=None,
        meeting=m,
        preparer=members[0],
        chair=members[0],
        secretary=members[1],
        pre_meeting_at=m.scheduled_at - dt.timedelta(days=4),
    )
    add_document(
        actor=None,
        meeting=m,
        kind="draft_resolution",
        title="Dự thảo nghị quyết",
        upload=SimpleUploadedFile("du-thao.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )
    services.publish(actor=None, meeting=m, now=m.scheduled_at - dt.timedelta(days=2))
    return m


def running(cell: Organisation, *, statuses: dict[str, str] | None = None, **kw: Any) -> Meeting:
    m = published(cell, **kw)
    services.start(actor=None, meeting=m, now=m.scheduled_at)
    statuses = statuses or {}
    for a in m.attendance.select_related("member"):
        if not a.status:
            status = statuses.get(a.member.full_name, AttendanceStatus.PRESENT)
            services.set_attendance(
                actor=None,
                meeting=m,
                member=a.member,
                status=status,
                reason="Ốm" if status == AttendanceStatus.ABSENT_EXCUSED else "",
            )
    return Meeting.objects.get(pk=m.pk)


def finish(m: Meeting, *, minutes: int = 100, upper: dict[str, int] | None = None) -> Meeting:
    """From a running meeting to the approved record."""
    items = list(m.items.order_by("order"))
    start = m.scheduled_at
    services.start_item(actor=None, item=items[0], now=start)
    present = [
        a.member for a in m.attendance.select_related("member") if a.status == AttendanceStatus.PRESENT
    ]
    discussion = next(i for i in items if i.code == "discussion")
    for member in present[:2]:
        services.add_speech(
            actor=None, meeting=m, member=member, item=discussion, summary="Đề nghị làm đường."
        )
    services.set_conclusion(
        actor=None, item=next(i for i in items if i.code == "conclusion"), text="Thống nhất làm đường."
    )
    vote = services.open_vote(actor=None, meeting=m, subject="Nghị quyết tháng")
    services.close_vote(
        actor=None, vote=vote, in_favour=len(services._present_eligible(vote)), against=0, other=0
    )
    services.start_item(actor=None, item=items[-1], now=start + dt.timedelta(minutes=minutes - 1))
    services.end_item(actor=None, item=items[-1], now=start + dt.timedelta(minutes=minutes))
    services.save_score(
        actor=None, meeting=m, column=ScoreColumn.CELL, entries={"order_content": 10, "criticism": 8}
    )
    if upper is not None:
        services.save_score(actor=None, meeting=m, column=ScoreColumn.UPPER, entries=upper)
    services.read_back(actor=None, meeting=m, now=start + dt.timedelta(minutes=minutes))
    return services.approve(actor=None, meeting=m)


def approved(
    cell: Organisation, *, minutes: int = 100, upper: dict[str, int] | None = None, **kw: Any
) -> Meeting:
    return finish(running(cell, **kw), minutes=minutes, upper=upper)


def readonly_at(org: Organisation, username: str = "doc.xa") -> Any:
    """A user who may read ORG's subtree but not manage oversight (a party member role held there)."""
    user = make_user(username, None, org)
    RoleAssignment.objects.create(user=user, organisation=org, role=Role.MEMBER)
    return user


def past(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)
