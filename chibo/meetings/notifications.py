"""Notices to members and to the supervising upper committee (in-app and e-mail)."""

from __future__ import annotations

import logging

from django.core.mail import send_mass_mail
from django.utils import timezone

from chibo.accounts.models import RoleAssignment, User
from chibo.accounts.permissions import Role
from chibo.meetings.models import Meeting, Notification

logger = logging.getLogger(__name__)


def recipients(meeting: Meeting) -> list[User]:
    cell = meeting.organisation
    supervisor_id = cell.supervisor_id or cell.parent_id
    member_ids = list(meeting.attendance.values_list("member_id", flat=True))
    members = User.objects.filter(member_id__in=member_ids, is_active=True)
    upper_ids = (
        RoleAssignment.objects.filter(
            organisation_id=supervisor_id, role__in=[Role.OFFICER, Role.ADMIN]
        ).values_list("user_id", flat=True)
        if supervisor_id
        else []
    )
    uppers = User.objects.filter(pk__in=list(upper_ids), is_active=True)
    return list({u.pk: u for u in [*members, *uppers]}.values())


def notice_text(meeting: Meeting) -> str:
    when = timezone.localtime(meeting.scheduled_at)
    what = meeting.title or meeting.get_kind_display()
    return (
        f"{meeting.organisation.name}: {meeting.get_kind_display().lower()} lúc {when:%H:%M} "
        f"ngày {when:%d/%m/%Y} tại {meeting.place or 'địa điểm sẽ báo sau'}. Nội dung: {what}."
    )


def notify_published(meeting: Meeting) -> int:
    users = recipients(meeting)
    text = notice_text(meeting)
    Notification.objects.bulk_create([Notification(user=u, meeting=meeting, text=text) for u in users])
    mails = [
        (f"[chibo] Thông báo {meeting.get_kind_display().lower()}", text, None, [u.email])
        for u in users if u.email
    ]
    if mails:
        try:
            send_mass_mail(mails)
        except OSError as exc:  # SMTP down: the in-app notices are already stored
            logger.warning("Không gửi được thư thông báo buổi sinh hoạt %s: %s", meeting.pk, exc)
    return len(users)
