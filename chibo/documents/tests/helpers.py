"""A fully recorded meeting of Chi bộ thôn 1 built through the meeting services, and read-back helpers."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docx
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chibo.meetings import services
from chibo.meetings.documents import add_document
from chibo.meetings.models import AttendanceStatus, MeetingKind, ScoreColumn
from chibo.members.models import MemberStatus
from chibo.organisations import services as org_services
from conftest import add_member

TZ = timezone.get_current_timezone()
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "documents"
ABSENT_REASON = "Đi công tác tỉnh ngoài"
GUEST = ("Phạm Văn Đông", "Phó Bí thư Đảng ủy xã An Bình")
SPEECHES = {
    "Trần Thị Lan": "Đề nghị vận động các hộ xóm Đông hiến đất mở rộng đường, còn 3 hộ chưa đồng ý.",
    "Lê Văn Bình": "Đề nghị tổ an ninh tăng cường tuần tra ban đêm.",
    "Phạm Thị Hoà": "Xin được giao giúp đỡ đoàn viên ưu tú học lớp nhận thức về Đảng.",
}
GUEST_SPEECH = "Đánh giá cao việc chuẩn bị nội dung; đề nghị chi bộ bám sát định hướng của Đảng ủy xã."
CONCLUSION = "Chi bộ thống nhất vận động hiến đất mở rộng đường xóm Đông trong tháng tới."


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def ensure_term(world: Any) -> None:
    if not world.cell1.terms.exists():
        org_services.add_term(actor=None, org=world.cell1, name="Nhiệm kỳ 2025–2030",
                              start=dt.date(2025, 1, 1), end=dt.date(2030, 6, 30))


def full_meeting(world: Any, *, day: dt.date | None = None, kind: str = MeetingKind.REGULAR, approve: bool = True,
                 topic_outline: str = "", in_favour: int | None = None) -> Any:
    """A meeting with absentees (with and without reason), a guest, speakers, tasks, a vote and both scores."""
    ensure_term(world)
    members = {m.full_name: m for m in world.cell1.members.all()}
    if "Đặng Văn Tư" not in members:
        members["Đặng Văn Tư"] = add_member(world.cell1, "Đặng Văn Tư")
        members["Bùi Thị Mơ"] = add_member(world.cell1, "Bùi Thị Mơ", status=MemberStatus.FULL)
    day = day or timezone.localdate() - dt.timedelta(days=3)
    topic = None
    if kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED):
        plan = world.cell1.plans.filter(year=day.year).first() or services.create_plan(
            actor=world.secretary, cell=world.cell1, year=day.year)
        topic = services.add_topic(actor=world.secretary, plan=plan, quarter=(day.month - 1) // 3 + 1,
                                   title="Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
                                   presenter=world.m_same, outline=topic_outline)
    m = services.create_meeting(actor=world.secretary, cell=world.cell1, kind=kind, scheduled_at=at(day, 19, 30),
                                place="Nhà văn hóa thôn 1", topic=topic, title=topic.title if topic else "")
    services.update_meeting(actor=world.secretary, meeting=m, preparer=world.sec_member,
                            pre_meeting_at=at(day - dt.timedelta(days=5), 8), chair=world.sec_member,
                            secretary=world.m_same)
    add_document(actor=world.secretary, meeting=m, kind="draft_resolution", title="Dự thảo nghị quyết",
                 upload=SimpleUploadedFile("du-thao.pdf", b"%PDF-1.4 test", content_type="application/pdf"))
    services.publish(actor=world.secretary, meeting=m, now=at(day - dt.timedelta(days=2), 9))
    start = at(day, 19, 30)
    services.start(actor=world.secretary, meeting=m, now=start)
    for a in m.attendance.select_related("member"):
        if a.member.full_name == "Đặng Văn Tư":
            services.set_attendance(actor=world.secretary, meeting=m, member=a.member,
                                    status=AttendanceStatus.ABSENT_EXCUSED, reason=ABSENT_REASON)
        elif a.member.full_name == "Bùi Thị Mơ":
            services.set_attendance(actor=world.secretary, meeting=m, member=a.member,
                                    status=AttendanceStatus.ABSENT_UNEXCUSED)
        elif not a.status:
            services.set_attendance(actor=world.secretary, meeting=m, member=a.member, status=AttendanceStatus.PRESENT)
    guest = services.add_guest(actor=world.secretary, meeting=m, name=GUEST[0], position=GUEST[1], is_upper_officer=True)
    items = list(m.items.all())
    services.start_item(actor=world.secretary, item=items[0], now=start)
    discussion = next(i for i in items if i.code == "discussion")
    if topic:
        presentation = next(i for i in items if i.code == "presentation")
        services.add_speech(actor=world.secretary, meeting=m, member=world.m_same, item=presentation,
                            summary="Trình bày dự thảo chuyên đề, nêu ba việc làm cụ thể.")
    for name, summary in SPEECHES.items():
        services.add_speech(actor=world.secretary, meeting=m, member=members[name], item=discussion, summary=summary)
    services.add_speech(actor=world.secretary, meeting=m, guest=guest, item=discussion, summary=GUEST_SPEECH)
    services.set_conclusion(actor=world.secretary, item=next(i for i in items if i.code == "conclusion"), text=CONCLUSION)
    services.assign_task(actor=world.secretary, meeting=m, title="Vận động 3 hộ xóm Đông hiến đất",
                         assignee=world.m_same, due_date=day + dt.timedelta(days=30))
    services.assign_task(actor=world.secretary, meeting=m, title="Tuần tra ban đêm", assignee_group=world.group1,
                         due_date=day + dt.timedelta(days=20))
    from chibo.meetings.selectors import open_tasks_for

    for task in open_tasks_for(m):  # last month's tasks reported at this meeting
        services.report_task(actor=world.secretary, meeting=m, task=task, done=task.assignee_id is not None,
                             text=("Đã xong" if task.assignee_id else "Đã làm được một phần") + f": {task.title.lower()}.")
    vote = services.open_vote(actor=world.secretary, meeting=m, subject="Nghị quyết chi bộ tháng")
    voters = len(services._present_eligible(vote))
    services.close_vote(actor=world.secretary, vote=vote, in_favour=voters if in_favour is None else in_favour,
                        against=0, other=voters - (voters if in_favour is None else in_favour))
    services.start_item(actor=world.secretary, item=items[-1], now=start + dt.timedelta(minutes=104))
    services.end_item(actor=world.secretary, item=items[-1], now=start + dt.timedelta(minutes=105))
    services.save_score(actor=world.secretary, meeting=m, column=ScoreColumn.CELL, entries={"order_content": 9, "criticism": 8, "depth": 8})
    services.save_score(actor=world.officer, meeting=m, column=ScoreColumn.UPPER, entries={"order_content": 7, "criticism": 6, "depth": 6})
    services.read_back(actor=world.secretary, meeting=m, now=start + dt.timedelta(minutes=105))
    if approve:
        m = services.approve(actor=world.secretary, meeting=m)
    m.refresh_from_db()
    return SimpleNamespace(meeting=m, day=day, members=members, guest=guest)


# --- reading documents back -----------------------------------------------------------------
def docx_text(data: bytes) -> str:
    """Every paragraph, table cell (incl. nested header tables) and page-header line of a DOCX."""
    d = docx.Document(io.BytesIO(data))
    out = [p.text for s in d.sections for p in s.header.paragraphs]
    out += [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            out.append(" | ".join(c.text for c in row.cells))
    return "\n".join(out)


def docx_tables(data: bytes) -> list[list[list[str]]]:
    d = docx.Document(io.BytesIO(data))
    return [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], check=True, capture_output=True, text=True).stdout


def pdf_page_png(data: bytes, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        target = ARTIFACTS / name
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", f.name, str(target)],
                       check=True)
    return target.with_suffix(".png")


def flat(text: str) -> str:
    """pdftotext wraps lines: compare with single spaces."""
    return " ".join(text.split())
