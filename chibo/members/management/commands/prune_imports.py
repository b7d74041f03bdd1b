"""`manage.py prune_imports`: abandoned import previews do not keep personal data forever.

A preview (ImportBatch) holds every row of the uploaded file, the CCCD as an encrypted token. A
batch still pending after CHIBO_IMPORT_PREVIEW_HOURS (default 24) is cancelled like the "Hủy"
button does (the CCCD tokens are dropped); a finished batch (applied or cancelled) older than
CHIBO_IMPORT_KEEP_DAYS (default 30) keeps its counts and error list but no longer its rows.
Run it daily from cron or a systemd timer (docs/deploy.md).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from chibo.members.imports import cancel_batch
from chibo.members.models import ImportBatch


class Command(BaseCommand):
    help = "Hủy các bản xem trước nhập đảng viên bị bỏ dở và xóa các dòng của lô nhập cũ."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        now = timezone.now()
        hours = int(getattr(settings, "CHIBO_IMPORT_PREVIEW_HOURS", 24))
        days = int(getattr(settings, "CHIBO_IMPORT_KEEP_DAYS", 30))
        cancelled = 0
        stale = ImportBatch.objects.filter(
            status=ImportBatch.Status.PENDING, created_at__lt=now - dt.timedelta(hours=hours)
        ).only("pk")
        for batch in stale.iterator():
            cancelled += cancel_batch(batch=batch)
        cleared = (
            ImportBatch.objects.exclude(status=ImportBatch.Status.PENDING)
            .filter(created_at__lt=now - dt.timedelta(days=days))
            .update(rows=[])
        )
        self.stdout.write(
            f"Đã hủy {cancelled} bản xem trước bỏ dở (quá {hours} giờ); "
            f"đã xóa các dòng của {cleared} lô nhập cũ (quá {days} ngày)."
        )
