"""Dashboards: scoped, fixed query count, Excel export, and the demo province's figures equal
figures computed independently from the raw records (attendance rows, score sheets, step times)."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from chibo.meetings.models import (
    Attendance,
    Meeting,
    MeetingStatus,
    ScoreColumn,
    ScoreSheet,
    Task,
    TaskStatus,
)
from chibo.organisations import services as org_services
from chibo.organisations.models import Organisation, OrgKind
from chibo.oversight import dashboard
from chibo.oversight.tests.helpers import approved, past
from chibo.rules import loader
from conftest import add_member, client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "where", "status"),
    [
        ("officer", "an_binh", 200),
        ("officer", "cell1", 200),
        ("admin", "province", 200),
        ("officer_other", "an_binh", 404),
        ("officer_other", "cell1", 404),
        ("secretary", "an_binh", 404),
        ("secretary", "cell1", 200),
        ("member_other", "cell1", 404),
    ],
)
def test_dashboard_access(client, world, persona, where, status):
    r = client_for(client, getattr(world, persona)).get(f"/cap-tren/tong-quan/{getattr(world, where).pk}/")
    assert r.status_code == status
    r = client_for(client, getattr(world, persona)).get(
        f"/cap-tren/tong-quan/{getattr(world, where).pk}/excel/"
    )
    assert r.status_code == status


def test_a_bad_period_says_so_in_vietnamese_and_shows_the_last_twelve_months(client, world):
    r = client_for(client, world.officer).get(
        f"/cap-tren/tong-quan/{world.an_binh.pk}/?tu=13/2026&den=02/2026"
    )
    assert r.status_code == 200 and "Tháng không hợp lệ: nhập theo dạng mm/yyyy" in r.content.decode()
    period, error = dashboard.parse_period("05/2026", "02/2026")
    assert error.startswith("Tháng bắt đầu phải trước") and period == dashboard.default_period()
    period, error = dashboard.parse_period("01/2020", "12/2026")
    assert "tối đa 36 tháng" in error
    assert dashboard.parse_period("03/2026", "05/2026") == (dashboard.Period((2026, 3), (2026, 5)), "")


def grow(world, n_cells: int) -> None:  # type: ignore[no-untyped-def]
    """More communes, cells, members and approved meetings under the province."""
    for i in range(n_cells):
        commune = org_services.create_organisation(
            actor=None, name=f"Đảng ủy xã Thêm {i}", kind=OrgKind.COMMUNE, parent=world.province
        )
        cell = org_services.create_organisation(
            actor=None, name=f"Chi bộ thêm {i}", kind=OrgKind.CELL, parent=commune
        )
        for given in ("An", "Bình", "Cường", "Dung"):
            add_member(cell, f"Nguyễn Văn {given} {'ABC'[i % 3]}")
        approved(cell, day=past(20 + i), upper={"order_content": 9, "criticism": 7})
        approved(cell, day=past(50 + i), minutes=70)


# Session, user with their role assignments (scope; accounts/backends.py), then the dashboard's own
# reads (see dashboard.py).
DASHBOARD_QUERIES = 12  # 13 before the roles were read with the user; was 10: the meetings read became cell-months, member-months, two short meeting lists
# Above commune level the one read of every cell-month became five small ones (the roll-up's months,
# the special cells' rows, one narrow row per cell, the children's sums, the shown cells' rows) and
# the overdue tasks are counted per cell beside the SHOWN oldest; then the memo's fingerprint (the
# subtree's organisations, the roll-up's stamps; the ancestors' organisations, none for a province):
# a fixed 20, whatever the size. While nothing below changed, the derived part comes from the process's memo:
# the fingerprint, the rulebooks, and the reads done on every call (meetings listed, tasks, visits,
# guidance).
PROVINCE_QUERIES = DASHBOARD_QUERIES + 7
PROVINCE_MEMO_QUERIES = 12
COMMUNE_QUERIES = DASHBOARD_QUERIES + 3  # + the fingerprint (subtree, ancestors, roll-up stamps)
COMMUNE_MEMO_QUERIES = 12


def test_the_dashboard_runs_a_fixed_number_of_queries_whatever_the_subtree_size(
    client, world, django_assert_num_queries
):
    approved(world.cell1, day=past(10))
    c = client_for(client, world.admin)
    c.get(f"/cap-tren/tong-quan/{world.an_binh.pk}/")  # warm the session
    dashboard.clear_memo()
    with django_assert_num_queries(PROVINCE_QUERIES):
        small = c.get(f"/cap-tren/tong-quan/{world.province.pk}/")
    with django_assert_num_queries(PROVINCE_MEMO_QUERIES):
        again = c.get(f"/cap-tren/tong-quan/{world.province.pk}/")
    assert _figures(again.context["board"]) == _figures(small.context["board"])
    grow(world, 3)  # new cells: the memo's fingerprint changes, the page is computed again
    with django_assert_num_queries(PROVINCE_QUERIES):
        large = c.get(f"/cap-tren/tong-quan/{world.province.pk}/")
    assert "Chi bộ thêm 2" in large.content.decode() and "Chi bộ thêm 2" not in small.content.decode()
    with django_assert_num_queries(PROVINCE_MEMO_QUERIES):
        c.get(f"/cap-tren/tong-quan/{world.province.pk}/")
    dashboard.clear_memo()
    with django_assert_num_queries(COMMUNE_QUERIES):
        c.get(f"/cap-tren/tong-quan/{world.an_binh.pk}/")
    with django_assert_num_queries(COMMUNE_MEMO_QUERIES):
        c.get(f"/cap-tren/tong-quan/{world.an_binh.pk}/")


def _figures(board: dashboard.Dashboard) -> tuple:  # type: ignore[type-arg]
    return (
        {k: (t.title, t.rows, t.links, t.note, t.total) for k, t in board.tables.items()},
        board.kpis,
        board.charts,
        board.children,
    )


def test_the_province_memo_never_serves_figures_a_write_below_has_changed(world, monkeypatch):
    """Every kind of write the derived part reads — a meeting approved (summaries), a cell renamed,
    founded, deactivated or moved to another commune (tree), a later rulebook — gives the page computed
    from scratch, never the remembered one."""
    period = dashboard.default_period()

    def fresh() -> tuple:  # type: ignore[type-arg]
        dashboard.clear_memo()
        return _figures(dashboard.build(world.province, period))

    def served() -> tuple:  # type: ignore[type-arg]
        return _figures(dashboard.build(world.province, period))

    approved(world.cell1, day=past(40))
    assert served() == fresh()  # computed and remembered
    steps = [
        lambda: approved(world.cell2, day=past(10), minutes=70),
        lambda: org_services.update_organisation(actor=world.admin, org=world.cell1, name="Chi bộ thôn Một"),
        lambda: org_services.move_organisation(actor=world.admin, org=world.cell1, new_parent=world.hoa_lac),
        lambda: org_services.create_organisation(
            actor=None, name="Chi bộ mới lập", kind=OrgKind.CELL, parent=world.hoa_lac
        ),
    ]
    # the Excel export (every row) is not the page's cut version remembered a moment ago
    monkeypatch.setattr(dashboard, "SHOWN", 1)  # the page cuts every list to one row
    cut = dashboard.build(world.province, period)
    full = dashboard.build(world.province, period, detail=True)
    assert "chi bộ khác" in str(cut.tables["held"].rows) and "chi bộ khác" not in str(full.tables["held"].rows)
    dashboard.clear_memo()
    assert _figures(full) == _figures(dashboard.build(world.province, period, detail=True))
    monkeypatch.undo()
    for step in steps:
        before = served()
        assert served() == before  # unchanged: the memo
        step()
        after = served()
        assert after == fresh(), step
        assert after != before, step
    assert "Chi bộ thôn Một" in str(served())


def test_every_table_exports_to_excel_with_the_same_figures(client, world):
    approved(world.cell1, day=past(10), minutes=70)
    c = client_for(client, world.officer)
    board = dashboard.build(world.an_binh, dashboard.default_period())
    r = c.get(f"/cap-tren/tong-quan/{world.an_binh.pk}/excel/")
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    assert wb.sheetnames == list(board.tables)
    short = wb["short"]
    assert [c.value for c in short[2]] == board.tables["short"].headers
    assert short.cell(3, 1).value == "Chi bộ thôn 1" and short.cell(3, 4).value == 70
    one = c.get(f"/cap-tren/tong-quan/{world.an_binh.pk}/excel/?bang=grades")
    assert load_workbook(io.BytesIO(b"".join(one.streaming_content))).sheetnames == ["grades"]
    assert c.get(f"/cap-tren/tong-quan/{world.an_binh.pk}/excel/?bang=khong-co").status_code == 404


def test_drill_down_links_go_from_commune_to_cell_to_meeting(client, world):
    m = approved(world.cell1, day=past(10))
    c = client_for(client, world.officer)
    page = c.get(f"/cap-tren/tong-quan/{world.an_binh.pk}/").content.decode()
    assert f'href="/cap-tren/tong-quan/{world.cell1.pk}/?' in page
    page = c.get(f"/cap-tren/tong-quan/{world.cell1.pk}/").content.decode()
    assert f'href="/sinh-hoat/{m.pk}/"' in page
    assert f'<a href="/sinh-hoat/{m.pk}/"><rect' in page  # the heat map square opens the meeting too


# --- the demo province, against the raw records -------------------------------------------
def independent(org: Organisation, period: dashboard.Period) -> dict:  # type: ignore[type-arg]
    today = timezone.localdate()
    cells = list(Organisation.objects.filter(path__startswith=org.path, kind__in=["chi_bo", "chi_bo_co_so"]))
    ms = list(
        Meeting.objects.filter(
            organisation__in=cells, scheduled_at__gte=period.start, scheduled_at__lt=period.end
        )
    )
    approved_ms = [m for m in ms if m.status == MeetingStatus.APPROVED]
    book = loader.get(None)
    out: dict = {}  # type: ignore[type-arg]
    # held regular (or combined) meetings per month, at most one per cell
    held = Counter()
    for cell in cells:
        for y, mo in period.months:
            if any(
                m.organisation_id == cell.pk
                and m.kind in ("regular", "combined")
                and m.status != "planned"
                and m.status != "published"
                and timezone.localtime(m.scheduled_at).month == mo
                and timezone.localtime(m.scheduled_at).year == y
                for m in ms
            ):
                held[(y, mo)] += 1
    out["held"] = [held[ym] for ym in period.months]
    # thematic (or combined) meetings held per quarter touched by the period, whole quarters
    thematic = Counter()
    quarter_ms = Meeting.objects.filter(
        organisation__in=cells,
        kind__in=["thematic", "combined"],
        status__in=["in_progress", "closed", "approved"],
    )
    for cell in cells:
        for y, q in period.quarters:
            if any(
                m.organisation_id == cell.pk
                and (
                    timezone.localtime(m.scheduled_at).year,
                    (timezone.localtime(m.scheduled_at).month - 1) // 3 + 1,
                )
                == (y, q)
                for m in quarter_ms
            ):
                thematic[(y, q)] += 1
    out["thematic"] = [thematic[yq] for yq in period.quarters]
    # attendance rate per approved meeting from attendance rows (exempt, special duty and away are not expected)
    edges = list(book.oversight.attendance_buckets)
    buckets = Counter()
    for m in approved_ms:
        rows = list(Attendance.objects.filter(meeting=m))
        base = [
            a
            for a in rows
            if not (a.is_exempt or a.status == "exempt" or a.special_duty or a.is_away or a.status == "away")
        ]
        present = sum(a.status == "present" for a in base)
        rate = present * 100 / len(base)
        buckets[sum(1 for e in edges if rate >= e)] += 1
    out["attendance"] = [buckets[i] for i in range(len(edges) + 1)]
    # grades from the cell's score sheet
    sheets = {
        s.meeting_id: s for s in ScoreSheet.objects.filter(meeting__in=approved_ms, column=ScoreColumn.CELL)
    }
    grades = Counter(sheets[m.pk].grade for m in approved_ms)
    out["grades"] = [grades[b.grade] for b in book.scorecard.bands]
    # under the minimum duration: first step start to last step end
    short = 0
    for m in approved_ms:
        items = list(m.items.all())
        minutes = int(
            (
                max(i.ended_at for i in items if i.ended_at)
                - min(i.started_at for i in items if i.started_at)
            ).total_seconds()
            // 60
        )
        if minutes < book.duration.minimum_for(m.kind):
            short += 1
    out["short"] = short
    # documents published less than a day before (or never)
    out["late_docs"] = sum(
        1
        for m in approved_ms
        if not m.documents.exists()
        or m.published_at is None
        or m.published_at > m.scheduled_at - dt.timedelta(days=book.documents.publish_days_before)
    )
    # members: unexcused count and the longest excused run within a calendar year
    statuses: dict[tuple[int, int], list[str]] = defaultdict(list)
    unexcused = Counter()
    for a in (
        Attendance.objects.filter(meeting__in=approved_ms)
        .select_related("meeting", "member")
        .order_by("meeting__scheduled_at", "meeting_id")
    ):
        statuses[(a.member_id, timezone.localtime(a.meeting.scheduled_at).year)].append(a.status)
        if a.status == "absent_unexcused":
            unexcused[a.member.full_name] += 1
    longest: Counter = Counter()
    names = {
        a.member_id: a.member.full_name
        for a in Attendance.objects.filter(meeting__in=approved_ms).select_related("member")
    }
    for (member_id, _), seq in statuses.items():
        run = best = 0
        for s in seq:
            if s == "absent_excused":
                run += 1
            elif s not in ("exempt", "away"):
                run = 0
            best = max(best, run)
        longest[names[member_id]] = max(longest[names[member_id]], best)
    out["unexcused"] = {k: v for k, v in unexcused.items() if v}
    out["over_run"] = sorted(k for k, v in longest.items() if v > book.attendance.max_consecutive_excused)
    out["overdue"] = Task.objects.filter(
        organisation__in=cells, status=TaskStatus.OPEN, due_date__lt=today
    ).count()
    # points lost per group, cell column
    lost: dict[str, Counter] = defaultdict(Counter)
    n: Counter = Counter()
    crit = {c.code: c for v in book.scorecard.variants.values() for c in v}
    for m in approved_ms:
        n[m.organisation.name] += 1
        for code, value in sheets[m.pk].entries.items():
            lost[m.organisation.name][crit[code].group] += crit[code].points - value
    out["lost"] = {
        name: [n[name]] + [round(lost[name][g] / n[name], 1) for g in dashboard.GROUPS] for name in n
    }
    return out


def test_demo_province_figures_equal_an_independent_count_from_raw_records(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    period = dashboard.default_period()
    for code in ("DEMO", "DEMO-AB", "DEMO-HL"):
        org = Organisation.objects.get(code=code)
        board = dashboard.build(org, period)
        want = independent(org, period)
        t = board.tables
        assert [row[2] for row in t["held"].rows] == want["held"], code
        assert [row[1] for row in t["attendance"].rows] == want["attendance"], code
        assert [row[2] for row in t["thematic"].rows] == want["thematic"], code
        assert [row[1] for row in t["grades"].rows] == want["grades"], code
        assert len(t["short"].rows) == want["short"], code
        assert len(t["late_docs"].rows) == want["late_docs"], code
        assert {r[0]: r[2] for r in t["members"].rows if r[2]} == want["unexcused"], code
        assert sorted(r[0] for r in t["members"].rows if r[4] != "Không") == want["over_run"], code
        assert len(t["tasks"].rows) == want["overdue"], code
        assert {row[0]: row[1:] for row in t["weakness"].rows} == want["lost"], code
    # The demo's story is visible: the 75-minute meeting and the member excused four times in a row.
    board = dashboard.build(Organisation.objects.get(code="DEMO-AB"), period)
    assert any(r[3] == 75 for r in board.tables["short"].rows)
    assert any(r[4].startswith("Có") for r in board.tables["members"].rows)


@pytest.mark.parametrize("page", ["du-sinh-hoat", "cham-cheo", "dinh-huong"])
def test_committee_list_pages_do_not_grow_with_their_rows(client, world, django_assert_num_queries, page):
    from chibo.oversight import services

    def add_rows(month: int) -> None:
        for cell in (world.cell1, world.cell2):
            services.assign_officer(
                actor=None, committee=world.an_binh, officer=world.officer, cell=cell, year=2026, month=month
            )
        services.pair_cells(
            actor=None,
            committee=world.an_binh,
            year=2026,
            month=month,
            scorer_cell=world.cell1,
            scored_cell=world.cell2,
        )
        g = services.create_guidance(
            actor=None, committee=world.an_binh, year=2026, month=month, title=f"Định hướng {month}"
        )
        services.add_guidance_item(actor=None, guidance=g, title="Nội dung")

    c = client_for(client, world.officer)
    url = f"/cap-tren/{page}/{world.an_binh.pk}/?nam=2026"
    add_rows(1)
    c.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        c.get(url)
    for month in range(2, 7):
        add_rows(month)
    with django_assert_num_queries(len(few.captured_queries)):
        assert c.get(url).status_code == 200


@pytest.mark.parametrize(
    ("persona", "status"), [("officer", 200), ("officer_other", 404), ("member_other", 404)]
)
def test_the_dashboard_json_has_the_same_tables(client, world, persona, status):
    from chibo.accounts.models import ApiToken

    approved(world.cell1, day=past(10))
    token = ApiToken.issue(getattr(world, persona))[1]
    r = client.get(f"/api/v1/oversight/dashboard/{world.an_binh.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == status
    if status == 200:
        data = r.json()
        board = dashboard.build(world.an_binh, dashboard.default_period())
        assert [t["key"] for t in data["tables"]] == list(board.tables)
        held = next(t for t in data["tables"] if t["key"] == "grades")
        assert held["rows"] == [list(row) for row in board.tables["grades"].rows]
        bad = client.get(
            f"/api/v1/oversight/dashboard/{world.an_binh.pk}?tu=13/2026", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert bad.status_code == 422 and "Tháng không hợp lệ" in bad.json()["detail"]
