"""Killing the database worker in the middle of a job: after a restart the job completes, once.

Real processes on PostgreSQL: `manage.py worker` (db_worker with host:pid ids and recovery of
abandoned jobs) is SIGKILLed while the job runs; the job row stays RUNNING and nothing is
written; the restarted worker puts it back to READY and runs it; a third worker finds nothing.
"""

from __future__ import annotations

import os
import signal
import time
import uuid

import psycopg
import pytest

from chibo.ops import stack as st

pytestmark = [pytest.mark.skipif(not st.stack_tests_enabled()[0], reason=st.stack_tests_enabled()[1]),
              pytest.mark.postgres]
TABLE = "django_tasks_database_dbtaskresult"


def row(s: st.Stack, job_id: str) -> tuple:
    with psycopg.connect(s.database_url) as conn:
        return conn.execute(f"select status, worker_ids from {TABLE} where id = %s", (job_id,)).fetchone()


def wait_for(s: st.Stack, job_id: str, status: str, timeout: float = 60) -> tuple:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = row(s, job_id)
        if current[0] == status:
            return current
        time.sleep(0.1)
    raise AssertionError(f"job {job_id}: {row(s, job_id)} ≠ {status}\n{s.log('worker')}{s.log('worker2')}")


def test_killed_worker_job_completes_once_after_restart(tmp_path):
    with st.running(tmp_path, f"chibo_wk_{os.getpid()}", servers=0, worker=False, tasks="database", redis=False) as s:
        out = tmp_path / "done.txt"
        token = uuid.uuid4().hex
        printed = s.manage("shell", "-c", f"from chibo.ops.tasks import probe; print(probe.enqueue({str(out)!r}, {token!r}, 6).id)")
        job_id = printed.stdout.split()[-1]
        first = s.start_worker("worker")
        _, workers = wait_for(s, job_id, "RUNNING")
        assert workers == [f"{os.uname().nodename[:40]}:{first.pid}"]
        os.kill(first.pid, signal.SIGKILL)  # the worker we started, mid-job
        first.wait(timeout=10)
        time.sleep(0.5)
        assert row(s, job_id)[0] == "RUNNING" and not out.exists()  # abandoned: nothing done, nothing finished

        second = s.start_worker("worker2")
        _, workers = wait_for(s, job_id, "SUCCESSFUL")
        assert len(workers) == 2 and workers[-1].endswith(f":{second.pid}")
        assert out.read_text().split() == [token]
        assert "Chạy lại 1 việc bị bỏ dở" in s.log("worker2")
        s.stop("worker2")

        # Done once: a later worker run finds nothing to redo.
        s.manage("worker", "--batch", "--no-startup-delay", "--no-reload")
        assert out.read_text().split() == [token]
        assert row(s, job_id)[0] == "SUCCESSFUL"
