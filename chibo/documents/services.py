"""Writes of the documents app: a year-of-minutes export, a thematic topic's slide outline.

Each runs in a transaction, validates with Vietnamese messages (changing nothing on error)
and writes an audit entry. The export's ZIP is built by the background task
chibo.documents.tasks.build_export, enqueued when the request commits.
"""

from __future__ import annotations

import secrets
import tempfile
import zipfile
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from chibo.audit.models import AuditAction
from chibo.audit.services import record as audit
from chibo.core import versions, vntext
from chibo.documents.models import BatchExport, ExportStatus
from chibo.meetings.models import Meeting, MeetingStatus, ThematicTopic
from chibo.organisations.models import CELL_KINDS, Organisation, under

MIN_YEAR = 2000


def meetings_for_export(org: Organisation, year: int) -> QuerySet[Meeting]:
    """Approved meetings of YEAR of ORG (a cell) or of every cell under ORG."""
    return (
        Meeting.objects.filter(
            under(org.path, "organisation__"), organisation__kind__in=CELL_KINDS,
            status=MeetingStatus.APPROVED, scheduled_at__year=year,
        )
        .select_related("organisation")
        .order_by("organisation__path", "scheduled_at", "id")
    )


@transaction.atomic
def request_export(*, actor: Any, organisation: Organisation, year: int) -> BatchExport:
    """Queue a ZIP of the approved minutes of YEAR of ORGANISATION (a cell, or all cells below it)."""
    this_year = timezone.localdate().year
    if not MIN_YEAR <= year <= this_year:
        raise ValidationError({"year": f"Năm phải từ {MIN_YEAR} đến {this_year}."})
    total = meetings_for_export(organisation, year).count()
    if total == 0:
        raise ValidationError({"year": f"{organisation.name} không có biên bản đã duyệt nào trong năm {year}."})
    export = BatchExport.objects.create(
        organisation=organisation, year=year, total=total,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )
    audit(actor=actor, action=AuditAction.CREATE, obj=export, org_path=organisation.path,
          changes={"export": ["", f"Biên bản năm {year}: {total} buổi"]}, object_repr=str(export))
    from chibo.documents.tasks import build_export

    transaction.on_commit(lambda: build_export.enqueue(export.pk))
    return export


def _entry_name(meeting: Meeting, used: set[str]) -> str:
    day = timezone.localtime(meeting.scheduled_at).date()
    stem = f"{slugify(vntext.strip_diacritics(meeting.organisation.name))}/{day:%Y-%m-%d}-bien-ban"
    name, n = f"{stem}.pdf", 2
    while name in used:  # two meetings on one day
        name, n = f"{stem}-{n}.pdf", n + 1
    used.add(name)
    return name


def run_export(export_id: int) -> BatchExport:
    """Render every minutes PDF into one ZIP on the default storage; progress is saved per meeting.

    Idempotent: a finished export is left alone; a re-run starts the ZIP again from zero.
    """
    from chibo.documents import kinds
    from chibo.documents.record import build

    export = BatchExport.objects.select_related("organisation").get(pk=export_id)
    if export.finished:
        return export
    meetings = list(meetings_for_export(export.organisation, export.year))
    BatchExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, total=len(meetings), done=0)
    used: set[str] = set()
    try:
        with tempfile.TemporaryFile() as spool:  # a commune's year can be large: not held in memory
            with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
                for meeting in meetings:
                    data, _, _ = kinds.render(build(meeting), "bien-ban", "pdf")
                    archive.writestr(_entry_name(meeting, used), data)
                    BatchExport.objects.filter(pk=export.pk).update(done=F("done") + 1)
            size = spool.tell()
            spool.seek(0)
            stem = slugify(vntext.strip_diacritics(export.organisation.name))
            path = default_storage.save(
                f"exports/{export.organisation_id}/bien-ban-{stem}-{export.year}-{secrets.token_hex(6)}.zip",
                File(spool),
            )
    except Exception as exc:  # the page must show the failure, not spin forever
        BatchExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        raise
    BatchExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.DONE, file=path, size=size, finished_at=timezone.now()
    )
    export.refresh_from_db()
    return export


def outline_version(topic: ThematicTopic) -> str:
    """The version of TOPIC's outline, key points and conclusion an editor saw (chibo.core.versions)."""
    return versions.token(topic.outline, topic.key_points, topic.conclusion)


@transaction.atomic
def update_outline(*, actor: Any, topic: ThematicTopic, outline: str, key_points: str = "",
                   conclusion: str = "", expected_version: str | None = None) -> ThematicTopic:
    """The outline the slides are made from. Held meetings of the topic keep their record.
    With EXPECTED_VERSION (outline_version() of what the editor saw), an outline changed since
    raises versions.Stale naming the current one; nothing is written."""
    from chibo.documents.slides import parse_outline

    outline = vntext.clean(outline, multiline=True)
    if not parse_outline(outline):
        raise ValidationError({"outline": "Đề cương cần ít nhất một phần (mỗi phần một dòng)."})
    if len(outline) > 5000 or len(key_points) > 3000 or len(conclusion) > 3000:
        raise ValidationError({"outline": "Đề cương quá dài (tối đa 5.000 ký tự; ý chính, kết luận 3.000)."})
    topic = ThematicTopic.objects.select_for_update().select_related("plan__organisation").get(pk=topic.pk)
    versions.check(
        expected_version,
        outline_version(topic),
        f"Đề cương chuyên đề “{topic.title}” vừa được người khác sửa nên nội dung của bạn chưa được lưu. "
        f"Đề cương hiện tại: {versions.quoted(topic.outline)}; ý chính: {versions.quoted(topic.key_points)}; "
        f"kết luận: {versions.quoted(topic.conclusion)}. Hãy xem lại rồi lưu lại.",
    )
    before = {"outline": topic.outline, "key_points": topic.key_points, "conclusion": topic.conclusion}
    topic.outline = outline
    topic.key_points = vntext.clean(key_points, multiline=True)
    topic.conclusion = vntext.clean(conclusion, multiline=True)
    topic.save(update_fields=["outline", "key_points", "conclusion"])
    after = {"outline": topic.outline, "key_points": topic.key_points, "conclusion": topic.conclusion}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        audit(actor=actor, action=AuditAction.UPDATE, obj=topic, org_path=topic.plan.organisation.path,
              changes=changes, object_repr=f"Đề cương chuyên đề “{topic.title}”")
    return topic
