"""Append-only audit log of every create/update/delete of guarded records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    CREATE = "create", "Tạo"
    UPDATE = "update", "Sửa"
    DELETE = "delete", "Xóa"
    MOVE = "move", "Chuyển"
    IMPORT = "import", "Nhập dữ liệu"
    EXPORT = "export", "Xuất dữ liệu"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("Nhật ký không thể sửa.")

    def delete(self):  # type: ignore[no-untyped-def]
        raise PermissionError("Nhật ký không thể xóa.")


class AuditEntry(models.Model):
    at = models.DateTimeField("thời điểm", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="người thực hiện", null=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField("hành động", max_length=10, choices=AuditAction.choices)
    object_type = models.CharField("loại", max_length=40)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField("đối tượng", max_length=255)
    # Path of the organisation the record belongs to: admins of that subtree see it.
    org_path = models.CharField(max_length=255, db_index=True, blank=True)
    changes = models.JSONField("thay đổi", default=dict)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "nhật ký"
        verbose_name_plural = "nhật ký"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise PermissionError("Nhật ký không thể sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("Nhật ký không thể xóa.")
