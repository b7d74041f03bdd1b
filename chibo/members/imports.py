"""Member import from .xlsx / .csv files: read, validate, then apply all-or-nothing.

Flow:
1. ``create_batch`` checks the upload, reads the table, validates every row and
   stores an ImportBatch (values as typed, problems per spreadsheet row).
2. The user reviews the batch; ``apply_batch`` validates again (the database may
   have changed) and, only if no row has a problem, writes every member in one
   transaction with bulk inserts and one audit entry per cell.

Validation never runs a query per row: cells, tổ đảng, existing card numbers and
CCCD hashes are loaded up front (in chunks) for the values present in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePath
from typing import Any

import openpyxl
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.core import crypto, vntext
from chibo.members import xlsx
from chibo.members.models import (
    DERIVED_NAME_ATTRS,
    Gender,
    ImportBatch,
    Member,
    Membership,
    MemberStatus,
    PartyPosition,
    cccd_columns,
    derived_name_fields,
)
from chibo.members.services import CCCD_RE, TEXT_FIELDS, validate_member
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind

MAX_ROWS = 100_000
# A zip can expand enormously; refuse workbooks whose parts add up to more than this.
MAX_XLSX_UNCOMPRESSED = 300 * 1024 * 1024
HEADER_SEARCH_ROWS = 10  # a title block above the header row is common
QUERY_CHUNK = 500
BULK_BATCH = 1000
# Leading characters that make spreadsheet software treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MASKED_CCCD_RE = re.compile(r"^\*+[0-9]{0,4}$")
DATE_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")

NOT_UTF8 = (
    "Tệp CSV phải được lưu ở dạng mã UTF-8. Trong Excel, chọn Tệp → Lưu thành "
    "(File → Save As) và chọn kiểu “CSV UTF-8 (Comma delimited) (*.csv)”, "
    "hoặc tải lên tệp .xlsx."
)
NOT_XLSX = (
    "Tệp không phải là tệp Excel .xlsx hợp lệ (có thể tệp bị hỏng hoặc chỉ được đổi đuôi). "
    "Hãy mở tệp bằng Excel và lưu lại thành “Excel Workbook (*.xlsx)”."
)


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message is for the user."""


# ---------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # Member field, or "cccd" / "organisation" / "party_group"
    label: str  # header as written in files and exports
    kind: str = "text"  # text | date | choice
    width: int = 16  # export column width (characters)
    note: str = ""  # shown on the upload page


