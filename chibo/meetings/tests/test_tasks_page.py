"""The task follow-up page: who sees which tasks, filters, and a constant query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chibo.meetings import services
from chibo.meetings.models import MeetingKind, Task
from chibo.meetings.tests.test_views import at, running

pytestmark = pytest.mark.django_db


def tasks_in_cell1(w, n_extra: int = 0):  # type: ignore[no-untyped-def]
    m = running(w, day=timezone.localdate() - dt.timedelta(days=40))
    today = timezone.localdate()
    overdue = services.assign_task(
        actor=w.secretary, meeting=m, title="Sửa đường liên xóm", assignee=w.m_same,
        due_date=today - dt.timedelta(days=3),
    )
    later = services.assign_task(
        actor=w.secretary, meeting=m, title="Vận động hiến đất", assignee=w.sec_member,
        due_date=today + dt.timedelta(days=20),
    )
    for i in range(n_extra):
        services.assign_task(
            actor=w.secretary, meeting=m, title=f"Việc thêm {i}", assignee=w.m_same,
            due_date=today + dt.timedelta(days=i),
        )
    # Reported done at the next meeting.
    nxt = services.create_meeting(
        actor=w.secretary, cell=w.cell1, kind=MeetingKind.REGULAR,
        scheduled_at=at(today - dt.timedelta(days=5), 19), place="Nhà văn hóa",
    )
    services.report_task(actor=w.secretary, meeting=nxt, task=later, text="Đã vận động 12 hộ.", done=True)
    return overdue, later


def test_secretary_sees_open_tasks_with_overdue_marked(client, world):
    tasks_in_cell1(world)
    client.force_login(world.secretary)
    body = client.get("/sinh-hoat/nhiem-vu/").content.decode()
    assert "Sửa đường liên xóm" in body and "Quá hạn" in body
    assert "Vận động hiến đất" not in body  # done: not in the default "open" view


def test_done_filter_shows_the_latest_report(client, world):
    tasks_in_cell1(world)
    client.force_login(world.secretary)
    body = client.get("/sinh-hoat/nhiem-vu/?trang_thai=xong").content.decode()
    assert "Vận động hiến đất" in body and "Đã vận động 12 hộ." in body
    assert "Sửa đường liên xóm" not in body


def test_overdue_filter_and_mine_filter(client, world):
    tasks_in_cell1(world)
    client.force_login(world.member_same)
    body = client.get("/sinh-hoat/nhiem-vu/?trang_thai=qua-han").content.decode()
    assert "Sửa đường liên xóm" in body
    body = client.get("/sinh-hoat/nhiem-vu/?trang_thai=tat-ca&cua_toi=1").content.decode()
    assert "Sửa đường liên xóm" in body and "Vận động hiến đất" not in body


def test_officer_over_the_cell_sees_its_tasks(client, world):
    tasks_in_cell1(world)
    client.force_login(world.officer)
    assert "Sửa đường liên xóm" in client.get("/sinh-hoat/nhiem-vu/").content.decode()


@pytest.mark.parametrize("persona", ["member_other", "officer_other"])
def test_outsiders_never_see_the_cells_tasks(client, world, persona):
    tasks_in_cell1(world)
    client.force_login(getattr(world, persona))
    body = client.get("/sinh-hoat/nhiem-vu/?trang_thai=tat-ca").content.decode()
    assert "Sửa đường liên xóm" not in body and "Vận động hiến đất" not in body
    # Filtering by a cell outside the scope is a 404, not an empty list.
    assert client.get(f"/sinh-hoat/nhiem-vu/?to_chuc={world.cell1.pk}").status_code == 404


def test_anonymous_is_sent_to_login(client, world):
    assert client.get("/sinh-hoat/nhiem-vu/").status_code == 302


def test_task_list_query_count_does_not_grow_with_tasks(client, world, django_assert_max_num_queries):
    tasks_in_cell1(world)
    client.force_login(world.officer)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get("/sinh-hoat/nhiem-vu/?trang_thai=tat-ca")
    m = Task.objects.first().meeting
    for i in range(25):
        services.assign_task(actor=world.secretary, meeting=m, title=f"Thêm {i}", assignee=world.m_same)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/sinh-hoat/nhiem-vu/?trang_thai=tat-ca")
    assert response.content.decode().count("Thêm ") >= 25


def test_all_filter_lists_open_tasks_before_finished_ones(client, world):
    tasks_in_cell1(world)
    client.force_login(world.secretary)
    body = client.get("/sinh-hoat/nhiem-vu/?trang_thai=tat-ca").content.decode()
    assert body.index("Sửa đường liên xóm") < body.index("Vận động hiến đất")
