"""Which RUNNING jobs `manage.py worker` puts back to READY at start."""

from __future__ import annotations

import os
import uuid

import pytest


@pytest.mark.django_db
def test_recovery_leaves_live_and_other_hosts_jobs_alone(settings):
    """Only jobs of dead workers on this host (or older than --stale-minutes anywhere) are rerun."""
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from chibo.ops import recovery

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from chibo.ops.tasks import probe

    def running(worker: str, minutes_ago: int) -> str:
        r = probe.enqueue("/nonexistent", "x")
        DBTaskResult.objects.filter(pk=r.id).update(
            status="RUNNING", worker_ids=[worker], started_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
        return str(r.id)

    host = recovery.this_host()
    dead = running(f"{host}:999999", 1)
    live = running(f"{host}:{os.getppid()}", 1)
    other_recent = running("other-host:123", 5)
    other_old = running("other-host:124", 120)
    assert set(recovery.recover()) == {dead}
    assert set(recovery.recover(stale_after=dt.timedelta(minutes=60))) == {other_old}
    statuses = dict(DBTaskResult.objects.values_list("id", "status"))
    assert statuses[uuid.UUID(live)] == "RUNNING" and statuses[uuid.UUID(other_recent)] == "RUNNING"
    assert statuses[uuid.UUID(dead)] == "READY" and statuses[uuid.UUID(other_old)] == "READY"
