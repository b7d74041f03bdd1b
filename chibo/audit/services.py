"""Writing audit entries. Every service that changes a guarded record calls record()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from chibo.audit.models import AuditAction, AuditEntry

SENSITIVE_FIELDS = frozenset({"cccd", "cccd_encrypted", "cccd_hash", "password"})


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            out[name] = _plain(getattr(obj, name)) if getattr(obj, field.attname) else None
        else:
            out[name] = _plain(getattr(obj, name))
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            if key in SENSITIVE_FIELDS:
                changes[key] = ["***" if old else "", "***" if new else ""]
            else:
                changes[key] = [old, new]
    return changes


def record(
    *,
    actor: Any,
    action: AuditAction | str,
    obj: models.Model,
    org_path: str,
    changes: Mapping[str, Any] | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(
        actor=actor_obj,
        actor_name=getattr(actor_obj, "username", "") if actor_obj else "hệ thống",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(object_repr or str(obj))[:255],
        org_path=org_path,
        changes=dict(changes or {}),
    )
