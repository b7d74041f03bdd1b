"""The upper committee's side: guidance, officers attending meetings, inspection, peer scoring,
model meetings. Dashboards read pre-aggregated summaries (CellMonth, MemberMonth: chibo.oversight.summaries)
of the figures frozen on each approved Meeting (fig_* and snapshot).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from chibo.meetings.models import AgendaItem, Guest, Meeting
from chibo.members.models import Member
from chibo.organisations.models import Organisation


# --- monthly content guidance (định hướng sinh hoạt) ----------------------------------
class Guidance(models.Model):
    committee = models.ForeignKey(
        Organisation, verbose_name="cấp ủy ban hành", on_delete=models.CASCADE, related_name="guidance_issued"
    )
    year = models.PositiveSmallIntegerField("năm")
    month = models.PositiveSmallIntegerField("tháng")
    title = models.CharField("tiêu đề", max_length=255)
    body = models.TextField("nội dung định hướng", blank=True)
    all_cells = models.BooleanField("gửi mọi chi bộ trực thuộc", default=True)
    cells = models.ManyToManyField(
        Organisation, verbose_name="chi bộ nhận", blank=True, related_name="guidance_received"
    )
    published_at = models.DateTimeField("ban hành lúc", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "-month", "-id"]
        indexes = [models.Index(fields=["committee", "year", "month"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.month:02d}/{self.year})"


class GuidanceKind(models.TextChoices):
    TOPIC = "topic", "Nội dung sinh hoạt"
    DOCUMENT = "document", "Văn bản cần quán triệt"


class GuidanceItem(models.Model):
    guidance = models.ForeignKey(Guidance, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField("loại", max_length=10, choices=GuidanceKind.choices, default=GuidanceKind.TOPIC)
    title = models.CharField("nội dung", max_length=255)
    document_ref = models.CharField("số, ký hiệu văn bản", max_length=120, blank=True)
    deadline = models.DateField("hạn thực hiện", null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class Adoption(models.Model):
    """A cell put a guidance item on a meeting's agenda (through meetings.services.add_item)."""

    item = models.ForeignKey(GuidanceItem, on_delete=models.CASCADE, related_name="adoptions")
    cell = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guidance_adoptions")
    agenda_item = models.ForeignKey(AgendaItem, null=True, on_delete=models.SET_NULL, related_name="+")
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    adopted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "cell"], name="one_adoption_per_cell")]


# --- officers attending cell meetings (lịch dự sinh hoạt chi bộ) ----------------------
class OfficerVisit(models.Model):
    committee = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="officer_visits")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="cán bộ dự",
        on_delete=models.CASCADE,
        related_name="officer_visits",
    )
    cell = models.ForeignKey(
        Organisation, verbose_name="chi bộ", on_delete=models.CASCADE, related_name="officer_visits_received"
    )
    year = models.PositiveSmallIntegerField("năm")
    month = models.PositiveSmallIntegerField("tháng")
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="officer_visits"
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField("đã dự", null=True)
    remarks = models.TextField("ý kiến phát biểu, nhận xét", blank=True)
    guest = models.ForeignKey(Guest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["year", "month", "cell__sort_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["officer", "cell", "year", "month"], name="one_visit_per_officer_cell_month"
            )
        ]
        indexes = [models.Index(fields=["committee", "year", "month"])]


# --- inspection and supervision programme (chương trình kiểm tra, giám sát) -----------
class InspectionProgramme(models.Model):
    committee = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="inspection_programmes"
    )
    year = models.PositiveSmallIntegerField("năm")
    title = models.CharField("tên chương trình", max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["committee", "year"], name="one_programme_per_year")]

    def __str__(self) -> str:
        return self.title


class InspectionKind(models.TextChoices):
    INSPECT = "kiem_tra", "Kiểm tra"
    SUPERVISE = "giam_sat", "Giám sát"


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", "Theo kế hoạch"
    CONCLUDED = "concluded", "Đã kết luận"


