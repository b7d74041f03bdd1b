"""A paginator whose count stays cheap however many rows the scope holds.

Django's Paginator counts every matching row to print "N rows, page x/y": for a province officer's
member list that is every member of the province (a COUNT over 190,000 rows at 10,000 cells, the
page's largest cost, growing with the province). CappedPaginator counts at most CAP + 1 rows
(`SELECT COUNT(*) FROM (… LIMIT CAP + 1)`); when there are more, the page says "hơn CAP" and shows
its number without the total. Asking for a page that reaches the cap (rare: nobody pages that deep,
one filters) counts exactly, so every page shows the right rows and knows whether a next one exists.
On PostgreSQL the count and the page go to the server together (one round trip, not two).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models.query import QuerySet, ValuesListIterable

COUNT_CAP = 1000  # rows counted before the list says "hơn 1.000"


def vn_int(n: int) -> str:
    """1234567 → '1.234.567' (Vietnamese digit grouping)."""
    return f"{n:,}".replace(",", ".")


class CappedPaginator(Paginator):
    def __init__(self, object_list: Any, per_page: int, *, cap: int | None = None, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self.exact = True

    def _ids(self) -> Any:
        rows = self.object_list
        if hasattr(rows, "order_by"):  # a queryset: count ids in any order, without the joined columns
            rows = rows.order_by().values("pk")
        return rows

    @cached_property
    def count(self) -> int:
        n = self._ids()[: self.cap + 1].count()
        self.exact = n <= self.cap
        return n

    def _count_exactly(self) -> None:
        self.__dict__["count"] = self._ids().count()
        self.__dict__.pop("num_pages", None)
        self.exact = True

    def validate_number(self, number: Any) -> int:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 0
        capped = self.count > self.cap and not self.exact  # (reading count sets exact)
        if capped and wanted * self.per_page >= self.cap:
            self._count_exactly()  # the page would end at the capped count: know the real one
        return super().validate_number(number)

    def get_page(self, number: Any) -> Page:
        return self._count_and_page(number) or super().get_page(number)

    def _count_and_page(self, number: Any) -> Page | None:
        """On PostgreSQL, the capped count and the page asked for in one round trip: the two
        statements sent together (psycopg's client-side binding cursor runs both and keeps both
        results; the rows go through the ORM's converters, as values_list gives them). Only for
        a values_list() queryset and a page short of the cap; None otherwise (the usual way)."""
        rows = self.object_list
        if (
            not isinstance(rows, QuerySet)
            or rows._iterable_class is not ValuesListIterable
            or "count" in self.__dict__
            or rows.query.extra_select
            or rows.query.annotation_select
            or rows.query.is_sliced
            or connections[rows.db].vendor != "postgresql"
            # (a server-side binding cursor, if configured, takes one statement at a time)
            or connections[rows.db].settings_dict["OPTIONS"].get("server_side_binding") is True
        ):
            return None
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1  # (as get_page: not a number → the first page)
        if wanted < 1 or wanted * self.per_page >= self.cap:
            return None
        connection = connections[rows.db]
        offset = (wanted - 1) * self.per_page
        compiler = rows[offset : offset + self.per_page].query.get_compiler(using=rows.db)
        page_sql, page_params = compiler.as_sql()
        count_sql, count_params = self._ids()[: self.cap + 1].query.get_compiler(using=rows.db).as_sql()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({count_sql}) c; {page_sql}", (*count_params, *page_params))
            count = cursor.fetchone()[0]
            cursor.nextset()
            fetched = cursor.fetchall()
        self.__dict__["count"] = count
        self.exact = count <= self.cap
        try:
            if self.validate_number(wanted) != wanted:
                return None
        except EmptyPage:
            return None  # beyond the last page: the usual way (the count is kept)
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        if converters:
            fetched = [tuple(r) for r in compiler.apply_converters(fetched, converters)]
        return self._get_page(fetched, wanted, self)

    @property
    def count_label(self) -> str:
        """'1.234' or, beyond the cap, 'hơn 1.000'."""
        return vn_int(self.count) if self.exact else f"hơn {vn_int(self.cap)}"
