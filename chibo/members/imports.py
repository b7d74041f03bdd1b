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
from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.core import crypto, vntext
from chibo.members import xlsx
from chibo.members.models import (
    Gender,
    ImportBatch,
    Member,
    Membership,
    MemberStatus,
    PartyPosition,
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
    if value is None:
        return ""
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


@dataclass
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


class _Lookup:
    """Everything a batch's rows refer to, loaded with a fixed number of queries."""

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
        found: set[str] = set()
        for chunk in _chunks(wanted):
            found.update(Member.objects.filter(card_number__in=chunk).values_list("card_number", flat=True))
        return found

    @staticmethod
    def _existing_cccd_hashes(rows: Sequence[dict[str, Any]]) -> set[str]:
        values = {normalise_cccd(r["values"].get("cccd", "")) for r in rows}
        wanted = sorted(crypto.blind_index(v) for v in values if CCCD_RE.match(v))
        found: set[str] = set()
        for chunk in _chunks(wanted):
            found.update(Member.objects.filter(cccd_hash__in=chunk).values_list("cccd_hash", flat=True))
        return found

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


def _duplicate_problems(
    rows: Sequence[ParsedRow], problems: dict[int, dict[str, str]], lookup: _Lookup
) -> None:
    """Card numbers and CCCD must be unique within the file and against the database."""
    card_seen: dict[str, int] = {}
    cccd_seen: dict[str, int] = {}
    for row in rows:
        row_problems = problems[row.line]
        card = row.fields.get("card_number") or ""
        if card and "card_number" not in row_problems:
            if card in card_seen:
                row_problems["card_number"] = f"Số thẻ đảng viên {card} trùng với dòng {card_seen[card]}."
            elif card in lookup.cards:
                row_problems["card_number"] = f"Số thẻ đảng viên {card} đã có ở một đảng viên khác."
            else:
                card_seen[card] = row.line
        if row.cccd and "cccd" not in row_problems:
            digest = crypto.blind_index(row.cccd)
            masked = crypto.mask(row.cccd[-4:])
            if digest in cccd_seen:
                row_problems["cccd"] = f"Số CCCD {masked} trùng với dòng {cccd_seen[digest]}."
            elif digest in lookup.cccd_hashes:
                row_problems["cccd"] = f"Số CCCD {masked} đã có ở một đảng viên khác."
            else:
                cccd_seen[digest] = row.line


def _ordered(problems: dict[str, str]) -> list[str]:
    keys = sorted(problems, key=lambda k: PROBLEM_ORDER.get(k, len(PROBLEM_ORDER)))
    return [problems[k] for k in keys]


def validate_rows(
    rows: Sequence[dict[str, Any]],
    *,
    user: Any,
    default_cell_id: int | None = None,
    today: dt.date | None = None,
) -> Validation:
    """Parse and check every row; cells are looked up inside USER's MEMBER_MANAGE scope."""
    today = today or timezone.localdate()
    lookup = _Lookup(user, rows, default_cell_id)
    parsed: list[ParsedRow] = []
    problems: dict[int, dict[str, str]] = {}
    for raw in rows:
        row, row_problems = _validate_row(raw, lookup, today)
        parsed.append(row)
        problems[row.line] = row_problems
    _duplicate_problems(parsed, problems, lookup)
    errors = {line: _ordered(p) for line, p in problems.items() if p}
    return Validation(rows=parsed, errors=errors)


# ---------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------


def _seal(row: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a row, in place: the CCCD only as an encrypted token plus a mask."""
    values = row["values"]
    cccd = normalise_cccd(values.get("cccd", ""))
    if "cccd" in values:
        values["cccd"] = crypto.encrypt(values["cccd"]) if values["cccd"] else ""
    row["cccd_masked"] = crypto.mask(cccd[-4:]) if cccd else ""
    return row


def _scrub(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop the encrypted CCCD once a batch is finished (the mask stays for display)."""
    return [{**row, "values": {k: v for k, v in row["values"].items() if k != "cccd"}} for row in rows]


def _unseal_in_place(rows: list[dict[str, Any]]) -> None:
    """Decrypt the CCCD of ROWS in place (apply_batch: one copy of 100,000 rows is enough).

    The clear values must never be saved: apply_batch drops them (_drop_cccd) before
    the rows are written back.
    """
    for row in rows:
        values = row["values"]
        if values.get("cccd"):
            values["cccd"] = crypto.decrypt(values["cccd"])


def _drop_cccd(rows: list[dict[str, Any]]) -> None:
    """_scrub in place."""
    for row in rows:
        row["values"].pop("cccd", None)


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
    errors = validate_rows(table.rows, user=user, default_cell_id=default_cell_id).errors
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


def _build_members(rows: Sequence[ParsedRow]) -> list[Member]:
    """Unsaved members for ROWS, derived fields (name keys, CCCD token/hash) filled in.

    Model.__init__ (35 fields, two signals) was a large share of the import; the
    members are copies of one default instance instead, which is what __init__
    would produce as long as no field has a callable default.
    """
    fields = Member._meta.concrete_fields
    template: dict[str, Any] | None = None
    if not any(f.has_default() and callable(f.default) for f in fields):
        template = dict(Member().__dict__)
        template.pop("_state", None)
    members: list[Member] = []
    for row in rows:
        if template is None:
            member = Member(**row.fields)
        else:
            member = Member.__new__(Member)
            member.__dict__.update(template)
            member._state = ModelState()
            for key, value in row.fields.items():
                setattr(member, key, value)
        member.organisation_id = row.cell.pk if row.cell is not None else None  # type: ignore[assignment]
        member.party_group_id = row.group.pk if row.group is not None else None
        member.refresh_derived()  # the insert below skips save()
        member.set_cccd(row.cccd)
        if not member.card_number:
            member.card_number = None
        members.append(member)
    return members


# Field classes whose Python values the database drivers take as they are; every
# other field (dates, datetimes, ...) goes through get_db_prep_save like the ORM does.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.BooleanField,
    models.IntegerField,
    models.ForeignKey,
)


def _insert_rows(
    model: type[models.Model],
    fields: Sequence[models.Field[Any, Any]],
    rows: Sequence[Sequence[Any]],
    *,
    returning: bool,
) -> list[int]:
    """INSERT ROWS (values in FIELDS order) in multi-row statements; the new ids if RETURNING.

    What bulk_create does, without compiling every value through the ORM: on
    100,000 members that compilation cost more than the database itself. Values
    must already be what the model would store (the caller runs the same
    per-field preparation through _db_values).
    """
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, min(BULK_BATCH, connection.ops.bulk_batch_size(list(fields), rows)))
    suffix = f" RETURNING {qn(model._meta.pk.column)}" if returning else ""
    ids: list[int] = []
    if connection.vendor == "postgresql":
        # One array per column: the statement stays short (psycopg parses and caches it
        # once; a 35,000-placeholder VALUES list was re-parsed on every slice).
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) SELECT * FROM unnest({arrays}){suffix}"
        with connection.cursor() as cursor:
            for chunk in _chunks(rows, BULK_BATCH):
                cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])
                if returning:
                    ids.extend(pk for (pk,) in cursor.fetchall())
        return ids
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, size):
            sql = (
                f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES "
                + ", ".join([placeholder] * len(chunk))
                + suffix
            )
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                ids.extend(pk for (pk,) in cursor.fetchall())
    return ids


