"""Bài viết tin: a news-article draft about a meeting, written from the record by templates.

Every sentence is a template filled with record fields only (names, numbers, dates, quotes of
what was recorded); a sentence whose field is empty is left out. Quoted speech is the recorded
summary, verbatim. An optional language-model polish is not built: it is off by design here
(see docs/architecture.md) because no model may add a fact the record does not hold.
"""

from __future__ import annotations

from chibo.documents.builders import d, pct
from chibo.documents.record import Record, kind_is_thematic
from chibo.documents.render.model import Document, Run
from chibo.meetings.models import MeetingKind
from chibo.members.models import PartyPosition

POSITION = {PartyPosition.SECRETARY: "Bí thư Chi bộ", PartyPosition.DEPUTY: "Phó Bí thư Chi bộ",
            PartyPosition.COMMITTEE: "Chi ủy viên"}
MAX_QUOTES = 3
MAX_TASKS = 3


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def _quote(text: str) -> str:
    return f"“{' '.join(text.split()).rstrip('.')}”"


def headline(rec: Record) -> str:
    if rec.kind == MeetingKind.THEMATIC:
        return f"{rec.cell_name} sinh hoạt chuyên đề “{rec.topic_title or rec.title}”"
    if rec.kind == MeetingKind.COMBINED:
        return f"{rec.cell_name} sinh hoạt thường kỳ kết hợp chuyên đề {rec.month_label}"
    return f"{rec.cell_name} sinh hoạt chi bộ {rec.month_label}"


def sentences(rec: Record) -> list[tuple[str, str]]:
    """(role, text) pairs: lead, body paragraphs."""
    out: list[tuple[str, str]] = []
    lead = f"Ngày {d(rec.day)}, {rec.cell_name}"
    if rec.upper_name:
        lead += f" thuộc {rec.upper_name}"
    lead += f" tổ chức {rec.kind_label.lower()}"
    lead += f" {rec.month_label}." if rec.kind in (MeetingKind.REGULAR, MeetingKind.COMBINED) else "."
    if rec.chair:
        position = POSITION.get(rec.chair_position, "")
        lead += f" Đồng chí {rec.chair}{', ' + position + ',' if position else ''} chủ trì buổi sinh hoạt."
    out.append(("lead", lead))
    people = []
    if rec.upper_guests:
        names = "; ".join(f"đồng chí {g.name}{', ' + g.position if g.position else ''}" for g in rec.upper_guests)
        people.append(f"Dự buổi sinh hoạt có {names}.")
    people.append(f"Có {rec.present_total}/{rec.total} đảng viên của chi bộ tham dự.")
    out.append(("body", " ".join(people)))
    if kind_is_thematic(rec.kind) and rec.topic_title:
        presenters = [s.speaker for i in rec.items if i.code == "presentation" for s in i.speeches if not s.guest]
        if presenters:
            out.append(("body", f"Đồng chí {presenters[0]} trình bày chuyên đề “{rec.topic_title}”."))
        else:
            out.append(("body", f"Chuyên đề của buổi sinh hoạt: “{rec.topic_title}”."))
    content = [i.title.lower() for i in rec.items if i.code not in ("", "other") and _is_content(i.code)]
    if content:
        out.append(("body", f"Nội dung buổi sinh hoạt gồm: {'; '.join(content)}."))
    members = [s for s in rec.speech_lines() if not s.guest]
    if members:
        text = f"Tại buổi sinh hoạt có {rec.speakers} đảng viên phát biểu ý kiến."
        for s in members[:MAX_QUOTES]:
            text += f" Đồng chí {s.speaker} nêu: {_quote(s.summary)}."
        out.append(("body", text))
    for s in [s for s in rec.speech_lines() if s.guest]:
        position = f", {s.position}" if s.position else ""
        out.append(("body", f"Phát biểu tại buổi sinh hoạt, đồng chí {s.speaker}{position} nêu: {_quote(s.summary)}."))
    conclusion = next((i.conclusion for i in rec.items if i.code == "conclusion" and i.conclusion), "")
    if conclusion and rec.chair:
        out.append(("body", f"Kết luận buổi sinh hoạt, đồng chí {rec.chair} nêu: {_quote(_first_line(conclusion))}."))
    if rec.tasks:
        shown = "; ".join(
            f"{t.title.rstrip('.')} ({'' if t.group else 'đồng chí '}{t.owner}{', hạn ' + d(t.due) if t.due else ''})"
            if t.owner
            else t.title for t in rec.tasks[:MAX_TASKS]
        )
        out.append(("body", f"Chi bộ giao {len(rec.tasks)} nhiệm vụ, trong đó: {shown}."))
    vote = rec.vote
    if vote and vote.passed is not None:
        if vote.passed:
            out.append(("body", f"Chi bộ biểu quyết thông qua “{vote.subject}” với {vote.in_favour}/{vote.eligible} "
                                f"đảng viên có quyền biểu quyết tán thành."))
        else:
            out.append(("body", f"Nội dung “{vote.subject}” chưa được thông qua ({vote.in_favour}/{vote.eligible} "
                                f"đảng viên có quyền biểu quyết tán thành)."))
    if rec.approved and rec.grade_label:
        out.append(("body", f"Buổi sinh hoạt được đánh giá đạt {rec.score} điểm, xếp loại {rec.grade_label}; tỷ lệ "
                            f"đảng viên dự họp {pct(rec.rate_percent)}."))
    return out


def _is_content(code: str) -> bool:
    return code in ("current_affairs", "upper_documents", "last_month", "next_month", "presentation", "discussion")


def article(rec: Record) -> Document:
    doc = Document(header=None, title=(headline(rec),), draft=not rec.approved,
                   name=f"bai-viet-{rec.day:%Y-%m-%d}-{rec.meeting_id}")
    for role, text in sentences(rec):
        if role == "lead":
            doc.para(Run(text, bold=True))
        else:
            doc.para(text)
    doc.para(Run(rec.cell_name, italic=True), align="right", indent=False, space_before=6)
    return doc
