"""The meetings API: scoping like the pages (404 outside, 403 read-only, 403 locked), a whole meeting
run through the API, Vietnamese 422s, 409 on a stale version, constant query counts, OpenAPI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.accounts.models import ApiToken, User
from chibo.api import meetings as api_meetings
from chibo.audit.models import AuditEntry
from chibo.meetings import services
from chibo.meetings.documents import add_document
from chibo.meetings.models import (
    AttendanceStatus,
    Meeting,
    MeetingKind,
    ScoreColumn,
    VoteMethod,
)
from conftest import add_member

BASE = "/api/v1"
TZ = timezone.get_current_timezone()
LOCKED = "Biên bản đã được duyệt nên không thể sửa; hãy thêm đính chính."
CONFLICT = "Buổi sinh hoạt vừa được người khác cập nhật. Hãy tải lại trang rồi thử lại."
PDF = b"%PDF-1.4 tai lieu thu"

Call = Callable[..., Any]


def _pdf(name: str = "du-thao.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def call(client: Client) -> Call:
    """call(user, method, path, data=None): JSON (or multipart for UPLOAD) with USER's bearer token."""
    tokens: dict[int, str] = {}

    def _call(user: User, method: str, path: str, data: Any = None) -> Any:
        if user.pk not in tokens:
            tokens[user.pk] = ApiToken.issue(user)[1]
        auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens[user.pk]}"}
        url = BASE + path
        if method == "GET":
            return client.get(url, data or {}, **auth)
        if method == "UPLOAD":
            return client.post(url, data, **auth)
        body = json.dumps(data) if data is not None else ""
        return getattr(client, method.lower())(url, body, content_type="application/json", **auth)

    return _call


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def _live(world: Any) -> SimpleNamespace:
    """Cell 1: a planned meeting, an earlier meeting with an open task, and a running meeting with a
    published document, a full roll call, a guest, a speech and an open by-name vote."""
    day = timezone.localdate() + dt.timedelta(days=3)
    sec = world.secretary
    prev = services.create_meeting(
        actor=sec,
        cell=world.cell1,
        kind=MeetingKind.REGULAR,
        scheduled_at=at(day - dt.timedelta(days=30), 19, 30),
    )
    services.start(actor=sec, meeting=prev)
    task = services.assign_task(actor=sec, meeting=prev, title="Vận động làm đường", assignee=world.m_same)
    planned = services.create_meeting(
        actor=sec,
        cell=world.cell1,
        kind=MeetingKind.REGULAR,
        scheduled_at=at(day + dt.timedelta(days=30), 19, 30),
    )
    m = services.create_meeting(
        actor=sec, cell=world.cell1, kind=MeetingKind.REGULAR, scheduled_at=at(day, 19, 30)
    )
    services.update_meeting(
        actor=sec,
        meeting=m,
        preparer=world.sec_member,
        chair=world.sec_member,
        secretary=world.m_same,
        pre_meeting_at=at(day - dt.timedelta(days=5), 8),
    )
    doc = add_document(
        actor=sec, meeting=m, kind="draft_resolution", title="Dự thảo nghị quyết", upload=_pdf()
    )
    services.publish(actor=sec, meeting=m)
    services.start(actor=sec, meeting=m)
    for a in m.attendance.select_related("member"):
        if not a.status:
            services.set_attendance(actor=sec, meeting=m, member=a.member, status=AttendanceStatus.PRESENT)
    items = list(m.items.order_by("order"))
    guest = services.add_guest(
        actor=sec, meeting=m, name="Đồng chí Ba", position="Đảng ủy viên", is_upper_officer=True
    )
    discussion = next(i for i in items if i.code == "discussion")
    speech = services.add_speech(
        actor=sec, meeting=m, member=world.m_same, item=discussion, summary="Đề nghị làm đường."
    )
    vote = services.open_vote(actor=sec, meeting=m, subject="Nghị quyết tháng", method=VoteMethod.BY_NAME)
    return SimpleNamespace(
        m=m,
        planned=planned,
        prev=prev,
        task=task,
        doc=doc,
        items=items,
        guest=guest,
        speech=speech,
        vote=vote,
        conclusion=next(i for i in items if i.code == "conclusion"),
    )


def _finish(world: Any, s: SimpleNamespace) -> Meeting:
    """Close the vote, score, read back and approve S's meeting (services)."""
    sec = world.secretary
    vote = (
        s.m.votes.get(closed_at__isnull=True) if s.m.votes.filter(closed_at__isnull=True).exists() else None
    )
    if vote is not None:
        services.close_vote(actor=sec, vote=vote)
    services.save_score(
        actor=sec, meeting=s.m, column=ScoreColumn.CELL, entries={"order_content": 10, "criticism": 8}
    )
    services.read_back(actor=sec, meeting=s.m)
    return services.approve(actor=sec, meeting=s.m)


@pytest.fixture
def live(world: Any) -> SimpleNamespace:
    return _live(world)


@pytest.fixture
def locked(world: Any) -> SimpleNamespace:
    """Every id points into an approved meeting."""
    s = _live(world)
    s.m = _finish(world, s)
    s.planned = s.m
    return s


# --------------------------------------------------------------------------
# The access matrix: every endpoint
# --------------------------------------------------------------------------