def _db_values(fields: Sequence[models.Field[Any, Any]], objs: Sequence[models.Model]) -> list[list[Any]]:
    """OBJS' values for FIELDS as bulk_create would send them (auto_now* set to now)."""
    now: list[Any] = []
    plan: list[tuple[str, Any]] = []  # (attname, None | prep function | [constant])
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            if not now:
                now.append(timezone.now())
            value = now[0] if isinstance(f, models.DateTimeField) else timezone.localdate(now[0])
            plan.append((f.attname, [f.get_db_prep_save(value, connection), value]))
        elif isinstance(f, _PLAIN_FIELDS):
            plan.append((f.attname, None))
        else:
            plan.append((f.attname, f.get_db_prep_save))
    rows: list[list[Any]] = []
    for obj in objs:
        values = obj.__dict__
        row: list[Any] = []
        for attname, how in plan:
            if how is None:
                row.append(values[attname])
            elif isinstance(how, list):
                row.append(how[0])
                values[attname] = how[1]
            else:
                value = values[attname]
                row.append(None if value is None else how(value, connection))
        rows.append(row)
    return rows


def _insert(members: list[Member]) -> None:
    """Insert MEMBERS and set their ids."""
    if not connection.features.can_return_rows_from_bulk_insert:
        for member in members:  # the database cannot hand back ids from a bulk insert
            member.save()
        return
    fields = [f for f in Member._meta.concrete_fields if not f.primary_key]
    ids = _insert_rows(Member, fields, _db_values(fields, members), returning=True)
    if len(ids) != len(members):
        raise RuntimeError("bulk insert returned a different number of ids")
    for member, pk in zip(members, ids, strict=True):
        member.pk = pk
        member._state.adding = False
        member._state.db = connection.alias


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


