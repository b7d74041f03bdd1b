"""Member export to .csv (streamed) and .xlsx (openpyxl write-only), re-importable.

Columns and headers are the import's (chibo.members.imports.COLUMNS), so an export
can be imported again. The CCCD is masked unless the user may see it at the
member's cell. Memory and query count stay flat however many rows there are.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.core import vntext
from chibo.members.imports import COLUMNS, FORMULA_PREFIXES
from chibo.members.models import Member
from chibo.organisations.models import Organisation

FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
ITERATOR_CHUNK = 2000
CSV_FLUSH_ROWS = 500
SHEET_TITLE = "Đảng viên"
DATE_FORMAT = "DD/MM/YYYY"


def export_filename(org: Organisation | None, fmt: str, today: dt.date | None = None) -> str:
    """ASCII file name, e.g. dang-vien-chi-bo-thon-1-22-11-2026.xlsx."""
    today = today or timezone.localdate()
    slug = slugify(vntext.strip_diacritics(org.name)) if org is not None else ""
    base = f"dang-vien-{slug}" if slug else "dang-vien"
    return f"{base}-{today:%d-%m-%Y}.{fmt}"


def sensitive_checker(user: Any) -> Callable[[Member], bool]:
    """Whether USER may see a member's full CCCD (cached per cell, no queries)."""
    scope = get_scope(user)
    cache: dict[str, bool] = {}

    def can_see(member: Member) -> bool:
        path = member.organisation.path
        if path not in cache:
            cache[path] = Perm.MEMBER_VIEW_SENSITIVE in scope.perms_at(path)
        return cache[path]

    return can_see


def member_values(member: Member, *, show_cccd: bool) -> list[Any]:
    """One export row in COLUMNS order; dates stay dates, everything else text."""
    org = member.organisation
    special: dict[str, Any] = {
        "gender": member.get_gender_display() if member.gender else "",
        "party_position": member.get_party_position_display() if member.party_position else "",
        "status": member.get_status_display(),
        "card_number": member.card_number or "",
        "cccd": member.cccd if show_cccd else member.cccd_masked,
        # The code is unambiguous across the tree; fall back to the name.
        "organisation": org.code or org.name,
        "party_group": member.party_group.name if member.party_group_id else "",
    }
    return [special[c.key] if c.key in special else getattr(member, c.key) for c in COLUMNS]


def _rows(members: QuerySet[Member], user: Any) -> Iterator[list[Any]]:
    can_see = sensitive_checker(user)
    for member in members.iterator(chunk_size=ITERATOR_CHUNK):
        yield member_values(member, show_cccd=can_see(member))


# CSV -----------------------------------------------------------------------


class _Echo:
    """A write() that hands the line back, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    text = str(value)
    # Keep spreadsheet software from running cell text as a formula.
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_chunks(members: QuerySet[Member], user: Any) -> Iterator[str]:
    """UTF-8 CSV with a BOM (so Excel shows Vietnamese correctly), in chunks of rows."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([c.label for c in COLUMNS])
    buffer: list[str] = []
    for values in _rows(members, user):
        buffer.append(writer.writerow([_csv_value(v) for v in values]))
        if len(buffer) >= CSV_FLUSH_ROWS:
            yield "".join(buffer)
            buffer.clear()
    if buffer:
        yield "".join(buffer)


# XLSX ----------------------------------------------------------------------


def _xlsx_value(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # stored as text, never as a formula
        return cell
    return value


def _header(sheet: WriteOnlyWorksheet) -> list[WriteOnlyCell]:
    bold = Font(bold=True)
    cells = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.label)
        cell.font = bold
        cells.append(cell)
    return cells


def write_xlsx(members: QuerySet[Member], user: Any, target: IO[bytes]) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append(_header(sheet))
    for values in _rows(members, user):
        sheet.append([_xlsx_value(sheet, v) for v in values])
    workbook.save(target)


def xlsx_file(members: QuerySet[Member], user: Any) -> IO[bytes]:
    """The workbook in an anonymous temporary file, positioned at its start."""
    target = tempfile.TemporaryFile(prefix="chibo-export-")
    try:
        write_xlsx(members, user, target)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return target


def record_export(user: Any, organisation: Any, fmt: str, rows: int) -> None:
    """Personal data left the system: who exported which subtree, in which format, how many rows.

    Written to the audit log under the exported organisation (else the user's widest scope, so the
    committee that can read the log sees it)."""
    from chibo.accounts.access import get_scope
    from chibo.accounts.permissions import Perm
    from chibo.audit.models import AuditAction
    from chibo.audit.services import record

    if organisation is not None:
        obj, path, label = organisation, organisation.path, str(organisation)
    else:
        roots = get_scope(user).paths_with(Perm.MEMBER_VIEW)
        obj, path, label = user, (roots[0] if len(roots) == 1 else ""), "toàn bộ phạm vi"
    record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=obj,
        org_path=path,
        changes={"định dạng": fmt, "số dòng": rows},
        object_repr=f"Danh sách đảng viên — {label}",
    )
