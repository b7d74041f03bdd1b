"""`manage.py rq_worker`: run django.tasks jobs queued on Redis (CHIBO_TASKS=rq)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Chạy tiến trình xử lý công việc nền trên Redis (CHIBO_TASKS=rq)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", action="append", dest="queues", help="hàng đợi (mặc định: của backend)")
        parser.add_argument("--burst", action="store_true", help="chạy hết việc đang chờ rồi thoát")
        parser.add_argument("--name", default=None, help="tên tiến trình (mặc định: máy:pid)")

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        backend = settings.TASKS.get("default", {})
        if backend.get("BACKEND") != "chibo.ops.rq_backend.RQBackend":
            raise CommandError("rq_worker chỉ dùng khi CHIBO_TASKS=rq (cần CHIBO_REDIS_URL).")
        from rq import Queue, Worker

        from chibo.ops.rq_backend import connection

        conn = connection(backend["OPTIONS"]["URL"])
        names = o["queues"] or sorted(backend.get("QUEUES") or ["default"])
        worker = Worker([Queue(n, connection=conn) for n in names], connection=conn, name=o["name"])
        worker.work(burst=o["burst"], with_scheduler=True)
