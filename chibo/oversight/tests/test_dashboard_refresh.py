"""Dashboards above commune level whose figures cost more than the page's budget to compute: after a
change below, the page shows the last figures (saying when they were computed) while a thread of the
process computes them again; the export and the API always compute; cheap ones are always computed
in the request."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone

from chibo.oversight import dashboard
from chibo.oversight.tests.helpers import approved, past
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def expensive(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """Every computation counts as costly; threads are kept to be run when the test chooses."""
    settings.CHIBO_DASHBOARD_SYNC_MS = 0
    settings.CHIBO_DASHBOARD_REFRESH_GAP = 0
    settings.CHIBO_DASHBOARD_STALE_SECONDS = 120
    started: list[Any] = []
    monkeypatch.setattr(dashboard, "_launch", started.append)
    dashboard.clear_memo()
    dashboard._REFRESHING.clear()
    return started


def held(board: dashboard.Dashboard) -> list[Any]:
    return [row[:3] for row in board.tables["held"].rows]  # month, expected, held (from the summaries)


def test_after_a_change_the_page_shows_the_last_figures_then_the_new_ones(world, expensive):
    period = dashboard.default_period()
    approved(world.cell1, day=past(40))
    first = dashboard.build(world.province, period, allow_stale=True)
    assert not first.stale and expensive == []
    approved(world.cell2, day=past(10), minutes=70)  # a meeting approved below: the figures change
    exact = dashboard.build(world.province, period)  # what the export and the API compute
    assert held(exact) != held(first)
    dashboard.clear_memo()
    first = dashboard.build(world.province, period, allow_stale=True)  # remembered: the new figures
    approved(world.cell1, day=past(5), minutes=70)
    shown = dashboard.build(world.province, period, allow_stale=True)
    assert shown.stale and held(shown) == held(first) and shown.computed_at == first.computed_at
    assert len(expensive) == 1  # one thread computes them again
    assert dashboard.build(world.province, period, allow_stale=True).stale
    assert len(expensive) == 1  # not a second one while the first runs
    expensive[0]()  # the thread's work
    after = dashboard.build(world.province, period, allow_stale=True)
    assert not after.stale and after.computed_at > first.computed_at
    assert held(after) == held(dashboard.build(world.province, period)) != held(first)


def test_the_export_and_cheap_pages_never_show_old_figures(world, expensive, settings):
    period = dashboard.default_period()
    first = dashboard.build(world.province, period, allow_stale=True)
    approved(world.cell2, day=past(10), minutes=70)
    assert not dashboard.build(world.province, period).stale  # allow_stale=False: computed now
    dashboard.clear_memo()
    dashboard.build(world.province, period, allow_stale=True)
    approved(world.cell1, day=past(12), minutes=70)
    settings.CHIBO_DASHBOARD_SYNC_MS = 10**6  # computing costs less than the budget: in the request
    now = dashboard.build(world.province, period, allow_stale=True)
    assert not now.stale and held(now) != held(first) and expensive == []


def test_figures_older_than_the_limit_are_computed_in_the_request(world, expensive, settings, monkeypatch):
    period = dashboard.default_period()
    dashboard.build(world.province, period, allow_stale=True)
    approved(world.cell2, day=past(10), minutes=70)
    later = time.monotonic() + settings.CHIBO_DASHBOARD_STALE_SECONDS + 1
    monkeypatch.setattr(dashboard.time, "monotonic", lambda: later)
    assert not dashboard.build(world.province, period, allow_stale=True).stale
    assert expensive == []


def test_a_user_reading_right_after_their_own_write_gets_the_new_figures(world, expensive):
    from chibo.ops import dbrouter

    period = dashboard.default_period()
    dashboard.build(world.province, period, allow_stale=True)
    approved(world.cell2, day=past(10), minutes=70)
    token = dbrouter._pinned.set(True)  # what ReplicaPinMiddleware sets after the user's write
    try:
        assert not dashboard.build(world.province, period, allow_stale=True).stale
    finally:
        dbrouter._pinned.reset(token)


def test_refreshes_are_spaced_by_the_gap(world, expensive, settings):
    settings.CHIBO_DASHBOARD_REFRESH_GAP = 3600
    period = dashboard.default_period()
    dashboard.build(world.province, period, allow_stale=True)
    approved(world.cell2, day=past(10), minutes=70)
    assert dashboard.build(world.province, period, allow_stale=True).stale
    assert expensive == []  # computed less than an hour ago: no thread yet; the page says it is old


def test_the_page_says_when_its_figures_were_computed(client, world, expensive):
    c = client_for(client, world.admin)
    url = f"/cap-tren/tong-quan/{world.province.pk}/"
    assert "Số liệu tổng hợp tính lúc" not in c.get(url).content.decode()
    approved(world.cell2, day=past(10), minutes=70)
    r = c.get(url)
    board = r.context["board"]
    shown = timezone.localtime(board.computed_at).strftime("%H:%M:%S %d/%m/%Y")
    assert board.stale and f"Số liệu tổng hợp tính lúc {shown}" in r.content.decode()
    assert "đang tính lại" in r.content.decode()
    expensive[0]()
    assert "Số liệu tổng hợp tính lúc" not in c.get(url).content.decode()
    excel = c.get(f"/cap-tren/tong-quan/{world.province.pk}/excel/")
    assert excel.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_thread_computes_on_its_own_connection_and_the_next_page_is_exact(world, settings):
    """The real thread (its own database connection, closed when done)."""
    settings.CHIBO_DASHBOARD_SYNC_MS = 0
    settings.CHIBO_DASHBOARD_REFRESH_GAP = 0
    dashboard.clear_memo()
    threads: list[Any] = []
    launch = dashboard._launch
    period = dashboard.default_period()
    dashboard.build(world.province, period, allow_stale=True)
    approved(world.cell2, day=past(10), minutes=70)
    dashboard._launch = lambda run: threads.append(launch(run))  # type: ignore[assignment]
    try:
        assert dashboard.build(world.province, period, allow_stale=True).stale
    finally:
        dashboard._launch = launch  # type: ignore[assignment]
    assert len(threads) == 1
    threads[0].join(timeout=60)
    assert not threads[0].is_alive() and not dashboard._REFRESHING
    after = dashboard.build(world.province, period, allow_stale=True)
    assert not after.stale and held(after) == held(dashboard.build(world.province, period))
    assert after.computed_at > timezone.now() - dt.timedelta(minutes=1)
