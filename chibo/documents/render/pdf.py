"""Render a Document to PDF: an HTML page laid out per HD 36, printed by WeasyPrint (Liberation Serif, A4)."""

from __future__ import annotations

from django.template.loader import render_to_string

from chibo.documents.layout import css_font_stack, layout
from chibo.documents.render.model import DRAFT_MARK, Document, Para, Signatures, Table


def html(doc: Document) -> str:
    blocks = []
    for b in doc.blocks:
        kind = "para" if isinstance(b, Para) else "table" if isinstance(b, Table) else "signatures"
        blocks.append({"kind": kind, "b": b})
        if isinstance(b, Table):
            blocks[-1]["rows"] = [
                {"bold": i in b.bold_rows, "cells": [(v, c.align) for v, c in zip(row, b.columns, strict=False)]}
                for i, row in enumerate(b.rows)
            ]
        if isinstance(b, Signatures):
            blocks[-1]["width"] = f"{100 / max(len(b.blocks) + (1 if b.recipients else 0), 1):.1f}"
    return render_to_string("documents/pdf.html", {
        "doc": doc, "blocks": blocks, "page": layout().page, "draft_mark": DRAFT_MARK,
        "fonts": css_font_stack(layout().page),
    })


def render(doc: Document) -> bytes:
    from weasyprint import HTML  # imported on use: loading pango/fonts costs ~0.3 s once per process

    return HTML(string=html(doc)).write_pdf()