READS: dict[str, Callable[[Any, Any], str]] = {
    "meeting_list_of_cell": lambda w, s: f"/meetings?organisation={w.cell1.pk}",
    "meeting_detail": lambda w, s: f"/meetings/{s.m.pk}",
    "agenda": lambda w, s: f"/meetings/{s.m.pk}/agenda",
    "attendance": lambda w, s: f"/meetings/{s.m.pk}/attendance",
    "guests": lambda w, s: f"/meetings/{s.m.pk}/guests",
    "speeches": lambda w, s: f"/meetings/{s.m.pk}/speeches",
    "tasks": lambda w, s: f"/meetings/{s.m.pk}/tasks",
    "votes": lambda w, s: f"/meetings/{s.m.pk}/votes",
    "score": lambda w, s: f"/meetings/{s.m.pk}/score",
    "documents": lambda w, s: f"/meetings/{s.m.pk}/documents",
    "download": lambda w, s: f"/documents/{s.doc.pk}/download",
}


def _start_first(w: Any, s: Any) -> None:
    services.start_item(actor=w.secretary, item=s.items[0])


def _close_open_vote(w: Any, s: Any) -> None:
    services.close_vote(actor=w.secretary, vote=s.vote)


def _ready_to_approve(w: Any, s: Any) -> None:
    services.close_vote(actor=w.secretary, vote=s.vote)
    services.save_score(actor=w.secretary, meeting=s.m, column=ScoreColumn.CELL, entries={})
    services.read_back(actor=w.secretary, meeting=s.m)


def _approved(w: Any, s: Any) -> None:
    _finish(w, s)


# name: (method, path, body); body for UPLOAD is built per call (files are read once).
WRITES: dict[str, Callable[[Any, Any], tuple[str, str, Any]]] = {
    "meeting_create": lambda w, s: (
        "POST",
        "/meetings",
        {
            "organisation": w.cell1.pk,
            "kind": "regular",
            "scheduled_at": "2031-05-15T19:30",
            "title": "Tháng 5",
        },
    ),
    "meeting_patch": lambda w, s: ("PATCH", f"/meetings/{s.m.pk}", {"title": "Nội dung mới"}),
    "publish": lambda w, s: ("POST", f"/meetings/{s.planned.pk}/publish", None),
    "start": lambda w, s: ("POST", f"/meetings/{s.planned.pk}/start", None),
    "read_back": lambda w, s: ("POST", f"/meetings/{s.m.pk}/read-back", None),
    "approve": lambda w, s: ("POST", f"/meetings/{s.m.pk}/approve", None),
    "amendment": lambda w, s: (
        "POST",
        f"/meetings/{s.m.pk}/amendments",
        {"text": "Đính chính tên đồng chí Lan."},
    ),
    "agenda_add": lambda w, s: ("POST", f"/meetings/{s.m.pk}/agenda", {"title": "Góp ý dự thảo văn kiện"}),
    "item_start": lambda w, s: ("POST", f"/agenda-items/{s.items[0].pk}/start", None),
    "item_end": lambda w, s: ("POST", f"/agenda-items/{s.items[0].pk}/end", None),
    "conclusion": lambda w, s: (
        "POST",
        f"/agenda-items/{s.conclusion.pk}/conclusion",
        {"text": "Thống nhất."},
    ),
    "attendance_set": lambda w, s: (
        "PUT",
        f"/meetings/{s.m.pk}/attendance/{w.m_same.pk}",
        {
            "status": "absent_excused",
            "reason": "Ốm",
        },
    ),
    "dues": lambda w, s: (
        "PUT",
        f"/meetings/{s.m.pk}/dues/{w.m_same.pk}",
        {"collected": True, "amount": 20000},
    ),
    "guest_add": lambda w, s: ("POST", f"/meetings/{s.m.pk}/guests", {"name": "Đồng chí Tư"}),
    "speech_add": lambda w, s: (
        "POST",
        f"/meetings/{s.m.pk}/speeches",
        {
            "summary": "Đồng ý.",
            "member": w.sec_member.pk,
        },
    ),
    "speech_delete": lambda w, s: ("DELETE", f"/speeches/{s.speech.pk}", None),
    "task_add": lambda w, s: (
        "POST",
        f"/meetings/{s.m.pk}/tasks",
        {
            "title": "Dọn vệ sinh",
            "assignee": w.m_same.pk,
            "due_date": "2031-06-01",
        },
    ),
    "task_report": lambda w, s: (
        "POST",
        f"/meetings/{s.m.pk}/tasks/{s.task.pk}/report",
        {
            "text": "Đã xong 200 m.",
            "done": True,
        },
    ),
    "vote_open": lambda w, s: ("POST", f"/meetings/{s.m.pk}/votes", {"subject": "Nghị quyết bổ sung"}),
    "ballot": lambda w, s: ("POST", f"/votes/{s.vote.pk}/ballots", {"member": w.m_same.pk, "choice": "for"}),
    "vote_close": lambda w, s: ("POST", f"/votes/{s.vote.pk}/close", {}),
    "score_cell": lambda w, s: (
        "PUT",
        f"/meetings/{s.m.pk}/score/cell",
        {
            "entries": {"order_content": 10, "criticism": 8},
        },
    ),
    "score_upper": lambda w, s: (
        "PUT",
        f"/meetings/{s.m.pk}/score/upper",
        {
            "entries": {"order_content": 9, "criticism": 7},
            "note": "Tốt",
        },
    ),
    "document_upload": lambda w, s: ("UPLOAD", f"/meetings/{s.m.pk}/documents", None),
}

