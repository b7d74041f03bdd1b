"""The dashboard benchmark's SQL floor computes the same figures as the dashboard itself."""

from __future__ import annotations

import pytest

from chibo.ops.province import ProvinceGenerator
from chibo.organisations.models import Organisation, OrgKind
from chibo.oversight import bench

pytestmark = pytest.mark.django_db


def test_floor_and_dashboard_agree_on_a_generated_province():
    ProvinceGenerator(cells=30, years=1, seed=41).run()  # two communes, up to last month
    province = bench.generated_province()
    figures = bench.check(province)
    assert figures["kpis"]["cells"] == 30 and figures["kpis"]["approved"] > 300
    assert figures["kpis"]["members_flagged"] > 0 and len(figures["children"]) == 2
    commune = Organisation.objects.filter(parent=province, kind=OrgKind.COMMUNE).order_by("code").first()
    assert bench.check(commune)["kpis"]["cells"] == 25
    labels = [label for label, _orm, _computed, _sql, _after in bench.cases()]
    assert labels == ["Bảng điều khiển tỉnh (30 chi bộ)", "Bảng điều khiển xã (25 chi bộ)"]


def test_longest_excused_run_is_the_longest_trailing_run_of_any_prefix():
    import random

    from chibo.oversight.dashboard import longest_excused_run
    from chibo.rules import engine

    rng = random.Random(5)
    statuses = [engine.PRESENT, engine.ABSENT_EXCUSED, engine.ABSENT_UNEXCUSED, engine.EXEMPT, engine.AWAY]
    for _ in range(2000):
        history = [rng.choice(statuses) for _ in range(rng.randint(0, 14))]
        expected = max((engine.trailing_excused_run(history[: i + 1]) for i in range(len(history))), default=0)
        assert longest_excused_run(history) == expected, history
