"""Documents of the year-end review (DOCX with python-docx, PDF with WeasyPrint) and the dues
receipts list (.xlsx with openpyxl).

One plain structure (Doc) is rendered to both formats, with the Party document header of
Hướng dẫn 36-HD/VPTW: the issuing body top-left (upper committee, then the cell in bold, "*"),
"ĐẢNG CỘNG SẢN VIỆT NAM" top-right with the place and date in italics below it; Liberation Serif.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from chibo.annual import selectors
from chibo.annual.models import Review, ReviewRound
from chibo.core import vntext
from chibo.organisations.models import Organisation

PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"
FONT = "Liberation Serif"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Doc:
    filename: str
    upper: str  # the upper committee, upper case
    issuer: str  # the cell, upper case
    place_date: str
    title: str
    subtitle: str = ""
    blocks: list[tuple[Any, ...]] = field(default_factory=list)

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def h(self, text: str) -> None:
        self.blocks.append(("h", text))

    def kv(self, label: str, value: Any) -> None:
        self.blocks.append(("kv", label, "" if value is None else str(value)))

    def table(self, headers: list[str], rows: list[list[Any]]) -> None:
        self.blocks.append(("table", headers, [[("" if v is None else str(v)) for v in row] for row in rows]))

    def sign(self, *cols: tuple[str, str]) -> None:
        self.blocks.append(("sign", list(cols)))


def _place_date(cell: Organisation, day: Any) -> str:
    place = (cell.parent.name if cell.parent else cell.name).replace("Đảng ủy ", "").replace("Đảng bộ ", "")
    place = place.replace("xã ", "").replace("phường ", "").replace("tỉnh ", "")
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def _header(cell: Organisation) -> tuple[str, str]:
    upper = cell.parent.name.upper() if cell.parent else ""
    return upper, cell.name.upper()


def _level(rules: Any, code: str) -> str:
    return rules.rating.label(code) if code else "—"


def _slug(text: str) -> str:
    return vntext.strip_diacritics(text).replace(" ", "-").lower()


# --- the three review documents ----------------------------------------------------------------
def personal_review(r: Review) -> Doc:
    """Bản kiểm điểm cá nhân (or, for the cell, bản kiểm điểm tập thể)."""
    rnd, cell = r.round, r.round.organisation
    rules = selectors.rules_for_round(rnd)
    day = rnd.held_on or timezone.localdate()
    upper, issuer = _header(cell)
    who = r.member.full_name if r.member_id else f"tập thể {cell.name}"
    doc = Doc(
        filename=f"ban-kiem-diem-{rnd.year}-{_slug(who)}",
        upper=upper,
        issuer=issuer,
        place_date=_place_date(cell, day),
        title="BẢN KIỂM ĐIỂM ĐẢNG VIÊN" if r.member_id else "BẢN KIỂM ĐIỂM TẬP THỂ CHI BỘ",
        subtitle=f"Năm {rnd.year}",
    )
    if r.member_id:
        m = r.member
        doc.kv("Họ và tên", m.full_name)
        doc.kv("Ngày sinh", m.birth_date.strftime("%d/%m/%Y") if m.birth_date else "—")
        doc.kv("Chức vụ đảng", m.get_party_position_display() if m.party_position else "Đảng viên")
        doc.kv("Chi bộ", cell.name)
        commitment = selectors.Commitment.objects.filter(member=m, year=rnd.year).first()
        if commitment is not None:
            doc.h("I. Bản cam kết đầu năm")
            from chibo.annual.services import COMMITMENT_FIELDS, COMMITMENT_LABELS

            for f in COMMITMENT_FIELDS:
                doc.kv(COMMITMENT_LABELS[f], getattr(commitment, f))
    i = r.inputs or {}
    doc.h("II. Kết quả thực hiện trong năm (tổng hợp tự động)")
    doc.kv(
        "Sinh hoạt chi bộ",
        f"dự {i.get('meetings_attended', 0)}/{i.get('meetings_held', 0)} buổi; vắng có lý do "
        f"{i.get('missed_excused', 0)}, vắng không lý do {i.get('missed_unexcused', 0)}"
        if r.member_id
        else f"{i.get('meetings_held', 0)} buổi, trong đó {i.get('thematic_held', 0)} buổi chuyên đề; xếp loại cả năm: {i.get('year_grade_label', '—')}",
    )
    doc.kv(
        "Nhiệm vụ được giao",
        f"{i.get('tasks_total', 0)} nhiệm vụ; hoàn thành {i.get('tasks_done', 0)}; quá hạn {i.get('tasks_overdue', 0)}; vượt yêu cầu {r.tasks_exceeding}",
    )
    doc.kv(
        "Khắc phục hạn chế đã chỉ ra",
        f"{i.get('shortcomings_remedied', 0)}/{i.get('shortcomings_previous', 0)}",
    )
    doc.kv(
        "Đảng phí",
        f"đã nộp {i.get('dues_paid', 0):,} đ / phải nộp {i.get('dues_due', 0):,} đ".replace(",", "."),
    )
    doc.h("III. Tự đánh giá")
    doc.kv("Ưu điểm", r.strengths or "—")
    doc.kv("Hạn chế, khuyết điểm", r.weaknesses or "—")
    doc.kv("Phương hướng khắc phục", r.remedy or "—")
    frame = rules.rating.frames[r.subject]
    doc.table(
        ["Tiêu chí", "Điểm tối đa", "Tự chấm", "Chi bộ chấm"],
        [
            [c.title, c.points, r.self_scores.get(c.code, ""), (r.cell_scores or {}).get(c.code, "")]
            for c in frame
        ]
        + [["Tổng cộng", 100, r.self_total, r.cell_total]],
    )
    doc.kv("Tự xếp loại", _level(rules, r.self_level))
    doc.kv("Chi bộ đề nghị", _level(rules, r.proposed_level))
    if r.final_level:
        doc.kv("Cấp trên quyết định", _level(rules, r.final_level))
    doc.sign(
        ("XÁC NHẬN CỦA CHI BỘ", "Bí thư"),
        ("NGƯỜI TỰ KIỂM ĐIỂM", r.member.full_name if r.member_id else "T/M CHI BỘ"),
    )
    return doc


def proposal_list(rnd: ReviewRound) -> Doc:
    """Danh sách đề nghị xếp loại đảng viên, with the cap warning."""
    view = selectors.round_view(rnd)
    cell = rnd.organisation
    upper, issuer = _header(cell)
    doc = Doc(
        filename=f"danh-sach-de-nghi-xep-loai-{rnd.year}-{_slug(cell.name)}",
        upper=upper,
        issuer=issuer,
        place_date=_place_date(cell, rnd.held_on or timezone.localdate()),
        title="DANH SÁCH ĐỀ NGHỊ XẾP LOẠI CHẤT LƯỢNG ĐẢNG VIÊN",
        subtitle=f"Năm {rnd.year}",
    )
    rows = []
    for n, r in enumerate(view.member_reviews, 1):
        vote = f"{r.vote_for}/{r.vote_base}" if r.vote_for is not None else "—"
        rows.append(
            [
                n,
                r.member.full_name,
                r.self_total,
                _level(view.rules, r.self_level),
                r.cell_total,
                _level(view.rules, r.proposed_level),
                vote,
                _level(view.rules, r.final_level),
            ]
        )
    doc.table(
        [
            "STT",
            "Họ và tên",
            "Tự chấm",
            "Tự xếp loại",
            "Chi bộ chấm",
            "Chi bộ đề nghị",
            "Biểu quyết",
            "Cấp trên quyết định",
        ],
        rows,
    )
    if view.cell_review is not None:
        c = view.cell_review
        doc.kv(
            "Tập thể chi bộ",
            f"tự chấm {c.cell_total or c.self_total or '—'} điểm; đề nghị: {_level(view.rules, c.proposed_level)}"
            + (f"; cấp trên quyết định: {_level(view.rules, c.final_level)}" if c.final_level else ""),
        )
    counts: dict[str, int] = {}
    for r in view.member_reviews:
        lv = r.final_level or r.proposed_level
        counts[lv] = counts.get(lv, 0) + 1
    doc.kv("Tổng hợp", "; ".join(f"{lv.label}: {counts.get(lv.level, 0)}" for lv in view.rules.rating.levels))
    if view.cap.exceeded:
        doc.kv("Lưu ý", view.cap.message)
    doc.sign(("", ""), ("T/M CHI BỘ", "BÍ THƯ"))
    return doc


def minutes(rnd: ReviewRound) -> Doc:
    """Biên bản họp chi bộ kiểm điểm, đánh giá, xếp loại năm."""
    view = selectors.round_view(rnd)
    cell = rnd.organisation
    upper, issuer = _header(cell)
    day = rnd.held_on or timezone.localdate()
    doc = Doc(
        filename=f"bien-ban-kiem-diem-{rnd.year}-{_slug(cell.name)}",
        upper=upper,
        issuer=issuer,
        place_date=_place_date(cell, day),
        title="BIÊN BẢN",
        subtitle=f"Họp chi bộ kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên năm {rnd.year}",
    )
    doc.p(
        f"Hôm nay, ngày {day:%d/%m/%Y}, tại {rnd.place or cell.address or '…'}, {cell.name} họp kiểm điểm, đánh giá, "
        f"xếp loại năm {rnd.year}."
    )
    total = len(view.member_reviews)
    doc.kv("Số đảng viên", f"{total}; có mặt: {rnd.present_count if rnd.present_count is not None else '…'}")
    doc.kv(
        "Bộ quy tắc áp dụng",
        f"{rnd.rulebook_code} (phiên bản {rnd.rulebook_version}); {view.rules.rating.source}",
    )
    doc.h("I. Kết quả kiểm điểm, đề nghị xếp loại đảng viên")
    for n, r in enumerate(view.member_reviews, 1):
        line = (
            f"{n}. Đồng chí {r.member.full_name}: tự chấm {r.self_total if r.self_total is not None else '—'} điểm, "
            f"chi bộ chấm {r.cell_total if r.cell_total is not None else '—'} điểm; đề nghị “{_level(view.rules, r.proposed_level)}”"
        )
        if r.vote_for is not None:
            line += f"; biểu quyết: {r.vote_for} tán thành, {r.vote_against or 0} không tán thành trên {r.vote_base} đảng viên chính thức"
        doc.p(line + ".")
        for s in r.shortcomings_raised.all():
            doc.p(f"   – Hạn chế được nêu ({s.raiser}): {s.text}")
    if view.cell_review is not None:
        c = view.cell_review
        doc.h("II. Kiểm điểm tập thể chi bộ")
        i = c.inputs or {}
        doc.p(
            f"Chất lượng sinh hoạt cả năm: {i.get('year_grade_label', '—')}; chi bộ tự chấm {c.cell_total or c.self_total or '—'} "
            f"điểm, đề nghị “{_level(view.rules, c.proposed_level)}”."
        )
    if view.cap.exceeded:
        doc.kv("Lưu ý", view.cap.message)
    doc.p("Biên bản được thông qua trước chi bộ.")
    doc.sign(("THƯ KÝ", ""), ("CHỦ TRÌ", ""))
    return doc


# --- rendering -------------------------------------------------------------------------------
def to_docx(doc: Doc) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    d = Document()
    section = d.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin, section.top_margin, section.bottom_margin = (
        Mm(30),
        Mm(15),
        Mm(20),
        Mm(20),
    )
    style = d.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
    if rfonts is not None:
        rfonts.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", FONT)

    head = d.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = head.rows[0].cells
    p = left.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run(doc.upper + "\n")
    p.add_run(doc.issuer).bold = True
    p.add_run("\n*")
    p = right.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(PARTY)
    run.bold, run.underline = True, True
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run(doc.place_date).italic = True

    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(doc.title)
    run.bold, run.font.size = True, Pt(14)
    if doc.subtitle:
        p = d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(doc.subtitle).bold = True
    for block in doc.blocks:
        kind = block[0]
        if kind == "p":
            d.add_paragraph(block[1])
        elif kind == "h":
            d.add_paragraph().add_run(block[1]).bold = True
        elif kind == "kv":
            p = d.add_paragraph()
            p.add_run(f"{block[1]}: ").bold = True
            p.add_run(block[2])
        elif kind == "table":
            headers, rows = block[1], block[2]
            t = d.add_table(rows=1 + len(rows), cols=len(headers))
            t.style = "Table Grid"
            for j, text in enumerate(headers):
                t.rows[0].cells[j].paragraphs[0].add_run(text).bold = True
            for i, row in enumerate(rows, 1):
                for j, text in enumerate(row):
                    t.rows[i].cells[j].text = text
        elif kind == "sign":
            cols = block[1]
            t = d.add_table(rows=1, cols=len(cols))
            for j, (title, name) in enumerate(cols):
                cp = t.rows[0].cells[j].paragraphs[0]
                cp.alignment = WD_ALIGN_PARAGRAPH.CENTER
                cp.add_run(title).bold = True
                cp.add_run("\n\n\n\n" + name)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def to_html(doc: Doc) -> str:
    return render_to_string("annual/document.html", {"doc": doc, "party": PARTY, "font": FONT})


def to_pdf(doc: Doc) -> bytes:
    from weasyprint import HTML

    return HTML(string=to_html(doc)).write_pdf()


def respond(doc: Doc, fmt: str) -> HttpResponse:
    if fmt == "docx":
        body, ctype = to_docx(doc), DOCX
    else:
        body, ctype = to_pdf(doc), "application/pdf"
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{doc.filename}.{fmt}"'
    return response


# --- receipts ------------------------------------------------------------------------------
def receipts_workbook(cell: Organisation, year: int) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = f"Đảng phí {year}"
    ws.append([f"DANH SÁCH THU ĐẢNG PHÍ NĂM {year} — {cell.name.upper()}"])
    ws["A1"].font = Font(bold=True)
    ws.append(["STT", "Ngày nộp", "Tháng", "Họ và tên", "Số tiền (đồng)", "Hình thức", "Ghi chú"])
    for c in ws[2]:
        c.font = Font(bold=True)
    rows = selectors.receipts(cell, year)
    for n, r in enumerate(rows, 1):
        ws.append(
            [
                n,
                r["date"].strftime("%d/%m/%Y"),
                f"{r['month']:02d}/{year}",
                r["member"],
                r["amount"],
                r["how"],
                r["note"],
            ]
        )
    ws.append(["", "", "", "Tổng cộng", sum(r["amount"] for r in rows), "", ""])
    ws.cell(row=ws.max_row, column=4).font = Font(bold=True)
    ledger = selectors.dues_ledger(cell, year)
    flagged = wb.create_sheet("Tháng chưa nộp đủ")
    flagged.append(["Họ và tên", "Mức phải đóng", "Tháng chưa nộp đủ"])
    for row in ledger.rows:
        if row.unpaid_months:
            flagged.append(
                [row.member.full_name, row.due_text, ", ".join(f"{m:02d}" for m in row.unpaid_months)]
            )
    for sheet, widths in ((ws, (6, 12, 10, 28, 16, 34, 30)), (flagged, (28, 40, 30))):
        for col, width in zip("ABCDEFG", widths, strict=False):
            sheet.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def receipts_xlsx(cell: Organisation, year: int) -> HttpResponse:
    response = HttpResponse(receipts_workbook(cell, year), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="dang-phi-{year}-{_slug(cell.name)}.xlsx"'
    return response
