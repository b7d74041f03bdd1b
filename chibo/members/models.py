"""Party members (đảng viên) and their membership history."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.db import models
from django.utils import timezone

from chibo.core import crypto, vntext
from chibo.organisations.models import Organisation


class Gender(models.TextChoices):
    MALE = "nam", "Nam"
    FEMALE = "nu", "Nữ"


class MemberStatus(models.TextChoices):
    FULL = "chinh_thuc", "Chính thức"
    PROBATIONARY = "du_bi", "Dự bị"


class PartyPosition(models.TextChoices):
    NONE = "", "—"
    SECRETARY = "bi_thu", "Bí thư"
    DEPUTY = "pho_bi_thu", "Phó Bí thư"
    COMMITTEE = "chi_uy_vien", "Chi ủy viên"
    GROUP_LEADER = "to_truong", "Tổ trưởng tổ đảng"
    GROUP_DEPUTY = "to_pho", "Tổ phó tổ đảng"


COMMITTEE_POSITIONS = frozenset(
    {PartyPosition.SECRETARY, PartyPosition.DEPUTY, PartyPosition.COMMITTEE}
)


class TempDirection(models.TextChoices):
    NONE = "", "—"
    INCOMING = "den", "Sinh hoạt tạm thời tại chi bộ (từ nơi khác đến)"
    OUTGOING = "di", "Sinh hoạt tạm thời nơi khác (đi)"


@lru_cache(maxsize=16384)  # full names repeat a lot (imports of whole provinces)
def derived_name_fields(full_name: str) -> tuple[str, str, str, str, str, str, str]:
    """Cleaned full name, family / middle / given name, sort key, search forms."""
    name = vntext.clean(full_name)
    family, middle, given = vntext.split_name(name)
    return (
        name,
        family,
        middle,
        given,
        vntext.name_sort_key(name),
        vntext.fold(name)[:255],
        vntext.strip_diacritics(name)[:255],
    )


# Member attributes derived_name_fields fills, in its order.
DERIVED_NAME_ATTRS = (
    "full_name",
    "family_name",
    "middle_name",
    "given_name",
    "sort_key",
    "search_folded",
    "search_ascii",
)


def cccd_columns(value: str, *, token: str = "", digest: str = "") -> tuple[str, str | None, str]:
    """(cccd_encrypted, cccd_hash, cccd_last4) for a CCCD, as Member stores them.

    TOKEN / DIGEST: the encryption / blind index of this very value when the caller
    already has them (the member import encrypts each CCCD once, at the preview)."""
    value = (value or "").strip()
    encrypted = (token or crypto.encrypt(value)) if value else ""
    return encrypted, (digest or crypto.blind_index(value)) or None, value[-4:] if value else ""


class Member(models.Model):
    full_name = models.CharField("họ và tên", max_length=120)
    family_name = models.CharField(max_length=40, editable=False, default="")
    middle_name = models.CharField(max_length=80, editable=False, default="")
    given_name = models.CharField(max_length=40, editable=False, default="")
    sort_key = models.CharField(max_length=255, editable=False, default="", db_index=True)
    search_folded = models.CharField(max_length=255, editable=False, default="")
    search_ascii = models.CharField(max_length=255, editable=False, default="")

    birth_date = models.DateField("ngày sinh", null=True, blank=True)
    gender = models.CharField("giới tính", max_length=3, choices=Gender.choices, blank=True)
    ethnicity = models.CharField("dân tộc", max_length=40, blank=True, default="Kinh")
    hometown = models.CharField("quê quán", max_length=255, blank=True)
    residence = models.CharField("nơi ở", max_length=255, blank=True)
    admission_date = models.DateField("ngày vào Đảng", null=True, blank=True)
    official_date = models.DateField("ngày chính thức", null=True, blank=True)
    card_number = models.CharField(
        "số thẻ đảng viên", max_length=20, unique=True, null=True, blank=True
    )
    cccd_encrypted = models.TextField(blank=True, default="", editable=False)
    cccd_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    cccd_last4 = models.CharField(max_length=4, blank=True, default="", editable=False)
    phone = models.CharField("điện thoại", max_length=20, blank=True)
    email = models.EmailField("email", blank=True)

    party_position = models.CharField(
        "chức vụ đảng", max_length=20, choices=PartyPosition.choices, blank=True, default=""
    )
    government_position = models.CharField(
        "chức vụ chính quyền/đoàn thể", max_length=255, blank=True
    )
    status = models.CharField(
        "trạng thái", max_length=12, choices=MemberStatus.choices, default=MemberStatus.FULL
    )
    exempt_from = models.DateField("miễn công tác và sinh hoạt từ ngày", null=True, blank=True)
    temp_direction = models.CharField(
        "sinh hoạt tạm thời", max_length=3, choices=TempDirection.choices, blank=True, default=""
    )
    temp_other_cell = models.CharField("chi bộ nơi đi/đến", max_length=255, blank=True)
    temp_from = models.DateField("sinh hoạt tạm thời từ ngày", null=True, blank=True)
    temp_to = models.DateField("sinh hoạt tạm thời đến ngày", null=True, blank=True)
    suspended_from = models.DateField("đình chỉ sinh hoạt từ ngày", null=True, blank=True)
    special_duty = models.BooleanField(
        "lực lượng vũ trang làm nhiệm vụ đặc biệt", default=False
    )

    organisation = models.ForeignKey(
        Organisation, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="members"
    )
    party_group = models.ForeignKey(
        Organisation, verbose_name="tổ đảng", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="group_members",
    )
    left_at = models.DateField("ngày ra khỏi danh sách", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "đảng viên"
        verbose_name_plural = "đảng viên"
        ordering = ["sort_key", "id"]
        indexes = [
            models.Index(fields=["organisation", "sort_key"]),
            models.Index(fields=["search_ascii"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    # Derived columns ------------------------------------------------------
    def refresh_derived(self) -> None:
        (
            self.full_name,
            self.family_name,
            self.middle_name,
            self.given_name,
            self.sort_key,
            self.search_folded,
            self.search_ascii,
        ) = derived_name_fields(self.full_name)

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.refresh_derived()
        if self.card_number == "":
            self.card_number = None
        super().save(*args, **kwargs)

    # Sensitive CCCD -------------------------------------------------------
    @property
    def cccd(self) -> str:
        return crypto.decrypt(self.cccd_encrypted)

    def set_cccd(self, value: str) -> None:
        self.cccd_encrypted, self.cccd_hash, self.cccd_last4 = cccd_columns(value)

    @property
    def cccd_masked(self) -> str:
        return crypto.mask(self.cccd_last4)

    # Flags the rules count -----------------------------------------------
    def is_exempt(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.exempt_from is not None and self.exempt_from <= on

    def is_suspended(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.suspended_from is not None and self.suspended_from <= on

    def is_temporarily_away(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return (
            self.temp_direction == TempDirection.OUTGOING
            and (self.temp_from is None or self.temp_from <= on)
            and (self.temp_to is None or on <= self.temp_to)
        )

    @property
    def is_full(self) -> bool:
        return self.status == MemberStatus.FULL

    def flags(self, on: dt.date | None = None) -> list[str]:
        return standing_flags(
            on or timezone.localdate(), exempt_from=self.exempt_from, temp_direction=self.temp_direction,
            temp_from=self.temp_from, temp_to=self.temp_to, suspended_from=self.suspended_from,
            special_duty=self.special_duty,
        )


def standing_flags(
    on: dt.date, *, exempt_from: dt.date | None, temp_direction: str, temp_from: dt.date | None,
    temp_to: dt.date | None, suspended_from: dt.date | None, special_duty: bool,
) -> list[str]:
    """The member's standing on ON as short labels (Member.flags; the member list calls it on plain
    column values instead of model instances)."""
    out = []
    if exempt_from is not None and exempt_from <= on:
        out.append("Miễn sinh hoạt")
    if temp_direction == TempDirection.INCOMING:
        out.append("Sinh hoạt tạm thời (đến)")
    if (
        temp_direction == TempDirection.OUTGOING
        and (temp_from is None or temp_from <= on)
        and (temp_to is None or on <= temp_to)
    ):
        out.append("Sinh hoạt tạm thời nơi khác")
    if suspended_from is not None and suspended_from <= on:
        out.append("Đình chỉ sinh hoạt")
    if special_duty:
        out.append("LLVT nhiệm vụ đặc biệt")
    return out


class Membership(models.Model):
    """Which cell (and tổ đảng) a member belonged to, from when to when."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    party_group = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start = models.DateField("từ ngày")
    end = models.DateField("đến ngày", null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        indexes = [models.Index(fields=["organisation", "start", "end"])]


class ImportBatch(models.Model):
    """One uploaded member file: parsed rows and their problems, applied at most once.

    `rows` holds the values read from the file keyed by Member field (text as typed;
    the CCCD only as an encrypted token, dropped once the batch is applied or
    cancelled). `errors` maps the spreadsheet row number (header = 1) to messages.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Chờ xác nhận"
        APPLIED = "applied", "Đã nhập"
        CANCELLED = "cancelled", "Đã hủy"

    # "accounts.User" is settings.AUTH_USER_MODEL (kept literal: this module does not
    # import settings).
    created_by = models.ForeignKey(
        "accounts.User", verbose_name="người nhập", on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name="tổ chức mặc định",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_name = models.CharField("tên tệp", max_length=255)
    file_format = models.CharField("định dạng", max_length=4)
    status = models.CharField("trạng thái", max_length=10, choices=Status.choices, default=Status.PENDING)
    rows = models.JSONField("các dòng", default=list)
    errors = models.JSONField("lỗi", default=dict)
    row_count = models.PositiveIntegerField("số dòng", default=0)
    error_count = models.PositiveIntegerField("số dòng có lỗi", default=0)
    applied_count = models.PositiveIntegerField("số đảng viên đã nhập", default=0)
    created_at = models.DateTimeField("lúc tải lên", auto_now_add=True)
    applied_at = models.DateTimeField("lúc nhập", null=True, blank=True)

    class Meta:
        verbose_name = "lô nhập đảng viên"
        verbose_name_plural = "lô nhập đảng viên"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Nhập {self.file_name} ({self.created_at:%d/%m/%Y %H:%M})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def problem_lines(self) -> list[str]:
        """Every problem as "Dòng N: message", in row order."""
        return [
            f"Dòng {line}: {message}"
            for line, messages in sorted(self.errors.items(), key=lambda item: int(item[0]))
            for message in messages
        ]
