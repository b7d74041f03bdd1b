"""The RQ backend on a private redis-server: enqueue, run in a worker (burst), results and retries."""

from __future__ import annotations

import shutil
import uuid

import pytest
from django.tasks import task_backends

from chibo.ops import stack as st
from chibo.ops.rq_backend import RQBackend

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="không có redis-server")


@pytest.fixture
def redis_url(tmp_path):
    s = st.Stack(root=tmp_path, db_name="unused")
    s.start_redis()
    yield f"redis://127.0.0.1:{s.redis_port}/0"
    s.stop_all()


@pytest.fixture
def rq_tasks(settings, redis_url):
    settings.TASKS = {"default": {"BACKEND": "chibo.ops.rq_backend.RQBackend",
                                  "OPTIONS": {"URL": redis_url, "RETRIES": 2}}}
    yield task_backends["default"]


def test_enqueue_run_and_read_the_result(rq_tasks, tmp_path):
    from rq import Queue, SimpleWorker

    from chibo.ops.tasks import probe

    assert isinstance(rq_tasks, RQBackend)
    out = tmp_path / "out.txt"
    token = uuid.uuid4().hex
    result = probe.enqueue(str(out), token)
    assert result.status == "READY" and not out.exists()
    job = Queue("default", connection=rq_tasks.conn).fetch_job(result.id)
    assert job.retries_left == 2  # a job whose worker dies is retried (CHIBO_TASK_RETRIES)
    SimpleWorker([Queue("default", connection=rq_tasks.conn)], connection=rq_tasks.conn).work(burst=True)
    assert out.read_text().split() == [token]
    done = probe.get_result(result.id)
    assert done.status == "SUCCESSFUL" and done.return_value.startswith(token + "@")


def test_unknown_result_id(rq_tasks):
    from django.tasks.exceptions import TaskResultDoesNotExist

    from chibo.ops.tasks import probe

    with pytest.raises(TaskResultDoesNotExist):
        probe.get_result("nope")


def test_no_retry_when_retries_is_zero(settings, redis_url, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "chibo.ops.rq_backend.RQBackend", "OPTIONS": {"URL": redis_url, "RETRIES": 0}}}
    from rq import Queue

    from chibo.ops.tasks import probe

    result = probe.enqueue(str(tmp_path / "x"), "t")
    job = Queue("default", connection=task_backends["default"].conn).fetch_job(result.id)
    assert not job.retries_left
