"""A small document model: builders describe a document once; DOCX and PDF render the same blocks."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Para:
    runs: tuple[Run, ...]
    align: str = "justify"  # left, center, right, justify
    indent: bool = True  # first-line indent (body text)
    size: str = "body"  # body, small, title
    space_before: int = 0  # points
    keep_with_next: bool = False


@dataclass(frozen=True)
class Column:
    header: str
    width_mm: float
    align: str = "left"


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    bold_rows: frozenset[int] = frozenset()
    row_height_mm: float = 0  # e.g. room to sign


@dataclass(frozen=True)
class SignatureBlock:
    lines: tuple[str, ...]  # "T/M CHI BỘ", "BÍ THƯ" (bold, upper case)
    name: str
    note: str = ""  # "(Ký, ghi rõ họ tên)"


@dataclass(frozen=True)
class Signatures:
    blocks: tuple[SignatureBlock, ...]  # left to right
    recipients: tuple[str, ...] = ()  # "Nơi nhận:" under the left side (resolution)


@dataclass(frozen=True)
class Header:
    """HD 36 heading: issuing body top left, "ĐẢNG CỘNG SẢN VIỆT NAM" top right, place/date line."""

    upper: str  # "ĐẢNG BỘ XÃ AN BÌNH"
    cell: str  # "CHI BỘ THÔN 1"
    date_line: str  # "An Bình, ngày 15 tháng 11 năm 2026"
    number: str = ""  # "Số 07-NQ/CB"


Block = Para | Table | Signatures


@dataclass
class Document:
    header: Header | None
    title: tuple[str, ...]  # first line: the document type (bold, upper case); others: its subject
    blocks: list[Block] = field(default_factory=list)
    draft: bool = False
    name: str = "van-ban"  # file name without extension

    def para(self, *parts: str | Run, align: str = "justify", indent: bool = True, size: str = "body",
             space_before: int = 0, keep_with_next: bool = False) -> None:
        runs = tuple(p if isinstance(p, Run) else Run(p) for p in parts if p)
        self.blocks.append(Para(runs, align, indent, size, space_before, keep_with_next))

    def heading(self, text: str) -> None:
        self.para(Run(text, bold=True), align="left", indent=False, space_before=6, keep_with_next=True)

    def text(self) -> str:
        """Plain text of the document (tests and the article check read this)."""
        out = []
        if self.header:
            out += [self.header.upper, self.header.cell, self.header.number, self.header.date_line]
        out += list(self.title)
        for b in self.blocks:
            if isinstance(b, Para):
                out.append("".join(r.text for r in b.runs))
            elif isinstance(b, Table):
                out += [" | ".join(c.header for c in b.columns)] + [" | ".join(r) for r in b.rows]
            else:
                out += [f"{' '.join(s.lines)} {s.name}" for s in b.blocks] + list(b.recipients)
        return "\n".join(x for x in out if x)


DRAFT_MARK = "DỰ THẢO"
