"""Cases for `make bench` (scripts/bench.py): what one minutes download costs.

scripts/bench.py runs ``cases()`` inside ``manage.py shell`` on a generated province
(gen_province) and times each callable (one warm-up call, then N calls; p50/p95 in ms).
Each callable is one download as the view does it: the record read from the database
(chibo.documents.record.build) and the minutes rendered.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, F, Func, IntegerField, Value

from chibo.documents import kinds
from chibo.documents.record import build
from chibo.meetings.models import Meeting, MeetingStatus

# A typical cell meeting: about 15–20 members on the roll call.
TARGET_MEMBERS = 18


def meeting() -> Meeting:
    """An approved meeting whose roll call is closest to TARGET_MEMBERS (lowest id on a tie)."""
    found = (
        Meeting.objects.filter(status=MeetingStatus.APPROVED)
        .annotate(members=Count("attendance"))
        .filter(members__gt=0)
        .annotate(
            distance=Func(F("members") - Value(TARGET_MEMBERS), function="ABS", output_field=IntegerField())
        )
        .order_by("distance", "pk")
        .first()
    )
    if found is None:
        raise LookupError("Không có buổi sinh hoạt nào đã duyệt biên bản để đo.")
    return found


def cases() -> list[tuple[str, Callable[[], object]]]:
    m = meeting()

    def minutes(fmt: str) -> Callable[[], object]:
        return lambda: kinds.render(build(m), "bien-ban", fmt)

    return [("Biên bản DOCX", minutes("docx")), ("Biên bản PDF", minutes("pdf"))]
