"""The Party organisation tree.

The tree is stored as a materialised path (`path` = "/1/7/42/"), so "everything
in this subtree" is one indexed prefix query at any depth, and moving a subtree
is a single UPDATE. Province scale (tens of thousands of nodes) is the design
target: no recursive queries on hot paths.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from chibo.core import vntext


class OrgKind(models.TextChoices):
    PROVINCE = "dang_bo_tinh", "Đảng bộ tỉnh/thành phố"
    COMMUNE = "dang_uy_xa", "Đảng bộ xã/phường/đặc khu"
    GRASSROOTS = "dang_bo_co_so", "Đảng bộ cơ sở"
    CELL_GRASSROOTS = "chi_bo_co_so", "Chi bộ cơ sở"
    CELL = "chi_bo", "Chi bộ trực thuộc"
    GROUP = "to_dang", "Tổ đảng"
    OTHER = "dang_bo", "Đảng bộ khác"


def new_rev() -> int:
    return secrets.randbits(31)


def new_activity_rev() -> int:
    return secrets.randbits(62)


CELL_KINDS = frozenset({OrgKind.CELL, OrgKind.CELL_GRASSROOTS})


class Organisation(models.Model):
    name = models.CharField("tên", max_length=255)
    kind = models.CharField("loại", max_length=20, choices=OrgKind.choices)
    code = models.CharField(
        "mã", max_length=40, unique=True, null=True, blank=True,
        help_text="Mã ngắn, dùng khi nhập dữ liệu (không bắt buộc).",
    )
    parent = models.ForeignKey(
        "self", verbose_name="cấp trên", null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    supervisor = models.ForeignKey(
        "self", verbose_name="cấp ủy cấp trên theo dõi", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="supervised",
        help_text="Để trống: cấp trên trực tiếp.",
    )
    rulebook_code = models.CharField(
        "bộ quy tắc", max_length=60, blank=True,
        help_text="Để trống: dùng bộ quy tắc của cấp trên.",
    )
    address = models.CharField("địa điểm sinh hoạt", max_length=255, blank=True)
    # Unknown (blank) = existed before any period looked at. Oversight counts meetings a cell
    # owed only from its founding month.
    founded_on = models.DateField("ngày thành lập", null=True, blank=True)
    sort_key = models.CharField(max_length=255, editable=False, default="")
    search_ascii = models.CharField(max_length=255, editable=False, default="", db_index=True)
    search_folded = models.CharField(max_length=255, editable=False, default="")
    is_active = models.BooleanField("đang hoạt động", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # a new random value on every write (save, move): COUNT + SUM(rev) of a subtree tells a reader
    # whether anything in it changed, whatever order transactions commit in (dashboard memo)
    rev = models.PositiveIntegerField(default=new_rev, editable=False)
    # a new random value whenever something a meeting page shows beside its record changes for this
    # cell (dues, shortcomings, guidance, visits, peer scoring, model meetings, names, rulebook):
    # set by save() and by chibo.organisations.activity.touch_*; the meeting page's panels are
    # cached under it (chibo/meetings/panel_cache.py)
    activity_rev = models.BigIntegerField(default=new_activity_rev, editable=False)

    class Meta:
        verbose_name = "tổ chức đảng"
        verbose_name_plural = "tổ chức đảng"
        ordering = ["path"]
        indexes = [
            models.Index(fields=["parent", "sort_key"]),
            # the dashboards' fingerprint of a subtree (COUNT + SUM(rev) under a path) read from the index
            # alone (oversight.dashboard._fingerprint); varchar_pattern_ops: PostgreSQL's LIKE 'prefix%'
            models.Index(fields=["path", "rev"], opclasses=["varchar_pattern_ops", "int4_ops"], name="org_path_rev"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cell(self) -> bool:
        return self.kind in CELL_KINDS

    @property
    def is_group(self) -> bool:
        return self.kind == OrgKind.GROUP

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent (not including self)."""
        ids = [int(p) for p in self.path.strip("/").split("/") if p]
        return ids[:-1]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.rev, self.activity_rev = new_rev(), new_activity_rev()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "rev", "activity_rev"}
        self.name = vntext.clean(self.name)
        self.sort_key = org_sort_key(self.name)
        self.search_ascii = vntext.strip_diacritics(self.name)[:255]
        self.search_folded = vntext.fold(self.name)[:255]
        super().save(*args, **kwargs)
        expected = (self.parent.path if self.parent_id and self.parent else "/") + f"{self.pk}/"
        if self.path != expected:
            self.path = expected
            self.depth = expected.count("/") - 2
            type(self).objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)


def is_root_path(path: str) -> bool:
    """'/1/' (a tree's root: its subtree is most of the database), not '/1/2/'."""
    return path.count("/") <= 2


def in_subtree(path: str, prefix: str = "", *, indexed: bool = True) -> models.Q:
    """Q for the organisations (or rows related to them through PREFIX, e.g. "organisation__") whose
    path starts with PATH, i.e. PATH's subtree.

    PostgreSQL: LIKE 'path%' (its varchar_pattern_ops index serves it). SQLite: the same rows as a
    range, path >= '/1/2/' AND path < '/1/20', because SQLite never uses an index for LIKE … ESCAPE:
    its planner then starts from every meeting of the database in the period instead of the
    subtree's cells (a commune of a 10,000-cell province: 530 ms → 3 ms). The range is only right
    under SQLite's default BINARY collation; PostgreSQL's collation may not order byte by byte.
    INDEXED=False keeps LIKE on SQLite too, for a subtree that is most of the database (a province),
    where walking another index (meetings by score) and testing the path row by row is cheaper."""
    if indexed and connection.vendor == "sqlite" and path:
        after = path[:-1] + chr(ord(path[-1]) + 1)
        return models.Q(**{f"{prefix}path__gte": path, f"{prefix}path__lt": after})
    return models.Q(**{f"{prefix}path__startswith": path})


def under(path: str, prefix: str = "") -> models.Q:
    """in_subtree for list filters: a range below a root, LIKE for a root's subtree (most of the
    database: the list's own sort index should lead)."""
    return in_subtree(path, prefix, indexed=not is_root_path(path))


def org_sort_key(name: str) -> str:
    return "00".join(vntext.word_key(w) for w in vntext.clean(name).split(" "))[:255]


class Term(models.Model):
    """Nhiệm kỳ: documents are numbered per term."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField("tên nhiệm kỳ", max_length=60)
    start = models.DateField("từ ngày")
    end = models.DateField("đến ngày")

    class Meta:
        verbose_name = "nhiệm kỳ"
        verbose_name_plural = "nhiệm kỳ"
        ordering = ["-start"]

    def __str__(self) -> str:
        return self.name

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class OrganisationMove(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="moves")
    from_parent = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_parent = models.ForeignKey(
        Organisation, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_parent_name = models.CharField(max_length=255, blank=True)
    to_parent_name = models.CharField(max_length=255, blank=True)
    moved_at = models.DateTimeField(default=timezone.now)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField("ghi chú", max_length=255, blank=True)

    class Meta:
        ordering = ["-moved_at"]
