#!/usr/bin/env python
"""`make bench`: chibo on the embedded SQLite and on PostgreSQL, side by side, in one run.

For each database: a fresh database, `gen_province --cells N --years Y` (seeded), one gunicorn
(2 sync workers; --workers, --server-threads) on 127.0.0.1 with a minimal view added (CHIBO_BENCH_FLOOR=1), and a client of
T threads with keep-alive sessions logged in as the province administrator. Each row runs
--seconds after a warm-up and reports requests/s and p50/p95 latency:

  framework floor   GET /_bench/floor/ (same middleware, no chibo code), in slices of 1 s alternating
                    with each row's (paired()): each row's "% sàn" is the median of the slices' ratios
  meeting page      GET /sinh-hoat/<id>/ over --stored (1000) approved meetings of many cells, each
                    rendered and stored beforehand (record_cache.render_missing), as approving or
                    amending through the app (page or API) does (views.warm_record): first readers,
                    the server processes' caches empty, so nearly every request reads the stored
                    rendering (meetings.RecordRender), the rest the cache
  meeting cold      GET /sinh-hoat/<id>/ over 200 other approved meetings never rendered (generated in
                    bulk, not approved through the app; or after an upgrade that changed the record's
                    code, before `manage.py render_records` has run): mostly first readers who render
  meeting again     GET /sinh-hoat/<id>/ over 5 of them (the record already rendered and cached)
  member list       GET /dang-vien/ (the province's first page, sorted by given name)
  roll-call write   POST …/dieu-hanh/diem-danh/<member>/ (htmx) over meetings in progress

Then the member import (scripts/bench_import.py: rows/s, peak memory) on the same database.

Hooks for modules built in parallel (a row shows "chưa có" while the module is missing):
  chibo/oversight/bench.py: def cases() -> list[(label, served, computed, sql_callable, after_write)]
      dashboards: p50/p95 (warm) of the page computation beside hand-written SQL (the floor)
  chibo/documents/bench.py: def cases() -> list[(label, callable)]
      documents: milliseconds per minutes DOCX / PDF
They are run inside `manage.py shell` on the generated province.

Usage: .venv/bin/python scripts/bench.py [--cells 1000] [--years 1] [--seconds 10] [--threads 4]
       [--only sqlite|postgres] [--report docs/bench.md]
PostgreSQL: postgres://postgres@127.0.0.1:5432 (CHIBO_STACK_PG), a database chibo_bench_* is
created and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chibo.ops import stack as st  # noqa: E402

PASSWORD = "chibo-bench-pass"
SETUP = r"""
import json, datetime as dt
from django.utils import timezone
from chibo.accounts.models import User
from chibo.meetings import services
from chibo.meetings.models import Meeting, MeetingStatus
from chibo.organisations.models import Organisation
admin = User.objects.get(username="gp{seed}-admin")
cells = list(Organisation.objects.filter(code__startswith="gp{seed}-x", kind="chi_bo").order_by("code")[:{live}])
live = []
for cell in cells:
    m = services.create_meeting(actor=admin, cell=cell, kind="regular", scheduled_at=timezone.now() + dt.timedelta(hours=1))
    services.publish(actor=admin, meeting=m)
    services.start(actor=admin, meeting=m)
    live.append([m.pk, list(m.attendance.values_list("member_id", flat=True))])
import time
from chibo.meetings import record_cache, views
sample = list(Meeting.objects.filter(status=MeetingStatus.APPROVED).order_by("?").values_list("pk", flat=True)[:{stored} + 200])
stored, cold = sample[:{stored}], sample[{stored}:]
# What approving in the app does for every record (views.warm_record stores it): gen_province does not.
began = time.perf_counter()
done = sum(1 for _ in record_cache.render_missing(build=views.record_fragments, pks=stored))
print(f"  {{done}} biên bản dựng sẵn và lưu trong {{time.perf_counter() - began:.0f}} s", flush=True)
print("JSON" + json.dumps({{"live": live, "approved": stored, "cold": cold}}))
"""
HOOKS = r"""
import json, statistics, time, importlib
out = {{}}
def timed(fn, n):
    fn()
    samples = []
    for _ in range(n):
        t = time.perf_counter(); fn(); samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {{"p50": statistics.median(samples), "p95": samples[int(len(samples) * 0.95) - 1] if len(samples) > 1 else samples[0]}}
try:
    mod = importlib.import_module("chibo.oversight.bench")
    out["dashboards"] = [[label, timed(orm, {n}), timed(computed, {n}), timed(sql, {n})]
                         for label, orm, computed, sql, *_ in mod.cases()]
