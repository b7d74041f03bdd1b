"""/meetings/{id}/documents/{kind}.{format}: official documents rendered from the meeting record.

Scoped exactly like the meeting (meeting_for_user, MEETING_VIEW): 404 outside the user's subtree.
Before approval the files are drafts marked "DỰ THẢO"; 409 when the document cannot exist yet.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from chibo.accounts.access import meeting_for_user
from chibo.accounts.permissions import Perm
from chibo.api.schemas import READ_ERRORS, ErrorOut
from chibo.documents import kinds
from chibo.documents.record import build
from chibo.documents.views import file_response

router = Router(tags=["Văn bản"])


class OfficialDocumentOut(Schema):
    kind: str = Field(description="Mã văn bản, dùng trong đường dẫn tải về.")
    label: str
    formats: list[str]
    available: bool
    reason: str = Field(description="Vì sao chưa lập được (rỗng nếu lập được).")
    urls: dict[str, str] = Field(description="Định dạng → đường dẫn API tải về.")


@router.get(
    "/meetings/{meeting_id}/official-documents",
    response={200: list[OfficialDocumentOut], **READ_ERRORS},
    summary="Các văn bản lập được từ biên bản",
)
def list_official(request: HttpRequest, meeting_id: int) -> Any:
    meeting, can_manage = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    if not can_manage and meeting.published_at is None:
        return []  # like the uploaded documents: members see them once the meeting is published
    return [
        {"kind": k.slug, "label": kinds.label_for(k, meeting.kind), "formats": list(k.formats), "available": not why,
         "reason": why, "urls": {f: f"/api/v1/meetings/{meeting.pk}/documents/{k.slug}.{f}" for f in k.formats}}
        for k, why in kinds.available(meeting)
    ]


@router.get(
    "/meetings/{meeting_id}/documents/{filename}",
    response={200: None, 409: ErrorOut, **READ_ERRORS},
    summary="Tải văn bản lập từ biên bản: {kind}.{docx|pdf|pptx}, ví dụ bien-ban.pdf",
    openapi_extra={"responses": {200: {
        "description": "Tệp văn bản; trước khi duyệt là bản DỰ THẢO.",
        "content": {ct: {"schema": {"type": "string", "format": "binary"}} for ct in kinds.CONTENT_TYPES.values()},
    }}},
)
def download(request: HttpRequest, meeting_id: int, filename: str) -> Any:
    """`filename` is `<kind>.<format>`: the kinds and formats listed by /official-documents."""
    meeting, can_manage = meeting_for_user(request.user, meeting_id, need=Perm.MEETING_VIEW)
    kind, _, fmt = filename.rpartition(".")
    if kind not in kinds.KINDS or fmt not in kinds.KINDS[kind].formats:
        raise Http404(f"Không có văn bản “{filename}”.")
    if not can_manage and meeting.published_at is None:
        raise Http404(kinds.NOT_PUBLISHED)
    try:
        data, name, content_type = kinds.render(build(meeting), kind, fmt)
    except kinds.NotAvailable as exc:
        return Status(409, {"detail": str(exc)})
    return file_response(data, name, content_type)
