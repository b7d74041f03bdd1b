"""Cell meetings from plan to locked minutes.

Lifecycle: planned → published (notice + documents) → in_progress → closed (minutes read
back) → approved (locked). Approved meetings are immutable; corrections are Amendments.
At approval a snapshot and per-meeting figures are stored, so dashboards aggregate
meetings, never attendance rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from chibo.members.models import Member
from chibo.organisations.models import Organisation
from chibo.rules import engine


class MeetingKind(models.TextChoices):
    REGULAR = "regular", "Sinh hoạt thường kỳ"
    THEMATIC = "thematic", "Sinh hoạt chuyên đề"
    COMBINED = "combined", "Thường kỳ kết hợp chuyên đề"
    EXTRAORDINARY = "extraordinary", "Sinh hoạt bất thường"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "Kế hoạch"
    PUBLISHED = "published", "Đã thông báo"
    IN_PROGRESS = "in_progress", "Đang họp"
    CLOSED = "closed", "Đã kết thúc, chờ duyệt"
    APPROVED = "approved", "Đã duyệt biên bản"


class AttendanceStatus(models.TextChoices):
    PRESENT = engine.PRESENT, "Có mặt"
    ABSENT_EXCUSED = engine.ABSENT_EXCUSED, "Vắng có lý do"
    ABSENT_UNEXCUSED = engine.ABSENT_UNEXCUSED, "Vắng không lý do"
    EXEMPT = engine.EXEMPT, "Miễn sinh hoạt"
    AWAY = engine.AWAY, "Sinh hoạt tạm thời nơi khác"


class AnnualPlan(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="plans")
    year = models.PositiveSmallIntegerField("năm")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="one_plan_per_year")]

    def __str__(self) -> str:
        return f"Kế hoạch {self.year} — {self.organisation}"


class ThematicTopic(models.Model):
    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="topics")
    quarter = models.PositiveSmallIntegerField("quý")
    title = models.CharField("chuyên đề", max_length=255)
    presenter = models.ForeignKey(
        Member, verbose_name="người trình bày", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    presenter_group = models.ForeignKey(
        Organisation, verbose_name="tổ đảng chuẩn bị", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    draft_due = models.DateField("hạn nộp dự thảo", null=True, blank=True)
    outline = models.TextField("đề cương", blank=True)
    # Slides of the presentation (chibo.documents): the outline's lines are its sections.
    key_points = models.TextField("các ý chính", blank=True, default="")
    conclusion = models.TextField("kết luận của chuyên đề", blank=True, default="")

    class Meta:
        ordering = ["quarter", "id"]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    organisation = models.ForeignKey(Organisation, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="meetings")
    plan = models.ForeignKey(AnnualPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings")
    topic = models.ForeignKey(ThematicTopic, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings")
    kind = models.CharField("loại", max_length=20, choices=MeetingKind.choices)
    status = models.CharField("trạng thái", max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    title = models.CharField("nội dung chính", max_length=255, blank=True)
    scheduled_at = models.DateTimeField("thời gian")
    place = models.CharField("địa điểm", max_length=255, blank=True)
    preparer = models.ForeignKey(Member, verbose_name="người chuẩn bị", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pre_meeting_at = models.DateTimeField("chi ủy họp trước", null=True, blank=True)
    pre_meeting_notes = models.TextField("nội dung chi ủy thống nhất", blank=True)
    published_at = models.DateTimeField("công bố lúc", null=True, blank=True)
    notice_to_upper_at = models.DateTimeField("báo cấp trên lúc", null=True, blank=True)
    chair = models.ForeignKey(Member, verbose_name="chủ trì", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    secretary = models.ForeignKey(Member, verbose_name="thư ký", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    minutes_read_at = models.DateTimeField("đọc lại biên bản lúc", null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rulebook_code = models.CharField(max_length=60, blank=True)
    rulebook_version = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # bumped on every write: optimistic concurrency
    # Bumped by every write except a roll-call or dues mark (which change only attendance rows): the
    # live screen's other parts (agenda, speeches, votes, scores, documents, guests) are the same for
    # the same parts_version, so a roll-call answer reuses them (chibo/meetings/live_parts.py).
    parts_version = models.PositiveIntegerField(default=1)
    # Figures frozen at approval, for dashboards.
    fig_base = models.PositiveSmallIntegerField(null=True, blank=True)
    fig_present = models.PositiveSmallIntegerField(null=True, blank=True)
    fig_excused = models.PositiveSmallIntegerField(null=True, blank=True)
    fig_unexcused = models.PositiveSmallIntegerField(null=True, blank=True)
    fig_duration = models.PositiveSmallIntegerField(null=True, blank=True)
    fig_speakers = models.PositiveSmallIntegerField(null=True, blank=True)
    fig_score = models.PositiveSmallIntegerField(null=True, blank=True)  # the cell's own score (its total)
    # The upper committee's and the peer cell's totals as the snapshot holds them (None: not scored):
    # the dashboards list them for every meeting of a commune without reading the snapshot (which
    # PostgreSQL would decompress whole for each row).
    fig_upper = models.PositiveSmallIntegerField(null=True, blank=True)
    fig_peer = models.PositiveSmallIntegerField(null=True, blank=True)
    fig_grade = models.CharField(max_length=20, blank=True)
    fig_breaches = models.PositiveSmallIntegerField(null=True, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [
            models.Index(fields=["organisation", "scheduled_at"]),
            models.Index(fields=["status", "scheduled_at"]),
            # the dashboards' lowest-scored approved meetings, read in score order (oversight.dashboard)
            models.Index(
                fields=["fig_score", "-scheduled_at", "-id"],
                condition=models.Q(status="approved", fig_score__isnull=False),
                name="meeting_approved_by_score",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {timezone.localtime(self.scheduled_at):%d/%m/%Y} — {self.organisation}"

    @property
    def is_locked(self) -> bool:
        return self.status == MeetingStatus.APPROVED

    @property
    def has_thematic_part(self) -> bool:
        return self.kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED)


class DocumentKind(models.TextChoices):
    DRAFT_REPORT = "draft_report", "Dự thảo báo cáo"
    DRAFT_RESOLUTION = "draft_resolution", "Dự thảo nghị quyết"
    THEMATIC_DRAFT = "thematic_draft", "Dự thảo chuyên đề"
    OTHER = "other", "Tài liệu khác"


def document_path(instance: MeetingDocument, filename: str) -> str:
    return f"meetings/{instance.meeting.organisation_id}/{instance.meeting_id}/{filename}"


class MeetingDocument(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("loại", max_length=20, choices=DocumentKind.choices)
    title = models.CharField("tên tài liệu", max_length=255)
    file = models.FileField(upload_to=document_path, max_length=255)
    size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40, blank=True)
    section = models.CharField(max_length=10, default="content")
    title = models.CharField("nội dung", max_length=255)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    conclusion = models.TextField("kết luận của chủ trì", blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices, blank=True)
    reason = models.CharField("lý do", max_length=255, blank=True)
    # The member's standing at the meeting, frozen when the roster is drawn.
    is_full = models.BooleanField(default=True)
    is_exempt = models.BooleanField(default=False)
    special_duty = models.BooleanField(default=False)
    is_away = models.BooleanField(default=False)
    is_suspended = models.BooleanField(default=False)
    is_incoming = models.BooleanField(default=False)
    dues_collected = models.BooleanField("đã nộp đảng phí", default=False)
    dues_amount = models.PositiveIntegerField("số tiền (đồng)", default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_status_display()}"

    def facts(self) -> engine.Attendee:
        return engine.Attendee(
            member_id=self.member_id, status=self.status, is_full=self.is_full, is_exempt=self.is_exempt,
            special_duty=self.special_duty, is_away=self.is_away, is_suspended=self.is_suspended,
        )


class Guest(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="guests")
    name = models.CharField("họ và tên", max_length=120)
    position = models.CharField("chức vụ", max_length=255, blank=True)
    is_upper_officer = models.BooleanField("đại biểu cấp ủy cấp trên", default=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return self.name


class Speech(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speeches")
    item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="speeches")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    guest = models.ForeignKey(Guest, null=True, blank=True, on_delete=models.CASCADE, related_name="speeches")
    summary = models.TextField("tóm tắt ý kiến")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.summary[:60]


class TaskStatus(models.TextChoices):
    OPEN = "open", "Đang thực hiện"
    DONE = "done", "Đã hoàn thành"


class Task(models.Model):
    organisation = models.ForeignKey(Organisation, verbose_name="chi bộ", on_delete=models.PROTECT, related_name="tasks")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks_assigned")
    title = models.CharField("nhiệm vụ", max_length=500)
    assignee = models.ForeignKey(Member, verbose_name="người thực hiện", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    assignee_group = models.ForeignKey(Organisation, verbose_name="tổ đảng thực hiện", null=True, blank=True, on_delete=models.SET_NULL, related_name="group_tasks")
    due_date = models.DateField("hạn", null=True, blank=True)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            # the dashboards' oldest overdue tasks, read in due-date order
            models.Index(fields=["status", "due_date", "id"], name="task_status_due"),
            # the dashboards' overdue count per child organisation: open tasks by due date with their
            # cell, read from the index alone
            models.Index(fields=["due_date", "organisation"], condition=models.Q(status="open"), name="task_open_due"),
        ]

    def __str__(self) -> str:
        return self.title


class TaskReport(models.Model):
    """A report on a task at a meeting's 'last month's results' step."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="task_reports")
    text = models.TextField("kết quả")
    done = models.BooleanField("đã hoàn thành", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "meeting"], name="one_report_per_task_meeting")]

    def __str__(self) -> str:
        return self.text[:60]


