"""`manage.py restore FILE`: load a backup into a new (migrated, empty) database, verified."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = "Khôi phục dữ liệu và tệp từ một bản sao lưu vào cơ sở dữ liệu mới."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="tệp .tar.gz do manage.py backup tạo")
        parser.add_argument("--ignore-field-key", action="store_true",
                            help="khôi phục cả khi khóa mã hóa CCCD khác (số CCCD sẽ không đọc được)")

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        try:
            manifest = restore(Path(o["archive"]), ignore_key=o["ignore_field_key"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Đã khôi phục {sum(manifest['rows'].values())} dòng và {len(manifest['files'])} tệp "
            f"(bản sao lưu lúc {manifest['created_at']})."
        ))