class InspectionItem(models.Model):
    programme = models.ForeignKey(InspectionProgramme, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(
        "hình thức", max_length=10, choices=InspectionKind.choices, default=InspectionKind.INSPECT
    )
    subject_cell = models.ForeignKey(
        Organisation,
        verbose_name="chi bộ được kiểm tra",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    subject_member = models.ForeignKey(
        Member,
        verbose_name="đảng viên được kiểm tra",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    content = models.TextField("nội dung")
    period_from = models.DateField("từ ngày")
    period_to = models.DateField("đến ngày")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="cán bộ phụ trách",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=10, choices=InspectionStatus.choices, default=InspectionStatus.PLANNED
    )
    result = models.TextField("kết quả", blank=True)
    conclusion = models.TextField("kết luận", blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["period_from", "id"]

    def __str__(self) -> str:
        return self.content[:80]

    @property
    def subject_path(self) -> str:
        return (self.subject_cell or self.subject_member.organisation).path  # type: ignore[union-attr]


class Recommendation(models.Model):
    item = models.ForeignKey(InspectionItem, on_delete=models.CASCADE, related_name="recommendations")
    text = models.TextField("kiến nghị")
    due_date = models.DateField("hạn khắc phục", null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class FollowUp(models.Model):
    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="follow_ups")
    note = models.TextField("kết quả thực hiện")
    done = models.BooleanField("đã hoàn thành", default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


# --- peer evaluation between cells ----------------------------------------------------
class PeerPairing(models.Model):
    """SCORER cell scores SCORED cell's meetings of YEAR/MONTH with the same scorecard."""

    committee = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="peer_pairings")
    year = models.PositiveSmallIntegerField("năm")
    month = models.PositiveSmallIntegerField("tháng")
    scorer_cell = models.ForeignKey(
        Organisation, verbose_name="chi bộ chấm", on_delete=models.CASCADE, related_name="peer_scoring"
    )
    scored_cell = models.ForeignKey(
        Organisation, verbose_name="chi bộ được chấm", on_delete=models.CASCADE, related_name="peer_scored"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["year", "month", "scored_cell__sort_key"]
        constraints = [
            models.UniqueConstraint(fields=["scored_cell", "year", "month"], name="one_peer_per_cell_month")
        ]


# --- model meetings (sinh hoạt chi bộ mẫu) --------------------------------------------
class ModelMeeting(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="model_mark")
    committee = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="model_meetings")
    note = models.TextField("vì sao là buổi mẫu", blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-marked_at"]


# --- pre-aggregated dashboard figures (chibo.oversight.summaries writes them) -----------------
class MonthFigures(models.Model):
    """The summable figures of some cells' meetings in one local month (summaries.SUMS names them)."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    ym = models.PositiveIntegerField()  # year * 100 + month, for range filters
    held = models.PositiveIntegerField(default=0)  # in progress, closed or approved, any kind
    held_regular = models.PositiveIntegerField(default=0)
    held_thematic = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    base = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    score_sum = models.IntegerField(default=0)
    score_n = models.PositiveIntegerField(default=0)
    breaches = models.PositiveIntegerField(default=0)
    scored = models.PositiveIntegerField(default=0)  # approved meetings with a cell score sheet
    lost_preparation = models.IntegerField(default=0)
    lost_participation = models.IntegerField(default=0)
    lost_chairing = models.IntegerField(default=0)
    lost_content = models.IntegerField(default=0)
    lost_follow_up = models.IntegerField(default=0)
    # {"grades": grade -> approved meetings, "rates": floor(attendance %) -> approved meetings with a
    #  base, "breaches": breach code -> approved meetings with it} (one JSON value: one decode per row)
    counts = models.JSONField(default=dict)

    class Meta:
        abstract = True


def new_stamp() -> int:
    return secrets.randbits(62)


class CellMonth(MonthFigures):
    """One cell's meetings in one local month, summed: what the dashboards read at commune level.
    Written in the transaction that starts or approves a meeting (summaries.refresh_for) and
    re-derivable from the meetings (`manage.py rebuild_summaries`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    thematic_before = models.PositiveIntegerField(default=0)  # held in the quarter's earlier months
    last_regular = models.PositiveIntegerField(null=True)  # meeting id of the month's last held regular one
    last_regular_status = models.CharField(max_length=20, blank=True)
    last_regular_grade = models.CharField(max_length=20, blank=True)
    last_regular_score = models.IntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "ym"], name="uniq_cellmonth"),
        ]


class OrgMonth(MonthFigures):
    """The roll-up: the CellMonth rows of every cell below ORGANISATION (any level above a cell) in one
    month, summed, plus the cells that held a regular meeting and the cells that held their quarter's
    first thematic meeting (what a rulebook of one regular meeting a month and one thematic meeting a
    quarter counts). Kept in the same transaction as the CellMonth rows (summaries.refresh, moves) and
    re-derived by `rebuild_summaries`; the dashboards above commune level read it instead of one row
    per cell."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    cells_regular = models.PositiveIntegerField(default=0)
    cells_thematic = models.PositiveIntegerField(default=0)
    # a new random value whenever the row is written: the (ym, stamp) pairs of an organisation's
    # months change whenever a CellMonth / MemberMonth row below changes (dashboard memo)
    stamp = models.BigIntegerField(default=new_stamp)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "ym"], name="uniq_orgmonth"),
        ]


class MemberMonth(models.Model):
    """One member's absences in one cell's approved meetings of one month — written only for months
    with an absence (with or without reason): unexcused absences, and the excused-absence runs as a
    segment (leading, trailing, longest, whether nothing in the month broke a run), plus `joined`:
    nothing broke a run between the member's previous row of the same cell-year and this one, so
    runs can be chained across months (exempt / away neither break nor extend a run)."""

    cell = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    member_id = models.PositiveIntegerField()
    name = models.CharField(max_length=255)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    ym = models.PositiveIntegerField()
    unexcused = models.PositiveIntegerField(default=0)
    lead = models.PositiveIntegerField(default=0)
    trail = models.PositiveIntegerField(default=0)
    best = models.PositiveIntegerField(default=0)
    unbroken = models.BooleanField(default=True)
    joined = models.BooleanField(default=False)
    # the longest excused run ending in this month, chained from the cell-year's first row: a member
    # with no unexcused absence and no run above the limit in a period cannot be flagged there
    run = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cell", "member_id", "ym"], name="uniq_membermonth"),
        ]
        indexes = [
            models.Index(fields=["cell", "ym"], name="membermonth_cell_ym"),
            # the members who can be flagged (few rows): some unexcused absence, or a long run
            models.Index(fields=["unexcused", "ym"], name="membermonth_unexcused"),
            models.Index(fields=["run", "ym"], name="membermonth_run"),
            # every row of those members in the period (the dashboard's members table)
            models.Index(fields=["member_id", "ym"], name="membermonth_member_ym"),
        ]
