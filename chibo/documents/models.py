"""Official documents: resolution numbers per term, and year-of-minutes ZIP exports.

Documents themselves are not stored: every download is rendered from the meeting record
(approved → the frozen snapshot), so a document can never disagree with the record.
What is stored is what must not change or be computed twice: the number a resolution got
at approval (IssuedNumber, never reused) and the counter it was drawn from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from chibo.meetings.models import Meeting
from chibo.organisations.models import Organisation, Term


class NumberedType(models.TextChoices):
    RESOLUTION = "NQ", "Nghị quyết"
    CONCLUSION = "KL", "Kết luận"


class DocumentCounter(models.Model):
    """The last number issued for one document type of one cell within one scope (a term).

    Locked with SELECT … FOR UPDATE while a number is drawn, so concurrent approvals queue.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=40)  # "term:<id>", or "year:<yyyy>" when no term covers the day
    doc_type = models.CharField(max_length=4, choices=NumberedType.choices)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "scope", "doc_type"], name="one_counter_per_scope_type")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.scope} {self.doc_type}: {self.last_number}"


class IssuedNumber(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="issued_number")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    term = models.ForeignKey(Term, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    scope = models.CharField(max_length=40)
    doc_type = models.CharField(max_length=4, choices=NumberedType.choices)
    number = models.PositiveIntegerField()
    symbol = models.CharField(max_length=40)  # "07-NQ/CB"
    issued_on = models.DateField()
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "scope", "doc_type", "number"], name="number_never_reused"
            )
        ]
        ordering = ["organisation", "scope", "doc_type", "number"]

    def __str__(self) -> str:
        return f"Số {self.symbol}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Đang chờ"
    RUNNING = "running", "Đang tạo"
    DONE = "done", "Đã xong"
    FAILED = "failed", "Lỗi"


class BatchExport(models.Model):
    """A year of approved minutes of a cell (or of every cell under a commune) as one ZIP."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("năm")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Biên bản năm {self.year} — {self.organisation}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)