except ModuleNotFoundError:
    out["dashboards"] = None
try:
    mod = importlib.import_module("chibo.documents.bench")
    out["documents"] = [[label, timed(fn, {docs})] for label, fn in mod.cases()]
except ModuleNotFoundError:
    out["documents"] = None
print("JSON" + json.dumps(out))
"""


def json_from(output: str) -> dict:
    line = next(line for line in output.splitlines() if line.startswith("JSON"))
    return json.loads(line[4:])


def login(base: str, username: str) -> requests.Session:
    s = requests.Session()
    s.get(f"{base}/tai-khoan/dang-nhap/", timeout=30)
    r = s.post(f"{base}/tai-khoan/dang-nhap/", data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": s.cookies["csrftoken"]},
        allow_redirects=False, timeout=30)
    if r.status_code != 302:
        raise RuntimeError(f"Đăng nhập {username} thất bại ({r.status_code}).")
    return s


def clone(session: requests.Session) -> requests.Session:
    s = requests.Session()
    s.cookies.update(session.cookies)
    return s


def load(session: requests.Session, make_request, seconds: float, threads: int, *, warm_up: bool = True,
         start: int = 0) -> dict:
    """Run MAKE_REQUEST(session, i) in THREADS threads for SECONDS (i from START); requests/s and
    latency (and the raw latencies, seconds, and the next i)."""
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads

    def worker(k: int) -> None:
        s = clone(session)
        i = start + k
        while not stop.is_set():
            t = time.perf_counter()
            r = make_request(s, i)
            latencies[k].append(time.perf_counter() - t)
            if r.status_code >= 400:
                errors[k] += 1
            i += threads

    if warm_up:  # (not counted)
        warm = clone(session)
        for i in range(20):
            make_request(warm, i)
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    began = time.perf_counter()
    for t in pool:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    flat = sorted(x for lat in latencies for x in lat)
    return {
        "rps": len(flat) / elapsed, "n": len(flat), "errors": sum(errors),
        "p50": statistics.median(flat) * 1000, "p95": flat[int(len(flat) * 0.95) - 1] * 1000,
        "latencies": flat, "elapsed": elapsed, "next": start + len(flat) + threads,
    }


def paired(session: requests.Session, page, floor, seconds: float, threads: int, slice_seconds: float = 1.0) -> dict:
    """PAGE beside the FLOOR in alternating slices of SLICE_SECONDS (SECONDS of each in all; page
    first in even rounds, floor first in odd ones): this VM's speed drifts by 25–40% within
    minutes, so a page measured for 10 s and then compared with a floor measured before and after
    moved with the drift (same code, 30% one run and 44% the next). Slice by slice both see the same
    machine; the share of the floor is the median of the slices' ratios."""
    load(session, page, 1, threads)  # warm-ups
    load(session, floor, 1, threads)
    pages, floors, ratios = [], [], []
    i = j = 0
    for n in range(max(1, round(seconds / slice_seconds))):
        order = ("page", "floor") if n % 2 == 0 else ("floor", "page")
        got = {}
        for what in order:
            if what == "page":
                got[what] = load(session, page, slice_seconds, threads, warm_up=False, start=i)
                i = got[what]["next"]
            else:
                got[what] = load(session, floor, slice_seconds, threads, warm_up=False, start=j)
                j = got[what]["next"]
        pages.append(got["page"])
        floors.append(got["floor"])
        ratios.append(got["page"]["rps"] / got["floor"]["rps"] if got["floor"]["rps"] else 0.0)

    def total(runs: list[dict]) -> dict:
        flat = sorted(x for r in runs for x in r["latencies"])
        return {
            "rps": len(flat) / sum(r["elapsed"] for r in runs), "n": len(flat),
            "errors": sum(r["errors"] for r in runs),
            "p50": statistics.median(flat) * 1000, "p95": flat[int(len(flat) * 0.95) - 1] * 1000,
        }

    out = total(pages)
    out["floor"] = total(floors)
    out["floor_rps"] = out["floor"]["rps"]
    out["ratio"] = statistics.median(ratios)
    out["ratios"] = [min(ratios), max(ratios)]
    return out


