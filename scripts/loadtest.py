#!/usr/bin/env python
"""The meeting-evening load test, on 127.0.0.1 only, bounded in time.

1. PostgreSQL database of its own, `gen_province --cells N --no-history --accounts [--cell-size S]`
   (members, tổ đảng, one secretary account per cell), one gunicorn with W workers, connections
   kept open as in production (`conn_max_age`, docs/deploy.md).
2. Each cell gets a meeting published for tonight (roster drawn) and an API token.
3. locust (headless, FastHttpUser) runs one user per cell (scripts/loadtest/locustfile.py): start,
   roll call, speeches, vote. Cells start over --ramp-minutes; with --evening-minutes each cell's
   actions are spread over that evening (think time derived per cell), else --think (saturation).
4. Verification in the database: rows written = successful operations sent, per kind (no write
   lost, none duplicated), p95 per operation from locust's statistics, and the CPU seconds spent
   by the app server, PostgreSQL and locust itself (from /proc).

Usage:
  .venv/bin/python scripts/loadtest.py --cells 100 --run-time 300              # saturation
  .venv/bin/python scripts/loadtest.py --cells 2000 --cell-size 15 --workers 5 \
      --evening-minutes 30 --ramp-minutes 5                                      # the evening
Exit status 1 if a count differs or any request failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
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


HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_by_role(web_group: int, db_name: str) -> dict[str, float]:
    """CPU seconds used so far by our gunicorn (its process group), the PostgreSQL backends of our
    database (kept open by conn_max_age) and this script's finished children (locust)."""
    out = {"gunicorn": 0.0, "postgres": 0.0}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2:].split()
        used = (int(f[11]) + int(f[12])) / HZ
        if int(f[2]) == web_group:
            out["gunicorn"] += used
        elif cmd.startswith("postgres:") and f" {db_name} " in cmd:
            out["postgres"] += used
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["locust"] = children.ru_utime + children.ru_stime
    return out


class WaitSampler:
    """Once a second, what the active PostgreSQL backends of our database wait for (pg_stat_activity):
    separates waiting on a lock (wait_event_type Lock: a row or transaction id another request holds)
    from working or waiting on CPU/IO. Counts backend-samples per (wait_event_type, wait_event)."""

    def __init__(self, url: str, db_name: str) -> None:
        import threading
        from collections import Counter

        self.url, self.db_name, self.counts, self.samples = url, db_name, Counter(), 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(1.0):
                rows = conn.execute(
                    "select coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '-'), count(*) "
                    "from pg_stat_activity where datname = %s and state = 'active' and pid <> pg_backend_pid() "
                    "group by 1, 2", (self.db_name,)).fetchall()
                self.samples += 1
                for kind, event, n in rows:
                    self.counts[(kind, event)] += n

    def line(self) -> str:
        total = sum(self.counts.values())
        if not self.samples:
            return "Không lấy được mẫu pg_stat_activity."
        parts = ", ".join(f"{k}:{e} {n / self.samples:.2f}" for (k, e), n in self.counts.most_common(6))
        locked = sum(n for (k, _e), n in self.counts.items() if k == "Lock")
        return (f"pg_stat_activity mỗi giây ({self.samples} mẫu): trung bình {total / self.samples:.2f} phiên đang "
                f"chạy, trong đó {locked / self.samples:.2f} chờ khóa (Lock); theo loại: {parts or 'không có'}.")


