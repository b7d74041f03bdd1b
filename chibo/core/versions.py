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


def token(*values: Any) -> str:
    """16 hex characters identifying VALUES (strings, numbers, booleans, dates, dicts, lists, None)."""
    raw = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def is_stale(expected: str | None, current: str) -> bool:
    """True when the writer sent a token and it is not the current one (no token: no check)."""
    return bool(expected) and expected != current


def quoted(text: str, limit: int = 300) -> str:
    """TEXT as a Vietnamese message shows the current value: “…”, or (để trống)."""
    text = (text or "").strip()
    if not text:
        return "(để trống)"
    return f"“{text[:limit]}{'…' if len(text) > limit else ''}”"
