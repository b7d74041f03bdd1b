"""Two people preparing the same bulletin: a stale edit of an entry (or a stale “use the summary”)
is refused with the entry's current text, and nothing is written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chibo.accounts.models import ApiToken
from chibo.bulletin import services
from chibo.bulletin.models import Bulletin, Entry
from chibo.bulletin.selectors import ordered_entries
from chibo.bulletin.tests.conftest import lock
from chibo.bulletin.tests.test_views import state

pytestmark = pytest.mark.django_db


def first(meeting: Any) -> Entry:
    return ordered_entries(Bulletin.objects.get(meeting=meeting))[0]


def url(meeting: Any, entry: Entry, suffix: str = "") -> str:
    return f"/thoi-su/hop/{meeting.pk}/muc/{entry.pk}/{suffix}"


def post_data(entry: Entry, **changes: str) -> dict[str, str]:
    data = {"title": entry.title, "text": entry.text, "category": entry.category, **changes}
    return {f"e{entry.pk}-{k}": v for k, v in data.items()}


def api(client: Any, user: Any, method: str, path: str, data: Any = None) -> Any:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {ApiToken.issue(user)[1]}"}
    if method == "GET":
        return client.get("/api/v1" + path, **auth)
    return getattr(client, method.lower())(
        "/api/v1" + path, json.dumps(data), content_type="application/json", **auth
    )


def test_an_entry_saved_with_the_version_shown_is_written_a_stale_one_refused(world, filled, client):
    e = first(filled)
    seen = services.entry_version(e)
    client.force_login(world.secretary)
    page = client.get(f"/thoi-su/hop/{filled.pk}/").content.decode()
    assert f'name="e{e.pk}-expected_version" value="{seen}"' in page
    assert (
        client.post(url(filled, e), post_data(e, text="Bản của chị Lan.", expected_version=seen)).status_code
        == 302
    )
    assert Entry.objects.get(pk=e.pk).text == "Bản của chị Lan."
    before = state()
    response = client.post(url(filled, e), post_data(e, text="Bản của anh Hùng.", expected_version=seen))
    assert response.status_code == 409
    page = response.content.decode()
    assert "vừa được người khác sửa" in page and "“Bản của chị Lan.”" in page and "Bản của anh Hùng." in page
    assert state() == before


def test_a_stale_use_the_full_text_click_does_not_wipe_an_edit(world, filled, client):
    e = first(filled)
    seen = services.entry_version(e)
    services.update_entry(actor=world.secretary, entry=e, title=e.title, text="Đã biên tập lại.")
    before = state()
    client.force_login(world.secretary)
    response = client.post(url(filled, e, "toan-van/"), {"expected_version": seen}, follow=True)
    assert "“Đã biên tập lại.”" in response.content.decode()
    assert state() == before


def test_outsider_404_and_approved_meeting_refused_with_the_right_version(world, filled, client):
    e = first(filled)
    seen = services.entry_version(e)
    before = state()
    client.force_login(world.member_other)
    assert client.post(url(filled, e), post_data(e, text="X", expected_version=seen)).status_code == 404
    path = f"/bulletins/meetings/{filled.pk}/entries/{e.pk}"
    assert (
        api(client, world.officer_other, "PATCH", path, {"text": "X", "expected_version": seen}).status_code
        == 404
    )
    lock(filled)
    client.force_login(world.secretary)
    assert client.post(url(filled, e), post_data(e, text="X", expected_version=seen)).status_code == 403
    assert (
        api(client, world.secretary, "PATCH", path, {"text": "X", "expected_version": seen}).status_code
        == 403
    )
    assert state() == before


def test_the_api_patch_same_version_saves_stale_is_409_and_does_not_move(world, filled, client):
    e = first(filled)
    path = f"/bulletins/meetings/{filled.pk}/entries/{e.pk}"
    seen = services.entry_version(e)
    ok = api(client, world.secretary, "PATCH", path, {"text": "Bản A", "expected_version": seen})
    assert ok.status_code == 200 and ok.json()["text"] == "Bản A" and ok.json()["version"] != seen
    before = state()
    stale = api(
        client, world.secretary, "PATCH", path, {"text": "Bản B", "move": "down", "expected_version": seen}
    )
    assert stale.status_code == 409 and "“Bản A”" in stale.json()["detail"]
    assert state() == before  # neither the text nor the order changed
    doc = client.get("/api/v1/openapi.json").json()
    assert (
        "409"
        in doc["paths"]["/api/v1" + "/bulletins/meetings/{meeting_id}/entries/{entry_id}"]["patch"][
            "responses"
        ]
    )
    assert "expected_version" in doc["components"]["schemas"]["EntryPatchIn"]["properties"]
