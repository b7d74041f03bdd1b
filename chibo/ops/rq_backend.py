"""A django.tasks backend on RQ (Redis Queue), for installs with several machines.

No RQ backend for django.tasks ships in the locked dependencies (django-tasks-db is the
database one), so chibo owns this small one. Settings: CHIBO_TASKS=rq and CHIBO_REDIS_URL.
Workers: `manage.py rq_worker` (Django set up, then rq's Worker on the configured queues).

A job is stored in Redis as a call of `execute(task_path, args, kwargs)`; the worker imports
the task by its dotted path and calls it. Results and status come back through rq's Job.
Jobs are enqueued with a retry policy, so a job whose worker died mid-run (rq marks it
abandoned when it cleans the started registry) is run again; tasks must therefore be
idempotent, like every chibo task (they record progress on their own rows).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
from django.tasks.exceptions import TaskResultDoesNotExist
from django.tasks.signals import task_enqueued
from django.utils import timezone
from django.utils.json import normalize_json
from django.utils.module_loading import import_string

STATUS = {
    "queued": TaskResultStatus.READY,
    "deferred": TaskResultStatus.READY,
    "scheduled": TaskResultStatus.READY,
    "created": TaskResultStatus.READY,
    "started": TaskResultStatus.RUNNING,
    "finished": TaskResultStatus.SUCCESSFUL,
    "failed": TaskResultStatus.FAILED,
    "stopped": TaskResultStatus.FAILED,
    "canceled": TaskResultStatus.FAILED,
}


def connection(url: str):  # type: ignore[no-untyped-def]
    from redis import Redis

    return Redis.from_url(url)


def execute(task_path: str, args: list[Any], kwargs: dict[str, Any], takes_context: bool = False) -> Any:
    """Run in the rq worker: import the django.tasks Task and call its function."""
    from rq import get_current_job

    task: Task = import_string(task_path)
    if takes_context:
        job = get_current_job()
        result = _result(task, job) if job is not None else None
        return normalize_json(task.call(TaskContext(task_result=result), *args, **kwargs))
    return normalize_json(task.call(*args, **kwargs))


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def _result(task: Task, job: Any, backend: str = "default") -> TaskResult:
    status = STATUS.get(str(job.get_status(refresh=False) or "queued").split(".")[-1].lower(), TaskResultStatus.READY)
    errors = []
    if status == TaskResultStatus.FAILED and job.exc_info:
        errors.append(TaskError(exception_class_path="builtins.Exception", traceback=str(job.exc_info)))
    result = TaskResult(
        task=task, id=job.id, status=status, enqueued_at=_aware(job.enqueued_at), started_at=_aware(job.started_at),
        finished_at=_aware(job.ended_at), last_attempted_at=_aware(job.started_at),
        args=list(job.args[1]) if len(job.args) > 1 else [], kwargs=dict(job.args[2]) if len(job.args) > 2 else {},
        backend=backend, errors=errors, worker_ids=[job.worker_name] if getattr(job, "worker_name", None) else [],
    )
    if status == TaskResultStatus.SUCCESSFUL:
        object.__setattr__(result, "_return_value", job.return_value())
    return result


class RQBackend(BaseTaskBackend):
    supports_defer = True
    supports_get_result = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.url = self.options["URL"]
        self.retries = int(self.options.get("RETRIES", 3))
        self.job_timeout = int(self.options.get("JOB_TIMEOUT", 1800))
        self._conn = None

    @property
    def conn(self):  # type: ignore[no-untyped-def]
        if self._conn is None:
            self._conn = connection(self.url)
        return self._conn

    def queue(self, name: str):  # type: ignore[no-untyped-def]
        from rq import Queue

        return Queue(name, connection=self.conn, default_timeout=self.job_timeout)

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        from rq import Retry

        self.validate_task(task)
        q = self.queue(task.queue_name)
        call_args = (task.module_path, normalize_json(list(args)), normalize_json(dict(kwargs)), task.takes_context)
        options: dict[str, Any] = {"result_ttl": 7 * 24 * 3600, "failure_ttl": 30 * 24 * 3600}
        if self.retries > 0:  # CHIBO_TASK_RETRIES=0: no retry
            options["retry"] = Retry(max=self.retries, interval=[5, 30, 120][: self.retries])
        if task.run_after is not None:
            job = q.enqueue_at(task.run_after, execute, *call_args, **options)
        else:
            job = q.enqueue(execute, *call_args, **options)
        result = _result(task, job, self.alias)
        object.__setattr__(result, "enqueued_at", timezone.now())
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> TaskResult:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            job = Job.fetch(result_id, connection=self.conn)
        except NoSuchJobError as exc:
            raise TaskResultDoesNotExist(result_id) from exc
        task = import_string(job.args[0])
        return _result(task, job, self.alias)

