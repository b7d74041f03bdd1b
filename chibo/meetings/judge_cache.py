"""What judge() reads outside the meeting, read once per state of the cell and shared by every process.

A running meeting is judged again on every roll-call answer (and every live page). Beside the
meeting's own rows, judge() reads two things a roll-call mark cannot change:

  "tasks"  the tasks to review (open ones of the cell assigned earlier, and those reported at the
           meeting) and which were reported at it: two counts;
  "runs"   the other held meetings' roll of the year up to this one, for the runs of excused
           absences: per member, the (scheduled_at, meeting id, status) of their rows.

Both are kept in the configured cache (Redis shared by the app servers; each process's memory in the
embedded setup) under a key built from rows the caller already loaded, so a kept entry costs no
query to validate:

    (part, meeting.pk, meeting.scheduled_at, cell.pk, cell.activity_rev, the code's digest)

`Organisation.activity_rev` (chibo/organisations/activity.py, the panel cache's value) gets a new
random value in the writing transaction on every write these read — the receivers below:

  - a task saved or deleted, a task report saved or deleted (its task's cell);
    `services.report_task`'s status UPDATE rides on its report's save in the same transaction;
  - a meeting saved (status, time, anything: a meeting started, read back, approved, moved) — its
    deletion is panel_cache's receiver;
  - an attendance row saved or deleted, unless the row's meeting, as loaded with it, is not
    approved: the services write rolls only through `_writable`, which locks the meeting and refuses
    an approved one, so a roll-call mark touches nothing (its own meeting's rows are read live).

"runs" keeps only the rows of *approved* meetings (locked: their rolls no longer change); if another
held meeting of the window is not approved yet (rolls still being marked, without touching the cell),
the entry says so and the rows are read live as before. The meeting's own roll always comes from the
roll the caller loaded. A meeting whose cell was not loaded with it is judged without the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django.core.cache import cache as default_cache
from django.db.models.signals import post_delete, post_save

from chibo.organisations import activity

JUDGE_SECONDS = 1800
_HERE = Path(__file__).resolve().parent


@cache
def code_version() -> str:
    """A digest of the code that builds what is kept (Redis outlives a deployment that changes it)."""
    digest = hashlib.sha256()
    for name in ("judge_cache.py", "selectors.py"):
        digest.update((_HERE / name).read_bytes())
    return digest.hexdigest()[:12]


def usable(meeting: Any) -> bool:
    """Whether MEETING's entries can be keyed without a query: its cell loaded with it."""
    from chibo.meetings.models import Meeting

    return bool(Meeting.organisation.is_cached(meeting))


def key_for(meeting: Any, part: str) -> str | None:
    """The key of MEETING's PART, or None when its cell was not loaded with it (no query here)."""
    if not usable(meeting):
        return None
    cell = meeting.organisation
    when = meeting.scheduled_at.isoformat() if meeting.scheduled_at else ""
    return f"chibo:judge:{part}:{meeting.pk}:{when}:{cell.pk}:{cell.activity_rev}:{code_version()}"


def remembered(meeting: Any, part: str, build: Callable[[], Any]) -> Any:
    """BUILD()'s value for MEETING's PART, from the cache while nothing it reads has changed."""
    key = key_for(meeting, part)
    return build() if key is None else default_cache.get_or_set(key, build, JUDGE_SECONDS)


# --- the writes that change what is kept ---------------------------------------------------------
def _with_meeting(kwargs: dict[str, Any]) -> bool:
    """A row deleted with its meeting (a cascade): the meeting's own deletion touches the cell."""
    from chibo.meetings.models import Meeting

    origin = kwargs.get("origin")
    return isinstance(origin, Meeting) or getattr(origin, "model", None) is Meeting


def _task(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        activity.touch([instance.organisation_id])


def _report(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or _with_meeting(kwargs):
        return
    task = instance._state.fields_cache.get("task")
    if task is not None:
        activity.touch([task.organisation_id])
    else:
        from chibo.meetings.models import Task

        activity.touch(Task.objects.filter(pk=instance.task_id).values_list("organisation_id", flat=True))


def _meeting(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        activity.touch([instance.organisation_id])


def _attendance(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or _with_meeting(kwargs):
        return
    from chibo.meetings.models import Meeting, MeetingStatus

    meeting = instance._state.fields_cache.get("meeting")
    if meeting is not None and meeting.status != MeetingStatus.APPROVED:
        return  # a row of a meeting not approved (as locked by the writing service): read live
    activity.touch(
        Meeting.objects.filter(pk=instance.meeting_id, status=MeetingStatus.APPROVED).values_list(
            "organisation_id", flat=True
        )
    )


def connect() -> None:
    from chibo.meetings.models import Attendance, Meeting, Task, TaskReport

    for model, receiver in ((Task, _task), (TaskReport, _report), (Attendance, _attendance)):
        uid = f"chibo.judge_cache.{model.__name__}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=uid)
    # a meeting deleted: panel_cache's receiver touches its cell
    post_save.connect(_meeting, sender=Meeting, weak=False, dispatch_uid="chibo.judge_cache.Meeting")
