"""Dashboards over an organisation's subtree, from the pre-aggregated summaries of the figures frozen
when each meeting was approved (chibo.oversight.summaries: CellMonth, MemberMonth).

Reads (a fixed number of queries, whatever the subtree's size):
  1. the subtree's organisations and the node's ancestors (rulebook codes, founding dates);
  2. the rulebooks in force (uploaded provincial variants);
  3. the subtree's cell-months of the period (from the start of its first quarter);
  4. the member-months for the members table; 5–6. the meetings listed per meeting (every meeting at
  commune or cell level; above it the SHOWN lowest-scored, and the latest with breaches or upper/peer
  scores); 7. overdue tasks; 8. officer visits; 9–12. guidance, its items, target cells, adoptions.
Attendance rows and snapshots of unlisted meetings are never read here.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django import db
from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from chibo.core import rawsql, vntext
from chibo.meetings.models import (
    Meeting,
    MeetingKind,
    MeetingStatus,
    ScoreColumn,
    ScoreSheet,
    Task,
    TaskStatus,
)
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind, in_subtree
from chibo.oversight import charts, summaries
from chibo.oversight.models import (
    Adoption,
    CellMonth,
    Guidance,
    GuidanceItem,
    MemberMonth,
    OfficerVisit,
    OrgMonth,
)
from chibo.rules import engine, loader

HELD, REGULAR, THEMATIC = summaries.HELD, summaries.REGULAR, summaries.THEMATIC  # one definition
GROUP_LABELS = {
    "preparation": "Chuẩn bị",
    "participation": "Đảng viên tham gia",
    "chairing": "Điều hành, thời lượng, biên bản",
    "content": "Nội dung",
    "follow_up": "Theo dõi, giám sát thực hiện nghị quyết",
}
GROUPS = summaries.GROUPS


# --- period ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    first: tuple[int, int]  # (year, month)
    last: tuple[int, int]

    @property
    def months(self) -> list[tuple[int, int]]:
        out, (y, m) = [], self.first
        while (y, m) <= self.last:
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.first[0], self.first[1], 1, tzinfo=timezone.get_current_timezone())

    @property
    def quarter_start(self) -> dt.datetime:
        y, m = self.first
        return dt.datetime(y, (m - 1) // 3 * 3 + 1, 1, tzinfo=timezone.get_current_timezone())

    @property
    def end(self) -> dt.datetime:
        y, m = self.last
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return dt.datetime(y, m, 1, tzinfo=timezone.get_current_timezone())

    @property
    def quarters(self) -> list[tuple[int, int]]:
        return sorted({(y, (m - 1) // 3 + 1) for y, m in self.months})

    def label(self) -> str:
        return f"{self.first[1]:02d}/{self.first[0]} – {self.last[1]:02d}/{self.last[0]}"

    def as_query(self) -> str:
        return f"tu={self.first[1]:02d}/{self.first[0]}&den={self.last[1]:02d}/{self.last[0]}"


MAX_MONTHS = 36


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    y, m = today.year, today.month
    first = (y - 1, m + 1) if m < 12 else (y, 1)
    return Period(first, (y, m))


def parse_period(tu: str | None, den: str | None, today: dt.date | None = None) -> tuple[Period, str]:
    """Period from 'mm/yyyy' strings; a clear Vietnamese error and the default when invalid."""
    default = default_period(today)
    if not tu and not den:
        return default, ""

    def month(text: str | None, fallback: tuple[int, int]) -> tuple[int, int]:
        if not text:
            return fallback
        parts = text.strip().split("/")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError
        m, y = int(parts[0]), int(parts[1])
        if not 1 <= m <= 12 or not 2000 <= y <= 2100:
            raise ValueError
        return (y, m)

    try:
        first, last = month(tu, default.first), month(den, default.last)
    except ValueError:
        return (
            default,
            "Tháng không hợp lệ: nhập theo dạng mm/yyyy (ví dụ 03/2026). Đang hiển thị 12 tháng gần nhất.",
        )
    if first > last:
        return default, "Tháng bắt đầu phải trước tháng kết thúc. Đang hiển thị 12 tháng gần nhất."
    if len(Period(first, last).months) > MAX_MONTHS:
        return default, f"Chỉ xem tối đa {MAX_MONTHS} tháng một lần. Đang hiển thị 12 tháng gần nhất."
    return Period(first, last), ""


# --- tables -----------------------------------------------------------------------------
@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # one per row (drill-down), optional
    note: str = ""
    total: int | None = None  # rows that exist when the page shows fewer (above commune level)

    @property
    def linked_rows(self) -> list[tuple[str | None, list[Any]]]:
        links = self.links + [None] * (len(self.rows) - len(self.links))
        return list(zip(links, self.rows, strict=False))


def _scores(m: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The score columns of meeting row M as its snapshot holds them, totals only ({column: {"total":
    n}}), from the figures frozen beside it at approval: fig_score (the cell's own total, equal to
    the snapshot's: approve() saves the sheet and judges it with the same criteria), fig_upper and
    fig_peer (copied from the snapshot). A commune's ~300 meetings read thus cost PostgreSQL ~0.5 ms,
    not ~1.8 ms decompressing each snapshot (psql, 10,000 cells × 3 years)."""
    if m["status"] != MeetingStatus.APPROVED:
        return {}  # (a snapshot is frozen at approval)
    return {
        k: {"total": total}
        for k, total in (("cell", m["fig_score"]), ("upper", m["fig_upper"]), ("peer", m["fig_peer"]))
        if total is not None
    }


def _rate(present: int, base: int) -> float:
    return present * 100 / base if base else 0.0


def _date(value: dt.datetime, tz: Any = None) -> str:
    local = value.astimezone(tz or timezone.get_current_timezone())
    return f"{local.day:02d}/{local.month:02d}/{local.year:04d}"  # (strftime: ~4 µs a call, here ~1)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",") + "%"


# --- the dashboard ------------------------------------------------------------------------
@dataclass
class Dashboard:
    org: Organisation
    period: Period
    tables: dict[str, Table]
    charts: dict[str, Any]
    kpis: dict[str, Any]
    cells: list[dict[str, Any]]
    children: list[dict[str, Any]]
    ancestors: list[dict[str, Any]]
    limited: bool = False  # per-meeting and per-cell lists cut to the top/bottom SHOWN rows
    notes: dict[str, str] = field(default_factory=dict)
    # when the figures from the summaries were read (the lists of meetings, tasks, visits and guidance
    # are read on every call), and whether changes below have come since (being computed again)
    computed_at: dt.datetime | None = None
    stale: bool = False

    def table(self, key: str) -> Table:
        return self.tables[key]


SHOWN = 50  # rows of a per-meeting or per-cell list shown above commune level
LIMITED_KINDS = (OrgKind.PROVINCE, OrgKind.OTHER)
ID_LIST_MAX = 5000  # meetings asked for by id at most (SQLite allows 32,766 parameters since 3.32)


def _limit(t: Table, rows: int | None = None, what: str = "dòng") -> None:
    """Mark T as cut (TOTAL rows exist; SHOWN are on the page), in Vietnamese."""
    total = len(t.rows) if rows is None else rows
    if rows is None and len(t.rows) > SHOWN:
        t.rows, t.links = t.rows[:SHOWN], t.links[:SHOWN]
    if total > len(t.rows):
        t.total = total
        cut = (
            f"Ở cấp này chỉ hiển thị {len(t.rows)} trên {total} {what}. Danh sách đầy đủ: chọn đơn vị cấp "
            "dưới (bảng theo đơn vị trực thuộc) hoặc tải tệp Excel của bảng."
        )
        t.note = f"{t.note} {cut}".strip()


def _names(names: list[str], limited: bool, total: int | None = None) -> str:
    """NAMES joined; above commune level the first SHOWN of TOTAL (default: all of NAMES)."""
    total = len(names) if total is None else total
    if limited and total > SHOWN:
        return "; ".join(names[:SHOWN]) + f"; … và {total - SHOWN} chi bộ khác (xem tệp Excel)"
    return "; ".join(names)


