"""`manage.py gen_province --cells N --years Y --seed S`: a synthetic province for scale work."""

from __future__ import annotations

import datetime as dt
import resource
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from chibo.ops.province import ProvinceGenerator


def month(value: str) -> dt.date:
    """YYYY-MM → the last day of that month."""
    try:
        year, mon = (int(x) for x in value.split("-"))
        first_next = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    except ValueError as exc:
        raise CommandError(f"--until {value!r}: dùng dạng YYYY-MM, ví dụ 2026-10.") from exc
    return first_next - dt.timedelta(days=1)


class Command(BaseCommand):
    help = "Sinh dữ liệu một tỉnh mô phỏng (cây tổ chức, đảng viên, các buổi sinh hoạt đã duyệt)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cells", type=int, required=True, help="số chi bộ")
        parser.add_argument("--years", type=int, default=1, help="số năm sinh hoạt (tính lùi từ --until)")
        parser.add_argument("--seed", type=int, default=1, help="hạt giống: cùng hạt giống, cùng dữ liệu")
        parser.add_argument("--until", type=month, default=None, help="tháng cuối (YYYY-MM); mặc định tháng trước")
        parser.add_argument("--accounts", action="store_true",
                            help="tạo tài khoản bí thư mỗi chi bộ, cán bộ mỗi xã, quản trị tỉnh")
        parser.add_argument("--password", default="", help="mật khẩu các tài khoản (bắt buộc với --accounts)")
        parser.add_argument("--no-history", action="store_true",
                            help="chỉ cây tổ chức, đảng viên và tài khoản (không sinh các buổi sinh hoạt)")
        parser.add_argument("--cell-size", type=int, default=None,
                            help="số đảng viên trung bình mỗi chi bộ (±3); mặc định 5–40, trung bình khoảng 19")
        parser.add_argument("--force", action="store_true", help="chạy cả khi DEBUG tắt")

    def handle(self, *args, **o):  # type: ignore[no-untyped-def]
        if not settings.DEBUG and not o["force"]:
            raise CommandError("gen_province ghi dữ liệu mô phỏng; chỉ chạy khi DEBUG bật hoặc thêm --force.")
        if o["accounts"] and len(o["password"]) < 8:
            raise CommandError("--accounts cần --password dài ít nhất 8 ký tự.")
        try:
            gen = ProvinceGenerator(
                cells=o["cells"], years=o["years"], seed=o["seed"], until=o["until"],
                accounts=o["accounts"], password=o["password"], log=self.stdout.write,
                history=not o["no_history"], cell_size=o["cell_size"],
            )
            stats = gen.run()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        # fresh planner statistics after the bulk load (what autovacuum would do some minutes later):
        # without them PostgreSQL picks sequential scans for the dashboards' member query (1.2 s → 13 ms
        # at 1,000 cells, measured 30/11/2026). On PostgreSQL also VACUUM, as autovacuum would on a
        # live database: until the visibility map is set, index-only scans read the table (the
        # province's overdue-task count visited 10,146 heap pages; autovacuum may be off, as here).
        began = time.perf_counter()
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block  # (not in a test's transaction)
        command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(command)
        self.stdout.write(f"{command}: {time.perf_counter() - began:.1f} s")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = stats.rows()
        self.stdout.write(self.style.SUCCESS(
            f"Tỉnh {gen.code}: {stats.communes} xã, {stats.cells} chi bộ, {stats.groups} tổ đảng, "
            f"{stats.members} đảng viên, {stats.meetings} buổi sinh hoạt, {stats.attendance} lượt điểm danh, "
            f"{stats.speeches} ý kiến, {stats.votes} biểu quyết, {stats.tasks} nhiệm vụ, {stats.users} tài khoản."
        ))
        self.stdout.write(
            f"{rows} dòng trong {stats.seconds:.1f} s ({rows / max(stats.seconds, 1e-9):,.0f} dòng/s), "
            f"bộ nhớ đỉnh {peak_mb:.0f} MB."
        )