def _write(rows: Sequence[ParsedRow], *, actor: Any, batch: ImportBatch) -> Counter[int]:
    start, note = timezone.localdate(), f"Nhập từ tệp {batch.file_name}"[:255]
    # In slices: only BULK_BATCH members (model instances, SQL parameters) exist at a time.
    for chunk in _chunks(rows, BULK_BATCH):
        members = _build_members(chunk)
        _insert(members)
        placed = [(m.pk, m.organisation_id, m.party_group_id) for m in members]
        _insert_memberships(placed, start=start, note=note)
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


def apply_batch(*, batch: ImportBatch, user: Any) -> ApplyOutcome:
    """Re-validate and write every row of a pending batch, all or nothing, exactly once."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportBatch.Status.PENDING:
            return ApplyOutcome(False, ALREADY_DONE)
        rows = batch.rows
        _unseal_in_place(rows)  # clear CCCD values in memory only: dropped before any save
        try:
            validation = validate_rows(rows, user=user, default_cell_id=_default_cell_id(batch))
        finally:
            _drop_cccd(rows)  # = _scrub(rows), in place: what the rows keep once applied
        if validation.errors:
            batch.errors = _stored_errors(validation.errors)
            batch.error_count = len(validation.errors)
            batch.save(update_fields=["errors", "error_count"])
            return ApplyOutcome(
                False,
                f"Có {len(validation.errors)} dòng có lỗi. Chưa có đảng viên nào được nhập; "
                "hãy sửa tệp và tải lên lại.",
            )
        # Claim the batch first: of two concurrent confirmations only one updates a row.
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PENDING).update(
            status=ImportBatch.Status.APPLIED,
            applied_at=timezone.now(),
            applied_count=len(validation.rows),
            rows=rows,
            errors={},
            error_count=0,
        )
        batch.rows = rows = []  # 100,000 rows of text: free them before the members are built
        if not claimed:
            return ApplyOutcome(False, ALREADY_DONE)
        per_cell = _write(validation.rows, actor=user, batch=batch)
    count = len(validation.rows)
    return ApplyOutcome(True, f"Đã nhập {count} đảng viên.", count, tuple(sorted(per_cell)))


def cancel_batch(*, batch: ImportBatch) -> bool:
    """Cancel a pending batch (and forget its CCCD values); False if it was not pending."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportBatch.Status.PENDING:
            return False
        batch.status = ImportBatch.Status.CANCELLED
        batch.rows = _scrub(batch.rows)
        batch.save(update_fields=["status", "rows"])
    return True
