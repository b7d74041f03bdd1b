"""Render a Document to DOCX (python-docx): A4, HD 36 margins, Times New Roman (metric-equal to Liberation Serif)."""

from __future__ import annotations

import io
from copy import deepcopy
from typing import Any

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from chibo.documents.layout import layout
from chibo.documents.render.model import DRAFT_MARK, Document, Para, Signatures, Table

ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
WORD_FONT = "Times New Roman"  # LibreOffice substitutes Liberation Serif (same metrics)


def _sizes() -> dict[str, Pt]:
    p = layout().page
    return {"body": Pt(p.body_pt), "small": Pt(p.small_pt), "title": Pt(p.title_pt), "header": Pt(p.header_pt)}


# Formatting XML (<w:rPr>, <w:pPr>) built once through python-docx per combination of
# settings, then copied: python-docx's element insertion (schema-order searches on every
# property) was most of a minutes DOCX. The copies are the very XML the API produced.
_RPR: dict[tuple[Any, ...], Any] = {}
_PPR: dict[tuple[Any, ...], Any] = {}


def _font(run, size: Pt, bold: bool = False, italic: bool = False) -> None:  # type: ignore[no-untyped-def]
    key = (int(size), bold, italic)
    r = run._element
    if r.rPr is None and key in _RPR:
        r.insert(0, deepcopy(_RPR[key]))
        return
    fresh = r.rPr is None
    _font_api(run, size, bold, italic)
    if fresh:
        _RPR[key] = deepcopy(r.rPr)


def _font_api(run, size: Pt, bold: bool, italic: bool) -> None:  # type: ignore[no-untyped-def]
    run.font.name = WORD_FONT
    run.font.size = size
    run.bold, run.italic = bold, italic
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), WORD_FONT)


def _format(paragraph, align: str, before: int = 0, after: int = 0, keep: bool = False,  # type: ignore[no-untyped-def]
            indent: bool = False) -> None:
    """Alignment, spacing and first-line indent of a new paragraph (copied pPr when seen before)."""
    key = (align, before, after, keep, indent)
    p = paragraph._p
    if p.pPr is None and key in _PPR:
        p.insert(0, deepcopy(_PPR[key]))
        return
    fresh = p.pPr is None
    paragraph.alignment = ALIGN[align]
    _spacing(paragraph, before, after, keep)
    if indent:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    if fresh:
        _PPR[key] = deepcopy(p.pPr)


def _spacing(paragraph, before: int = 0, after: int = 0, keep: bool = False) -> None:  # type: ignore[no-untyped-def]
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    fmt.line_spacing = 1.15
    fmt.keep_with_next = keep


