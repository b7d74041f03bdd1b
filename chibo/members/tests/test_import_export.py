"""Member import (.xlsx/.csv → preview → confirm) and export, end to end."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chibo.accounts.access import get_scope
from chibo.audit.models import AuditAction, AuditEntry
from chibo.members import imports
from chibo.members import services as member_services
from chibo.members.models import ImportBatch, Member, Membership, MemberStatus

DATA = Path(__file__).parent / "data"
HEADERS = [c.label for c in imports.COLUMNS]
UPLOAD_URL = reverse("members:import")
EXPORT_URL = reverse("members:export")

# Spreadsheet row -> a phrase of its single problem (bad_import.csv; header = row 1).
EXPECTED_BAD = {
    3: "Thiếu họ và tên.",
    4: "Họ và tên phải có ít nhất họ và tên",
    5: "Họ và tên không được chứa chữ số.",
    6: "Ngày sinh '31/02/1980' không phải ngày hợp lệ (dd/mm/yyyy).",
    7: "Ngày sinh '1980-05-17' không phải ngày hợp lệ (dd/mm/yyyy).",
    8: "Ngày vào Đảng 01/01/2099 ở tương lai.",
    9: "khi chưa đủ 18 tuổi",
    10: "Đảng viên dự bị không có ngày chính thức.",
    11: "Ngày chính thức trước ngày vào Đảng.",
    12: "Trạng thái 'Tạm ngưng' không hợp lệ (Chính thức hoặc Dự bị).",
    13: "Giới tính 'Khác' không hợp lệ (Nam hoặc Nữ).",
    14: "Chức vụ đảng 'Trưởng ban' không hợp lệ",
    15: "Số điện thoại '12ab' không hợp lệ.",
    16: "Email 'phuc@' không hợp lệ.",
    17: "Số CCCD phải gồm đúng 12 chữ số.",
    18: "Số thẻ đảng viên TEST-0001 trùng với dòng 2.",
    19: "Số CCCD ********0001 trùng với dòng 2.",
    20: "Số thẻ đảng viên DB-0001 đã có ở một đảng viên khác.",
    21: "Số CCCD ********0999 đã có ở một đảng viên khác.",
    22: "Không tìm thấy chi bộ 'Chi bộ thôn 9' trong phạm vi của bạn.",
    23: "Không tìm thấy chi bộ 'AB-T2' trong phạm vi của bạn.",
    24: "Không tìm thấy chi bộ 'Chi bộ Trường Tiểu học' trong phạm vi của bạn.",
    25: "Không tìm thấy tổ đảng 'Tổ đảng số 9' trong Chi bộ thôn 1.",
    26: "Số thẻ đảng viên '12#4' không hợp lệ.",
    27: "Ngày miễn sinh hoạt 01/01/2099 ở tương lai.",
    28: "Thiếu chi bộ.",
    29: "Ngày sinh 01/01/1890 không hợp lệ.",
    30: "Họ và tên quá dài (tối đa 120 ký tự).",
    34: "Miễn sinh hoạt từ ngày '32/13/2020' không phải ngày hợp lệ (dd/mm/yyyy).",
}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[Any]], *, title_rows: int = 0) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for index in range(title_rows):
        sheet.append([f"DANH SÁCH ĐẢNG VIÊN ({index + 1})"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read_fixture() -> list[list[str]]:
    with open(DATA / "bad_import.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def member_row(**values: Any) -> list[Any]:
    base = {
        "Họ và tên": "Nguyễn Văn An",
        "Ngày sinh": "17/05/1980",
        "Giới tính": "Nam",
        "Dân tộc": "Kinh",
        "Ngày vào Đảng": "01/03/2005",
        "Ngày chính thức": "01/03/2006",
        "Trạng thái": "Chính thức",
        "Chi bộ": "AB-T1",
    }
    base.update(values)
    return [base.get(header, "") for header in HEADERS]


def good_rows() -> list[list[Any]]:
    return [
        HEADERS,
        member_row(
            **{
                "Họ và tên": "Đinh Thị Ngọc Ánh",
                "Giới tính": "Nữ",
                "Số CCCD": "001185012345",
                "Số thẻ đảng viên": "93.012345",
                "Tổ đảng": "Tổ đảng số 1",
                "Chức vụ đảng": "Chi ủy viên",
                "Điện thoại": "0912 345 678",
                "Email": "anh@example.vn",
                "Quê quán": "Hà Nội, Việt Nam",
            }
        ),
        member_row(
            **{
                "Họ và tên": "  Trương   Văn  Hải ",
                "Ngày sinh": "1/2/1975",
                "Chi bộ": "chi bo thon 1",
                "Tổ đảng": "TO DANG SO 1",
                "Trạng thái": "chinh thuc",
            }
        ),
        member_row(
            **{
                "Họ và tên": "Hà Thị Kim",
                "Trạng thái": "Dự bị",
                "Ngày chính thức": "",
                "Ngày vào Đảng": "15/08/2025",
                "Số CCCD": "001190054321",
            }
        ),
        member_row(
            **{
                "Họ và tên": "Lò Văn Pá",
                "Chi bộ": "HL-TH",
                "Dân tộc": "Thái",
                "Miễn sinh hoạt từ ngày": "01/01/2024",
            }
        ),
    ]


def upload(client: Any, name: str, content: bytes, *, to_chuc: int | None = None) -> Any:
    url = UPLOAD_URL + (f"?to_chuc={to_chuc}" if to_chuc else "")
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def confirm(client: Any, batch: ImportBatch) -> Any:
    return client.post(reverse("members:import_preview", args=[batch.pk]), {"action": "confirm"})


def latest_batch() -> ImportBatch:
    return ImportBatch.objects.latest("id")


def form_errors(response: Any) -> list[str]:
    return response.context["form"].errors.get("file", [])


def export_rows(response: Any, fmt: str) -> list[list[Any]]:
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def existing(world):
    """A member already in the database with a card number and a CCCD."""
    return member_services.create_member(
        actor=None,
        organisation=world.cell1,
        full_name="Ngô Văn Cũ",
        card_number="DB-0001",
        cccd="001080000999",
        birth_date=dt.date(1970, 1, 1),
        admission_date=dt.date(2000, 1, 1),
    )


# ---------------------------------------------------------------------------
# Bad files: one clear message per bad row, nothing written
# ---------------------------------------------------------------------------


def assert_bad_batch(batch: ImportBatch) -> None:
    assert batch.status == ImportBatch.Status.PENDING
    assert {int(line) for line in batch.errors} == set(EXPECTED_BAD)
    for line, phrase in EXPECTED_BAD.items():
        messages = batch.errors[str(line)]
        assert len(messages) == 1, (line, messages)
        assert phrase in messages[0], (line, messages)
    assert batch.row_count == 32  # 33 data lines, one blank
    assert batch.error_count == len(EXPECTED_BAD)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_file_lists_one_error_per_bad_row_and_writes_nothing(client, world, existing, fmt):
    before = Member.objects.count()
    content = (DATA / "bad_import.csv").read_bytes() if fmt == "csv" else xlsx_bytes(read_fixture())
    client.force_login(world.secretary)

    response = upload(client, f"danh-sach.{fmt}", content)

    batch = latest_batch()
    assert response.status_code == 302
    assert response["Location"] == reverse("members:import_preview", args=[batch.pk])
    assert_bad_batch(batch)
    page = client.get(response["Location"]).content.decode()
    assert "Dòng 3: Thiếu họ và tên." in page
    assert "Dòng 8: Ngày vào Đảng 01/01/2099 ở tương lai." in page
    assert "Dòng 18: Số thẻ đảng viên TEST-0001 trùng với dòng 2." in page
    assert "Dòng 28: Thiếu chi bộ." in page
    assert "disabled" in page
    assert "001080000001" not in page  # CCCD only masked

    response = confirm(client, batch)

    assert response.status_code == 302
    assert Member.objects.count() == before
    assert Membership.objects.filter(note__startswith="Nhập từ tệp").count() == 0
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PENDING
    assert_bad_batch(batch)


def test_stored_batch_never_holds_a_cccd_in_clear(client, world, existing):
    client.force_login(world.secretary)
    upload(client, "danh-sach.csv", (DATA / "bad_import.csv").read_bytes())
    batch = latest_batch()
    raw = str(batch.rows) + str(batch.errors)
    assert "001080000001" not in raw and "001080000999" not in raw
    assert batch.rows[0]["cccd_masked"] == "********0001"


# ---------------------------------------------------------------------------
# Good files
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_good_file_imports_every_row(client, world, fmt):
    rows = good_rows()
    if fmt == "xlsx":
        rows[1][HEADERS.index("Ngày sinh")] = dt.datetime(1985, 11, 30)  # a real date cell
        content = xlsx_bytes(rows, title_rows=2)
    else:
        content = csv_bytes(rows, delimiter=";", bom=True)
    before = Member.objects.count()
    client.force_login(world.admin)

    upload(client, f"dang-vien.{fmt}", content)
    batch = latest_batch()
    assert batch.errors == {}
    page = client.get(reverse("members:import_preview", args=[batch.pk])).content.decode()
    assert "Tất cả 4 dòng hợp lệ" in page and "disabled" not in page
    response = confirm(client, batch)

    assert response.status_code == 302
    assert Member.objects.count() == before + 4
    anh = Member.objects.get(full_name="Đinh Thị Ngọc Ánh")
    expected_birth = dt.date(1985, 11, 30) if fmt == "xlsx" else dt.date(1980, 5, 17)
    assert anh.birth_date == expected_birth
    assert anh.gender == "nu"
    assert anh.party_group == world.group1
    assert anh.party_position == "chi_uy_vien"
    assert anh.card_number == "93.012345"
    assert anh.hometown == "Hà Nội, Việt Nam"
    assert anh.cccd == "001185012345"
    assert "001185012345" not in anh.cccd_encrypted
    assert anh.cccd_masked == "********2345"
    assert anh.sort_key and anh.search_ascii == "dinh thi ngoc anh"
    hai = Member.objects.get(full_name="Trương Văn Hải")
    assert (hai.birth_date, hai.organisation, hai.party_group) == (
        dt.date(1975, 2, 1),
        world.cell1,
        world.group1,
    )
    assert hai.card_number is None
    kim = Member.objects.get(full_name="Hà Thị Kim")
    assert kim.status == MemberStatus.PROBATIONARY and kim.official_date is None
    pa = Member.objects.get(full_name="Lò Văn Pá")
    assert (pa.organisation, pa.ethnicity, pa.exempt_from) == (world.cell3, "Thái", dt.date(2024, 1, 1))
    imported = Member.objects.filter(pk__in=[anh.pk, hai.pk, kim.pk, pa.pk])
    memberships = Membership.objects.filter(member__in=imported)
    assert memberships.count() == 4
    assert set(memberships.values_list("start", flat=True)) == {timezone.localdate()}
    assert memberships.get(member=anh).party_group == world.group1
    entries = AuditEntry.objects.filter(action=AuditAction.IMPORT).order_by("org_path")
    assert [(e.org_path, e.changes) for e in entries] == sorted(
        [(world.cell1.path, {"rows": [0, 3]}), (world.cell3.path, {"rows": [0, 1]})]
    )
    assert {(e.object_type, e.object_id, e.actor_id) for e in entries} == {
        ("members.importbatch", str(batch.pk), world.admin.pk)
    }
    batch.refresh_from_db()
    assert (batch.status, batch.applied_count) == (ImportBatch.Status.APPLIED, 4)
    assert all("cccd" not in row["values"] for row in batch.rows)
    follow = client.get(response["Location"]).content.decode()
    assert "Đã nhập 4 đảng viên." in follow and reverse("members:list") in follow

    # Applying twice is impossible.
    confirm(client, batch)
    assert Member.objects.count() == before + 4
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT).count() == 2
    assert not imports.apply_batch(batch=batch, user=world.admin).ok


def test_default_cell_from_to_chuc_when_column_missing(client, world):
    header = ["HO VA TEN", "ngay sinh", "Trang thai", "Tổ Đảng"]  # free order and spelling
    content = csv_bytes([header, ["Mai Văn Tú", "02/09/1980", "Dự bị", "Tổ đảng số 1"]])
    client.force_login(world.secretary)

    upload(client, "tu.csv", content, to_chuc=world.cell1.pk)
    batch = latest_batch()
    assert batch.errors == {} and batch.organisation == world.cell1
    confirm(client, batch)

    tu = Member.objects.get(full_name="Mai Văn Tú")
    assert (tu.organisation, tu.party_group, tu.status) == (world.cell1, world.group1, "du_bi")
    assert tu.ethnicity == "Kinh"  # absent column keeps the model default


def test_missing_cell_column_without_default_is_a_file_error(client, world):
    client.force_login(world.secretary)
    response = upload(client, "x.csv", csv_bytes([["Họ và tên"], ["Mai Văn Tú"]]))
    assert response.status_code == 200
    assert "không có cột “Chi bộ”" in form_errors(response)[0]
    assert not ImportBatch.objects.exists()


def test_cancel_discards_the_batch(client, world):
    client.force_login(world.secretary)
    upload(client, "a.csv", csv_bytes(good_rows()[:2]))
    batch = latest_batch()
    response = client.post(reverse("members:import_preview", args=[batch.pk]), {"action": "cancel"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED
    assert all("cccd" not in row["values"] for row in batch.rows)
    before = Member.objects.count()
    confirm(client, batch)
    assert Member.objects.count() == before


def test_confirm_revalidates_against_the_database(client, world):
    client.force_login(world.secretary)
    upload(client, "a.csv", csv_bytes(good_rows()[:2]))
    batch = latest_batch()
    assert batch.errors == {}
    member_services.create_member(
        actor=None, organisation=world.cell1, full_name="Người Khác", card_number="93.012345"
    )
    before = Member.objects.count()

    confirm(client, batch)

    assert Member.objects.count() == before
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PENDING
    assert batch.errors == {"2": ["Số thẻ đảng viên 93.012345 đã có ở một đảng viên khác."]}


def test_failed_apply_keeps_the_cccd_encrypted_and_a_retry_still_has_it(world):
    """apply_batch decrypts the rows in memory only: a refused apply stores no clear CCCD and loses none."""
    batch, _ = imports.create_batch(user=world.admin, file_name="a.csv", data=csv_bytes(good_rows()[:2]))
    sealed = batch.rows[0]["values"]["cccd"]
    assert sealed and sealed != "001185012345"
    blocker = member_services.create_member(
        actor=None, organisation=world.cell1, full_name="Người Khác", card_number="93.012345"
    )

    assert not imports.apply_batch(batch=batch, user=world.admin).ok

    batch.refresh_from_db()
    assert "001185012345" not in str(batch.rows)
    assert batch.rows[0]["values"]["cccd"] == sealed
    member_services.update_member(actor=None, member=blocker, card_number="")
    assert imports.apply_batch(batch=batch, user=world.admin).ok
    assert Member.objects.get(card_number="93.012345").cccd == "001185012345"
    batch.refresh_from_db()
    assert all("cccd" not in row["values"] for row in batch.rows)


def test_apply_is_all_or_nothing(world, monkeypatch):
    batch, _ = imports.create_batch(user=world.admin, file_name="a.csv", data=csv_bytes(good_rows()))
    assert batch.errors == {}
    real_record = imports.record
    calls: list[str] = []

    def failing_record(**kwargs: Any) -> Any:
        calls.append(kwargs["org_path"])
        if len(calls) == 2:  # the second cell's audit entry fails
            raise RuntimeError("boom")
        return real_record(**kwargs)

    monkeypatch.setattr(imports, "record", failing_record)
    before = (Member.objects.count(), Membership.objects.count())

    with pytest.raises(RuntimeError):
        imports.apply_batch(batch=batch, user=world.admin)

    assert (Member.objects.count(), Membership.objects.count()) == before
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PENDING


@pytest.mark.parametrize(("prefix", "delimiter"), [("", ","), ("", ";"), ("", "\t"), ("sep=;\r\n", ";")])
def test_csv_delimiters(world, prefix, delimiter):
    data = prefix.encode() + csv_bytes(
        [["Họ và tên", "Ngày sinh", "Chi bộ"], ["Lê Văn Tư", "2/9/1980", "AB-T1"]],
        delimiter=delimiter,
        bom=not prefix,
    )
    table = imports.read_table("csv", data)
    assert table.rows == [
        {"line": 2, "values": {"full_name": "Lê Văn Tư", "birth_date": "2/9/1980", "organisation": "AB-T1"}}
    ]
    assert imports.parse_date("2/9/1980") == dt.date(1980, 9, 2)


# ---------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------


def test_only_the_creator_sees_a_batch(client, world):
    client.force_login(world.secretary)
    upload(client, "a.csv", csv_bytes(good_rows()[:2]))
    batch = latest_batch()
    url = reverse("members:import_preview", args=[batch.pk])
    assert client.get(url).status_code == 200
    for other in (world.admin, world.officer, world.member_same):
        client.force_login(other)
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "confirm"}).status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PENDING


@pytest.mark.parametrize("persona", ["member_same", "officer", "officer_other"])
def test_read_only_personas_may_not_upload(client, world, persona):
    client.force_login(getattr(world, persona))
    assert client.get(UPLOAD_URL).status_code == 403
    assert upload(client, "a.csv", csv_bytes(good_rows())).status_code == 403
    assert not ImportBatch.objects.exists()


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(UPLOAD_URL)
    assert response.status_code == 302 and "next=" in response["Location"]
    assert client.get(EXPORT_URL).status_code == 302


def test_secretary_cannot_import_into_another_cell(client, world):
    client.force_login(world.secretary)
    assert client.get(UPLOAD_URL + f"?to_chuc={world.cell2.pk}").status_code == 404
    rows = [HEADERS, member_row(**{"Chi bộ": "Chi bộ thôn 2"}), member_row(**{"Chi bộ": "AB-T2"})]
    upload(client, "b.csv", csv_bytes(rows))
    batch = latest_batch()
    assert set(batch.errors) == {"2", "3"}
    for messages in batch.errors.values():
        assert "không tìm thấy chi bộ" in messages[0].lower()
        assert messages[0].endswith("trong phạm vi của bạn.")


def test_officer_reader_gets_403_with_to_chuc(client, world):
    client.force_login(world.officer)
    assert client.get(UPLOAD_URL + f"?to_chuc={world.cell1.pk}").status_code == 403


# ---------------------------------------------------------------------------
# Upload checks
# ---------------------------------------------------------------------------


def test_oversize_upload_is_refused_and_nothing_stored(client, world, settings):
    settings.CHIBO_MAX_UPLOAD_BYTES = 1024
    client.force_login(world.secretary)
    content = csv_bytes(
        [HEADERS] + [member_row(**{"Họ và tên": f"Nguyễn Văn {chr(65 + i % 26)}"}) for i in range(40)]
    )
    assert len(content) > 1024

    response = upload(client, "lon.csv", content)

    assert response.status_code == 200
    assert form_errors(response)[0].startswith("Tệp quá lớn")
    assert form_errors(response)[0].endswith("Dung lượng tối đa là 1 KB.")
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"Ho va ten,Chi bo\r\nNguyen Van A,AB-T1\r\n",  # a CSV renamed .xlsx
        b"PK\x03\x04 this is not really a zip",
        None,  # a real zip that is not a workbook
    ],
)
def test_non_xlsx_renamed_xlsx_is_refused(client, world, content):
    if content is None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("hello.txt", "xin chào")
        content = out.getvalue()
    client.force_login(world.secretary)
    response = upload(client, "danh-sach.xlsx", content)
    assert response.status_code == 200
    assert form_errors(response) == [imports.NOT_XLSX]
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("a.xls", "Định dạng .xls"),
        ("a.pdf", "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)."),
        ("a.csv", "Tệp rỗng."),
    ],
)
def test_wrong_types_are_refused(client, world, name, phrase):
    client.force_login(world.secretary)
    response = upload(client, name, b"" if name == "a.csv" else b"data")
    assert phrase in form_errors(response)[0]


def test_csv_must_be_utf8(client, world):
    client.force_login(world.secretary)
    text = "Họ và tên,Chi bộ\r\nNguyễn Văn Ánh,AB-T1\r\n"
    # What Excel's plain "CSV" gives on Vietnamese Windows (à, Á are single cp1258 bytes).
    content = text.encode("cp1258", errors="replace")
    response = upload(client, "a.csv", content)
    assert form_errors(response) == [imports.NOT_UTF8]
    assert "UTF-8" in imports.NOT_UTF8 and "Lưu thành" in imports.NOT_UTF8


def test_xlsx_content_named_csv_is_refused(client, world):
    client.force_login(world.secretary)
    response = upload(client, "a.csv", xlsx_bytes(good_rows()))
    assert "nội dung là tệp Excel" in form_errors(response)[0]


def test_header_row_must_be_found(client, world):
    client.force_login(world.secretary)
    response = upload(client, "a.csv", csv_bytes([["Tên", "Lớp"], ["A", "B"]]))
    assert "Không tìm thấy dòng tiêu đề có cột “Họ và tên”" in form_errors(response)[0]


def test_unknown_columns_are_reported_and_ignored(client, world):
    client.force_login(world.secretary)
    response = upload(client, "a.csv", csv_bytes([HEADERS + ["Ghi chú"], member_row() + ["x"]]))
    follow = client.get(response["Location"]).content.decode()
    assert "Đã bỏ qua các cột không nhận ra: Ghi chú." in follow


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


@pytest.fixture
def with_cccd(world):
    member_services.update_member(actor=None, member=world.m_same, cccd="001185001234", card_number="0123456")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_masks_cccd_for_officer_and_shows_it_to_secretary(client, world, with_cccd, fmt):
    cccd_col = HEADERS.index("Số CCCD")
    name_col = HEADERS.index("Họ và tên")
    for user, expected in ((world.officer, "********1234"), (world.secretary, "001185001234")):
        client.force_login(user)
        response = client.get(EXPORT_URL, {"dinh_dang": fmt, "to_chuc": world.cell1.pk})
        assert response.status_code == 200
        rows = export_rows(response, fmt)
        assert rows[0] == HEADERS
        lan = next(r for r in rows if r[name_col] == "Trần Thị Lan")
        assert lan[cccd_col] == expected
        assert lan[HEADERS.index("Số thẻ đảng viên")] == "0123456"  # leading zero kept


def test_export_format_file_name_and_sorting(client, world):
    client.force_login(world.secretary)
    response = client.get(EXPORT_URL, {"dinh_dang": "csv", "to_chuc": world.cell1.pk})
    today = timezone.localdate().strftime("%d-%m-%Y")
    assert response["Content-Disposition"] == f'attachment; filename="dang-vien-chi-bo-thon-1-{today}.csv"'
    assert "no-store" in response["Cache-Control"]
    rows = export_rows(response, "csv")
    names = [r[0] for r in rows[1:]]
    assert names == ["Lê Văn Bình", "Phạm Thị Hoà", "Nguyễn Văn Hùng", "Trần Thị Lan"]
    hung = rows[names.index("Nguyễn Văn Hùng") + 1]
    assert hung[HEADERS.index("Ngày sinh")] == "17/05/1980"
    assert hung[HEADERS.index("Chức vụ đảng")] == "Bí thư"
    assert hung[HEADERS.index("Chi bộ")] == "AB-T1"
    assert hung[HEADERS.index("Tổ đảng")] == "Tổ đảng số 1"
    assert client.get(EXPORT_URL, {"dinh_dang": "pdf"}).status_code == 400


def test_export_xlsx_has_bold_header_widths_and_date_cells(client, world):
    client.force_login(world.secretary)
    response = client.get(EXPORT_URL, {"dinh_dang": "xlsx", "to_chuc": world.cell1.pk})
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["A1"].font.b is True
    assert sheet.column_dimensions["A"].width == 28
    assert sheet.freeze_panes == "A2"
    assert sheet["B2"].is_date and sheet["B2"].number_format == "DD/MM/YYYY"


def test_export_outside_scope_is_404(client, world):
    client.force_login(world.secretary)
    assert client.get(EXPORT_URL, {"dinh_dang": "csv", "to_chuc": world.cell3.pk}).status_code == 404
    assert client.get(EXPORT_URL, {"dinh_dang": "xlsx", "to_chuc": world.hoa_lac.pk}).status_code == 404
    client.force_login(world.officer)
    assert client.get(EXPORT_URL, {"dinh_dang": "csv", "to_chuc": world.cell3.pk}).status_code == 404


def test_export_without_to_chuc_is_scoped(client, world):
    client.force_login(world.officer)
    rows = export_rows(client.get(EXPORT_URL, {"dinh_dang": "csv"}), "csv")
    assert "Vũ Văn Đức" not in {r[0] for r in rows}  # cell 3 is another commune
    assert len(rows) == 1 + 6


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_query_count_does_not_grow_with_rows(client, world, fmt):
    client.force_login(world.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(EXPORT_URL, {"dinh_dang": fmt, "to_chuc": world.cell1.pk})
            b"".join(response.streaming_content)
        return len(ctx.captured_queries)

    small = count()
    for i in range(30):
        member_services.create_member(
            actor=None,
            organisation=world.cell1,
            party_group=world.group1,
            full_name=f"Nguyễn Văn {chr(65 + i % 26)}{chr(97 + i // 26)}",
            cccd=f"0011850{i:05d}",
        )
    assert count() == small


def test_export_escapes_formula_like_text_and_reimport_restores_it(client, world):
    member_services.update_member(actor=None, member=world.m_same, government_position="=HYPERLINK(1)")
    client.force_login(world.secretary)
    rows = export_rows(client.get(EXPORT_URL, {"dinh_dang": "csv", "to_chuc": world.cell1.pk}), "csv")
    lan = next(r for r in rows if r[0] == "Trần Thị Lan")
    assert lan[HEADERS.index("Chức vụ chính quyền/đoàn thể")] == "'=HYPERLINK(1)"
    assert imports.cell_text("'=HYPERLINK(1)") == "=HYPERLINK(1)"
    response = client.get(EXPORT_URL, {"dinh_dang": "xlsx", "to_chuc": world.cell1.pk})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row}
    assert values["=HYPERLINK(1)"] == "s"


# ---------------------------------------------------------------------------
# Round trip
# ---------------------------------------------------------------------------

SNAPSHOT_FIELDS = (
    "full_name",
    "birth_date",
    "gender",
    "ethnicity",
    "admission_date",
    "official_date",
    "status",
    "party_position",
    "card_number",
    "cccd_hash",
    "phone",
    "email",
    "organisation_id",
    "party_group_id",
    "exempt_from",
    "sort_key",
)


def snapshot(cell) -> list[tuple[Any, ...]]:
    return sorted(Member.objects.filter(organisation=cell).values_list(*SNAPSHOT_FIELDS))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_round_trip(client, world, with_cccd, fmt):
    member_services.update_member(
        actor=None,
        member=world.sec_member,
        phone="+84 912 345 678",
        email="hung@example.vn",
        gender="nam",
        exempt_from=dt.date(2020, 2, 29),
    )
    before = snapshot(world.cell1)
    client.force_login(world.secretary)
    response = client.get(EXPORT_URL, {"dinh_dang": fmt, "to_chuc": world.cell1.pk})
    content = b"".join(response.streaming_content)
    name = response["Content-Disposition"].split('"')[1]
    Member.objects.filter(organisation=world.cell1).delete()  # an empty cell again

    upload(client, name, content)
    batch = latest_batch()
    assert batch.errors == {}
    confirm(client, batch)

    assert snapshot(world.cell1) == before
    lan = Member.objects.get(full_name="Trần Thị Lan")
    assert lan.cccd == "001185001234"


def test_masked_cccd_in_a_reimported_export_counts_as_empty(world):
    assert imports.normalise_cccd("********1234") == ""
    assert imports.normalise_cccd("001 185 001 234") == "001185001234"


# ---------------------------------------------------------------------------
# Scale
# ---------------------------------------------------------------------------


def bulk_rows(n: int, *, offset: int = 0) -> list[list[Any]]:
    syllables = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Khánh", "Linh", "Minh", "Nga"]
    rows: list[list[Any]] = [HEADERS]
    for i in range(offset, offset + n):
        given = syllables[i % 10] + " " + syllables[(i // 10) % 10]
        rows.append(
            member_row(
                **{
                    "Họ và tên": f"Nguyễn {given}",
                    "Số thẻ đảng viên": f"T{i:08d}",
                    "Số CCCD": f"{i:012d}",
                    "Tổ đảng": "Tổ đảng số 1" if i % 2 else "",
                }
            )
        )
    return rows


def test_validation_query_count_does_not_grow_with_rows(world):
    def count(n: int) -> int:
        raw = imports.read_table("csv", csv_bytes(bulk_rows(n))).rows
        with CaptureQueriesContext(connection) as ctx:
            validation = imports.validate_rows(raw, user=world.secretary)
        assert validation.errors == {}
        return len(ctx.captured_queries)

    get_scope(world.secretary)  # the scope is cached on the user after its one query
    assert count(10) == count(400)


ROWS_AT_SCALE = 10_000


def test_ten_thousand_rows_import(world):
    """10k rows parse + validate + apply, all written. Speed is measured by `make bench`
    (scripts/bench_import.py), not asserted here: a timed test flakes on a loaded machine."""
    content = csv_bytes(bulk_rows(ROWS_AT_SCALE))
    before = Member.objects.count()
    batch, _ = imports.create_batch(user=world.secretary, file_name="lon.csv", data=content)
    assert batch.errors == {} and batch.row_count == ROWS_AT_SCALE
    outcome = imports.apply_batch(batch=batch, user=world.secretary)
    assert outcome.ok and outcome.created == ROWS_AT_SCALE
    assert Member.objects.count() == before + ROWS_AT_SCALE
    assert Membership.objects.filter(note="Nhập từ tệp lon.csv").count() == ROWS_AT_SCALE
    assert Member.objects.filter(party_group=world.group1).count() >= ROWS_AT_SCALE // 2
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT).count() == 1


def test_every_export_is_written_to_the_audit_log(client, world):
    from chibo.audit.models import AuditAction, AuditEntry

    client.force_login(world.secretary)
    client.get(EXPORT_URL, {"dinh_dang": "csv", "to_chuc": world.cell1.pk})
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == world.secretary and entry.org_path == world.cell1.path
    assert entry.changes == {"định dạng": "csv", "số dòng": 4}
    client.force_login(world.officer)
    client.get(EXPORT_URL, {"dinh_dang": "xlsx"})
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT).latest("pk")
    assert entry.actor == world.officer and entry.changes["định dạng"] == "xlsx"
    assert world.cell1.path.startswith(entry.org_path) and entry.org_path
    client.get(EXPORT_URL, {"dinh_dang": "pdf"})  # refused: nothing left, nothing logged
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 2
