"""Fetch every active feed (for cron or a systemd timer), or queue the fetches for the worker.

    manage.py fetch_feeds                  # fetch now, in this process, one feed after another
    manage.py fetch_feeds --queue          # enqueue one task per feed (the db_worker runs them)
    manage.py fetch_feeds --organisation 7 # only the feeds of organisation 7

A broken feed is recorded on its row (last error) and never stops the others.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from chibo.bulletin.models import FeedSource
from chibo.bulletin.tasks import fetch_feed, fetch_one


class Command(BaseCommand):
    help = "Lấy tin từ các nguồn RSS/Atom đang dùng."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--queue", action="store_true", help="Đưa vào hàng đợi thay vì lấy ngay.")
        parser.add_argument("--organisation", type=int, default=None, help="Chỉ nguồn tin của tổ chức này.")

    def handle(self, *args: Any, **opts: Any) -> None:
        feeds = FeedSource.objects.filter(active=True).order_by("pk")
        if opts["organisation"]:
            feeds = feeds.filter(organisation_id=opts["organisation"])
        ids = list(feeds.values_list("pk", flat=True))
        if opts["queue"]:
            for pk in ids:
                fetch_feed.enqueue(pk)
            self.stdout.write(f"Đã đưa {len(ids)} nguồn tin vào hàng đợi.")
            return
        ok = failed = new = 0
        for pk in ids:
            result = fetch_one(pk)
            if result.get("error"):
                failed += 1
                self.stdout.write(f"  nguồn {pk}: lỗi — {result['error']}")
            elif not result.get("skipped"):
                ok += 1
                new += int(result.get("new", 0))  # type: ignore[call-overload]
        self.stdout.write(f"Đã lấy {ok} nguồn tin ({new} tin mới), {failed} nguồn lỗi.")
