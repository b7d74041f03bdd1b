"""Every write to the organisation tree. Each function is atomic and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from chibo.audit.models import AuditAction
from chibo.audit.services import diff, record, snapshot
from chibo.core import versions, vntext
from chibo.organisations.models import (
    CELL_KINDS,
    Organisation,
    OrganisationMove,
    OrgKind,
    Term,
    new_rev,
)
from chibo.rules import loader as rules

ORG_FIELDS = ("name", "kind", "code", "parent", "supervisor", "rulebook_code", "address", "founded_on", "is_active")
ROOT_KINDS = frozenset({OrgKind.PROVINCE, OrgKind.OTHER})


def validate_placement(kind: str, parent: Organisation | None) -> None:
    """Where a node of KIND may sit in the tree."""
    if parent is None:
        if kind not in ROOT_KINDS:
            raise ValidationError({"parent": "Tổ chức này phải có cấp trên."})
        return
    if parent.kind == OrgKind.GROUP:
        raise ValidationError({"parent": "Tổ đảng không có tổ chức trực thuộc."})
    if kind == OrgKind.GROUP and parent.kind not in CELL_KINDS:
        raise ValidationError({"parent": "Tổ đảng phải thuộc một chi bộ."})
    if parent.kind in CELL_KINDS and kind != OrgKind.GROUP:
        raise ValidationError({"parent": "Dưới chi bộ chỉ có tổ đảng."})
    if kind == OrgKind.PROVINCE:
        raise ValidationError({"kind": "Đảng bộ tỉnh không có cấp trên trong hệ thống."})


def _validate_fields(*, name: str, code: str | None, rulebook_code: str, exclude_pk: int | None) -> None:
    errors: dict[str, str] = {}
    if not vntext.clean(name):
        errors["name"] = "Tên tổ chức không được để trống."
    if code:
        qs = Organisation.objects.filter(code=code)
        if exclude_pk:
            qs = qs.exclude(pk=exclude_pk)
        if qs.exists():
            errors["code"] = f"Mã {code!r} đã được dùng cho tổ chức khác."
    if rulebook_code and rulebook_code not in rules.load_all():
        errors["rulebook_code"] = f"Không có bộ quy tắc {rulebook_code!r}."
    if errors:
        raise ValidationError(errors)


def _validate_founding(day: Any) -> None:
    if day is not None and day > timezone.localdate():
        raise ValidationError({"founded_on": "Ngày thành lập không thể ở tương lai."})


@transaction.atomic
def create_organisation(
    *,
    actor: Any,
    name: str,
    kind: str,
    parent: Organisation | None,
    code: str | None = None,
    supervisor: Organisation | None = None,
    rulebook_code: str = "",
    address: str = "",
    founded_on: Any = None,
) -> Organisation:
    validate_placement(kind, parent)
    _validate_founding(founded_on)
    code = (code or "").strip() or None
    _validate_fields(name=name, code=code, rulebook_code=rulebook_code, exclude_pk=None)
    org = Organisation(
        name=name,
        kind=kind,
        parent=parent,
        code=code,
        supervisor=supervisor,
        rulebook_code=rulebook_code,
        address=vntext.clean(address),
        founded_on=founded_on,
    )
    org.save()
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=org,
        org_path=org.path,
        changes=diff({}, snapshot(org, ORG_FIELDS)),
    )
    return org


EDIT_FIELDS = tuple(f for f in ORG_FIELDS if f != "parent")


def edit_version(org: Organisation) -> str:
    """The version of ORG's editable fields an editor saw (chibo.core.versions)."""
    return versions.token(*(getattr(org, f"{f}_id" if f == "supervisor" else f) for f in EDIT_FIELDS))


