"""A fast reader for the cell values of a workbook's first worksheet.

openpyxl (even read-only with values only) builds Python objects for every cell
and every shared string; on a 100,000-row member list that is most of the
import's time. This reader walks the same XML parts with lxml's iterparse and
returns exactly what ``openpyxl.load_workbook(read_only=True, data_only=True)``
would give for ``worksheets[0].iter_rows(values_only=True)`` after
``reset_dimensions()``: one tuple per row (empty tuples for missing rows),
strings, numbers, booleans, dates/datetimes for date-formatted cells, cached
formula results (formulas are never evaluated).

Anything it does not recognise (Strict OOXML namespaces, odd part names, an
unexpected structure) raises ``Unsupported``; the caller then falls back to
openpyxl, so unusual files are read as before, only slower.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from typing import Any

from lxml import etree
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
TYPE_BASE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
ROW, CELL, VALUE, INLINE, TEXT, RUN, PHONETIC = (
    f"{MAIN}row",
    f"{MAIN}c",
    f"{MAIN}v",
    f"{MAIN}is",
    f"{MAIN}t",
    f"{MAIN}r",
    f"{MAIN}rPh",
)


class Unsupported(Exception):
    """The package is not in the shape this reader handles; use openpyxl."""


def _parser_options() -> dict[str, Any]:
    # No DTDs, no entities, no network: the same stance as openpyxl's defused parsing.
    return {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


def _xml(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        raw = archive.read(name)
    except KeyError:
        raise Unsupported(name)
    return etree.fromstring(raw, etree.XMLParser(**_parser_options()))


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part name) for PART."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in archive.NameToInfo:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for rel in _xml(archive, rels_name).iter(f"{PKG_REL}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return out


def _text(si: Any) -> str:
    """Plain text of a shared or inline string: its <t> and rich-text runs, no phonetic runs."""
    parts: list[str] = []
    for child in si:
        if child.tag == TEXT:
            parts.append(child.text or "")
        elif child.tag == RUN:
            for t in child.iter(TEXT):
                parts.append(t.text or "")
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, name: str | None) -> list[str]:
    if name is None:
        return []
    try:
        stream = archive.open(name)
    except KeyError:
        raise Unsupported(name)
    strings: list[str] = []
    with stream:
        for _, si in etree.iterparse(stream, events=("end",), tag=f"{MAIN}si", **_parser_options()):
            strings.append(_text(si))
            si.clear(keep_tail=True)
    return strings


def _number(text: str) -> int | float:
    # openpyxl's _cast_number
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _column(ref: str) -> int:
    """1-based column of a cell reference such as "AB12"."""
    column = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            column = column * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            column = column * 26 + ord(ch) - 96
        else:
            break
    return column


def first_sheet_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    """Rows of cell values of the first worksheet (see the module docstring).

    The package structure is checked before this returns (``Unsupported`` is raised
    here, never while rows are being read)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    root_rels = _rels(archive, "")
    workbook_part = next(
        (path for kind, path in root_rels.values() if kind == TYPE_BASE + "officeDocument"), None
    )
    if workbook_part is None:
        raise Unsupported("workbook")
    workbook = _xml(archive, workbook_part)
    if workbook.tag != f"{MAIN}workbook":
        raise Unsupported("namespace")
    properties = workbook.find(f"{MAIN}workbookPr")
    date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    rels = _rels(archive, workbook_part)
    sheet_part = None
    for sheet in workbook.iter(f"{MAIN}sheet"):
        kind, path = rels.get(sheet.get(f"{REL}id", ""), ("", ""))
        if kind == TYPE_BASE + "worksheet":
            sheet_part = path
            break
    if sheet_part is None:
        raise Unsupported("no worksheet")
    by_type = {kind: path for kind, path in rels.values()}
    strings = _shared_strings(archive, by_type.get(TYPE_BASE + "sharedStrings"))
    styles_part = by_type.get(TYPE_BASE + "styles")
    date_styles: set[int] = set()
    timedelta_styles: set[int] = set()
    if styles_part is not None:
        stylesheet = Stylesheet.from_tree(_xml(archive, styles_part))
        date_styles, timedelta_styles = stylesheet.date_formats, stylesheet.timedelta_formats
    if sheet_part not in archive.NameToInfo:
        raise Unsupported(sheet_part)
    return _rows(archive, sheet_part, strings, date_styles, timedelta_styles, epoch)


def _rows(
    archive: zipfile.ZipFile,
    part: str,
    strings: list[str],
    date_styles: set[int],
    timedelta_styles: set[int],
    epoch: Any,
) -> Iterator[tuple[Any, ...]]:
    with archive.open(part) as stream:
        yield from _parse_rows(stream, strings, date_styles, timedelta_styles, epoch)


def _parse_rows(
    stream: Any, strings: list[str], date_styles: set[int], timedelta_styles: set[int], epoch: Any
) -> Iterator[tuple[Any, ...]]:
    # The per-cell loop is the reader's cost (18 cells a row, 100,000 rows): cells are the
    # row's direct children (as openpyxl reads them), a reference's column is computed once
    # per column letters, and a plain <is><t>…</t></is> string is read without _text.
    expected = 1
    column_of: dict[str, int] = {}
    digits = "0123456789"
    for _, row in etree.iterparse(stream, events=("end",), tag=ROW, **_parser_options()):
        number = row.get("r")
        index = int(number) if number else expected
        while expected < index:  # rows with no cells are not written at all
            yield ()
            expected += 1
        values: list[Any] = []
        for cell in row:
            if cell.tag != CELL:
                continue
            ref = cell.get("r")
            if ref:
                letters = ref.rstrip(digits)
                column = column_of.get(letters)
                if column is None:
                    column = column_of[letters] = _column(ref)
                if column - 1 > len(values):
                    values.extend([None] * (column - 1 - len(values)))
            else:
                column = len(values) + 1
            kind = cell.get("t", "n")
            value: Any = None
            if kind == "inlineStr":
                inline = cell.find(INLINE)
                if inline is not None:
                    first = inline[0] if len(inline) == 1 else None
                    value = (first.text or "") if first is not None and first.tag == TEXT else _text(inline)
            else:
                text = cell.findtext(VALUE) or None
                if text is not None:
                    if kind == "n":
                        value = _number(text)
                        style = int(cell.get("s") or 0)
                        if style in date_styles:
                            try:
                                value = from_excel(value, epoch, timedelta=style in timedelta_styles)
                            except (OverflowError, ValueError):
                                value = "#VALUE!"
                    elif kind == "s":
                        value = strings[int(text)]
                    elif kind == "b":
                        value = bool(int(text))
                    elif kind == "d":
                        value = from_ISO8601(text)
                    else:  # "str" (formula result), "e" (error)
                        value = text
            if column <= len(values):  # out of order (invalid, but keep the last value)
                values[column - 1] = value
            else:
                values.append(value)
        # Trailing empty cells are kept as openpyxl keeps them (it pads to the last cell).
        yield tuple(values)
        expected = index + 1
        row.clear(keep_tail=True)
        parent = row.getparent()
        if parent is not None:
            while row.getprevious() is not None:
                del parent[0]