# Who may perform each write, the expected status, and what must hold first (the others must not).
WRITERS: dict[str, tuple[str, int, Callable[[Any, Any], None] | None]] = {
    "meeting_create": ("secretary", 201, None),
    "meeting_patch": ("secretary", 200, None),
    "publish": ("secretary", 200, None),
    "start": ("secretary", 200, None),
    "read_back": ("secretary", 200, None),
    "approve": ("secretary", 200, _ready_to_approve),
    "amendment": ("secretary", 201, _approved),
    "agenda_add": ("secretary", 201, None),
    "item_start": ("secretary", 200, None),
    "item_end": ("secretary", 200, _start_first),
    "conclusion": ("secretary", 200, None),
    "attendance_set": ("secretary", 200, None),
    "dues": ("secretary", 200, None),
    "guest_add": ("secretary", 201, None),
    "speech_add": ("secretary", 201, None),
    "speech_delete": ("secretary", 204, None),
    "task_add": ("secretary", 201, None),
    "task_report": ("secretary", 200, None),
    "vote_open": ("secretary", 201, _close_open_vote),
    "ballot": ("secretary", 200, None),
    "vote_close": ("secretary", 200, None),
    "score_cell": ("secretary", 200, None),
    "score_upper": ("officer", 200, None),
    "document_upload": ("secretary", 201, None),
}
READ_ONLY = {name: ("member_same", "officer") for name in WRITES} | {
    "score_upper": ("member_same", "secretary")
}
# Not meeting writes (creating one), or allowed on a locked meeting (amendments).
NOT_LOCKABLE = {"meeting_create", "amendment"}


def _send(call: Call, user: User, spec: tuple[str, str, Any]) -> Any:
    method, path, body = spec
    if method == "UPLOAD":
        body = {"kind": "draft_report", "title": "Dự thảo báo cáo", "file": _pdf("bao-cao.pdf")}
    return call(user, method, path, body)


def _state(s: SimpleNamespace) -> tuple[int, list[int]]:
    return AuditEntry.objects.count(), list(Meeting.objects.order_by("pk").values_list("version", flat=True))


@pytest.mark.parametrize("endpoint", sorted(READS))
@pytest.mark.parametrize("persona", ["secretary", "member_same", "officer", "admin"])
def test_read_allowed(world, call, live, endpoint, persona):
    response = call(getattr(world, persona), "GET", READS[endpoint](world, live))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("endpoint", sorted(READS))
@pytest.mark.parametrize("persona", ["member_other", "officer_other"])
def test_read_outsider_gets_404(world, call, live, endpoint, persona):
    response = call(getattr(world, persona), "GET", READS[endpoint](world, live))
    assert response.status_code == 404
    assert response.json() == {"detail": "Không tìm thấy."}


@pytest.mark.parametrize("endpoint", sorted(WRITES))
def test_write_allowed(world, call, live, endpoint):
    persona, status, prepare = WRITERS[endpoint]
    if prepare is not None:
        prepare(world, live)
    before = AuditEntry.objects.count()
    response = _send(call, getattr(world, persona), WRITES[endpoint](world, live))
    assert response.status_code == status, response.content
    assert AuditEntry.objects.count() > before


@pytest.mark.parametrize("endpoint", sorted(WRITES))
def test_write_read_only_gets_403_and_changes_nothing(world, call, live, endpoint):
    for persona in READ_ONLY[endpoint]:
        before = _state(live)
        response = _send(call, getattr(world, persona), WRITES[endpoint](world, live))
        assert response.status_code == 403, (persona, response.content)
        assert response.json()["detail"]
        assert _state(live) == before


@pytest.mark.parametrize("endpoint", sorted(WRITES))
@pytest.mark.parametrize("persona", ["member_other", "officer_other"])
def test_write_outsider_gets_404_and_changes_nothing(world, call, live, endpoint, persona):
    before = _state(live)
    response = _send(call, getattr(world, persona), WRITES[endpoint](world, live))
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Không tìm thấy."}
    assert _state(live) == before


@pytest.mark.parametrize("endpoint", sorted(set(WRITES) - NOT_LOCKABLE))
def test_write_on_a_locked_meeting_is_403_and_changes_nothing(world, call, locked, endpoint):
    before = _state(locked)
    # The administrator holds every permission: the lock is the only reason to refuse.
    response = _send(call, world.admin, WRITES[endpoint](world, locked))
    assert response.status_code == 403, response.content
    assert response.json() == {"detail": LOCKED}
    assert _state(locked) == before


def test_missing_objects_are_404(world, call):
    for path in ("/meetings/999999", "/meetings/999999/agenda", "/documents/999999/download"):
        assert call(world.admin, "GET", path).status_code == 404
    for path in ("/agenda-items/999999/start", "/votes/999999/close", "/meetings/999999/publish"):
        assert call(world.admin, "POST", path, {}).status_code == 404
    assert call(world.admin, "DELETE", "/speeches/999999").status_code == 404


def test_attendance_of_a_member_not_on_the_roster_is_404(world, call, live):
    response = call(
        world.secretary, "PUT", f"/meetings/{live.m.pk}/attendance/{world.m_other.pk}", {"status": "present"}
    )
    assert response.status_code == 404


def test_a_task_of_another_cell_is_404(world, call, live):
    other = services.create_meeting(
        actor=None, cell=world.cell2, kind=MeetingKind.REGULAR, scheduled_at=at(timezone.localdate(), 19, 30)
    )
    services.start(actor=None, meeting=other)
    task = services.assign_task(actor=None, meeting=other, title="Việc chi bộ 2", assignee=world.m_other)
    response = call(world.secretary, "POST", f"/meetings/{live.m.pk}/tasks/{task.pk}/report", {"text": "x"})
    assert response.status_code == 404


