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
