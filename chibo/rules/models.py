"""Stored rulebook versions: provincial variants uploaded in the app, and every version that
judged a meeting (so a past meeting is always re-read with the rules it was held under)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
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
        return loader.parse_stored(self.text)


def uploaded_rulebooks(newest: dict[str, int] | None = None) -> dict[str, loader.Rulebook]:
    """The newest version of every uploaded variant (NEWEST: code -> version, when the caller read
    it): which they are is one small query; each version's text is read and parsed once per process
    (stored_version: rows never change). Until 07/12/2026 every call read and parsed every text."""
    if newest is None:
        newest = {}
        for code, version in RulebookRecord.objects.filter(is_variant=True).order_by().values_list("code", "version"):
            newest[code] = max(version, newest.get(code, version))
    out: dict[str, loader.Rulebook] = {}
    for code, version in sorted(newest.items()):
        book = stored_version(code, version)
        if book is not None:
            out[code] = book
    return out


# Stored versions never change: a (code, version) row is only ever created (save_variant makes a
# new version, remember() the first copy), so a version once read is kept for the process. This
# saves the query every meeting page and roll-call answer made to re-read its rulebook. A new row
# empties it (tests roll back and may store another text under the same code and version).
_STORED: dict[tuple[str, int], loader.Rulebook] = {}


def stored_version(code: str, version: int) -> loader.Rulebook | None:
    found = _STORED.get((code, version))
    if found is not None:
        return found
    record = RulebookRecord.objects.filter(code=code, version=version).first()
    if record is not None:
        book = record.parsed()
        _STORED[(code, version)] = book
        return book
    shipped = loader.load_files().get(code)
    if shipped is not None and shipped.version == version:
        return shipped
    return None


def remember(book: loader.Rulebook) -> None:
    """Keep the exact text of a rulebook version that judges a meeting."""
    import yaml

    if book.raw and not RulebookRecord.objects.filter(code=book.code, version=book.version).exists():
        RulebookRecord.objects.create(
            code=book.code, version=book.version, name=book.name,
            text=yaml.safe_dump(book.raw, allow_unicode=True, sort_keys=False), is_variant=False,
        )


@receiver([post_save, post_delete], sender=RulebookRecord)
def _forget_stored(**kwargs: object) -> None:
    _STORED.clear()
