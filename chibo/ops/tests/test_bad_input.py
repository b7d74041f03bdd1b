"""The bad-input corpus: malformed and huge spreadsheets, disguised and oversized uploads, wrong
content types, NFD text, control characters and XSS strings, through the pages and the API.

Refused input gets a clear Vietnamese message and changes nothing (every domain row and every
stored file is compared before and after). Accepted text is stored clean (NFC, no control
characters) and shown escaped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import unicodedata
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from chibo.accounts.models import ApiToken
from chibo.meetings import services
from chibo.meetings.models import Meeting, Speech
from chibo.members import imports
from chibo.ops.backup import storage_files

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'><svg onload=alert(1)>'


def state() -> str:
    """Every row of the domain apps (audit included; not the API token's last-used time) and every file."""
    out = io.StringIO()
    call_command("dumpdata", "organisations", "members", "meetings", "accounts", "audit", "rules",
                 exclude=["accounts.apitoken"], format="json", stdout=out)
    return hashlib.sha256((out.getvalue() + "|".join(storage_files())).encode()).hexdigest()


def xlsx(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_with(name: str, body: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(name, body)
    return buf.getvalue()


def spreadsheet_corpus() -> list[tuple[str, bytes, str]]:
    header = [c.label for c in imports.COLUMNS]
    valid = xlsx([header, ["Nguyễn Văn Mới", "17/05/1980"]])
    return [
        ("rac.xlsx", os.urandom(4000), "không phải là tệp excel"),
        ("cat-doi.xlsx", valid[: len(valid) // 2], "không phải là tệp excel"),
        ("bom-nen.xlsx", zip_with("xl/worksheets/sheet1.xml", b"\0" * 3_000_000), "quá lớn"),
        ("khong-phai-xlsx.xlsx", zip_with("word/document.xml", b"<w/>"), "không phải là tệp excel"),
        ("chuong-trinh.xlsx", b"MZ\x90\x00\x03" + os.urandom(2000), "không phải là tệp excel"),
        ("danh-sach.txt", "Họ và tên\nNguyễn Văn A\n".encode(), ".xlsx"),
        ("qua-lon.csv", b"Ho va ten\n" + b"Nguyen Van A\n" * 30_000, "quá lớn"),
        ("rong.csv", b"", "rỗng"),
        ("nhi-phan.csv", b"\x00\x01\x02\xff\xfe" * 100, "không"),
    ]


@pytest.fixture
def small_limits(settings, monkeypatch):
    settings.CHIBO_MAX_UPLOAD_BYTES = 200_000
    monkeypatch.setattr(imports, "MAX_XLSX_UNCOMPRESSED", 1_000_000)


@pytest.mark.parametrize("name,body,phrase", spreadsheet_corpus(), ids=[c[0] for c in spreadsheet_corpus()])
def test_bad_spreadsheets_are_refused_and_change_nothing(client, world, small_limits, name, body, phrase):
    client.force_login(world.secretary)
    before = state()
    response = client.post(f"/dang-vien/nhap/?to_chuc={world.cell1.pk}",
                           {"file": SimpleUploadedFile(name, body)})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors and any(phrase.lower() in e.lower() for e in errors), errors
    assert state() == before


@pytest.fixture
def planned(world) -> Meeting:
    return services.create_meeting(actor=world.secretary, cell=world.cell1, kind="regular",
                                   scheduled_at=dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.UTC))


@pytest.mark.parametrize("name,body,ctype,phrase", [
    ("gia.pdf", b"\x89PNG\r\n\x1a\n" + os.urandom(100), "application/pdf", "không phải là pdf"),
    ("trang.pdf", b"<html><script>alert(1)</script></html>", "application/pdf", "không phải là pdf"),
    ("trang.html", b"<html><script>alert(1)</script></html>", "text/html", "chỉ nhận tệp pdf"),
    ("virus.exe", b"MZ\x90\x00" + os.urandom(100), "application/octet-stream", "chỉ nhận tệp pdf"),
    ("qua-lon.pdf", b"%PDF-1.4\n" + b"0" * 300_000, "application/pdf", "quá lớn"),
    ("rong.pdf", b"", "application/pdf", "rỗng"),
])
def test_bad_documents_are_refused_and_change_nothing(client, world, planned, small_limits, name, body, ctype, phrase):
    client.force_login(world.secretary)
    before = state()
    response = client.post(f"/sinh-hoat/{planned.pk}/tai-lieu/",
                           {"kind": "draft_resolution", "file": SimpleUploadedFile(name, body, ctype)})
    assert response.status_code == 200
    errors = [e for errs in response.context["document_form"].errors.values() for e in errs]
    assert errors and any(phrase in e.lower() for e in errors), errors
    assert state() == before


@pytest.fixture
def api(world, planned):
    services.publish(actor=world.secretary, meeting=planned)
    services.start(actor=world.secretary, meeting=planned)
    token = ApiToken.issue(world.secretary)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.parametrize("body,ctype", [
    ("title=abc", "application/x-www-form-urlencoded"),
    ("{\"organisation\": 1,", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ("xin chào", "text/plain"),
    ("{\"organisation\": \"" + "x" * 6_000_000 + "\"}", "application/json"),
    (json.dumps({"organisation": "1; DROP TABLE x", "kind": "regular", "scheduled_at": "31/02/2026 19:30"}),
     "application/json"),
])
def test_api_wrong_bodies_get_client_errors_and_change_nothing(client, world, api, body, ctype):
    before = state()
    response = client.post("/api/v1/meetings", data=body, content_type=ctype, **api)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert state() == before


def test_api_text_is_stored_clean_and_shown_escaped(client, world, planned, api):
    nfd = unicodedata.normalize("NFD", "Ý kiến của đồng chí Hoà về đường làng")
    summary = f"{nfd}\x00\x07\u200b {XSS}"
    member = world.member_same.member
    services.set_attendance(actor=world.secretary, meeting=planned, member=member, status="present")
    response = client.post(f"/api/v1/meetings/{planned.pk}/speeches", data={"summary": summary, "member": member.pk},
                           content_type="application/json", **api)
    assert response.status_code == 201, response.content
    stored = Speech.objects.get(pk=response.json()["id"]).summary
    assert unicodedata.is_normalized("NFC", stored) and stored.startswith("Ý kiến của đồng chí Hoà")
    assert not any(unicodedata.category(ch) == "Cc" for ch in stored)
    client.force_login(world.secretary)
    page = client.get(f"/sinh-hoat/{planned.pk}/dieu-hanh/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<script>alert("x")' not in page and "<img src=x" not in page and "<svg onload" not in page


def test_control_characters_and_nfd_in_forms(client, world, planned):
    """Web forms: a NUL is refused clearly; NFD and invisible control characters are cleaned."""
    client.force_login(world.secretary)
    before = state()
    response = client.post(f"/sinh-hoat/{planned.pk}/chuan-bi/",
                           {"title": "Nội dung\x00ẩn", "kind": "regular", "date": "05/12/2026", "time": "19:30",
                            "expected_version": planned.version})
    assert response.status_code == 200 and state() == before
    assert "ký tự" in response.content.decode().lower() or "null" in response.content.decode().lower()
    nfd = unicodedata.normalize("NFD", "Sinh hoạt chuyên đề Quý IV")
    response = client.post(f"/sinh-hoat/{planned.pk}/chuan-bi/",
                           {"title": f"{nfd}\x1b[31m", "kind": "regular", "date": "05/12/2026", "time": "19:30",
                            "expected_version": planned.version})
    assert response.status_code == 302, response.content.decode()[:2000]
    planned.refresh_from_db()
    assert planned.title == "Sinh hoạt chuyên đề Quý IV[31m" or planned.title.startswith("Sinh hoạt chuyên đề Quý IV")
    assert unicodedata.is_normalized("NFC", planned.title) and "\x1b" not in planned.title


def test_the_state_check_sees_an_accepted_upload(client, world, planned):
    """Control: the same request with a good file is accepted and changes the state."""
    client.force_login(world.secretary)
    before = state()
    response = client.post(f"/sinh-hoat/{planned.pk}/tai-lieu/",
                           {"kind": "draft_resolution", "file": SimpleUploadedFile("nq.pdf", b"%PDF-1.4\n%%EOF\n")})
    assert response.status_code == 302
    assert state() != before
