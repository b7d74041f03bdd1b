#!/usr/bin/env python
"""Dashboards on an existing database: p50/p95 (warm) of dashboard.build() — as served (the derived part
remembered while nothing below changed) and as computed with nothing remembered — beside the hand-written
SQL floor (chibo/oversight/bench.py), per case: the generated province, a district-level committee if the
tree has one, and a commune. Then "after writes": the page called back to back for --window seconds,
each call after the remembered figures were outdated as a write below outdates them, with the settings
in force (CHIBO_DASHBOARD_SYNC_MS, CHIBO_DASHBOARD_REFRESH_GAP): p50/p95/max of every call, and of the
calls made while a recomputation thread ran. Nothing is written to the database.

Usage: .venv/bin/python scripts/bench_dashboards.py --database-url URL [--samples 20] [--window 65]
       [--no-check] [--province CODE]
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
    parser.add_argument("--window", type=float, default=65.0, help="seconds of calls after writes per case")
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

    refreshes = []  # the recomputations started by the "after writes" calls
    launch = dashboard._launch

    def launch_kept(run):  # type: ignore[no-untyped-def]
        thread = launch(run)
        refreshes.append(thread)
        return thread

    dashboard._launch = launch_kept
    print(f"{'case':<46} {'served':>15} {'computed':>15} {'SQL floor':>15} {'p95/floor':>17}")
    print(f"{'':<46} {'p50':>7} {'p95':>7} {'p50':>7} {'p95':>7} {'p50':>7} {'p95':>7} {'served':>8} {'computed':>8}")
    evenings = []
    for label, orm, computed, sql, after in cases:
        o = timed(orm, args.samples)
        evenings.append((label, evening(after, args.window, dashboard, refreshes)))
        c, s = timed(computed, args.samples), timed(sql, args.samples)
        floor = max(s["p95"], 0.001)
        print(
            f"{label:<46} {o['p50']:7.1f} {o['p95']:7.1f} {c['p50']:7.1f} {c['p95']:7.1f} "
            f"{s['p50']:7.1f} {s['p95']:7.1f} {o['p95'] / floor:7.2f}× {c['p95'] / floor:7.2f}×",
            flush=True,
        )
    print(f"samples: {args.samples} per case after one warm-up call; milliseconds")
    print("served: dashboard.build() as the page calls it (the derived part remembered while nothing below")
    print("changed); computed: nothing remembered (memo emptied before each call: the first page of a")
    print("process, and any page after a write when computing costs ≤ CHIBO_DASHBOARD_SYNC_MS)")
    print()
    print(
        f"After writes, for {args.window:.0f} s (each call outdates the remembered figures as a write below "
        f"does; CHIBO_DASHBOARD_SYNC_MS {settings.CHIBO_DASHBOARD_SYNC_MS}, "
        f"REFRESH_GAP {settings.CHIBO_DASHBOARD_REFRESH_GAP} s):"
    )
    print(
        f"{'case':<46} {'calls':>6} {'p50':>7} {'p95':>7} {'max':>7} {'stale':>6} {'refreshes':>9} "
        f"{'beside a refresh: calls':>24} {'p50':>7} {'max':>7}"
    )
    for label, e in evenings:
        print(
            f"{label:<46} {e['calls']:6d} {e['p50']:7.1f} {e['p95']:7.1f} {e['max']:7.1f} {e['stale']:6d} "
            f"{e['refreshes']:9d} {e['beside']:24d} {e['beside_p50']:7.1f} {e['beside_max']:7.1f}"
        )
    print(f"load average after (1/5/15 min): {load()}")


def evening(after, seconds: float, dashboard, refreshes) -> dict:  # type: ignore[no-untyped-def]
    """AFTER (the page right after a write below) called back to back for SECONDS, as on a meeting
    evening when cells write all the time and an officer keeps reloading: every call, the calls made
    while a recomputation thread was running, how many showed the last figures and how many threads ran."""
    after()  # warm
    for t in refreshes:
        t.join()
    refreshes.clear()
    samples, beside, stale = [], [], 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        busy = bool(dashboard._REFRESHING)
        t = time.perf_counter()
        board = after()
        ms = (time.perf_counter() - t) * 1000
        samples.append(ms)
        stale += board.stale
        if busy or dashboard._REFRESHING:
            beside.append(ms)
    ran = len(refreshes)
    for t in refreshes:
        t.join()
    refreshes.clear()
    samples.sort()
    return {
        "calls": len(samples),
        "p50": statistics.median(samples),
        "p95": samples[max(0, int(len(samples) * 0.95 + 0.5) - 1)],
        "max": samples[-1],
        "stale": stale,
        "refreshes": ran,
        "beside": len(beside),
        "beside_p50": statistics.median(beside) if beside else 0.0,
        "beside_max": max(beside) if beside else 0.0,
    }

if __name__ == "__main__":
    main()
