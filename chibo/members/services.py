"""Every write to members. Atomic, validated, audited."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chibo.audit.models import AuditAction
from chibo.audit.services import diff, record, snapshot
from chibo.core import crypto, vntext
from chibo.members.models import Member, Membership, MemberStatus
from chibo.organisations.models import Organisation, OrgKind

# Fields a service may set directly (organisation/party_group go through transfer).
EDITABLE_FIELDS = (
    "full_name", "birth_date", "gender", "ethnicity", "hometown", "residence",
    "admission_date", "official_date", "card_number", "phone", "email",
    "party_position", "government_position", "status", "exempt_from",
    "temp_direction", "temp_other_cell", "temp_from", "temp_to",
    "suspended_from", "special_duty", "left_at",
)
AUDIT_FIELDS = (*EDITABLE_FIELDS, "organisation", "party_group")
TEXT_FIELDS = (
    "full_name", "ethnicity", "hometown", "residence", "card_number", "phone", "email",
    "government_position", "temp_other_cell",
)
ADULT_AGE = 18
PHONE_RE = re.compile(r"^\+?[0-9 .]{9,15}$")
CCCD_RE = re.compile(r"^[0-9]{12}$")
STATUS_VALUES = frozenset(MemberStatus.values)


def _years_between(start: dt.date, end: dt.date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def normalise(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for key in TEXT_FIELDS:
        if key in out and out[key] is not None:
            out[key] = vntext.clean(str(out[key]))
    if out.get("card_number") == "":
        out["card_number"] = None
    return out


def validate_member(
    data: dict[str, Any],
    *,
    organisation: Organisation | None,
    party_group: Organisation | None = None,
    cccd: str | None = None,
    instance: Member | None = None,
    today: dt.date | None = None,
    check_unique: bool = True,
) -> dict[str, str]:
    """Problems with DATA, in Vietnamese, keyed by field. Empty dict = valid."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    name = vntext.clean(data.get("full_name") or "")
    if not name:
        errors["full_name"] = "Thiếu họ và tên."
    elif len(name.split(" ")) < 2:
        errors["full_name"] = "Họ và tên phải có ít nhất họ và tên (hai từ)."
    elif any(ch.isdigit() for ch in name):
        errors["full_name"] = "Họ và tên không được chứa chữ số."

    birth = data.get("birth_date")
    admission = data.get("admission_date")
    official = data.get("official_date")
    for key, label in (
        ("birth_date", "Ngày sinh"),
        ("admission_date", "Ngày vào Đảng"),
        ("official_date", "Ngày chính thức"),
        ("exempt_from", "Ngày miễn sinh hoạt"),
        ("suspended_from", "Ngày đình chỉ sinh hoạt"),
    ):
        value = data.get(key)
        if value and value > today:
            errors[key] = f"{label} {value:%d/%m/%Y} ở tương lai."
        elif value and value.year < 1900:
            errors[key] = f"{label} {value:%d/%m/%Y} không hợp lệ."
    if birth and admission and "admission_date" not in errors and "birth_date" not in errors:
        if _years_between(birth, admission) < ADULT_AGE:
            errors["admission_date"] = (
                f"Ngày vào Đảng {admission:%d/%m/%Y} khi chưa đủ {ADULT_AGE} tuổi "
                f"(sinh {birth:%d/%m/%Y})."
            )
    status = data.get("status") or MemberStatus.FULL
    if status not in STATUS_VALUES:
        errors["status"] = "Trạng thái phải là Chính thức hoặc Dự bị."
    if status == MemberStatus.PROBATIONARY and official:
        errors["official_date"] = "Đảng viên dự bị không có ngày chính thức."
    if official and admission and official < admission and "official_date" not in errors:
        errors["official_date"] = "Ngày chính thức trước ngày vào Đảng."
    if data.get("temp_from") and data.get("temp_to") and data["temp_to"] < data["temp_from"]:
        errors["temp_to"] = "Ngày kết thúc sinh hoạt tạm thời trước ngày bắt đầu."
    phone = (data.get("phone") or "").strip()
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = f"Số điện thoại {phone!r} không hợp lệ."
    email = (data.get("email") or "").strip()
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = f"Email {email!r} không hợp lệ."
    if cccd:
        if not CCCD_RE.match(cccd):
            errors["cccd"] = "Số CCCD phải gồm đúng 12 chữ số."
        elif check_unique:
            qs = Member.objects.filter(cccd_hash=crypto.blind_index(cccd))
            if instance is not None:
                qs = qs.exclude(pk=instance.pk)
            if qs.exists():
                errors["cccd"] = "Số CCCD đã có ở một đảng viên khác."
    card = (data.get("card_number") or "").strip()
    if card:
        if not re.match(r"^[0-9A-Za-z.\-]{4,20}$", card):
            errors["card_number"] = f"Số thẻ đảng viên {card!r} không hợp lệ."
        elif check_unique:
            qs = Member.objects.filter(card_number=card)
            if instance is not None:
                qs = qs.exclude(pk=instance.pk)
            if qs.exists():
                errors["card_number"] = f"Số thẻ đảng viên {card} đã có ở một đảng viên khác."
    if organisation is None:
        errors["organisation"] = "Thiếu chi bộ."
    elif not organisation.is_cell:
        errors["organisation"] = f"{organisation.name} không phải là chi bộ."
    if party_group is not None and organisation is not None:
        if party_group.kind != OrgKind.GROUP or party_group.parent_id != organisation.pk:
            errors["party_group"] = f"{party_group.name} không phải tổ đảng của {organisation.name}."
    return errors


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_member(
    *,
    actor: Any,
    organisation: Organisation,
    party_group: Organisation | None = None,
    cccd: str = "",
    joined_on: dt.date | None = None,
    **fields: Any,
) -> Member:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    fields = normalise(fields)
    cccd = (cccd or "").strip()
    _raise(validate_member(fields, organisation=organisation, party_group=party_group, cccd=cccd))
    member = Member(organisation=organisation, party_group=party_group, **fields)
    member.set_cccd(cccd)
    member.save()
    Membership.objects.create(
        member=member,
        organisation=organisation,
        party_group=party_group,
        start=joined_on or timezone.localdate(),
    )
    after = snapshot(member, AUDIT_FIELDS)
    if cccd:
        after["cccd"] = "***"
    record(
        actor=actor, action=AuditAction.CREATE, obj=member,
        org_path=organisation.path, changes=diff({}, after),
    )
    return member