def test_documents_are_hidden_from_members_until_published(world, call):
    m = services.create_meeting(
        actor=None,
        cell=world.cell1,
        kind=MeetingKind.REGULAR,
        scheduled_at=at(timezone.localdate() + dt.timedelta(days=5), 19, 30),
    )
    doc = add_document(actor=None, meeting=m, kind="draft_report", title="Dự thảo", upload=_pdf())
    assert call(world.member_same, "GET", f"/meetings/{m.pk}/documents").json() == []
    assert call(world.member_same, "GET", f"/documents/{doc.pk}/download").status_code == 404
    assert len(call(world.secretary, "GET", f"/meetings/{m.pk}/documents").json()) == 1
    assert call(world.secretary, "GET", f"/documents/{doc.pk}/download").status_code == 200


# --------------------------------------------------------------------------
# A whole meeting through the API
# --------------------------------------------------------------------------


def test_a_complete_meeting_through_the_api_only(world, call):
    sec, officer = world.secretary, world.officer
    day = timezone.localdate() + dt.timedelta(days=3)
    created = call(
        sec,
        "POST",
        "/meetings",
        {
            "organisation": world.cell1.pk,
            "kind": "regular",
            "scheduled_at": f"{day.isoformat()}T19:30",
            "title": "Sinh hoạt thường kỳ",
            "place": "Nhà văn hóa thôn 1",
        },
    )
    assert created.status_code == 201, created.content
    m = created.json()
    mid = m["id"]
    assert m["status"] == "planned" and m["status_label"] == "Kế hoạch"
    assert m["scheduled_at"] == f"{day.isoformat()}T19:30:00+07:00"
    assert m["rulebook"] == {
        "code": "hd42-2025",
        "version": 1,
        "name": m["rulebook"]["name"],
        "recorded": False,
    }
    assert m["breaches"] == [] and m["figures"]["roster"] == 0

    patched = call(
        sec,
        "PATCH",
        f"/meetings/{mid}",
        {
            "preparer": world.sec_member.pk,
            "chair": world.sec_member.pk,
            "secretary": world.m_same.pk,
            "pre_meeting_at": f"{(day - dt.timedelta(days=5)).isoformat()}T08:00",
            "expected_version": m["version"],
        },
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["version"] == m["version"] + 1
    assert patched.json()["chair_id"] == world.sec_member.pk

    upload = call(
        sec,
        "UPLOAD",
        f"/meetings/{mid}/documents",
        {
            "kind": "draft_resolution",
            "title": "Dự thảo nghị quyết",
            "file": _pdf(),
        },
    )
    assert upload.status_code == 201, upload.content
    assert upload.json()["content_type"] == "application/pdf"

    published = call(sec, "POST", f"/meetings/{mid}/publish").json()
    assert published["status"] == "published" and published["figures"]["roster"] == 4
    docs = call(world.member_same, "GET", f"/meetings/{mid}/documents").json()
    assert [d["title"] for d in docs] == ["Dự thảo nghị quyết"]
    download = call(world.member_same, "GET", docs[0]["download_url"].removeprefix(BASE))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]

    started = call(sec, "POST", f"/meetings/{mid}/start").json()
    assert started["status"] == "in_progress"
    assert (started["rulebook_code"], started["rulebook_version"]) == ("hd42-2025", 1)
    assert started["rulebook"]["recorded"] is True

    roster = call(sec, "GET", f"/meetings/{mid}/attendance").json()
    assert {r["full_name"] for r in roster} == {
        "Nguyễn Văn Hùng",
        "Trần Thị Lan",
        "Lê Văn Bình",
        "Phạm Thị Hoà",
    }
    assert all(r["status"] == "" and r["status_label"] == "Chưa điểm danh" for r in roster)
    for row in roster:
        body = {"status": "present"}
        if row["full_name"] == "Lê Văn Bình":
            body = {"status": "absent_excused", "reason": "Đi công tác"}
        marked = call(sec, "PUT", f"/meetings/{mid}/attendance/{row['member_id']}", body)
        assert marked.status_code == 200, marked.content
    dues = call(sec, "PUT", f"/meetings/{mid}/dues/{world.m_same.pk}", {"collected": True, "amount": 30000})
    assert dues.json()["dues_amount"] == 30000

    guest = call(
        sec,
        "POST",
        f"/meetings/{mid}/guests",
        {
            "name": "Đồng chí Ba",
            "position": "Đảng ủy viên xã",
            "is_upper_officer": True,
        },
    ).json()
    agenda = call(sec, "GET", f"/meetings/{mid}/agenda").json()
    assert agenda[0]["code"] == "dues" and agenda[-1]["code"] == "close"
    assert call(sec, "POST", f"/agenda-items/{agenda[0]['id']}/start").json()["started_at"]
    discussion = next(i for i in agenda if i["code"] == "discussion")
    for body in (
        {"member": world.m_same.pk, "summary": "Đề nghị làm đường.", "item": discussion["id"]},
        {"member": world.sec_member.pk, "summary": "Đồng ý.", "item": discussion["id"]},
        {"guest": guest["id"], "summary": "Biểu dương chi bộ."},
    ):
        assert call(sec, "POST", f"/meetings/{mid}/speeches", body).status_code == 201
    speeches = call(sec, "GET", f"/meetings/{mid}/speeches").json()
    assert [s["speaker"] for s in speeches] == ["Trần Thị Lan", "Nguyễn Văn Hùng", "Đồng chí Ba"]
    conclusion = next(i for i in agenda if i["code"] == "conclusion")
    said = call(
        sec, "POST", f"/agenda-items/{conclusion['id']}/conclusion", {"text": "Thống nhất làm đường."}
    )
    assert said.json()["conclusion"] == "Thống nhất làm đường."

    task = call(
        sec,
        "POST",
        f"/meetings/{mid}/tasks",
        {
            "title": "Vận động làm đường",
            "assignee": world.m_same.pk,
            "due_date": (day + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert task.status_code == 201 and task.json()["assignee_name"] == "Trần Thị Lan"
    tasks = call(sec, "GET", f"/meetings/{mid}/tasks").json()
    assert [t["title"] for t in tasks["assigned"]] == ["Vận động làm đường"] and tasks["to_review"] == []

    vote = call(sec, "POST", f"/meetings/{mid}/votes", {"subject": "Nghị quyết tháng"}).json()
    assert vote["eligible_count"] == 3  # the probationary member does not vote
    closed = call(
        sec, "POST", f"/votes/{vote['id']}/close", {"in_favour": 2, "against": 0, "other": 0}
    ).json()
    assert closed["passed"] is True and closed["closed_at"]
    last = agenda[-1]["id"]
    call(sec, "POST", f"/agenda-items/{last}/start")
    assert call(sec, "POST", f"/agenda-items/{last}/end").json()["ended_at"]

    cell = call(sec, "PUT", f"/meetings/{mid}/score/cell", {"entries": {"order_content": 10, "criticism": 8}})
    assert cell.status_code == 200, cell.content
    upper = call(
        officer, "PUT", f"/meetings/{mid}/score/upper", {"entries": {"order_content": 9}, "note": "Khá"}
    )
    assert upper.status_code == 200, upper.content
    score = call(world.member_same, "GET", f"/meetings/{mid}/score").json()
    criteria = {c["code"]: c for c in score["criteria"]}
    assert criteria["order_content"]["auto"] is None and criteria["order_content"]["cell"] == 10
    assert criteria["order_content"]["upper"] == 9
    assert criteria["prep_content"]["auto"] == "prepared" and criteria["prep_content"]["auto_value"] == 5
    assert score["columns"]["cell"]["total"] == sum(c["cell"] for c in score["criteria"])
    assert score["columns"]["upper"]["note"] == "Khá"
    assert [b["label"] for b in score["bands"]] == ["Tốt", "Khá", "Trung bình", "Kém"]
    assert score["can_score"] == {"cell": False, "upper": False}  # a member only reads

    live_view = call(sec, "GET", f"/meetings/{mid}").json()
    figures = live_view["figures"]
    assert figures["attendance"] == {
        "present": 3,
        "absent_excused": 1,
        "absent_unexcused": 0,
        "exempt": 0,
        "away": 0,
        "unmarked": 0,
    }
    assert (figures["base"], figures["present"], figures["rate_percent"], figures["rate_ok"]) == (
        4,
        3,
        75.0,
        False,
    )
    assert figures["speakers"] == "2/3"
    codes = {b["code"] for b in live_view["breaches"]}
    assert {"attendance_rate", "duration"} <= codes  # 75% is not above 85%; the meeting took minutes
    duration = next(b for b in live_view["breaches"] if b["code"] == "duration")
    assert duration["rule"] == "Thời lượng sinh hoạt" and "dưới 90 phút" in duration["message"]

    assert call(sec, "POST", f"/meetings/{mid}/read-back").json()["status"] == "closed"
    approved = call(sec, "POST", f"/meetings/{mid}/approve")
    assert approved.status_code == 200, approved.content
    record = approved.json()
    assert record["status"] == "approved" and record["is_locked"] is True and record["can_manage"] is False
    assert record["figures"]["frozen"] is True
    assert record["figures"]["attendance"]["present"] == 3 and record["figures"]["speakers"] == "2/3"
    assert {b["code"] for b in record["breaches"]} == codes
    assert record["grade"]["label"] in {"Khá", "Trung bình", "Kém"}

    refused = call(sec, "PATCH", f"/meetings/{mid}", {"title": "Sửa sau khi duyệt"})
    assert refused.status_code == 403 and refused.json() == {"detail": LOCKED}
    amendment = call(
        sec, "POST", f"/meetings/{mid}/amendments", {"text": "Đính chính: đồng chí Bình đi công tác."}
    )
    assert amendment.status_code == 201 and amendment.json()["author"] == "bithu"
    assert [a["text"] for a in call(sec, "GET", f"/meetings/{mid}").json()["amendments"]] == [
        "Đính chính: đồng chí Bình đi công tác."
    ]
    listed = call(officer, "GET", "/meetings", {"status": "approved"}).json()
    assert listed["count"] == 1
    assert listed["items"][0]["figures"]["present"] == 3
    assert listed["items"][0]["figures"]["grade"] == record["grade"]["grade"]


# --------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------


def test_meeting_list_is_scoped_filtered_and_paginated(world, call, live):
    other = services.create_meeting(
        actor=None, cell=world.cell3, kind=MeetingKind.THEMATIC, scheduled_at=at(dt.date(2030, 3, 10), 19, 30)
    )
    secretary = call(world.secretary, "GET", "/meetings").json()
    assert secretary["count"] == 3
    assert other.pk not in [i["id"] for i in secretary["items"]]
    assert call(world.officer_other, "GET", "/meetings").json()["count"] == 1
    assert call(world.member_other, "GET", "/meetings").json()["count"] == 0
    assert call(world.admin, "GET", "/meetings").json()["count"] == 4
    assert call(world.admin, "GET", "/meetings", {"year": 2030}).json()["count"] == 1
    assert call(world.admin, "GET", "/meetings", {"kind": "thematic"}).json()["items"][0]["id"] == other.pk
    running = call(world.admin, "GET", "/meetings", {"status": "in_progress"}).json()
    assert {i["id"] for i in running["items"]} == {live.m.pk, live.prev.pk}
    of_commune = call(world.officer, "GET", "/meetings", {"organisation": world.an_binh.pk}).json()
    assert of_commune["count"] == 3
    page = call(world.admin, "GET", "/meetings", {"page": 2, "page_size": 3}).json()
    assert page["count"] == 4 and len(page["items"]) == 1
    item = secretary["items"][0]
    assert item["organisation_name"] == "Chi bộ thôn 1" and item["figures"] is None
    bad = call(world.admin, "GET", "/meetings", {"status": "xong"})
    assert bad.status_code == 422 and bad.json()["errors"]["status"][0].startswith("Giá trị không hợp lệ")


def _count(call: Call, user: User, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call(user, "GET", path)
        assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_rows(world, call, live):
    sec = world.secretary
    lists = [
        f"/meetings/{live.m.pk}/{part}"
        for part in ("agenda", "attendance", "guests", "speeches", "tasks", "votes", "documents")
    ]
    lists.append("/meetings")
    call(sec, "GET", "/meetings")  # the token's first use writes last_used_at
    before = {path: _count(call, sec, path) for path in lists}

    for i, name in enumerate(["Đinh Văn Một", "Đinh Văn Hai", "Đinh Văn Ba", "Đinh Văn Bốn"]):
        services.create_meeting(
            actor=sec,
            cell=world.cell1,
            kind=MeetingKind.REGULAR,
            scheduled_at=at(dt.date(2030, i + 1, 10), 19, 30),
        )
        services.add_item(actor=sec, meeting=live.m, title=f"Nội dung thêm {i}")
        services.add_guest(actor=sec, meeting=live.m, name=f"Đại biểu {i}")
        services.add_speech(actor=sec, meeting=live.m, member=world.sec_member, summary=f"Ý kiến {i}")
        services.assign_task(actor=sec, meeting=live.m, title=f"Việc {i}", assignee=world.m_same)
        services.assign_task(actor=sec, meeting=live.prev, title=f"Việc cũ {i}", assignee=world.sec_member)
        add_document(actor=sec, meeting=live.m, kind="other", title=f"Tài liệu {i}", upload=_pdf(f"t{i}.pdf"))
        add_member(world.cell1, name)
    services.draw_roster(live.m)
    for row in live.m.attendance.filter(status="").select_related("member"):
        services.set_attendance(actor=sec, meeting=live.m, member=row.member, status=AttendanceStatus.PRESENT)
    services.close_vote(actor=sec, vote=live.vote)
    for i in range(2):
        vote = services.open_vote(actor=sec, meeting=live.m, subject=f"Biểu quyết {i}")
        services.close_vote(actor=sec, vote=vote, in_favour=1, against=0, other=0)

    after = {path: _count(call, sec, path) for path in lists}
    assert after == before


# --------------------------------------------------------------------------
# Validation (422), conflicts (409), refusals
# --------------------------------------------------------------------------


def test_create_meeting_bad_input_is_422_in_vietnamese(world, call):
    response = call(
        world.secretary,
        "POST",
        "/meetings",
        {
            "organisation": world.cell1.pk,
            "kind": "hop_mat",
            "scheduled_at": "15/05/2031 19:30",
            "color": "do",
        },
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["kind"][0].startswith("Giá trị không hợp lệ. Giá trị cho phép:")
    assert errors["scheduled_at"] == [api_meetings.DATETIME_INVALID]
    assert errors["color"] == ["Trường này không được phép ở đây."]
    missing = call(world.secretary, "POST", "/meetings", {"organisation": world.cell1.pk, "kind": "regular"})
    assert missing.json()["errors"] == {"scheduled_at": ["Thiếu trường bắt buộc."]}
    assert not Meeting.objects.exists()


def test_create_meeting_outside_a_cell_is_422_and_needs_the_manager_right(world, call):
    response = call(
        world.admin,
        "POST",
        "/meetings",
        {
            "organisation": world.an_binh.pk,
            "kind": "regular",
            "scheduled_at": "2031-05-15T19:30",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"organisation": ["Chỉ chi bộ mới có buổi sinh hoạt."]}
    body = {"organisation": world.cell1.pk, "kind": "regular", "scheduled_at": "2031-05-15T19:30"}
    assert call(world.officer, "POST", "/meetings", body).status_code == 403
    assert call(world.officer_other, "POST", "/meetings", body).status_code == 404
    assert not Meeting.objects.exists()


def test_scheduled_at_with_and_without_offset(world, call):
    plain = call(
        world.secretary,
        "POST",
        "/meetings",
        {
            "organisation": world.cell1.pk,
            "kind": "regular",
            "scheduled_at": "2031-05-15T19:30",
        },
    ).json()
    utc = call(
        world.secretary,
        "POST",
        "/meetings",
        {
            "organisation": world.cell1.pk,
            "kind": "regular",
            "scheduled_at": "2031-05-15T12:30:00Z",
        },
    ).json()
    assert plain["scheduled_at"] == utc["scheduled_at"] == "2031-05-15T19:30:00+07:00"


def test_patch_validation_is_422(world, call, live):
    path = f"/meetings/{live.m.pk}"
    version = Meeting.objects.get(pk=live.m.pk).version
    outsider = call(world.secretary, "PATCH", path, {"chair": world.m_other.pk})
    assert outsider.status_code == 422
    assert outsider.json()["errors"] == {"chair": ["Đảng viên không thuộc chi bộ này."]}
    kind = call(world.secretary, "PATCH", path, {"kind": "thematic"})
    assert kind.json()["errors"] == {"kind": ["Chỉ đổi loại buổi sinh hoạt trước khi bắt đầu họp."]}
    null = call(world.secretary, "PATCH", path, {"scheduled_at": None, "title": None})
    assert set(null.json()["errors"]) == {"scheduled_at", "title"}
    assert Meeting.objects.get(pk=live.m.pk).version == version
    cleared = call(world.secretary, "PATCH", path, {"chair": None, "place": "  Hội trường   thôn "})
    assert cleared.status_code == 200
    assert cleared.json()["chair_id"] is None and cleared.json()["place"] == "Hội trường thôn"


def test_a_stale_expected_version_is_409_and_writes_nothing(world, call, live):
    path = f"/meetings/{live.m.pk}"
    seen = call(world.secretary, "GET", path).json()["version"]
    first = call(world.secretary, "PATCH", path, {"title": "Bản A", "expected_version": seen})
    assert first.status_code == 200
    audit = AuditEntry.objects.count()
    stale = call(world.secretary, "PATCH", path, {"title": "Bản B", "expected_version": seen})
    assert stale.status_code == 409
    assert stale.json() == {"detail": CONFLICT}
    fresh = Meeting.objects.get(pk=live.m.pk)
    assert fresh.title == "Bản A" and fresh.version == seen + 1
    assert AuditEntry.objects.count() == audit
    roll = call(
        world.secretary,
        "PUT",
        f"{path}/attendance/{world.m_same.pk}",
        {"status": "absent_unexcused", "expected_version": seen},
    )
    assert roll.status_code == 409
    assert fresh.attendance.get(member=world.m_same).status == AttendanceStatus.PRESENT


def test_roll_call_validation_is_422(world, call, live):
    path = f"/meetings/{live.m.pk}/attendance/{world.m_same.pk}"
    no_reason = call(world.secretary, "PUT", path, {"status": "absent_excused"})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"] == {"reason": ["Vắng có lý do: hãy ghi lý do."]}
    bad = call(world.secretary, "PUT", path, {"status": "ngu_quen"})
    assert bad.json()["errors"]["status"][0].startswith("Giá trị không hợp lệ")
    dues = call(
        world.secretary,
        "PUT",
        f"/meetings/{live.m.pk}/dues/{world.m_same.pk}",
        {"collected": True, "amount": -5},
    )
    assert dues.json()["errors"] == {"amount": ["Phải lớn hơn hoặc bằng 0."]}


def test_speech_task_and_vote_validation_is_422(world, call, live):
    sec, mid = world.secretary, live.m.pk
    stranger = call(sec, "POST", f"/meetings/{mid}/speeches", {"summary": "x", "member": world.m_other.pk})
    assert stranger.json()["errors"] == {"member": [api_meetings.NOT_ON_ROSTER]}
    nobody = call(sec, "POST", f"/meetings/{mid}/speeches", {"summary": "Ý kiến"})
    assert nobody.json()["errors"] == {"member": ["Chọn một đảng viên hoặc một đại biểu."]}
    empty = call(sec, "POST", f"/meetings/{mid}/speeches", {"member": world.m_same.pk})
    assert empty.json()["errors"] == {"summary": ["Thiếu trường bắt buộc."]}
    task = call(sec, "POST", f"/meetings/{mid}/tasks", {"title": "Việc", "assignee": world.m_other.pk})
    assert task.json()["errors"] == {"assignee": ["Đảng viên không thuộc chi bộ này."]}
    group = call(sec, "POST", f"/meetings/{mid}/tasks", {"title": "Việc", "assignee_group": world.cell2.pk})
    assert group.json()["errors"] == {"assignee_group": ["Tổ đảng không thuộc chi bộ."]}
    second = call(sec, "POST", f"/meetings/{mid}/votes", {"subject": "Thêm"})
    assert second.json()["errors"] == {"__all__": ["Đang có một biểu quyết chưa kết thúc."]}
    probationary = live.m.attendance.get(is_full=False).member
    ballot = call(sec, "POST", f"/votes/{live.vote.pk}/ballots", {"member": probationary.pk, "choice": "for"})
    assert "không có quyền biểu quyết" in ballot.json()["errors"]["member"][0]
    services.close_vote(actor=sec, vote=live.vote)
    counted = call(sec, "POST", f"/meetings/{mid}/votes", {"subject": "Đếm"}).json()
    short = call(sec, "POST", f"/votes/{counted['id']}/close", {"in_favour": 2})
    assert short.json()["errors"] == {"__all__": ["Hãy nhập đủ số tán thành, không tán thành, ý kiến khác."]}


def test_score_validation_is_422_and_upper_column_needs_a_held_meeting(world, call, live):
    path = f"/meetings/{live.m.pk}/score/cell"
    high = call(world.secretary, "PUT", path, {"entries": {"order_content": 11}})
    assert high.status_code == 422
    assert high.json()["errors"] == {
        "entries.order_content": [
            "Đúng trình tự, đủ nội dung theo hướng dẫn cấp trên: điểm phải từ 0 đến 10."
        ]
    }
    unknown = call(world.secretary, "PUT", path, {"entries": {"dep_trai": 5}})
    assert unknown.json()["errors"] == {
        "entries.dep_trai": ["Không có tiêu chí này trong phiếu chấm của buổi sinh hoạt."]
    }
    text = call(world.secretary, "PUT", path, {"entries": {"order_content": "mười"}})
    assert text.json()["errors"] == {"entries.order_content": ["Phải là số nguyên."]}
    peer = call(world.admin, "PUT", f"/meetings/{live.m.pk}/score/peer", {"entries": {}})
    assert peer.status_code == 422
    assert not live.m.scores.exists()
    early = call(world.officer, "PUT", f"/meetings/{live.planned.pk}/score/upper", {"entries": {}})
    assert early.status_code == 403
    assert early.json() == {"detail": api_meetings.UPPER_NOT_HELD}


def test_lifecycle_refusals_are_422(world, call, live):
    sec = world.secretary
    early = call(sec, "POST", f"/meetings/{live.m.pk}/approve")
    assert early.status_code == 422
    assert early.json()["errors"] == {"__all__": ["Biên bản chưa được đọc lại trước chi bộ."]}
    again = call(sec, "POST", f"/meetings/{live.m.pk}/publish")
    assert again.json()["errors"] == {"__all__": ["Buổi sinh hoạt đã bắt đầu; không cần thông báo lại."]}
    amend = call(sec, "POST", f"/meetings/{live.m.pk}/amendments", {"text": "Sửa"})
    assert amend.json()["errors"] == {
        "__all__": ["Biên bản chưa duyệt: hãy sửa trực tiếp thay vì đính chính."]
    }
    not_started = call(sec, "POST", f"/agenda-items/{live.items[1].pk}/end")
    assert not_started.json()["errors"] == {"__all__": ["Bước này chưa bắt đầu."]}
    after = call(sec, "POST", f"/meetings/{live.m.pk}/agenda", {"title": "Mới", "after": live.planned.pk})
    assert after.json()["errors"] == {"after": ["Nội dung không thuộc buổi sinh hoạt này."]}


def test_document_upload_validation_is_422(world, call, live):
    path = f"/meetings/{live.m.pk}/documents"
    exe = call(
        world.secretary,
        "UPLOAD",
        path,
        {
            "kind": "other",
            "file": SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/pdf"),
        },
    )
    assert exe.status_code == 422
    assert exe.json()["errors"] == {"file": ["Chỉ nhận tệp PDF, DOCX, XLSX, PPTX, PNG hoặc JPG."]}
    fake = call(
        world.secretary, "UPLOAD", path, {"kind": "other", "file": _pdf("gia.pdf", b"khong phai pdf")}
    )
    assert fake.json()["errors"] == {"file": ["Nội dung tệp không phải là PDF hợp lệ."]}
    kind = call(world.secretary, "UPLOAD", path, {"kind": "bi_mat", "file": _pdf()})
    assert kind.json()["errors"]["kind"][0].startswith("Giá trị không hợp lệ")
    missing = call(world.secretary, "UPLOAD", path, {"kind": "other"})
    assert missing.json()["errors"] == {"file": ["Hãy chọn tệp để tải lên."]}
    assert live.m.documents.count() == 1


def test_delete_speech_removes_it(world, call, live):
    response = call(world.secretary, "DELETE", f"/speeches/{live.speech.pk}")
    assert response.status_code == 204
    assert not live.m.speeches.exists()


def test_tasks_to_review_carry_their_report(world, call, live):
    call(
        world.secretary,
        "POST",
        f"/meetings/{live.m.pk}/tasks/{live.task.pk}/report",
        {"text": "Xong.", "done": True},
    )
    tasks = call(world.member_same, "GET", f"/meetings/{live.m.pk}/tasks").json()
    assert [t["id"] for t in tasks["to_review"]] == [live.task.pk]
    assert tasks["to_review"][0]["report"]["done"] is True
    assert tasks["to_review"][0]["status"] == "done"


# --------------------------------------------------------------------------
# OpenAPI
# --------------------------------------------------------------------------


def test_openapi_lists_the_meeting_paths(db, client):
    doc = client.get(f"{BASE}/openapi.json").json()
    expected = {
        "/api/v1/meetings": {"get", "post"},
        "/api/v1/meetings/{meeting_id}": {"get", "patch"},
        "/api/v1/meetings/{meeting_id}/publish": {"post"},
        "/api/v1/meetings/{meeting_id}/start": {"post"},
        "/api/v1/meetings/{meeting_id}/read-back": {"post"},
        "/api/v1/meetings/{meeting_id}/approve": {"post"},
        "/api/v1/meetings/{meeting_id}/amendments": {"post"},
        "/api/v1/meetings/{meeting_id}/agenda": {"get", "post"},
        "/api/v1/agenda-items/{item_id}/start": {"post"},
        "/api/v1/agenda-items/{item_id}/end": {"post"},
        "/api/v1/agenda-items/{item_id}/conclusion": {"post"},
        "/api/v1/meetings/{meeting_id}/attendance": {"get"},
        "/api/v1/meetings/{meeting_id}/attendance/{member_id}": {"put"},
        "/api/v1/meetings/{meeting_id}/dues/{member_id}": {"put"},
        "/api/v1/meetings/{meeting_id}/guests": {"get", "post"},
        "/api/v1/meetings/{meeting_id}/speeches": {"get", "post"},
        "/api/v1/speeches/{speech_id}": {"delete"},
        "/api/v1/meetings/{meeting_id}/tasks": {"get", "post"},
        "/api/v1/meetings/{meeting_id}/tasks/{task_id}/report": {"post"},
        "/api/v1/meetings/{meeting_id}/votes": {"get", "post"},
        "/api/v1/votes/{vote_id}/ballots": {"post"},
        "/api/v1/votes/{vote_id}/close": {"post"},
        "/api/v1/meetings/{meeting_id}/score": {"get"},
        "/api/v1/meetings/{meeting_id}/score/{column}": {"put"},
        "/api/v1/meetings/{meeting_id}/documents": {"get", "post"},
        "/api/v1/documents/{document_id}/download": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(doc["paths"][path]), path
        for method in methods:
            assert doc["paths"][path][method]["security"] == [{"BearerToken": []}], (path, method)
    assert "409" in doc["paths"]["/api/v1/meetings/{meeting_id}"]["patch"]["responses"]
    upload = doc["paths"]["/api/v1/meetings/{meeting_id}/documents"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    schemas = doc["components"]["schemas"]
    assert {"figures", "breaches", "version", "is_locked", "rulebook"} <= set(
        schemas["MeetingOut"]["properties"]
    )