def _rule_under(paragraph) -> None:  # type: ignore[no-untyped-def]
    """A bottom border: the rule line under "ĐẢNG CỘNG SẢN VIỆT NAM"."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _no_borders(table) -> None:  # type: ignore[no-untyped-def]
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _cell_text(cell, lines: list[tuple[str, bool, bool]], size: Pt, align: str = "center",  # type: ignore[no-untyped-def]
               rule_after: int | None = None) -> None:
    cell.paragraphs[0].text = ""
    for i, (text, bold, italic) in enumerate(lines):
        p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        _format(p, align)
        _font(p.add_run(text), size, bold, italic)
        if rule_after == i:
            _rule_under(p)


def _set_width(cell, mm: float) -> None:  # type: ignore[no-untyped-def]
    cell.width = Mm(mm)


_BLANK: dict[tuple[Any, ...], Any] = {}


def _blank(top: float, bottom: float, left: float, right: float, body: Pt) -> Any:
    """A new A4 document with these margins and body size: a copy of one opened and set up once.

    Opening python-docx's default template parses every part of it; a deep copy of the
    parsed, configured document is cheaper and gives the same package.
    """
    key = (top, bottom, left, right, int(body))
    if key not in _BLANK:
        d = new_docx()
        section = d.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
        section.left_margin, section.right_margin = Mm(left), Mm(right)
        normal = d.styles["Normal"]
        normal.font.name, normal.font.size = WORD_FONT, body
        _BLANK[key] = d
    return deepcopy(_BLANK[key])


def render(doc: Document) -> bytes:
    page = layout().page
    sizes = _sizes()
    d = _blank(page.margin_top_mm, page.margin_bottom_mm, page.margin_left_mm, page.margin_right_mm, sizes["body"])
    section = d.sections[0]
    width = 210 - page.margin_left_mm - page.margin_right_mm
    if doc.draft:
        hp = section.header.paragraphs[0]
        hp.alignment = ALIGN["right"]
        run = hp.add_run(f"{DRAFT_MARK} — chưa duyệt")
        _font(run, sizes["small"], bold=True)
        run.font.color.rgb = RGBColor(0xB0, 0x00, 0x00)
        p = d.add_paragraph()
        p.alignment = ALIGN["center"]
        r = p.add_run(DRAFT_MARK)
        _font(r, sizes["title"], bold=True)
        r.font.color.rgb = RGBColor(0xB0, 0x00, 0x00)
    if doc.header:
        h = doc.header
        table = d.add_table(rows=1, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        _no_borders(table)
        left, right = table.rows[0].cells
        _set_width(left, width * 0.45)
        _set_width(right, width * 0.55)
        left_lines = [(h.upper, False, False), (h.cell, True, False), ("*", False, False)]
        if h.number:
            left_lines.append((h.number, False, False))
        _cell_text(left, left_lines, sizes["header"])
        _cell_text(right, [("ĐẢNG CỘNG SẢN VIỆT NAM", True, False), ("", False, False),
                           (h.date_line, False, True)], sizes["header"], rule_after=0)
    for i, line in enumerate(doc.title):
        p = d.add_paragraph()
        _format(p, "center", before=12 if i == 0 else 0, after=6 if i == len(doc.title) - 1 else 0, keep=True)
        _font(p.add_run(line), sizes["title"] if i == 0 else sizes["body"], bold=True)
    for block in doc.blocks:
        if isinstance(block, Para):
            _para(d, block, sizes)
        elif isinstance(block, Table):
            _table(d, block, sizes)
        elif isinstance(block, Signatures):
            _signatures(d, block, sizes, width)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _para(d, block: Para, sizes: dict[str, Pt]) -> None:  # type: ignore[no-untyped-def]
    p = d.add_paragraph()
    _format(p, block.align, before=block.space_before, after=3, keep=block.keep_with_next, indent=bool(block.indent))
    for run in block.runs:
        _font(p.add_run(run.text), sizes[block.size], run.bold, run.italic)


def _table(d, block: Table, sizes: dict[str, Pt]) -> None:  # type: ignore[no-untyped-def]
    table = d.add_table(rows=1 + len(block.rows), cols=len(block.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = table.rows  # each .rows / .cells walks the whole table: once per table / row
    header_cells = rows[0].cells
    for j, col in enumerate(block.columns):
        cell = header_cells[j]
        _set_width(cell, col.width_mm)
        _cell_text(cell, [(col.header, True, False)], sizes["small"])
    for i, row in enumerate(block.rows, start=1):
        bold = (i - 1) in block.bold_rows
        if block.row_height_mm:
            rows[i].height = Mm(block.row_height_mm)
        cells = rows[i].cells
        for j, value in enumerate(row):
            cell = cells[j]
            _set_width(cell, block.columns[j].width_mm)
            _cell_text(cell, [(value, bold, False)], sizes["small"], align=block.columns[j].align)
    d.add_paragraph()


def _signatures(d, block: Signatures, sizes: dict[str, Pt], width: float) -> None:  # type: ignore[no-untyped-def]
    n = max(len(block.blocks), 1)
    cols = n + (1 if block.recipients else 0)
    table = d.add_table(rows=1, cols=cols)
    _no_borders(table)
    cells = list(table.rows[0].cells)
    if block.recipients:
        _cell_text(cells[0], [("Nơi nhận:", True, True)] + [(f"- {r}", False, False) for r in block.recipients],
                   sizes["small"], align="left")
        cells = cells[1:]
    for cell, sig in zip(cells, block.blocks, strict=False):
        lines = [(line, True, False) for line in sig.lines]
        if sig.note:
            lines.append((sig.note, False, True))
        lines += [("", False, False)] * 3 + [(sig.name, True, False)]
        _cell_text(cell, lines, sizes["body"])
