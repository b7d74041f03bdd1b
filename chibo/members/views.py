from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chibo.accounts.access import get_scope, member_for_user, org_for_user, perms_for, require
from chibo.accounts.permissions import Perm
from chibo.core.forms import apply_service_errors
from chibo.core.paging import CappedPaginator
from chibo.members import selectors, services
from chibo.members.forms import MemberCreateForm, MemberForm, TransferForm
from chibo.members.models import MemberStatus
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind, under

PAGE_SIZE = 100


def _manageable_cells(user, only: Organisation | None = None) -> QuerySet[Organisation]:  # type: ignore[no-untyped-def]
    qs = Organisation.objects.filter(get_scope(user).q(Perm.MEMBER_MANAGE), kind__in=list(CELL_KINDS))
    if only is not None:
        qs = qs.filter(under(only.path))
    return qs.order_by("sort_key")


def _groups_of(cells: QuerySet[Organisation]) -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrgKind.GROUP, parent__in=cells).order_by("sort_key")


@require_GET
@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    org = None
    if request.GET.get("to_chuc"):
        org, _ = org_for_user(request.user, request.GET["to_chuc"])
    status = request.GET.get("trang_thai", "")
    if status not in MemberStatus.values:
        status = ""
    query = request.GET.get("q", "")
    members = selectors.member_list(request.user, organisation=org, query=query, status=status)
    page = CappedPaginator(members.values_list(*selectors.LIST_FIELDS), PAGE_SIZE).get_page(request.GET.get("trang"))
    perms = perms_for(request.user, org) if org else frozenset()
    context = {
        "org": org,
        "page": page,
        "rows": selectors.member_rows(page.object_list, start=page.start_index()),
        "query": query,
        "status": status,
        "statuses": MemberStatus.choices,
        "can_manage": Perm.MEMBER_MANAGE in perms,
        "can_import": get_scope(request.user).has_anywhere(Perm.MEMBER_MANAGE),
    }
    template = "members/_rows.html" if request.htmx else "members/list.html"
    return render(request, template, context)


@require_GET
@login_required
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member, can_write = member_for_user(request.user, pk)
    perms = perms_for(request.user, member.organisation)
    return render(
        request,
        "members/detail.html",
        {
            "member": member,
            "can_write": can_write,
            "show_cccd": Perm.MEMBER_VIEW_SENSITIVE in perms,
            "memberships": selectors.memberships(member),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def member_create(request: HttpRequest) -> HttpResponse:
    only = None
    if request.GET.get("to_chuc"):
        only, _ = org_for_user(request.user, request.GET["to_chuc"])
        require(request.user, only, Perm.MEMBER_MANAGE)
    elif not get_scope(request.user).has_anywhere(Perm.MEMBER_MANAGE):
        raise PermissionDenied("Bạn không có quyền thêm đảng viên.")
    cells = _manageable_cells(request.user, only)
    initial = {"status": MemberStatus.FULL, "ethnicity": "Kinh"}
    if only is not None and only.is_cell:
        initial["organisation"] = only.pk
    form = MemberCreateForm(request.POST or None, cells=cells, groups=_groups_of(cells), initial=initial)
    if request.method == "POST" and form.is_valid():
        cell = form.cleaned_data["organisation"]
        require(request.user, cell, Perm.MEMBER_MANAGE)
        try:
            member = services.create_member(
                actor=request.user,
                organisation=cell,
                party_group=form.cleaned_data["party_group"],
                cccd=form.cleaned_data["cccd"],
                **form.member_fields(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã thêm đảng viên {member.full_name}.")
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/form.html", {"form": form, "title": "Thêm đảng viên"})


@require_http_methods(["GET", "POST"])
@login_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member, _ = member_for_user(request.user, pk, need=Perm.MEMBER_MANAGE)
    fields = list(MemberForm.base_fields)
    initial = {name: getattr(member, name) for name in fields if name not in ("cccd", "expected_version")}
    initial["expected_version"] = services.edit_version(member)
    form = MemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cccd = form.cleaned_data["cccd"].strip() or None
        try:
            services.update_member(
                actor=request.user, member=member, cccd=cccd,
                expected_version=form.cleaned_data["expected_version"] or None, **form.member_fields(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            status = 409 if isinstance(exc, services.Conflict) else 200
            context = {"form": form, "member": member, "title": f"Sửa: {member.full_name}"}
            return render(request, "members/form.html", context, status=status)
        else:
            messages.success(request, "Đã lưu thay đổi.")
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/form.html", {"form": form, "member": member, "title": f"Sửa: {member.full_name}"})


@require_http_methods(["GET", "POST"])
@login_required
def member_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    member, _ = member_for_user(request.user, pk, need=Perm.MEMBER_MANAGE)
    cells = _manageable_cells(request.user)
    form = TransferForm(request.POST or None, cells=cells, groups=_groups_of(cells))
    if request.method == "POST" and form.is_valid():
        require(request.user, form.cleaned_data["organisation"], Perm.MEMBER_MANAGE)
        try:
            services.transfer_member(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã chuyển sinh hoạt cho {member.full_name}.")
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/form.html", {"form": form, "member": member, "title": f"Chuyển sinh hoạt: {member.full_name}"})


@require_POST
@login_required
def member_delete(request: HttpRequest, pk: int) -> HttpResponse:
    member, _ = member_for_user(request.user, pk, need=Perm.MEMBER_MANAGE)
    cell_id = member.organisation_id
    services.delete_member(actor=request.user, member=member)
    messages.success(request, f"Đã xóa {member.full_name} khỏi danh sách.")
    return redirect(f"/dang-vien/?to_chuc={cell_id}")
