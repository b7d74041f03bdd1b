"""Stored rulebook versions: provincial variants uploaded in the app, and every version that
judged a meeting (so a past meeting is always re-read with the rules it was held under)."""

from __future__ import annotations

import functools

from django.conf import settings
from django.db import models
from django.utils import timezone

from chibo.rules import loader


class RulebookRecord(models.Model):
    code = models.CharField("mã", max_length=60)
    version = models.PositiveIntegerField("phiên bản")
    name = models.CharField("tên", max_length=255)
    text = models.TextField("nội dung YAML")
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="cấp ủy ban hành", null=True, blank=True,
        on_delete=models.PROTECT, related_name="rulebooks",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Uploaded variants are offered for selection; snapshots of shipped files are not.
    is_variant = models.BooleanField(default=True)

    class Meta:
        verbose_name = "bộ quy tắc"
        verbose_name_plural = "bộ quy tắc"
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="unique_rulebook_version")]
        ordering = ["code", "-version"]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def parsed(self) -> loader.Rulebook:
        return _parse_text(self.text)


# A stored version never changes, and Rulebook is frozen: parse each text once per process
# (parsing the YAML took about half of the meeting page's time; found by `make bench`).
_parse_text = functools.lru_cache(maxsize=128)(loader.parse)


def uploaded_rulebooks() -> dict[str, loader.Rulebook]:
    """The newest version of every uploaded variant."""
    out: dict[str, loader.Rulebook] = {}
    for record in RulebookRecord.objects.filter(is_variant=True).order_by("code", "-version"):
        if record.code not in out:
            out[record.code] = record.parsed()
    return out


def stored_version(code: str, version: int) -> loader.Rulebook | None:
    record = RulebookRecord.objects.filter(code=code, version=version).first()
    if record is not None:
        return record.parsed()
    book = loader.load_files().get(code)
    if book is not None and book.version == version:
        return book
    return None


def remember(book: loader.Rulebook) -> None:
    """Keep the exact text of a rulebook version that judges a meeting."""
    import yaml

    if book.raw and not RulebookRecord.objects.filter(code=book.code, version=book.version).exists():
        RulebookRecord.objects.create(
            code=book.code, version=book.version, name=book.name,
            text=yaml.safe_dump(book.raw, allow_unicode=True, sort_keys=False), is_variant=False,
        )