DATE_NOTE = "dd/mm/yyyy"
COLUMNS: tuple[Column, ...] = (
    Column("full_name", "Họ và tên", width=28, note="bắt buộc"),
    Column("birth_date", "Ngày sinh", "date", 12, DATE_NOTE),
    Column("gender", "Giới tính", "choice", 9, "Nam hoặc Nữ"),
    Column("ethnicity", "Dân tộc", width=10),
    Column("hometown", "Quê quán", width=28),
    Column("residence", "Nơi ở", width=28),
    Column("admission_date", "Ngày vào Đảng", "date", 14, DATE_NOTE),
    Column("official_date", "Ngày chính thức", "date", 14, f"{DATE_NOTE}; để trống nếu dự bị"),
    Column("card_number", "Số thẻ đảng viên", width=16, note="không được trùng"),
    Column("cccd", "Số CCCD", width=15, note="12 chữ số, không được trùng; được mã hóa khi lưu"),
    Column("phone", "Điện thoại", width=14),
    Column("email", "Email", width=24),
    Column(
        "party_position",
        "Chức vụ đảng",
        "choice",
        18,
        "Bí thư, Phó Bí thư, Chi ủy viên, Tổ trưởng tổ đảng, Tổ phó tổ đảng hoặc để trống",
    ),
    Column("government_position", "Chức vụ chính quyền/đoàn thể", width=28),
    Column("status", "Trạng thái", "choice", 12, "Chính thức hoặc Dự bị; để trống là Chính thức"),
    Column("organisation", "Chi bộ", width=24, note="bắt buộc: mã hoặc tên chi bộ"),
    Column("party_group", "Tổ đảng", width=18, note="tên tổ đảng thuộc chi bộ đó, có thể để trống"),
    Column("exempt_from", "Miễn sinh hoạt từ ngày", "date", 14, DATE_NOTE),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
PLACEMENT_KEYS = frozenset({"cccd", "organisation", "party_group"})
MEMBER_KEYS = tuple(c.key for c in COLUMNS if c.key not in PLACEMENT_KEYS)
# Order in which a row's problems are listed (validate_member may add other keys).
PROBLEM_ORDER = {key: index for index, key in enumerate(c.key for c in COLUMNS)}


@lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """Case-, diacritic- and punctuation-insensitive form of a header, choice or name.

    Cached: the same few values (Nam, Chính thức, a cell code) repeat on every row.
    """
    return re.sub(r"[^a-z0-9]+", " ", vntext.strip_diacritics(text)).strip()


def clean_text(text: str) -> str:
    """vntext.clean with a fast path for text that is already clean (most cells)."""
    if (
        text.isprintable()  # no control, format or non-space whitespace characters
        and text == text.strip()
        and "  " not in text
        and unicodedata.is_normalized("NFC", text)
    ):
        return text
    return vntext.clean(text)


HEADER_ALIASES = {
    "ho ten": "full_name",
    "cccd": "cccd",
    "so can cuoc cong dan": "cccd",
    "so dien thoai": "phone",
    "e mail": "email",
    "ma chi bo": "organisation",
    "ngay mien sinh hoat": "exempt_from",
}
HEADERS: dict[str, str] = {header_key(c.label): c.key for c in COLUMNS} | HEADER_ALIASES

GENDERS = {header_key(label): value for value, label in Gender.choices} | {
    header_key(value): value for value in Gender.values
}
STATUSES = {header_key(label): value for value, label in MemberStatus.choices} | {
    header_key(value): value for value in MemberStatus.values
}
POSITIONS = {
    **{header_key(label): value for value, label in PartyPosition.choices if value},
    **{header_key(value): value for value in PartyPosition.values if value},
    "to truong": PartyPosition.GROUP_LEADER,
    "to pho": PartyPosition.GROUP_DEPUTY,
}
CHOICE_MAPS = {"gender": GENDERS, "status": STATUSES, "party_position": POSITIONS}
CHOICE_HINTS = {
    "gender": "Nam hoặc Nữ",
    "status": "Chính thức hoặc Dự bị",
    "party_position": ("Bí thư, Phó Bí thư, Chi ủy viên, Tổ trưởng tổ đảng, Tổ phó tổ đảng hoặc để trống"),
}
NAME_PART_LIMITS = (
    Member._meta.get_field("family_name").max_length or 40,
    Member._meta.get_field("middle_name").max_length or 80,
    Member._meta.get_field("given_name").max_length or 40,
)
TEXT_LIMITS = {
    key: Member._meta.get_field(key).max_length
    for key in ("full_name", "ethnicity", "hometown", "residence", "phone", "email", "government_position")
}


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------


@dataclass
class Table:
    """The header row and the data rows of a file, as cleaned text."""

    columns: dict[int, str]  # cell index -> column key
    rows: list[dict[str, Any]]  # {"line": n, "values": {key: text}}
    ignored_headers: list[str] = field(default_factory=list)


def format_size(size: int) -> str:
    """Bytes for people, Vietnamese style: "20 MB", "20,5 MB", "800 KB"."""
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} KB"
    return f"{size / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0") + " MB"


def max_upload_text() -> str:
    return format_size(settings.CHIBO_MAX_UPLOAD_BYTES)


def check_upload(name: str, size: int) -> str:
    """Return the format ("xlsx" or "csv") of an upload, or raise ImportFileError."""
    limit = settings.CHIBO_MAX_UPLOAD_BYTES
    if size > limit:
        raise ImportFileError(
            f"Tệp quá lớn ({format_size(size)}). Dung lượng tối đa là {format_size(limit)}."
        )
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xls":
        raise ImportFileError(
            "Định dạng .xls (Excel 97–2003) không được hỗ trợ. Hãy mở tệp bằng Excel và lưu lại thành .xlsx."
        )
    if suffix not in (".xlsx", ".csv"):
        raise ImportFileError("Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv).")
    if size == 0:
        raise ImportFileError("Tệp rỗng.")
    return suffix[1:]


