"""The review documents and the receipts list, read back (python-docx, pdftotext, openpyxl)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from chibo.annual import documents, services
from chibo.annual.tests.helpers import PRESENT, assessed_round, held_meeting

JAN_2025 = dt.date(2025, 1, 1)  # dues profiles in force for the whole of 2025

pytestmark = pytest.mark.django_db
ARTIFACTS = Path("test-artifacts/annual")


def pdf_text(data: bytes, name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_fonts(name: str) -> str:
    return subprocess.run(
        ["pdffonts", str(ARTIFACTS / f"{name}.pdf")], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def decided(world):  # type: ignore[no-untyped-def]
    c = services.start_commitment(actor=world.member_same, member=world.m_same, year=2025)
    services.save_commitment(
        actor=world.member_same,
        commitment=c,
        submit=True,
        political="Giữ vững lập trường",
        ethical="Sống giản dị",
        professional="Hoàn thành kế hoạch",
        assigned_tasks="Phụ trách tổ tự quản",
    )
    rnd = assessed_round(world)
    services.raise_shortcoming(
        actor=world.secretary,
        cell=world.cell1,
        member=world.m_same,
        raised_by=world.sec_member,
        review=rnd.reviews.get(member=world.m_same),
        text="Phát biểu còn ít",
    )
    for r in rnd.reviews.exclude(member=None):
        services.record_vote(actor=world.secretary, review=r, in_favour=3, against=0, base=3)
    services.propose_round(
        actor=world.secretary,
        round=rnd,
        held_on=dt.date(2025, 12, 22),
        place="Nhà văn hóa thôn 1",
        present_count=4,
    )
    services.decide_round(actor=world.officer, round=rnd)
    rnd.refresh_from_db()
    return rnd


def test_the_personal_review_docx_has_the_hd36_header_and_the_members_record(world, decided):
    doc = documents.personal_review(decided.reviews.get(member=world.m_same))
    d = Document(io.BytesIO(documents.to_docx(doc)))
    left, right = d.tables[0].rows[0].cells
    assert left.text.splitlines()[:2] == ["ĐẢNG ỦY XÃ AN BÌNH", "CHI BỘ THÔN 1"]
    assert (
        right.text.startswith("ĐẢNG CỘNG SẢN VIỆT NAM") and "An Bình, ngày 22 tháng 12 năm 2025" in right.text
    )
    text = "\n".join(p.text for p in d.paragraphs)
    assert "BẢN KIỂM ĐIỂM ĐẢNG VIÊN" in text and "Năm 2025" in text
    assert "Họ và tên: Trần Thị Lan" in text and "Giữ vững lập trường" in text
    assert "Cấp trên quyết định: Hoàn thành tốt nhiệm vụ" in text
    scores = d.tables[1]
    assert [c.text for c in scores.rows[-1].cells] == ["Tổng cộng", "100", "80", "80"]
    assert d.styles["Normal"].font.name == "Liberation Serif"


def test_the_personal_review_pdf_reads_back_with_the_header_right_and_liberation_serif(world, decided):
    doc = documents.personal_review(decided.reviews.get(member=world.m_same))
    text = pdf_text(documents.to_pdf(doc), "ban-kiem-diem")
    first = [line for line in text.splitlines() if line.strip()][:3]
    assert "ĐẢNG ỦY XÃ AN BÌNH" in first[0] and "ĐẢNG CỘNG SẢN VIỆT NAM" in first[0]
    assert first[0].index("ĐẢNG ỦY XÃ AN BÌNH") < first[0].index("ĐẢNG CỘNG SẢN VIỆT NAM")  # left, then right
    assert "BẢN KIỂM ĐIỂM ĐẢNG VIÊN" in text and "Trần Thị Lan" in text
    fonts = pdf_fonts("ban-kiem-diem")
    # Liberation Serif 1.07 (Debian fonts-liberation) lacks letters such as ả, ệ, ư: those fall
    # back to DejaVu Serif until fonts-liberation2 (2.1, with Vietnamese) is installed.
    assert "Liberation-Serif" in fonts


def test_the_proposal_list_and_minutes_carry_every_member_and_the_votes(world, decided):
    d = Document(io.BytesIO(documents.to_docx(documents.proposal_list(decided))))
    table = d.tables[1]
    assert [c.text for c in table.rows[0].cells][:3] == ["STT", "Họ và tên", "Tự chấm"]
    names = [row.cells[1].text for row in table.rows[1:]]
    assert names == ["Nguyễn Văn Hùng", "Lê Văn Bình", "Phạm Thị Hoà", "Trần Thị Lan"] or sorted(
        names
    ) == sorted(["Nguyễn Văn Hùng", "Lê Văn Bình", "Phạm Thị Hoà", "Trần Thị Lan"])
    assert all(row.cells[6].text == "3/3" for row in table.rows[1:])
    text = pdf_text(documents.to_pdf(documents.minutes(decided)), "bien-ban")
    assert "BIÊN BẢN" in text and "Nhà văn hóa thôn 1" in text
    assert "Phát biểu còn ít" in text and "3 tán thành" in text


def test_the_names_in_the_proposal_list_are_sorted_by_given_name(world, decided):
    d = Document(io.BytesIO(documents.to_docx(documents.proposal_list(decided))))
    names = [row.cells[1].text for row in d.tables[1].rows[1:]]
    assert names == ["Lê Văn Bình", "Phạm Thị Hoà", "Nguyễn Văn Hùng", "Trần Thị Lan"]


def test_the_receipts_workbook_lists_every_payment_and_the_unpaid_months(world):
    lan = world.m_same
    services.set_dues_profile(
        actor=world.secretary, member=lan, category="khac", fixed_amount=10_000, valid_from=JAN_2025
    )
    held_meeting(world.cell1, 2025, 1, attendance={lan: PRESENT}, dues={lan: 10_000})
    services.record_payment(
        actor=world.secretary,
        member=lan,
        year=2025,
        month=2,
        amount=10_000,
        paid_on=dt.date(2025, 2, 20),
        note="Chuyển khoản",
    )
    wb = load_workbook(io.BytesIO(documents.receipts_workbook(world.cell1, 2025)))
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "DANH SÁCH THU ĐẢNG PHÍ NĂM 2025 — CHI BỘ THÔN 1"
    assert rows[2][1:5] == ("15/01/2025", "01/2025", "Trần Thị Lan", 10_000)
    assert rows[3][5:] == ("Nộp ngoài buổi sinh hoạt", "Chuyển khoản")
    assert rows[-1][3:5] == ("Tổng cộng", 20_000)
    flagged = list(wb.worksheets[1].iter_rows(values_only=True))
    assert flagged[1][0] == "Trần Thị Lan" and flagged[1][2].startswith("03, 04")
