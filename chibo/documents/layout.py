"""The layout and numbering data of Party documents (layout.yaml), validated once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.core.exceptions import ImproperlyConfigured

LAYOUT_FILE = Path(__file__).parent / "layout.yaml"
MEETING_KINDS = ("regular", "thematic", "combined", "extraordinary")


@dataclass(frozen=True)
class Page:
    size: str
    margin_top_mm: int
    margin_bottom_mm: int
    margin_left_mm: int
    margin_right_mm: int
    font: str
    font_fallbacks: tuple[str, ...]
    body_pt: int
    header_pt: int
    title_pt: int
    small_pt: int
    source: str


@dataclass(frozen=True)
class Numbering:
    by_kind: dict[str, str]
    symbols: dict[str, str]
    min_digits: int
    source: str

    def doc_type_for(self, kind: str) -> str:
        return self.by_kind[kind]

    def symbol(self, doc_type: str, number: int) -> str:
        return f"{number:0{self.min_digits}d}-{self.symbols[doc_type]}"


@dataclass(frozen=True)
class Signatures:
    resolution: tuple[str, ...]
    resolution_deputy: tuple[str, ...]
    recipients: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Layout:
    page: Page
    numbering: Numbering
    signatures: Signatures


def _need(data: dict, key: str, where: str, kind: type) -> object:  # type: ignore[type-arg]
    value = data.get(key)
    if not isinstance(value, kind) or (kind is str and not value):
        raise ImproperlyConfigured(f"{LAYOUT_FILE.name}: {where}.{key} thiếu hoặc sai kiểu ({kind.__name__}).")
    return value


def parse(text: str) -> Layout:
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ImproperlyConfigured(f"{LAYOUT_FILE.name}: phải là một bảng (mapping).")
    page = _need(data, "page", "", dict)
    num = _need(data, "numbering", "", dict)
    sig = _need(data, "signatures", "", dict)
    assert isinstance(page, dict) and isinstance(num, dict) and isinstance(sig, dict)
    ints = ("margin_top_mm", "margin_bottom_mm", "margin_left_mm", "margin_right_mm", "body_pt", "header_pt",
            "title_pt", "small_pt")
    by_kind = _need(num, "by_kind", "numbering", dict)
    symbols = _need(num, "symbols", "numbering", dict)
    assert isinstance(by_kind, dict) and isinstance(symbols, dict)
    missing = [k for k in MEETING_KINDS if by_kind.get(k) not in symbols]
    if missing:
        raise ImproperlyConfigured(f"{LAYOUT_FILE.name}: numbering.by_kind thiếu/ sai cho {missing}.")
    return Layout(
        page=Page(
            size=str(_need(page, "size", "page", str)),
            font=str(_need(page, "font", "page", str)),
            font_fallbacks=tuple(str(f) for f in page.get("font_fallbacks") or ()),
            source=str(_need(page, "source", "page", str)),
            **{k: int(_need(page, k, "page", int)) for k in ints},  # type: ignore[call-overload]
        ),
        numbering=Numbering(
            by_kind={str(k): str(v) for k, v in by_kind.items()},
            symbols={str(k): str(v) for k, v in symbols.items()},
            min_digits=int(_need(num, "min_digits", "numbering", int)),  # type: ignore[call-overload]
            source=str(_need(num, "source", "numbering", str)),
        ),
        signatures=Signatures(
            resolution=tuple(_need(sig, "resolution", "signatures", list)),  # type: ignore[arg-type]
            resolution_deputy=tuple(_need(sig, "resolution_deputy", "signatures", list)),  # type: ignore[arg-type]
            recipients=tuple(_need(sig, "recipients", "signatures", list)),  # type: ignore[arg-type]
            source=str(_need(sig, "source", "signatures", str)),
        ),
    )


def css_font_stack(page: Page) -> str:
    return ", ".join(f'"{name}"' for name in (page.font, *page.font_fallbacks)) + ", serif"


@lru_cache(maxsize=1)
def layout() -> Layout:
    return parse(LAYOUT_FILE.read_text(encoding="utf-8"))