def roll_pairs(live: list[tuple[int, list[int]]]) -> list[tuple[int, int]]:
    """The roll-call row's (meeting, member) marks in order, round-robin over the LIVE meetings: the
    threads' concurrent marks go to different meetings, as on a meeting evening (one secretary per
    meeting, marking one member after another). Until 01/12/2026 (session 10) consecutive marks went
    to the same meeting, so the threads queued on that meeting's row lock — a contention no single
    secretary produces (measured: no visible change in the figures, docs/bench.md)."""
    longest = max((len(members) for _, members in live), default=0)
    return [(m, members[k]) for k in range(longest) for m, members in live if k < len(members)]


def http_rows(base: str, user: str, data: dict, seconds: float, threads: int) -> dict:
    session = login(base, user)
    approved, cold = data["approved"], data["cold"]
    pairs = roll_pairs(data["live"])
    statuses = ["present", "absent_excused"]

    def floor(s, i):  # type: ignore[no-untyped-def]
        return s.get(f"{base}/_bench/floor/", timeout=30)

    def meeting(s, i):  # type: ignore[no-untyped-def]  # stored renderings, the servers' caches empty
        return s.get(f"{base}/sinh-hoat/{approved[i % len(approved)]}/", timeout=30)

    def meeting_cold(s, i):  # type: ignore[no-untyped-def]  # never rendered: the first reader renders
        return s.get(f"{base}/sinh-hoat/{cold[i % len(cold)]}/", timeout=30)

    def meeting_again(s, i):  # type: ignore[no-untyped-def]  # the same 5 records, each already rendered
        return s.get(f"{base}/sinh-hoat/{approved[i % 5]}/", timeout=30)

    def members(s, i):  # type: ignore[no-untyped-def]
        return s.get(f"{base}/dang-vien/", timeout=30)

    def roll_call(s, i):  # type: ignore[no-untyped-def]
        m, member = pairs[i % len(pairs)]
        status = statuses[(i // len(pairs)) % 2]
        return s.post(f"{base}/sinh-hoat/{m}/dieu-hanh/diem-danh/{member}/",
                      data={"status": status, "reason": "Ốm" if status == "absent_excused" else ""},
                      headers={"HX-Request": "true", "X-CSRFToken": s.cookies["csrftoken"]}, timeout=30)

    def show(name: str, r: dict, extra: str = "") -> None:
        print(f"    {name:<13} {r['rps']:8.1f} req/s  p50 {r['p50']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
              f"({r['n']} req, {r['errors']} lỗi){extra}", flush=True)

    # Each row beside the floor, slice by slice (paired(): the VM's speed drifts within minutes).
    out: dict = {}
    floors = []
    for name, fn in (("meeting", meeting), ("meeting_cold", meeting_cold), ("meeting_again", meeting_again), ("members", members),
                     ("roll_call", roll_call)):
        out[name] = paired(session, fn, floor, seconds, threads)
        floors.append(out[name].pop("floor"))
        low, high = out[name]["ratios"]
        show(name, out[name], f"  {out[name]['ratio'] * 100:.0f}% sàn (từng lát {low * 100:.0f}–{high * 100:.0f}%)")
        show("floor", floors[-1])
    rates = sorted(f["rps"] for f in floors)
    out["floor"] = {**floors[0], "rps": statistics.median(rates), "all_rps": rates}
    return out


def import_rows(env: dict[str, str], rows: int) -> dict:
    result = subprocess.run([sys.executable, "scripts/bench_import.py", "--rows", str(rows)], cwd=ROOT,
                            env=env, capture_output=True, text=True, check=True)
    out = {}
    header: list[str] = []
    for line in result.stdout.splitlines():
        parts = line.split()
        if parts and parts[0] == "fmt":
            header = parts  # columns by name: bench_import.py may add some
        elif parts and parts[0] in ("xlsx", "csv"):
            col = dict(zip(header, parts))
            out[parts[0]] = {"rows": int(col["rows"]), "seconds": float(col["total_s"]),
                             "rps": float(col["rows/s"]), "maxrss_mb": float(col["maxrss_MB"])}
    return out


def server_env(kind: str, name: str, args: argparse.Namespace) -> dict[str, str]:
    """The floor view on; PostgreSQL connections kept open between requests as in production
    (docs/deploy.md: conn_max_age) unless --conn-max-age 0 (a new connection per request)."""
    env = {"CHIBO_BENCH_FLOOR": "1"}
    if kind == "postgres":
        env["DATABASE_URL"] = f"{st.PG}/{name}?conn_max_age={args.conn_max_age}"
    return env


def run_backend(kind: str, args: argparse.Namespace, root: Path) -> dict:
    name = f"chibo_bench_{os.getpid()}"
    print(f"== {kind}: tạo dữ liệu {args.cells} chi bộ × {args.years} năm …", flush=True)
    began = time.perf_counter()
    with st.running(
        root / kind, name, servers=1, worker=False, redis=False, sqlite=(kind == "sqlite"), tasks="immediate",
        gunicorn_workers=args.workers, gunicorn_threads=args.server_threads, extra_env=server_env(kind, name, args),
        gen=["--cells", str(args.cells), "--years", str(args.years), "--seed", "1", "--until", args.until,
             "--accounts", "--password", PASSWORD],
    ) as s:
        gen_seconds = time.perf_counter() - began
        setup = s.manage("shell", "-c", SETUP.format(seed=1, live=args.live, stored=args.stored)).stdout
        print("\n".join(line for line in setup.splitlines() if not line.startswith("JSON")), flush=True)
        data = json_from(setup)
        print(f"  sẵn sàng sau {gen_seconds:.0f} s; đo {args.seconds:.0f} s mỗi dòng, {args.threads} luồng", flush=True)
        http = http_rows(s.urls[0], "gp1-admin", data, args.seconds, args.threads)
        hooks = json_from(s.manage("shell", "-c", HOOKS.format(n=args.samples, docs=10)).stdout)
        env = {**s.env(), "DATABASE_URL": s.database_url}
        s.stop_all()
        db_size = ""
        if kind == "sqlite":
            db_size = f"{Path(s.database_url.removeprefix('sqlite:///')).stat().st_size / 1e6:.0f} MB"
    if kind == "sqlite":  # bench_import.py makes and migrates its own SQLite file
        imp = import_rows({k: v for k, v in env.items() if k != "DATABASE_URL"}, args.import_rows)
    else:
        imp = _pg_import(env, name, args.import_rows)
    return {"http": http, "hooks": hooks, "import": imp, "setup_seconds": gen_seconds, "db_size": db_size}


def _pg_import(env: dict[str, str], name: str, rows: int) -> dict:
    db = f"{name}_imp"
    st._pg_exec(f'DROP DATABASE IF EXISTS "{db}"')
    st._pg_exec(f'CREATE DATABASE "{db}"')
    try:
        return import_rows({**env, "DATABASE_URL": f"{st.PG}/{db}"}, rows)
    finally:
        st._pg_exec(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    import sqlite3

    import django

    pg = ""
    if st.pg_available():
        import psycopg

        with psycopg.connect(f"{st.PG}/postgres") as conn:
            pg = conn.execute("show server_version").fetchone()[0]
    return [
        f"CPU: {cpu}, {os.cpu_count()} lõi (dùng chung với các tiến trình khác trên máy)",
        f"RAM: {int(mem) / 1024 / 1024:.1f} GB; {platform.platform()}",
        f"Python {platform.python_version()}, Django {django.get_version()}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {pg or 'không có'}",
        "Tải trung bình của máy khi kết thúc (1/5/15 phút): " + " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    ]


def cell(results: dict, kind: str, fn) -> str:  # type: ignore[no-untyped-def]
    if kind not in results:
        return "—"
    try:
        return fn(results[kind])
    except (KeyError, TypeError, ZeroDivisionError):
        return "chưa có"


def report(results: dict, args: argparse.Namespace, lines: list[str]) -> str:
    kinds = ["sqlite", "postgres"]
    out = []
    head = "| | SQLite | PostgreSQL |\n|---|---|---|"
    out.append(head)
    labels = {"floor": "Khung tối thiểu (framework floor)",
              "meeting": f"Trang buổi sinh hoạt, người đọc đầu tiên ({args.stored} buổi có bản dựng đã lưu — như mọi buổi duyệt trong ứng dụng —, bộ nhớ đệm của máy chủ trống)",
              "meeting_cold": "Trang buổi sinh hoạt, 200 buổi chưa từng dựng (sau khi nâng cấp đổi mã biên bản, trước khi `render_records` chạy xong: phần lớn người đọc đầu tiên dựng biên bản)",
              "meeting_again": "Trang buổi sinh hoạt (5 buổi mở lại: biên bản đã dựng)",
              "members": "Danh sách đảng viên", "roll_call": "Ghi điểm danh (htmx POST)"}
    for key, label in labels.items():
        def fmt(r, key=key):  # type: ignore[no-untyped-def]
            h = r["http"].get(key)
            if h is None:
                raise KeyError(key)
            if key == "floor" and "all_rps" in h:  # the median of the windows, and their range
                low, high = h["all_rps"][0], h["all_rps"][-1]
                return f"{h['rps']:.0f} req/s (trung vị {len(h['all_rps'])} lần đo, {low:.0f}–{high:.0f})"
            share = h["ratio"] if "ratio" in h else h["rps"] / h.get("floor_rps", r["http"]["floor"]["rps"])
            ratio = "" if key == "floor" else f", {share * 100:.0f}% sàn"
            return f"{h['rps']:.0f} req/s (p50 {h['p50']:.0f} ms, p95 {h['p95']:.0f} ms{ratio})"
        out.append(f"| {label} | " + " | ".join(cell(results, k, fmt) for k in kinds) + " |")
    for fmt_name in ("xlsx", "csv"):
        def imp(r, f=fmt_name):  # type: ignore[no-untyped-def]
            d = r["import"][f]
            return f"{d['rps']:.0f} dòng/s ({d['rows']} dòng, {d['seconds']:.1f} s; RSS đỉnh {d['maxrss_mb']:.0f} MB)"
        out.append(f"| Nhập đảng viên {fmt_name} | " + " | ".join(cell(results, k, imp) for k in kinds) + " |")

    def dash(r):  # type: ignore[no-untyped-def]
        rows = r["hooks"]["dashboards"]
        if rows is None:
            raise KeyError
        return "<br>".join(f"{lab}: p50 {o['p50']:.0f}/p95 {o['p95']:.0f} ms (SQL {s['p50']:.0f}/{s['p95']:.0f} ms, "
                           f"{o['p95'] / max(s['p95'], 0.001):.1f}× sàn); tính lại sau khi có ghi: "
                           f"p50 {c['p50']:.0f}/p95 {c['p95']:.0f} ms ({c['p95'] / max(s['p95'], 0.001):.1f}× sàn)"
                           for lab, o, c, s in rows)

    def docs(r):  # type: ignore[no-untyped-def]
        rows = r["hooks"]["documents"]
        if rows is None:
            raise KeyError
        return "<br>".join(f"{lab}: {o['p50']:.0f} ms" for lab, o in rows)

    out.append("| Bảng điều khiển (p50/p95 ấm, so với SQL viết tay) | "
               + " | ".join(cell(results, k, dash) for k in kinds) + " |")
    out.append("| Biên bản DOCX / PDF (ms) | " + " | ".join(cell(results, k, docs) for k in kinds) + " |")
    out.append("| Chuẩn bị (migrate + gen_province) | "
               + " | ".join(cell(results, k, lambda r: f"{r['setup_seconds']:.0f} s") for k in kinds) + " |")
    table = "\n".join(out)
    cmd = (f".venv/bin/python scripts/bench.py --cells {args.cells} --years {args.years} --seconds {args.seconds:g} "
           f"--stored {args.stored} "
           f"--threads {args.threads} --import-rows {args.import_rows} --samples {args.samples} "
           f"--conn-max-age {args.conn_max_age} --workers {args.workers} --server-threads {args.server_threads}")
    workers = f"{args.workers} worker " + ("đồng bộ" if args.server_threads == 1 else f"× {args.server_threads} luồng")
    return "\n".join([
        "# chibo benchmark", "",
        f"Chạy lúc {dt.datetime.now(dt.UTC):%d/%m/%Y %H:%M} UTC. Lệnh: `make bench` (= `{cmd}`).", "",
        "## Máy", "", *[f"- {line}" for line in lines], "",
        "## Kết quả", "", table, "",
        "## Cách đo", "",
        f"- Dữ liệu: `manage.py gen_province --cells {args.cells} --years {args.years} --seed 1 --until {args.until}` "
        "trên một cơ sở dữ liệu mới cho mỗi loại.",
        f"- Máy chủ: một gunicorn, {workers}, 127.0.0.1; khách: "
        f"{args.threads} luồng Python giữ kết nối, đăng nhập quản trị tỉnh, {args.seconds:g} s mỗi dòng sau khi làm nóng. "
        "Khách và máy chủ dùng chung 2 lõi nên số tuyệt đối thấp hơn máy thật; tỷ lệ so với sàn mới là điều cần xem. "
        + (f"PostgreSQL: mỗi worker giữ kết nối giữa các yêu cầu (`conn_max_age={args.conn_max_age}`, như cấu hình "
           "sản xuất trong docs/deploy.md; trước 01/12/2026 buổi thứ chín là một kết nối mới mỗi yêu cầu)."
           if args.conn_max_age else
           "PostgreSQL: một kết nối mới mỗi yêu cầu (`conn_max_age=0`, khác cấu hình sản xuất: tỷ lệ so với sàn "
           "cao hơn thực tế)."),
        "- \"% sàn\": số yêu cầu/giây của trang chia cho của view tối thiểu trên cùng máy chủ, đo xen kẽ từng lát 1 s "
        f"(trang rồi sàn, sàn rồi trang, …, {args.seconds:g} s mỗi bên), trung vị tỷ lệ của các lát — tốc độ máy ảo trôi "
        "25–40% trong vài phút nên trang và sàn phải đo trên cùng một lúc (đến 01/12/2026 buổi thứ mười: trang 10 s "
        "liền, so với trung bình sàn đo trước và sau) (mục tiêu ≥ 40%). Số yêu cầu/giây của sàn: trung vị của các dòng.",
        f"- Trang buổi sinh hoạt, người đọc đầu tiên: {args.stored} buổi đã duyệt chọn ngẫu nhiên, dựng sẵn và lưu "
        "trước khi đo (`record_cache.render_missing`, như khi duyệt hay đính chính trong ứng dụng: `views.warm_record`; "
        "`gen_province` không dựng); bộ nhớ đệm của mỗi tiến trình máy chủ trống nên gần như mọi yêu cầu đọc bản dựng "
        "đã lưu (`meetings.RecordRender`, một truy vấn) và tính các bảng bên cạnh biên bản. \"200 buổi chưa từng dựng\": "
        "200 buổi khác, không dựng trước — người đọc đầu tiên dựng biên bản (như sau khi nâng cấp đổi mã biên bản, "
        "trước khi `manage.py render_records` chạy xong).",
        f"- Ghi điểm danh: POST htmx trên {args.live} buổi đang họp, lần lượt từng buổi (các luồng cùng lúc ghi vào các buổi "
        "khác nhau, như mỗi bí thư điểm danh buổi của mình), luân phiên có mặt / vắng có lý do.",
        f"- Nhập đảng viên: `scripts/bench_import.py --rows {args.import_rows}` (xem trước + nhập) trên cùng loại cơ sở dữ liệu; "
        "tệp thử do một tiến trình khác sinh ra, `maxrss_MB` là RSS đỉnh của tiến trình nhập, `cpu_s` / `db_cpu_s` "
        "là thời gian CPU của tiến trình Python / của tiến trình PostgreSQL.",
        f"- Bảng điều khiển: `chibo/oversight/bench.py` — dashboard.build() của tỉnh và của xã đầu tiên, kỳ mặc định, "
        f"{args.samples} lần sau một lần làm nóng, bên cạnh SQL viết tay tính cùng số liệu (kiểm tra bằng nhau; "
        "mục tiêu p95 ≤ 100 ms và ≤ 2× sàn SQL).",
        "- Biên bản: `chibo/documents/bench.py` — tải biên bản (dựng hồ sơ + DOCX / PDF) của buổi đã duyệt có "
        "khoảng 18 đảng viên, 10 lần, trung vị (mục tiêu DOCX ≤ 150 ms, PDF ≤ 1 s).",
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description="chibo benchmark: SQLite and PostgreSQL side by side")
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--until", default="2026-10")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--live", type=int, default=20, help="meetings in progress for the roll-call rows")
    parser.add_argument("--stored", type=int, default=1000,
                        help="approved meetings rendered and stored before the first-readers row")
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=50, help="timed calls per dashboard case (after one warm-up)")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--conn-max-age", type=int, default=60,
                        help="PostgreSQL: seconds a server process keeps its connection (0: one per request)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--server-threads", type=int, default=1,
                        help="threads per gunicorn worker (1: sync workers; docs/deploy.md runs 5 × 2 on 2 vCPU)")
    parser.add_argument("--report", default=None, help="write the Markdown report here (e.g. docs/bench.md)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="chibo-bench-") as tmp:
        for kind in ("sqlite", "postgres"):
            if args.only and args.only != kind:
                continue
            if kind == "postgres" and not st.pg_available():
                print("PostgreSQL không chạy trên 127.0.0.1:5432: bỏ qua.", file=sys.stderr)
                continue
            results[kind] = run_backend(kind, args, Path(tmp))
    text = report(results, args, machine())
    print(text)
    if args.report:
        Path(args.report).write_text(text, encoding="utf-8")
        print(f"Đã ghi {args.report}")


if __name__ == "__main__":
    main()