@transaction.atomic
def update_organisation(
    *, actor: Any, org: Organisation, expected_version: str | None = None, **fields: Any
) -> Organisation:
    """Change name, code, supervisor, rulebook, address, kind. Moving uses move_organisation.
    With EXPECTED_VERSION (edit_version() of what the editor saw), a record changed since raises
    versions.Stale naming its current values; nothing is written."""
    allowed = set(EDIT_FIELDS)
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    versions.check(
        expected_version,
        edit_version(org),
        f"{org.name} vừa được người khác sửa nên thay đổi của bạn chưa được lưu. Hiện tại: tên "
        f"{versions.quoted(org.name)}, mã {versions.quoted(org.code or '')}, địa điểm sinh hoạt "
        f"{versions.quoted(org.address)}, bộ quy tắc {versions.quoted(org.rulebook_code)}"
        f"{', ngày thành lập ' + org.founded_on.strftime('%d/%m/%Y') if org.founded_on else ''}. "
        "Hãy xem lại rồi lưu lại.",
    )
    before = snapshot(org, ORG_FIELDS)
    if "code" in fields:
        fields["code"] = (fields["code"] or "").strip() or None
    if "address" in fields:
        fields["address"] = vntext.clean(fields["address"] or "")
    if "founded_on" in fields:
        _validate_founding(fields["founded_on"])
    for key, value in fields.items():
        setattr(org, key, value)
    if "kind" in fields:
        validate_placement(org.kind, org.parent)
        if org.kind != OrgKind.GROUP and org.kind not in CELL_KINDS:
            if org.members.exists():
                raise ValidationError({"kind": "Tổ chức còn đảng viên nên phải là chi bộ."})
    _validate_fields(
        name=org.name, code=org.code, rulebook_code=org.rulebook_code, exclude_pk=org.pk
    )
    if org.supervisor_id and org.supervisor_id == org.pk:
        raise ValidationError({"supervisor": "Tổ chức không thể tự theo dõi chính mình."})
    org.save()
    changes = diff(before, snapshot(org, ORG_FIELDS))
    if changes:
        record(actor=actor, action=AuditAction.UPDATE, obj=org, org_path=org.path, changes=changes)
    return org


@transaction.atomic
def move_organisation(
    *, actor: Any, org: Organisation, new_parent: Organisation, note: str = ""
) -> Organisation:
    """Move ORG with its whole subtree under NEW_PARENT; the move is kept in history."""
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    new_parent = Organisation.objects.get(pk=new_parent.pk)
    if new_parent.path.startswith(org.path):
        raise ValidationError({"parent": "Không thể chuyển tổ chức vào chính nó hoặc cấp dưới của nó."})
    if new_parent.pk == org.parent_id:
        raise ValidationError({"parent": "Tổ chức đã ở dưới cấp trên này."})
    validate_placement(org.kind, new_parent)
    old_parent = org.parent
    old_prefix = org.path
    new_prefix = f"{new_parent.path}{org.pk}/"
    depth_delta = (new_parent.depth + 1) - org.depth
    Organisation.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1)),
        depth=F("depth") + depth_delta,
        rev=new_rev(),
    )
    Organisation.objects.filter(pk=org.pk).update(parent=new_parent, rev=new_rev())
    from chibo.oversight import summaries  # the dashboards' roll-up follows the subtree

    summaries.moved(old_prefix, new_prefix)
    # Audit entries stay where they were written; future entries use the new path.
    org.refresh_from_db()
    OrganisationMove.objects.create(
        organisation=org,
        from_parent=old_parent,
        to_parent=new_parent,
        from_parent_name=str(old_parent or ""),
        to_parent_name=str(new_parent),
        moved_by=actor if getattr(actor, "pk", None) else None,
        note=vntext.clean(note),
    )
    record(
        actor=actor,
        action=AuditAction.MOVE,
        obj=org,
        org_path=org.path,
        changes={"parent": [str(old_parent or ""), str(new_parent)], "note": ["", note]},
    )
    return org


@transaction.atomic
def add_term(
    *, actor: Any, org: Organisation, name: str, start: dt.date, end: dt.date
) -> Term:
    if end <= start:
        raise ValidationError({"end": "Ngày kết thúc nhiệm kỳ phải sau ngày bắt đầu."})
    if org.terms.filter(start__lte=end, end__gte=start).exists():
        raise ValidationError({"start": "Nhiệm kỳ bị trùng thời gian với một nhiệm kỳ đã có."})
    term = Term.objects.create(organisation=org, name=vntext.clean(name), start=start, end=end)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=term,
        org_path=org.path,
        object_repr=f"Nhiệm kỳ {term.name} — {org.name}",
        changes=diff({}, {"name": term.name, "start": start.strftime("%d/%m/%Y"), "end": end.strftime("%d/%m/%Y")}),
    )
    return term