def cell_text(value: Any) -> str:
    """A cell value as cleaned text; dates become dd/mm/yyyy."""
    if value.__class__ is str:  # most cells (every CSV cell): no type tests
        text = clean_text(value)
    elif value is None:
        return ""
    else:
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        text = clean_text(str(value))
    # Undo the apostrophe exports put before formula-like text.
    if text[:1] == "'" and text[1:2] in FORMULA_PREFIXES:
        text = text[1:]
    return text


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "Tệp có đuôi .csv nhưng nội dung là tệp Excel: hãy đổi đuôi thành .xlsx, "
            "hoặc lưu lại dạng “CSV UTF-8”."
        )
    if b"\x00" in data:
        raise ImportFileError("Tệp .csv không phải là tệp văn bản.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(NOT_UTF8)
    first, _, rest = text.partition("\n")
    hint = first.strip().lower()
    if hint.startswith("sep=") and len(hint) == 5:  # Excel's delimiter hint line
        delimiter, text = hint[4], rest
        first = rest.partition("\n")[0]
    else:
        delimiter = max((";", ",", "\t"), key=first.count) if first else ","
        if not first.count(delimiter):
            delimiter = ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error:
        raise ImportFileError("Tệp CSV không đọc được (sai định dạng, hoặc có ô quá dài).")


def _check_zip(data: bytes) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise ImportFileError(NOT_XLSX)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(NOT_XLSX)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportFileError(NOT_XLSX)
    if sum(info.file_size for info in infos) > MAX_XLSX_UNCOMPRESSED:
        raise ImportFileError("Tệp .xlsx quá lớn khi giải nén; hãy chia thành nhiều tệp nhỏ hơn.")


def _xlsx_rows(data: bytes) -> Iterator[Sequence[Any]]:
    """Cell values of the first sheet. Read-only, cached values only: nothing is evaluated.

    chibo.members.xlsx reads the usual package layout several times faster than
    openpyxl; anything else goes through openpyxl, which gives the same values.
    """
    _check_zip(data)
    try:
        rows = xlsx.first_sheet_rows(data)
    except Exception:  # Unsupported, or a broken part: let openpyxl decide
        yield from _openpyxl_rows(data)
        return
    try:
        yield from rows
    except Exception:
        raise ImportFileError(NOT_XLSX)


def _openpyxl_rows(data: bytes) -> Iterator[Sequence[Any]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises many unrelated types on a broken package
        raise ImportFileError(NOT_XLSX)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # stored dimensions are often wrong; read to the end
        yield from sheet.iter_rows(values_only=True)
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(NOT_XLSX)
    finally:
        workbook.close()


def _map_headers(cells: Sequence[Any]) -> tuple[dict[int, str], list[str]]:
    columns: dict[int, str] = {}
    ignored: list[str] = []
    for index, value in enumerate(cells):
        text = cell_text(value)
        if not text:
            continue
        key = HEADERS.get(header_key(text.rstrip("*")))
        if key is None:
            ignored.append(text)
        elif key in columns.values():
            raise ImportFileError(f"Cột “{text}” xuất hiện hai lần ở dòng tiêu đề.")
        else:
            columns[index] = key
    return columns, ignored


def read_table(fmt: str, data: bytes) -> Table:
    """Find the header row (within the first rows) and read every data row after it."""
    raw = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data)
    table: Table | None = None
    for line, cells in enumerate(raw, start=1):
        if table is None:
            columns, ignored = _map_headers(cells)
            if "full_name" in columns.values():
                table = Table(columns=columns, rows=[], ignored_headers=ignored)
            elif line >= HEADER_SEARCH_ROWS:
                break
            continue
        values = {key: cell_text(cells[i]) if i < len(cells) else "" for i, key in table.columns.items()}
        if not any(values.values()):
            continue  # blank line
        if len(table.rows) >= MAX_ROWS:
            limit = f"{MAX_ROWS:,}".replace(",", ".")
            raise ImportFileError(f"Tệp có quá nhiều dòng; mỗi lần nhập tối đa {limit} dòng.")
        table.rows.append({"line": line, "values": values})
    if table is None:
        raise ImportFileError(
            "Không tìm thấy dòng tiêu đề có cột “Họ và tên”. Dòng đầu tiên của tệp phải là "
            "tên các cột (Họ và tên, Ngày sinh, …, Chi bộ)."
        )
    if not table.rows:
        raise ImportFileError("Tệp không có dòng dữ liệu nào.")
    return table


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class ParsedRow:
    line: int
    fields: dict[str, Any]
    cccd: str
    cell: Organisation | None
    group: Organisation | None


@dataclass
class Validation:
    rows: list[ParsedRow]
    errors: dict[int, list[str]]  # spreadsheet row number -> messages
    digests: dict[str, str] = field(default_factory=dict)  # CCCD -> blind index


def _chunks[T](values: Sequence[T], size: int = QUERY_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def parse_date(text: str) -> dt.date:
    """dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy); ValueError if not a real date."""
    match = DATE_RE.match(text)
    if match is None:
        raise ValueError(text)
    day, month, year = (int(part) for part in match.groups())
    return dt.date(year, month, day)


def normalise_cccd(text: str) -> str:
    """Digits as typed (spaces and dots removed); a masked export value counts as empty."""
    value = re.sub(r"[\s.]", "", text)
    return "" if MASKED_CCCD_RE.match(value) else value


def _existing_member_values(column: str, wanted: Sequence[str]) -> set[str]:
    """Which of WANTED already appear in Member.COLUMN (a unique, indexed column).

    PostgreSQL: one query with an array (= ANY), whatever the number of values; other
    databases: IN lists of QUERY_CHUNK values (SQLite caps the parameters of a query).
    """
    found: set[str] = set()
    if not wanted:
        return found
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        sql = f"SELECT {qn(column)} FROM {qn(Member._meta.db_table)} WHERE {qn(column)} = ANY(%s)"
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(wanted)])
            found.update(value for (value,) in cursor.fetchall())
        return found
    for chunk in _chunks(wanted):
        found.update(Member.objects.filter(**{f"{column}__in": chunk}).values_list(column, flat=True))
    return found


