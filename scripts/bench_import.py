#!/usr/bin/env python
"""Benchmark the member import: N generated rows as .xlsx and .csv, preview + apply.

Usage (from the project root):

    .venv/bin/python scripts/bench_import.py            # 10,000 rows
    .venv/bin/python scripts/bench_import.py --rows 2000
    .venv/bin/python scripts/bench_import.py --rows 100000 --no-tracemalloc   # the scale target

A temporary SQLite database under /tmp is created and migrated, unless
DATABASE_URL is set; then that database is used and every run is rolled back,
so nothing stays in it. Each format runs in its own process so that the peak
resident memory (getrusage maxrss) belongs to that format alone; the test file is
written by another process first, so maxrss_MB is the import's (base_MB: the same
process after Django setup and reading the file, before importing). cpu_s is this
process's CPU time for preview + apply; db_cpu_s the PostgreSQL backend's for the same
work (same machine; "-" on SQLite, whose work is already in cpu_s). Each format is
run twice: once for the timing, once under tracemalloc for the peak of Python
allocations (tracemalloc slows Python down, so it is kept out of the timing);
--no-tracemalloc skips that second run (tm_peak_MB shows "-"), which halves the time
of a large run. maxrss_MB is taken after the timed run either way.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("xlsx", "csv")
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thanh", "Quang", "Thu", "Xuân"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Minh",
    "Nga",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Yến",
    "Ánh",
]
CELL_CODE = "BENCH-T1"
GROUPS = ("Tổ đảng số 1", "Tổ đảng số 2")


class Rollback(Exception):
    """Raised to undo a benchmark run."""


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def generated_rows(n: int) -> list[list[Any]]:
    """Header + N valid, varied rows (real dates; the writer decides how to store them)."""
    from chibo.members.imports import COLUMNS

    header = [c.label for c in COLUMNS]
    rows: list[list[Any]] = [header]
    for i in range(n):
        birth = dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28)
        admission = dt.date(min(birth.year + 20 + i % 20, 2023), 1 + (i // 12) % 12, 1 + (i // 7) % 28)
        probationary = i % 17 == 0
        values = {
            "full_name": f"{FAMILY[i % 12]} {MIDDLE[(i // 12) % 10]} {GIVEN[(i // 120) % 22]}",
            "birth_date": birth,
            "gender": "Nữ" if i % 2 else "Nam",
            "ethnicity": "Kinh" if i % 9 else "Tày",
            "hometown": f"Xã {GIVEN[i % 22]}, huyện {GIVEN[(i // 3) % 22]}",
            "residence": f"Thôn {1 + i % 9}",
            "admission_date": admission,
            "official_date": None if probationary else admission.replace(year=admission.year + 1),
            "card_number": f"{i // 100000:02d}.{i % 100000:06d}",
            "cccd": f"{i:012d}",
            "phone": f"09{i:08d}",
            "email": f"dv{i}@example.vn",
            "party_position": "Chi ủy viên" if i % 50 == 0 else "",
            "government_position": "Trưởng thôn" if i % 40 == 0 else "",
            "status": "Dự bị" if probationary else "Chính thức",
            "organisation": CELL_CODE,
            "party_group": GROUPS[i % 2] if i % 3 else "",
            "exempt_from": dt.date(2024, 1, 1) if i % 100 == 0 else None,
        }
        rows.append([values[c.key] for c in COLUMNS])
    return rows


def to_xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Đảng viên")
    for row in rows:
        sheet.append(row)  # dates stay real date cells
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(
            [v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else ("" if v is None else v) for v in row]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def make_tree() -> Any:
    """A province → commune → cell (+ two tổ đảng) and an admin user; returns the user."""
    from chibo.accounts.models import RoleAssignment, User
    from chibo.accounts.permissions import Role
    from chibo.organisations.models import OrgKind
    from chibo.organisations.services import create_organisation

    province = create_organisation(actor=None, name="Đảng bộ tỉnh Bench", kind=OrgKind.PROVINCE, parent=None)
    commune = create_organisation(actor=None, name="Đảng ủy xã Bench", kind=OrgKind.COMMUNE, parent=province)
    cell = create_organisation(
        actor=None, name="Chi bộ thôn Bench", kind=OrgKind.CELL, parent=commune, code=CELL_CODE
    )
    for name in GROUPS:
        create_organisation(actor=None, name=name, kind=OrgKind.GROUP, parent=cell)
    user = User.objects.create_user(username="bench-import", password=None)
    RoleAssignment.objects.create(user=user, organisation=province, role=Role.ADMIN)
    return user


def db_backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend process.

    The server runs on this machine (127.0.0.1): its time belongs to the import as much
    as the Python time does, and unlike the wall clock it does not grow with the load of
    other programs. None on SQLite (in-process: already in cpu_s) or if /proc is not readable."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run_once(fmt: str, data: bytes, n: int) -> tuple[float, float, float, float | None]:
    """Preview (parse + validate + store) and apply inside a transaction that is rolled back.

    Returns wall seconds of the preview and of the apply, this process's CPU seconds for
    both (on a shared machine the CPU figure is the steadier one), and the CPU seconds of
    the PostgreSQL backend for both (None on SQLite)."""
    from django.db import transaction

    from chibo.members import imports

    timings: list[float] = []
    cpu = 0.0
    db_cpu: float | None = None
    try:
        with transaction.atomic():
            user = make_tree()
            db_started = db_backend_cpu()
            cpu_started = time.process_time()
            started = time.perf_counter()
            batch, _ = imports.create_batch(user=user, file_name=f"bench.{fmt}", data=data)
            timings.append(time.perf_counter() - started)
            if batch.errors:
                first = batch.problem_lines()[:5]
                raise SystemExit(f"{fmt}: {batch.error_count} rows with errors, e.g. {first}")
            started = time.perf_counter()
            outcome = imports.apply_batch(batch=batch, user=user)
            timings.append(time.perf_counter() - started)
            cpu = time.process_time() - cpu_started
            db_ended = db_backend_cpu()
            if db_started is not None and db_ended is not None:
                db_cpu = db_ended - db_started
            if not outcome.ok or outcome.created != n:
                raise SystemExit(f"{fmt}: apply failed: {outcome.message}")
            raise Rollback
    except Rollback:
        pass
    return timings[0], timings[1], cpu, db_cpu


def generate(fmt: str, n: int, path: str) -> None:
    """Write the N-row test file (its own process: building it is not the import's memory)."""
    django_setup()
    rows = generated_rows(n)
    Path(path).write_bytes(to_xlsx(rows) if fmt == "xlsx" else to_csv(rows))


def child(fmt: str, n: int, path: str, trace: bool = True) -> None:
    django_setup()
    data = Path(path).read_bytes()
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Django + the file, before importing
    preview, apply, cpu, db_cpu = run_once(fmt, data, n)
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    peak = "-"
    if trace:
        tracemalloc.start()
        run_once(fmt, data, n)
        peak = f"{tracemalloc.get_traced_memory()[1] / (1024 * 1024):.1f}"
        tracemalloc.stop()
    total = preview + apply
    db = "-" if db_cpu is None else f"{db_cpu:.2f}"
    print(
        f"{fmt:<5} {n:>7} {len(data) / 1024 / 1024:>8.2f} {preview:>9.2f} {apply:>8.2f} "
        f"{total:>8.2f} {n / total:>8.0f} {cpu:>7.2f} {db:>8} {peak:>12} {base_mb:>8.1f} {maxrss_mb:>10.1f}",
        flush=True,
    )


def migrate() -> None:
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    print(f"# database: {connection.vendor} {connection.settings_dict['NAME']}")


def parent(n: int, trace: bool = True) -> None:
    with tempfile.TemporaryDirectory(prefix="chibo-bench-", dir="/tmp") as tmp:
        env = dict(os.environ)
        env.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
        env.setdefault("CHIBO_VAR_DIR", tmp)  # throwaway secret and field keys
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        script = str(Path(__file__).resolve())
        subprocess.run([sys.executable, script, "--migrate"], env=env, check=True, cwd=ROOT)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"# python {platform.python_version()}, {os.cpu_count()} CPUs, rows={n}, load average {load}")
        print(
            f"{'fmt':<5} {'rows':>7} {'file_MB':>8} {'preview_s':>9} {'apply_s':>8} "
            f"{'total_s':>8} {'rows/s':>8} {'cpu_s':>7} {'db_cpu_s':>8} {'tm_peak_MB':>12} "
            f"{'base_MB':>8} {'maxrss_MB':>10}",
            flush=True,
        )
        for fmt in FORMATS:
            path = f"{tmp}/bench.{fmt}"
            subprocess.run(
                [sys.executable, script, "--generate", fmt, "--rows", str(n), "--data", path],
                env=env,
                check=True,
                cwd=ROOT,
            )
            flags = [] if trace else ["--no-tracemalloc"]
            subprocess.run(
                [sys.executable, script, "--child", fmt, "--rows", str(n), "--data", path, *flags],
                env=env,
                check=True,
                cwd=ROOT,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows per file (default 10000)")
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the second run that measures Python allocations"
    )
    parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--generate", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--migrate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.migrate:
        migrate()
    elif args.generate:
        generate(args.generate, args.rows, args.data)
    elif args.child:
        child(args.child, args.rows, args.data, trace=not args.no_tracemalloc)
    else:
        parent(args.rows, trace=not args.no_tracemalloc)


if __name__ == "__main__":
    main()
