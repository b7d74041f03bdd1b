"""The approved record's HTML is rendered once per version and shared by its readers
(chibo/meetings/record_cache.py): every change that must show does show, access is still checked
on every request, and what differs between readers is never shared."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.bulletin import services as bulletin_services
from chibo.bulletin.models import Bulletin
from chibo.meetings import record_cache, services
from chibo.meetings.models import AttendanceStatus, Meeting, ScoreColumn
from chibo.meetings.tests.test_views import LOCKED, READ, running
from chibo.members import services as member_services
from chibo.members.models import Member

pytestmark = pytest.mark.django_db


def approve(w, m: Meeting, *, before=None) -> Meeting:  # type: ignore[no-untyped-def]
    """Finish running meeting M as test_views.approved() does (BEFORE(m) runs first)."""
    ready(w, m, before=before)
    return services.approve(actor=w.secretary, meeting=m)


def ready(w, m: Meeting, *, before=None) -> Meeting:  # type: ignore[no-untyped-def]
    """Running meeting M brought to where approving it is the next step (BEFORE(m) runs first)."""
    if before:
        before(m)
    services.add_speech(actor=w.secretary, meeting=m, member=w.m_same, summary="Đề nghị làm đường.")
    services.assign_task(
        actor=w.secretary,
        meeting=m,
        title="Vận động làm đường",
        assignee=w.m_same,
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
    items = list(m.items.order_by("order"))
    services.set_conclusion(actor=w.secretary, item=items[-2], text="Thống nhất làm đường.")
    vote = services.open_vote(actor=w.secretary, meeting=m, subject="Nghị quyết tháng")
    services.close_vote(actor=w.secretary, vote=vote, in_favour=3, against=0, other=0)
    services.start_item(actor=w.secretary, item=items[-1], now=m.scheduled_at + dt.timedelta(minutes=99))
    services.end_item(actor=w.secretary, item=items[-1], now=m.scheduled_at + dt.timedelta(minutes=100))
    services.save_score(
        actor=w.secretary, meeting=m, column=ScoreColumn.CELL, entries={"order_content": 10, "criticism": 8}
    )
    services.read_back(actor=w.secretary, meeting=m, now=m.scheduled_at + dt.timedelta(minutes=100))
    return m


def approved(w, **kw) -> Meeting:  # type: ignore[no-untyped-def]
    return approve(w, running(w, day=timezone.localdate() - dt.timedelta(days=3)), **kw)


def page(client, user, m: Meeting) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(f"/sinh-hoat/{m.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def queries(client, user, m: Meeting) -> int:  # type: ignore[no-untyped-def]
    client.force_login(user)
    with CaptureQueriesContext(connection) as q:
        assert client.get(f"/sinh-hoat/{m.pk}/").status_code == 200
    return len(q)


def test_readers_share_one_rendering_and_a_reader_costs_fewer_queries(client, world):
    m = approved(world)
    first = queries(client, world.member_same, m)  # renders and keeps the record
    again = queries(client, world.member_same, m)
    assert again <= first - 10
    # Another reader who does not manage the cell either: the first visit is served the same rendering
    # and the same panels; no officer visit or pairing exists at this meeting, so nothing is read for
    # the reader alone (chibo/oversight/tests/test_meeting_panel.py: when one exists).
    assert queries(client, world.officer, m) == queries(client, world.officer, m)
    # The first reader rendered both kinds (the secretary manages the cell: its own variant, from
    # the same load), so the secretary's first visit renders nothing.
    keys = [record_cache.key_for(m, can_manage=flag) for flag in (False, True)]
    assert cache.get(keys[0]) is not None and cache.get(keys[1]) is not None
    assert "Thêm đính chính" in page(client, world.secretary, m)


def test_an_amendment_shows_at_once_to_readers_who_had_the_record_cached(client, world):
    m = approved(world)
    assert "Chưa có đính chính nào." in page(client, world.member_same, m)
    assert "Chưa có đính chính nào." in page(client, world.secretary, m)
    version = Meeting.objects.get(pk=m.pk).version
    client.force_login(world.secretary)
    response = client.post(f"/sinh-hoat/{m.pk}/dinh-chinh/", {"text": "Đính chính: tên đồng chí Lan."})
    assert response.status_code == 302
    assert Meeting.objects.get(pk=m.pk).version == version + 1  # the record's version moved
    for user in (world.member_same, world.secretary, world.officer):
        text = page(client, user, m)
        assert "Đính chính: tên đồng chí Lan." in text and "Chưa có đính chính nào." not in text


def test_a_refused_amendment_changes_neither_the_version_nor_the_page(client, world):
    m = approved(world)
    before = page(client, world.member_same, m)
    version = Meeting.objects.get(pk=m.pk).version
    client.force_login(world.member_same)  # read-only: 403
    assert client.post(f"/sinh-hoat/{m.pk}/dinh-chinh/", {"text": "Không được ghi."}).status_code == 403
    client.force_login(world.secretary)  # empty text: the form says so, nothing written
    assert client.post(f"/sinh-hoat/{m.pk}/dinh-chinh/", {"text": "  "}).status_code == 200
    assert Meeting.objects.get(pk=m.pk).version == version
    after = page(client, world.member_same, m)
    assert "Chưa có đính chính nào." in before and "Chưa có đính chính nào." in after
    assert "Không được ghi." not in after


def test_outsiders_still_get_404_and_writes_403_once_the_record_is_cached(client, world):
    m = approved(world)
    for persona, status in READ.items():
        client.force_login(getattr(world, persona))
        assert client.get(f"/sinh-hoat/{m.pk}/").status_code == status, persona
    # Cached now; the access check still runs first on every request.
    for persona, status in READ.items():
        client.force_login(getattr(world, persona))
        assert client.get(f"/sinh-hoat/{m.pk}/").status_code == status, persona
    client.force_login(world.secretary)
    response = client.post(f"/sinh-hoat/{m.pk}/dieu-hanh/dai-bieu/", {"name": "Ông Ba"})
    assert response.status_code == 403 and LOCKED in response.content.decode()


def test_forms_and_csrf_tokens_are_never_shared_between_readers(client, world):
    m = approved(world)
    manager_page = page(client, world.secretary, m)
    assert "Thêm đính chính" in manager_page
    token = manager_page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    reader_page = page(client, world.member_same, m)
    assert "Thêm đính chính" not in reader_page and token not in reader_page
    assert "Thêm đính chính" in page(client, world.secretary, m)  # served from the cache, form still there


def test_a_renamed_member_keeps_the_name_the_record_was_approved_with(client, world):
    """As the official minutes: a later rename does not rewrite an approved record, whether or not
    the record was already cached."""
    m = approved(world)
    name = world.m_same.full_name
    assert name in page(client, world.member_same, m)
    member_services.update_member(actor=None, member=world.m_same, full_name="Nguyễn Thị Đổi Tên")
    cache.clear()  # the same with the record rendered anew
    text = page(client, world.member_same, m)
    assert name in text and "Nguyễn Thị Đổi Tên" not in text


def test_the_bulletin_on_the_record_is_live(client, world):
    """The bulletin's audio may finish after approval: it is read on every request, not cached."""

    def with_bulletin(m: Meeting) -> None:
        bulletin_services.add_typed_entry(
            actor=world.secretary, meeting=m, category="trong_tinh", title="Tin tỉnh nhà", text="Nội dung."
        )

    m = approved(world, before=with_bulletin)
    assert "Tin tỉnh nhà" in page(client, world.member_same, m)
    assert "Chưa có âm thanh" not in page(client, world.member_same, m)
    Bulletin.objects.filter(meeting=m).update(audio_status="failed", audio_error="Máy đọc bị lỗi.")
    text = page(client, world.member_same, m)
    assert "Chưa có âm thanh: Máy đọc bị lỗi." in text and "Tin tỉnh nhà" in text


