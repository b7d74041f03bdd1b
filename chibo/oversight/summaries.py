"""Pre-aggregated dashboard figures: one CellMonth per cell and local month with held meetings, one
MemberMonth per member and month in which the member was absent from a cell's approved meetings.

Written by `refresh_for(meeting)` in the transaction that starts or approves a meeting (the only
moments a meeting's figures change: it becomes held, or its fig_* and snapshot are frozen), and
re-derivable from the meetings by `rebuild()` (`manage.py rebuild_summaries`, idempotent). A
CellMonth is a pure function of its cell-month's meetings (`figures_of`), the MemberMonths of a
cell-year of that cell-year's meetings (`member_rows`), so refreshing and rebuilding give identical
rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chibo.meetings.models import Meeting, MeetingKind, MeetingStatus
from chibo.organisations.models import Organisation
from chibo.oversight.models import CellMonth, MemberMonth, OrgMonth, new_stamp
from chibo.rules import engine, loader

HELD = (MeetingStatus.IN_PROGRESS, MeetingStatus.CLOSED, MeetingStatus.APPROVED)
REGULAR = (MeetingKind.REGULAR, MeetingKind.COMBINED)
THEMATIC = (MeetingKind.THEMATIC, MeetingKind.COMBINED)
GROUPS = ("preparation", "participation", "chairing", "content", "follow_up")
# the summable figures of CellMonth and OrgMonth (models.MonthFigures)
SUMS = (
    "held",
    "held_regular",
    "held_thematic",
    "approved",
    "base",
    "present",
    "score_sum",
    "score_n",
    "breaches",
    "scored",
    *(f"lost_{g}" for g in GROUPS),
)
FIELDS = (
    "id",
    "organisation_id",
    "kind",
    "status",
    "scheduled_at",
    "fig_base",
    "fig_present",
    "fig_score",
    "fig_grade",
    "fig_breaches",
    "snapshot",
    "rulebook_code",
    "rulebook_version",
)


class Criteria:
    """Criterion code -> (group, points) of the rulebook version that judged a meeting (cached)."""

    def __init__(self) -> None:
        self.books = loader.load_all()
        self.cache: dict[tuple[str, int | None, str], dict[str, tuple[str, int]]] = {}

    def of(self, m: dict[str, Any]) -> dict[str, tuple[str, int]]:
        key = (m["rulebook_code"], m["rulebook_version"], m["kind"])
        if key not in self.cache:
            book = self.books.get(m["rulebook_code"])
            if book is None or book.version != m["rulebook_version"]:  # an older version: the stored text
                book = loader.get(m["rulebook_code"] or None, m["rulebook_version"])
            crit = {c.code: (c.group, c.points) for c in book.scorecard.criteria_for(m["kind"])}
            crit.update({c.code: (c.group, c.points) for v in book.scorecard.variants.values() for c in v})
            self.cache[key] = crit
        return self.cache[key]


def segment(statuses: list[str]) -> tuple[int, int, int, bool]:
    """(leading, trailing, longest excused run, unbroken) of one month's statuses, oldest first."""
    lead = run = best = 0
    unbroken = True
    for status in statuses:
        if status == engine.ABSENT_EXCUSED:
            run += 1
            best = max(best, run)
            if unbroken:
                lead += 1
        elif status not in (engine.EXEMPT, engine.AWAY):
            run = 0
            unbroken = False
    return lead, run, best, unbroken


def join(a: tuple[int, int, int, bool], b: tuple[int, int, int, bool]) -> tuple[int, int, int, bool]:
    """Two consecutive segments as one (associative; (0, 0, 0, True) is the identity)."""
    return (
        a[0] + b[0] if a[3] else a[0],
        a[1] + b[1] if b[3] else b[1],
        max(a[2], b[2], a[1] + b[0]),
        a[3] and b[3],
    )


