"""/api/v1/bulletins: the same scoping as the pages (404 outside, 403 read-only, 403 locked)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from chibo.accounts.models import ApiToken, User
from chibo.bulletin.models import Bulletin, Entry, NewsItem
from chibo.bulletin.selectors import ordered_entries
from chibo.bulletin.tests.conftest import lock

pytestmark = pytest.mark.django_db
BASE = "/api/v1/bulletins"
PERSONAS = ["secretary", "member_same", "officer", "member_other", "officer_other"]
READ = {"secretary": 200, "member_same": 200, "officer": 200, "member_other": 404, "officer_other": 404}
LOCKED = "Biên bản đã được duyệt nên không thể sửa; hãy thêm đính chính."


@pytest.fixture
def call(client: Client):  # type: ignore[no-untyped-def]
    tokens: dict[int, str] = {}

    def _call(user: User, method: str, path: str, data: Any = None) -> Any:
        if user.pk not in tokens:
            tokens[user.pk] = ApiToken.issue(user)[1]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens[user.pk]}"}
        if method == "GET":
            return client.get(BASE + path, data or {}, **auth)
        body = json.dumps(data) if data is not None else ""
        return getattr(client, method.lower())(BASE + path, body, content_type="application/json", **auth)

    return _call


def writes(w, m) -> dict[str, tuple[str, str, Any, int]]:  # type: ignore[no-untyped-def]
    entry = ordered_entries(Bulletin.objects.get(meeting=m))[0]
    spare = NewsItem.objects.filter(organisation=w.cell1).exclude(entries__isnull=False).first()
    if spare is None:
        from chibo.bulletin import services

        spare = services.add_item(
            actor=w.secretary, organisation=w.cell1, category="nganh", title="Tin ngành", text="Nội dung."
        )
    return {
        "add": ("POST", f"/meetings/{m.pk}/entries", {"item_id": spare.pk}, 201),
        "typed": (
            "POST",
            f"/meetings/{m.pk}/entries",
            {"category": "nganh", "title": "Gõ tay", "text": "Nội dung."},
            201,
        ),
        "patch": ("PATCH", f"/meetings/{m.pk}/entries/{entry.pk}", {"title": "Tiêu đề mới"}, 200),
        "delete": ("DELETE", f"/meetings/{m.pk}/entries/{entry.pk}", None, 204),
        "item": (
            "POST",
            f"/organisations/{w.cell1.pk}/items",
            {"category": "nganh", "title": "Tin API", "text": "Nội dung."},
            201,
        ),
    }


def snapshot() -> Any:
    return (list(Entry.objects.order_by("pk").values_list("pk", "title", "text")), NewsItem.objects.count())


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["add", "typed", "patch", "delete", "item"])
def test_writes_are_scoped(world, filled, call, persona, action):
    method, path, data, ok = writes(world, filled)[action]
    before = snapshot()
    resp = call(getattr(world, persona), method, path, data)
    expected = {
        "secretary": ok,
        "member_same": 403,
        # The upper officer manages news for the cells below (NEWS_MANAGE), not their bulletins.
        "officer": ok if action == "item" else 403,
        "member_other": 404,
        "officer_other": 404,
    }[persona]
    assert resp.status_code == expected, resp.content
    assert (snapshot() != before) is (expected == ok)


@pytest.mark.parametrize("action", ["add", "typed", "patch", "delete"])
def test_writes_to_an_approved_meetings_bulletin_are_refused(world, filled, call, action):
    method, path, data, _ = writes(world, filled)[action]
    lock(filled)
    before = snapshot()
    resp = call(world.secretary, method, path, data)
    assert resp.status_code == 403 and resp.json()["detail"] == LOCKED
    assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("kind", ["bulletin", "feeds", "items"])
def test_reads_are_scoped(world, filled, call, persona, kind):
    path = {
        "bulletin": f"/meetings/{filled.pk}",
        "feeds": f"/organisations/{world.cell1.pk}/feeds",
        "items": f"/organisations/{world.cell1.pk}/items",
    }[kind]
    assert call(getattr(world, persona), "GET", path).status_code == READ[persona]


def test_the_bulletin_lists_titles_in_reading_order(world, filled, call):
    body = call(world.member_same, "GET", f"/meetings/{filled.pk}").json()
    assert body["titles"] == [
        "Tỉnh ủy sơ kết công tác xây dựng Đảng",
        "Triển khai Hướng dẫn 12-HD/BTCTW",
        "Hội nghị thượng đỉnh ASEAN",
    ]
    assert [e["category"] for e in body["entries"]] == ["trong_tinh", "trong_nuoc", "the_gioi"]
    assert body["audio_status"] == "" and body["audio_url"] is None and body["locked"] is False


def test_audio_through_the_api(world, filled, call, django_capture_on_commit_callbacks):
    assert call(world.member_same, "POST", f"/meetings/{filled.pk}/audio").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        resp = call(world.secretary, "POST", f"/meetings/{filled.pk}/audio")
    assert resp.status_code == 202 and resp.json()["audio_status"] == "queued"
    body = call(world.secretary, "GET", f"/meetings/{filled.pk}").json()
    assert body["audio_status"] == "ready" and body["audio_done"] == 3
    assert [c["title"] for c in body["chapters"]] == body["titles"]
    assert body["audio_url"].endswith(f"/thoi-su/hop/{filled.pk}/am-thanh/")


def test_bad_input_is_a_vietnamese_422_and_changes_nothing(world, filled, call):
    before = snapshot()
    resp = call(
        world.secretary,
        "POST",
        f"/meetings/{filled.pk}/entries",
        {"category": "xyz", "title": "", "text": ""},
    )
    assert resp.status_code == 422
    errors = resp.json()["errors"]
    assert errors["title"] == ["Thiếu tiêu đề tin."] and errors["category"] == [
        "Hãy chọn chuyên mục của tin."
    ]
    entry = ordered_entries(Bulletin.objects.get(meeting=filled))[0]
    resp = call(world.secretary, "PATCH", f"/meetings/{filled.pk}/entries/{entry.pk}", {"move": "sideways"})
    assert resp.status_code == 422 and resp.json()["errors"]["move"] == ['Chỉ nhận "up" hoặc "down".']
    resp = call(world.secretary, "PATCH", f"/meetings/{filled.pk}/entries/{entry.pk}", {"colour": "red"})
    assert resp.status_code == 422
    assert snapshot() == before


def test_the_router_is_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/bulletins/meetings/{meeting_id}" in paths
    assert "/api/v1/bulletins/meetings/{meeting_id}/audio" in paths