def _months_from(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    return Period(first, last).months


ROW_FIELDS = (
    "organisation_id",
    "year",
    "month",
    "ym",
    *summaries.SUMS,
    "counts",
    "thematic_before",
    "last_regular",
    "last_regular_status",
    "last_regular_grade",
    "last_regular_score",
)


def build(
    org: Organisation,
    period: Period,
    *,
    today: dt.date | None = None,
    meeting_url: Any = None,
    org_url: Any = None,
    detail: bool | None = None,
    allow_stale: bool = False,
) -> Dashboard:
    """The dashboard of ORG's subtree. DETAIL: every per-meeting and per-cell row (the Excel export);
    by default only at commune or cell level — above it, the top/bottom SHOWN rows of each list.
    ALLOW_STALE (the page): when something below changed since the derived part was remembered and
    computing it again costs more than CHIBO_DASHBOARD_SYNC_MS, the remembered figures are served
    (`Dashboard.stale`, `computed_at` say so on the page) while a thread of this process computes them
    again (`_may_serve_stale`, `_refresh_later`); the export and the API always compute.

    Everything derived from the organisation tree and the summaries (CellMonth, MemberMonth, read
    through the OrgMonth roll-up) is computed by `_derive`; above cell level that part is kept per
    process while the tree and the roll-up's rows are unchanged (`_memo_key`, `_fingerprint`). The
    meetings listed, overdue tasks, officers' visits and guidance are read on every call."""
    today = today or timezone.localdate()
    meeting_url = meeting_url or (lambda pk: None)
    org_url = org_url or (lambda pk: None)
    limited = not detail if detail is not None else org.kind in LIMITED_KINDS and not org.is_cell
    tz = timezone.get_current_timezone()
    books = loader.load_all()
    d: Derived | None = None
    computed_at, stale = timezone.now(), False
    if not org.is_cell:
        key = (limited, *_memo_key(org, period, today, books, meeting_url, org_url))
        fp = _fingerprint(org, period)  # before reading anything it covers (a later write changes it)
        hit = _MEMO.get(key)
        if hit is not None and hit.fp == fp:
            d, computed_at = hit.derived, hit.computed_at
        elif hit is not None and allow_stale and _may_serve_stale(hit):
            d, computed_at, stale = hit.derived, hit.computed_at, True
            _refresh_later(key, hit, (org, period, today, limited, books, meeting_url, org_url))
        else:
            made = _compute_and_remember(key, fp, (org, period, today, limited, books, meeting_url, org_url))
            d, computed_at = made.derived, made.computed_at
    else:
        d = _derive(org, period, today, limited, books, meeting_url, org_url)
    cells, cell_ids, cell_name = d.cells, d.cell_ids, d.cell_name
    grade_labels, breach_totals = d.grade_labels, d.breach_totals
    tables: dict[str, Table] = dict(d.tables)
    ancestor_ids = org.ancestor_ids()

    # per-meeting lists: every meeting at commune or cell level; above it, the lowest-scored and the
    # latest with breaches or upper/peer scores (SHOWN each)
    period_meetings = Meeting.objects.filter(
        in_subtree(org.path, "organisation__", indexed=not limited),
        scheduled_at__gte=period.start,
        scheduled_at__lt=period.end,
    )
    meeting_fields = (
        "id",
        "organisation_id",
        "kind",
        "status",
        "scheduled_at",
        "fig_base",
        "fig_present",
        "fig_duration",
        "fig_speakers",
        "fig_score",
        "fig_grade",
        "fig_breaches",
        "fig_upper",  # the score totals as frozen at approval (_scores), not the snapshot's JSON
        "fig_peer",
        "snapshot__breaches",  # the only part of the snapshot read (last: left out where read apart)
    )
    if limited:  # the ids in score order first (an index walk), then the snapshot parts of those only
        lowest = (
            period_meetings.filter(status=MeetingStatus.APPROVED, fig_score__isnull=False)
            .order_by("fig_score", "-scheduled_at", "-id")
            .values("id")[:SHOWN]
        )
        listed = sorted(
            Meeting.objects.filter(pk__in=lowest).values(*meeting_fields),
            key=lambda m: (m["scheduled_at"], m["id"]),
            reverse=True,
        )
        listed.sort(key=lambda m: m["fig_score"])
    else:  # every meeting; the breaches' texts only for the meetings that have some (below)
        listed = list(period_meetings.order_by("scheduled_at", "id").values(*meeting_fields[:-1]))
    listed = [m for m in listed if m["organisation_id"] in cell_ids]
    details = period_meetings.filter(status=MeetingStatus.APPROVED).filter(
        Q(fig_breaches__gt=0)
        | Exists(
            ScoreSheet.objects.filter(
                meeting=OuterRef("pk"), column__in=(ScoreColumn.UPPER, ScoreColumn.PEER)
            )
        )
    )
    if limited:
        latest = details.order_by("-scheduled_at", "-id").values("id")[: 3 * SHOWN]
        detailed = [
            m
            for m in sorted(
                Meeting.objects.filter(pk__in=latest).values(*meeting_fields),
                key=lambda m: (m["scheduled_at"], m["id"]),
                reverse=True,
            )
            if m["organisation_id"] in cell_ids
        ]
    else:  # the same meetings as in `listed`, with the texts of their breaches
        approved = [m["id"] for m in listed if m["status"] == MeetingStatus.APPROVED]
        if len(approved) <= ID_LIST_MAX and connection.vendor == "sqlite":
            # by the ids already read: SQLite's planner would otherwise walk every approved meeting
            # of the database by (status, scheduled_at) and filter by path afterwards (0.45 s at a
            # commune of a 10,000-cell province). Not on PostgreSQL, whose plan is right anyway and
            # where psycopg parses a query of 300 placeholders on the client (~4 ms).
            details = details.filter(pk__in=approved)
        by_id = {m["id"]: m for m in listed}  # the rest of each row is already read
        detailed = [
            {**by_id[m["id"]], "snapshot__breaches": m["snapshot__breaches"]}
            for m in details.order_by("scheduled_at", "id").values("id", "snapshot__breaches")
            if m["id"] in by_id
        ]

    # breaches frozen at approval: duration, documents
    for key, code, title in (
        ("short", "duration", "Buổi sinh hoạt dưới thời lượng tối thiểu"),
        ("late_docs", "documents", "Tài liệu công bố muộn (hoặc không công bố)"),
    ):
        t = Table(key, title, ["Chi bộ", "Ngày", "Loại", "Thời lượng (phút)", "Ghi nhận khi duyệt"])
        for m in detailed:
            breaches = m["snapshot__breaches"] or []
            message = next((b["message"] for b in breaches if b["code"] == code), None)
            if message is None or (limited and len(t.rows) >= SHOWN):
                continue
            t.rows.append(
                [
                    cell_name[m["organisation_id"]],
                    _date(m["scheduled_at"], tz),
                    KIND_LABELS[m["kind"]],
                    m["fig_duration"] if m["fig_duration"] is not None else "—",
                    message,
                ]
            )
            t.links.append(meeting_url(m["id"]))
        if limited:
            _limit(t, breach_totals[code], "buổi (gần nhất trước)")
        tables[key] = t

    # 4. overdue tasks (above commune level: the SHOWN oldest and a count per cell)
    overdue = Task.objects.filter(
        in_subtree(org.path, "organisation__"),
        organisation__kind__in=CELL_KINDS,
        organisation__is_active=True,
        status=TaskStatus.OPEN,
        due_date__lt=today,
    ).order_by("due_date", "id")
    task_fields = (
        "id",
        "title",
        "due_date",
        "organisation_id",
        "assignee__full_name",
        "assignee_group__name",
        "meeting_id",
    )
    overdue_child: Counter[int] = Counter()  # per child of ORG (the first id after its path)
    if limited:  # a count per cell, and the SHOWN oldest
        # Counted from the open tasks' index alone, without joining the organisations (which cost
        # more than the count at 10,000 cells), then kept to the cells of the subtree through the
        # remembered tree: a database holds one province, so the few other rows cost little.
        overdue_total = 0
        for cid, n in _overdue_per_cell(today):
            if cid in cell_ids:
                overdue_total += n
                if cid in d.cell_child:
                    overdue_child[d.cell_child[cid]] += n
        tasks = list(overdue.values(*task_fields)[:SHOWN])
    else:  # sorted here: asked to sort, SQLite walks every open task of the database by due date
        tasks = sorted(overdue.order_by().values(*task_fields), key=lambda t: (t["due_date"], t["id"]))
        for t in tasks:
            if t["organisation_id"] in d.cell_child:
                overdue_child[d.cell_child[t["organisation_id"]]] += 1
        overdue_total = len(tasks)
    task_t = Table(
        "tasks",
        "Nhiệm vụ quá hạn chưa hoàn thành",
        ["Chi bộ", "Nhiệm vụ", "Người/tổ thực hiện", "Hạn", "Quá hạn (ngày)"],
    )
    for t in tasks:
        if t["organisation_id"] not in cell_name:  # a cell created after the derived part was read
            continue
        task_t.rows.append(
            [
                cell_name[t["organisation_id"]],
                t["title"],
                t["assignee__full_name"] or t["assignee_group__name"] or "—",
                t["due_date"].strftime("%d/%m/%Y"),
                (today - t["due_date"]).days,
            ]
        )
        task_t.links.append(meeting_url(t["meeting_id"]) if t["meeting_id"] else None)
    if limited:
        _limit(task_t, overdue_total, "nhiệm vụ (quá hạn lâu nhất trước)")
    tables["tasks"] = task_t

    # 5. officers' attendance coverage
    first_ym, last_ym = period.first[0] * 100 + period.first[1], period.last[0] * 100 + period.last[1]
    visits = list(
        OfficerVisit.objects.annotate(ym=F("year") * 100 + F("month"))
        .filter(in_subtree(org.path, "cell__"), ym__gte=first_ym, ym__lte=last_ym)
        .values(
            "officer_id", "officer__display_name", "officer__username", "cell_id", "year", "month", "attended"
        )
    )
    visits = [v for v in visits if v["cell_id"] in cell_ids]
    per_officer: dict[int, dict[str, Any]] = {}
    for v in visits:
        o = per_officer.setdefault(
            v["officer_id"],
            {
                "name": v["officer__display_name"] or v["officer__username"],
                "assigned": 0,
                "attended": 0,
                "cells": set(),
            },
        )
        o["assigned"] += 1
        if v["attended"]:
            o["attended"] += 1
            o["cells"].add(v["cell_id"])
    cov_t = Table(
        "coverage",
        "Cán bộ cấp trên dự sinh hoạt chi bộ",
        ["Cán bộ", "Được phân công (lượt)", "Đã dự (lượt)", "Số chi bộ đã dự", "Chi bộ đã dự"],
    )
    for o in sorted(per_officer.values(), key=lambda o: vntext.name_sort_key(o["name"])):
        cov_t.rows.append(
            [
                o["name"],
                o["assigned"],
                o["attended"],
                len(o["cells"]),
                "; ".join(sorted((cell_name[c] for c in o["cells"]), key=vntext.name_sort_key)),
            ]
        )
    covered = {v["cell_id"] for v in visits if v["attended"]}
    cov_t.note = f"{len(covered)}/{len(cells)} chi bộ có cán bộ cấp trên dự ít nhất một lần trong kỳ."
    tables["coverage"] = cov_t

    # 6–9. guidance adoption
    guidance = list(
        Guidance.objects.annotate(ym=F("year") * 100 + F("month"))
        .filter(published_at__isnull=False, ym__gte=first_ym, ym__lte=last_ym)
        .filter(in_subtree(org.path, "committee__") | Q(committee_id__in=ancestor_ids))
        .order_by("year", "month", "id")
        .values("id", "title", "year", "month", "all_cells", "committee__path", "committee__name")
    )
    g_ids = [g["id"] for g in guidance]
    items = list(
        GuidanceItem.objects.filter(guidance_id__in=g_ids)
        .order_by("guidance_id", "order", "id")
        .values("id", "guidance_id", "title")
    )
    chosen = defaultdict(set)
    for gid, cid in Guidance.cells.through.objects.filter(guidance_id__in=g_ids).values_list(
        "guidance_id", "organisation_id"
    ):
        chosen[gid].add(cid)
    adoptions = list(
        Adoption.objects.filter(in_subtree(org.path, "cell__"), item__guidance_id__in=g_ids).values(
            "item_id", "cell_id", "meeting__status", "agenda_item__started_at"
        )
    )
    g_by_id = {g["id"]: g for g in guidance}
    ad_t = Table(
        "guidance",
        "Tiếp nhận định hướng sinh hoạt của cấp trên",
        [
            "Tháng",
            "Cấp ủy",
            "Định hướng",
            "Nội dung",
            "Chi bộ nhận",
            "Đã đưa vào chương trình",
            "Đã trình bày (biên bản đã duyệt)",
        ],
    )
    adopted_total = targeted_total = 0
    by_item: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in adoptions:
        by_item[a["item_id"]].append(a)
    under: dict[str, set[int]] = {}  # committee path -> the cells below it (one pass per committee)

    def cells_under(path: str) -> set[int]:
        if path not in under:
            under[path] = (
                cell_ids if org.path.startswith(path) else {c["id"] for c in cells if c["path"].startswith(path)}
            )
        return under[path]

    for it in items:
        g = g_by_id[it["guidance_id"]]
        targets = cells_under(g["committee__path"]) if g["all_cells"] else chosen[g["id"]] & cell_ids
        rows = [a for a in by_item[it["id"]] if a["cell_id"] in targets]
        presented = [
            a
            for a in rows
            if a["meeting__status"] == MeetingStatus.APPROVED and a["agenda_item__started_at"] is not None
        ]
        adopted_total += len(rows)
        targeted_total += len(targets)
        ad_t.rows.append(
            [
                f"{g['month']:02d}/{g['year']}",
                g["committee__name"],
                g["title"],
                it["title"],
                len(targets),
                len(rows),
                len(presented),
            ]
        )
    tables["guidance"] = ad_t

    # peer evaluation beside self and upper scores
    peer_t = Table(
        "peer",
        "Điểm tự chấm, cấp trên chấm và chi bộ bạn chấm chéo",
        ["Chi bộ", "Ngày", "Chi bộ tự chấm", "Cấp trên chấm", "Chi bộ bạn chấm"],
    )
    for m in detailed:
        scores = _scores(m)
        if ("peer" in scores or "upper" in scores) and not (limited and len(peer_t.rows) >= SHOWN):
            peer_t.rows.append(
                [
                    cell_name[m["organisation_id"]],
                    _date(m["scheduled_at"], tz),
                    *(scores[k]["total"] if k in scores else "—" for k in ("cell", "upper", "peer")),
                ]
            )
            peer_t.links.append(meeting_url(m["id"]))
    if limited and len(peer_t.rows) >= SHOWN:
        peer_t.note = (
            f"Ở cấp này chỉ hiển thị {SHOWN} buổi gần nhất. Danh sách đầy đủ: chọn đơn vị cấp dưới "
            "(bảng theo đơn vị trực thuộc) hoặc tải tệp Excel của bảng."
        )
    tables["peer"] = peer_t

    # the children and the figures: from the summaries, plus the overdue tasks just read
    children = [{**ch, "overdue": overdue_child[ch["org"]["id"]]} for ch in d.children]
    child_t = Table(
        "children",
        "Theo đơn vị trực thuộc",
        [
            "Đơn vị",
            "Số chi bộ",
            "Đã họp thường kỳ",
            "Phải họp (đến nay)",
            "Tỷ lệ dự họp",
            "Điểm bình quân",
            "Vi phạm ghi nhận",
            "Nhiệm vụ quá hạn",
        ],
    )
    for ch in children:
        child_t.rows.append(
            [
                ch["org"]["name"],
                ch["cells"],
                ch["held"],
                ch["expected"],
                _pct(ch["attendance"]),
                "—" if ch["score"] is None else round(ch["score"], 1),
                ch["breaches"],
                ch["overdue"],
            ]
        )
        child_t.links.append(ch["url"])
    tables["children"] = child_t
    meet_t = Table(
        "meetings",
        "Các buổi sinh hoạt trong kỳ",
        [
            "Ngày",
            "Chi bộ",
            "Loại",
            "Trạng thái",
            "Dự họp",
            "Thời lượng (phút)",
            "Phát biểu",
            "Tự chấm",
            "Cấp trên",
            "Chi bộ bạn",
            "Xếp loại",
            "Vi phạm",
        ],
    )
    for m in listed:
        scores = _scores(m)
        meet_t.rows.append(
            [
                _date(m["scheduled_at"], tz),
                cell_name[m["organisation_id"]],
                KIND_LABELS[m["kind"]],
                STATUS_LABELS[m["status"]],
                f"{m['fig_present']}/{m['fig_base']}" if m["fig_base"] is not None else "—",
                m["fig_duration"] if m["fig_duration"] is not None else "—",
                m["fig_speakers"] if m["fig_speakers"] is not None else "—",
                *(scores[k]["total"] if k in scores else "—" for k in ("cell", "upper", "peer")),
                grade_labels.get(m["fig_grade"], m["fig_grade"]) or "—",
                m["fig_breaches"] if m["fig_breaches"] is not None else "—",
            ]
        )
        meet_t.links.append(meeting_url(m["id"]))
    kpis = {**d.kpis, "overdue": overdue_total}
    if limited:
        meet_t.title = "Các buổi sinh hoạt trong kỳ có điểm tự chấm thấp nhất"
        _limit(meet_t, kpis["approved"], "buổi đã duyệt (điểm thấp nhất trước)")
    tables["meetings"] = meet_t

    kpis["guidance_adopted"], kpis["guidance_targeted"] = adopted_total, targeted_total
    return Dashboard(
        org=org,
        period=period,
        tables={k: tables[k] for k in TABLE_ORDER if k in tables},
        charts=dict(d.charts),
        kpis=kpis,
        cells=cells,
        children=children,
        ancestors=d.ancestors,
        limited=limited,
        notes=dict(d.notes),
        computed_at=computed_at,
        stale=stale,
    )


TABLE_ORDER = (
    "held",
    "thematic",
    "short",
    "late_docs",
    "attendance",
    "members",
    "grades",
    "grade_trend",
    "tasks",
    "coverage",
    "guidance",
    "weakness",
    "weakness_trend",
    "weakness_cells",
    "help",
    "peer",
    "children",
    "meetings",
)


# --- the per-process memo of the derived part (above commune level) -------------------------------
@dataclass
class _Entry:
    fp: tuple[Any, ...]  # the fingerprint read before the derived part
    derived: Derived
    seconds: float  # what computing it cost
    computed_at: dt.datetime  # when its reads began (shown on the page while stale)
    at: float  # time.monotonic() of the same moment


# key -> _Entry; a few entries per process (the committees its users look at)
_MEMO: OrderedDict[tuple[Any, ...], _Entry] = OrderedDict()
MEMO_SIZE = 16
_MEMO_LOCK = threading.Lock()
_REFRESHING: set[tuple[Any, ...]] = set()  # keys a thread of this process is computing again
logger = logging.getLogger(__name__)


def _memo_key(
    org: Organisation,
    period: Period,
    today: dt.date,
    books: dict[str, loader.Rulebook],
    meeting_url: Any,
    org_url: Any,
) -> tuple[Any, ...]:
    """What the derived part depends on besides the data: the database, the organisation, the period,
    today (months still to come), the rulebooks in force, the rows shown and the links' form (compared by the link
    each function makes for a probe id: the page and the API pass different ones)."""
    return (
        connection.alias,
        connection.settings_dict["NAME"],
        org.pk,
        period.first,
        period.last,
        today,
        tuple(sorted((code, b.version) for code, b in books.items())),
        getattr(settings, "CHIBO_DEFAULT_RULEBOOK", loader.DEFAULT_RULEBOOK),
        SHOWN,
        meeting_url(0),
        org_url(0),
    )


def _fingerprint(org: Organisation, period: Period) -> tuple[Any, ...]:
    """Changes whenever anything `_derive` reads can have changed: the organisations of the subtree and
    its ancestors (count and sum of `rev`, a new random value on every write), and the organisation's
    OrgMonth rows from January of the period's first year (each CellMonth / MemberMonth write below it
    rewrites those rows with a new `stamp` in the same transaction; member runs chain from January).
    Two small indexed queries; sums, not maxima, so the order transactions commit in does not matter."""
    tree = [
        (a["n"], a["rev"])
        for a in (
            # COUNT(*): the subtree's (path, rev) index alone answers (org_path_rev; 6.6 -> 2.2 ms at 18,703
            # organisations on PostgreSQL), COUNT(id) would read every row
            Organisation.objects.filter(in_subtree(org.path)).aggregate(n=Count("*"), rev=Sum("rev")),
            Organisation.objects.filter(pk__in=org.ancestor_ids()).aggregate(n=Count("id"), rev=Sum("rev")),
        )
    ]
    stamps = tuple(
        OrgMonth.objects.filter(
            organisation=org, ym__gte=period.first[0] * 100 + 1, ym__lte=period.last[0] * 100 + period.last[1]
        )
        .order_by("ym")
        .values_list("ym", "stamp")
    )
    return (*tree, stamps)


def _compute_and_remember(key: tuple[Any, ...], fp: tuple[Any, ...], args: tuple[Any, ...]) -> _Entry:
    """`_derive(*ARGS)`, remembered under KEY with FP (read before it) and what it cost."""
    computed_at, at = timezone.now(), time.monotonic()
    d = _derive(*args)
    entry = _Entry(fp, d, time.monotonic() - at, computed_at, at)
    with _MEMO_LOCK:  # threaded workers (gthread) and the refresh threads share the memo
        old = _MEMO.get(key)
        if old is None or old.at <= at:  # never replace newer figures with older ones
            _MEMO[key] = entry
            _MEMO.move_to_end(key)
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return entry


def _may_serve_stale(hit: _Entry) -> bool:
    """Whether the page may show HIT's figures while they are computed again: computing them cost more
    than the page's budget (CHIBO_DASHBOARD_SYNC_MS — cheaper ones are always computed in the request),
    they are at most CHIBO_DASHBOARD_STALE_SECONDS old, and the user is not reading right after their
    own write (chibo.ops.dbrouter's read-your-writes pin, with a read replica)."""
    from chibo.ops import dbrouter

    return (
        hit.seconds * 1000 > settings.CHIBO_DASHBOARD_SYNC_MS
        and time.monotonic() - hit.at <= settings.CHIBO_DASHBOARD_STALE_SECONDS
        and not dbrouter.is_pinned()
    )


def _refresh_later(key: tuple[Any, ...], hit: _Entry, args: tuple[Any, ...]) -> None:
    """Compute KEY's derived part again in a thread of this process, unless one is already doing it or
    HIT was computed less than CHIBO_DASHBOARD_REFRESH_GAP seconds ago (while cells write all evening,
    each process computes a province's figures at most once per gap)."""
    with _MEMO_LOCK:
        if key in _REFRESHING or time.monotonic() - hit.at < settings.CHIBO_DASHBOARD_REFRESH_GAP:
            return
        _REFRESHING.add(key)
    tz, org, period = timezone.get_current_timezone(), args[0], args[1]

    def run() -> None:
        try:
            with timezone.override(tz):
                _compute_and_remember(key, _fingerprint(org, period), args)
        except Exception:  # the next request tries again; the page keeps the figures it has
            logger.exception("dashboard refresh of organisation %s failed", org.pk)
        finally:
            with _MEMO_LOCK:
                _REFRESHING.discard(key)

    _launch(run)


def _launch(run: Any) -> threading.Thread:
    """Start RUN in a daemon thread, which closes its own database connections when done (tests
    replace this to run RUN when they choose)."""

    def target() -> None:
        try:
            run()
        finally:
            db.connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=target, name="chibo-dashboard-refresh", daemon=True)
    thread.start()
    return thread