class VoteMethod(models.TextChoices):
    COUNT = "count", "Theo số lượng"
    BY_NAME = "by_name", "Theo từng người"


class Choice(models.TextChoices):
    FOR = "for", "Tán thành"
    AGAINST = "against", "Không tán thành"
    OTHER = "other", "Ý kiến khác"


class Vote(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    subject = models.CharField("nội dung biểu quyết", max_length=255)
    method = models.CharField(max_length=10, choices=VoteMethod.choices, default=VoteMethod.COUNT)
    in_favour = models.PositiveSmallIntegerField(default=0)
    against = models.PositiveSmallIntegerField(default=0)
    other = models.PositiveSmallIntegerField(default=0)
    eligible_count = models.PositiveSmallIntegerField(default=0)
    eligible_ids = models.JSONField(default=list)
    passed = models.BooleanField(null=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.subject


class Ballot(models.Model):
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=10, choices=Choice.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "member"], name="one_ballot_per_member")]

    def __str__(self) -> str:
        return f"{self.member}: {self.choice}"


class ScoreColumn(models.TextChoices):
    CELL = "cell", "Chi ủy, bí thư chi bộ chấm"
    UPPER = "upper", "Cấp ủy viên cấp trên chấm"
    PEER = "peer", "Chi bộ bạn chấm"


