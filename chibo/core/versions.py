"""Version tokens for optimistic concurrency on records without a version column.

A token is a digest of the values an editor is about to overwrite (e.g. an agenda item's
conclusion): the page sends back the token of what it showed, the service recomputes it under
the row lock and refuses the write when they differ. Unlike a counter it needs no migration, and
only a change to those values makes a form stale (starting an agenda item does not make its
conclusion form stale); unlike a timestamp it works on rows without ``updated_at``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError


class Stale(ValidationError):
    """A write drawn from an older version of the record: nothing was written. MESSAGE (Vietnamese)
    names the current value; CURRENT is the version to send to overwrite it knowingly. The API
    answers 409 (chibo.api.errors), the pages re-show the form with the message (chibo.core.forms)."""

    def __init__(self, message: str, current: str) -> None:
        super().__init__(message)
        self.current = current


def token(*values: Any) -> str:
    """16 hex characters identifying VALUES (strings, numbers, booleans, dates, dicts, lists, None)."""
    raw = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def is_stale(expected: str | None, current: str) -> bool:
    """True when the writer sent a token and it is not the current one (no token: no check)."""
    return bool(expected) and expected != current


def check(expected: str | None, current: str, message: str) -> None:
    """Raise Stale(MESSAGE) when EXPECTED was sent and is not CURRENT. Call it under the row lock."""
    if is_stale(expected, current):
        raise Stale(message, current)


def quoted(text: str, limit: int = 300) -> str:
    """TEXT as a Vietnamese message shows the current value: “…”, or (để trống)."""
    text = (text or "").strip()
    if not text:
        return "(để trống)"
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"
