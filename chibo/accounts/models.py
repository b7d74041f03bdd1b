from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from chibo.accounts.permissions import Role


class User(AbstractUser):
    """A login. Linked to a member, or an officer of an upper committee (or both)."""

    member = models.OneToOneField(
        "members.Member", verbose_name="đảng viên", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="user",
    )
    display_name = models.CharField("họ và tên", max_length=120, blank=True)
    officer_title = models.CharField("chức danh (cán bộ cấp trên)", max_length=255, blank=True)
    two_factor_exempt = models.BooleanField(
        "miễn xác thực hai bước", default=False,
        help_text="Chỉ dùng cho tài khoản trình diễn hoặc trường hợp đặc biệt.",
    )

    class Meta:
        verbose_name = "tài khoản"
        verbose_name_plural = "tài khoản"

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "vai trò"
        verbose_name_plural = "vai trò"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="unique_role_assignment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organisation}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """Bearer token for /api/v1/. Only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls, user: User, *, lifetime_days: int = 30) -> tuple[ApiToken, str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            key_hash=hash_token(raw),
            prefix=raw[:8],
            expires_at=timezone.now() + dt.timedelta(days=lifetime_days),
        )
        return token, raw
