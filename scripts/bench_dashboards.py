#!/usr/bin/env python
"""Dashboards on an existing database: p50/p95 (warm) of dashboard.build() — as served (the derived part
remembered while nothing below changed) and as computed after a write below — beside the hand-written SQL
floor (chibo/oversight/bench.py), per case: the generated province, a district-level committee if the
tree has one, and a commune. Nothing is written to the database.

Usage: .venv/bin/python scripts/bench_dashboards.py --database-url URL [--samples 20] [--no-check]
       [--province CODE]
  URL: postgres://postgres@127.0.0.1:5432/chibo_scale10k or sqlite:////work/scale/sqlite10k.db
Before timing, check() asserts that both computations give the same figures (skip with --no-check).
Run `manage.py migrate` and `manage.py rebuild_summaries` on the database first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, n: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    fn()  # warm
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95 + 0.5) - 1)]
    return {"p50": statistics.median(samples), "p95": p95}


def load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description="dashboards beside the hand-written SQL floor")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--no-check", action="store_true", help="do not assert that ORM and SQL agree first")
    parser.add_argument("--province", default="", help="code of the province (default: the generated one)")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from chibo.meetings.models import Attendance, Meeting
    from chibo.members.models import Member
    from chibo.organisations.models import Organisation
    from chibo.oversight import bench
    from chibo.oversight.models import CellMonth, MemberMonth, OrgMonth

    counts = {
        "organisations": Organisation.objects.count(),
        "members": Member.objects.count(),
        "meetings": Meeting.objects.count(),
        "attendance": Attendance.objects.count(),
        "cell_months": CellMonth.objects.count(),
        "org_months": OrgMonth.objects.count(),
        "member_months": MemberMonth.objects.count(),
    }
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"load average before (1/5/15 min): {load()}")
    province = Organisation.objects.get(code=args.province) if args.province else None
    cases = bench.cases(province=province, verify=not args.no_check)
    if not cases:
        sys.exit("No generated province in this database (manage.py gen_province).")
    from django.conf import settings

    from chibo.oversight import dashboard

    settings.CHIBO_DASHBOARD_REFRESH_GAP = 0  # after a write: a recomputation nearly always running beside
    refreshes = []  # the recomputations started by "after write" (waited for before the next column)
    launch = dashboard._launch

    def launch_kept(run):  # type: ignore[no-untyped-def]
        thread = launch(run)
        refreshes.append(thread)
        return thread

    dashboard._launch = launch_kept
    print(
        f"{'case':<46} {'served':>15} {'after write':>15} {'computed':>15} {'SQL floor':>15} {'p95/floor':>26}"
    )
    print(
        f"{'':<46} {'p50':>7} {'p95':>7} {'p50':>7} {'p95':>7} {'p50':>7} {'p95':>7} {'p50':>7} {'p95':>7} "
        f"{'served':>8} {'after':>8} {'computed':>8}"
    )
    for label, orm, computed, sql, after in cases:
        o = timed(orm, args.samples)
        a = timed(after, args.samples)
        while refreshes:
            refreshes.pop().join()
        c, s = timed(computed, args.samples), timed(sql, args.samples)
        floor = max(s["p95"], 0.001)
        print(
            f"{label:<46} {o['p50']:7.1f} {o['p95']:7.1f} {a['p50']:7.1f} {a['p95']:7.1f} "
            f"{c['p50']:7.1f} {c['p95']:7.1f} {s['p50']:7.1f} {s['p95']:7.1f} "
            f"{o['p95'] / floor:7.2f}× {a['p95'] / floor:7.2f}× {c['p95'] / floor:7.2f}×",
            flush=True,
        )
    print(f"load average after (1/5/15 min): {load()}")
    print(f"samples: {args.samples} per case after one warm-up call; milliseconds")
    print("served: dashboard.build() as the page calls it (the derived part remembered while nothing below")
    print("changed); after write: the page right after a write below (the remembered entry outdated before")
    print("each call): computed in the call when that costs ≤ CHIBO_DASHBOARD_SYNC_MS, else the last figures")
    print("while a thread computes them again (refresh gap 0: one nearly always running beside the calls);")
    print("computed: nothing remembered (memo emptied before each call: the first page of a process)")


if __name__ == "__main__":
    main()
