"""Above commune level the dashboard reads the roll-up (OrgMonth), one narrow row per cell and a few
cells' rows instead of every cell-month: every table, chart and figure must stay exactly what the
computation over every cell-month gave (tests/reference_dashboard.py, the code before the roll-up),
also for cells the roll-up cannot count (inactive, founded inside the period, directly under the
province, moved to another commune) and whatever the number of rows shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chibo.ops.province import ProvinceGenerator
from chibo.organisations import services as org_services
from chibo.organisations.models import Organisation, OrgKind
from chibo.oversight import bench, dashboard, summaries
from chibo.oversight.models import OrgMonth
from chibo.oversight.tests import reference_dashboard as reference

pytestmark = pytest.mark.django_db


def assert_same(new: dashboard.Dashboard, old: reference.Dashboard) -> None:
    assert list(new.tables) == list(old.tables)
    for key, t in new.tables.items():
        o = old.tables[key]
        for f in ("title", "headers", "rows", "links", "note", "total"):
            assert getattr(t, f) == getattr(o, f), (key, f)
    assert new.kpis == old.kpis
    assert new.charts == old.charts
    assert (new.notes, new.limited) == (old.notes, old.limited)
    strip = [{k: v for k, v in c.items()} for c in new.children]
    assert strip == [{k: v for k, v in c.items()} for c in old.children]


@pytest.fixture
def province() -> Organisation:
    ProvinceGenerator(cells=30, years=2, seed=43).run()
    province = bench.generated_province()
    assert province is not None
    return province


def test_above_commune_level_the_roll_up_gives_exactly_the_figures_of_every_cell_month(province, monkeypatch):
    today = timezone.localdate()
    communes = list(Organisation.objects.filter(parent=province, kind=OrgKind.COMMUNE).order_by("code"))
    cells = list(Organisation.objects.filter(parent=communes[0], kind=OrgKind.CELL).order_by("code"))
    # cells the roll-up cannot count on its own
    Organisation.objects.filter(pk=cells[0].pk).update(is_active=False)
    Organisation.objects.filter(pk=cells[1].pk).update(founded_on=today - dt.timedelta(days=120))
    org_services.move_organisation(actor=None, org=cells[2], new_parent=communes[1])
    direct = org_services.create_organisation(
        actor=None, name="Chi bộ cơ sở Bệnh viện tỉnh", kind=OrgKind.CELL_GRASSROOTS, parent=province
    )
    org_services.move_organisation(actor=None, org=cells[3], new_parent=direct.parent)  # now a direct child
    kept = list(OrgMonth.objects.order_by("organisation_id", "ym").values())
    summaries.rebuild()
    assert list(
        OrgMonth.objects.order_by("organisation_id", "ym").values("organisation_id", "ym", "held")
    ) == [{k: r[k] for k in ("organisation_id", "ym", "held")} for r in kept]
    periods = [
        dashboard.default_period(today),
        dashboard.Period((today.year - 1, 2), (today.year, max(1, today.month - 2))),
    ]
    for shown in (1, 4, 50):
        monkeypatch.setattr(dashboard, "SHOWN", shown)
        monkeypatch.setattr(reference, "SHOWN", shown)
        for period in periods:
            for org in (province, communes[0]):
                for detail in (None, True):
                    new = dashboard.build(org, period, today=today, detail=detail)
                    old = reference.build(org, period, today=today, detail=detail)
                    assert_same(new, old)
    board = dashboard.build(province, periods[0], today=today)
    assert board.limited and board.kpis["cells"] == 30 - 1 + 1  # one inactive, one new directly below


def test_score_totals_come_from_the_figures_frozen_at_approval_as_the_snapshot_has_them(province):
    """The meetings list and the peer table read fig_score / fig_upper / fig_peer, not the snapshot's
    scores: a meeting approved with the upper committee's and a peer cell's scores shows the same as
    the reference (which reads the snapshot), and the migration's backfill gives the same columns."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from chibo.meetings import services as meeting_services
    from chibo.meetings.models import Meeting, ScoreColumn
    from chibo.oversight.tests import helpers

    today = timezone.localdate()
    commune = Organisation.objects.filter(parent=province, kind=OrgKind.COMMUNE).order_by("code").first()
    cell = Organisation.objects.filter(parent=commune, kind=OrgKind.CELL).order_by("code").first()
    m = helpers.running(cell, day=today - dt.timedelta(days=2))
    meeting_services.save_score(actor=None, meeting=m, column=ScoreColumn.PEER, entries={"order_content": 7})
    m = helpers.finish(m, upper={"order_content": 9, "criticism": 6})
    upper, peer = m.snapshot["scores"]["upper"]["total"], m.snapshot["scores"]["peer"]["total"]
    assert (m.fig_upper, m.fig_peer) == (upper, peer) and upper != peer and None not in (upper, peer)
    assert m.fig_score == m.snapshot["scores"]["cell"]["total"]
    period = dashboard.default_period(today)
    for detail in (None, True):
        new = dashboard.build(commune, period, today=today, detail=detail)
        assert_same(new, reference.build(commune, period, today=today, detail=detail))
    row = next(r for r in new.table("meetings").rows if r[1] == cell.name and r[0] == (today - dt.timedelta(days=2)).strftime("%d/%m/%Y"))
    assert row[7:10] == [m.fig_score, upper, peer]
    assert [r for r in new.table("peer").rows if r[0] == cell.name][0][2:] == [m.fig_score, upper, peer]
    # the migration's backfill: the same two columns from the snapshot
    Meeting.objects.filter(pk=m.pk).update(fig_upper=None, fig_peer=None)
    backfill = importlib.import_module("chibo.meetings.migrations.0006_score_totals").backfill
    def execute(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    # (SQLite's schema editor cannot open inside the test's transaction: what backfill uses of it)
    backfill(apps, SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name, execute=execute))
    assert Meeting.objects.filter(pk=m.pk, fig_upper=upper, fig_peer=peer).exists()
    assert not Meeting.objects.exclude(pk=m.pk).filter(fig_upper__isnull=False).exists()
