"""/organisations: the Party organisation tree, scoped to the caller's subtree."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status
from pydantic import Field

from chibo.accounts.access import org_for_user, perms_for, require
from chibo.accounts.permissions import Perm
from chibo.api.schemas import EXPECTED_VERSION, READ_ERRORS, VERSION, WRITE_409, WRITE_ERRORS, InputSchema
from chibo.organisations import selectors, services
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind

# Upper bound on search hits (the search itself is bounded and done on a scoped set).
SEARCH_LIMIT = 500

router = Router(tags=["Tổ chức đảng"])


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str = Field(description="Mã loại tổ chức (xem kind_label).")
    kind_label: str
    code: str | None
    parent_id: int | None
    depth: int = Field(description="0 là gốc.")
    path: str = Field(description='Đường dẫn vật chất hóa, ví dụ "/1/7/42/".')
    supervisor_id: int | None = Field(description="Cấp ủy cấp trên theo dõi; null là cấp trên trực tiếp.")
    rulebook_code: str = Field(description="Bộ quy tắc; rỗng là dùng bộ quy tắc của cấp trên.")
    address: str
    founded_on: dt.date | None = Field(description="Ngày thành lập; null là không rõ (coi như có từ trước).")
    is_active: bool
    version: str = Field(description=VERSION)

    @staticmethod
    def resolve_kind_label(obj: Organisation) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_version(obj: Organisation) -> str:
        return services.edit_version(obj)


class OrganisationFilter(Schema):
    parent: int | None = Field(None, description="Chỉ các tổ chức trực thuộc tổ chức này.")
    q: str = Field("", max_length=100, description="Tìm theo tên (không phân biệt dấu nếu gõ không dấu).")


class OrganisationCreateIn(InputSchema):
    parent: int = Field(description="Cấp trên trực tiếp.")
    name: str = Field(max_length=255)
    kind: OrgKind
    code: str | None = Field(None, max_length=40)
    supervisor: int | None = Field(None, description="Một cấp trên của tổ chức; null là cấp trên trực tiếp.")
    rulebook_code: str = Field("", max_length=60)
    address: str = Field("", max_length=255)
    founded_on: dt.date | None = None


class OrganisationPatchIn(InputSchema):
    """Only the fields sent are changed. Moving to another parent uses /move."""

    name: str = Field(None, max_length=255)
    kind: OrgKind = Field(None, description="Đổi loại cần quyền quản trị ở cấp trên.")
    code: str | None = Field(None, max_length=40)
    supervisor: int | None = Field(None, description="Một cấp trên của tổ chức; null là cấp trên trực tiếp.")
    rulebook_code: str = Field(None, max_length=60)
    address: str = Field(None, max_length=255)
    founded_on: dt.date | None = Field(None)
    is_active: bool = Field(None)
    expected_version: str | None = Field(None, max_length=32, description=EXPECTED_VERSION)


class MoveIn(InputSchema):
    new_parent: int
    note: str = Field("", max_length=255, description="Ghi chú, ví dụ số quyết định.")


def _supervisor(pk: int | None, under: Organisation) -> Organisation | None:
    """The supervisor PK, which must be UNDER itself or one of its ancestors."""
    if pk is None:
        return None
    allowed = {*under.ancestor_ids(), under.pk}
    if pk not in allowed:
        raise ValidationError({"supervisor": "Cấp ủy theo dõi phải là một cấp trên của tổ chức."})
    return Organisation.objects.get(pk=pk)


def _require_admin_over(user: Any, org: Organisation) -> None:
    """ORG_ADMIN where ORG hangs (its parent, or itself for a root): 403 otherwise.

    The caller already sees ORG, so lacking the right on the parent is a 403, not a 404.
    """
    if Perm.ORG_ADMIN not in perms_for(user, org.parent or org):
        raise PermissionDenied("Bạn không có quyền quản trị ở cấp trên của tổ chức này.")


@router.get("", response={200: list[OrganisationOut], **READ_ERRORS}, summary="Danh sách tổ chức")
@paginate(PageNumberPagination)
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilter]) -> Any:
    """Organisations the caller may see; by tree path, or by name when filtered by parent or q."""
    parent = org_for_user(request.user, filters.parent)[0] if filters.parent is not None else None
    if filters.q.strip():
        hits = selectors.search(request.user, filters.q, limit=SEARCH_LIMIT)
        return [o for o in hits if parent is None or o.parent_id == parent.pk]
    qs = selectors.visible_organisations(request.user)
    if parent is not None:
        return qs.filter(parent=parent).order_by("sort_key")
    return qs.order_by("path")


@router.get("/{org_id}", response={200: OrganisationOut, **READ_ERRORS}, summary="Một tổ chức")
def get_organisation(request: HttpRequest, org_id: int) -> Any:
    return org_for_user(request.user, org_id)[0]


@router.post("", response={201: OrganisationOut, **WRITE_ERRORS}, summary="Thêm tổ chức")
def create_organisation(request: HttpRequest, payload: OrganisationCreateIn) -> Any:
    """Under a chi bộ (a tổ đảng) needs the cell manager right; elsewhere the admin right."""
    parent, _ = org_for_user(request.user, payload.parent)
    require(request.user, parent, Perm.ORG_MANAGE if parent.kind in CELL_KINDS else Perm.ORG_ADMIN)
    data = payload.model_dump(exclude={"parent", "supervisor"})
    org = services.create_organisation(
        actor=request.user, parent=parent, supervisor=_supervisor(payload.supervisor, parent), **data
    )
    return Status(201, org)


@router.patch("/{org_id}", response={200: OrganisationOut, **WRITE_409}, summary="Sửa tổ chức")
def update_organisation(request: HttpRequest, org_id: int, payload: OrganisationPatchIn) -> Any:
    """Only the fields sent change. With expected_version, a record changed since gives 409 and nothing is written."""
    org, _ = org_for_user(request.user, org_id, need=Perm.ORG_MANAGE)
    fields = payload.model_dump(exclude_unset=True)
    if "kind" in fields and fields["kind"] != org.kind:
        _require_admin_over(request.user, org)
    if "supervisor" in fields:
        fields["supervisor"] = _supervisor(fields["supervisor"], org.parent or org)
    return services.update_organisation(actor=request.user, org=org, **fields)


@router.post(
    "/{org_id}/move",
    response={200: OrganisationOut, **WRITE_ERRORS},
    summary="Chuyển tổ chức sang cấp trên khác",
)
def move_organisation(request: HttpRequest, org_id: int, payload: MoveIn) -> Any:
    """Needs the admin right at the current parent and at the new parent; the subtree moves too."""
    org, _ = org_for_user(request.user, org_id)
    _require_admin_over(request.user, org)
    new_parent, _ = org_for_user(request.user, payload.new_parent)
    require(request.user, new_parent, Perm.ORG_ADMIN)
    return services.move_organisation(actor=request.user, org=org, new_parent=new_parent, note=payload.note)
