"""Hand-written SQL read back into model instances exactly as the ORM builds them.

For the few statements on the hottest path (the live meeting's lock taken by every write, the roll
a roll-call mark reads): Django compiles a queryset anew on every call, ~0.5–0.8 ms for one with a
join on the machines of docs/bench.md, more than the query itself. Here the SQL is written once per
database (cached by the caller), and each row goes through the same converters the ORM applies
(SQLite's dates and booleans, JSON) and Model.from_db, so the instances are the ORM's: deferred
fields load on access, saving works, related instances are cached as select_related caches them.
Tests compare every instance built here with the ORM's own (chibo/core/tests/test_rawsql.py).

On PostgreSQL these statements are also *prepared* (settings.CHIBO_PG_PREPARE, on by default): sent
with their parameters apart, planned once per connection and re-executed by name. Planning the
roll-call mark's statement took ~0.5–0.7 ms on the 2-core machine of 02/12/2026, executing it 0.3
ms; prepared, the lock 0.72 -> 0.38 ms and the mark 1.09 -> 0.48 ms, and the whole mark service
4.7 -> 3.2 ms (scripts/ab_prepare.py; docs/bench.md, session 13). The meeting page's dues panel
(chibo.annual.selectors.meeting_dues: plain rows, no instances) uses cursor() too. Only these few statements, all
looked up by primary or foreign key: Django itself binds parameters in the client and never
prepares (a generic plan for the member list's `path LIKE $1` could not use the prefix index), and
so stays unchanged everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Field, Model


@dataclass(frozen=True)
class Shape:
    """The columns read for MODEL (all concrete fields, or the primary key and ONLY), in order."""

    model: type[Model]
    fields: tuple[Field[Any, Any], ...]
    _converters: dict[str, list[tuple[int, list[Callable[..., Any]], Any]]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @property
    def width(self) -> int:
        return len(self.fields)

    def columns(self, db: str, alias: str) -> str:
        """The select list for the table under ALIAS (quoted for DB)."""
        qn = connections[db].ops.quote_name
        return ", ".join(f"{alias}.{qn(f.column)}" for f in self.fields)  # type: ignore[arg-type]

    def converters(self, db: str) -> list[tuple[int, list[Callable[..., Any]], Any]]:
        """What SQLCompiler.get_converters gives for these columns on DB (per database: computed once)."""
        found = self._converters.get(db)
        if found is None:
            connection = connections[db]
            found = []
            for i, f in enumerate(self.fields):
                col = f.get_col(self.model._meta.db_table)
                convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if convs:
                    found.append((i, convs, col))
            self._converters[db] = found
        return found

    @cached_property
    def pk_index(self) -> int:
        pk = self.model._meta.pk
        return next(i for i, f in enumerate(self.fields) if f is pk)

    @cached_property
    def attnames(self) -> list[str]:
        return [f.attname for f in self.fields]

    def build(self, db: str, values: Sequence[Any]) -> Any:
        """An instance from VALUES (this shape's columns, as the driver returned them); None when
        its primary key is NULL (the missing side of a LEFT JOIN)."""
        if values[self.pk_index] is None:
            return None
        row = list(values)
        connection = connections[db]
        for i, convs, col in self.converters(db):
            value = row[i]
            for convert in convs:
                value = convert(value, col, connection)
            row[i] = value
        return self.model.from_db(db, self.attnames, row)


def column(model: type[Model], name: str | None = None) -> str:
    """The column of MODEL's field NAME (its primary key when None), for SQL written out."""
    found = model._meta.get_field(name).column if name else model._meta.pk.column  # type: ignore[union-attr]
    if not found:
        raise ValueError(f"{model.__name__}.{name} has no column")
    return found


def shape(model: type[Model], only: Iterable[str] | None = None) -> Shape:
    """MODEL's concrete fields in declaration order; ONLY: the primary key and these fields (the
    others deferred, as QuerySet.only() defers them)."""
    wanted = None if only is None else {model._meta.pk.name, *only}  # type: ignore[union-attr]
    fields = tuple(
        f for f in model._meta.concrete_fields if wanted is None or f.name in wanted or f.attname in wanted
    )
    return Shape(model=model, fields=fields)


@cache
def _prepared_cursor_class() -> type:
    """Django's server-binding psycopg cursor, its every statement prepared (psycopg keeps the
    names per connection; a ROLLBACK makes it deallocate them all and prepare again)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):  # type: ignore[misc, valid-type]
        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None) -> Any:
            return super().execute(query, params, prepare=True, binary=binary)  # type: ignore[misc]

    return PreparedCursor


def cursor(db: str) -> Any:
    """A cursor on DB as connections[DB].cursor() gives it (Django's checks, query logging,
    errors); on PostgreSQL with CHIBO_PG_PREPARE its statements are prepared (module docstring)."""
    wrapper = connections[db].cursor()
    if wrapper.db.vendor == "postgresql" and settings.CHIBO_PG_PREPARE:
        client = wrapper.cursor
        wrapper.cursor = _prepared_cursor_class()(client.connection)
        client.close()
    return wrapper


def rows(db: str, sql: str, params: Sequence[Any], shapes: Sequence[Shape]) -> list[tuple[Any, ...]]:
    """Run SQL on DB (prepared on PostgreSQL: cursor()); each row split along SHAPES (their
    columns in order) into instances."""
    with cursor(db) as c:
        c.execute(sql, params)
        fetched = c.fetchall()
    out = []
    for values in fetched:
        start, built = 0, []
        for s in shapes:
            built.append(s.build(db, values[start : start + s.width]))
            start += s.width
        out.append(tuple(built))
    return out
