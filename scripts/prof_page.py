#!/usr/bin/env python
"""In-process milliseconds per request of the pages `make bench` compares with the framework floor.

Usage: DATABASE_URL=… CHIBO_BENCH_FLOOR=1 .venv/bin/python scripts/prof_page.py floor|meeting|stored|cold|members|roll|live|warm [N]
       … scripts/prof_page.py vs meeting|members|roll|live [ROUNDS]  (page beside the floor, round by round)
on a database made by `manage.py gen_province … --accounts --password P` (logged in as gp1-admin, or
USER_=<username>). meeting: the first 5 approved meetings in turn (records already rendered after the
warm-up); members: the member list (/dang-vien/); roll: roll-call marks (htmx) on a meeting in
progress of the first cell (started if none); live: that meeting's live screen (GET); warm: what an approval or an amendment adds to its request — record_cache.warm (the record rendered
for both kinds of reader and kept) on each of the first N approved meetings, the cache emptied before
each — and the size of what it keeps (pickled, as Redis stores it).
TIMED=module:name,… wraps those functions (looked up as module.name, e.g. chibo.meetings.views:render)
and prints the milliseconds per request each took (perf_counter: little overhead, nested calls counted
in each). PROF=1 adds a cProfile of N more requests (SORT=cumulative|tottime, TOP=60), PYINSTRUMENT=1 a sampled
(wall-clock) profile of them (pyinstrument, not in the lock: pip install it); SQL=1 lists one request's
queries. No HTTP server: Django's test client, so the figures are the server's own work.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from chibo.accounts.models import User  # noqa: E402
from chibo.meetings import services  # noqa: E402
from chibo.meetings.models import Meeting, MeetingStatus  # noqa: E402
from chibo.organisations.models import Organisation  # noqa: E402


def warm(n: int) -> None:
    import pickle
    import statistics

    from django.core.cache import cache

    from chibo.meetings import record_cache, views

    pks = list(Meeting.objects.filter(status=MeetingStatus.APPROVED).order_by("id").values_list("pk", flat=True)[:n])
    for pk in pks[:5]:  # templates compiled, the code digest computed
        cache.clear()
        record_cache.warm(pk, build=views.record_fragments)
    times, counts, sizes = [], [], []
    for pk in pks:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            record_cache.warm(pk, build=views.record_fragments)
            times.append((time.perf_counter() - began) * 1000)
        counts.append(len(queries.captured_queries))
        m = Meeting.objects.get(pk=pk)
        for flag in (False, True):
            found = cache.get(record_cache.key_for(m, can_manage=flag))
            assert found is not None, (pk, flag)
            sizes.append(len(pickle.dumps(found, pickle.HIGHEST_PROTOCOL)))
    times.sort()
    print(
        f"warm: {len(pks)} records, both variants: median {statistics.median(times):.1f} ms, "
        f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms, max {times[-1]:.1f} ms; "
        f"queries {min(counts)}–{max(counts)}; entry {statistics.median(sizes) / 1024:.1f} KiB median, "
        f"{max(sizes) / 1024:.1f} KiB max"
    )


def requests_for(kind: str, n: int, client: Client, admin: User) -> Callable[[int], None]:
    """GO(i): the I-th request of KIND (floor, meeting, members, roll)."""
    method, urls = "get", ["/_bench/floor/"] * n
    if kind == "meeting":
        approved = list(
            Meeting.objects.filter(status=MeetingStatus.APPROVED).order_by("id").values_list("pk", flat=True)[:5]
        )
        urls = [f"/sinh-hoat/{approved[i % 5]}/" for i in range(n)]
    elif kind in ("stored", "cold"):  # first readers: stored renderings (run render_records first) / none
        from django.db.models import Exists, OuterRef

        from chibo.meetings.models import RecordRender

        has = Exists(RecordRender.objects.filter(meeting=OuterRef("pk")))
        pks = list(
            Meeting.objects.filter(status=MeetingStatus.APPROVED)
            .filter(has if kind == "stored" else ~has)
            .order_by("id")
            .values_list("pk", flat=True)[:200]
        )
        urls = [f"/sinh-hoat/{pks[i % len(pks)]}/" for i in range(n)]
        if kind == "cold":  # (a render stores it: this kind measures each meeting's first read only)
            urls = [f"/sinh-hoat/{pk}/" for pk in pks]
    elif kind == "members":  # the member list, as make bench asks for it
        urls = ["/dang-vien/"] * n
    elif kind in ("roll", "live"):
        cell = Organisation.objects.filter(kind="chi_bo").order_by("code")[0]
        m = Meeting.objects.filter(organisation=cell, status=MeetingStatus.IN_PROGRESS).first()
        if m is None:
            m = services.create_meeting(
                actor=admin, cell=cell, kind="regular", scheduled_at=timezone.now() + dt.timedelta(hours=1)
            )
            services.publish(actor=admin, meeting=m)
            services.start(actor=admin, meeting=m)
        members = list(m.attendance.values_list("member_id", flat=True))
        if kind == "live":  # the secretary's live screen (what every other meeting action re-renders)
            urls = [f"/sinh-hoat/{m.pk}/dieu-hanh/"] * n
        else:
            method, urls = "post", [
                f"/sinh-hoat/{m.pk}/dieu-hanh/diem-danh/{members[i % len(members)]}/" for i in range(n)
            ]

    def go(i: int) -> None:
        if kind == "stored":  # the process's cache lost the record (expired, another server, a restart)
            _forget_records()  # (a scan of ≤ 300 keys: counted in the page's time)
        if method == "get":
            response = client.get(urls[i % n])
        else:
            status = ["present", "absent_excused"][(i // 15) % 2]
            response = client.post(
                urls[i % n], {"status": status, "reason": "Ốm" if status == "absent_excused" else ""}, HTTP_HX_REQUEST="true"
            )
        assert response.status_code == 200, (urls[i % n], response.status_code)

    return go


def _forget_records() -> None:
    """Drop the records (not the session or the panels) from the process's cache."""
    from django.core.cache import cache

    store = getattr(cache, "_cache", None)
    if store is None:
        raise SystemExit("stored: needs the embedded LocMemCache (no CHIBO_REDIS_URL)")
    for key in [k for k in list(store) if ":chibo:record:" in k]:
        cache.delete(key.split(":", 2)[2])


