"""Every document read back (python-docx text and tables; pdftotext of the PDF): each required field is there.

Page 1 of each PDF is rendered to test-artifacts/documents/<kind>.png for a person to look at.
"""

from __future__ import annotations

import io

import pytest
from pptx import Presentation

from chibo.documents import kinds
from chibo.documents.record import build
from chibo.documents.tests.helpers import (
    ABSENT_REASON,
    CONCLUSION,
    GUEST,
    GUEST_SPEECH,
    SPEECHES,
    docx_tables,
    docx_text,
    flat,
    full_meeting,
    pdf_page_png,
    pdf_text,
)
from chibo.meetings.models import MeetingKind

pytestmark = pytest.mark.django_db


def both(rec, slug: str, png: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """The DOCX text and the PDF text of one document (flattened), PDF page 1 saved as PNG."""
    docx_bytes, docx_name, _ = kinds.render(rec, slug, "docx")
    pdf_bytes, pdf_name, _ = kinds.render(rec, slug, "pdf")
    assert docx_bytes.startswith(b"PK") and pdf_bytes.startswith(b"%PDF-")
    assert docx_name.endswith(".docx") and pdf_name.endswith(".pdf")
    if png:
        assert pdf_page_png(pdf_bytes, png).stat().st_size > 5000
    return [flat(docx_text(docx_bytes)), flat(pdf_text(pdf_bytes))]


def assert_heading(text: str, rec) -> None:  # type: ignore[no-untyped-def]
    assert "ĐẢNG BỘ XÃ AN BÌNH" in text and "CHI BỘ THÔN 1" in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert f"An Bình, ngày {rec.day.day:02d} tháng" in text and f"năm {rec.day.year}" in text


def test_the_minutes_hold_every_required_field_in_docx_and_pdf(world):
    built = full_meeting(world)
    rec = build(built.meeting)
    assert rec.approved and rec.score is not None
    for text in both(rec, "bien-ban", "bien-ban-thuong-ky"):
        assert_heading(text, rec)
        assert "BIÊN BẢN" in text and f"Sinh hoạt chi bộ thường kỳ tháng {rec.day.month:02d} năm {rec.day.year}" in text
        assert "vào lúc 19 giờ 30 phút" in text and "Nhà văn hóa thôn 1" in text
        # membership snapshot and attendance by category
        assert "Tổng số đảng viên của chi bộ: 6 đồng chí (chính thức: 5; dự bị: 1; sinh hoạt tạm thời: 0)" in text
        assert "Có mặt: 4 đồng chí (chính thức: 3; dự bị: 1; sinh hoạt tạm thời: 0)" in text
        assert "tỷ lệ dự họp 4/6 = 66,7%" in text
        assert f"Vắng có lý do: 1 đồng chí: Đặng Văn Tư ({ABSENT_REASON})" in text
        assert "Vắng không lý do: 1 đồng chí: Bùi Thị Mơ" in text
        assert f"Đại biểu dự: {GUEST[0]}, {GUEST[1]}" in text
        assert "Chủ trì: đồng chí Nguyễn Văn Hùng. Thư ký: đồng chí Trần Thị Lan" in text
        for name, summary in SPEECHES.items():  # every speaker by name, with the gist
            assert f"Đồng chí {name}: {summary}" in text
        assert f"Đồng chí {GUEST[0]} ({GUEST[1]}): {GUEST_SPEECH}" in text
        assert f"Kết luận của chủ trì: {CONCLUSION}" in text
        assert "Vận động 3 hộ xóm Đông hiến đất" in text and "Tổ đảng số 1" in text
        assert ("số đảng viên có quyền biểu quyết 5; tán thành 3; không tán thành 0; ý kiến khác 0. "
                "Kết quả: thông qua") in text
        assert f"Chi ủy, bí thư chi bộ chấm: {rec.cell_sheet.total} điểm, xếp loại {rec.cell_sheet.label}" in text
        assert f"Cấp ủy viên cấp trên chấm: {rec.upper_sheet.total} điểm" in text
        assert f"Chất lượng buổi sinh hoạt: {rec.score} điểm, xếp loại {rec.grade_label}" in text
        assert "Biên bản đã được đọc lại trước chi bộ lúc 21 giờ 15 phút" in text and "được thông qua" in text
        assert "kết thúc vào lúc 21 giờ 15 phút" in text and "thời lượng 105 phút" in text
        assert "THƯ KÝ" in text and "CHỦ TRÌ" in text and "DỰ THẢO" not in text
    # signatures under the right titles, as a table (DOCX)
    tables = docx_tables(kinds.render(rec, "bien-ban", "docx")[0])
    signature_row = tables[-1][0]
    assert "THƯ KÝ" in signature_row[0] and "Trần Thị Lan" in signature_row[0]
    assert "CHỦ TRÌ" in signature_row[1] and "Nguyễn Văn Hùng" in signature_row[1]


def test_the_resolution_has_its_number_tasks_vote_and_signature_block(world):
    rec = build(full_meeting(world).meeting)
    assert rec.number_symbol == "01-NQ/CB"
    for text in both(rec, "nghi-quyet", "nghi-quyet"):
        assert_heading(text, rec)
        assert "Số 01-NQ/CB" in text and "NGHỊ QUYẾT" in text
        assert "CHI BỘ THÔN 1 QUYẾT NGHỊ" in text
        assert CONCLUSION in text
        assert "Vận động 3 hộ xóm Đông hiến đất" in text and "Trần Thị Lan" in text
        assert "III. TỔ CHỨC THỰC HIỆN" in text
        assert "số đảng viên có quyền biểu quyết 5; tán thành 3" in text
        assert "T/M CHI BỘ" in text and "BÍ THƯ" in text and "Nguyễn Văn Hùng" in text
        assert "Nơi nhận" in text and "Đảng ủy xã An Bình (để báo cáo)" in text and "Lưu chi bộ" in text


def test_last_months_tasks_are_assessed_in_the_resolution_and_the_report(world):
    import datetime as dt

    full_meeting(world, day=dt.date.today() - dt.timedelta(days=40))
    rec = build(full_meeting(world, day=dt.date.today() - dt.timedelta(days=8)).meeting)
    assert rec.number_symbol == "02-NQ/CB" and len(rec.reports) == 2
    for text in both(rec, "nghi-quyet", "nghi-quyet-thang-sau"):
        assert "Chi bộ đã kiểm điểm 2 nhiệm vụ, hoàn thành 1" in text
        assert "Vận động 3 hộ xóm Đông hiến đất (Trần Thị Lan): Đã xong: vận động 3 hộ xóm đông hiến đất." in text
        assert "Tuần tra ban đêm (Tổ đảng số 1): Đã làm được một phần: tuần tra ban đêm (đang thực hiện)." in text
    for text in both(rec, "bao-cao-thang"):
        assert "Số nhiệm vụ được kiểm điểm: 2; đã hoàn thành: 1; đang thực hiện: 1." in text


def test_the_attendance_sheet_lists_everyone_by_given_name_with_a_signature_column(world):
    rec = build(full_meeting(world).meeting)
    data = kinds.render(rec, "danh-sach", "docx")[0]
    table = next(t for t in docx_tables(data) if t[0][1] == "Họ và tên")
    assert table[0][-1] == "Ký tên"
    names = [row[1] for row in table[1:]]
    # Bình, Hoà, Hùng, Lan, Mơ, Tư: sorted by given name
    assert names == ["Lê Văn Bình", "Phạm Thị Hoà", "Nguyễn Văn Hùng", "Trần Thị Lan", "Bùi Thị Mơ", "Đặng Văn Tư"]
    statuses = {row[1]: row[4] for row in table[1:]}
    assert statuses["Đặng Văn Tư"] == f"Vắng có lý do: {ABSENT_REASON}"
    assert statuses["Bùi Thị Mơ"] == "Vắng không lý do"
    assert {row[-1] for row in table[1:]} == {""}  # room to sign
    for text in both(rec, "danh-sach", "danh-sach"):
        assert "DANH SÁCH" in text and "Tổng số: 6; có mặt: 4; vắng có lý do: 1; vắng không lý do: 1" in text


def test_the_scoresheet_has_both_columns_totals_and_grades(world):
    rec = build(full_meeting(world).meeting)
    data = kinds.render(rec, "phieu-cham-diem", "docx")[0]
    table = next(t for t in docx_tables(data) if t[0][1] == "Tiêu chí")
    assert table[0][3:] == ["Chi ủy, bí thư chi bộ chấm", "Cấp ủy viên cấp trên chấm"]
    total = next(r for r in table if r[1] == "Tổng cộng")
    assert total[2:] == ["100", str(rec.cell_sheet.total), str(rec.upper_sheet.total)]
    grade = next(r for r in table if r[1] == "Xếp loại")
    assert grade[3:] == [rec.cell_sheet.label, rec.upper_sheet.label]
    order = next(r for r in table if r[1].startswith("Đúng trình tự"))
    assert order[3:] == ["9", "7"]
    for text in both(rec, "phieu-cham-diem", "phieu-cham-diem"):
        assert "PHIẾU CHẤM ĐIỂM" in text and "CẤP ỦY VIÊN CẤP TRÊN" in text and "T/M CHI BỘ" in text


def test_the_notice_the_report_and_the_article(world):
    built = full_meeting(world)
    rec = build(built.meeting)
    for text in both(rec, "thong-bao", "thong-bao"):
        assert "THÔNG BÁO" in text and "19 giờ 30 phút" in text and rec.day.strftime("%d/%m/%Y") in text
        assert "Nhà văn hóa thôn 1" in text and "Thu nộp đảng phí" in text and "T/M CHI BỘ" in text
    for text in both(rec, "bao-cao-thang", "bao-cao-thang"):
        assert "BÁO CÁO" in text and "Chi bộ có 6 đảng viên" in text and "có mặt 4/6" in text
        assert f"{rec.score} điểm, xếp loại {rec.grade_label}" in text and "Tuần tra ban đêm" in text
    for text in both(rec, "bai-viet", "bai-viet"):
        assert "Chi bộ thôn 1 sinh hoạt chi bộ tháng" in text
        assert "Đồng chí Nguyễn Văn Hùng, Bí thư Chi bộ, chủ trì" in text
        assert f"đồng chí {GUEST[0]}, {GUEST[1]}" in text and GUEST_SPEECH.rstrip(".") in text
        assert CONCLUSION.rstrip(".") in text
        assert "(Tổ đảng số 1, hạn" in text and "(đồng chí Trần Thị Lan, hạn" in text


@pytest.mark.parametrize("kind,title", [
    (MeetingKind.THEMATIC, "Sinh hoạt chi bộ chuyên đề"),
    (MeetingKind.COMBINED, "Sinh hoạt chi bộ thường kỳ kết hợp chuyên đề"),
])
def test_thematic_and_combined_minutes_name_the_topic_and_the_presenter(world, kind, title):
    built = full_meeting(world, kind=kind)
    rec = build(built.meeting)
    for text in both(rec, "bien-ban", f"bien-ban-{kind}"):
        assert title in text and "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh" in text
        assert "người trình bày: Trần Thị Lan" in text
        assert "Đồng chí Trần Thị Lan: Trình bày dự thảo chuyên đề" in text
    text = both(rec, "nghi-quyet")[1]
    expected = "Số 01-KL/CB" if kind == MeetingKind.THEMATIC else "Số 01-NQ/CB"
    assert expected in text


def test_drafts_before_approval_are_marked_on_every_format(world):
    rec = build(full_meeting(world, approve=False).meeting)
    assert not rec.approved and rec.number_symbol == ""
    for slug in ("bien-ban", "nghi-quyet", "danh-sach", "phieu-cham-diem", "bao-cao-thang", "bai-viet"):
        docx_t, pdf_t = both(rec, slug, "bien-ban-du-thao" if slug == "bien-ban" else None)
        assert "DỰ THẢO" in docx_t and "DỰ THẢO" in pdf_t, slug
        assert kinds.render(rec, slug, "pdf")[1].endswith("-du-thao.pdf")
    assert "Số -NQ/CB" in both(rec, "nghi-quyet")[1]  # no number before approval


VIETNAMESE = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"


def liberation_serif_covers_vietnamese() -> bool:
    import subprocess

    from fontTools.ttLib import TTFont

    path = subprocess.run(["fc-match", "-f", "%{file}", "Liberation Serif"], capture_output=True, text=True).stdout
    cmap = TTFont(path).getBestCmap()
    return all(ord(c) in cmap for c in VIETNAMESE + VIETNAMESE.upper())


def test_the_pdf_is_a4_in_liberation_serif_with_the_fonts_embedded(world):
    import subprocess
    import tempfile

    from chibo.documents.layout import layout

    rec = build(full_meeting(world).meeting)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(kinds.render(rec, "bien-ban", "pdf")[0])
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
        fonts = subprocess.run(["pdffonts", f.name], capture_output=True, text=True, check=True).stdout
    assert "x 841.89 pts (A4)" in info
    rows = [line.split() for line in fonts.splitlines()[2:]]
    names = [row[0].split("+", 1)[-1] for row in rows]
    assert names[0] == "Liberation-Serif" and all(row[-5] == "yes" for row in rows), fonts  # embedded
    if liberation_serif_covers_vietnamese():  # Liberation 2.x (fonts-liberation2): one family throughout
        assert all(n.startswith("Liberation-Serif") for n in names), fonts
    else:  # Liberation 1.07 (fonts-liberation): the letters it lacks come from the configured fallback only
        allowed = {f.replace(" ", "-") for f in layout().page.font_fallbacks} | {"Liberation-Serif"}
        assert {n.replace("-Bold", "").replace("-Italic", "") for n in names} <= allowed, fonts


def test_stacked_diacritics_survive_into_the_pdf_text(world):
    built = full_meeting(world, approve=False)
    from chibo.meetings import services

    services.add_guest(actor=world.secretary, meeting=built.meeting, name="Nguyễn Thị Ậu Ữỵ",
                       position="Trưởng ấp Khuyến Đặng, người giữ sổ", is_upper_officer=False)
    rec = build(built.meeting)
    for text in both(rec, "bien-ban"):
        for word in ("Ậu", "Ữỵ", "Khuyến Đặng", "Trưởng ấp", "ậ", "ữ", "ỵ"):
            assert word in text, word


def test_slides_are_built_from_the_topic_outline(world):
    outline = "1. Nội dung cơ bản\n- Ý thức phục vụ nhân dân\n- Nêu gương\n2. Liên hệ thực tiễn\n3. Việc làm cụ thể"
    built = full_meeting(world, kind=MeetingKind.THEMATIC, topic_outline=outline)
    topic = built.meeting.topic
    topic.key_points, topic.conclusion = "Gần dân\nTrọng dân", "Mỗi đảng viên đăng ký một việc làm."
    topic.save()
    rec = build(built.meeting)
    data, name, content_type = kinds.render(rec, "slides", "pptx")
    assert name.endswith(".pptx") and "presentation" in content_type
    prs = Presentation(io.BytesIO(data))
    texts = [" ".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) for s in prs.slides]
    assert len(texts) == 1 + 1 + 3 + 1 + 1  # title, contents, 3 sections, key points, conclusion
    assert "CHI BỘ THÔN 1" in texts[0] and topic.title in texts[0] and "Trần Thị Lan" in texts[0]
    assert "• Ý thức phục vụ nhân dân" in texts[2] and "• Nêu gương" in texts[2]
    assert "Những ý chính" in texts[5] and "• Trọng dân" in texts[5]
    assert "Mỗi đảng viên đăng ký một việc làm." in texts[6]


def test_a_regular_meeting_has_no_slides_and_a_planned_one_no_minutes(world):
    rec = build(full_meeting(world).meeting)
    with pytest.raises(kinds.NotAvailable, match="không có chuyên đề"):
        kinds.render(rec, "slides", "pptx")
    from chibo.documents.tests.helpers import at
    from chibo.meetings import services

    planned = services.create_meeting(actor=world.secretary, cell=world.cell1, kind=MeetingKind.REGULAR,
                                      scheduled_at=at(rec.day, 19, 30))
    with pytest.raises(kinds.NotAvailable, match="chưa diễn ra"):
        kinds.render(build(planned), "bien-ban", "pdf")
    text = both(build(planned), "thong-bao", "thong-bao-du-thao")[1]
    assert "DỰ THẢO" in text and "Điểm danh, báo cáo tình hình đảng viên" in text  # the rulebook's agenda
