"""`manage.py backup [--output FILE]`: every row and every file in one verified archive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from chibo.ops.backup import backup


class Command(BaseCommand):
    help = "Sao lưu toàn bộ dữ liệu và tệp vào một tệp .tar.gz (có mã kiểm tra)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", default=None,
                            help="tệp đích (mặc định var/backups/chibo-YYYYmmdd-HHMMSS.tar.gz)")

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = Path(o["output"] or Path(settings.VAR_DIR) / "backups" / f"chibo-{stamp}.tar.gz")
        manifest = backup(target)
        rows = sum(manifest["rows"].values())
        self.stdout.write(self.style.SUCCESS(
            f"Đã sao lưu {rows} dòng và {len(manifest['files'])} tệp vào {target}."
        ))
