"""chibo.members.xlsx must read exactly what openpyxl (read-only, values only) reads."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from chibo.members import imports, xlsx


def openpyxl_rows(data: bytes) -> list[tuple]:
    return [tuple(row) for row in imports._openpyxl_rows(data)]


def workbook_bytes(*, write_only: bool) -> bytes:
    workbook = openpyxl.Workbook(write_only=write_only)
    sheet = workbook.create_sheet("Đảng viên") if write_only else workbook.active
    rows = [
        ["Họ và tên", "Ngày sinh", "Số", "Tỷ lệ", "Đúng", "Ghi chú"],
        ["Nguyễn Văn An", dt.date(1980, 5, 17), 12, 2.5, True, "  khoảng trắng  "],
        ["Trần Thị Lan", dt.datetime(1975, 2, 1, 8, 30), 1e20, -0.125, False, None],
        [None, None, None, None, None, "chỉ ô cuối"],
        [],
        ["Lê Văn Bình", "01/02/1990", "001185012345", None, None, None],
        ["Đỗ Thị Mơ", dt.date(1899, 12, 31), 0, 3.0, None, "=A1"],
    ]
    for row in rows:
        sheet.append(row)
    if not write_only:
        sheet["H9"] = "xa, sau một dòng trống"
        sheet["C12"] = CellRichText(["Chữ ", TextBlock(InlineFont(b=True), "đậm"), " thường"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize("write_only", [False, True], ids=["shared-strings", "inline-strings"])
def test_reader_matches_openpyxl(write_only):
    data = workbook_bytes(write_only=write_only)
    rows = list(xlsx.first_sheet_rows(data))
    assert rows == openpyxl_rows(data)
    assert rows[1][:3] == ("Nguyễn Văn An", dt.datetime(1980, 5, 17), 12)


def test_reader_matches_openpyxl_on_hand_written_cells():
    """Cells without references, gaps, rich and phonetic runs, booleans, errors, formulas."""
    data = workbook_bytes(write_only=False)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c>'
        '<c r="C1" t="inlineStr"><is><r><t>Ghi </t></r><r><rPr><b/></rPr><t>chú</t></r>'
        '<rPh sb="0" eb="1"><t>ふりがな</t></rPh></is></c></row>'
        '<row><c t="inlineStr"><is><t>Không tham chiếu</t></is></c><c t="b"><v>1</v></c><c><v>7</v></c></row>'
        '<row r="5"><c r="B5" t="e"><v>#N/A</v></c><c r="C5"><v>3.5</v></c>'
        '<c r="D5" t="str"><f>1+1</f><v>2</v></c></row>'
        '<row r="6"><c r="AB6" t="inlineStr"><is/></c></row>'
        "</sheetData></worksheet>"
    )
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = sheet.encode()
            target.writestr(info, body)
    data = out.getvalue()
    rows = list(xlsx.first_sheet_rows(data))
    assert rows == openpyxl_rows(data)
    assert rows[0] == ("Họ và tên", None, "Ghi chú")
    assert rows[1] == ("Không tham chiếu", True, 7)
    assert rows[2] == rows[3] == ()
