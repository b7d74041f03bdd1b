"""Dashboards at province scale: the page computation beside hand-written SQL (the floor).

`scripts/bench.py` imports this inside `manage.py shell` on a generated province
(`manage.py gen_province`) and times each pair warm (p50/p95):

  cases() -> [(label, orm_callable, sql_callable)]

orm: `dashboard.build()` for the default period (what /cap-tren/tong-quan/<id>/ computes before
rendering). sql: hand-written SQL computing the same figures — KPIs, regular meetings held per
month, thematic meetings per quarter, grade and attendance-rate distributions, the children table,
overdue tasks and the members flagged for absences — returning only what the page shows as
numbers. `check(org)` asserts that both give the same figures (run once by cases()).

The floor is written for the generated province: every cell under one rulebook (regular meetings
once a month, thematic once a quarter), children one level below the dashboard's organisation. It
reads the raw tables (meetings, attendance, organisations), not the summaries the dashboard reads, so
check() also proves the summaries; like the dashboard it expects a cell to meet only from its founding
month (`founded_on`; unknown = the whole period).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from chibo.meetings.models import MeetingStatus
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind
from chibo.oversight import dashboard
from chibo.rules import engine, loader

Figures = dict[str, Any]


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 6)


# --- what the page shows, read from the ORM computation -----------------------------------------
def orm_figures(board: dashboard.Dashboard) -> Figures:
    k = board.kpis
    return {
        "kpis": {key: _round(k[key]) if isinstance(k[key], float) else k[key]
                 for key in ("cells", "meetings", "approved", "expected", "held", "attendance", "score",
                             "breaches", "overdue", "members_flagged")},
        "held": [(r[0], r[1], r[2]) for r in board.table("held").rows],
        "thematic": [(r[1], r[2]) for r in board.table("thematic").rows],
        "grades": [r[1] for r in board.table("grades").rows],
        "attendance": [r[1] for r in board.table("attendance").rows],
        "children": {
            ch["org"]["name"]: (ch["cells"], ch["held"], ch["expected"], _round(ch["attendance"]),
                                _round(ch["score"]), ch["breaches"], ch["overdue"])
            for ch in board.children
        },
    }


# --- the same figures in hand-written SQL -------------------------------------------------------
def _local(expr: str, fmt: str) -> str:
    """SQL for the local year ('Y'), year * 10 + quarter ('Q') or 'YYYY-MM' ('YM') of a UTC timestamp."""
    if connection.vendor == "postgresql":
        local = f"({expr} AT TIME ZONE '{settings.TIME_ZONE.replace(chr(39), '')}')"
        return {
            "Y": f"EXTRACT(YEAR FROM {local})::int",
            "Q": f"(EXTRACT(YEAR FROM {local}) * 10 + EXTRACT(QUARTER FROM {local}))::int",
            "YM": f"TO_CHAR({local}, 'YYYY-MM')",
        }[fmt]
    offset = int((timezone.localtime().utcoffset() or dt.timedelta()).total_seconds() // 60)
    shifted = f"{expr}, '{offset:+d} minutes'"
    return {
        "Y": f"CAST(strftime('%%Y', {shifted}) AS integer)",
        "Q": f"(CAST(strftime('%%Y', {shifted}) AS integer) * 10 + (CAST(strftime('%%m', {shifted}) AS integer) + 2) / 3)",
        "YM": f"strftime('%%Y-%%m', {shifted})",
    }[fmt]


def _param(value: dt.datetime | dt.date) -> Any:
    if connection.vendor == "postgresql":
        return value
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return connection.ops.adapt_datefield_value(value)


def sql_figures(org: Organisation, period: dashboard.Period, today: dt.date | None = None) -> Figures:
    today = today or timezone.localdate()
    book = loader.get(None)
    cell_kinds = tuple(sorted(CELL_KINDS))
    # the subtree as a key range on path (an index range scan on both databases; SQLite's LIKE is
    # case-insensitive and cannot use the index)
    low, high = org.path, org.path[:-1] + chr(ord("/") + 1)
    start, qstart, end = _param(period.start), _param(period.quarter_start), _param(period.end)
    held_statuses = tuple(dashboard.HELD)
    regular, thematic = tuple(dashboard.REGULAR), tuple(dashboard.THEMATIC)
    # children: the organisation's direct children — the cells themselves under a commune, their
    # communes under a province or a district (cells sit two levels below them in the generated tree)
    child = "o.id" if org.kind == OrgKind.COMMUNE else "o.parent_id"
    join_parent = ""

    def ph(n: int) -> str:
        return ", ".join(["%s"] * n)

    cells_sql = f"o.path >= %s AND o.path < %s AND o.kind IN ({ph(len(cell_kinds))}) AND o.is_active"
    ym = _local("m.scheduled_at", "YM")
    with connection.cursor() as c:
        # cells per child
        # cells per child and founding month (a cell is expected to meet from its founding month;
        # unknown: the whole period)
        c.execute(f"SELECT {child}, o.founded_on, COUNT(*) FROM organisations_organisation o {join_parent} "
                  f"WHERE {cells_sql} GROUP BY {child}, o.founded_on", [low, high, *cell_kinds])
        cells_per_child: dict[int, int] = defaultdict(int)
        founding: dict[int, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
        for ch, founded_on, n in c.fetchall():
            cells_per_child[ch] += n
            month = (int(str(founded_on)[:4]), int(str(founded_on)[5:7])) if founded_on else (0, 0)
            founding[ch][month] += n

        def due(ids: list[int], ym: tuple[int, int]) -> int:
            """Cells of the children IDS founded by the month YM."""
            return sum(n for i in ids for f, n in founding[i].items() if f <= ym)

        # regular meetings held: distinct cells per month (once a month is expected), per child
        c.execute(
            f"SELECT {child}, {ym}, COUNT(DISTINCT m.organisation_id) FROM meetings_meeting m "
            f"JOIN organisations_organisation o ON o.id = m.organisation_id {join_parent} "
            f"WHERE {cells_sql} AND m.scheduled_at >= %s AND m.scheduled_at < %s "
            f"AND m.kind IN ({ph(len(regular))}) AND m.status IN ({ph(len(held_statuses))}) "
            f"GROUP BY {child}, {ym}",
            [low, high, *cell_kinds, start, end, *regular, *held_statuses],
        )
        held_month: dict[str, int] = defaultdict(int)
        held_child: dict[int, int] = defaultdict(int)
        for ch, month, n in c.fetchall():
            held_month[month] += n
            held_child[ch] += n
        # thematic meetings: distinct cells per quarter (from the start of the first quarter)
        quarter = _local("m.scheduled_at", "Q")
        c.execute(
            f"SELECT {quarter}, COUNT(DISTINCT m.organisation_id) FROM meetings_meeting m "
            f"JOIN organisations_organisation o ON o.id = m.organisation_id "
            f"WHERE {cells_sql} AND m.scheduled_at >= %s AND m.scheduled_at < %s "
            f"AND m.kind IN ({ph(len(thematic))}) AND m.status IN ({ph(len(held_statuses))}) GROUP BY {quarter}",
            [low, high, *cell_kinds, qstart, end, *thematic, *held_statuses],
        )
        th_quarter = {(q // 10, q % 10): n for q, n in c.fetchall()}
        # approved meetings: per child, grade and attendance bucket
        edges = list(book.oversight.attendance_buckets)
        bucket = " + ".join(f"(CASE WHEN 100.0 * m.fig_present / m.fig_base >= {int(e)} THEN 1 ELSE 0 END)"
                            for e in edges)
        c.execute(
            f"SELECT {child}, m.fig_grade, CASE WHEN m.fig_base > 0 THEN {bucket} END, COUNT(*), "
            f"SUM(m.fig_base), SUM(m.fig_present), SUM(m.fig_score), COUNT(m.fig_score), SUM(m.fig_breaches), "
            f"SUM(CASE WHEN m.status IN ({ph(len(held_statuses))}) THEN 1 ELSE 0 END) "
            f"FROM meetings_meeting m JOIN organisations_organisation o ON o.id = m.organisation_id {join_parent} "
            f"WHERE {cells_sql} AND m.scheduled_at >= %s AND m.scheduled_at < %s AND m.status = %s "
            f"GROUP BY {child}, m.fig_grade, 3",
            [*held_statuses, low, high, *cell_kinds, start, end, MeetingStatus.APPROVED],
        )
        grades: dict[str, int] = defaultdict(int)
        buckets: dict[int, int] = defaultdict(int)
        per_child: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
        for ch, grade, b, n, base, present, score, scored, breaches, held in c.fetchall():
            if grade:
                grades[grade] += n
            if b is not None:
                buckets[b] += n
            acc = per_child[ch]
            for i, v in enumerate((n, base or 0, present or 0, score or 0, scored, breaches or 0, held)):
                acc[i] += v
        # held meetings that are not approved (in progress, closed) count as meetings too
        c.execute(
            f"SELECT {child}, COUNT(*) FROM meetings_meeting m "
            f"JOIN organisations_organisation o ON o.id = m.organisation_id {join_parent} "
            f"WHERE {cells_sql} AND m.scheduled_at >= %s AND m.scheduled_at < %s AND m.status IN (%s, %s) "
            f"GROUP BY {child}",
            [low, high, *cell_kinds, start, end, MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED],
        )
        unapproved_held = dict(c.fetchall())
        # overdue tasks
        c.execute(
            f"SELECT {child}, COUNT(*) FROM meetings_task t JOIN organisations_organisation o "
            f"ON o.id = t.organisation_id {join_parent} WHERE {cells_sql} AND t.status = %s AND t.due_date < %s "
            f"GROUP BY {child}",
            [low, high, *cell_kinds, "open", _param(today)],
        )
        overdue = dict(c.fetchall())
        # members: unexcused absences, or a run of excused absences (within a year) over the limit;
        # exempt / away rows neither break nor extend a run (engine.trailing_excused_run)
        year = _local("m.scheduled_at", "Y")
        c.execute(
            f"""
            WITH a AS (
                SELECT m.organisation_id AS cell, at.member_id AS member, {year} AS yr, m.scheduled_at AS t,
                       m.id AS mid, at.status AS st
                FROM meetings_attendance at
                JOIN meetings_meeting m ON m.id = at.meeting_id
                JOIN organisations_organisation o ON o.id = m.organisation_id
                WHERE {cells_sql} AND m.status = %s AND m.scheduled_at >= %s AND m.scheduled_at < %s
                  AND at.status NOT IN (%s, %s)
            ), g AS (
                SELECT cell, member, yr, st,
                       ROW_NUMBER() OVER (PARTITION BY cell, member, yr ORDER BY t, mid)
                     - ROW_NUMBER() OVER (PARTITION BY cell, member, yr, st ORDER BY t, mid) AS grp
                FROM a
            ), r AS (
                SELECT cell, member, st, COUNT(*) AS n FROM g GROUP BY cell, member, yr, st, grp
            )
            SELECT COUNT(*) FROM (
                SELECT cell, member FROM r GROUP BY cell, member
                HAVING SUM(CASE WHEN st = %s THEN n ELSE 0 END) > 0
                    OR MAX(CASE WHEN st = %s THEN n ELSE 0 END) > %s
            ) flagged
            """,
            [low, high, *cell_kinds, MeetingStatus.APPROVED, start, end, engine.EXEMPT, engine.AWAY,
             engine.ABSENT_UNEXCUSED, engine.ABSENT_EXCUSED, book.attendance.max_consecutive_excused],
        )
        flagged = c.fetchone()[0]
        children = []
        if not org.is_cell:
            c.execute(
                "SELECT id, name, sort_key FROM organisations_organisation "
                "WHERE parent_id = %s AND kind <> %s AND is_active",
                [org.pk, OrgKind.GROUP],
            )
            children = sorted(c.fetchall(), key=lambda r: r[2])

    per_month = book.frequency.regular_per_month
    so_far = [m for m in period.months if m <= (today.year, today.month)]

    def summary(ids: list[int]) -> tuple:
        n_cells_ = sum(cells_per_child.get(i, 0) for i in ids)
        acc = [sum(per_child[i][k] for i in ids if i in per_child) for k in range(7)]
        n, base, present, score, scored, breaches, held = acc
        return (
            n_cells_, held + sum(unapproved_held.get(i, 0) for i in ids), n,
            per_month * sum(due(ids, ym) for ym in so_far), sum(held_child.get(i, 0) for i in ids),
            _round(present * 100 / base) if base else None, _round(score / scored) if scored else None,
            breaches, sum(overdue.get(i, 0) for i in ids),
        )

    everyone = list(cells_per_child)
    everything = summary(everyone)
    bands = book.scorecard.bands
    return {
        "kpis": dict(zip(("cells", "meetings", "approved", "expected", "held", "attendance", "score", "breaches",
                          "overdue"), everything, strict=True)) | {"members_flagged": flagged},
        "held": [(f"{mm:02d}/{y}", due(everyone, (y, mm)) * per_month, held_month.get(f"{y}-{mm:02d}", 0))
                 for y, mm in period.months],
        "thematic": [(due(everyone, (q[0], q[1] * 3)) * book.frequency.thematic_per_quarter, th_quarter.get(q, 0))
                     for q in period.quarters],
        "grades": [grades.get(b.grade, 0) for b in bands],
        "attendance": [buckets.get(i, 0) for i in range(len(edges) + 1)],
        "children": {name: (lambda s: (s[0], s[4], s[3], s[5], s[6], s[7], s[8]))(summary([cid]))
                     for cid, name, _key in children},
    }


# --- the cases ----------------------------------------------------------------------------------
def generated_province() -> Organisation | None:
    return Organisation.objects.filter(kind=OrgKind.PROVINCE, code__startswith="gp").order_by("pk").first()


# label, served, computed, SQL, after a write (the page's path: see _after_write)
Case = tuple[str, Callable[[], Any], Callable[[], Any], Callable[[], Any], Callable[[], Any]]


def check(org: Organisation, period: dashboard.Period | None = None) -> Figures:
    """Both computations give the same figures (AssertionError otherwise); returns them."""
    period = period or dashboard.default_period()
    orm = orm_figures(dashboard.build(org, period))
    sql = sql_figures(org, period)
    for key in orm:
        assert orm[key] == sql[key], (key, orm[key], sql[key])
    return orm


def cases(province: Organisation | None = None, verify: bool = True) -> list[Case]:
    """The province (the generated one by default), a district-level committee if the tree has one
    (an organisation between the province and its communes), and the first commune."""
    province = province or generated_province()
    if province is None:
        return []
    district = (
        Organisation.objects.filter(path__startswith=province.path, kind__in=(OrgKind.OTHER, OrgKind.GRASSROOTS))
        .exclude(pk=province.pk)
        .filter(children__kind=OrgKind.COMMUNE)
        .order_by("code", "pk")
        .first()
    )
    commune = (
        Organisation.objects.filter(path__startswith=province.path, kind=OrgKind.COMMUNE).order_by("code").first()
    )
    period = dashboard.default_period()
    out: list[Case] = []
    for label, org in (
        ("Bảng điều khiển tỉnh", province),
        ("Bảng điều khiển cấp huyện", district),
        ("Bảng điều khiển xã", commune),
    ):
        if org is None:
            continue
        if verify:
            check(org, period)
        n = Organisation.objects.filter(path__startswith=org.path, kind__in=CELL_KINDS).count()
        out.append((
            f"{label} ({n} chi bộ)",
            functools.partial(dashboard.build, org, period),
            functools.partial(_computed, org, period),
            functools.partial(sql_figures, org, period),
            functools.partial(_after_write, org, period),
        ))
    return out


def _computed(org: Organisation, period: dashboard.Period) -> dashboard.Dashboard:
    """The page as computed after a write below the organisation (nothing remembered)."""
    dashboard.clear_memo()
    return dashboard.build(org, period)


def _after_write(org: Organisation, period: dashboard.Period) -> dashboard.Dashboard:
    """The page (allow_stale) right after a write below: the remembered entries are marked outdated, as
    a write's new fingerprint would. Where computing costs more than CHIBO_DASHBOARD_SYNC_MS the page
    shows the last figures and a thread computes them again beside the next calls (with
    CHIBO_DASHBOARD_REFRESH_GAP = 0, set by the caller, one is nearly always running: the worst case);
    otherwise it is computed in the call."""
    with dashboard._MEMO_LOCK:
        for entry in dashboard._MEMO.values():
            entry.fp = ("outdated",)
    return dashboard.build(org, period, allow_stale=True)
