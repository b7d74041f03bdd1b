"""Two secretaries editing the same minutes: a stale conclusion or task report is refused (409 on the
page and in the API) with the current text, and nothing is written; the same version saves."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chibo.accounts.models import ApiToken
from chibo.audit.models import AuditEntry
from chibo.meetings import services
from chibo.meetings.models import AgendaItem, Meeting, Task, TaskReport
from chibo.meetings.tests.test_views import approved, earlier_task, item, live, running

pytestmark = pytest.mark.django_db
API = "/api/v1"


def api(client: Any, user: Any, method: str, path: str, data: Any = None) -> Any:
    token = ApiToken.issue(user)[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "GET":
        return client.get(API + path, **auth)
    return getattr(client, method.lower())(
        API + path, json.dumps(data), content_type="application/json", **auth
    )


def written(m: Meeting) -> tuple:
    """What a refused write must leave untouched."""
    m = Meeting.objects.get(pk=m.pk)
    return (
        m.version,
        AuditEntry.objects.count(),
        sorted(AgendaItem.objects.filter(meeting=m).values_list("id", "conclusion")),
        sorted(TaskReport.objects.values_list("task_id", "meeting_id", "text", "done")),
    )


# --- conclusions per agenda item ------------------------------------------------------------
def test_a_conclusion_saved_with_the_version_the_page_showed_is_written(client, world):
    m = running(world)
    step = item(m, 1)
    client.force_login(world.secretary)
    page = client.get(live(m, "")).content.decode()
    seen = services.conclusion_version(step)
    assert f'name="record_version" value="{seen}"' in page
    response = client.post(
        live(m, f"buoc/{step.pk}/ket-luan/"),
        {"text": "Thống nhất làm đường.", "record_version": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    step.refresh_from_db()
    assert step.conclusion == "Thống nhất làm đường."
    # the redrawn form carries the new version: saving again from it works
    assert f'name="record_version" value="{services.conclusion_version(step)}"' in response.content.decode()
    response = client.post(
        live(m, f"buoc/{step.pk}/ket-luan/"),
        {"text": "Thống nhất làm đường bê tông.", "record_version": services.conclusion_version(step)},
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.conclusion == "Thống nhất làm đường bê tông."


def test_a_stale_conclusion_is_refused_with_the_current_text_and_nothing_changes(client, world):
    m = running(world)
    step = item(m, 1)
    seen = services.conclusion_version(step)  # both secretaries opened the screen with an empty conclusion
    services.set_conclusion(actor=world.secretary, item=step, text="Giao chi ủy khảo sát tuyến đường.")
    before = written(m)
    client.force_login(world.secretary)
    response = client.post(
        live(m, f"buoc/{step.pk}/ket-luan/"),
        {"text": "Thống nhất làm đường.", "record_version": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409 and response["HX-Retarget"] == "#live-alert"
    html = response.content.decode()
    assert "vừa được người khác sửa" in html and "“Giao chi ủy khảo sát tuyến đường.”" in html
    assert written(m) == before
    response = client.post(  # without JavaScript: the same refusal on the full page
        live(m, f"buoc/{step.pk}/ket-luan/"), {"text": "Thống nhất làm đường.", "record_version": seen}
    )
    assert response.status_code == 409 and "“Giao chi ủy khảo sát tuyến đường.”" in response.content.decode()
    assert written(m) == before


def test_a_conclusion_is_not_stale_because_another_part_of_the_meeting_changed(client, world):
    """The roll call, speeches and steps bump the meeting version; they do not touch the conclusion."""
    m = running(world)
    step = item(m, 1)
    seen = services.conclusion_version(step)
    services.start_item(actor=world.secretary, item=step)
    services.add_speech(actor=world.secretary, meeting=m, member=world.m_same, item=step, summary="Ý kiến.")
    client.force_login(world.secretary)
    response = client.post(
        live(m, f"buoc/{step.pk}/ket-luan/"),
        {"text": "Thống nhất.", "record_version": seen},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert AgendaItem.objects.get(pk=step.pk).conclusion == "Thống nhất."


def test_conclusion_of_another_cell_is_404_and_the_approved_minutes_stay_locked(client, world):
    m = running(world)
    step = item(m, 1)
    seen = services.conclusion_version(step)
    before = written(m)
    client.force_login(world.member_other)
    response = client.post(live(m, f"buoc/{step.pk}/ket-luan/"), {"text": "X", "record_version": seen})
    assert response.status_code == 404
    assert (
        api(
            client,
            world.officer_other,
            "POST",
            f"/agenda-items/{step.pk}/conclusion",
            {"text": "X", "expected_version": seen},
        ).status_code
        == 404
    )
    assert written(m) == before

    done = approved(world)
    step = AgendaItem.objects.filter(meeting=done).exclude(conclusion="").first()
    current = services.conclusion_version(step)
    before = written(done)
    client.force_login(world.secretary)
    response = client.post(
        live(done, f"buoc/{step.pk}/ket-luan/"), {"text": "Sửa.", "record_version": current}
    )
    assert response.status_code == 403 and "Biên bản đã được duyệt" in response.content.decode()
    response = api(
        client,
        world.secretary,
        "POST",
        f"/agenda-items/{step.pk}/conclusion",
        {"text": "Sửa.", "expected_version": current},
    )
    assert response.status_code == 403
    assert written(done) == before


def test_conclusion_through_the_api_same_version_saves_stale_is_409(client, world):
    m = running(world)
    step = item(m, 1)
    agenda = api(client, world.secretary, "GET", f"/meetings/{m.pk}/agenda").json()
    seen = next(i for i in agenda if i["id"] == step.pk)["conclusion_version"]
    first = api(
        client,
        world.secretary,
        "POST",
        f"/agenda-items/{step.pk}/conclusion",
        {"text": "Bản A", "expected_version": seen},
    )
    assert first.status_code == 200 and first.json()["conclusion"] == "Bản A"
    assert first.json()["conclusion_version"] != seen
    before = written(m)
    stale = api(
        client,
        world.secretary,
        "POST",
        f"/agenda-items/{step.pk}/conclusion",
        {"text": "Bản B", "expected_version": seen},
    )
    assert stale.status_code == 409
    assert "“Bản A”" in stale.json()["detail"]
    assert written(m) == before
    again = api(
        client,
        world.secretary,
        "POST",
        f"/agenda-items/{step.pk}/conclusion",
        {"text": "Bản B", "expected_version": first.json()["conclusion_version"]},
    )
    assert again.status_code == 200 and again.json()["conclusion"] == "Bản B"


# --- task reports at the next meeting -----------------------------------------------------------
def _task_meeting(world: Any) -> tuple[Meeting, Task]:
    m = running(world)
    earlier_task(world, m)
    return m, Task.objects.get(title="Sửa nhà văn hóa")


def test_a_task_report_with_the_version_seen_saves_and_a_stale_one_is_refused(client, world):
    m, task = _task_meeting(world)
    client.force_login(world.secretary)
    page = client.get(live(m, "")).content.decode()
    empty = services.report_version(None)
    assert f'name="record_version" value="{empty}"' in page
    url = live(m, f"nhiem-vu/{task.pk}/bao-cao/")
    response = client.post(
        url, {"text": "Đã sửa mái.", "done": "1", "record_version": empty}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    report = TaskReport.objects.get(task=task, meeting=m)
    assert (report.text, report.done) == ("Đã sửa mái.", True)
    before = written(m)
    # the other secretary's screen still shows no report
    response = client.post(url, {"text": "Chưa làm.", "record_version": empty}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    html = response.content.decode()
    assert "“Đã sửa mái.” (đã hoàn thành)" in html
    assert written(m) == before
    response = client.post(
        url, {"text": "Đã sửa xong mái.", "done": "1", "record_version": services.report_version(report)}
    )
    assert response.status_code == 302
    assert TaskReport.objects.get(task=task, meeting=m).text == "Đã sửa xong mái."


def test_task_report_through_the_api_outsider_and_locked(client, world):
    m, task = _task_meeting(world)
    tasks = api(client, world.secretary, "GET", f"/meetings/{m.pk}/tasks").json()
    seen = next(t for t in tasks["to_review"] if t["id"] == task.pk)["report_version"]
    path = f"/meetings/{m.pk}/tasks/{task.pk}/report"
    first = api(client, world.secretary, "POST", path, {"text": "Bản A", "expected_version": seen})
    assert first.status_code == 200 and first.json()["version"] != seen
    before = written(m)
    stale = api(client, world.secretary, "POST", path, {"text": "Bản B", "expected_version": seen})
    assert stale.status_code == 409 and "“Bản A”" in stale.json()["detail"]
    assert (
        api(client, world.officer_other, "POST", path, {"text": "X", "expected_version": seen}).status_code
        == 404
    )
    assert written(m) == before
    ok = api(
        client, world.secretary, "POST", path, {"text": "Bản B", "expected_version": first.json()["version"]}
    )
    assert ok.status_code == 200 and TaskReport.objects.get(task=task, meeting=m).text == "Bản B"

    done = approved(world)
    task = Task.objects.get(title="Sửa nhà văn hóa")
    before = written(done)
    current = services.report_version(TaskReport.objects.filter(task=task, meeting=done).first())
    response = api(
        client,
        world.secretary,
        "POST",
        f"/meetings/{done.pk}/tasks/{task.pk}/report",
        {"text": "Sửa.", "expected_version": current},
    )
    assert response.status_code == 403
    assert written(done) == before


def test_the_openapi_schema_documents_the_versions_and_the_409(client, world):
    doc = client.get(f"{API}/openapi.json").json()
    conclusion = doc["paths"]["/api/v1/agenda-items/{item_id}/conclusion"]["post"]
    report = doc["paths"]["/api/v1/meetings/{meeting_id}/tasks/{task_id}/report"]["post"]
    assert "409" in conclusion["responses"] and "409" in report["responses"]
    schemas = doc["components"]["schemas"]
    assert "expected_version" in schemas["ConclusionIn"]["properties"]
    assert "expected_version" in schemas["TaskReportIn"]["properties"]
    assert "conclusion_version" in schemas["AgendaItemOut"]["properties"]
    assert "report_version" in schemas["TaskToReviewOut"]["properties"]


# --- the scorecard ------------------------------------------------------------------------------
def scores(m: Meeting) -> tuple:
    m = Meeting.objects.get(pk=m.pk)
    return (
        m.version,
        AuditEntry.objects.count(),
        sorted(m.scores.values_list("column", "total", "note")),
    )


def test_a_score_column_saved_with_the_version_shown_is_written_a_stale_one_refused(client, world):
    m = running(world)
    client.force_login(world.secretary)
    empty = services.score_version(None)
    assert f'name="record_version" value="{empty}"' in client.get(live(m, "")).content.decode()
    response = client.post(
        live(m, "cham-diem/"),
        {"c_order_content": "9", "note": "Chi bộ A", "record_version": empty},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    before = scores(m)
    response = client.post(
        live(m, "cham-diem/"),
        {"c_order_content": "5", "note": "Chi bộ B", "record_version": empty},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409 and "“Chi bộ A”" in response.content.decode()
    assert scores(m) == before


def test_score_through_the_api_409_outsider_404_and_locked(client, world):
    m = running(world)
    seen = api(client, world.secretary, "GET", f"/meetings/{m.pk}/score").json()["versions"]["cell"]
    path = f"/meetings/{m.pk}/score/cell"
    ok = api(
        client,
        world.secretary,
        "PUT",
        path,
        {"entries": {"order_content": 9}, "note": "A", "expected_version": seen},
    )
    assert ok.status_code == 200 and ok.json()["versions"]["cell"] != seen
    before = scores(m)
    stale = api(
        client,
        world.secretary,
        "PUT",
        path,
        {"entries": {"order_content": 5}, "note": "B", "expected_version": seen},
    )
    assert stale.status_code == 409 and "“A”" in stale.json()["detail"]
    assert (
        api(client, world.officer_other, "PUT", path, {"entries": {}, "expected_version": seen}).status_code
        == 404
    )
    assert scores(m) == before
    done = approved(world)
    current = api(client, world.secretary, "GET", f"/meetings/{done.pk}/score").json()["versions"]["cell"]
    before = scores(done)
    response = api(
        client,
        world.secretary,
        "PUT",
        f"/meetings/{done.pk}/score/cell",
        {"entries": {}, "note": "Sửa", "expected_version": current},
    )
    assert response.status_code == 403
    assert scores(done) == before
    doc = client.get(f"{API}/openapi.json").json()
    assert "409" in doc["paths"]["/api/v1/meetings/{meeting_id}/score/{column}"]["put"]["responses"]
