"""Jobs left RUNNING by a database worker that died (killed, machine lost) are run again.

django-tasks-db claims a job by setting it RUNNING with the worker's id; if that worker dies
the row stays RUNNING forever. `manage.py worker` (db_worker with ids "host:pid") calls
`recover()` at start: a RUNNING job whose worker was on this host and whose process is gone,
or any RUNNING job older than `stale_after`, goes back to READY. Tasks must be idempotent
(chibo's tasks write their results in a transaction or check before writing), so a job that
was interrupted half-way is done once.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

try:
    from django.tasks.base import TaskResultStatus
except ImportError:  # pragma: no cover
    from django_tasks_db.compat import TaskResultStatus  # type: ignore[no-redef]


def this_host() -> str:
    return socket.gethostname()[:40]


def worker_id() -> str:
    return f"{this_host()}:{os.getpid()}"


def alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a previous worker with our pid is certainly gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def abandoned(result: DBTaskResult, *, now: dt.datetime, stale_after: dt.timedelta | None) -> bool:
    last = result.worker_ids[-1] if result.worker_ids else ""
    host, _, pid = last.rpartition(":")
    if host == this_host() and pid.isdigit() and not alive(int(pid)):
        return True
    return stale_after is not None and result.started_at is not None and result.started_at < now - stale_after


def recover(*, stale_after: dt.timedelta | None = None) -> list[str]:
    """Put abandoned RUNNING jobs back to READY; returns their ids."""
    now = timezone.now()
    ids = []
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        if abandoned(result, now=now, stale_after=stale_after):
            # Conditional update: if the job finished meanwhile, nothing changes.
            if DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, started_at=None
            ):
                ids.append(str(result.pk))
    return ids
