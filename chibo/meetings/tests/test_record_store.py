"""The approved record's stored rendering (meetings.RecordRender, chibo/meetings/record_cache.py):
a record rendered once — at approval, or by its first reader — is served from the database to every
later reader once the cache no longer has it (it expired, another app server, a restart), without
rendering it again; what is served is always the record's current version rendered by this code,
and access is checked on every request as before.

Every test that says "served from the store" forbids rendering (views.record_fragments raises)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from chibo.meetings import record_cache, services, views
from chibo.meetings.models import Meeting, RecordRender
from chibo.meetings.tests.test_record_cache import approved, page
from chibo.meetings.tests.test_record_warm import AMENDMENT, RECORD_RENDER, SPEECH, no_rendering_on_read
from chibo.meetings.tests.test_views import RECORD_QUERIES, RECORD_QUERIES_FIRST, STORE_READ, STORE_WRITE
from chibo.ops import backup, dbrouter

pytestmark = pytest.mark.django_db

# A reader the cache misses, served the stored rendering: what a first reader pays but the
# rendering and the store's write (the panels beside the record are read once per version: +1).
STORED_FIRST = RECORD_QUERIES_FIRST - STORE_WRITE - RECORD_RENDER


def _tokenless(html: str) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1", html)


def _stored_row(m: Meeting) -> RecordRender:
    return RecordRender.objects.get(meeting_id=m.pk)


def test_a_record_rendered_once_is_served_from_the_store_after_the_cache_lost_it(
    client: Client, world: Any, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    m = approved(world)
    first = page(client, world.member_same, m)  # renders both variants and stores them
    row = _stored_row(m)
    assert row.version == Meeting.objects.get(pk=m.pk).version and row.code == record_cache.code_version()
    cache.clear()  # expired, or another app server, or a restart
    no_rendering_on_read(monkeypatch)
    client.force_login(world.member_same)
    with django_assert_num_queries(STORED_FIRST):
        again = client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert SPEECH in again and "Thống nhất làm đường." in again and "Thêm đính chính" not in again
    # The same record as the reader who rendered it saw (the CSRF token is per request).
    assert _tokenless(again) == _tokenless(first)
    # The manager's variant was stored with it: the secretary is served theirs, with the form.
    client.force_login(world.secretary)
    with django_assert_num_queries(RECORD_QUERIES + STORE_READ):  # (nothing of their own exists), the store
        manager = client.get(f"/sinh-hoat/{m.pk}/").content.decode()
    assert "Thêm đính chính" in manager and SPEECH in manager


def test_an_approval_stores_the_record_for_readers_after_the_cache(
    client: Client, world: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from chibo.meetings.tests.test_record_warm import _ready, approve_through

    m = _ready(world)
    with django_capture_on_commit_callbacks(execute=True):
        approve_through("page", client, world, m)
    assert _stored_row(m).version == Meeting.objects.get(pk=m.pk).version
    cache.clear()
    no_rendering_on_read(monkeypatch)
    assert SPEECH in page(client, world.member_same, m)


def test_an_outsider_gets_404_and_a_reader_of_another_cell_never_sees_a_stored_record(
    client: Client, world: Any
) -> None:
    m = approved(world)
    page(client, world.member_same, m)
    cache.clear()
    for outsider in (world.member_other, world.officer_other):
        client.force_login(outsider)
        response = client.get(f"/sinh-hoat/{m.pk}/")
        assert response.status_code == 404 and SPEECH not in response.content.decode()


def test_a_new_version_is_never_served_the_stored_rendering_of_the_old_one(
    client: Client, world: Any
) -> None:
    m = approved(world)
    page(client, world.member_same, m)
    old = _stored_row(m).version
    # The service alone (no warm-up): the stored row is of the old version.
    services.add_amendment(actor=world.secretary, meeting=Meeting.objects.get(pk=m.pk), text=AMENDMENT)
    cache.clear()
    text = page(client, world.member_same, m)
    assert AMENDMENT in text and "Chưa có đính chính nào." not in text
    assert _stored_row(m).version == old + 1  # the reader stored the new one in its place
    assert RecordRender.objects.filter(meeting_id=m.pk).count() == 1


@pytest.mark.parametrize("stale", ["code", "age"])
def test_a_rendering_made_by_other_code_or_too_long_ago_is_rendered_again(
    client: Client, world: Any, stale: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = approved(world)
    page(client, world.member_same, m)
    marker = "<!--rendered by the old code-->"
    row = _stored_row(m)
    both = record_cache._decode(bytes(row.data))
    assert both is not None
    changed = {**both[0], "body": marker + str(both[0]["body"])}
    row.data = record_cache._encode((changed, both[1]))
    if stale == "code":
        row.code = "0" * 12  # a deployment changed the record's code
    else:
        row.rendered_at = timezone.now() - dt.timedelta(days=record_cache.STORE_DAYS, minutes=1)
    row.save()
    cache.clear()
    rendered: list[bool] = []
    original = views.record_fragments

    def counting(meeting: Meeting, can_manage: bool) -> dict[str, str | None]:
        rendered.append(can_manage)
        return original(meeting, can_manage)

    monkeypatch.setattr(views, "record_fragments", counting)
    text = page(client, world.member_same, m)
    assert marker not in text and SPEECH in text and rendered == [False, True]
    row = _stored_row(m)
    assert row.code == record_cache.code_version() and row.rendered_at > timezone.now() - dt.timedelta(minutes=1)


def test_a_damaged_rendering_is_logged_and_rendered_again(
    client: Client, world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    m = approved(world)
    page(client, world.member_same, m)
    RecordRender.objects.filter(meeting_id=m.pk).update(data=b"not zlib")
    cache.clear()
    with caplog.at_level(logging.WARNING, logger="chibo.meetings.record_cache"):
        assert SPEECH in page(client, world.member_same, m)
    assert any("hỏng" in r.getMessage() for r in caplog.records)
    assert record_cache.stored(Meeting.objects.get(pk=m.pk)) is not None  # stored again, whole


def test_a_store_that_fails_is_logged_and_the_page_is_served(
    client: Client, world: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    m = approved(world)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("đĩa đầy")

    monkeypatch.setattr(type(RecordRender.objects.all()), "bulk_create", broken)
    with caplog.at_level(logging.ERROR, logger="chibo.meetings.record_cache"):
        assert SPEECH in page(client, world.member_same, m)
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [DatabaseError]
    assert not RecordRender.objects.filter(meeting_id=m.pk).exists()
    assert SPEECH in page(client, world.member_same, m)  # and the next page is fine (the cache)


def test_storing_does_not_pin_the_reader_to_the_primary(world: Any) -> None:
    m = approved(world)
    token = dbrouter._wrote.set(False)
    try:
        record_cache.store(Meeting.objects.get(pk=m.pk), ({"body": "a"}, {"body": "b"}))
        assert not dbrouter.is_pinned()
    finally:
        dbrouter._wrote.reset(token)
    assert record_cache.stored(Meeting.objects.get(pk=m.pk)) == ({"body": "a"}, {"body": "b"})


def test_a_meeting_not_yet_approved_is_never_stored(client: Client, world: Any) -> None:
    from chibo.meetings.tests.test_views import running

    m = running(world)
    client.force_login(world.secretary)
    assert client.get(f"/sinh-hoat/{m.pk}/").status_code == 200
    assert not RecordRender.objects.exists()
    assert list(record_cache.render_missing(build=views.record_fragments)) == []


def test_render_records_renders_what_is_missing_or_stale_and_then_nothing(
    client: Client, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = approved(world)  # approved by the service alone, as gen_province and imports do: not stored
    assert not RecordRender.objects.exists()
    out = StringIO()
    call_command("render_records", stdout=out)
    assert "Đã dựng và lưu 1 biên bản" in out.getvalue()
    assert _stored_row(first).version == Meeting.objects.get(pk=first.pk).version
    out = StringIO()
    call_command("render_records", stdout=out)
    assert out.getvalue().strip() == "Không có biên bản nào cần dựng."
    # Stale (other code): rendered again; --ids limits it to those meetings.
    RecordRender.objects.update(code="0" * 12)
    call_command("render_records", ids=str(first.pk + 1000), stdout=StringIO())
    assert _stored_row(first).code == "0" * 12
    call_command("render_records", ids=str(first.pk), stdout=StringIO())
    assert _stored_row(first).code == record_cache.code_version()
    # What it stored is what a reader is served, without rendering on read.
    no_rendering_on_read(monkeypatch)
    assert SPEECH in page(client, world.member_same, first)


def test_render_records_refuses_bad_arguments_in_vietnamese() -> None:
    with pytest.raises(CommandError, match="dd/mm/yyyy"):
        call_command("render_records", since="2026-12-01", stdout=StringIO())
    with pytest.raises(CommandError, match="phải là số"):
        call_command("render_records", ids="1,a", stdout=StringIO())
    with pytest.raises(CommandError, match="số dương"):
        call_command("render_records", limit=0, stdout=StringIO())


def test_render_records_since_and_limit_take_the_most_recent_first(world: Any) -> None:
    older = approved(world)
    Meeting.objects.filter(pk=older.pk).update(scheduled_at=older.scheduled_at - dt.timedelta(days=60))
    newer = approved(world)
    done = [pk for pk, _ms in record_cache.render_missing(build=views.record_fragments, limit=1)]
    assert done == [newer.pk]
    since = (newer.scheduled_at - dt.timedelta(days=1)).date()
    RecordRender.objects.all().delete()
    assert [pk for pk, _ in record_cache.render_missing(build=views.record_fragments, since=since)] == [newer.pk]


def test_stored_renderings_are_not_data_backups_carry(client: Client, world: Any) -> None:
    m = approved(world)
    client.force_login(world.member_same)  # (the session is data)
    before = backup.export_digest()
    assert client.get(f"/sinh-hoat/{m.pk}/").status_code == 200
    assert RecordRender.objects.exists()
    assert backup.export_digest() == before
    assert "meetings.recordrender" not in backup.row_counts()

