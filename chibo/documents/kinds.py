"""The catalogue of official documents and how each is produced from a meeting.

Adding a document: write a builder (Record → Document, chibo/documents/builders.py) and add a
Kind here; the meeting page, the API and the tests' read-back pick it up from this list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chibo.documents import article, builders, slides
from chibo.documents.record import HELD, Record
from chibo.documents.render import docx, pdf
from chibo.documents.render.model import Document
from chibo.meetings.models import Meeting, MeetingStatus

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


NOT_PUBLISHED = "Văn bản chưa được công bố: buổi sinh hoạt chưa thông báo."


class NotAvailable(Exception):
    """The document cannot be produced yet; the message says why (Vietnamese)."""


@dataclass(frozen=True)
class State:
    """What decides which documents a meeting can have (cheap: no full record needed)."""

    held: bool
    voted: bool
    topic: Any
    approved: bool
    published: bool


def state_of(meeting: Meeting) -> State:
    """One query (the votes) beyond the meeting and its topic."""
    return State(
        held=meeting.status in HELD, voted=meeting.votes.exists(), topic=meeting.topic if meeting.topic_id else None,
        approved=meeting.status == MeetingStatus.APPROVED, published=meeting.published_at is not None,
    )


def state_of_record(rec: Record) -> State:
    return State(held=rec.held, voted=bool(rec.votes), topic=rec.topic, approved=rec.approved, published=rec.published)


def _held(st: State) -> str:
    return "" if st.held else "Buổi sinh hoạt chưa diễn ra: chưa có nội dung để lập văn bản này."


def _voted(st: State) -> str:
    return _held(st) or ("" if st.voted else "Chi bộ chưa biểu quyết nghị quyết/kết luận.")


def _outline(st: State) -> str:
    if st.topic is None:
        return "Buổi sinh hoạt không có chuyên đề."
    return "" if slides.parse_outline(st.topic.outline) else "Chuyên đề chưa có đề cương (các phần cần trình bày)."


@dataclass(frozen=True)
class Kind:
    slug: str
    label: str
    formats: tuple[str, ...]
    missing: Callable[[State], str]  # "" when available, else why not
    build: Callable[[Record], Document] | None = None
    render_pptx: Callable[[Record], bytes] | None = None

    def file_stem(self, rec: Record) -> str:
        return f"{self.slug}-{rec.day:%Y-%m-%d}-{rec.meeting_id}"


KINDS: dict[str, Kind] = {k.slug: k for k in (
    Kind("bien-ban", "Biên bản sinh hoạt chi bộ", ("docx", "pdf"), _held, builders.minutes),
    Kind("nghi-quyet", "Nghị quyết / Kết luận", ("docx", "pdf"), _voted, builders.resolution),
    Kind("danh-sach", "Danh sách đảng viên dự sinh hoạt", ("docx", "pdf"), _held, builders.attendance),
    Kind("phieu-cham-diem", "Phiếu chấm điểm", ("docx", "pdf"), _held, builders.scoresheet),
    Kind("thong-bao", "Thông báo / Giấy mời", ("docx", "pdf"), lambda rec: "", builders.notice),
    Kind("bao-cao-thang", "Báo cáo tháng (dự thảo)", ("docx", "pdf"), _held, builders.report),
    Kind("bai-viet", "Bài viết tin", ("docx", "pdf"), _held, article.article),
    Kind("slides", "Slide trình bày chuyên đề", ("pptx",), _outline, render_pptx=slides.render),
)}


def available(meeting: Meeting) -> list[tuple[Kind, str]]:
    """Every kind with why it is unavailable ("" = available)."""
    st = state_of(meeting)
    return [(k, k.missing(st)) for k in KINDS.values()]


def label_for(kind: Kind, meeting_kind: str) -> str:
    if kind.slug == "nghi-quyet":
        from chibo.documents.layout import layout

        return "Nghị quyết" if layout().numbering.doc_type_for(meeting_kind) == "NQ" else "Kết luận"
    return kind.label


def render(rec: Record, slug: str, fmt: str) -> tuple[bytes, str, str]:
    """(content, file name, content type) of document SLUG in FMT; NotAvailable or KeyError otherwise."""
    kind = KINDS[slug]
    if fmt not in kind.formats:
        raise KeyError(fmt)
    why = kind.missing(state_of_record(rec))
    if why:
        raise NotAvailable(why)
    if fmt == "pptx":
        assert kind.render_pptx is not None
        data = kind.render_pptx(rec)
        draft = not rec.approved
    else:
        assert kind.build is not None
        doc = kind.build(rec)
        data = docx.render(doc) if fmt == "docx" else pdf.render(doc)
        draft = doc.draft
    stem = kind.file_stem(rec) + ("-du-thao" if draft else "")
    return data, f"{stem}.{fmt}", CONTENT_TYPES[fmt]


def build(rec: Record, slug: str) -> Document:
    kind = KINDS[slug]
    assert kind.build is not None
    return kind.build(rec)
