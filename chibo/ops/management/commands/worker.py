"""`manage.py worker`: the database worker (django-tasks-db) that recovers abandoned jobs first.

Same options as `db_worker`, plus --stale-minutes. The worker id is "host:pid", so a restarted
worker recognises the jobs a dead worker on the same machine left RUNNING and runs them again.
"""

from __future__ import annotations

import datetime as dt

from django_tasks_db.management.commands.db_worker import Command as DBWorker

from chibo.ops import recovery


class Command(DBWorker):
    help = "Tiến trình xử lý công việc nền (cơ sở dữ liệu); chạy lại việc bị bỏ dở khi khởi động."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        super().add_arguments(parser)
        parser.add_argument(
            "--stale-minutes", type=int, default=0,
            help="coi việc RUNNING lâu hơn số phút này (ở bất kỳ máy nào) là bị bỏ dở; 0 = chỉ xét máy này",
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        stale = options.pop("stale_minutes")
        options["worker_id"] = recovery.worker_id()
        ids = recovery.recover(stale_after=dt.timedelta(minutes=stale) if stale > 0 else None)
        if ids:
            self.stdout.write(f"Chạy lại {len(ids)} việc bị bỏ dở: {', '.join(ids)}")
        return super().handle(*args, **options)