def figures_of(
    cell_id: int,
    year: int,
    month: int,
    meetings: list[dict[str, Any]],
    criteria: Criteria,
    thematic_before: int = 0,
) -> CellMonth | None:
    """The cell-month row from the cell's meetings of the month (ordered by scheduled_at, id);
    THEMATIC_BEFORE: thematic meetings the cell held in the quarter's earlier months."""
    held = [m for m in meetings if m["status"] in HELD]
    if not held:
        return None
    row = CellMonth(
        organisation_id=cell_id,
        year=year,
        month=month,
        ym=year * 100 + month,
        thematic_before=thematic_before,
    )
    grades: Counter[str] = Counter()
    rates: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    lost = dict.fromkeys(GROUPS, 0)
    for m in held:
        row.held += 1
        if m["kind"] in REGULAR:
            row.held_regular += 1
            row.last_regular = m["id"]
            row.last_regular_status = m["status"]
            row.last_regular_grade = (m["fig_grade"] or "") if m["status"] == MeetingStatus.APPROVED else ""
            row.last_regular_score = m["fig_score"] if m["status"] == MeetingStatus.APPROVED else None
        if m["kind"] in THEMATIC:
            row.held_thematic += 1
        if m["status"] != MeetingStatus.APPROVED:
            continue
        snap = m["snapshot"] or {}
        row.approved += 1
        row.base += m["fig_base"] or 0
        row.present += m["fig_present"] or 0
        if m["fig_base"]:
            rates[str((m["fig_present"] or 0) * 100 // m["fig_base"])] += 1
        if m["fig_score"] is not None:
            row.score_sum += m["fig_score"]
            row.score_n += 1
        if m["fig_grade"]:
            grades[m["fig_grade"]] += 1
        row.breaches += m["fig_breaches"] or 0
        for code in {b["code"] for b in snap.get("breaches", [])}:
            codes[code] += 1
        sheet = (snap.get("scores") or {}).get("cell")
        if sheet:
            row.scored += 1
            crit = criteria.of(m)
            for code, value in sheet["entries"].items():
                if code in crit:
                    group, points = crit[code]
                    lost[group] += points - value
    for g in GROUPS:
        setattr(row, f"lost_{g}", lost[g])
    row.counts = {
        "grades": dict(sorted(grades.items())),
        "rates": dict(sorted(rates.items())),
        "breaches": dict(sorted(codes.items())),
    }
    return row


def member_rows(cell_id: int, year: int, meetings: list[dict[str, Any]]) -> list[MemberMonth]:
    """The member-month rows of one cell-year from its meetings (ordered by scheduled_at, id): a row
    for each month in which the member was absent (with or without reason)."""
    statuses: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    names: dict[int, str] = {}
    tz = timezone.get_current_timezone()
    for m in meetings:
        if m["status"] != MeetingStatus.APPROVED:
            continue
        month = m["scheduled_at"].astimezone(tz).month
        for a in (m["snapshot"] or {}).get("attendance", []):
            statuses[a["member_id"]][month].append(a["status"])
            names[a["member_id"]] = a["name"]
    rows = []
    for member_id in sorted(statuses):
        written = broken = False  # a row written before; a run broken since it
        carry = 0  # the excused run still open at the end of the last row written
        for month, sts in sorted(statuses[member_id].items()):
            lead, trail, best, unbroken = segment(sts)
            unexcused = sts.count(engine.ABSENT_UNEXCUSED)
            if best or unexcused:
                incoming = carry if written and not broken else 0
                carry = incoming + lead if unbroken else trail
                rows.append(
                    MemberMonth(
                        cell_id=cell_id,
                        member_id=member_id,
                        name=names[member_id],
                        year=year,
                        month=month,
                        ym=year * 100 + month,
                        unexcused=unexcused,
                        lead=lead,
                        trail=trail,
                        best=best,
                        unbroken=unbroken,
                        joined=written and not broken,
                        run=max(best, incoming + lead),
                    )
                )
                written, broken = True, False
            elif not unbroken:
                broken = True
    return rows


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.datetime(year, month, 1, tzinfo=tz), dt.datetime(ny, nm, 1, tzinfo=tz)


# --- the roll-up: OrgMonth = the CellMonth rows of every cell below an organisation, summed ---------
Contribution = dict[str, Any]  # SUMS, CELLS and "counts" of one or more cell-months
CELLS = ("cells_regular", "cells_thematic")
COUNTS = ("grades", "rates", "breaches")


def contribution(row: dict[str, Any]) -> Contribution:
    """What one cell-month row (a dict with SUMS, counts, thematic_before) adds to its ancestors'
    OrgMonth rows: its sums and counts, whether it held a regular meeting, and whether it held its
    quarter's first thematic meeting (so a dashboard counts cells meeting the rulebook without reading
    one row per cell)."""
    c: Contribution = {f: row[f] for f in SUMS}
    c["cells_regular"] = 1 if row["held_regular"] else 0
    c["cells_thematic"] = 1 if row["held_thematic"] and not row["thematic_before"] else 0
    c["counts"] = {k: dict((row["counts"] or {}).get(k, {})) for k in COUNTS}
    return c


def add(into: Contribution, c: Contribution, sign: int = 1) -> Contribution:
    """INTO += SIGN * C (zero entries dropped from the histograms)."""
    for f in (*SUMS, *CELLS):
        into[f] = into.get(f, 0) + sign * c[f]
    counts = into.setdefault("counts", {})
    for key, hist in c["counts"].items():
        target = counts.setdefault(key, {})
        for k, n in hist.items():
            v = target.get(k, 0) + sign * n
            if v:
                target[k] = v
            else:
                target.pop(k, None)
    return into


ROW_FIELDS = (*SUMS, "counts", "thematic_before")


def _row_dict(row: CellMonth) -> dict[str, Any]:
    return {f: getattr(row, f) for f in ROW_FIELDS}


def _sorted_counts(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {k: dict(sorted(counts.get(k, {}).items())) for k in COUNTS}


def _apply(org_ids: Iterable[int], deltas: dict[int, Contribution], sign: int = 1) -> None:
    """Add SIGN * DELTAS (ym -> contribution) to the OrgMonth rows of ORG_IDS, creating and deleting
    rows as needed (a row exists while some cell below held a meeting that month). Rows are locked
    in (organisation, ym) order, so concurrent writers queue instead of losing an update."""
    ids, yms = sorted(set(org_ids)), sorted(deltas)
    if not ids or not yms:
        return
    OrgMonth.objects.bulk_create(
        [OrgMonth(organisation_id=i, ym=ym, year=ym // 100, month=ym % 100) for i in ids for ym in yms],
        ignore_conflicts=True,
    )
    rows = list(
        OrgMonth.objects.select_for_update()
        .filter(organisation_id__in=ids, ym__in=yms)
        .order_by("organisation_id", "ym")
    )
    changed, empty = [], []
    for row in rows:
        acc = add(_row_dict_rollup(row), deltas[row.ym], sign)
        if acc["held"] <= 0:
            empty.append(row.pk)
            continue
        for f in (*SUMS, *CELLS):
            setattr(row, f, acc[f])
        row.counts = _sorted_counts(acc["counts"])
        row.stamp = new_stamp()  # even when the sums did not move: rows below changed
        changed.append(row)
    OrgMonth.objects.bulk_update(changed, [*SUMS, *CELLS, "counts", "stamp"])
    OrgMonth.objects.filter(pk__in=empty).delete()


def _row_dict_rollup(row: OrgMonth) -> Contribution:
    c: Contribution = {f: getattr(row, f) for f in (*SUMS, *CELLS)}
    c["counts"] = {k: dict(v) for k, v in (row.counts or {}).items()}
    return c


def ancestors(path: str) -> list[int]:
    """The ids above the last one of a materialised path ('/1/7/42/' -> [1, 7])."""
    return [int(p) for p in path.strip("/").split("/")[:-1] if p]


def refresh(cell_id: int, year: int, month: int, criteria: Criteria | None = None) -> None:
    """Recompute one cell-month's row (and the later months of its quarter, whose thematic_before
    depends on it), the member rows of its cell-year (a month's absences link to the next month's)
    and the ancestors' OrgMonth rows, from the meetings (call inside the writing transaction)."""
    cell = Organisation.objects.select_for_update().only("id", "path").get(pk=cell_id)  # one writer per cell
    year_start, year_end = month_bounds(year, 1)[0], month_bounds(year, 12)[1]
    meetings = list(
        Meeting.objects.filter(
            organisation_id=cell_id, scheduled_at__gte=year_start, scheduled_at__lt=year_end, status__in=HELD
        )
        .order_by("scheduled_at", "id")
        .values(*FIELDS)
    )
    tz = timezone.get_current_timezone()
    q_first = (month - 1) // 3 * 3 + 1
    by_month: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for m in meetings:
        by_month[m["scheduled_at"].astimezone(tz).month].append(m)
    criteria = criteria or Criteria()
    new: dict[int, CellMonth] = {}
    before = 0
    for mm in range(q_first, q_first + 3):
        row = figures_of(cell_id, year, mm, by_month.get(mm, []), criteria, before)
        if row is not None:
            before += row.held_thematic
            if mm >= month:
                new[row.ym] = row
    yms = [year * 100 + mm for mm in range(month, q_first + 3)]
    old = {r.ym: r for r in CellMonth.objects.filter(organisation_id=cell_id, ym__in=yms)}
    deltas: dict[int, Contribution] = {}
    for ym in yms:
        d: Contribution = {}
        if ym in old:
            add(d, contribution(_row_dict(old[ym])), -1)
        if ym in new:
            add(d, contribution(_row_dict(new[ym])))
        if ym in old or ym in new:
            deltas[ym] = d
    CellMonth.objects.filter(organisation_id=cell_id, ym__in=yms).delete()
    MemberMonth.objects.filter(cell_id=cell_id, year=year).delete()
    CellMonth.objects.bulk_create(new.values())
    MemberMonth.objects.bulk_create(member_rows(cell_id, year, meetings))
    _apply(ancestors(cell.path), deltas)


def refresh_for(meeting: Meeting) -> None:
    """The hook meeting services call after a meeting becomes held or approved."""
    local = timezone.localtime(meeting.scheduled_at)
    refresh(meeting.organisation_id, local.year, local.month)


def moved(old_path: str, new_path: str) -> None:
    """After a subtree moved from OLD_PATH to NEW_PATH (organisations.services.move_organisation):
    take its cell-months out of the old ancestors' OrgMonth rows and add them to the new ones'."""
    old_up, new_up = set(ancestors(old_path)), set(ancestors(new_path))
    if old_up == new_up:
        return
    deltas: dict[int, Contribution] = {}
    for row in CellMonth.objects.filter(organisation__path__startswith=new_path).values("ym", *ROW_FIELDS):
        add(deltas.setdefault(row["ym"], {}), contribution(row))
    _apply(old_up - new_up, deltas, -1)
    _apply(new_up - old_up, deltas)


def rebuild_rollup(path: str = "") -> int:
    """Delete and re-derive the OrgMonth rows of the organisations above PATH's cells (every
    organisation in PATH's subtree and PATH's ancestors; all of them without PATH) from CellMonth."""
    root = f"/{path.strip('/').split('/')[0]}/" if path else ""
    up = set(ancestors(path)) if path else set()

    def affected(prefix: str, pk: int) -> bool:
        return not path or prefix.startswith(path) or pk in up

    acc: dict[tuple[int, int], Contribution] = {}
    rows = CellMonth.objects.filter(organisation__path__startswith=root).values(
        "organisation__path", "ym", *ROW_FIELDS
    )
    for row in rows.iterator(chunk_size=5000):
        c = contribution(row)
        parts = row["organisation__path"].strip("/").split("/")
        for k in range(len(parts) - 1):
            pk = int(parts[k])
            if affected("/" + "/".join(parts[: k + 1]) + "/", pk):
                add(acc.setdefault((pk, row["ym"]), {}), c)
    stale = OrgMonth.objects.all()
    if path:
        stale = stale.filter(Q(organisation__path__startswith=path) | Q(organisation_id__in=up))
    stale.delete()
    out = []
    for (pk, ym), c in sorted(acc.items()):
        if c["held"] > 0:
            row = OrgMonth(organisation_id=pk, ym=ym, year=ym // 100, month=ym % 100)
            for f in (*SUMS, *CELLS):
                setattr(row, f, c[f])
            row.counts = _sorted_counts(c["counts"])
            out.append(row)
    OrgMonth.objects.bulk_create(out, batch_size=2000)
    return len(out)


def _groups(rows: Iterable[dict[str, Any]]) -> Iterable[tuple[tuple[int, int], list[dict[str, Any]]]]:
    """Meetings ordered by (organisation, scheduled_at) grouped by (organisation, local year)."""
    key: tuple[int, int] | None = None
    bucket: list[dict[str, Any]] = []
    tz = timezone.get_current_timezone()
    for m in rows:
        k = (m["organisation_id"], m["scheduled_at"].astimezone(tz).year)
        if k != key and bucket:
            yield key, bucket  # type: ignore[misc]
            bucket = []
        key = k
        bucket.append(m)
    if bucket:
        yield key, bucket  # type: ignore[misc]


@transaction.atomic
def rebuild(path: str = "", batch: int = 2000) -> tuple[int, int]:
    """Delete and re-derive every summary row (under the organisation path PATH if given) from the
    meetings, then the roll-up above them; returns (cell-months, member-months) written."""
    cells = CellMonth.objects.all()
    members = MemberMonth.objects.all()
    meetings = Meeting.objects.filter(status__in=HELD)
    if path:
        cells = cells.filter(organisation__path__startswith=path)
        members = members.filter(cell__path__startswith=path)
        meetings = meetings.filter(organisation__path__startswith=path)
    cells.delete()
    members.delete()
    criteria = Criteria()
    tz = timezone.get_current_timezone()
    n_cells = n_members = 0
    cell_rows: list[CellMonth] = []
    member_rows_: list[MemberMonth] = []
    ordered = meetings.order_by("organisation_id", "scheduled_at", "id").values(*FIELDS)
    for (cell_id, year), ms in _groups(ordered.iterator(chunk_size=batch)):
        by_month: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for m in ms:
            by_month[m["scheduled_at"].astimezone(tz).month].append(m)
        before = 0
        for month in range(1, 13):
            if month % 3 == 1:
                before = 0
            row = figures_of(cell_id, year, month, by_month.get(month, []), criteria, before)
            if row is not None:
                before += row.held_thematic
                cell_rows.append(row)
        member_rows_.extend(member_rows(cell_id, year, ms))
        if len(member_rows_) >= batch or len(cell_rows) >= batch:
            CellMonth.objects.bulk_create(cell_rows, batch_size=batch)
            MemberMonth.objects.bulk_create(member_rows_, batch_size=batch)
            n_cells, n_members = n_cells + len(cell_rows), n_members + len(member_rows_)
            cell_rows, member_rows_ = [], []
    CellMonth.objects.bulk_create(cell_rows, batch_size=batch)
    MemberMonth.objects.bulk_create(member_rows_, batch_size=batch)
    rebuild_rollup(path)
    return n_cells + len(cell_rows), n_members + len(member_rows_)


def fill_from_rows(
    cell_model: Any = CellMonth, member_model: Any = MemberMonth, org_model: Any = OrgMonth
) -> None:
    """Derive what came with the roll-up from the rows already there, without reading meetings (the
    upgrade path: migration oversight 0003): CellMonth.thematic_before, MemberMonth.run and every
    OrgMonth row — the same values a rebuild gives (tests/test_summaries.py)."""
    from django.db import connection

    updates: list[tuple[int, int]] = []
    key, before = None, 0
    rows = cell_model.objects.order_by("organisation_id", "ym").values_list(
        "id", "organisation_id", "year", "month", "held_thematic"
    )
    for pk, org_id, year, month, thematic in rows.iterator(chunk_size=5000):
        k = (org_id, year, (month - 1) // 3)
        if k != key:
            key, before = k, 0
        if before:
            updates.append((before, pk))
        before += thematic
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {cell_model._meta.db_table} SET thematic_before = %s WHERE id = %s", updates
        )
    updates = []
    key, carry = None, 0
    rows = member_model.objects.order_by("cell_id", "member_id", "year", "ym").values_list(
        "id", "cell_id", "member_id", "year", "lead", "trail", "best", "unbroken", "joined"
    )
    for pk, cell_id, member_id, year, lead, trail, best, unbroken, joined in rows.iterator(chunk_size=5000):
        if (cell_id, member_id, year) != key:
            key, carry = (cell_id, member_id, year), 0
        incoming = carry if joined else 0
        carry = incoming + lead if unbroken else trail
        run = max(best, incoming + lead)
        if run:
            updates.append((run, pk))
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {member_model._meta.db_table} SET run = %s WHERE id = %s", updates)
    acc: dict[tuple[int, int], Contribution] = {}
    cells = cell_model.objects.values("organisation__path", "ym", *ROW_FIELDS)
    for row in cells.iterator(chunk_size=5000):
        c = contribution(row)
        for pk in ancestors(row["organisation__path"]):
            add(acc.setdefault((pk, row["ym"]), {}), c)
    org_model.objects.all().delete()
    out = []
    for (pk, ym), c in sorted(acc.items()):
        if c["held"] > 0:
            row = org_model(
                organisation_id=pk, ym=ym, year=ym // 100, month=ym % 100, counts=_sorted_counts(c["counts"])
            )
            for f in (*SUMS, *CELLS):
                setattr(row, f, c[f])
            out.append(row)
    org_model.objects.bulk_create(out, batch_size=2000)
