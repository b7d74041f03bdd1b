"""Provincial rulebook variants: checked, versioned and audited. Shipped files are never changed here.

A variant is a `RulebookRecord(is_variant=True)` attached to the committee that issued it. Saving
the same code again stores a new version; earlier versions stay, so meetings held under them are
still judged by the version they recorded (`rules.models.stored_version`). See docs/rulebooks.md.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind
from chibo.rules import loader
from chibo.rules.models import RulebookRecord

MAX_BYTES = 64 * 1024
CODE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
_VERSION_LINE = re.compile(r"^(version[ \t]*:[ \t]*)([^\s#]+)", re.MULTILINE)
RESERVED_CODES = frozenset({"them"})  # page addresses under /quy-tac/
# Organisations that may issue a variant: committees, not cells or tổ đảng.
NOT_ISSUERS = frozenset({*CELL_KINDS, OrgKind.GROUP})

TOO_BIG = "Nội dung quá lớn ({size} KB): tối đa 64 KB."
EMPTY = "Hãy tải lên tệp YAML hoặc dán nội dung bộ quy tắc."


def shipped_text(code: str) -> str | None:
    """The text of the shipped file whose code is CODE (with its comments), else None."""
    for path in sorted(loader.RULEBOOK_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if path.stem == code or _code_of(text) == code:
            return text
    return None


def _code_of(text: str) -> str | None:
    match = re.search(r"^code[ \t]*:[ \t]*([^\s#]+)", text, re.MULTILINE)
    return match.group(1).strip("\"'") if match else None


def text_of(code: str, version: int | None = None) -> str | None:
    """The YAML of rulebook CODE (VERSION, or the one in force), to copy or download."""
    files = loader.load_files()
    if code in files and (version is None or files[code].version == version):
        return shipped_text(code)
    records = RulebookRecord.objects.filter(code=code)
    if version is not None:
        records = records.filter(version=version)
    found = records.order_by("-version").first()
    return found.text if found else None


def _with_version(text: str, book: loader.Rulebook, version: int) -> str:
    """TEXT with its top-level version set to VERSION (comments kept when the line is found)."""
    changed, n = _VERSION_LINE.subn(lambda m: f"{m.group(1)}{version}", text, count=1)
    if n and loader.parse(changed).version == version:
        return changed
    raw = dict(book.raw)
    raw["version"] = version
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def _rules_only(book: loader.Rulebook) -> dict[str, Any]:
    return {k: v for k, v in book.raw.items() if k != "version"}


@transaction.atomic
def save_variant(*, actor: Any, organisation: Organisation, text: str | bytes) -> RulebookRecord:
    """Check TEXT with the loader and store it as a variant issued by ORGANISATION.

    Refuses (ValidationError, in Vietnamese; nothing is saved) malformed text, a code of a shipped
    file, a code another committee already uses, and a copy identical to the latest version.
    A code saved before gets a new version: the text's version if it is higher than the latest,
    else latest + 1 (the text's `version:` line is rewritten). The returned record carries
    `requested_version`, the version the text asked for. The caller checks Perm.RULEBOOK_MANAGE.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError({"text": "Tệp phải là văn bản UTF-8."}) from None
    text = text.replace("\r\n", "\n")
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise ValidationError({"text": TOO_BIG.format(size=-(-size // 1024))})
    if not text.strip():
        raise ValidationError({"text": EMPTY})
    if organisation.kind in NOT_ISSUERS:
        raise ValidationError({"organisation": "Bộ quy tắc do cấp ủy từ đảng bộ cơ sở trở lên ban hành."})
    try:
        book = loader.parse(text)
    except loader.RulebookError as exc:
        raise ValidationError({"text": f"Bộ quy tắc không hợp lệ: {exc}"}) from None
    code = book.code
    if not CODE_PATTERN.match(code) or code in RESERVED_CODES:
        raise ValidationError(
            {
                "text": (
                    f"Mã {code!r} không hợp lệ: chỉ dùng chữ thường không dấu, chữ số và dấu gạch ngang, "
                    "tối đa 60 ký tự (ví dụ hd42-2025-binh-thuan)."
                )
            }
        )
    if len(book.name) > 255:
        raise ValidationError({"text": "Tên bộ quy tắc (name) tối đa 255 ký tự."})
    if code in loader.load_files():
        raise ValidationError(
            {
                "text": (
                    f"Mã {code} là bộ quy tắc gốc của hệ thống, không sửa được trong ứng dụng. "
                    f"Hãy đặt mã khác cho bộ quy tắc của địa phương, ví dụ {code}-{_suggest(organisation)}."
                )
            }
        )
    existing = list(RulebookRecord.objects.select_for_update().filter(code=code).order_by("-version"))
    if any(not r.is_variant for r in existing):
        raise ValidationError({"text": f"Mã {code} đã được dùng cho một bộ quy tắc gốc; hãy đặt mã khác."})
    latest = existing[0] if existing else None
    if latest is not None and latest.organisation_id != organisation.pk:
        owner = latest.organisation.name if latest.organisation else "cấp ủy khác"
        raise ValidationError(
            {
                "text": (
                    f"Mã {code} là bộ quy tắc do {owner} ban hành; chỉ cấp ủy đó tạo được phiên bản mới. "
                    "Hãy đặt mã khác."
                )
            }
        )
    requested = book.version
    if latest is not None:
        if _rules_only(book) == _rules_only(latest.parsed()):
            raise ValidationError(
                {"text": f"Không có thay đổi nào so với phiên bản {latest.version} đang áp dụng."}
            )
        if book.version <= latest.version:
            text = _with_version(text, book, latest.version + 1)
            book = loader.parse(text)
    try:
        with transaction.atomic():
            saved = RulebookRecord.objects.create(
                code=code,
                version=book.version,
                name=book.name,
                text=text,
                organisation=organisation,
                uploaded_by=actor if getattr(actor, "pk", None) else None,
                is_variant=True,
            )
    except IntegrityError:
        raise ValidationError({"text": "Vừa có người lưu phiên bản này; hãy thử lại."}) from None
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=saved,
        org_path=organisation.path,
        changes={
            "rulebook": ["", f"{code} v{book.version}"],
            "name": ["", book.name],
            "version": [latest.version if latest else "", book.version],
        },
        object_repr=f"Bộ quy tắc {book.name} (v{book.version})",
    )
    saved.requested_version = requested  # type: ignore[attr-defined]
    return saved


def _suggest(organisation: Organisation) -> str:
    from chibo.core import vntext

    words = vntext.strip_diacritics(organisation.name).split()
    slug = re.sub(r"[^a-z0-9-]+", "", "-".join(words[-2:])) or "dia-phuong"
    return slug[:20].strip("-")
