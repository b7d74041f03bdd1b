"""The approved record is rendered when it changes, not by its first reader: approving it and adding
an amendment (through the pages and through the API) render both readers' variants once the write has
committed (views.warm_record → record_cache.warm), so the members who open the new minutes are served
from the cache; a failure while rendering never fails the write.

Every test here fails without the warm-up: the reads below forbid rendering the record (the builder
raises) and pin the query count of a reader served the cached record."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from chibo.accounts.models import ApiToken
from chibo.meetings import record_cache, services, views
from chibo.meetings.models import Amendment, Meeting, MeetingStatus, RecordRender
from chibo.meetings.tests.test_record_cache import approve, ready
from chibo.meetings.tests.test_views import (
    RECORD_QUERIES,
    RECORD_QUERIES_FIRST,
    STORE_READ,
    STORE_WRITE,
    running,
)

pytestmark = pytest.mark.django_db

# What rendering the record costs a reader on a cache miss (views.record_fragments: the record in
# one load — the meeting and its prefetches —, the task reports, who approved it, the documents'
# issued number): a reader served the warmed record pays the rest. The panels beside the record
# (panel_cache.py) are not warmed: the first reader of a version reads them, later readers only
# their own entry when an officer visit or a peer pairing exists (none here).
RECORD_RENDER = 13
WARMED_FIRST = RECORD_QUERIES_FIRST - RECORD_RENDER - STORE_READ - STORE_WRITE
SPEECH = "Đề nghị làm đường."
AMENDMENT = "Đính chính: đồng chí Lan vắng có lý do."


def _ready(w: Any, **kw: Any) -> Meeting:
    return ready(w, running(w, day=timezone.localdate() - dt.timedelta(days=3)), **kw)


def _api(client: Client, user: Any, path: str, data: dict[str, str] | None = None) -> Any:
    token = ApiToken.issue(user)[1]
    return client.post(
        f"/api/v1{path}",
        data or {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def approve_through(through: str, client: Client, w: Any, m: Meeting) -> None:
    if through == "page":
        client.force_login(w.secretary)
        assert client.post(f"/sinh-hoat/{m.pk}/dieu-hanh/duyet/").status_code == 302
    else:
        response = _api(client, w.secretary, f"/meetings/{m.pk}/approve")
        assert response.status_code == 200, response.content


def amend_through(through: str, client: Client, w: Any, m: Meeting) -> None:
    if through == "page":
        client.force_login(w.secretary)
        assert client.post(f"/sinh-hoat/{m.pk}/dinh-chinh/", {"text": AMENDMENT}).status_code == 302
    else:
        response = _api(client, w.secretary, f"/meetings/{m.pk}/amendments", {"text": AMENDMENT})
        assert response.status_code == 201, response.content


def no_rendering_on_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(meeting: Meeting, can_manage: bool) -> dict[str, str | None]:
        raise AssertionError("the record was rendered on read: it should have been warmed")

    monkeypatch.setattr(views, "record_fragments", refuse)


def read(client: Client, user: Any, m: Meeting) -> str:
    client.force_login(user)
    return get(client, m)


def get(client: Client, m: Meeting) -> str:
    response = client.get(f"/sinh-hoat/{m.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def both_cached(m: Meeting) -> bool:
    fresh = Meeting.objects.get(pk=m.pk)
    return all(cache.get(record_cache.key_for(fresh, can_manage=flag)) for flag in (False, True))


@pytest.mark.parametrize("through", ["page", "api"])
def test_approving_renders_the_record_for_members_and_managers(
    client, world, through, monkeypatch, django_capture_on_commit_callbacks, django_assert_num_queries
):
    m = _ready(world)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        approve_through(through, client, world, m)
    assert Meeting.objects.get(pk=m.pk).status == MeetingStatus.APPROVED
    assert len(callbacks) == 1 and both_cached(m)
    no_rendering_on_read(monkeypatch)
    client.force_login(world.member_same)
    with django_assert_num_queries(WARMED_FIRST):  # the record from the cache; the panels read once
        member_page = get(client, m)
    client.force_login(world.secretary)
    with django_assert_num_queries(RECORD_QUERIES):  # the manager's own variant, warmed too
        manager_page = get(client, m)
    for text in (member_page, manager_page):
        assert SPEECH in text and "Thống nhất làm đường." in text and "Chưa có đính chính nào." in text
    assert "Thêm đính chính" in manager_page and "Thêm đính chính" not in member_page


@pytest.mark.parametrize("through", ["page", "api"])
def test_an_amendment_is_shown_without_rendering_on_read(
    client, world, through, monkeypatch, django_capture_on_commit_callbacks, django_assert_num_queries
):
    m = approve(world, running(world, day=timezone.localdate() - dt.timedelta(days=3)))
    assert "Chưa có đính chính nào." in read(client, world.member_same, m)  # the old version, cached
    with django_capture_on_commit_callbacks(execute=True):
        amend_through(through, client, world, m)
    assert Amendment.objects.filter(meeting=m, text=AMENDMENT).exists() and both_cached(m)
    no_rendering_on_read(monkeypatch)
    client.force_login(world.member_same)
    with django_assert_num_queries(WARMED_FIRST):
        member_page = get(client, m)
    client.force_login(world.secretary)
    with django_assert_num_queries(RECORD_QUERIES):
        manager_page = get(client, m)
    for text in (member_page, manager_page):
        assert AMENDMENT in text and "Chưa có đính chính nào." not in text and SPEECH in text


def test_warming_keeps_what_only_managers_see_out_of_the_members_variant(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    """Documents of a meeting never published are shown to those who manage the cell only: the
    warm-up renders the two variants under their own keys, as the page does."""
    m = _ready(world)
    Meeting.objects.filter(pk=m.pk).update(published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        approve_through("page", client, world, m)
    no_rendering_on_read(monkeypatch)
    member_page = read(client, world.member_same, m)
    assert "Dự thảo nghị quyết" not in member_page
    assert "Tài liệu sẽ hiện ở đây khi chi bộ công bố." in member_page
    assert "Dự thảo nghị quyết" in read(client, world.secretary, m)
    fresh = Meeting.objects.get(pk=m.pk)
    member_variant = cache.get(record_cache.key_for(fresh, can_manage=False))
    assert "Dự thảo nghị quyết" not in "".join(v or "" for v in member_variant.values())


@pytest.mark.parametrize("through", ["page", "api"])
def test_a_failure_while_warming_is_logged_and_the_approval_stands(
    client, world, through, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    m = _ready(world)
    attempts: list[bool] = []

    def broken(meeting: Meeting, can_manage: bool) -> dict[str, str | None]:
        attempts.append(can_manage)
        raise RuntimeError("máy dựng trang hỏng")

    with monkeypatch.context() as patched:
        patched.setattr(views, "record_fragments", broken)
        with caplog.at_level(logging.ERROR, logger="chibo.meetings.record_cache"):
            with django_capture_on_commit_callbacks(execute=True):
                approve_through(through, client, world, m)
    assert attempts == [False]  # the first variant failed: the failure logged, nothing kept or stored
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [RuntimeError]
    assert Meeting.objects.get(pk=m.pk).status == MeetingStatus.APPROVED
    assert not any(cache.get(record_cache.key_for(Meeting.objects.get(pk=m.pk), can_manage=f)) for f in (False, True))
    assert not RecordRender.objects.filter(meeting_id=m.pk).exists()
    # The page renders on demand as before.
    assert SPEECH in read(client, world.member_same, m)
    assert "Thêm đính chính" in read(client, world.secretary, m)


def test_warming_a_meeting_that_is_not_approved_does_nothing(world, django_assert_num_queries):
    m = _ready(world)
    with django_assert_num_queries(1):  # the committed row, then nothing
        record_cache.warm(m.pk, build=views.record_fragments)
    assert not any(cache.get(record_cache.key_for(m, can_manage=flag)) for flag in (False, True))
    services.approve(actor=world.secretary, meeting=m)  # the service alone does not warm (the views do)
    assert not both_cached(m)


def test_warming_loads_the_meeting_once_for_both_variants(world, django_assert_num_queries):
    """The approving request pays one load of the record (views._record_loaded kept on the meeting
    object record_cache.warm renders both variants from), not one per variant; each variant is what
    the page's own builder renders from a meeting loaded afresh."""
    m = _ready(world)
    Meeting.objects.filter(pk=m.pk).update(published_at=None)  # the variants differ (documents)
    services.approve(actor=world.secretary, meeting=m)
    cache.clear()
    with django_assert_num_queries(1 + RECORD_RENDER + STORE_WRITE):  # the committed row, one load, stored
        record_cache.warm(m.pk, build=views.record_fragments)
    assert RecordRender.objects.get(meeting_id=m.pk).version == Meeting.objects.get(pk=m.pk).version
    fresh = Meeting.objects.get(pk=m.pk)
    variants = [cache.get(record_cache.key_for(fresh, can_manage=flag)) for flag in (False, True)]
    for flag, kept in zip((False, True), variants, strict=True):
        assert kept == views.record_fragments(Meeting.objects.get(pk=m.pk), flag)
    assert variants[0] != variants[1]
    assert "Dự thảo nghị quyết" in variants[1]["documents"] and "Dự thảo nghị quyết" not in variants[0]["documents"]


def test_a_new_version_of_the_same_object_is_loaded_again(world, django_assert_num_queries):
    m = _ready(world)
    services.approve(actor=world.secretary, meeting=m)
    meeting = Meeting.objects.get(pk=m.pk)
    views.record_fragments(meeting, False)
    with django_assert_num_queries(0):
        views.record_fragments(meeting, True)
    services.add_amendment(actor=world.secretary, meeting=meeting, text=AMENDMENT)
    meeting.refresh_from_db()
    assert AMENDMENT in views.record_fragments(meeting, False)["amendments"]