def timed(names: str) -> dict[str, list[float]]:
    """Wrap each module:name of NAMES (comma-separated); the returned totals (seconds) are reset
    after the warm-up, when the first timed request begins (main() clears them)."""
    import functools
    import importlib

    spent: dict[str, list[float]] = {}
    for spec in filter(None, names.split(",")):
        module_name, _, attr = spec.partition(":")
        module = importlib.import_module(module_name)
        original = getattr(module, attr)
        total = spent.setdefault(spec, [0.0])

        def wrapper(*args, __f=original, __t=total, **kwargs):  # type: ignore[no-untyped-def]
            began = time.perf_counter()
            try:
                return __f(*args, **kwargs)
            finally:
                __t[0] += time.perf_counter() - began

        setattr(module, attr, functools.wraps(original)(wrapper))
    return spent


def versus(kind: str, rounds: int, go: Callable[[int], None], floor: Callable[[int], None]) -> None:
    """ROUNDS rounds of 20 floor requests then 20 of KIND: the median of each round's ratio (the
    machine's speed drifts by 2x within minutes; side by side, the ratio holds)."""
    import statistics

    for i in range(10):
        go(i)
        floor(i)
    ratios, page_ms, floor_ms = [], [], []
    for r in range(rounds):
        began = time.perf_counter()
        for i in range(20):
            floor(i)
        f = (time.perf_counter() - began) / 20
        began = time.perf_counter()
        for i in range(20):
            go(r * 20 + i)
        p = (time.perf_counter() - began) / 20
        ratios.append(f / p)
        page_ms.append(p * 1000)
        floor_ms.append(f * 1000)
    print(
        f"{kind}: {statistics.median(page_ms):.2f} ms, floor {statistics.median(floor_ms):.2f} ms, "
        f"in-process ratio {statistics.median(ratios) * 100:.1f}% of the floor (median of {rounds} rounds; "
        f"{min(ratios) * 100:.1f}–{max(ratios) * 100:.1f}%)"
    )


def main() -> None:
    kind = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 and kind != "vs" else 200
    if kind == "warm":
        warm(n)
        return
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    admin = User.objects.get(username=os.environ.get("USER_", "gp1-admin"))
    client.force_login(admin)
    if kind == "vs":  # vs PAGE ROUNDS
        page, rounds = sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 20
        versus(page, rounds, requests_for(page, 400, client, admin), requests_for("floor", 400, client, admin))
        return
    go = requests_for(kind, n, client, admin)
    spent = timed(os.environ.get("TIMED", ""))

    for i in range(10):  # warm-up: templates, caches, the record rendered
        go(i)
    with CaptureQueriesContext(connection) as queries:
        go(0)
    print("queries", len(queries.captured_queries))
    if os.environ.get("SQL"):
        for q in queries.captured_queries:
            print(q["time"], q["sql"][:300])
    for total in spent.values():
        total[0] = 0.0
    began = time.perf_counter()
    for i in range(n):
        go(i)
    print(f"{kind}: {(time.perf_counter() - began) / n * 1000:.2f} ms/request")
    for name, seconds in spent.items():
        print(f"  {name}: {seconds[0] / n * 1000:.3f} ms/request")
    if os.environ.get("PYINSTRUMENT"):  # wall-clock samples, little overhead (pip install pyinstrument)
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.001)
        sampler.start()
        for i in range(n):
            go(i)
        sampler.stop()
        print(sampler.output_text(show_all=bool(os.environ.get("ALL")), short_mode=False))
    if os.environ.get("PROF"):
        profile = cProfile.Profile()
        profile.enable()
        for i in range(n):
            go(i)
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(os.environ.get("SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("TOP", "60")))
        print(out.getvalue())


if __name__ == "__main__":
    main()
