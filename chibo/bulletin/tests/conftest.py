"""Fixtures of the bulletin tests: a planned meeting of cell 1 and news to build its bulletin from."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chibo.bulletin import services
from chibo.bulletin.models import Category
from chibo.meetings import services as meeting_services
from chibo.meetings.models import Meeting, MeetingKind, MeetingStatus

NEWS = [
    (
        Category.PROVINCE,
        "Tỉnh ủy sơ kết công tác xây dựng Đảng",
        "Sáng 28/11, Ban Thường vụ Tỉnh ủy sơ kết công tác xây dựng Đảng năm 2026. 15/16 chỉ tiêu đạt và vượt kế hoạch.",
    ),
    (
        Category.NATIONAL,
        "Triển khai Hướng dẫn 12-HD/BTCTW",
        "Các chi bộ triển khai Hướng dẫn số 12-HD/BTCTW về nâng cao chất lượng sinh hoạt chi bộ.",
    ),
    (
        Category.WORLD,
        "Hội nghị thượng đỉnh ASEAN",
        "Hội nghị cấp cao ASEAN lần thứ 47 khai mạc ngày 26/10/2026, thông qua nhiều văn kiện quan trọng.",
    ),
]


def make_meeting(w, *, days: int = 5) -> Meeting:  # type: ignore[no-untyped-def]
    day = timezone.localdate() + dt.timedelta(days=days)
    return meeting_services.create_meeting(
        actor=w.secretary,
        cell=w.cell1,
        kind=MeetingKind.REGULAR,
        scheduled_at=dt.datetime.combine(day, dt.time(19, 30), tzinfo=timezone.get_current_timezone()),
        place="Nhà văn hóa thôn 1",
    )


def lock(meeting: Meeting) -> Meeting:
    """Mark the meeting approved (the lock every bulletin write must respect)."""
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.APPROVED)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def meeting(world):
    return make_meeting(world)


@pytest.fixture
def items(world):
    return [
        services.add_item(actor=world.secretary, organisation=world.cell1, category=c, title=t, text=x)
        for c, t, x in NEWS
    ]


@pytest.fixture
def filled(world, meeting, items):
    """The meeting with a three-item bulletin."""
    for item in items:
        services.add_entry(actor=world.secretary, meeting=meeting, item=item)
    return meeting