class Conflict(ValidationError):
    def __init__(self) -> None:
        super().__init__("Hồ sơ đảng viên vừa được người khác cập nhật. Hãy tải lại trang rồi thử lại.")


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def edit_version(member: Member) -> str:
    """The version of MEMBER's record an editor saw: when it was last saved, in microseconds
    (every write to a member goes through save(), which sets updated_at)."""
    return str((member.updated_at - _EPOCH) // dt.timedelta(microseconds=1)) if member.updated_at else ""


@transaction.atomic
def update_member(
    *, actor: Any, member: Member, cccd: str | None = None, expected_version: str | None = None, **fields: Any
) -> Member:
    """Edit a member's record. cccd=None leaves it unchanged; "" clears it. With EXPECTED_VERSION
    (edit_version() of the record the editor saw), a record saved since then raises Conflict."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    member = Member.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=member.pk)
    if expected_version and expected_version != edit_version(member):
        raise Conflict()
    fields = normalise(fields)
    before = snapshot(member, AUDIT_FIELDS)
    before["cccd"] = member.cccd_hash or ""
    merged = {key: getattr(member, key) for key in EDITABLE_FIELDS}
    merged.update(fields)
    _raise(
        validate_member(
            merged, organisation=member.organisation, party_group=member.party_group,
            cccd=cccd or None, instance=member,
        )
    )
    for key, value in fields.items():
        setattr(member, key, value)
    if cccd is not None:
        member.set_cccd(cccd.strip())
    member.save()
    after = snapshot(member, AUDIT_FIELDS)
    after["cccd"] = member.cccd_hash or ""
    changes = diff(before, after)
    if changes:
        record(
            actor=actor, action=AuditAction.UPDATE, obj=member,
            org_path=member.organisation.path, changes=changes,
        )
    return member


@transaction.atomic
def transfer_member(
    *,
    actor: Any,
    member: Member,
    organisation: Organisation,
    party_group: Organisation | None = None,
    on: dt.date | None = None,
    note: str = "",
) -> Member:
    """Move a member to another cell and/or tổ đảng from ON; history is kept."""
    on = on or timezone.localdate()
    member = Member.objects.select_for_update(of=("self",)).select_related(
        "organisation", "party_group"
    ).get(pk=member.pk)
    errors = {
        k: v
        for k, v in validate_member(
            {"full_name": member.full_name},
            organisation=organisation, party_group=party_group, check_unique=False,
        ).items()
        if k in {"organisation", "party_group"}
    }
    _raise(errors)
    if member.organisation_id == organisation.pk and member.party_group_id == (
        party_group.pk if party_group else None
    ):
        raise ValidationError({"organisation": "Đảng viên đã ở chi bộ và tổ đảng này."})
    current = member.memberships.filter(end__isnull=True).first()
    if current is not None:
        if on < current.start:
            raise ValidationError({"on": "Ngày chuyển trước ngày bắt đầu sinh hoạt hiện tại."})
        current.end = on - dt.timedelta(days=1) if on > current.start else on
        current.save(update_fields=["end"])
    Membership.objects.create(
        member=member, organisation=organisation, party_group=party_group, start=on,
        note=vntext.clean(note),
    )
    before = {"organisation": str(member.organisation), "party_group": str(member.party_group or "")}
    old_path = member.organisation.path
    member.organisation = organisation
    member.party_group = party_group
    member.save(update_fields=["organisation", "party_group", "updated_at"])
    after = {"organisation": str(organisation), "party_group": str(party_group or "")}
    record(
        actor=actor, action=AuditAction.MOVE, obj=member, org_path=organisation.path,
        changes=diff(before, after) | {"on": ["", on.strftime("%d/%m/%Y")]},
    )
    if old_path != organisation.path:
        # The cell the member left keeps a trace of the move in its own log too.
        record(
            actor=actor, action=AuditAction.MOVE, obj=member, org_path=old_path,
            changes=diff(before, after) | {"on": ["", on.strftime("%d/%m/%Y")]},
        )
    return member


@transaction.atomic
def delete_member(*, actor: Any, member: Member) -> None:
    member = Member.objects.select_related("organisation").get(pk=member.pk)
    before = snapshot(member, AUDIT_FIELDS)
    path = member.organisation.path
    record(
        actor=actor, action=AuditAction.DELETE, obj=member, org_path=path,
        changes=diff(before, {}),
    )
    member.delete()
