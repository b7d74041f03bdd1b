#!/usr/bin/env python
"""The meeting-evening load test, on 127.0.0.1 only, bounded in time.

1. PostgreSQL database of its own, `gen_province --cells N --no-history --accounts` (members,
   tổ đảng, one secretary account per cell), one gunicorn with W workers.
2. Each cell gets a meeting published for tonight (roster drawn) and an API token.
3. locust (headless) runs one user per cell (scripts/loadtest/locustfile.py): start, roll call,
   speeches, vote, with think time; at most --run-time.
4. Verification in the database: rows written = successful operations sent, per kind (no write
   lost, none duplicated), and p95 per operation from locust's statistics.

Usage: .venv/bin/python scripts/loadtest.py [--cells 200] [--workers 3] [--run-time 240] [--report FILE]
Exit status 1 if a count differs or any request failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chibo.ops import stack as st  # noqa: E402

SETUP = r"""
import json, datetime as dt
from django.utils import timezone
from chibo.accounts.models import ApiToken, User
from chibo.meetings import services
from chibo.organisations.models import Organisation
cells = []
when = timezone.now() + dt.timedelta(minutes=30)
for cell in Organisation.objects.filter(code__startswith="gp{seed}-x", kind="chi_bo").order_by("code"):
    user = User.objects.get(username=cell.code)
    m = services.create_meeting(actor=user, cell=cell, kind="regular", scheduled_at=when)
    services.publish(actor=user, meeting=m)
    members = list(m.attendance.filter(status="").values_list("member_id", flat=True))
    cells.append({{"cell": cell.code, "meeting": m.pk, "members": members, "token": ApiToken.issue(user)[1]}})
print("JSON" + json.dumps({{"cells": cells}}))
"""

VERIFY = {
    "start": "select count(*) from meetings_meeting where id = any(%s) and status = 'in_progress'",
    "attendance": "select count(*) from meetings_attendance where meeting_id = any(%s) and status in ('present', 'absent_excused')",
    "speech": "select count(*) from meetings_speech where meeting_id = any(%s)",
    "vote_open": "select count(*) from meetings_vote where meeting_id = any(%s)",
    "vote_close": "select count(*) from meetings_vote where meeting_id = any(%s) and closed_at is not null",
}
LABELS = {"start": "bắt đầu họp", "attendance": "điểm danh", "speech": "ghi ý kiến",
          "vote_open": "mở biểu quyết", "vote_close": "kết thúc biểu quyết"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--run-time", type=int, default=240, help="upper bound in seconds")
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--think", default="0.5,2", help="think time between actions, min,max seconds")
    parser.add_argument("--report", default=None)
    args = parser.parse_args()
    if not st.pg_available():
        print("PostgreSQL không chạy trên 127.0.0.1:5432.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="chibo-load-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        with st.running(root, f"chibo_load_{os.getpid()}", servers=1, worker=False, redis=False, tasks="immediate",
                        gunicorn_workers=args.workers,
                        gen=["--cells", str(args.cells), "--seed", "1", "--no-history", "--accounts",
                             "--password", "chibo-load-pass"]) as s:
            out = s.manage("shell", "-c", SETUP.format(seed=1)).stdout
            plan = json.loads(next(x for x in out.splitlines() if x.startswith("JSON"))[4:])
            (root / "plan.json").write_text(json.dumps(plan))
            meetings = [c["meeting"] for c in plan["cells"]]
            members = sum(len(c["members"]) for c in plan["cells"])
            print(f"Sẵn sàng sau {time.perf_counter() - t0:.0f} s: {len(meetings)} chi bộ, {members} đảng viên.",
                  flush=True)
            lo, hi = args.think.split(",")
            env = {**os.environ, "LOAD_PLAN": str(root / "plan.json"), "LOAD_SENT": str(root / "sent.json"),
                   "LOAD_THINK_MIN": lo, "LOAD_THINK_MAX": hi}
            began = time.perf_counter()
            subprocess.run([
                sys.executable, "-m", "locust", "-f", str(ROOT / "scripts/loadtest/locustfile.py"), "--headless",
                "-u", str(len(meetings)), "-r", str(args.spawn_rate), "--run-time", f"{args.run_time}s",
                "--host", s.urls[0], "--csv", str(root / "locust"), "--only-summary", "--stop-timeout", "30",
                "--loglevel", "WARNING",
            ], cwd=ROOT, env=env, check=False)
            wall = time.perf_counter() - began
            sent = json.loads((root / "sent.json").read_text())
            with psycopg.connect(s.database_url) as conn:
                found = {k: conn.execute(sql, (meetings,)).fetchone()[0] for k, sql in VERIFY.items()}
            stats = {}
            with (root / "locust_stats.csv").open() as fh:
                for row in csv.DictReader(fh):
                    stats[row["Name"]] = row
    lines = ["| Thao tác | Gửi thành công | Trong CSDL | Khớp | Lỗi | p50 ms | p95 ms | req/s |", "|---|---|---|---|---|---|---|---|"]
    ok = True
    for kind, label in LABELS.items():
        row = stats.get(label, {})
        match = sent.get(kind, 0) == found[kind]
        failures = int(row.get("Failure Count", 0) or 0)
        ok = ok and match and failures == 0
        lines.append(f"| {label} | {sent.get(kind, 0)} | {found[kind]} | {'✔' if match else '✘'} | {failures} | "
                     f"{row.get('50%', '-')} | {row.get('95%', '-')} | {float(row.get('Requests/s', 0) or 0):.1f} |")
    agg = stats.get("Aggregated", {})
    summary = (f"{args.cells} chi bộ, {members} đảng viên, {args.workers} worker gunicorn; {sent.get('cell_done', 0)} "
               f"chi bộ họp xong trong {wall:.0f} s (giới hạn {args.run_time} s); tổng {agg.get('Request Count')} yêu cầu, "
               f"{float(agg.get('Requests/s', 0) or 0):.1f} req/s, p95 chung {agg.get('95%')} ms.")
    text = "\n".join([summary, "", *lines, "", "Kết quả: " + ("mọi thao tác gửi thành công đều có đúng một dòng trong CSDL."
                                                              if ok else "CÓ CHÊNH LỆCH hoặc lỗi — xem bảng.")])
    print(text)
    if args.report:
        Path(args.report).write_text(text + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
