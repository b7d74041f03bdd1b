"""The roll-call answer's meeting, without reading again what a roll-call mark cannot change.

A roll-call answer (views._row_board) judges the meeting again (figures, warnings, data-proved
scores) and so needs everything judge() reads: the roll, and the agenda, speeches, votes, score
sheets, documents and guests ("the parts"). A mark changes attendance rows only; every other
meeting write goes through services._writable, which bumps `Meeting.parts_version` (a mark does
not). So the parts are the same for the same (meeting, parts_version): they are kept in the
configured cache under that key and a secretary tapping through the roll reads them once.

What stays live on every answer: the meeting row itself and the roll (read under the mark's lock,
services.Marked), the tasks to review (written from the tasks page too) and the excused runs
(other meetings' rolls). An entry is stored only once the mark's transaction has committed, with
the parts_version the mark read under the meeting's lock, so a rolled-back write can never leave
an entry under a number that a later write reuses; a deployment that changes the parts' columns
uses new keys (the column names are part of the key).
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from django.core.cache import cache as default_cache
from django.db import transaction
from django.db.models import Model, prefetch_related_objects
from django.db.models.fields.files import FieldFile

from chibo.meetings.models import (
    AgendaItem,
    Attendance,
    Guest,
    Meeting,
    MeetingDocument,
    ScoreSheet,
    Speech,
    Vote,
)

# How long a meeting's parts are kept: a roll call takes minutes. Correctness does not depend on
# it (any other write to the meeting bumps parts_version: a new key).
PARTS_SECONDS = 1800
PARTS: dict[str, type[Model]] = {
    "items": AgendaItem,
    "speeches": Speech,
    "votes": Vote,
    "scores": ScoreSheet,
    "documents": MeetingDocument,
    "guests": Guest,
}


@cache
def _columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


@cache
def shape() -> str:
    """A digest of the parts' columns: entries stored by other code are never read back."""
    text = ";".join(f"{name}:{','.join(_columns(model))}" for name, model in PARTS.items())
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def key_for(meeting: Meeting) -> str:
    return f"chibo:live-parts:{meeting.pk}:{meeting.parts_version}:{shape()}"


def _plain(value: Any) -> Any:
    """A column's value as stored (a file field's name, not the FieldFile bound to its row)."""
    return value.name if isinstance(value, FieldFile) else value


def _install(meeting: Meeting, name: str, rows: list[Any]) -> None:
    """Put ROWS into MEETING's prefetch cache under NAME, as prefetch_related would."""
    manager = getattr(meeting, name)
    field = manager.field  # the child's ForeignKey to Meeting
    for row in rows:
        field.set_cached_value(row, meeting)
    queryset = manager.all()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    meeting.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def screen_after_mark(meeting: Meeting, roster: list[Attendance]) -> Meeting:
    """MEETING (as a mark locked it) loaded like selectors.roll_call_screen(): ROSTER as its roll,
    the parts from the cache, else read (six queries) and kept once the mark has committed."""
    _install(meeting, "attendance", roster)
    key = key_for(meeting)
    found: Any = default_cache.get(key)
    if isinstance(found, dict) and found.keys() == PARTS.keys():
        db = meeting._state.db or "default"
        for name, model in PARTS.items():
            columns = _columns(model)
            _install(meeting, name, [model.from_db(db, columns, values) for values in found[name]])
        return meeting
    prefetch_related_objects([meeting], *PARTS)
    values = {
        name: [tuple(_plain(getattr(row, column)) for column in _columns(model)) for row in getattr(meeting, name).all()]
        for name, model in PARTS.items()
    }
    transaction.on_commit(lambda: default_cache.set(key, values, PARTS_SECONDS))
    return meeting
