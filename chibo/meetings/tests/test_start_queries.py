"""“Bắt đầu họp” costs a fixed number of queries whatever the roster: the roster is written with
one INSERT, the agenda with one, and the API's answer reads the meeting's parts once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chibo.accounts.models import ApiToken
from chibo.meetings import services
from chibo.meetings.models import Meeting, MeetingKind, MeetingStatus
from chibo.organisations import services as org_services
from chibo.organisations.models import OrgKind
from chibo.rules.models import remember
from conftest import LOCK_QUERIES, add_member

pytestmark = pytest.mark.django_db
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Khánh",
    "Linh",
    "Minh",
    "Nga",
    "Oanh",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Uyên",
    "Vinh",
    "Xuân",
    "Yến",
    "Đạt",
    "Hải",
    "Lộc",
    "Mai",
    "Nhung",
    "Phương",
]
# The pins. Lower them when start() gets cheaper; raise them only with a written reason.
VIEW_QUERIES = 24 + LOCK_QUERIES  # session, user with scope (one query since accounts/backends.py), meeting | savepoint, lock + version (conftest), rulebook (cell, record,
#                    recorded?), meeting, cell's activity_rev, roster (drawn ids, members), summaries (meetings,
#                    rulebook, 2 DELETE, INSERT), agenda (read, INSERT), audit, release. Was 23 (agenda read twice).
#                    +5 since the OrgMonth roll-up (oversight.summaries.refresh): lock the cell row, old CellMonth
#                    rows, and for all ancestors at once INSERT … ON CONFLICT, SELECT … FOR UPDATE, UPDATE. +1
#                    (the activity_rev UPDATE) since judge_cache: a meeting that starts is a held meeting the
#                    other meetings' kept excused runs must now read live (meetings/judge_cache.py). -1
#                    since the cell's rulebook is one statement (organisations.selectors.effective_rulebook).
VIEW_QUERIES_UNPUBLISHED = VIEW_QUERIES + 1  # the roster INSERT (one, whatever its size)
API_QUERIES = 32 + LOCK_QUERIES  # token ×2, meeting, scope | the same write | the answer: meeting + 6 prefetches,
#                   rulebook, open tasks, their reports. Was 46 (the answer re-read the attendance,
#                   agenda and votes for every figure); 31 before the OrgMonth roll-up (+5 in the
#                   write, -1: the stored rulebook version is kept per process after a warm-up start);
#                   34 before judge_cache (+1 in the write: the cell's activity_rev, as VIEW_QUERIES); 33
#                   before the cell's rulebook was one statement.


def _meeting(world, size: int, *, publish: bool) -> Meeting:  # type: ignore[no-untyped-def]
    cell = org_services.create_organisation(
        actor=None, name=f"Chi bộ {size} đảng viên", kind=OrgKind.CELL, parent=world.an_binh
    )
    for i in range(size):
        add_member(cell, f"Nguyễn Văn {GIVEN[i]}")
    m = services.create_meeting(
        actor=world.admin,
        cell=cell,
        kind=MeetingKind.REGULAR,
        scheduled_at=timezone.now() + dt.timedelta(hours=1),
    )
    if publish:
        services.publish(actor=world.admin, meeting=m)
    remember(services.effective_rulebook(cell))  # recorded by an earlier start in real life
    return m


@pytest.mark.parametrize("publish", [True, False], ids=["published", "not-published"])
def test_starting_from_the_page_costs_the_same_for_3_and_25_members(
    client, world, django_assert_num_queries, publish
):
    client.force_login(world.admin)
    client.get("/")  # the session's first use
    for size in (3, 25):
        m = _meeting(world, size, publish=publish)
        with django_assert_num_queries(VIEW_QUERIES if publish else VIEW_QUERIES_UNPUBLISHED):
            response = client.post(f"/sinh-hoat/{m.pk}/bat-dau/")
        assert response.status_code == 302 and response["Location"] == f"/sinh-hoat/{m.pk}/dieu-hanh/"
        m.refresh_from_db()
        assert m.status == MeetingStatus.IN_PROGRESS and m.attendance.count() == size
        assert m.items.count() > 0


def test_starting_through_the_api_costs_the_same_for_3_and_25_members(
    client, world, django_assert_num_queries
):
    token = ApiToken.issue(world.admin)[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.get("/api/v1/meetings", **auth)  # the token's first use writes last_used_at
    # Warm-up: the first start in a process also reads the stored rulebook version (kept per process).
    assert (
        client.post(f"/api/v1/meetings/{_meeting(world, 2, publish=True).pk}/start", **auth).status_code
        == 200
    )
    for size in (3, 25):
        m = _meeting(world, size, publish=True)
        with django_assert_num_queries(API_QUERIES):
            response = client.post(f"/api/v1/meetings/{m.pk}/start", **auth)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "in_progress" and body["figures"]["base"] == size
        assert "Còn" in " ".join(body["minutes_missing"])  # judged: nobody marked yet