class _Lookup:
    """Everything a batch's rows refer to, loaded with a fixed number of queries."""

    digests: dict[str, str]  # CCCD (well-formed, as in the file) -> blind index

    def __init__(self, user: Any, rows: Sequence[dict[str, Any]], default_cell_id: int | None):
        cells = list(
            Organisation.objects.filter(
                get_scope(user).q(Perm.MEMBER_MANAGE), kind__in=list(CELL_KINDS)
            ).only("id", "name", "code", "path", "kind", "parent_id", "is_active")
        )
        self.by_id = {cell.pk: cell for cell in cells}
        self.by_code = {cell.code.casefold(): cell for cell in cells if cell.code}
        self.by_name: dict[str, list[Organisation]] = {}
        for cell in cells:
            self.by_name.setdefault(header_key(cell.name), []).append(cell)
        self.default_cell_id = default_cell_id
        self.default_name = ""
        if default_cell_id is not None and default_cell_id not in self.by_id:
            found = Organisation.objects.filter(pk=default_cell_id).values_list("name", flat=True)
            self.default_name = next(iter(found), "")
        self.groups = self._load_groups(rows)
        self.cards = self._existing_cards(rows)
        self.cccd_hashes = self._existing_cccd_hashes(rows)

    def _load_groups(self, rows: Sequence[dict[str, Any]]) -> dict[tuple[int, str], Organisation]:
        cell_ids = sorted(
            {
                cell.pk
                for row in rows
                if row["values"].get("party_group")
                for cell in [self.cell(row["values"].get("organisation", ""))[0]]
                if cell is not None
            }
        )
        groups: dict[tuple[int, str], Organisation] = {}
        for chunk in _chunks(cell_ids):
            for group in Organisation.objects.filter(kind=OrgKind.GROUP, parent_id__in=chunk).only(
                "id", "name", "code", "path", "kind", "parent_id"
            ):
                groups[(group.parent_id, header_key(group.name))] = group
                if group.code:
                    groups.setdefault((group.parent_id, group.code.casefold()), group)
        return groups

    @staticmethod
    def _existing_cards(rows: Sequence[dict[str, Any]]) -> set[str]:
        wanted = sorted({r["values"].get("card_number", "") for r in rows} - {""})
        return _existing_member_values("card_number", wanted)

    def _existing_cccd_hashes(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        values = {normalise_cccd(r["values"].get("cccd", "")) for r in rows}
        # Each blind index is computed once per import and reused by the duplicate check
        # and by the write (an HMAC per value, three times per row before).
        self.digests = {v: crypto.blind_index(v) for v in values if CCCD_RE.match(v)}
        return _existing_member_values("cccd_hash", sorted(self.digests.values()))

    def digest(self, cccd: str) -> str:
        found = self.digests.get(cccd)
        return crypto.blind_index(cccd) if found is None else found

    def cell(self, ref: str) -> tuple[Organisation | None, str]:
        """The cell a row names (code or exact name), else the default cell; or a problem."""
        if not ref:
            if self.default_cell_id is None:
                return None, "Thiếu chi bộ."
            if self.default_cell_id in self.by_id:
                return self.by_id[self.default_cell_id], ""
            return None, f"Không tìm thấy chi bộ '{self.default_name}' trong phạm vi của bạn."
        cell = self.by_code.get(ref.casefold())
        if cell is None:
            matches = self.by_name.get(header_key(ref), [])
            if len(matches) > 1:
                return None, f"Có nhiều chi bộ tên '{ref}' trong phạm vi của bạn; hãy ghi mã chi bộ."
            cell = matches[0] if matches else None
        if cell is None:
            return None, f"Không tìm thấy chi bộ '{ref}' trong phạm vi của bạn."
        if not cell.is_active:
            return None, f"Chi bộ '{ref}' đã ngừng hoạt động."
        return cell, ""

    def group(self, cell: Organisation | None, ref: str) -> tuple[Organisation | None, str]:
        if not ref or cell is None:
            return None, ""
        group = self.groups.get((cell.pk, header_key(ref))) or self.groups.get((cell.pk, ref.casefold()))
        if group is None:
            return None, f"Không tìm thấy tổ đảng '{ref}' trong {cell.name}."
        return group, ""


def _parse_fields(values: dict[str, str], problems: dict[str, str]) -> dict[str, Any]:
    """Member field values from a row's text; unparseable values become problems."""
    fields: dict[str, Any] = {}
    for key in MEMBER_KEYS:
        if key not in values:
            continue  # column absent from the file: keep the model default
        column, text = COLUMN_BY_KEY[key], values[key]
        if column.kind == "date":
            try:
                fields[key] = parse_date(text) if text else None
            except ValueError:
                problems[key] = f"{column.label} '{text}' không phải ngày hợp lệ (dd/mm/yyyy)."
                fields[key] = None
        elif column.kind == "choice":
            choice = CHOICE_MAPS[key].get(header_key(text)) if text and text != "—" else ""
            if choice is None:
                problems[key] = f"{column.label} '{text}' không hợp lệ ({CHOICE_HINTS[key]})."
            fields[key] = choice or ""
        else:
            fields[key] = text
    if not fields.get("status"):
        fields["status"] = MemberStatus.FULL
    return _normalise(fields)


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    """services.normalise, with the fast clean (the values are mostly clean already)."""
    for key in TEXT_FIELDS:
        if fields.get(key) is not None:
            fields[key] = clean_text(str(fields[key]))
    if fields.get("card_number") == "":
        fields["card_number"] = None
    return fields


def _length_problems(fields: dict[str, Any], problems: dict[str, str]) -> None:
    for key, limit in TEXT_LIMITS.items():
        value = fields.get(key) or ""
        if limit and len(value) > limit and key not in problems:
            problems[key] = f"{COLUMN_BY_KEY[key].label} quá dài (tối đa {limit} ký tự)."
    parts = vntext.split_name(fields.get("full_name") or "")
    if "full_name" not in problems and any(
        len(part) > limit for part, limit in zip(parts, NAME_PART_LIMITS, strict=True)
    ):
        problems["full_name"] = "Họ và tên quá dài."


def _validate_row(raw: dict[str, Any], lookup: _Lookup, today: dt.date) -> tuple[ParsedRow, dict[str, str]]:
    values: dict[str, str] = raw["values"]
    problems: dict[str, str] = {}
    fields = _parse_fields(values, problems)
    _length_problems(fields, problems)
    cccd = normalise_cccd(values.get("cccd", ""))
    cell, cell_problem = lookup.cell(values.get("organisation", ""))
    group, group_problem = lookup.group(cell, values.get("party_group", ""))
    if cell_problem:
        problems["organisation"] = cell_problem
    if group_problem:
        problems["party_group"] = group_problem
    for key, message in validate_member(
        fields,
        organisation=cell,
        party_group=group,
        cccd=cccd or None,
        today=today,
        check_unique=False,
    ).items():
        problems.setdefault(key, message)
    return ParsedRow(raw["line"], fields, cccd, cell, group), problems


class _Duplicates:
    """Card numbers and CCCD must be unique within the file and against the database.

    Rows are checked in file order as they are validated (the first occurrence is kept,
    later ones point back to its line), so no second pass over the rows is needed."""

    def __init__(self, lookup: _Lookup):
        self.lookup = lookup
        self.card_seen: dict[str, int] = {}
        self.cccd_seen: dict[str, int] = {}

    def check(self, row: ParsedRow, row_problems: dict[str, str]) -> None:
        lookup = self.lookup
        card = row.fields.get("card_number") or ""
        if card and "card_number" not in row_problems:
            if card in self.card_seen:
                row_problems["card_number"] = (
                    f"Số thẻ đảng viên {card} trùng với dòng {self.card_seen[card]}."
                )
            elif card in lookup.cards:
                row_problems["card_number"] = f"Số thẻ đảng viên {card} đã có ở một đảng viên khác."
            else:
                self.card_seen[card] = row.line
        if row.cccd and "cccd" not in row_problems:
            digest = lookup.digest(row.cccd)
            if digest in self.cccd_seen:
                masked = crypto.mask(row.cccd[-4:])
                row_problems["cccd"] = f"Số CCCD {masked} trùng với dòng {self.cccd_seen[digest]}."
            elif digest in lookup.cccd_hashes:
                masked = crypto.mask(row.cccd[-4:])
                row_problems["cccd"] = f"Số CCCD {masked} đã có ở một đảng viên khác."
            else:
                self.cccd_seen[digest] = row.line


def _ordered(problems: dict[str, str]) -> list[str]:
    keys = sorted(problems, key=lambda k: PROBLEM_ORDER.get(k, len(PROBLEM_ORDER)))
    return [problems[k] for k in keys]


def validate_rows(
    rows: Sequence[dict[str, Any]],
    *,
    user: Any,
    default_cell_id: int | None = None,
    today: dt.date | None = None,
    keep: bool = True,
    consume: bool = False,
) -> Validation:
    """Parse and check every row; cells are looked up inside USER's MEMBER_MANAGE scope.

    KEEP=False returns only the errors (the preview needs no parsed rows). CONSUME=True
    (ROWS must then be a list) replaces each raw row by None once it is parsed, so a
    100,000-row batch never holds both forms of every row at once.
    """
    today = today or timezone.localdate()
    lookup = _Lookup(user, rows, default_cell_id)
    duplicates = _Duplicates(lookup)
    parsed: list[ParsedRow] = []
    errors: dict[int, list[str]] = {}
    for index in range(len(rows)):
        raw = rows[index]
        if consume:
            rows[index] = None  # type: ignore[index]
        row, row_problems = _validate_row(raw, lookup, today)
        duplicates.check(row, row_problems)
        if row_problems:
            errors[row.line] = _ordered(row_problems)
        if keep:
            parsed.append(row)
    return Validation(rows=parsed, errors=errors, digests=lookup.digests)


# ---------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------


def _seal(row: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a row, in place: the CCCD only as an encrypted token plus a mask.

    The token holds the CCCD as it will be stored (spaces and dots removed), so that
    apply_batch can keep it as the member's cccd_encrypted instead of encrypting again.
    """
    values = row["values"]
    cccd = normalise_cccd(values.get("cccd", ""))
    if "cccd" in values:
        values["cccd"] = crypto.encrypt(cccd) if values["cccd"] else ""
    row["cccd_masked"] = crypto.mask(cccd[-4:]) if cccd else ""
    return row


def _scrub(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop the encrypted CCCD once a batch is finished (the mask stays for display)."""
    return [{**row, "values": {k: v for k, v in row["values"].items() if k != "cccd"}} for row in rows]


def _scrubbed_rows(batch_pk: int) -> Any:
    """The batch's stored rows without their CCCD tokens, computed by the database.

    An expression for ``update(rows=...)``: the rows (tens of MB of JSON for a large
    file) are not sent back from Python. Other databases get _scrub of a fresh read."""
    table = connection.ops.quote_name(ImportBatch._meta.db_table)
    column = f"{table}.{connection.ops.quote_name(str(ImportBatch._meta.get_field('rows').column))}"
    if connection.vendor == "postgresql":
        return RawSQL(
            "COALESCE((SELECT jsonb_agg(e #- '{values,cccd}' ORDER BY n) "
            f"FROM jsonb_array_elements({column}) WITH ORDINALITY AS t(e, n)), '[]'::jsonb)",
            [],
        )
    # SQLite's JSON functions would run inside this process and, on 100,000 rows, cost more
    # memory than the rows themselves: there the rows are scrubbed in Python.
    return _scrub(ImportBatch.objects.filter(pk=batch_pk).values_list("rows", flat=True).get())


def _unseal_in_place(rows: list[dict[str, Any]]) -> list[str]:
    """Decrypt the CCCD of ROWS in place (apply_batch: one copy of 100,000 rows is enough).

    Returns, per row, the stored token when it is the encryption of exactly the CCCD the
    member will keep (so the write need not encrypt it again), else "". The clear values
    must never be saved: apply_batch never writes these rows back (_scrubbed_rows).
    """
    tokens: list[str] = []
    for row in rows:
        values = row["values"]
        token = values.get("cccd") or ""
        if token:
            clear = values["cccd"] = crypto.decrypt(token)
            # Batches stored before the token held the normalised value, or under an
            # older key, are encrypted again at the write.
            tokens.append(token if clear and clear == normalise_cccd(clear) else "")
        else:
            tokens.append("")
    return tokens


def _stored_errors(errors: dict[int, list[str]]) -> dict[str, list[str]]:
    return {str(line): messages for line, messages in errors.items()}


def safe_file_name(name: str) -> str:
    return vntext.clean(PurePath(name.replace("\\", "/")).name)[:255] or "tep-nhap"


def create_batch(
    *, user: Any, file_name: str, data: bytes, default_org: Organisation | None = None
) -> tuple[ImportBatch, list[str]]:
    """Read and validate an uploaded file; return the pending batch and ignored headers."""
    fmt = check_upload(file_name, len(data))
    table = read_table(fmt, data)
    default_cell_id = default_org.pk if default_org is not None and default_org.is_cell else None
    if "organisation" not in table.columns.values() and default_cell_id is None:
        raise ImportFileError(
            "Tệp không có cột “Chi bộ”. Hãy thêm cột này (mã hoặc tên chi bộ), hoặc mở trang "
            "nhập từ danh sách đảng viên của một chi bộ."
        )
    # The preview keeps no parsed rows: only the problems are stored with the raw text.
    errors = validate_rows(table.rows, user=user, default_cell_id=default_cell_id, keep=False).errors
    batch = ImportBatch.objects.create(
        created_by=user,
        organisation=default_org,
        file_name=safe_file_name(file_name),
        file_format=fmt,
        rows=[_seal(row) for row in table.rows],  # the table is not used after this
        errors=_stored_errors(errors),
        row_count=len(table.rows),
        error_count=len(errors),
    )
    return batch, table.ignored_headers


@dataclass(frozen=True)
class ApplyOutcome:
    ok: bool
    message: str
    created: int = 0
    cell_ids: tuple[int, ...] = ()


ALREADY_DONE = "Lô nhập này đã được nhập hoặc đã hủy; không thể nhập lại."


# Field classes whose Python values the database drivers take as they are; every
# other field (dates, datetimes, ...) goes through get_db_prep_save like the ORM does.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.ForeignKey,
)


def _prep_plan(fields: Sequence[models.Field[Any, Any]]) -> list[tuple[str, Any]]:
    """Per field: (attname, how): None = as is, [value] = a constant, else a prep function.

    What bulk_create does for each value (auto_now / auto_now_add fields get "now"),
    decided once per field instead of compiled through the ORM for every value."""
    now = timezone.now()
    plan: list[tuple[str, Any]] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now if isinstance(f, models.DateTimeField) else timezone.localdate(now)
            plan.append((f.attname, [f.get_db_prep_save(value, connection)]))
        elif isinstance(f, _PLAIN_FIELDS):
            plan.append((f.attname, None))
        else:
            plan.append((f.attname, f.get_db_prep_save))
    return plan


class _MemberRows:
    """Database rows (values in ``fields`` order) for new members, as Member.save() stores them.

    No model instances: a row starts from the model's defaults (what Member() holds),
    takes the parsed fields, then the derived columns Member.save() and set_cccd() fill
    (name keys through the same derived_name_fields, CCCD through cccd_columns)."""

    def __init__(self, digests: dict[str, str]):
        self.fields = [f for f in Member._meta.concrete_fields if not f.primary_key]
        if any(f.has_default() and callable(f.default) for f in self.fields):
            raise ImproperlyConfigured("Member field with a callable default: _MemberRows cannot copy it")
        self.template = {f.attname: f.get_default() for f in self.fields}
        self.plan = _prep_plan(self.fields)
        self.digests = digests

    def build(self, rows: Sequence[ParsedRow], tokens: Sequence[str]) -> list[list[Any]]:
        template, plan, digests = self.template, self.plan, self.digests
        out: list[list[Any]] = []
        for row, token in zip(rows, tokens, strict=True):
            values = template.copy()
            values.update(row.fields)
            values.update(zip(DERIVED_NAME_ATTRS, derived_name_fields(values["full_name"]), strict=True))
            values["organisation_id"] = row.cell.pk if row.cell is not None else None
            values["party_group_id"] = row.group.pk if row.group is not None else None
            values["cccd_encrypted"], values["cccd_hash"], values["cccd_last4"] = cccd_columns(
                row.cccd, token=token, digest=digests.get(row.cccd, "")
            )
            if not values["card_number"]:
                values["card_number"] = None
            db_row: list[Any] = []
            for attname, how in plan:
                if how is None:
                    db_row.append(values[attname])
                elif how.__class__ is list:
                    db_row.append(how[0])
                else:
                    value = values[attname]
                    db_row.append(None if value is None else how(value, connection))
            out.append(db_row)
        return out


def _new_ids(model: type[models.Model], count: int) -> list[int]:
    """COUNT ids taken from the primary key's sequence (PostgreSQL), for rows COPY writes."""
    sql = "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [model._meta.db_table, model._meta.pk.column, count])
        return [pk for (pk,) in cursor.fetchall()]


def _copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY ROWS into MODEL's table (PostgreSQL): no SQL text per value, no statement to parse."""
    qn = connection.ops.quote_name
    sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _insert_rows(
    model: type[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    rows: Sequence[Sequence[Any]],
    *,
    returning: bool,
) -> list[int]:
    """Write ROWS (values in FIELDS order); the new ids, in row order, if RETURNING.

    What bulk_create does, without compiling every value through the ORM: on 100,000
    members that compilation cost more than the database itself. Values must already
    be what the model would store (_MemberRows / _prep_plan). PostgreSQL: COPY, the ids
    drawn from the sequence first; other databases: multi-row INSERT ... RETURNING.
    """
    ids: list[int] = []
    if not rows:
        return ids
    if connection.vendor == "postgresql":
        columns = [str(f.column) for f in fields]
        if not returning:
            _copy_rows(model, columns, rows)
            return ids
        ids = _new_ids(model, len(rows))
        _copy_rows(model, [str(model._meta.pk.column), *columns], ([pk, *row] for pk, row in zip(ids, rows)))
        return ids
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        raise ImproperlyConfigured("the member import needs INSERT ... RETURNING (SQLite ≥ 3.35)")
    qn = connection.ops.quote_name
    columns_sql = ", ".join(qn(f.column) for f in fields)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, min(BULK_BATCH, connection.ops.bulk_batch_size(list(fields), rows)))
    suffix = f" RETURNING {qn(model._meta.pk.column)}" if returning else ""
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, size):
            sql = (
                f"INSERT INTO {qn(model._meta.db_table)} ({columns_sql}) VALUES "
                + ", ".join([placeholder] * len(chunk))
                + suffix
            )
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                ids.extend(pk for (pk,) in cursor.fetchall())
    return ids