def machine_busy() -> float:
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(v) - v[3] - v[4]) / HZ


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--cell-size", type=int, default=None,
                        help="members per cell on average (gen_province --cell-size); default 5–40, ~19")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--conn-max-age", type=int, default=3600,
                        help="seconds a worker keeps its database connection (deploy: 60; longer here so "
                             "the CPU of every backend is still visible at the end)")
    parser.add_argument("--evening-minutes", type=float, default=0,
                        help="spread each cell's actions over this many minutes (think time derived per cell)")
    parser.add_argument("--ramp-minutes", type=float, default=None,
                        help="cells start over this many minutes (sets the spawn rate)")
    parser.add_argument("--spawn-rate", type=float, default=20, help="cells started per second (without --ramp-minutes)")
    parser.add_argument("--think", default="0.5,2", help="without --evening-minutes: think time, min,max seconds")
    parser.add_argument("--run-time", type=int, default=None,
                        help="upper bound in seconds (default: ramp + evening + 3 min, or 240)")
    parser.add_argument("--report", default=None)
    args = parser.parse_args()
    spawn_rate = args.cells / (args.ramp_minutes * 60) if args.ramp_minutes else args.spawn_rate
    if args.run_time is None:
        args.run_time = int(args.cells / spawn_rate + args.evening_minutes * 60 * 1.5 + 180) if args.evening_minutes else 240
    if not st.pg_available():
        print("PostgreSQL không chạy trên 127.0.0.1:5432.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="chibo-load-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        db_name = f"chibo_load_{os.getpid()}"
        gen = ["--cells", str(args.cells), "--seed", "1", "--no-history", "--accounts", "--password", "chibo-load-pass"]
        if args.cell_size:
            gen += ["--cell-size", str(args.cell_size)]
        with st.running(root, db_name, servers=1, worker=False, redis=False, tasks="immediate",
                        gunicorn_workers=args.workers, gen=gen,
                        extra_env={"DATABASE_URL": f"{st.PG}/{db_name}?conn_max_age={args.conn_max_age}"}) as s:
            out = s.manage("shell", "-c", SETUP.format(seed=1)).stdout
            plan = json.loads(next(x for x in out.splitlines() if x.startswith("JSON"))[4:])
            (root / "plan.json").write_text(json.dumps(plan))
            meetings = [c["meeting"] for c in plan["cells"]]
            members = sum(len(c["members"]) for c in plan["cells"])
            print(f"Sẵn sàng sau {time.perf_counter() - t0:.0f} s: {len(meetings)} chi bộ, {members} đảng viên.",
                  flush=True)
            lo, hi = args.think.split(",")
            env = {**os.environ, "LOAD_PLAN": str(root / "plan.json"), "LOAD_SENT": str(root / "sent.json"),
                   "LOAD_THINK_MIN": lo, "LOAD_THINK_MAX": hi, "LOAD_EVENING": str(args.evening_minutes * 60)}
            began = time.perf_counter()
            web_group = s.procs["web0"].pid
            cpu0, busy0 = cpu_by_role(web_group, db_name), machine_busy()
            waits = WaitSampler(s.database_url.split("?")[0], db_name)
            waits.thread.start()
            subprocess.run([
                sys.executable, "-m", "locust", "-f", str(ROOT / "scripts/loadtest/locustfile.py"), "--headless",
                "-u", str(len(meetings)), "-r", f"{spawn_rate:.3f}", "--run-time", f"{args.run_time}s",
                "--host", s.urls[0], "--csv", str(root / "locust"), "--only-summary", "--stop-timeout", "30",
                "--loglevel", "WARNING",
            ], cwd=ROOT, env=env, check=False)
            wall = time.perf_counter() - began
            waits.stop.set()
            waits.thread.join(timeout=5)
            cpu1, busy = cpu_by_role(web_group, db_name), machine_busy() - busy0
            cpu = {k: cpu1.get(k, 0.0) - cpu0.get(k, 0.0) for k in ("gunicorn", "postgres", "locust")}
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
    pacing = (f"mỗi chi bộ rải thao tác trong {args.evening_minutes:g} phút" if args.evening_minutes
              else f"nghỉ {args.think} s giữa hai thao tác")
    summary = (f"{args.cells} chi bộ, {members} đảng viên, {args.workers} worker gunicorn (conn_max_age={args.conn_max_age}); "
               f"bắt đầu {spawn_rate:.2f} chi bộ/s, {pacing}; {sent.get('cell_done', 0)} "
               f"chi bộ họp xong trong {wall:.0f} s (giới hạn {args.run_time} s); tổng {agg.get('Request Count')} yêu cầu, "
               f"{float(agg.get('Requests/s', 0) or 0):.1f} req/s, p95 chung {agg.get('95%')} ms.")
    requests_done = max(1, int(agg.get("Request Count") or 0))
    cpu_line = (f"CPU trong lúc chạy: gunicorn {cpu['gunicorn']:.0f} s ({cpu['gunicorn'] * 1000 / requests_done:.1f} ms/yêu cầu), "
                f"PostgreSQL {cpu['postgres']:.0f} s ({cpu['postgres'] * 1000 / requests_done:.1f} ms/yêu cầu), "
                f"locust {cpu['locust']:.0f} s; cả máy bận {busy:.0f} CPU-giây trong {wall:.0f} s "
                f"({busy / max(wall, 1e-9):.2f} lõi, gồm việc của người khác).")
    text = "\n".join([summary, cpu_line, waits.line(), "", *lines, "", "Kết quả: " + ("mọi thao tác gửi thành công đều có đúng một dòng trong CSDL."
                                                              if ok else "CÓ CHÊNH LỆCH hoặc lỗi — xem bảng.")])
    print(text)
    if args.report:
        Path(args.report).write_text(text + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
