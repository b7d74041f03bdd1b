"""scripts/bench.py's report: ratios to the floor, and "chưa có" rows for modules not built yet."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

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
    args = argparse.Namespace(cells=10, years=1, until="2026-10", seconds=1, threads=2, live=3, import_rows=100, samples=5, conn_max_age=60)
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
    assert "- máy thử" in text and "--cells 10" in text
    assert "--conn-max-age 60" in text and "`conn_max_age=60`" in text  # PostgreSQL connections as in production
    # A run with a connection per request says so, and that its shares of the floor are flattered.
    per_request = bench.report(results, argparse.Namespace(**{**vars(args), "conn_max_age": 0}), ["máy thử"])
    assert "--conn-max-age 0" in per_request and "một kết nối mới mỗi yêu cầu (`conn_max_age=0`" in per_request
    assert "giữ kết nối giữa các yêu cầu" not in per_request


def test_each_row_is_compared_with_the_floors_measured_around_it():
    bench = load()
    args = argparse.Namespace(cells=10, years=1, until="2026-10", seconds=1, threads=2, live=3, import_rows=100, samples=5, conn_max_age=60)
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
    assert "40% sàn" in row["Trang buổi sinh hoạt (200 buổi sinh hàng loạt, phần lớn mở lần đầu; buổi duyệt trong ứng dụng đã dựng sẵn khi duyệt)"]  # 100 / 250
    assert "25% sàn" in row["Danh sách đảng viên"]  # 100 / 400
    assert "10% sàn" in row["Ghi điểm danh (htmx POST)"]  # no floors of its own: the floor's median