def _insert_memberships(placed: Sequence[tuple[int, int, int | None]], *, start: dt.date, note: str) -> None:
    """One Membership per (member id, cell id, tổ đảng id) in PLACED."""
    fields = [f for f in Membership._meta.concrete_fields if not f.primary_key]
    given = {"start": start, "note": note}
    constant = {
        f.name: f.get_db_prep_save(given[f.name] if f.name in given else f.get_default(), connection)
        for f in fields
        if f.name not in ("member", "organisation", "party_group")
    }
    rows = []
    for member_id, cell_id, group_id in placed:
        values = constant | {"member": member_id, "organisation": cell_id, "party_group": group_id}
        rows.append([values[f.name] for f in fields])
    _insert_rows(Membership, fields, rows, returning=False)


def _write(validation: Validation, tokens: Sequence[str], *, actor: Any, batch: ImportBatch) -> Counter[int]:
    """Insert a member and its membership for every row, then one audit entry per cell."""
    rows = validation.rows
    start, note = timezone.localdate(), f"Nhập từ tệp {batch.file_name}"[:255]
    builder = _MemberRows(validation.digests)
    # In slices: only BULK_BATCH rows of SQL values exist at a time.
    for offset in range(0, len(rows), BULK_BATCH):
        chunk = rows[offset : offset + BULK_BATCH]
        values = builder.build(chunk, tokens[offset : offset + BULK_BATCH])
        ids = _insert_rows(Member, builder.fields, values, returning=True)
        if len(ids) != len(chunk):
            raise RuntimeError("bulk insert returned a different number of ids")
        placed = [
            (
                pk,
                row.cell.pk if row.cell is not None else None,
                row.group.pk if row.group is not None else None,
            )
            for pk, row in zip(ids, chunk, strict=True)
        ]
        _insert_memberships(placed, start=start, note=note)  # type: ignore[arg-type]
    per_cell: Counter[int] = Counter(row.cell.pk for row in rows if row.cell is not None)
    cells = {row.cell.pk: row.cell for row in rows if row.cell is not None}
    for cell_id, count in sorted(per_cell.items()):
        record(
            actor=actor,
            action=AuditAction.IMPORT,
            obj=batch,
            org_path=cells[cell_id].path,
            changes={"rows": [0, count]},
            object_repr=f"Nhập {count} đảng viên vào {cells[cell_id].name} từ tệp {batch.file_name}",
        )
    return per_cell


