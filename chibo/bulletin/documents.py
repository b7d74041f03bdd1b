"""The bulletin as a document: DOCX (python-docx) and PDF (WeasyPrint), in Liberation Serif."""

from __future__ import annotations

import functools
import io
import subprocess

from django.template.loader import render_to_string
from django.utils import timezone

from chibo.bulletin.models import Bulletin
from chibo.bulletin.selectors import grouped, ordered_entries
from chibo.meetings.models import Meeting

FONT = "Liberation Serif"
FALLBACK_FONT = "DejaVu Serif"
VIETNAMESE_SAMPLE = (
    "ẢảẠạẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹĐđƠơƯư"
)


@functools.cache
def pdf_font() -> str:
    """Liberation Serif when the installed one has the Vietnamese letters, else DejaVu Serif.

    Debian's fonts-liberation (1.07) lacks the precomposed Vietnamese letters; fonts-liberation2
    has them. Mixing two fonts inside a word reads badly, so the whole PDF uses one that covers
    Vietnamese.
    """
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{family}|%{file}", FONT],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        family, path = found.split("|", 1)
        if FONT not in family:
            return FALLBACK_FONT
        from fontTools.ttLib import TTFont

        cmap = TTFont(path, lazy=True).getBestCmap()
        return FONT if all(ord(c) in cmap for c in VIETNAMESE_SAMPLE) else FALLBACK_FONT
    except (OSError, ValueError, subprocess.SubprocessError):
        return FALLBACK_FONT


def _context(meeting: Meeting, bulletin: Bulletin | None) -> dict:
    entries = ordered_entries(bulletin)
    for number, e in enumerate(entries, start=1):
        e.number = number  # type: ignore[attr-defined]
    groups = [(c, label, rows) for c, label, rows in grouped(entries) if rows]
    return {
        "m": meeting,
        "org": meeting.organisation,
        "when": timezone.localtime(meeting.scheduled_at),
        "groups": groups,
        "count": len(entries),
    }


def heading(meeting: Meeting) -> str:
    return "BẢN TIN THỜI SỰ"


def subtitle(meeting: Meeting) -> str:
    when = timezone.localtime(meeting.scheduled_at)
    return f"{meeting.get_kind_display()} ngày {when:%d/%m/%Y} — {meeting.organisation.name}"


def docx_bytes(meeting: Meeting, bulletin: Bulletin | None) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    ctx = _context(meeting, bulletin)
    doc = Document()
    for section in doc.sections:
        section.top_margin = section.bottom_margin = Cm(2)
        section.left_margin, section.right_margin = Cm(3), Cm(2)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(13)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    for name in ("Title", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        style.font.name = FONT
        rpr = style.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:ascii"), FONT)
        rpr.get_or_add_rFonts().set(qn("w:hAnsi"), FONT)
    org = doc.add_paragraph(meeting.organisation.name.upper())
    org.runs[0].bold = True
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(heading(meeting))
    run.bold = True
    run.font.size = Pt(16)
    sub = doc.add_paragraph(subtitle(meeting))
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.runs[0].italic = True
    if not ctx["groups"]:
        doc.add_paragraph("Bản tin chưa có mục nào.")
    for _, label, rows in ctx["groups"]:
        doc.add_heading(label, level=1)
        for e in rows:
            doc.add_heading(f"{e.number}. {e.title}", level=2)
            for para in e.text.split("\n"):
                if para.strip():
                    p = doc.add_paragraph(para.strip())
                    p.paragraph_format.first_line_indent = Cm(1)
                    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            if e.source_name or e.link:
                src = doc.add_paragraph(f"Nguồn: {e.source_name}" + (f" — {e.link}" if e.link else ""))
                src.runs[0].italic = True
                src.runs[0].font.size = Pt(11)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def pdf_bytes(meeting: Meeting, bulletin: Bulletin | None) -> bytes:
    from weasyprint import HTML

    ctx = _context(meeting, bulletin)
    ctx.update({"heading": heading(meeting), "subtitle": subtitle(meeting), "font": pdf_font()})
    html = render_to_string("bulletin/print.html", ctx)
    return HTML(string=html).write_pdf()


def filename(meeting: Meeting, ext: str) -> str:
    when = timezone.localtime(meeting.scheduled_at)
    return f"ban-tin-thoi-su-{meeting.organisation.code or meeting.organisation_id}-{when:%Y-%m-%d}.{ext}"