def clear_memo() -> None:
    with _MEMO_LOCK:
        _MEMO.clear()


@dataclass
class Derived:
    """What `_derive` computes from the tree and the summaries (shared by later calls: not mutated)."""

    cells: list[dict[str, Any]]
    cell_ids: set[int]
    cell_name: dict[int, str]
    ancestors: list[dict[str, Any]]
    grade_labels: dict[str, str]
    breach_totals: Counter[str]
    tables: dict[str, Table]
    charts: dict[str, Any]
    notes: dict[str, str]
    children: list[dict[str, Any]]  # without "overdue"
    cell_child: dict[int, int]
    kpis: dict[str, Any]  # without "overdue" and the guidance figures


def _derive(
    org: Organisation,
    period: Period,
    today: dt.date,
    limited: bool,
    books: dict[str, loader.Rulebook],
    meeting_url: Any,
    org_url: Any,
) -> Derived:
    """The tables, charts and figures that come from the organisation tree and the summaries."""
    ancestor_ids = org.ancestor_ids()
    now_ym = (today.year, today.month)

    # 1. organisations of the subtree + ancestors (for rulebook inheritance and the breadcrumb)
    #    (two indexed reads: an OR of the path prefix and the ancestors' ids scans every organisation)
    org_fields = (
        "id",
        "name",
        "kind",
        "path",
        "parent_id",
        "sort_key",
        "rulebook_code",
        "is_active",
        "depth",
        "founded_on",
    )
    subtree = Organisation.objects.filter(in_subtree(org.path)).exclude(kind=OrgKind.GROUP)
    above = Organisation.objects.filter(pk__in=ancestor_ids).exclude(kind=OrgKind.GROUP)
    orgs = list(
        subtree.order_by().values(*org_fields).union(above.order_by().values(*org_fields), all=True)
    )
    by_id = {o["id"]: o for o in orgs}
    # 2. rulebooks in force
    default_book = books[getattr(settings, "CHIBO_DEFAULT_RULEBOOK", loader.DEFAULT_RULEBOOK)]

    def book_of_path(path: str) -> loader.Rulebook:
        for pk in reversed([int(p) for p in path.strip("/").split("/") if p]):
            code = by_id.get(pk, {}).get("rulebook_code")
            if code:
                return books.get(code, default_book)
        return default_book

    parent_book: dict[str, loader.Rulebook] = {}  # the cells of one parent share its rulebook

    def book_of(o: dict[str, Any]) -> loader.Rulebook:
        if o["rulebook_code"]:
            return books.get(o["rulebook_code"], default_book)
        parent = o["path"][: o["path"].rstrip("/").rfind("/") + 1]
        if parent not in parent_book:
            parent_book[parent] = book_of_path(parent)
        return parent_book[parent]

    cells = sorted(
        (o for o in orgs if o["kind"] in CELL_KINDS and o["path"].startswith(org.path) and o["is_active"]),
        key=lambda o: o["sort_key"],
    )
    cell_ids = {c["id"] for c in cells}
    cell_book = {c["id"]: book_of(c) for c in cells}
    per_month = {cid: b.frequency.regular_per_month for cid, b in cell_book.items()}
    per_quarter = {cid: b.frequency.thematic_per_quarter for cid, b in cell_book.items()}
    org_book = book_of(by_id[org.pk])
    # a cell is expected to meet from its founding month (unknown: the whole period)
    founded = {
        c["id"]: (c["founded_on"].year, c["founded_on"].month) if c["founded_on"] else (0, 0) for c in cells
    }

    def active(cid: int, ym: tuple[int, int]) -> bool:
        return founded[cid] <= ym

    # 3. the cell-month summaries (chibo.oversight.summaries), from the start of the period's first
    #    quarter, so a quarter cut by the period still counts its thematic meeting. Above commune
    #    level: the roll-up (OrgMonth) per month, one narrow aggregate per cell, the special cells' rows.
    months = period.months
    first_ym = period.first[0] * 100 + period.first[1]
    last_ym = period.last[0] * 100 + period.last[1]
    q_first = timezone.localtime(period.quarter_start)
    child_orgs = sorted(
        (o for o in orgs if o["parent_id"] == org.pk and o["kind"] != OrgKind.GROUP and o["is_active"]),
        key=lambda o: o["sort_key"],
    )
    fast = limited and not org.is_cell
    rolled: Rolled | None = None
    if fast:
        rolled = _read_rolled(
            org,
            period,
            orgs,
            cells,
            per_month,
            per_quarter,
            founded,
            [o["id"] for o in child_orgs if o["kind"] not in CELL_KINDS],
        )
        rows = [r for r in rolled.special_rows if r["organisation_id"] in cell_ids]
    else:
        rows = [
            r
            for r in CellMonth.objects.filter(
                in_subtree(org.path, "organisation__"),
                ym__gte=q_first.year * 100 + q_first.month,
                ym__lte=last_ym,
            ).values(*ROW_FIELDS)
            if r["organisation_id"] in cell_ids
        ]
    plain = rolled.plain if rolled else set()
    masks = rolled.masks if rolled else {}
    in_period = [r for r in rows if r["ym"] >= first_ym]  # per cell (above commune level: special cells)
    # per month, summed over cells: the cells' rows, or the roll-up's months plus the special cells' rows
    month_rows = in_period + (
        [m for ym, m in sorted(rolled.months.items()) if ym >= first_ym] if rolled else []
    )
    cm = {(r["organisation_id"], (r["year"], r["month"])): r for r in in_period}
    month_labels = [f"{mm:02d}/{str(y)[2:]}" for y, mm in months]
    tables: dict[str, Table] = {}
    chart: dict[str, Any] = {}
    notes: dict[str, str] = {}
    cell_name = {c["id"]: c["name"] for c in cells}
    so_far_mask = sum(1 << i for i, ym in enumerate(months) if ym <= now_ym)
    q_index = {ym: i for i, ym in enumerate(_months_from((q_first.year, q_first.month), period.last))}
    q_offset = q_index[period.first]  # a period month's bit, shifted to count from the quarter start
    quarter_mask = {
        yq: sum(1 << i for (y, mm), i in q_index.items() if (y, (mm - 1) // 3 + 1) == yq)
        for yq in period.quarters
    }

    def reg(cid: int, ym: tuple[int, int]) -> int:
        r = cm.get((cid, ym))
        return r["held_regular"] if r else 0

    # thematic meetings per cell and quarter (the special cells' rows above commune level)
    th_count: dict[tuple[int, tuple[int, int]], int] = Counter()
    for r in rows:
        th_count[(r["organisation_id"], (r["year"], (r["month"] - 1) // 3 + 1))] += r["held_thematic"]

    # cells that did not meet: per month (regular) and per quarter (thematic), in the cells' order;
    # above commune level the first SHOWN names and the count
    missing: dict[tuple[int, int], list[str]] = defaultdict(list)
    missing_n: Counter[tuple[int, int]] = Counter()
    th_missing: dict[tuple[int, int], list[str]] = defaultdict(list)
    th_missing_n: Counter[tuple[int, int]] = Counter()
    keep = SHOWN if limited else None

    def note(into: dict[Any, list[str]], n: Counter[Any], key: Any, name: str) -> None:
        n[key] += 1
        if keep is None or len(into[key]) < keep:
            into[key].append(name)

    # Plain cells (above commune level, active over the whole period): counted from the roll-up (the
    # plain cells that did meet, subtracted from all of them); their names are read from the bit masks
    # only until every month and quarter has its SHOWN names.
    if plain:
        for i, ym in enumerate(months):
            if so_far_mask >> i & 1:
                m = rolled.months.get(ym[0] * 100 + ym[1]) if rolled else None
                missing_n[ym] += len(plain) - (m["cells_regular"] if m else 0)
        for yq in quarter_mask:
            met = sum(
                m["cells_thematic"]
                for m in (rolled.months.values() if rolled else ())
                if (m["year"], (m["month"] - 1) // 3 + 1) == yq
            )
            th_missing_n[yq] += len(plain) - met
    lists = [missing[ym] for i, ym in enumerate(months) if so_far_mask >> i & 1]
    lists += [th_missing[yq] for yq in quarter_mask]
    names_full, seen = False, 0
    for c in cells:
        cid = c["id"]
        if cid in plain:
            if names_full:
                continue
            mk = masks.get(cid)
            miss = so_far_mask & ~(mk[0] if mk else 0)
            i = 0
            while miss:
                if miss & 1 and len(missing[months[i]]) < SHOWN:
                    missing[months[i]].append(c["name"])
                miss >>= 1
                i += 1
            for yq, qm in quarter_mask.items():
                if not (mk and mk[1] & qm) and len(th_missing[yq]) < SHOWN:
                    th_missing[yq].append(c["name"])
            seen += 1
            if seen % 64 == 0:
                names_full = all(len(names) >= SHOWN for names in lists)
            continue
        for ym in months:
            if ym <= now_ym and active(cid, ym) and reg(cid, ym) == 0:
                note(missing, missing_n, ym, c["name"])
        for y, q in period.quarters:
            if active(cid, (y, q * 3)) and th_count[(cid, (y, q))] == 0:
                note(th_missing, th_missing_n, (y, q), c["name"])
    counted = [c for c in cells if c["id"] not in plain]  # every cell, or the special ones

    # held vs expected per month; heat map
    held_t = Table(
        "held",
        "Sinh hoạt thường kỳ: đã họp so với phải họp theo tháng",
        ["Tháng", "Phải họp", "Đã họp", "Tỷ lệ", "Chi bộ chưa họp"],
    )
    held_series, expected_series = [], []
    for y, mm in months:
        expected = len(plain) + sum(per_month[c["id"]] for c in counted if active(c["id"], (y, mm)))
        held = sum(min(reg(c["id"], (y, mm)), per_month[c["id"]]) for c in counted)
        if rolled and (y * 100 + mm) in rolled.months:
            held += rolled.months[y * 100 + mm]["cells_regular"]
        future = (y, mm) > now_ym
        held_t.rows.append(
            [
                f"{mm:02d}/{y}",
                expected,
                held,
                _pct(_rate(held, expected)) if expected else "—",
                _names(missing[(y, mm)], limited, missing_n[(y, mm)]) if not future else "(chưa đến)",
            ]
        )
        held_series.append(held)
        expected_series.append(expected)
    tables["held"] = held_t
    chart["held"] = charts.bars(
        "Đã họp so với phải họp theo tháng",
        month_labels,
        [("Phải họp", expected_series), ("Đã họp", held_series)],
    )

    # points lost per criterion group, per cell (the cell column, frozen at approval)
    lost: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(GROUPS, 0))
    scored_n: Counter[int] = Counter()
    for r in in_period:
        if r["scored"]:
            scored_n[r["organisation_id"]] += r["scored"]
            for g in GROUPS:
                lost[r["organisation_id"]][g] += r[f"lost_{g}"]
    for cid, mk in masks.items():
        if mk[5]:
            scored_n[cid] = mk[5]
            lost[cid] = {g: mk[6 + k] for k, g in enumerate(GROUPS)}
    avg_lost: dict[int, dict[str, float]] = {}
    for c in cells:
        n = scored_n[c["id"]]
        if n:
            avg_lost[c["id"]] = {g: lost[c["id"]][g] / n for g in GROUPS}
    weak_cells = [c for c in cells if c["id"] in avg_lost]
    if limited and len(weak_cells) > SHOWN:  # the cells losing the most points per meeting
        worst = heapq.nsmallest(
            SHOWN, weak_cells, key=lambda c: (-sum(avg_lost[c["id"]].values()), c["sort_key"])
        )
        weak_cells = sorted(worst, key=lambda c: c["sort_key"])

    grade_labels = {b.grade: b.label for b in org_book.scorecard.bands}
    heat_rows = cells
    if limited and len(cells) > SHOWN:
        # the cells that missed the most months, then the lowest average score
        def weakness_key(c: dict[str, Any]) -> tuple[int, float, Any]:
            cid = c["id"]
            if cid in plain:
                mk = masks.get(cid)
                missed = (so_far_mask & ~(mk[0] if mk else 0)).bit_count()
                s, n = (mk[3], mk[4]) if mk else (0, 0)
                return (-missed, s / n if n else 0.0, c["sort_key"])
            missed = sum(1 for ym in months if ym <= now_ym and active(cid, ym) and reg(cid, ym) == 0)
            n = sum(cm[(cid, ym)]["score_n"] for ym in months if (cid, ym) in cm)
            s = sum(cm[(cid, ym)]["score_sum"] for ym in months if (cid, ym) in cm)
            return (-missed, s / n if n else 0.0, c["sort_key"])

        heat_rows = sorted(heapq.nsmallest(SHOWN, cells, key=weakness_key), key=lambda c: c["sort_key"])
        notes["heat"] = (
            f"Ở cấp này chỉ hiển thị {SHOWN} trên {len(cells)} chi bộ: các chi bộ bỏ họp nhiều tháng nhất, "
            "rồi điểm bình quân thấp nhất. Chọn đơn vị cấp dưới để xem mọi chi bộ."
        )
    if rolled:  # the month rows of the cells shown one by one (heat map, weakness per quarter)
        shown_ids = {c["id"] for c in heat_rows} | {c["id"] for c in weak_cells}
        for r in CellMonth.objects.filter(
            organisation_id__in=sorted(shown_ids & plain) or [0], ym__gte=first_ym, ym__lte=last_ym
        ).values(*ROW_FIELDS):
            cm[(r["organisation_id"], (r["year"], r["month"]))] = r
    heat_cells = []
    for c in heat_rows:
        row = []
        for y, mm in months:
            r = cm.get((c["id"], (y, mm)))
            if r is None or r["last_regular"] is None:
                future = (y, mm) > now_ym
                row.append(
                    (
                        charts.STATE_COLOURS["future" if future else "missing"],
                        "chưa đến" if future else "không họp",
                        None,
                    )
                )
            elif r["last_regular_status"] == MeetingStatus.APPROVED:
                g = r["last_regular_grade"]
                row.append(
                    (
                        charts.GRADE_COLOURS.get(g, "#90a4ae"),
                        f"{grade_labels.get(g, g or '—')} ({r['last_regular_score']} điểm)",
                        meeting_url(r["last_regular"]),
                    )
                )
            else:
                row.append(
                    (
                        charts.STATE_COLOURS["held"],
                        "đã họp, chờ duyệt biên bản",
                        meeting_url(r["last_regular"]),
                    )
                )
        heat_cells.append(row)
    chart["heat"] = charts.heatmap(
        "Chi bộ × tháng: xếp loại buổi sinh hoạt thường kỳ",
        [c["name"] for c in heat_rows],
        month_labels,
        heat_cells,
    )

    # thematic per quarter
    th_t = Table("thematic", "Sinh hoạt chuyên đề theo quý", ["Quý", "Phải họp", "Đã họp", "Chi bộ chưa họp"])
    for y, q in period.quarters:
        expected = len(plain) + sum(per_quarter[c["id"]] for c in counted if active(c["id"], (y, q * 3)))
        held = sum(min(th_count[(c["id"], (y, q))], per_quarter[c["id"]]) for c in counted)
        if rolled:
            held += sum(
                m["cells_thematic"]
                for m in rolled.months.values()
                if (m["year"], (m["month"] - 1) // 3 + 1) == (y, q)
            )
        inside = [mm for yy, mm in months if yy == y and (mm - 1) // 3 + 1 == q]
        label = f"Quý {q}/{y}" + (
            "" if len(inside) == 3 else f" (kỳ xem có tháng {', '.join(str(x) for x in inside)}; tính cả quý)"
        )
        th_t.rows.append([label, expected, held, _names(th_missing[(y, q)], limited, th_missing_n[(y, q)])])
    tables["thematic"] = th_t
    breach_totals: Counter[str] = Counter()
    for r in month_rows:
        breach_totals.update(r["counts"]["breaches"])
    # attendance distribution
    edges = list(org_book.oversight.attendance_buckets)
    bucket_labels = (
        [f"Dưới {edges[0]}%"]
        + [f"{a}% – dưới {b}%" for a, b in zip(edges, edges[1:], strict=False)]
        + [f"Từ {edges[-1]}%"]
    )
    buckets: Counter[int] = Counter()
    for r in month_rows:
        for pct, n in r["counts"]["rates"].items():
            buckets[sum(1 for e in edges if int(pct) >= e)] += n
    at_t = Table(
        "attendance",
        "Phân bố tỷ lệ đảng viên dự họp (buổi đã duyệt)",
        ["Tỷ lệ dự họp", "Số buổi"],
        note=f"Mốc: {org_book.oversight.source}",
    )
    at_t.rows = [[label, buckets[i]] for i, label in enumerate(bucket_labels)]
    tables["attendance"] = at_t
    chart["attendance"] = charts.bars(
        "Phân bố tỷ lệ dự họp", bucket_labels, [("Số buổi", [buckets[i] for i in range(len(bucket_labels))])]
    )

    # members: unexcused absences; excused more than the rule allows in a row (within a year), chained
    # from the member-month segments (rows exist only for months with an absence; `joined` says
    # whether nothing broke a run since the member's previous row of that cell-year)
    # Only members who can be flagged are read: some unexcused absence, or a run above the smallest
    # limit in a month of the period (`run` chains from the year's start, so it is never shorter than
    # the period's run); every row of those members, so names and runs are exactly as from all rows.
    member_rows = MemberMonth.objects.filter(
        in_subtree(org.path, "cell__"), ym__gte=first_ym, ym__lte=last_ym
    )
    least = min((cell_book[c["id"]].attendance.max_consecutive_excused for c in cells), default=0)
    candidates = member_rows.filter(Q(unexcused__gt=0) | Q(run__gt=least)).values("member_id")
    # by member (index member_id, ym), not joined to the subtree again: rows of cells outside it are
    # skipped below (a member who moved); joined, SQLite probed every cell × every candidate (30 s)
    segments = MemberMonth.objects.filter(
        member_id__in=candidates, ym__gte=first_ym, ym__lte=last_ym
    ).order_by("cell_id", "member_id", "ym")
    names: dict[int, str] = {}
    name_ym: dict[int, int] = {}
    unexcused: Counter[tuple[int, int]] = Counter()
    runs: dict[tuple[int, int, int], tuple[int, int, int, bool]] = {}
    broken = (0, 0, 0, False)
    for s in segments.values_list(
        "cell_id",
        "member_id",
        "name",
        "year",
        "ym",
        "unexcused",
        "lead",
        "trail",
        "best",
        "unbroken",
        "joined",
    ):
        cell_id, member_id, name, year, ym, n_unexcused, lead, trail, best, unbroken, joined = s
        if cell_id not in cell_ids:
            continue
        if ym >= name_ym.get(member_id, 0):  # the latest name
            names[member_id], name_ym[member_id] = name, ym
        unexcused[(cell_id, member_id)] += n_unexcused
        key3, seg = (cell_id, member_id, year), (lead, trail, best, unbroken)
        if key3 not in runs:  # the first month in the period: history starts here
            runs[key3] = seg
        else:
            runs[key3] = summaries.join(runs[key3] if joined else summaries.join(runs[key3], broken), seg)
    longest: dict[tuple[int, int], int] = Counter()
    for (cell_id, member_id, _year), (_lead, _trail, best, _unbroken) in runs.items():
        if best > longest[(cell_id, member_id)]:
            longest[(cell_id, member_id)] = best
    mem_t = Table(
        "members",
        "Đảng viên vắng không lý do, hoặc vắng có lý do quá số lần liên tiếp cho phép",
        [
            "Đảng viên",
            "Chi bộ",
            "Vắng không lý do (buổi)",
            "Vắng có lý do liên tiếp (dài nhất)",
            "Vượt quy định",
        ],
    )
    flagged = []  # (name, cell, unexcused, longest excused run, over the limit?)
    for cell_id, member_id in set(unexcused) | set(longest):
        limit = cell_book[cell_id].attendance.max_consecutive_excused
        over = longest[(cell_id, member_id)] > limit
        if unexcused[(cell_id, member_id)] or over:
            flagged.append(
                (
                    names[member_id],
                    cell_name[cell_id],
                    unexcused[(cell_id, member_id)],
                    longest[(cell_id, member_id)],
                    f"Có (quá {limit} lần)" if over else "Không",
                )
            )
    if limited and len(flagged) > SHOWN:
        # the SHOWN absent most (then by name): names are keyed only for the members that can be among
        # them (at 10,000 cells, ~10,000 members are flagged)
        cut = heapq.nlargest(SHOWN, ((r[2], r[3]) for r in flagged))[-1]
        near = [r for r in flagged if (r[2], r[3]) >= cut]
        near.sort(key=lambda r: (-r[2], -r[3], vntext.name_sort_key(r[0]), r[0], r[1], r[4]))
        mem_t.rows = [list(r) for r in near[:SHOWN]]
        _limit(mem_t, len(flagged), "đảng viên (vắng nhiều nhất trước)")
    else:  # by name (the Vietnamese way)
        flagged.sort(key=lambda r: (vntext.name_sort_key(r[0]), *r))
        mem_t.rows = [list(r) for r in flagged]
    tables["members"] = mem_t

    # grades: distribution and trend
    bands = org_book.scorecard.bands
    month_scores: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: {"score_sum": 0, "score_n": 0})
    month_grades: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for r in month_rows:
        pm = month_scores[(r["year"], r["month"])]
        pm["score_sum"] += r["score_sum"]
        pm["score_n"] += r["score_n"]
        month_grades[(r["year"], r["month"])].update(r["counts"]["grades"])
    grade_counts: Counter[str] = Counter()
    for c in month_grades.values():
        grade_counts.update(c)
    gr_t = Table(
        "grades",
        "Phân bố xếp loại buổi sinh hoạt (cột chi bộ chấm, chốt khi duyệt)",
        ["Xếp loại", "Số buổi", "Tỷ lệ"],
    )
    total_graded = sum(grade_counts.values())
    gr_t.rows = [
        [
            b.label,
            grade_counts[b.grade],
            _pct(_rate(grade_counts[b.grade], total_graded)) if total_graded else "—",
        ]
        for b in bands
    ]
    tables["grades"] = gr_t
    trend_t = Table(
        "grade_trend",
        "Xếp loại và điểm bình quân theo tháng",
        ["Tháng"] + [b.label for b in bands] + ["Điểm bình quân"],
    )
    averages: list[float | None] = []
    for y, mm in months:
        pm = month_scores[(y, mm)]
        avg = pm["score_sum"] / pm["score_n"] if pm["score_n"] else None
        averages.append(avg)
        trend_t.rows.append(
            [f"{mm:02d}/{y}"]
            + [month_grades[(y, mm)][b.grade] for b in bands]
            + ["—" if avg is None else round(avg, 1)]
        )
    tables["grade_trend"] = trend_t
    chart["grades"] = charts.stacked(
        "Xếp loại theo tháng",
        month_labels,
        [
            (b.label, charts.GRADE_COLOURS.get(b.grade, "#777"), [month_grades[ym][b.grade] for ym in months])
            for b in bands
        ],
    )
    chart["score_trend"] = charts.line("Điểm bình quân theo tháng", month_labels, averages)

    # weakness: points lost per criterion group (cell column, frozen at approval, summed per cell-month);
    # per cell (avg_lost, weak_cells) computed above
    lost_q: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(GROUPS, 0))
    scored_q: Counter[tuple[int, int]] = Counter()
    for r in month_rows:
        if r["scored"]:
            q = (r["year"], (r["month"] - 1) // 3 + 1)
            scored_q[q] += r["scored"]
            for g in GROUPS:
                lost_q[q][g] += r[f"lost_{g}"]
    lost_cq: dict[tuple[int, tuple[int, int]], dict[str, int]] = defaultdict(lambda: dict.fromkeys(GROUPS, 0))
    scored_cq: Counter[tuple[int, tuple[int, int]]] = Counter()
    for r in cm.values():  # every cell's rows, or above commune level the special and shown cells'
        if r["scored"]:
            key = (r["organisation_id"], (r["year"], (r["month"] - 1) // 3 + 1))
            scored_cq[key] += r["scored"]
            for g in GROUPS:
                lost_cq[key][g] += r[f"lost_{g}"]
    weak_t = Table(
        "weakness",
        "Điểm bị trừ bình quân mỗi buổi, theo nhóm tiêu chí và chi bộ",
        ["Chi bộ", "Số buổi"] + [GROUP_LABELS[g] for g in GROUPS],
    )
    for c in weak_cells:
        weak_t.rows.append([c["name"], scored_n[c["id"]]] + [round(avg_lost[c["id"]][g], 1) for g in GROUPS])
        weak_t.links.append(org_url(c["id"]))
    if limited:
        _limit(weak_t, len(avg_lost), "chi bộ (bị trừ nhiều điểm nhất)")
    tables["weakness"] = weak_t
    wq_t = Table(
        "weakness_trend",
        "Điểm bị trừ bình quân mỗi buổi theo quý (toàn đơn vị)",
        ["Quý", "Số buổi"] + [GROUP_LABELS[g] for g in GROUPS],
    )
    for y, q in period.quarters:
        n = scored_q[(y, q)]
        wq_t.rows.append(
            [f"Quý {q}/{y}", n] + [round(lost_q[(y, q)][g] / n, 1) if n else "—" for g in GROUPS]
        )
    tables["weakness_trend"] = wq_t
    wcq_t = Table(
        "weakness_cells",
        "Điểm bị trừ bình quân mỗi buổi theo chi bộ và quý",
        ["Chi bộ", "Quý", "Số buổi"] + [GROUP_LABELS[g] for g in GROUPS],
    )
    wcq_total = sum(1 for _cid, n in scored_cq.items() if n and _cid[0] not in plain)
    wcq_total += sum(
        1 for mk in masks.values() if mk[2] for qm in quarter_mask.values() if mk[2] << q_offset & qm
    )
    weak_ids = {c["id"] for c in weak_cells}
    for c in cells:
        if limited and c["id"] not in weak_ids:
            continue
        for y, q in period.quarters:
            n = scored_cq[(c["id"], (y, q))]
            if n:
                wcq_t.rows.append(
                    [c["name"], f"Quý {q}/{y}", n]
                    + [round(lost_cq[(c["id"], (y, q))][g] / n, 1) for g in GROUPS]
                )
                wcq_t.links.append(org_url(c["id"]))
    if limited:
        _limit(wcq_t, wcq_total, "dòng (các chi bộ bị trừ nhiều điểm nhất)")
    tables["weakness_cells"] = wcq_t
    shown = org_book.oversight.weak_cells_shown
    help_t = Table(
        "help",
        "Chi bộ cần giúp đỡ nhất theo từng nhóm tiêu chí",
        ["Nhóm tiêu chí", "Chi bộ (điểm bị trừ bình quân mỗi buổi)"],
    )
    for g in GROUPS:
        # the SHOWN largest losses (ties by name, then id); names keyed only for the candidates
        losses = sorted((v[g] for v in avg_lost.values() if v[g] > 0), reverse=True)
        floor = losses[shown - 1] if 0 < shown <= len(losses) else 0
        ranked = sorted(
            (v[g], vntext.name_sort_key(cell_name[cid]), cid)
            for cid, v in avg_lost.items()
            if v[g] > 0 and v[g] >= floor
        )
        top = sorted(ranked, key=lambda r: (-r[0], r[1]))[:shown]
        help_t.rows.append(
            [
                GROUP_LABELS[g],
                "; ".join(f"{cell_name[cid]} ({_num(v)})" for v, _, cid in top)
                or "Không chi bộ nào bị trừ điểm",
            ]
        )
    tables["help"] = help_t
    chart["weakness"] = charts.bars(
        "Điểm bị trừ bình quân mỗi buổi theo nhóm tiêu chí",
        [f"Quý {q}/{str(y)[2:]}" for y, q in period.quarters],
        [
            (
                GROUP_LABELS[g],
                [lost_q[(y, q)][g] / scored_q[(y, q)] if scored_q[(y, q)] else 0 for y, q in period.quarters],
            )
            for g in GROUPS
        ],
    )

    # drill-down: children (or the cell's meetings), from the cell-month summaries (above commune
    # level: the children's roll-up for their plain cells, the special cells' own rows)
    per_cell: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in in_period:
        per_cell[r["organisation_id"]].append(r)
    so_far = [ym for ym in months if ym <= now_ym]
    child_of_path = {o["path"]: o["id"] for o in child_orgs}

    def child_of(path: str) -> int | None:  # the ancestor one level below the organisation
        rest = path[len(org.path) :].split("/", 1)[0]
        return child_of_path.get(f"{org.path}{rest}/")

    SUMMED = ("held", "approved", "base", "present", "score_sum", "score_n", "breaches", "cells_regular")
    plain_sums: dict[int | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUMMED, 0))
    if rolled:
        for m in month_rows[len(in_period) :]:  # the roll-up's months of the period: every plain cell
            for f in SUMMED:
                plain_sums[None][f] += m[f]
        for cid, sums in rolled.children.items():
            plain_sums[cid] = {f: sums[f] or 0 for f in SUMMED}
        for r in rolled.special_rows:  # out of their child's roll-up
            ch = child_of(by_id[r["organisation_id"]]["path"]) if r["organisation_id"] in by_id else None
            if ch is not None and r["ym"] >= first_ym and ch in rolled.children:
                for f in SUMMED[:-1]:
                    plain_sums[ch][f] -= r[f]
                plain_sums[ch]["cells_regular"] -= 1 if r["held_regular"] else 0

    def summary(cell_list: list[dict[str, Any]], key: int | None = None) -> dict[str, Any]:
        """The figures of CELL_LIST (the plain ones from the roll-up sums of KEY: a child, or None
        for the whole subtree)."""
        own = [c for c in cell_list if c["id"] not in plain]
        sums = plain_sums[key] if rolled and len(own) < len(cell_list) else dict.fromkeys(SUMMED, 0)
        rs = [r for c in own for r in per_cell[c["id"]]]
        expected = (len(cell_list) - len(own)) * len(so_far) + sum(
            per_month[c["id"]] * sum(1 for ym in so_far if active(c["id"], ym)) for c in own
        )
        held = sums["cells_regular"] + sum(
            min(r["held_regular"], per_month[r["organisation_id"]]) for r in rs
        )
        base = sums["base"] + sum(r["base"] for r in rs)
        score_n = sums["score_n"] + sum(r["score_n"] for r in rs)
        return {
            "cells": len(cell_list),
            "meetings": sums["held"] + sum(r["held"] for r in rs),
            "approved": sums["approved"] + sum(r["approved"] for r in rs),
            "expected": expected,
            "held": held,
            "attendance": _rate(sums["present"] + sum(r["present"] for r in rs), base) if base else None,
            "score": (sums["score_sum"] + sum(r["score_sum"] for r in rs)) / score_n if score_n else None,
            "breaches": sums["breaches"] + sum(r["breaches"] for r in rs),
        }

    children = []
    cell_child: dict[int, int] = {}  # cell -> the child of ORG it is under
    if not org.is_cell:
        below: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for c in cells:
            cid = child_of(c["path"])
            if cid is not None:
                below[cid].append(c)
                cell_child[c["id"]] = cid
        for child in child_orgs:
            children.append(
                {"org": child, "url": org_url(child["id"]), **summary(below[child["id"]], child["id"])}
            )
    kpis = summary(cells, None)
    kpis["members_flagged"] = len(flagged)
    return Derived(
        cells=cells,
        cell_ids=cell_ids,
        cell_name=cell_name,
        ancestors=[by_id[i] for i in ancestor_ids if i in by_id],
        grade_labels=grade_labels,
        breach_totals=breach_totals,
        tables=tables,
        charts=chart,
        notes=notes,
        children=children,
        cell_child=cell_child,
        kpis=kpis,
    )


# --- above commune level: the roll-up ------------------------------------------------------------
@dataclass
class Rolled:
    """What the page needs above commune level, read from the OrgMonth roll-up (one row per month),
    one narrow aggregate per cell (bit masks of the months it met) and the rows of a few cells.
    "Plain" cells (active, founded before the period's first quarter, one regular meeting a month and
    one thematic meeting a quarter, not a direct child) are counted from the roll-up; every other
    organisation below ("special": new cells, other rulebooks, inactive cells, cell children) is
    taken out of it and counted from its own rows exactly as before."""

    plain: set[int]
    special_rows: list[dict[str, Any]]  # CellMonth rows of the special organisations, quarter start on
    months: dict[int, dict[str, Any]]  # ym -> the plain cells' month (OrgMonth minus special rows)
    masks: dict[int, tuple[int, ...]]  # plain cell -> (regular, thematic, scored masks, score_sum, …)
    children: dict[int, dict[str, Any]]  # child -> its plain cells' sums over the period


def _zero() -> dict[str, Any]:
    return {**dict.fromkeys((*summaries.SUMS, *summaries.CELLS), 0), "counts": {}}


def _bit(vendor: str, expr: str) -> str:
    return f"(CAST(1 AS bigint) << ({expr}))" if vendor == "postgresql" else f"(1 << ({expr}))"


def _read_rolled(
    org: Organisation,
    period: Period,
    orgs: list[dict[str, Any]],
    cells: list[dict[str, Any]],
    per_month: dict[int, int],
    per_quarter: dict[int, int],
    founded: dict[int, tuple[int, int]],
    child_ids: list[int],
) -> Rolled:
    from django.db import connection

    q_first = timezone.localtime(period.quarter_start)
    q_ym = (q_first.year, q_first.month)
    q_first_ym = q_first.year * 100 + q_first.month
    first_ym = period.first[0] * 100 + period.first[1]
    last_ym = period.last[0] * 100 + period.last[1]
    plain = {
        c["id"]
        for c in cells
        if per_month[c["id"]] == 1
        and per_quarter[c["id"]] == 1
        and founded[c["id"]] <= q_ym
        and c["parent_id"] != org.pk
    }
    special = [
        o["id"] for o in orgs if o["path"].startswith(org.path) and o["id"] != org.pk and o["id"] not in plain
    ]
    special_rows = list(
        CellMonth.objects.filter(
            organisation_id__in=special or [0], ym__gte=q_first_ym, ym__lte=last_ym
        ).values(*ROW_FIELDS)
    )
    months: dict[int, dict[str, Any]] = {}
    for r in OrgMonth.objects.filter(organisation=org, ym__gte=q_first_ym, ym__lte=last_ym).values(
        "ym", "year", "month", *summaries.SUMS, *summaries.CELLS, "counts"
    ):
        months[r["ym"]] = r
    for r in special_rows:  # the roll-up counts every cell below; take the special ones out
        m = months.setdefault(r["ym"], {**_zero(), "ym": r["ym"], "year": r["year"], "month": r["month"]})
        summaries.add(m, summaries.contribution(r), -1)
    # one narrow row per cell: bit masks of the months it held a regular meeting, a thematic meeting
    # (from the quarter start) and a scored approved meeting, and its sums over the period
    v = connection.vendor
    p_idx = f"(cm.year * 12 + cm.month) - {period.first[0] * 12 + period.first[1]}"
    q_idx = f"(cm.year * 12 + cm.month) - {q_first.year * 12 + q_first.month}"
    inp = f"cm.ym >= {first_ym}"
    sums = ", ".join(
        f"CAST(SUM(CASE WHEN {inp} THEN cm.{f} ELSE 0 END) AS bigint)"
        for f in ("score_sum", "score_n", "scored", *(f"lost_{g}" for g in GROUPS))
    )
    # CAST: PostgreSQL sums bigints as numeric, which arrives as Decimal (slow to turn into int)
    sql = (
        f"SELECT cm.organisation_id, "
        f"CAST(SUM(CASE WHEN {inp} AND cm.held_regular > 0 THEN {_bit(v, p_idx)} ELSE 0 END) AS bigint), "
        f"CAST(SUM(CASE WHEN cm.held_thematic > 0 THEN {_bit(v, q_idx)} ELSE 0 END) AS bigint), "
        f"CAST(SUM(CASE WHEN {inp} AND cm.scored > 0 THEN {_bit(v, p_idx)} ELSE 0 END) AS bigint), {sums} "
        f"FROM {CellMonth._meta.db_table} cm JOIN {Organisation._meta.db_table} o ON o.id = cm.organisation_id "
        f"WHERE o.path LIKE %s AND cm.ym >= %s AND cm.ym <= %s GROUP BY cm.organisation_id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [org.path + "%", q_first_ym, last_ym])
        masks = {r[0]: r[1:] for r in cur.fetchall() if r[0] in plain}  # sums of ≥ 1 row: never NULL
    # the children's sums over the period (their own roll-up rows, minus their special cells)
    children: dict[int, dict[str, Any]] = {}
    for r in (
        OrgMonth.objects.filter(organisation_id__in=child_ids, ym__gte=first_ym, ym__lte=last_ym)
        .values("organisation_id")
        .annotate(
            **{
                f: Sum(f)
                for f in (
                    "held",
                    "approved",
                    "base",
                    "present",
                    "score_sum",
                    "score_n",
                    "breaches",
                    "cells_regular",
                )
            }
        )
    ):
        children[r["organisation_id"]] = r
    return Rolled(plain=plain, special_rows=special_rows, months=months, masks=masks, children=children)


def _overdue_per_cell(today: dt.date) -> list[tuple[int, int]]:
    """(cell id, open tasks due before TODAY) from the partial index `task_open_due` alone, written out:
    at 10,000 cells ~10,000 rows, which the ORM's values_list() fetched in chunks through its converters
    (21 ms against 13.5 ms here, PostgreSQL, 2-core machine of 02/12/2026). SQLite's planner picks the
    (status, due_date) index instead and reads every open task's row for its cell (10,000 cells: 46 ms
    against 10–12 ms), so there the index is named (INDEXED BY); `status` is a literal (a constant of
    the code) so that both planners match the partial index's condition."""
    qn = connection.ops.quote_name
    cell, due, status = (qn(rawsql.column(Task, f)) for f in ("organisation", "due_date", "status"))
    hint = " INDEXED BY task_open_due" if connection.vendor == "sqlite" else ""
    with connection.cursor() as cur:
        cur.execute(  # names and the status are the code's own; the date is a parameter
            f"SELECT {cell}, COUNT(*) FROM {qn(Task._meta.db_table)}{hint} "  # noqa: S608
            f"WHERE {due} < %s AND {status} = '{TaskStatus.OPEN.value}' GROUP BY {cell}",
            [today],
        )
        counts: list[tuple[int, int]] = cur.fetchall()
    return counts


def longest_excused_run(statuses: list[str]) -> int:
    """The longest run of 'absent with reason' in a member's history (oldest first): the largest
    `engine.trailing_excused_run` over its prefixes, in one pass (exempt / away neither break nor
    extend a run)."""
    best = run = 0
    for status in statuses:
        if status == engine.ABSENT_EXCUSED:
            run += 1
            best = max(best, run)
        elif status not in (engine.EXEMPT, engine.AWAY):
            run = 0
    return best


def _num(v: float) -> str:
    return f"{v:.1f}".replace(".", ",")


KIND_LABELS = dict(MeetingKind.choices)
STATUS_LABELS = dict(MeetingStatus.choices)
