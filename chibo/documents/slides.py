"""Slides (.pptx) for a thematic presentation, from the topic's outline (python-pptx).

Outline format (ThematicTopic.outline): one section per line ("1. …", "I. …" or plain text);
lines starting with "-", "+" or "•" are key points of the section above. ThematicTopic.key_points
(one per line) gives a "Những ý chính" slide, ThematicTopic.conclusion the closing slide.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.util import Emu, Pt

from chibo.documents.builders import d
from chibo.documents.record import Record

RED = RGBColor(0xA5, 0x1C, 0x1C)
GOLD = RGBColor(0xF2, 0xC1, 0x4E)
INK = RGBColor(0x22, 0x22, 0x22)
FONT = "Liberation Serif"
_BULLET = re.compile(r"^\s*[-+•*]\s*")


@dataclass
class Section:
    title: str
    points: list[str] = field(default_factory=list)


def parse_outline(text: str) -> list[Section]:
    sections: list[Section] = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        if _BULLET.match(line):
            point = _BULLET.sub("", line)
            if not sections:
                sections.append(Section("Nội dung"))
            sections[-1].points.append(point)
        else:
            sections.append(Section(line))
    return sections


def lines(text: str) -> list[str]:
    return [_BULLET.sub("", x).strip() for x in (text or "").splitlines() if x.strip()]


def _text(frame, text: str, size: int, bold: bool = False, color: RGBColor = INK) -> None:  # type: ignore[no-untyped-def]
    frame.word_wrap = True
    p = frame.paragraphs[0]
    p.text = ""
    run = p.add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, FONT
    run.font.color.rgb = color


def _band(slide, width: Emu, height: Emu, color: RGBColor) -> None:  # type: ignore[no-untyped-def]
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = color
    shape.line.fill.background()


def render(rec: Record) -> bytes:
    topic = rec.topic
    sections = parse_outline(topic.outline if topic else "")
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)  # 16:9
    w, h = prs.slide_width, prs.slide_height
    blank = prs.slide_layouts[6]
    margin = Emu(600000)

    # Title slide.
    s = prs.slides.add_slide(blank)
    _band(s, w, Emu(900000), RED)
    _text(s.shapes.add_textbox(margin, Emu(200000), w - 2 * margin, Emu(500000)).text_frame,
          f"{rec.upper_name.upper()} — {rec.cell_name.upper()}", 18, True, RGBColor(0xFF, 0xFF, 0xFF))
    _text(s.shapes.add_textbox(margin, Emu(1900000), w - 2 * margin, Emu(1800000)).text_frame,
          rec.topic_title or rec.title, 36, True, RED)
    sub = s.shapes.add_textbox(margin, Emu(4300000), w - 2 * margin, Emu(1200000)).text_frame
    _text(sub, "Chuyên đề sinh hoạt chi bộ" + (f" — Người trình bày: {rec.presenter}" if rec.presenter else ""), 20)
    p = sub.add_paragraph()
    run = p.add_run()
    run.text = f"{rec.place_name}, ngày {d(rec.day)}"
    run.font.size, run.font.name, run.font.italic = Pt(18), FONT, True

    def bullet_slide(title: str, points: list[str], number: str = "") -> None:
        slide = prs.slides.add_slide(blank)
        _band(slide, Emu(180000), h, RED)
        _text(slide.shapes.add_textbox(margin, Emu(350000), w - 2 * margin, Emu(900000)).text_frame,
              f"{number}{title}", 30, True, RED)
        line = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, margin, Emu(1300000), Emu(2400000), Emu(50000))
        line.fill.solid()
        line.fill.fore_color.rgb = GOLD
        line.line.fill.background()
        body = slide.shapes.add_textbox(margin, Emu(1550000), w - 2 * margin, h - Emu(2100000)).text_frame
        body.word_wrap = True
        for i, point in enumerate(points):
            para = body.paragraphs[0] if i == 0 else body.add_paragraph()
            r = para.add_run()
            r.text = f"• {point}"
            r.font.size, r.font.name = Pt(24 if len(points) <= 5 else 20), FONT
            r.font.color.rgb = INK
            para.space_after = Pt(10)
        footer = slide.shapes.add_textbox(margin, h - Emu(500000), w - 2 * margin, Emu(350000)).text_frame
        _text(footer, f"{rec.cell_name} · {rec.topic_title or rec.title}", 12, False, RGBColor(0x77, 0x77, 0x77))

    bullet_slide("Nội dung trình bày", [sec.title for sec in sections])
    for sec in sections:
        bullet_slide(sec.title, sec.points)
    points = lines(topic.key_points if topic else "")
    if points:
        bullet_slide("Những ý chính", points)
    conclusion = lines(topic.conclusion if topic else "")
    if conclusion:
        bullet_slide("Kết luận", conclusion)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
