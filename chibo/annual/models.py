"""The member's year: commitment, shortcomings and their follow-up, annual review and rating
(members and the cell), dues ledger and remittance.

Levels, thresholds and dues rates are never stored here as rules: they come from the rulebook
recorded on the ReviewRound (rulebook_code/version), so changing a rulebook never rewrites a
decided year.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from chibo.members.models import Member
from chibo.organisations.models import Organisation


class CommitmentStatus(models.TextChoices):
    DRAFT = "draft", "Đang soạn"
    SUBMITTED = "submitted", "Đã gửi chi bộ"
    APPROVED = "approved", "Chi bộ đã duyệt"


class Commitment(models.Model):
    """Bản cam kết tu dưỡng, rèn luyện, phấn đấu: written by the member, approved by the cell."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="commitments")
    organisation = models.ForeignKey(
        Organisation, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("năm")
    political = models.TextField("về tư tưởng chính trị", blank=True)
    ethical = models.TextField("về phẩm chất đạo đức, lối sống", blank=True)
    professional = models.TextField("về chuyên môn, nghề nghiệp, công việc", blank=True)
    assigned_tasks = models.TextField("về nhiệm vụ được chi bộ phân công", blank=True)
    status = models.CharField(max_length=10, choices=CommitmentStatus.choices, default=CommitmentStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_note = models.CharField("ý kiến của chi bộ", max_length=500, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="one_commitment_per_year")]
        indexes = [models.Index(fields=["organisation", "year"])]

    def __str__(self) -> str:
        return f"Cam kết năm {self.year} — {self.member}"

    @property
    def is_locked(self) -> bool:
        return self.status == CommitmentStatus.APPROVED


class ShortcomingStatus(models.TextChoices):
    OPEN = "open", "Đang khắc phục"
    REMEDIED = "remedied", "Chi bộ xác nhận đã khắc phục"


class Shortcoming(models.Model):
    """A shortcoming raised in self-criticism and criticism, followed until the cell confirms it remedied."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="shortcomings"
    )
    member = models.ForeignKey(
        Member,
        verbose_name="đảng viên",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shortcomings",
        help_text="Để trống: hạn chế của tập thể chi bộ.",
    )
    year = models.PositiveSmallIntegerField("năm")
    text = models.TextField("hạn chế, khuyết điểm")
    raised_by = models.ForeignKey(
        Member, verbose_name="người nêu", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_by_name = models.CharField("người nêu (ngoài chi bộ)", max_length=255, blank=True)
    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name="buổi sinh hoạt",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shortcomings",
    )
    review = models.ForeignKey(
        "Review", null=True, blank=True, on_delete=models.SET_NULL, related_name="shortcomings_raised"
    )
    remedy_plan = models.TextField("kế hoạch khắc phục", blank=True)
    remedy_due = models.DateField("hạn khắc phục", null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ShortcomingStatus.choices, default=ShortcomingStatus.OPEN
    )
    remedied_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organisation", "status"]), models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_locked(self) -> bool:
        return self.status == ShortcomingStatus.REMEDIED

    @property
    def subject_name(self) -> str:
        return self.member.full_name if self.member is not None else f"Tập thể {self.organisation.name}"

    @property
    def raiser(self) -> str:
        if self.raised_by is not None:
            return self.raised_by.full_name
        return self.raised_by_name or "—"


class FollowUp(models.Model):
    shortcoming = models.ForeignKey(Shortcoming, on_delete=models.CASCADE, related_name="follow_ups")
    note = models.TextField("tiến độ khắc phục")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.note[:60]


class RoundStatus(models.TextChoices):
    OPEN = "open", "Đang kiểm điểm"
    PROPOSED = "proposed", "Đã đề nghị cấp trên"
    DECIDED = "decided", "Cấp trên đã quyết định"


class ReviewRound(models.Model):
    """One cell's year-end review: every member's review and the collective's."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="review_rounds"
    )
    year = models.PositiveSmallIntegerField("năm")
    status = models.CharField(max_length=10, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    rulebook_code = models.CharField(max_length=60)
    rulebook_version = models.PositiveIntegerField()
    held_on = models.DateField("ngày họp kiểm điểm", null=True, blank=True)
    place = models.CharField("địa điểm", max_length=255, blank=True)
    present_count = models.PositiveSmallIntegerField("số đảng viên có mặt", null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deciding_body = models.ForeignKey(
        Organisation,
        verbose_name="cấp ủy quyết định",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_note = models.TextField("ý kiến của cấp ủy cấp trên", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="one_review_round_per_year")
        ]
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"Kiểm điểm năm {self.year} — {self.organisation}"

    @property
    def is_locked(self) -> bool:
        return self.status == RoundStatus.DECIDED


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Chưa tự đánh giá"
    SELF_SUBMITTED = "self_submitted", "Đã tự đánh giá"
    ASSESSED = "assessed", "Chi bộ đã đánh giá"
    DECIDED = "decided", "Đã quyết định"


class Review(models.Model):
    """A member's (or, with member empty, the cell's) annual review and rating."""

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="reviews")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    # Self-assessment (by the member; for the cell, by the chi ủy).
    self_scores = models.JSONField(default=dict, blank=True)
    self_total = models.PositiveSmallIntegerField(null=True, blank=True)
    self_level = models.CharField(max_length=30, blank=True)
    strengths = models.TextField("ưu điểm", blank=True)
    weaknesses = models.TextField("hạn chế, khuyết điểm", blank=True)
    remedy = models.TextField("phương hướng khắc phục", blank=True)
    self_submitted_at = models.DateTimeField(null=True, blank=True)
    # The cell's assessment.
    cell_scores = models.JSONField(default=dict, blank=True)
    cell_total = models.PositiveSmallIntegerField(null=True, blank=True)
    cell_comment = models.TextField("nhận xét của chi bộ", blank=True)
    tasks_exceeding = models.PositiveSmallIntegerField("số nhiệm vụ vượt yêu cầu", default=0)
    disciplined = models.BooleanField("có tổ chức/cá nhân bị kỷ luật", default=False)
    # Gathered automatically (meetings, tasks, shortcomings, dues); refreshed until proposed.
    inputs = models.JSONField(default=dict, blank=True)
    inputs_at = models.DateTimeField(null=True, blank=True)
    computed_level = models.CharField(max_length=30, blank=True)
    computed_notes = models.JSONField(default=list, blank=True)
    proposed_level = models.CharField(max_length=30, blank=True)
    vote_for = models.PositiveSmallIntegerField(null=True, blank=True)
    vote_against = models.PositiveSmallIntegerField(null=True, blank=True)
    vote_base = models.PositiveSmallIntegerField(null=True, blank=True)
    vote_passed = models.BooleanField(null=True, blank=True)
    final_level = models.CharField(max_length=30, blank=True)
    decision_note = models.CharField("ý kiến của cấp trên", max_length=500, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "member"], name="one_review_per_member_round"),
            models.UniqueConstraint(
                fields=["round"], condition=Q(member__isnull=True), name="one_cell_review_per_round"
            ),
        ]

    def __str__(self) -> str:
        who = self.member.full_name if self.member is not None else f"Tập thể {self.round.organisation.name}"
        return f"Kiểm điểm năm {self.round.year} — {who}"

    @property
    def is_cell(self) -> bool:
        return self.member_id is None

    @property
    def subject(self) -> str:
        return "cell" if self.member_id is None else "member"

    @property
    def is_locked(self) -> bool:
        return self.status == ReviewStatus.DECIDED or self.round.status != RoundStatus.OPEN


