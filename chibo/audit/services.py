"""Writing audit entries. Every service that changes a guarded record calls record()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from django.db import connections, models

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


def entry(
    *,
    actor: Any,
    action: AuditAction | str,
    obj: models.Model,
    org_path: str,
    changes: Mapping[str, Any] | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    """The entry record() writes, not yet saved."""
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEntry(
        actor=actor_obj,
        actor_name=getattr(actor_obj, "username", "") if actor_obj else "hệ thống",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(object_repr or str(obj))[:255],
        org_path=org_path,
        changes=dict(changes or {}),
    )


def record(
    *,
    actor: Any,
    action: AuditAction | str,
    obj: models.Model,
    org_path: str,
    changes: Mapping[str, Any] | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    made = entry(actor=actor, action=action, obj=obj, org_path=org_path, changes=changes, object_repr=object_repr)
    made.save(force_insert=True)
    return made


@cache
def _insert_head(db: str) -> tuple[str, tuple[models.Field[Any, Any], ...]]:
    """(`INSERT INTO audit (columns)` on DB, the fields of those columns in order)."""
    qn = connections[db].ops.quote_name
    fields = tuple(f for f in AuditEntry._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(qn(f.column) for f in fields)  # type: ignore[arg-type]
    return f"INSERT INTO {qn(AuditEntry._meta.db_table)} ({columns})", fields


@cache
def _insert_sql(db: str) -> tuple[str, tuple[models.Field[Any, Any], ...]]:
    head, fields = _insert_head(db)
    return f"{head} VALUES ({', '.join(['%s'] * len(fields))})", fields


def insert_statement(db: str, made: AuditEntry) -> tuple[str, list[Any]]:
    """The INSERT of entry MADE on DB, written out, with its parameters (each value prepared by its
    field, as the ORM's insert prepares it), for a caller that sends it written out beside its own
    write (meetings.services._save_mark). MADE gets no primary key."""
    connection = connections[db]
    sql, fields = _insert_sql(db)
    return sql, [f.get_db_prep_save(f.pre_save(made, True), connection) for f in fields]


def insert_select(db: str, made: AuditEntry, computed: Mapping[str, tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    """insert_statement()'s INSERT as `INSERT … SELECT`, for a caller that sends it inside its own
    statement and knows some values only in SQL (meetings.services.mark_attendance on PostgreSQL: the
    mark's previous status and its member's name, read in the statement that writes it). COMPUTED:
    field name -> (SQL expression, its parameters), in place of MADE's value; the caller appends the
    FROM clause the expressions read."""
    connection = connections[db]
    head, fields = _insert_head(db)
    unknown = set(computed) - {f.name for f in fields}
    if unknown:
        raise ValueError(f"not AuditEntry fields: {sorted(unknown)}")
    exprs: list[str] = []
    params: list[Any] = []
    for f in fields:
        if f.name in computed:
            expr, expr_params = computed[f.name]
            exprs.append(expr)
            params.extend(expr_params)
        else:
            exprs.append("%s")
            params.append(f.get_db_prep_save(f.pre_save(made, True), connection))
    return f"{head} SELECT {', '.join(exprs)}", params