class ScoreSheet(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="scores")
    column = models.CharField(max_length=10, choices=ScoreColumn.choices)
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    entries = models.JSONField(default=dict)
    total = models.PositiveSmallIntegerField(default=0)
    grade = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "column"], name="one_sheet_per_column")]
        # the dashboards' meetings with upper or peer scores (a few columns among many cell sheets)
        indexes = [models.Index(fields=["column", "meeting"], name="scoresheet_column_meeting")]

    def __str__(self) -> str:
        return f"{self.get_column_display()}: {self.total}"


class Amendment(models.Model):
    """A correction appended after approval; the approved record itself never changes."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="amendments")
    text = models.TextField("nội dung đính chính")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class Notification(models.Model):
    """In-app notice (meeting published, changed); also e-mailed where the user has an address."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    meeting = models.ForeignKey(Meeting, null=True, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text


class RecordRender(models.Model):
    """An approved meeting's record page as rendered (record_cache.py): derived, never edited.

    The HTML fragments of both kinds of reader (managing the cell or not), zlib-compressed JSON,
    for the record's VERSION rendered by the code whose digest is CODE: the second level behind
    the cache, so a record rendered once (at approval, or by its first reader) is served to every
    later reader on every app server without rendering it again. A row is used only while its
    version and code match and it is younger than record_cache.STORE_DAYS; left out of backups
    (chibo/ops/backup.py), since it is made again from the record."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, primary_key=True, related_name="+")
    version = models.PositiveIntegerField()
    code = models.CharField(max_length=12)
    rendered_at = models.DateTimeField()
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"{self.meeting_id} v{self.version}"
