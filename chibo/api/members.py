"""/members: party members (đảng viên), scoped to the caller's subtree."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status
from pydantic import Field

from chibo.accounts.access import member_for_user, org_for_user, perms_for, require
from chibo.accounts.permissions import Perm
from chibo.api.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut, InputSchema
from chibo.members import selectors, services
from chibo.members.models import Member, MemberStatus, PartyPosition, TempDirection
from chibo.organisations.models import Organisation

DATE = "Ngày theo ISO 8601: yyyy-mm-dd."
# Gender.values plus "" (not given); test_gender_choices_match_model guards the copy.
GenderIn = Literal["nam", "nu", ""]
_SENSITIVE_CACHE_ATTR = "_chibo_api_sensitive"

router = Router(tags=["Đảng viên"])


def can_view_sensitive(request: HttpRequest, organisation: Organisation) -> bool:
    """Whether the caller sees the full CCCD of members of ORGANISATION (cached per request)."""
    cache: dict[str, bool] | None = getattr(request, _SENSITIVE_CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(request, _SENSITIVE_CACHE_ATTR, cache)
    if organisation.path not in cache:
        cache[organisation.path] = Perm.MEMBER_VIEW_SENSITIVE in perms_for(request.user, organisation)
    return cache[organisation.path]


class MemberOut(Schema):
    id: int
    full_name: str
    given_name: str = Field(description="Tên (từ cuối của họ và tên).")
    birth_date: dt.date | None = Field(description=DATE)
    gender: str = Field(description='"nam", "nu" hoặc rỗng.')
    ethnicity: str
    hometown: str
    residence: str
    admission_date: dt.date | None = Field(description=DATE)
    official_date: dt.date | None = Field(description=DATE)
    card_number: str | None
    cccd: str = Field(
        description="Số CCCD: đầy đủ khi có quyền xem thông tin nhạy cảm, ngược lại chỉ 4 số cuối."
    )
    phone: str
    email: str
    party_position: str
    government_position: str
    status: str = Field(description='"chinh_thuc" (chính thức) hoặc "du_bi" (dự bị).')
    exempt_from: dt.date | None = Field(description=DATE)
    temp_direction: str = Field(description='"den", "di" hoặc rỗng.')
    temp_other_cell: str
    temp_from: dt.date | None = Field(description=DATE)
    temp_to: dt.date | None = Field(description=DATE)
    suspended_from: dt.date | None = Field(description=DATE)
    special_duty: bool
    left_at: dt.date | None = Field(description=DATE)
    organisation_id: int
    party_group_id: int | None
    flags: list[str] = Field(description="Các tình trạng đang áp dụng hôm nay (miễn, tạm, đình chỉ…).")
    version: str = Field(description="Phiên bản hồ sơ; gửi lại trong expected_version khi sửa để tránh ghi đè.")

    @staticmethod
    def resolve_version(obj: Member) -> str:
        return services.edit_version(obj)

    @staticmethod
    def resolve_cccd(obj: Member, context: dict[str, Any]) -> str:
        if can_view_sensitive(context["request"], obj.organisation):
            return obj.cccd
        return obj.cccd_masked

    @staticmethod
    def resolve_flags(obj: Member) -> list[str]:
        return obj.flags()


class MemberFilter(Schema):
    organisation: int | None = Field(None, description="Chỉ đảng viên trong cây của tổ chức này.")
    q: str = Field("", max_length=100, description="Tìm theo họ tên (không dấu cũng được).")
    status: MemberStatus | None = None
    include_left: bool = Field(False, description="Gồm cả đảng viên đã ra khỏi danh sách.")


class MemberFieldsIn(InputSchema):
    """Member fields. In PATCH only the fields sent are changed; dates are yyyy-mm-dd."""

    full_name: str = Field(None, max_length=120)
    birth_date: dt.date | None = Field(None, description=DATE)
    gender: GenderIn = Field(None)
    ethnicity: str = Field(None, max_length=40)
    hometown: str = Field(None, max_length=255)
    residence: str = Field(None, max_length=255)
    admission_date: dt.date | None = Field(None, description=DATE)
    official_date: dt.date | None = Field(None, description=DATE)
    card_number: str | None = Field(None, max_length=20)
    cccd: str | None = Field(
        None, max_length=20, description='12 chữ số. PATCH: bỏ qua hoặc null là giữ nguyên, "" là xóa.'
    )
    phone: str = Field(None, max_length=20)
    email: str = Field(None, max_length=254)
    party_position: PartyPosition = Field(None)
    government_position: str = Field(None, max_length=255)
    status: MemberStatus = Field(None)
    exempt_from: dt.date | None = Field(None, description=DATE)
    temp_direction: TempDirection = Field(None)
    temp_other_cell: str = Field(None, max_length=255)
    temp_from: dt.date | None = Field(None, description=DATE)
    temp_to: dt.date | None = Field(None, description=DATE)
    suspended_from: dt.date | None = Field(None, description=DATE)
    special_duty: bool = Field(None)
    left_at: dt.date | None = Field(None, description=DATE)


class MemberPatchIn(MemberFieldsIn):
    expected_version: str | None = Field(
        None,
        max_length=24,
        description="Phiên bản (version) của hồ sơ khi bắt đầu sửa; hồ sơ đã được lưu sau đó thì trả 409, không ghi gì.",
    )


class MemberCreateIn(MemberFieldsIn):
    """A new member. Fields left out take their defaults (chính thức, dân tộc Kinh…)."""

    organisation: int = Field(description="Chi bộ.")
    party_group: int | None = Field(None, description="Tổ đảng của chi bộ đó.")
    full_name: str = Field(max_length=120)
    joined_on: dt.date | None = Field(
        None, description="Ngày bắt đầu sinh hoạt tại chi bộ; mặc định hôm nay."
    )


class TransferIn(InputSchema):
    organisation: int = Field(description="Chi bộ nhận.")
    party_group: int | None = Field(None, description="Tổ đảng của chi bộ nhận.")
    on: dt.date | None = Field(None, description="Ngày chuyển, yyyy-mm-dd; mặc định hôm nay.")
    note: str = Field("", max_length=255)


def _group(user: Any, pk: int | None) -> Organisation | None:
    return org_for_user(user, pk)[0] if pk is not None else None


@router.get("", response={200: list[MemberOut], **READ_ERRORS}, summary="Danh sách đảng viên")
@paginate(PageNumberPagination)
def list_members(request: HttpRequest, filters: Query[MemberFilter]) -> Any:
    org = org_for_user(request.user, filters.organisation)[0] if filters.organisation is not None else None
    return selectors.member_list(
        request.user,
        organisation=org,
        query=filters.q,
        status=filters.status or "",
        include_left=filters.include_left,
    )


@router.get("/{member_id}", response={200: MemberOut, **READ_ERRORS}, summary="Một đảng viên")
def get_member(request: HttpRequest, member_id: int) -> Any:
    return member_for_user(request.user, member_id)[0]


@router.post("", response={201: MemberOut, **WRITE_ERRORS}, summary="Thêm đảng viên")
def create_member(request: HttpRequest, payload: MemberCreateIn) -> Any:
    cell, _ = org_for_user(request.user, payload.organisation)
    require(request.user, cell, Perm.MEMBER_MANAGE)
    fields = payload.model_dump(
        exclude_unset=True, exclude={"organisation", "party_group", "cccd", "joined_on"}
    )
    member = services.create_member(
        actor=request.user,
        organisation=cell,
        party_group=_group(request.user, payload.party_group),
        cccd=payload.cccd or "",
        joined_on=payload.joined_on,
        **fields,
    )
    return Status(201, member)


@router.patch(
    "/{member_id}", response={200: MemberOut, **WRITE_ERRORS, 409: ErrorOut}, summary="Sửa đảng viên"
)
def update_member(request: HttpRequest, member_id: int, payload: MemberPatchIn) -> Any:
    """Only the fields sent change. With expected_version, a record saved since gives 409 and nothing is written."""
    member, _ = member_for_user(request.user, member_id, need=Perm.MEMBER_MANAGE)
    fields = payload.model_dump(exclude_unset=True)
    cccd = fields.pop("cccd", None)
    expected = fields.pop("expected_version", None)
    try:
        return services.update_member(
            actor=request.user, member=member, cccd=cccd, expected_version=expected, **fields
        )
    except services.Conflict as exc:
        return Status(409, {"detail": " ".join(exc.messages)})


@router.post(
    "/{member_id}/transfer",
    response={200: MemberOut, **WRITE_ERRORS},
    summary="Chuyển sinh hoạt sang chi bộ / tổ đảng khác",
)
def transfer_member(request: HttpRequest, member_id: int, payload: TransferIn) -> Any:
    """Needs the member-manager right at the current and at the receiving cell."""
    member, _ = member_for_user(request.user, member_id, need=Perm.MEMBER_MANAGE)
    target, _ = org_for_user(request.user, payload.organisation)
    require(request.user, target, Perm.MEMBER_MANAGE)
    return services.transfer_member(
        actor=request.user,
        member=member,
        organisation=target,
        party_group=_group(request.user, payload.party_group),
        on=payload.on,
        note=payload.note,
    )


@router.delete("/{member_id}", response={204: None, **WRITE_ERRORS}, summary="Xóa đảng viên")
def delete_member(request: HttpRequest, member_id: int) -> Any:
    member, _ = member_for_user(request.user, member_id, need=Perm.MEMBER_MANAGE)
    services.delete_member(actor=request.user, member=member)
    return Status(204, None)