def _default_cell_id(batch: ImportBatch) -> int | None:
    if batch.organisation_id is None:
        return None
    kind = Organisation.objects.filter(pk=batch.organisation_id).values_list("kind", flat=True).first()
    return batch.organisation_id if kind in CELL_KINDS else None


def _store_scrubbed(batch_pk: int, rows: list[dict[str, Any]]) -> None:
    """Store the batch's rows without their CCCD (ROWS: the rows as loaded, CCCD in clear).

    PostgreSQL removes the tokens itself (_scrubbed_rows); elsewhere ROWS are written back
    with their CCCD values taken out for the time of the write (never saved)."""
    if connection.vendor == "postgresql":
        ImportBatch.objects.filter(pk=batch_pk).update(rows=_scrubbed_rows(batch_pk))
        return
    missing = object()
    held = [row["values"].pop("cccd", missing) for row in rows]
    try:
        ImportBatch.objects.filter(pk=batch_pk).update(rows=rows)
    finally:
        for row, value in zip(rows, held, strict=True):
            if value is not missing:
                row["values"]["cccd"] = value


class _Refused(Exception):
    """A row has a problem: undo the scrub savepoint of apply_batch."""

    def __init__(self, validation: Validation):
        self.validation = validation


def apply_batch(*, batch: ImportBatch, user: Any) -> ApplyOutcome:
    """Re-validate and write every row of a pending batch, all or nothing, exactly once."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportBatch.Status.PENDING:
            return ApplyOutcome(False, ALREADY_DONE)
        rows, batch.rows = batch.rows, []  # only this function holds the rows (and, below, clear CCCDs)
        tokens = _unseal_in_place(rows)  # clear CCCD values in memory only: these rows are never saved
        default_cell_id = _default_cell_id(batch)
        try:
            with transaction.atomic():  # a savepoint, rolled back if a row has a problem
                # The stored rows lose their CCCD tokens first, while only the raw rows are in
                # memory (SQLite does this JSON work inside this process).
                _store_scrubbed(batch.pk, rows)
                # Each raw row is dropped once parsed (consume): one form of each row at a time.
                validation = validate_rows(rows, user=user, default_cell_id=default_cell_id, consume=True)
                del rows
                if validation.errors:
                    raise _Refused(validation)
        except _Refused as refused:
            errors = refused.validation.errors
            batch.errors = _stored_errors(errors)
            batch.error_count = len(errors)
            batch.save(update_fields=["errors", "error_count"])
            return ApplyOutcome(
                False,
                f"Có {len(errors)} dòng có lỗi. Chưa có đảng viên nào được nhập; hãy sửa tệp và tải lên lại.",
            )
        # Claim the batch first: of two concurrent confirmations only one updates a row.
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PENDING).update(
            status=ImportBatch.Status.APPLIED,
            applied_at=timezone.now(),
            applied_count=len(validation.rows),
            errors={},
            error_count=0,
        )
        if not claimed:
            return ApplyOutcome(False, ALREADY_DONE)
        per_cell = _write(validation, tokens, actor=user, batch=batch)
    count = len(validation.rows)
    return ApplyOutcome(True, f"Đã nhập {count} đảng viên.", count, tuple(sorted(per_cell)))


def cancel_batch(*, batch: ImportBatch) -> bool:
    """Cancel a pending batch (and forget its CCCD values); False if it was not pending."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().only("pk", "status").get(pk=batch.pk)
        if batch.status != ImportBatch.Status.PENDING:
            return False
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.CANCELLED, rows=_scrubbed_rows(batch.pk)
        )
    return True