class DuesProfile(models.Model):
    """A member's dues category and base (QĐ 342) from a month on; the rate comes from the rulebook.

    Effective-dated: the version in force for a month is the one with the latest ``valid_from``
    (always the 1st of a month) not after it, so a change of income re-prices only the months from
    the chosen month on and the months before keep the amount due under the version then in force."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="dues_profiles")
    valid_from = models.DateField("áp dụng từ tháng", default=dt.date(1930, 2, 1))
    category = models.CharField("đối tượng", max_length=20)
    base_income = models.PositiveIntegerField("thu nhập làm căn cứ (đồng/tháng)", default=0)
    fixed_amount = models.PositiveIntegerField("mức cố định (đồng/tháng)", null=True, blank=True)
    voluntary_amount = models.PositiveIntegerField("mức tự nguyện (đồng/tháng)", null=True, blank=True)
    voluntary_approved_at = models.DateTimeField(null=True, blank=True)
    voluntary_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "valid_from"], name="one_dues_profile_per_month")
        ]
        ordering = ["member_id", "valid_from"]

    def __str__(self) -> str:
        return f"Đảng phí — {self.member} (từ {self.valid_from:%m/%Y})"


class DuesPayment(models.Model):
    """Dues paid outside a meeting (late, in advance, by transfer). Dues collected at a meeting
    live on meetings.Attendance (dues_collected, dues_amount) and count for the meeting's month."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues_payments")
    organisation = models.ForeignKey(
        Organisation, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("năm")
    month = models.PositiveSmallIntegerField("tháng")
    amount = models.PositiveIntegerField("số tiền (đồng)")
    paid_on = models.DateField("ngày nộp")
    note = models.CharField("ghi chú", max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["year", "month", "id"]
        indexes = [models.Index(fields=["organisation", "year"])]

    def __str__(self) -> str:
        return f"{self.member} {self.month:02d}/{self.year}: {self.amount}"


class Remittance(models.Model):
    """Dues of one month remitted by the cell to the upper level."""

    organisation = models.ForeignKey(
        Organisation, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="remittances"
    )
    year = models.PositiveSmallIntegerField("năm")
    month = models.PositiveSmallIntegerField("tháng")
    amount = models.PositiveIntegerField("số tiền nộp cấp trên (đồng)")
    remitted_on = models.DateField("ngày nộp")
    note = models.CharField("ghi chú", max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year", "month"], name="one_remittance_per_month")
        ]
        ordering = ["year", "month"]

    def __str__(self) -> str:
        return f"Nộp cấp trên {self.month:02d}/{self.year} — {self.organisation}"

    @property
    def is_locked(self) -> bool:
        return self.confirmed_at is not None
