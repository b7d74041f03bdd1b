"""{% official_documents m as docs %}: the documents a meeting can have, for the meeting page partial."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from chibo.documents import kinds

register = template.Library()
FORMAT_LABELS = {"docx": "Word", "pdf": "PDF", "pptx": "PowerPoint"}


@register.simple_tag
def official_documents(meeting: Any) -> list[dict[str, Any]]:
    out = []
    for kind, why in kinds.available(meeting):
        out.append({
            "label": kinds.label_for(kind, meeting.kind),
            "why": why,
            "links": [
                {"fmt": FORMAT_LABELS[f], "url": reverse("documents:download", args=[meeting.pk, kind.slug, f])}
                for f in kind.formats
            ],
            "slug": kind.slug,
        })
    return out
