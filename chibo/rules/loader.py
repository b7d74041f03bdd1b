"""Rulebooks: versioned YAML files, validated at start-up.

The meetings issue extends the schema (meeting frequency, duration, attendance,
vote pass mark, scorecards); this module owns loading and validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

RULEBOOK_DIR = Path(__file__).parent / "rulebooks"
DEFAULT_RULEBOOK = "hd42-2025"


@dataclass(frozen=True)
class CellStructureRule:
    min_full_members: int
    committee_from_full_members: int
    min_committee_size: int
    source: str


@dataclass(frozen=True)
class Rulebook:
    code: str
    version: int
    name: str
    cell_structure: CellStructureRule


class RulebookError(ValueError):
    pass


def _positive_int(data: dict[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RulebookError(f"{where}.{key}: phải là số nguyên không âm (đang là {value!r}).")
    return value


def _source(data: dict[str, Any], where: str) -> str:
    value = data.get("source")
    if not isinstance(value, str) or not value.strip():
        raise RulebookError(f"{where}.source: mỗi quy tắc phải ghi nguồn (văn bản, điều).")
    return value.strip()


def parse(text: str) -> Rulebook:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RulebookError(f"Tệp không đúng định dạng YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RulebookError("Tệp bộ quy tắc phải là một bảng (mapping).")
    code = data.get("code")
    if not isinstance(code, str) or not code:
        raise RulebookError("Thiếu mã bộ quy tắc (code).")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise RulebookError("Thiếu tên bộ quy tắc (name).")
    version = _positive_int(data, "version", code)
    rules = data.get("rules")
    if not isinstance(rules, dict):
        raise RulebookError(f"{code}: thiếu mục rules.")
    cs = rules.get("cell_structure")
    if not isinstance(cs, dict):
        raise RulebookError(f"{code}: thiếu rules.cell_structure.")
    where = f"{code}.rules.cell_structure"
    return Rulebook(
        code=code,
        version=version,
        name=name,
        cell_structure=CellStructureRule(
            min_full_members=_positive_int(cs, "min_full_members", where),
            committee_from_full_members=_positive_int(cs, "committee_from_full_members", where),
            min_committee_size=_positive_int(cs, "min_committee_size", where),
            source=_source(cs, where),
        ),
    )


@lru_cache(maxsize=1)
def load_all() -> dict[str, Rulebook]:
    books: dict[str, Rulebook] = {}
    for path in sorted(RULEBOOK_DIR.glob("*.yaml")):
        try:
            book = parse(path.read_text(encoding="utf-8"))
        except RulebookError as exc:
            raise ImproperlyConfigured(f"Bộ quy tắc {path.name}: {exc}") from exc
        books[book.code] = book
    default = getattr(settings, "CHIBO_DEFAULT_RULEBOOK", DEFAULT_RULEBOOK)
    if default not in books:
        raise ImproperlyConfigured(f"Bộ quy tắc mặc định {default!r} không tồn tại.")
    return books


def get(code: str | None) -> Rulebook:
    books = load_all()
    default = getattr(settings, "CHIBO_DEFAULT_RULEBOOK", DEFAULT_RULEBOOK)
    return books.get(code or default) or books[default]
