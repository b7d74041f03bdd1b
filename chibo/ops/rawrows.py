"""Fast inserts of model instances for generators: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import json
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.base import ModelState


class RowWriter:
    """Inserts model instances as plain rows, without bulk_create's per-value machinery.

    PostgreSQL: `COPY … FROM STDIN` (psycopg 3). SQLite: one `executemany` per table. Primary keys
    are reserved in blocks (the sequence on PostgreSQL, sqlite_sequence on SQLite) and set on the
    instances before the insert, so rows that point at them can be built right after. Only what
    bulk_create would have written is written: field defaults come from the instances, auto_now
    fields from their pre_save.
    """

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.conn = connections[using]
        self.pg = self.conn.vendor == "postgresql"
        self._plans: dict[tuple[type[models.Model], bool], tuple[str, list[tuple[str, Any]]]] = {}

    def _converter(self, f: models.Field) -> Any:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return ("pre_save", f)
        if isinstance(f, models.JSONField):
            enc = f.encoder
            return ("value", lambda v: None if v is None else json.dumps(v, cls=enc))
        if isinstance(f, models.FileField):
            return ("value", lambda v: None if v is None else (v.name if hasattr(v, "name") else str(v)) or "")
        if self.pg or isinstance(f, (models.CharField, models.TextField, models.IntegerField,
                                     models.BooleanField, models.ForeignKey, models.AutoField)):
            return ("value", None)
        if isinstance(f, models.DateTimeField):
            return ("value", self.conn.ops.adapt_datetimefield_value)
        if isinstance(f, models.DateField):
            return ("value", self.conn.ops.adapt_datefield_value)
        conn = self.conn
        return ("value", lambda v: f.get_db_prep_save(v, conn))

    def _plan(self, model: type[models.Model], with_pk: bool) -> tuple[str, list[tuple[str, Any]]]:
        key = (model, with_pk)
        if key not in self._plans:
            qn = self.conn.ops.quote_name
            fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
            cols = ", ".join(qn(f.column) for f in fields)
            table = qn(model._meta.db_table)
            if self.pg:
                sql = f"COPY {table} ({cols}) FROM STDIN"
            else:
                sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"
            convs = []
            for f in fields:
                kind, fn = self._converter(f)
                convs.append((f.attname, fn, f if kind == "pre_save" else None))
            self._plans[key] = (sql, convs)
        return self._plans[key]

    def reserve(self, model: type[models.Model], n: int) -> int:
        """The first of N consecutive primary keys nobody else will be given."""
        table, col = model._meta.db_table, model._meta.pk.column
        with self.conn.cursor() as c:
            if self.pg:
                c.execute("SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
                          [table, col, table, col, n])
                return c.fetchone()[0] - n + 1
            qn = self.conn.ops.quote_name
            c.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = c.fetchone()
            c.execute(f"SELECT MAX({qn(col)}) FROM {qn(table)}")
            first = max(row[0] if row else 0, c.fetchone()[0] or 0) + 1
            if row:
                c.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [first + n - 1, table])
            else:
                c.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, first + n - 1])
            return first

    def insert(self, model: type[models.Model], objs: list[Any], *, pk: bool = False, given_pk: bool = False) -> None:
        """Insert OBJS (instances of MODEL); with PK, give them primary keys first; with GIVEN_PK,
        they already have keys from `reserve`."""
        if not objs:
            return
        if pk:
            first = self.reserve(model, len(objs))
            for i, o in enumerate(objs):
                o.pk = first + i
        for o in objs:
            o._state.adding = False
        sql, convs = self._plan(model, pk or given_pk)
        plain = [att for att, fn, f in convs]
        if all(fn is None and f is None for _att, fn, f in convs):
            rows = [tuple(getattr(o, att) for att in plain) for o in objs]
        else:
            adapt = None if self.pg else self.conn.ops.adapt_datetimefield_value
            rows = []
            for o in objs:
                row = []
                for att, fn, f in convs:
                    if f is not None:
                        v = f.pre_save(o, True)
                        row.append(adapt(v) if adapt else v)
                    elif fn is not None:
                        row.append(fn(getattr(o, att)))
                    else:
                        row.append(getattr(o, att))
                rows.append(tuple(row))
        with self.conn.cursor() as c:
            if self.pg:
                with c.cursor.copy(sql) as copy:
                    for r in rows:
                        copy.write_row(r)
            else:
                c.executemany(sql, rows)


_TEMPLATES: dict[type[models.Model], tuple[dict[str, Any], list[tuple[str, Any]]]] = {}


def build[M: models.Model](model: type[M], related: dict[str, models.Model] | None = None, **values: Any) -> M:
    """An instance of MODEL without Model.__init__ (a generator makes millions of them).

    Fields take their defaults; VALUES are given by attname (`meeting_id`, `status`); RELATED
    objects by field name (`member=…`) set the key and the cached object, as assignment would.
    """
    if model not in _TEMPLATES:
        fixed, called = {}, []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                called.append((f.attname, f.default))
            else:
                fixed[f.attname] = f.get_default() if not f.primary_key else None
        _TEMPLATES[model] = (fixed, called)
    fixed, called = _TEMPLATES[model]
    obj = model.__new__(model)
    state = ModelState()
    obj._state = state
    d = obj.__dict__
    d.update(fixed)
    for att, fn in called:
        if att not in values:
            d[att] = fn()
    d.update(values)
    if related:
        for name, rel in related.items():
            d[f"{name}_id"] = rel.pk
            state.fields_cache[name] = rel
    return obj
