"""scripts/bench.py's report: ratios to the floor, and "chưa có" rows for modules not built yet."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "bench.py"


def load():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("chibo_bench_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def http(rps: float) -> dict:
    return {"rps": rps, "p50": 10.0, "p95": 20.0, "n": 100, "errors": 0}


def test_report_side_by_side_with_hooks_missing_and_present():
    bench = load()
    args = argparse.Namespace(cells=10, years=1, until="2026-10", seconds=1, threads=2, live=3, import_rows=100, samples=5, conn_max_age=60, workers=2, server_threads=1, stored=1000)
    imp = {f: {"rows": 100, "seconds": 1.0, "rps": 100.0, "tm_peak_mb": 5.0, "maxrss_mb": 90.0} for f in ("xlsx", "csv")}
    results = {
        "sqlite": {"http": {"floor": http(200), "meeting": http(100), "members": http(50), "roll_call": http(20)},
                   "hooks": {"dashboards": None, "documents": None}, "import": imp, "setup_seconds": 3, "db_size": ""},
        "postgres": {"http": {"floor": http(100), "meeting": http(40), "members": http(30), "roll_call": http(10)},
                     "hooks": {"dashboards": [["Tỉnh", {"p50": 40, "p95": 80}, {"p50": 500, "p95": 600},
                                                   {"p50": 20, "p95": 30}]],
                               "documents": [["DOCX", {"p50": 120, "p95": 130}]]},
                     "import": imp, "setup_seconds": 4, "db_size": ""},
    }
    text = bench.report(results, args, ["máy thử"])
    meeting = next(line for line in text.splitlines() if line.startswith("| Trang buổi sinh hoạt"))
    assert "100 req/s" in meeting and "50% sàn" in meeting and "40% sàn" in meeting
    dash = next(line for line in text.splitlines() if line.startswith("| Bảng điều khiển"))
    assert dash.split("|")[2].strip() == "chưa có" and "Tỉnh: p50 40/p95 80 ms (SQL 20/30 ms, 2.7× sàn)" in dash
    assert "tính lại sau khi có ghi: p50 500/p95 600 ms (20.0× sàn)" in dash
    docs = next(line for line in text.splitlines() if line.startswith("| Biên bản"))
    assert docs.split("|")[2].strip() == "chưa có" and "DOCX: 120 ms" in docs
    assert "- máy thử" in text and "--cells 10" in text and "--stored 1000" in text
    assert "--conn-max-age 60" in text and "`conn_max_age=60`" in text  # PostgreSQL connections as in production
    assert "--workers 2 --server-threads 1" in text and "một gunicorn, 2 worker đồng bộ" in text
    threaded = bench.report(results, argparse.Namespace(**{**vars(args), "workers": 5, "server_threads": 2}), ["máy thử"])
    assert "--workers 5 --server-threads 2" in threaded and "một gunicorn, 5 worker × 2 luồng" in threaded
    # A run with a connection per request says so, and that its shares of the floor are flattered.
    per_request = bench.report(results, argparse.Namespace(**{**vars(args), "conn_max_age": 0}), ["máy thử"])
    assert "--conn-max-age 0" in per_request and "một kết nối mới mỗi yêu cầu (`conn_max_age=0`" in per_request
    assert "giữ kết nối giữa các yêu cầu" not in per_request


def test_each_row_is_compared_with_the_floors_measured_around_it():
    bench = load()
    args = argparse.Namespace(cells=10, years=1, until="2026-10", seconds=1, threads=2, live=3, import_rows=100, samples=5, conn_max_age=60, workers=2, server_threads=1, stored=1000)
    imp = {f: {"rows": 100, "seconds": 1.0, "rps": 100.0, "tm_peak_mb": 5.0, "maxrss_mb": 90.0} for f in ("xlsx", "csv")}
    floor = {**http(300), "all_rps": [250.0, 300.0, 400.0]}
    results = {
        "sqlite": {"http": {"floor": floor, "meeting": {**http(100), "floor_rps": 250.0},
                            "members": {**http(100), "floor_rps": 400.0}, "roll_call": http(30)},
                   "hooks": {"dashboards": None, "documents": None}, "import": imp, "setup_seconds": 3, "db_size": ""},
    }
    lines = bench.report(results, args, ["máy thử"]).splitlines()
    row = {line.split("|")[1].strip(): line.split("|")[2] for line in lines if line.startswith("| ")}
    assert "300 req/s (trung vị 3 lần đo, 250–400)" in row["Khung tối thiểu (framework floor)"]
    first = "Trang buổi sinh hoạt, người đọc đầu tiên (1000 buổi có bản dựng đã lưu — như mọi buổi duyệt trong ứng dụng —, bộ nhớ đệm của máy chủ trống)"
    assert "40% sàn" in row[first]  # 100 / 250
    # The records never rendered are their own row; a run without it says "chưa có", not a figure.
    cold = next(label for label in row if "chưa từng dựng" in label)
    assert row[cold].strip() == "chưa có"
    results["sqlite"]["http"]["meeting_cold"] = {**http(30), "ratio": 0.1}
    lines = bench.report(results, args, ["máy thử"]).splitlines()
    assert "10% sàn" in next(line for line in lines if "chưa từng dựng" in line)
    results["sqlite"]["http"].pop("meeting_cold")
    assert "25% sàn" in row["Danh sách đảng viên"]  # 100 / 400
    assert "10% sàn" in row["Ghi điểm danh (htmx POST)"]  # no floors of its own: the floor's median
    # A row measured slice by slice beside the floor (paired()) shows the median of its slices' ratios.
    results["sqlite"]["http"]["members"] = {**http(100), "floor_rps": 400.0, "ratio": 0.41}
    lines = bench.report(results, args, ["máy thử"]).splitlines()
    assert "41% sàn" in next(line for line in lines if line.startswith("| Danh sách đảng viên"))


class FakeResponse:
    status_code = 200


def test_a_page_and_the_floor_are_measured_in_alternating_slices_and_compared_slice_by_slice(monkeypatch):
    """paired(): a machine whose speed halves partway through slows the page and the floor alike: the
    share stays the page's own (here 25%), where a page measured whole beside floors measured before and
    after it would have moved with the speed. The measuring is simulated (no clock: a timed test flakes
    on a busy machine): load() gives the requests/s of a machine whose requests take 8 ms (page) and
    2 ms (floor), twice as long once 2.72 s of measuring have passed."""
    bench = load()
    clock = {"t": 0.0}
    calls: list[tuple[str, bool]] = []

    def page(session, i):  # type: ignore[no-untyped-def]
        raise AssertionError("not called: load() is simulated")

    def floor(session, i):  # type: ignore[no-untyped-def]
        raise AssertionError("not called: load() is simulated")

    def simulated(session, make_request, seconds, threads, *, warm_up=True, start=0):  # type: ignore[no-untyped-def]
        what = "page" if make_request is page else "floor"
        calls.append((what, warm_up))
        slow = 2.0 if clock["t"] >= 2.72 else 1.0
        per = (0.008 if what == "page" else 0.002) * slow
        n = round(seconds / per)
        clock["t"] += seconds
        return {"rps": n / seconds, "n": n, "errors": 0, "p50": per * 1000, "p95": per * 1000,
                "latencies": [per] * n, "elapsed": seconds, "next": start + n + threads}

    monkeypatch.setattr(bench, "load", simulated)
    out = bench.paired(object(), page, floor, seconds=0.96, threads=1, slice_seconds=0.16)
    # warm-ups (1 s each), then six slices, page first in even ones; the slowdown falls inside slice 2
    # (page fast, floor slow: that slice reads 50%), the median of the slices' ratios stays 25%.
    assert calls[:2] == [("page", True), ("floor", True)]
    assert [w for w, warm in calls[2:]] == ["page", "floor", "floor", "page", "page", "floor",
                                           "floor", "page", "page", "floor", "floor", "page"]
    assert not any(warm for _, warm in calls[2:])
    assert out["ratio"] == pytest.approx(0.25) and out["ratios"] == pytest.approx([0.25, 0.5])
    assert out["n"] > 0 and out["errors"] == 0 and out["floor"]["rps"] > out["rps"]
    whole = out["rps"] / out["floor"]["rps"]  # the page's total against the floor's total: moved
    assert whole != pytest.approx(0.25)


def test_concurrent_roll_call_marks_go_to_different_meetings_and_every_mark_is_sent():
    bench = load()
    live = [(1, [11, 12, 13]), (2, [21, 22]), (3, [31, 32, 33])]
    pairs = bench.roll_pairs(live)
    assert sorted(pairs) == sorted((m, x) for m, members in live for x in members)  # each mark once
    assert all(a[0] != b[0] for a, b in zip(pairs, pairs[1:], strict=False))  # neighbours: other meetings
    assert [x for m, x in pairs if m == 1] == [11, 12, 13]  # each meeting's members in roll order
    assert bench.roll_pairs([]) == []
