"""The dashboards' pre-aggregated figures: written when a meeting starts and is approved, identical
to a rebuild from the meetings, and the founding month of a cell."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from chibo.meetings.models import AttendanceStatus, Meeting
from chibo.organisations.models import Organisation
from chibo.oversight import dashboard, summaries
from chibo.oversight.models import CellMonth, MemberMonth, OrgMonth
from chibo.oversight.tests.helpers import approved, past, running
from chibo.rules import engine
from conftest import add_member, client_for

pytestmark = pytest.mark.django_db


def rows() -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    def strip(d: dict) -> dict:  # type: ignore[type-arg]
        d.pop("id")
        return d

    return (
        [strip(r) for r in CellMonth.objects.order_by("organisation_id", "ym").values()],
        [strip(r) for r in MemberMonth.objects.order_by("cell_id", "member_id", "ym").values()],
    )


def test_starting_and_approving_a_meeting_update_its_cell_month(world):
    m = running(world.cell1, day=past(3), statuses={"Nguyễn Văn Hùng": AttendanceStatus.ABSENT_UNEXCUSED})
    local = timezone.localtime(m.scheduled_at)
    row = CellMonth.objects.get(organisation=world.cell1, ym=local.year * 100 + local.month)
    assert (row.held, row.held_regular, row.approved, row.last_regular_status) == (1, 1, 0, "in_progress")
    assert not MemberMonth.objects.exists()  # members' figures come from approved meetings only

    from chibo.oversight.tests.helpers import finish

    m = finish(m)
    m = Meeting.objects.get(pk=m.pk)
    row = CellMonth.objects.get(organisation=world.cell1, ym=local.year * 100 + local.month)  # rewritten
    assert (row.held, row.approved, row.base, row.present) == (1, 1, m.fig_base, m.fig_present)
    assert (row.score_sum, row.score_n, row.counts["grades"]) == (m.fig_score, 1, {m.fig_grade: 1})
    assert row.breaches == m.fig_breaches and row.last_regular == m.pk
    hung = MemberMonth.objects.get(cell=world.cell1, name="Nguyễn Văn Hùng")
    assert hung.unexcused == 1 and hung.best == 0 and not hung.unbroken


def test_rebuild_summaries_gives_the_same_rows_and_is_idempotent(world):
    approved(world.cell1, day=past(10), minutes=70, upper={"order_content": 9, "criticism": 7})
    approved(world.cell1, day=past(40), statuses={"Nguyễn Văn Hùng": AttendanceStatus.ABSENT_EXCUSED})
    approved(world.cell2, day=past(70))
    running(world.cell2, day=past(2))
    written = rows()
    assert len(written[0]) >= 3 and written[1]
    out = io.StringIO()
    call_command("rebuild_summaries", stdout=out)
    assert "Đã tính lại" in out.getvalue()
    assert rows() == written
    CellMonth.objects.all().delete()
    MemberMonth.objects.all().delete()
    summaries.rebuild(world.an_binh.path)
    assert rows() == written
    summaries.rebuild()
    assert rows() == written


def test_member_month_segments_join_to_the_longest_run_of_the_whole_history():
    rng = random.Random(7)
    choices = [
        engine.ABSENT_EXCUSED,
        engine.ABSENT_EXCUSED,
        engine.EXEMPT,
        engine.AWAY,
        "present",
        engine.ABSENT_UNEXCUSED,
    ]
    for _ in range(500):
        months = [[rng.choice(choices) for _ in range(rng.randint(0, 3))] for _ in range(rng.randint(1, 6))]
        joined = (0, 0, 0, True)
        for statuses in months:
            joined = summaries.join(joined, summaries.segment(statuses))
        assert joined[2] == dashboard.longest_excused_run([s for m in months for s in m]), months


def test_member_rows_are_written_for_months_with_absences_and_say_whether_a_run_was_broken():
    def meeting(pk: int, month: int, status: str) -> dict:  # type: ignore[type-arg]
        when = dt.datetime(2026, month, 10, 19, tzinfo=timezone.get_current_timezone())
        return {
            "id": pk,
            "status": "approved",
            "scheduled_at": when,
            "snapshot": {"attendance": [{"member_id": 7, "name": "Lê Thị Hoa", "status": status}]},
        }

    excused, present, away = engine.ABSENT_EXCUSED, engine.PRESENT, engine.AWAY
    # Jan excused, Feb no meeting, Mar away, Apr excused (one run of 2); May present; Jun excused
    ms = [
        meeting(1, 1, excused),
        meeting(2, 3, away),
        meeting(3, 4, excused),
        meeting(4, 5, present),
        meeting(5, 6, excused),
    ]
    rows = summaries.member_rows(9, 2026, ms)
    assert [(r.month, r.joined, r.best) for r in rows] == [(1, False, 1), (4, True, 1), (6, False, 1)]


def test_a_cell_is_expected_to_meet_only_from_its_founding_month(world):
    today = timezone.localdate()
    period = dashboard.default_period(today)
    months = period.months
    founding = months[6]  # the seventh month of the period
    Organisation.objects.filter(pk=world.cell2.pk).update(founded_on=dt.date(founding[0], founding[1], 15))
    board = dashboard.build(world.an_binh, period, today=today)
    held = {row[0]: row for row in board.tables["held"].rows}
    before, after = f"{months[5][1]:02d}/{months[5][0]}", f"{founding[1]:02d}/{founding[0]}"
    assert held[before][1] == 1 and "Chi bộ thôn 2" not in held[before][4]
    assert held[after][1] == 2 and "Chi bộ thôn 2" in held[after][4]
    so_far = len([ym for ym in months if ym <= (today.year, today.month)])
    assert board.kpis["expected"] == so_far + (so_far - 6)
    thematic = board.tables["thematic"].rows
    q_of_founding = (founding[0], (founding[1] - 1) // 3 + 1)
    first_q = period.quarters[0]
    assert thematic[0][1] == (1 if first_q < q_of_founding else 2)
    assert thematic[-1][1] == 2
    # the hand-written floor counts the same months
    from chibo.oversight import bench

    sql = bench.sql_figures(world.an_binh, period, today)
    assert sql["kpis"]["expected"] == board.kpis["expected"]
    assert [r[1] for r in sql["held"]] == [r[1] for r in board.tables["held"].rows]


def test_above_commune_level_lists_are_cut_and_say_so_and_excel_has_them_all(client, world, monkeypatch):
    for days in (10, 40, 70):
        approved(world.cell1, day=past(days), minutes=70)
    monkeypatch.setattr(dashboard, "SHOWN", 1)
    period = dashboard.default_period()
    board = dashboard.build(world.province, period)
    assert board.limited
    assert len(board.tables["short"].rows) == 1 and board.tables["short"].total == 3
    assert "chỉ hiển thị 1 trên 3" in board.tables["short"].note
    assert len(board.tables["meetings"].rows) == 1 and board.tables["meetings"].total == 3
    full = dashboard.build(world.province, period, detail=True)
    assert len(full.tables["short"].rows) == 3 and full.tables["short"].total is None
    commune = dashboard.build(world.an_binh, period)
    assert not commune.limited and len(commune.tables["short"].rows) == 3
    c = client_for(client, world.admin)
    page = c.get(f"/cap-tren/tong-quan/{world.province.pk}/").content.decode()
    assert "chỉ hiển thị 1 trên 3" in page and 'href="#bang-children"' in page
    r = c.get(f"/cap-tren/tong-quan/{world.province.pk}/excel/?bang=short")
    ws = load_workbook(io.BytesIO(b"".join(r.streaming_content)))["short"]
    assert ws.max_row == 2 + 3


def test_moving_a_held_meeting_to_another_month_moves_its_figures(world):
    from chibo.meetings import services
    from chibo.oversight.tests.helpers import at

    m = running(world.cell1, day=past(40))
    services.update_meeting(actor=None, meeting=m, scheduled_at=at(past(3)))
    written = rows()
    summaries.rebuild()
    assert rows() == written
    local = timezone.localtime(Meeting.objects.get(pk=m.pk).scheduled_at)
    assert list(CellMonth.objects.values_list("ym", flat=True)) == [local.year * 100 + local.month]


def rollup() -> list[dict]:  # type: ignore[type-arg]
    return [
        {k: v for k, v in r.items() if k not in ("id", "stamp")}  # stamp: new on every write
        for r in OrgMonth.objects.order_by("organisation_id", "ym").values()
    ]


def test_the_roll_up_kept_by_starts_and_approvals_equals_a_rebuild_and_follows_a_move(world):
    from chibo.organisations import services as org_services

    approved(world.cell1, day=past(10), minutes=70, upper={"order_content": 9, "criticism": 7})
    approved(world.cell1, day=past(40), statuses={"Nguyễn Văn Hùng": AttendanceStatus.ABSENT_EXCUSED})
    approved(world.cell2, day=past(10), kind="thematic")
    approved(world.cell2, day=past(12))
    add_member(world.cell3, "Ngô Thị Hạnh")
    running(world.cell3, day=past(2))
    kept = rollup()
    # the province and each commune have one row per month with a held meeting below them
    assert {r["organisation_id"] for r in kept} == {world.province.pk, world.an_binh.pk, world.hoa_lac.pk}
    month = timezone.localtime(Meeting.objects.filter(organisation=world.cell2).first().scheduled_at)
    row = OrgMonth.objects.get(organisation=world.an_binh, ym=month.year * 100 + month.month)
    cells = CellMonth.objects.filter(organisation__path__startswith=world.an_binh.path, ym=row.ym)
    assert row.held == sum(c.held for c in cells) and row.approved == sum(c.approved for c in cells)
    assert row.cells_regular == sum(1 for c in cells if c.held_regular)
    summaries.rebuild()
    assert rollup() == kept
    OrgMonth.objects.filter(organisation__in=[world.an_binh, world.province]).update(held=99, approved=0)
    summaries.rebuild(world.an_binh.path)  # a subtree's rebuild re-derives its ancestors' rows too
    assert rollup() == kept
    org_services.move_organisation(actor=None, org=world.cell1, new_parent=world.hoa_lac)
    moved = rollup()
    assert moved != kept
    summaries.rebuild()
    assert rollup() == moved


def test_a_thematic_meeting_counts_once_per_cell_and_quarter_in_the_roll_up(world):
    today = timezone.localdate()
    q_start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    if (today - q_start).days < 35:  # need two months of this quarter behind us
        q_start = (
            dt.date(today.year - 1, 10, 1)
            if q_start.month == 1
            else dt.date(today.year, q_start.month - 3, 1)
        )
    first, second = q_start + dt.timedelta(days=5), q_start + dt.timedelta(days=40)
    approved(world.cell1, day=second, kind="thematic")  # approved out of order: the later month first
    approved(world.cell1, day=first, kind="combined")
    rows = {r.month: r for r in CellMonth.objects.filter(organisation=world.cell1)}
    assert (rows[first.month].thematic_before, rows[second.month].thematic_before) == (0, 1)
    marks = {r.month: r.cells_thematic for r in OrgMonth.objects.filter(organisation=world.an_binh)}
    assert (marks[first.month], marks[second.month]) == (1, 0)
    kept = rollup()
    summaries.rebuild()
    assert rollup() == kept


def test_the_upgrade_fills_the_roll_up_from_the_rows_already_there_as_a_rebuild_would(world):
    approved(world.cell1, day=past(10), kind="combined")
    approved(world.cell1, day=past(40), statuses={"Nguyễn Văn Hùng": AttendanceStatus.ABSENT_EXCUSED})
    approved(world.cell1, day=past(70), statuses={"Nguyễn Văn Hùng": AttendanceStatus.ABSENT_EXCUSED})
    approved(world.cell2, day=past(10), kind="thematic")
    approved(world.cell2, day=past(45), kind="thematic")
    summaries.rebuild()
    written, kept = rows(), rollup()
    assert any(r["run"] for r in written[1]) and kept
    # as the database was before migration 0003: no run, no thematic_before, no roll-up
    CellMonth.objects.update(thematic_before=0)
    MemberMonth.objects.update(run=0)
    OrgMonth.objects.all().delete()
    summaries.fill_from_rows()
    assert rows() == written and rollup() == kept