def test_the_record_shows_the_runs_its_approval_froze(client, world):
    hoa = Member.objects.get(full_name="Phạm Thị Hoà")  # probationary: the vote's count is unchanged

    def excused(m: Meeting) -> None:
        services.set_attendance(
            actor=world.secretary, meeting=m, member=hoa, status=AttendanceStatus.ABSENT_EXCUSED, reason="Ốm"
        )

    m = approved(world, before=excused)
    assert m.snapshot["excused_runs"] == {str(hoa.pk): 1}
    assert "Vắng có lý do 1 lần liên tiếp trong năm" in page(client, world.member_same, m)


def test_the_record_lists_the_tasks_reviewed_at_it_not_tasks_of_later_meetings(client, world):
    m = approved(world)
    later = running(world, day=timezone.localdate() + dt.timedelta(days=10))
    services.assign_task(
        actor=world.secretary, meeting=later, title="Việc của buổi sau", assignee=world.m_same
    )
    cache.clear()
    text = page(client, world.member_same, m)
    assert "Vận động làm đường" in text  # assigned at this meeting
    assert "Việc của buổi sau" not in text


def test_a_new_deployment_does_not_serve_pages_rendered_by_the_old_code(world, monkeypatch):
    m = approved(world)
    key = record_cache.key_for(m, can_manage=False)
    monkeypatch.setattr(record_cache, "code_version", lambda: "another-build")
    assert record_cache.key_for(m, can_manage=False) != key
