"""Meeting documents: size-limited, type-checked by content, stored under a random name, never executed."""

from __future__ import annotations

import io
import secrets
import zipfile
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from chibo.audit.models import AuditAction
from chibo.core import vntext
from chibo.meetings.models import DocumentKind, Meeting, MeetingDocument
from chibo.meetings.services import _audit, _writable

ALLOWED = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
OOXML_PART = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


def sniff(head: bytes, data: Any, extension: str) -> bool:
    """True if the file's content is what its extension says."""
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension in OOXML_PART:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(data) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return False
        return "[Content_Types].xml" in names and any(n.startswith(OOXML_PART[extension]) for n in names)
    return False


def validate_upload(upload: UploadedFile) -> str:
    """The file's extension if acceptable, else a ValidationError in Vietnamese."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise ValidationError({"file": "Chỉ nhận tệp PDF, DOCX, XLSX, PPTX, PNG hoặc JPG."})
    limit = settings.CHIBO_MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationError({"file": f"Tệp quá lớn: tối đa {limit // (1024 * 1024)} MB."})
    if upload.size == 0:
        raise ValidationError({"file": "Tệp rỗng."})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    data = io.BytesIO(upload.read()) if extension in OOXML_PART else None
    upload.seek(0)
    if not sniff(head, data, extension):
        raise ValidationError({"file": f"Nội dung tệp không phải là {extension.upper()} hợp lệ."})
    return extension


@transaction.atomic
def add_document(*, actor: Any, meeting: Meeting, kind: str, title: str, upload: UploadedFile) -> MeetingDocument:
    m = _writable(meeting)
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "Loại tài liệu không hợp lệ."})
    extension = validate_upload(upload)
    title = vntext.clean(title) or vntext.clean(upload.name or "Tài liệu")
    upload.name = f"{secrets.token_hex(8)}.{extension}"
    doc = MeetingDocument.objects.create(
        meeting=m, kind=kind, title=title, file=upload, size=upload.size or 0,
        content_type=ALLOWED[extension], uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    _audit(actor, m, AuditAction.CREATE, {"document": ["", f"{doc.get_kind_display()}: {title}"]}, doc)
    return doc


@transaction.atomic
def remove_document(*, actor: Any, document: MeetingDocument) -> None:
    m = _writable(document.meeting)
    _audit(actor, m, AuditAction.DELETE, {"document": [document.title, ""]}, document)
    document.file.delete(save=False)
    document.delete()
