"""Render and store the records of approved meetings that have no fresh stored rendering
(meetings.RecordRender, chibo/meetings/record_cache.py).

Run it after an upgrade (a change to the record's code or templates makes every stored rendering
stale: until then each record's first reader renders it, ~35 ms, once), after gen_province or a
bulk import (the services do not render), or from cron: most recent meetings first, so the
records people read most are ready first. Safe to stop and run again; runs beside the app.
"""

from __future__ import annotations

import datetime as dt
import statistics

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.meetings import record_cache, views


class Command(BaseCommand):
    help = "Dựng sẵn và lưu biên bản của các buổi sinh hoạt đã duyệt chưa có bản dựng còn dùng được."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="chỉ các buổi từ ngày này (dd/mm/yyyy)")
        parser.add_argument("--limit", type=int, help="nhiều nhất bấy nhiêu buổi")
        parser.add_argument("--ids", help="chỉ các buổi này (mã, cách nhau dấu phẩy)")

    def handle(self, *args: object, **options: object) -> None:
        since = None
        if options["since"]:
            try:
                since = dt.datetime.strptime(str(options["since"]), "%d/%m/%Y").date()
            except ValueError:
                raise CommandError(f"--since {options['since']!r}: ngày phải viết dd/mm/yyyy.") from None
        pks = None
        if options["ids"]:
            try:
                pks = [int(x) for x in str(options["ids"]).split(",") if x.strip()]
            except ValueError:
                raise CommandError("--ids: các mã buổi sinh hoạt phải là số, cách nhau dấu phẩy.") from None
        limit = options["limit"]
        if limit is not None and int(str(limit)) < 1:
            raise CommandError("--limit phải là số dương.")
        times = []
        for _pk, ms in record_cache.render_missing(
            build=views.record_fragments, pks=pks, since=since, limit=int(str(limit)) if limit else None
        ):
            times.append(ms)
            if len(times) % 500 == 0:
                self.stdout.write(f"  {len(times)} biên bản…")
        if times:
            self.stdout.write(
                f"Đã dựng và lưu {len(times)} biên bản (trung vị {statistics.median(times):.1f} ms một biên bản)."
            )
        else:
            self.stdout.write("Không có biên bản nào cần dựng.")
