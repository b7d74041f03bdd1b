"""One builder per official document: Record → Document (blocks rendered to DOCX and PDF alike).

Builders only arrange what the record holds; the fixed phrases are the forms' own wording
(headings, "Căn cứ Điều lệ Đảng", signature titles). Nothing is invented: a field the record
lacks is left out or shown as "—".
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from chibo.documents.layout import layout
from chibo.documents.record import Record, kind_is_thematic
from chibo.documents.render.model import (
    Column,
    Document,
    Header,
    Run,
    SignatureBlock,
    Signatures,
    Table,
)
from chibo.meetings.models import MeetingKind
from chibo.members.models import PartyPosition

SIGN_NOTE = "(Ký, ghi rõ họ tên)"
BLANK_NUMBER = "\u00a0" * 6  # room to write the number by hand (kept by HTML, unlike spaces)


# --- small formatting helpers ---------------------------------------------------------------
def d(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return value.strftime("%d/%m/%Y")


def hm(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    t = timezone.localtime(value)
    return f"{t.hour} giờ {t.minute:02d} phút"


def pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + "%"


def date_line(place: str, day: dt.date) -> str:
    """HD 36: "An Bình, ngày 05 tháng 02 năm 2026" (days 1–9 and months 1–2 get a leading zero)."""
    dd = f"{day.day:02d}"
    mm = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {dd} tháng {mm} năm {day.year}"


def header(rec: Record, number: str = "") -> Header:
    return Header(upper=rec.upper_name.upper(), cell=rec.cell_name.upper(),
                  date_line=date_line(rec.place_name, rec.day), number=number)


def comrade(name: str) -> str:
    return f"đồng chí {name}" if name else "—"


def _slug(rec: Record, what: str) -> str:
    return f"{what}-{rec.day:%Y-%m-%d}-{rec.meeting_id}"


def minutes_title(rec: Record) -> tuple[str, ...]:
    if rec.kind == MeetingKind.THEMATIC:
        return ("BIÊN BẢN", "Sinh hoạt chi bộ chuyên đề", f"“{rec.topic_title or rec.title}”")
    if rec.kind == MeetingKind.COMBINED:
        return ("BIÊN BẢN", f"Sinh hoạt chi bộ thường kỳ kết hợp chuyên đề {rec.month_label}",
                f"Chuyên đề: “{rec.topic_title or rec.title}”")
    if rec.kind == MeetingKind.EXTRAORDINARY:
        return ("BIÊN BẢN", f"Sinh hoạt chi bộ bất thường ngày {d(rec.day)}")
    return ("BIÊN BẢN", f"Sinh hoạt chi bộ thường kỳ {rec.month_label}")


def _membership(doc: Document, rec: Record) -> None:
    doc.para(f"- Tổng số đảng viên của chi bộ: {rec.total} đồng chí (chính thức: {rec.full}; dự bị: "
             f"{rec.probationary}; sinh hoạt tạm thời: {rec.incoming}); miễn sinh hoạt: {rec.exempt}; "
             f"sinh hoạt tạm thời nơi khác: {rec.away}.")
    doc.para(f"- Có mặt: {rec.present_total} đồng chí (chính thức: {rec.present_full}; dự bị: "
             f"{rec.present_probationary}; sinh hoạt tạm thời: {rec.present_incoming}); tỷ lệ dự họp "
             f"{rec.present_in_base}/{rec.base} = {pct(rec.rate_percent)}.")
    if rec.excused:
        names = "; ".join(f"{a.name} ({a.reason})" for a in rec.excused)
        doc.para(f"- Vắng có lý do: {len(rec.excused)} đồng chí: {names}.")
    else:
        doc.para("- Vắng có lý do: 0.")
    if rec.unexcused:
        doc.para(f"- Vắng không lý do: {len(rec.unexcused)} đồng chí: {'; '.join(a.name for a in rec.unexcused)}.")
    else:
        doc.para("- Vắng không lý do: 0.")


def _tasks_table(rec: Record) -> Table:
    return Table(
        columns=(Column("TT", 10, "center"), Column("Nhiệm vụ", 90), Column("Người thực hiện", 40),
                 Column("Thời hạn", 25, "center")),
        rows=tuple((str(i), t.title, t.owner or "—", d(t.due)) for i, t in enumerate(rec.tasks, start=1)),
    )


def _vote_sentence(rec: Record) -> list[str]:
    out = []
    for v in rec.votes:
        result = {True: "thông qua", False: "không thông qua"}.get(v.passed, "chưa kết thúc")  # type: ignore[arg-type]
        out.append(
            f"Biểu quyết “{v.subject}”: số đảng viên có quyền biểu quyết {v.eligible}; tán thành {v.in_favour}; "
            f"không tán thành {v.against}; ý kiến khác {v.other}. Kết quả: {result}."
        )
    return out


# --- Biên bản ------------------------------------------------------------------------------------
def minutes(rec: Record) -> Document:
    doc = Document(header=header(rec), title=minutes_title(rec), draft=not rec.approved, name=_slug(rec, "bien-ban"))
    start = rec.started_at or rec.scheduled_at
    doc.para(f"Hôm nay, vào lúc {hm(start)}, ngày {d(start)}, tại {rec.place or '—'}, {rec.cell_name} tiến hành "
             f"{rec.kind_label.lower()}.")
    doc.heading("I. THÀNH PHẦN")
    _membership(doc, rec)
    if rec.guests:
        guests = "; ".join(f"{g.name}{', ' + g.position if g.position else ''}" for g in rec.guests)
        doc.para(f"- Đại biểu dự: {guests}.")
    doc.para(f"- Chủ trì: {comrade(rec.chair)}. Thư ký: {comrade(rec.secretary)}.")
    doc.heading("II. NỘI DUNG VÀ DIỄN BIẾN")
    if kind_is_thematic(rec.kind) and rec.topic_title:
        doc.para(f"Chuyên đề: “{rec.topic_title}”" + (f"; người trình bày: {rec.presenter}." if rec.presenter else "."))
    for n, item in enumerate(rec.items, start=1):
        doc.para(Run(f"{n}. {item.title}", bold=True), align="left", indent=False, keep_with_next=True)
        if item.code == "current_affairs" and rec.news_titles:
            doc.para("Chi bộ nghe điểm tin thời sự:")
            for title in rec.news_titles:
                doc.para(f"- {title}")
        for s in item.speeches:
            who = f"Đồng chí {s.speaker}" + (f" ({s.position})" if s.guest and s.position else "")
            doc.para(Run(f"{who}: ", bold=True), s.summary)
        if item.conclusion:
            doc.para(Run("Kết luận của chủ trì: ", italic=True), item.conclusion)
    if not rec.items:
        doc.para("Buổi sinh hoạt chưa diễn ra: chưa có nội dung.")
    doc.heading("III. NHIỆM VỤ ĐƯỢC GIAO")
    if rec.tasks:
        doc.blocks.append(_tasks_table(rec))
    else:
        doc.para("Không giao nhiệm vụ mới.")
    doc.heading("IV. BIỂU QUYẾT")
    for line in _vote_sentence(rec) or ["Chưa biểu quyết."]:
        doc.para(line)
    doc.heading("V. CHẤM ĐIỂM, XẾP LOẠI")
    if rec.cell_sheet:
        doc.para(f"Chi ủy, bí thư chi bộ chấm: {rec.cell_sheet.total} điểm, xếp loại {rec.cell_sheet.label}.")
    if rec.upper_sheet:
        doc.para(f"Cấp ủy viên cấp trên chấm: {rec.upper_sheet.total} điểm, xếp loại {rec.upper_sheet.label}.")
    if rec.grade_label:
        doc.para(Run(f"Chất lượng buổi sinh hoạt: {rec.score} điểm, xếp loại {rec.grade_label}", bold=True),
                 " (phiếu chấm điểm kèm theo).")
    if not (rec.cell_sheet or rec.upper_sheet):
        doc.para("Chưa chấm điểm.")
    if rec.read_at:
        doc.para(f"Biên bản đã được đọc lại trước chi bộ lúc {hm(rec.read_at)} ngày {d(rec.read_at)}"
                 + (" và được thông qua." if rec.approved else "."), space_before=6)
    else:
        doc.para("Biên bản chưa được đọc lại trước chi bộ.", space_before=6)
    if rec.ended_at:
        doc.para(f"Buổi sinh hoạt kết thúc vào lúc {hm(rec.ended_at)} ngày {d(rec.ended_at)}"
                 + (f"; thời lượng {rec.duration_minutes} phút." if rec.duration_minutes is not None else "."))
    if rec.amendments:
        doc.heading("ĐÍNH CHÍNH SAU KHI DUYỆT")
        for when, text in rec.amendments:
            doc.para(f"{d(when)}: {text}")
    doc.blocks.append(Signatures((
        SignatureBlock(("THƯ KÝ",), rec.secretary, SIGN_NOTE),
        SignatureBlock(("CHỦ TRÌ",), rec.chair, SIGN_NOTE),
    )))
    return doc


# --- Nghị quyết / Kết luận -------------------------------------------------------------------
def resolution_signer(rec: Record) -> tuple[tuple[str, ...], str]:
    sig = layout().signatures
    if rec.chair and rec.chair_position == PartyPosition.DEPUTY:
        return sig.resolution_deputy, rec.chair
    return sig.resolution, rec.cell_secretary


def recipients(rec: Record) -> tuple[str, ...]:
    upper = rec.upper_name.replace("Đảng bộ ", "", 1) if rec.upper_name else ""
    return tuple(line.format(upper=upper) for line in layout().signatures.recipients)


def resolution(rec: Record) -> Document:
    rules = layout().numbering
    doc_type = rules.doc_type_for(rec.kind)
    vote = rec.vote
    adopted = bool(vote and vote.passed)
    symbol = rec.number_symbol or f"{BLANK_NUMBER}-{rules.symbols[doc_type]}"
    is_nq = doc_type == "NQ"
    if is_nq:
        title: tuple[str, ...] = ("NGHỊ QUYẾT", f"Sinh hoạt chi bộ {rec.month_label}")
    else:
        title = ("KẾT LUẬN", f"về chuyên đề “{rec.topic_title or rec.title}”")
    doc = Document(header=header(rec, f"Số {symbol}"), title=title, draft=not (rec.approved and adopted),
                   name=_slug(rec, "nghi-quyet" if is_nq else "ket-luan"))
    doc.para("Căn cứ Điều lệ Đảng Cộng sản Việt Nam;")
    doc.para(f"Căn cứ kết quả sinh hoạt chi bộ ngày {d(rec.day)},")
    doc.para(Run(f"{rec.cell_name.upper()} {'QUYẾT NGHỊ' if is_nq else 'KẾT LUẬN'}:", bold=True), align="center",
             indent=False, space_before=4)
    if is_nq:
        doc.heading("I. ĐÁNH GIÁ KẾT QUẢ THỰC HIỆN NHIỆM VỤ THÁNG TRƯỚC")
        if rec.reports:
            done = sum(1 for r in rec.reports if r.done)
            doc.para(f"Chi bộ đã kiểm điểm {len(rec.reports)} nhiệm vụ, hoàn thành {done}:")
            for r in rec.reports:
                doc.para(f"- {r.title} ({r.owner or '—'}): {r.result.rstrip('.')}"
                         + ("." if r.done else " (đang thực hiện)."))
        else:
            doc.para("Buổi sinh hoạt không có nhiệm vụ tháng trước được báo cáo.")
        for item in rec.items:
            if item.code == "last_month" and item.conclusion:
                doc.para(item.conclusion)
    else:
        doc.heading("I. NỘI DUNG CHUYÊN ĐỀ")
        doc.para(f"Chuyên đề “{rec.topic_title or rec.title}”" + (f" do {rec.presenter} trình bày." if rec.presenter else "."))
    doc.heading("II. NHIỆM VỤ VÀ GIẢI PHÁP")
    conclusions = [i.conclusion for i in rec.items if i.conclusion and i.code != "last_month"]
    for text in conclusions:
        doc.para(text)
    if rec.tasks:
        doc.para("Phân công thực hiện:", keep_with_next=True)
        doc.blocks.append(_tasks_table(rec))
    if not conclusions and not rec.tasks:
        doc.para("—")
    doc.heading("III. TỔ CHỨC THỰC HIỆN")
    doc.para("Các đồng chí đảng viên được phân công có trách nhiệm thực hiện và báo cáo kết quả tại buổi "
             "sinh hoạt chi bộ tiếp theo; chi ủy (bí thư chi bộ) theo dõi, đôn đốc, kiểm tra việc thực hiện.")
    if vote:
        state = "đã được chi bộ biểu quyết thông qua" if adopted else "chưa được chi bộ biểu quyết thông qua"
        doc.para(f"{'Nghị quyết' if is_nq else 'Kết luận'} {state} ngày {d(rec.day)}: số đảng viên có quyền biểu "
                 f"quyết {vote.eligible}; tán thành {vote.in_favour}; không tán thành {vote.against}; ý kiến khác "
                 f"{vote.other}.")
    lines, signer = resolution_signer(rec)
    doc.blocks.append(Signatures((SignatureBlock(lines, signer),), recipients=recipients(rec)))
    return doc


# --- Danh sách đảng viên dự sinh hoạt ---------------------------------------------------------
def attendance(rec: Record) -> Document:
    doc = Document(header=header(rec), title=("DANH SÁCH", "Đảng viên dự sinh hoạt chi bộ",
                                              f"{rec.kind_label} ngày {d(rec.day)}"),
                   draft=not rec.approved, name=_slug(rec, "danh-sach-du-hop"))
    rows = []
    for i, r in enumerate(rec.roster, start=1):
        status = r.status + (f": {r.reason}" if r.reason else "")
        rows.append((str(i), r.name, r.category, r.position or "—", status, ""))
    doc.blocks.append(Table(
        columns=(Column("TT", 9, "center"), Column("Họ và tên", 45), Column("Đảng viên", 26),
                 Column("Chức vụ", 22), Column("Tình hình dự họp", 36), Column("Ký tên", 27)),
        rows=tuple(rows), row_height_mm=9,
    ))
    doc.para(f"Tổng số: {rec.total}; có mặt: {rec.present_total}; vắng có lý do: {len(rec.excused)}; vắng không "
             f"lý do: {len(rec.unexcused)}; miễn sinh hoạt: {rec.exempt}; sinh hoạt tạm thời nơi khác: {rec.away}.",
             indent=False)
    doc.blocks.append(Signatures((
        SignatureBlock(("THƯ KÝ",), rec.secretary, SIGN_NOTE),
        SignatureBlock(("CHỦ TRÌ",), rec.chair, SIGN_NOTE),
    )))
    return doc


# --- Phiếu chấm điểm ---------------------------------------------------------------------------
def scoresheet(rec: Record) -> Document:
    doc = Document(header=header(rec), title=("PHIẾU CHẤM ĐIỂM", "Chất lượng sinh hoạt chi bộ",
                                              f"{rec.kind_label} ngày {d(rec.day)}"),
                   draft=not rec.approved, name=_slug(rec, "phieu-cham-diem"))

    def cell(value: int | None) -> str:
        return "—" if value is None else str(value)

    rows = [(str(i), s.title, str(s.points), cell(s.cell), cell(s.upper)) for i, s in enumerate(rec.scores, start=1)]
    total_points = sum(s.points for s in rec.scores)
    rows.append(("", "Tổng cộng", str(total_points), cell(rec.cell_sheet.total if rec.cell_sheet else None),
                 cell(rec.upper_sheet.total if rec.upper_sheet else None)))
    rows.append(("", "Xếp loại", "", rec.cell_sheet.label if rec.cell_sheet else "—",
                 rec.upper_sheet.label if rec.upper_sheet else "—"))
    doc.blocks.append(Table(
        columns=(Column("TT", 9, "center"), Column("Tiêu chí", 78), Column("Điểm tối đa", 20, "center"),
                 Column("Chi ủy, bí thư chi bộ chấm", 29, "center"), Column("Cấp ủy viên cấp trên chấm", 29, "center")),
        rows=tuple(rows), bold_rows=frozenset({len(rows) - 2, len(rows) - 1}),
    ))
    doc.para(Run(f"Theo: {rec.rulebook_name}.", italic=True), size="small", indent=False)
    if rec.grade_label:
        doc.para(Run(f"Chi bộ thống nhất: {rec.score} điểm, xếp loại {rec.grade_label}.", bold=True), indent=False)
    sig = layout().signatures
    doc.blocks.append(Signatures((
        SignatureBlock(("CẤP ỦY VIÊN CẤP TRÊN",), rec.upper_sheet.scorer if rec.upper_sheet else "", SIGN_NOTE),
        SignatureBlock(sig.resolution, rec.cell_secretary, SIGN_NOTE),
    )))
    return doc


# --- Thông báo / Giấy mời -----------------------------------------------------------------------
def notice(rec: Record) -> Document:
    what = (f"sinh hoạt chuyên đề “{rec.topic_title or rec.title}”" if rec.kind == MeetingKind.THEMATIC
            else f"sinh hoạt chi bộ {rec.month_label}")
    doc = Document(header=header(rec), title=("THÔNG BÁO", f"Về việc {what}"), draft=not rec.published,
                   name=_slug(rec, "thong-bao"))
    doc.para(f"{rec.cell_name} thông báo đến các đồng chí đảng viên trong chi bộ và kính mời đại diện cấp ủy cấp "
             f"trên theo dõi chi bộ dự buổi {rec.kind_label.lower()}:")
    doc.para(Run("1. Thời gian: ", bold=True), f"{hm(rec.scheduled_at)}, ngày {d(rec.scheduled_at)}.")
    doc.para(Run("2. Địa điểm: ", bold=True), rec.place or "—", ".")
    doc.para(Run("3. Nội dung: ", bold=True), rec.title or rec.kind_label, ".")
    if kind_is_thematic(rec.kind) and rec.topic_title:
        doc.para(f"Chuyên đề: “{rec.topic_title}”" + (f"; người trình bày: {rec.presenter}." if rec.presenter else "."))
    agenda = [i.title for i in rec.items] or rec.planned_agenda
    for n, title in enumerate(agenda, start=1):
        doc.para(f"{n}) {title}.", indent=False)
    doc.para(Run("4. Thành phần: ", bold=True), f"toàn thể đảng viên {rec.cell_name}.")
    doc.para("Đề nghị các đồng chí đảng viên nghiên cứu tài liệu trước, dự họp đầy đủ, đúng giờ; trường hợp vắng "
             "phải báo cáo lý do với bí thư chi bộ.")
    doc.blocks.append(Signatures((SignatureBlock(layout().signatures.resolution, rec.cell_secretary),),
                                 recipients=recipients(rec)))
    return doc


# --- Báo cáo tháng (dự thảo) ----------------------------------------------------------------------
def report(rec: Record) -> Document:
    doc = Document(header=header(rec, f"Số {BLANK_NUMBER}-BC/CB"),
                   title=("BÁO CÁO", f"Kết quả thực hiện nhiệm vụ và sinh hoạt chi bộ {rec.month_label}"),
                   draft=not rec.approved, name=_slug(rec, "bao-cao-thang"))
    doc.heading("I. TÌNH HÌNH ĐẢNG VIÊN")
    doc.para(f"Chi bộ có {rec.total} đảng viên (chính thức: {rec.full}; dự bị: {rec.probationary}; sinh hoạt "
             f"tạm thời: {rec.incoming}); miễn sinh hoạt: {rec.exempt}; sinh hoạt tạm thời nơi khác: {rec.away}.")
    doc.heading("II. KẾT QUẢ THỰC HIỆN NHIỆM VỤ")
    if rec.reports:
        done = sum(1 for r in rec.reports if r.done)
        doc.para(f"Số nhiệm vụ được kiểm điểm: {len(rec.reports)}; đã hoàn thành: {done}; đang thực hiện: "
                 f"{len(rec.reports) - done}.")
        doc.blocks.append(Table(
            columns=(Column("TT", 10, "center"), Column("Nhiệm vụ", 60), Column("Người thực hiện", 35),
                     Column("Kết quả", 60)),
            rows=tuple((str(i), r.title, r.owner or "—", r.result.rstrip(".") + ("." if r.done else " (đang thực hiện)."))
                       for i, r in enumerate(rec.reports, start=1)),
        ))
    else:
        doc.para("Không có nhiệm vụ được kiểm điểm tại buổi sinh hoạt.")
    doc.heading("III. SINH HOẠT CHI BỘ")
    doc.para(f"Ngày {d(rec.day)}, chi bộ tổ chức {rec.kind_label.lower()}: có mặt {rec.present_in_base}/{rec.base} "
             f"đảng viên thuộc diện dự họp ({pct(rec.rate_percent)}); vắng có lý do {len(rec.excused)}, vắng không "
             f"lý do {len(rec.unexcused)}; {rec.speakers} đảng viên phát biểu"
             + (f"; thời lượng {rec.duration_minutes} phút" if rec.duration_minutes is not None else "") + ".")
    if rec.grade_label:
        doc.para(f"Chất lượng buổi sinh hoạt: {rec.score} điểm, xếp loại {rec.grade_label}.")
    if rec.dues_count:
        doc.para(f"Thu đảng phí: {rec.dues_count} đảng viên, tổng số {rec.dues_total:,} đồng.".replace(",", "."))
    doc.heading("IV. PHƯƠNG HƯỚNG NHIỆM VỤ THÁNG TỚI")
    if rec.tasks:
        doc.blocks.append(_tasks_table(rec))
    else:
        doc.para("Chưa giao nhiệm vụ.")
    lines, signer = resolution_signer(rec)
    doc.blocks.append(Signatures((SignatureBlock(lines, signer),), recipients=recipients(rec)))
    return doc
