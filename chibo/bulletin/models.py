"""Current affairs: feed sources, news items, and the bulletin read at a meeting.

FeedSource  — an RSS/Atom feed of an organisation, with its fetch status (last success, last error).
NewsItem    — a piece of news an organisation holds: fetched from a feed, typed by hand, or pushed
              down by an upper committee (visible to every cell below it).
Bulletin    — one per meeting: the entries read at the current-affairs step, and their audio.
Entry       — a bulletin's item: category, order, the text that is read (editable), its audio clip.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from chibo.meetings.models import Meeting
from chibo.organisations.models import Organisation


class Category(models.TextChoices):
    PROVINCE = "trong_tinh", "Trong tỉnh"
    NATIONAL = "trong_nuoc", "Trong nước"
    FOREIGN = "doi_ngoai", "Đối ngoại"
    WORLD = "the_gioi", "Thế giới"
    SECTOR = "nganh", "Ngành, đơn vị"


CATEGORY_ORDER = {c.value: i for i, c in enumerate(Category)}


class FeedSource(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="feed_sources")
    name = models.CharField("tên nguồn", max_length=200)
    url = models.URLField("địa chỉ RSS/Atom", max_length=1000)
    category = models.CharField("chuyên mục", max_length=20, choices=Category.choices)
    active = models.BooleanField("đang dùng", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_fetched_at = models.DateTimeField("lần lấy tin gần nhất", null=True, blank=True)
    last_success_at = models.DateTimeField("lấy tin thành công lúc", null=True, blank=True)
    last_error = models.CharField("lỗi gần nhất", max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_warning = models.CharField(max_length=300, blank=True)
    last_new_items = models.PositiveIntegerField(default=0)
    fetching = models.BooleanField(default=False)
    etag = models.CharField(max_length=300, blank=True)
    modified = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["category", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "url"], name="one_feed_url_per_org")]

    def __str__(self) -> str:
        return self.name

    @property
    def healthy(self) -> bool | None:
        """None: never fetched; True: the last fetch succeeded; False: it failed."""
        if not self.last_fetched_at:
            return None
        return not (
            self.last_error_at and (not self.last_success_at or self.last_error_at >= self.last_success_at)
        )


class Origin(models.TextChoices):
    FEED = "feed", "Từ nguồn tin"
    MANUAL = "manual", "Nhập tay"
    PUSHED = "pushed", "Cấp trên chuyển xuống"


class ExtractStatus(models.TextChoices):
    NONE = "", "Không cần"
    OK = "ok", "Đã lấy toàn văn"
    FAILED = "failed", "Không lấy được toàn văn"


class NewsItem(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="news_items")
    source = models.ForeignKey(
        FeedSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices)
    category = models.CharField("chuyên mục", max_length=20, choices=Category.choices)
    key = models.CharField(max_length=40)  # de-duplication key (link, else guid, else title)
    title = models.CharField("tiêu đề", max_length=500)
    link = models.URLField("đường dẫn", max_length=1000, blank=True)
    summary = models.TextField("tóm tắt của nguồn", blank=True)
    body = models.TextField("toàn văn", blank=True)
    suggested = models.TextField("bản tóm tắt đề xuất", blank=True)
    extract_status = models.CharField(max_length=10, choices=ExtractStatus.choices, blank=True, default="")
    published_at = models.DateTimeField("ngày đăng", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="one_news_key_per_org")]
        indexes = [models.Index(fields=["organisation", "category", "created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def full_text(self) -> str:
        return self.body or self.summary

    @property
    def reading_text(self) -> str:
        """What a new bulletin entry reads: the suggested summary of a long article, else its text."""
        return self.suggested or self.full_text or self.title


class AudioStatus(models.TextChoices):
    NONE = "", "Chưa tạo"
    QUEUED = "queued", "Đang chờ"
    RENDERING = "rendering", "Đang tạo âm thanh"
    READY = "ready", "Đã có âm thanh"
    FAILED = "failed", "Lỗi"


def audio_path(instance: Bulletin, filename: str) -> str:
    return f"bulletin/{instance.organisation_id}/{instance.meeting_id}/{filename}"


class Bulletin(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="bulletin")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="bulletins")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Audio of the whole bulletin (progress lives here so pages can poll it).
    audio_status = models.CharField(max_length=10, choices=AudioStatus.choices, blank=True, default="")
    audio_voice = models.CharField(max_length=120, blank=True)
    audio_done = models.PositiveSmallIntegerField(default=0)
    audio_total = models.PositiveSmallIntegerField(default=0)
    audio_error = models.CharField(max_length=500, blank=True)
    audio_digest = models.CharField(max_length=64, blank=True)
    audio_file = models.FileField(upload_to=audio_path, max_length=255, blank=True)
    audio_format = models.CharField(max_length=4, blank=True)
    audio_duration = models.FloatField(null=True, blank=True)
    audio_requested_at = models.DateTimeField(null=True, blank=True)
    audio_finished_at = models.DateTimeField(null=True, blank=True)
    audio_seconds = models.FloatField(null=True, blank=True)  # wall-clock render time
    chapters = models.JSONField(default=list, blank=True)  # [{entry, title, start, end}]

    def __str__(self) -> str:
        return f"Bản tin thời sự — {self.meeting}"

    @property
    def audio_ready(self) -> bool:
        return self.audio_status == AudioStatus.READY and bool(self.audio_file)


class Entry(models.Model):
    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(
        NewsItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    category = models.CharField("chuyên mục", max_length=20, choices=Category.choices)
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField("tiêu đề", max_length=500)
    text = models.TextField("nội dung đọc")
    source_name = models.CharField(max_length=200, blank=True)
    link = models.URLField(max_length=1000, blank=True)
    audio_status = models.CharField(max_length=10, choices=AudioStatus.choices, blank=True, default="")
    audio_digest = models.CharField(max_length=64, blank=True)
    audio_path = models.CharField(max_length=255, blank=True)  # clip in the cache (storage-relative)
    audio_duration = models.FloatField(null=True, blank=True)
    audio_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bulletin", "item"], condition=models.Q(item__isnull=False), name="one_entry_per_item"
            )
        ]

    def __str__(self) -> str:
        return self.title
