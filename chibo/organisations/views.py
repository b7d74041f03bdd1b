from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from chibo.accounts.access import get_scope, org_for_user, perms_for
from chibo.accounts.permissions import Perm
from chibo.core.forms import apply_service_errors, show_conflict
from chibo.core.versions import Stale
from chibo.organisations import selectors, services
from chibo.organisations.forms import MoveForm, OrganisationForm, TermForm
from chibo.organisations.models import CELL_KINDS, Organisation, OrgKind


@require_GET
@login_required
def org_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    roots = list(selectors.with_member_counts(selectors.scope_roots(request.user)))
    results = selectors.search(request.user, query) if query else None
    template = "organisations/_search_results.html" if request.htmx else "organisations/list.html"
    return render(request, template, {"roots": roots, "query": query, "results": results})


@require_GET
@login_required
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org, can_write = org_for_user(request.user, pk)
    perms = perms_for(request.user, org)
    context = {
        "org": org,
        "can_write": can_write,
        "can_admin": Perm.ORG_ADMIN in perms,
        "can_manage_members": Perm.MEMBER_MANAGE in perms,
        "can_manage_roles": Perm.ROLE_MANAGE in perms,
        "can_see_audit": Perm.AUDIT_VIEW in perms,
        "ancestors": selectors.ancestors(org),
        "children": list(selectors.children(org)),
        "term": selectors.current_term(org),
        "rulebook": selectors.effective_rulebook(org),
        "moves": list(org.moves.all()[:10]),
    }
    if org.is_cell or org.is_group:
        cell = org if org.is_cell else org.parent
        summary = selectors.cell_summary(cell)
        context.update(
            summary=summary,
            warnings=selectors.structure_warnings(cell, summary),
            birthdays=selectors.birthdays_of_month(cell),
        )
    return render(request, "organisations/detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def org_create(request: HttpRequest, pk: int) -> HttpResponse:
    parent, _ = org_for_user(request.user, pk)
    perms = perms_for(request.user, parent)
    # Cell managers may add tổ đảng to their cell; other nodes need the admin right.
    need = Perm.ORG_MANAGE if parent.kind in CELL_KINDS else Perm.ORG_ADMIN
    if need not in perms:
        raise PermissionDenied("Bạn không có quyền thêm tổ chức ở đây.")
    ancestors = [*selectors.ancestors(parent), parent]
    initial = {"kind": OrgKind.GROUP if parent.kind in CELL_KINDS else OrgKind.CELL}
    form = OrganisationForm(request.POST or None, ancestors=ancestors, initial=initial)
    if parent.kind in CELL_KINDS:
        form.fields["kind"].choices = [(OrgKind.GROUP.value, OrgKind.GROUP.label)]
    if request.method == "POST" and form.is_valid():
        try:
            data = {k: v for k, v in form.cleaned_data.items() if k != "expected_version"}
            org = services.create_organisation(actor=request.user, parent=parent, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã tạo {org.name}.")
            return redirect("organisations:detail", pk=org.pk)
    return render(
        request, "organisations/form.html",
        {"form": form, "parent": parent, "title": f"Thêm tổ chức trực thuộc {parent.name}", "perms": perms},
    )


@require_http_methods(["GET", "POST"])
@login_required
def org_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org, _ = org_for_user(request.user, pk, need=Perm.ORG_MANAGE)
    ancestors = selectors.ancestors(org)
    initial = {
        "name": org.name, "kind": org.kind, "code": org.code or "", "address": org.address,
        "founded_on": org.founded_on, "rulebook_code": org.rulebook_code, "supervisor": org.supervisor_id,
        "expected_version": services.edit_version(org),
    }
    form = OrganisationForm(request.POST or None, ancestors=ancestors, initial=initial)
    if Perm.ORG_ADMIN not in perms_for(request.user, org.parent or org):
        form.fields["kind"].disabled = True
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("expected_version") or None
        try:
            services.update_organisation(actor=request.user, org=org, expected_version=expected, **data)
        except Stale as exc:
            show_conflict(form, exc)
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Đã lưu thay đổi.")
            return redirect("organisations:detail", pk=org.pk)
    context = {"form": form, "org": org, "title": f"Sửa {org.name}"}
    return render(request, "organisations/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def org_move(request: HttpRequest, pk: int) -> HttpResponse:
    org, _ = org_for_user(request.user, pk)
    if Perm.ORG_ADMIN not in perms_for(request.user, org.parent or org):
        raise PermissionDenied("Chỉ quản trị viên cấp trên được chuyển tổ chức.")
    scope = get_scope(request.user)
    if org.kind == OrgKind.GROUP:
        allowed_kinds = list(CELL_KINDS)
    else:
        allowed_kinds = [k for k in OrgKind.values if k not in CELL_KINDS and k != OrgKind.GROUP]
    candidates = (
        Organisation.objects.filter(scope.q(Perm.ORG_ADMIN), kind__in=allowed_kinds)
        .exclude(path__startswith=org.path)
        .exclude(pk=org.parent_id)
        .order_by("sort_key")[:500]
    )
    form = MoveForm(request.POST or None, candidates=Organisation.objects.filter(pk__in=[c.pk for c in candidates]).order_by("sort_key"))
    if request.method == "POST" and form.is_valid():
        try:
            services.move_organisation(
                actor=request.user, org=org, new_parent=form.cleaned_data["new_parent"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Đã chuyển {org.name} về {form.cleaned_data['new_parent'].name}.")
            return redirect("organisations:detail", pk=org.pk)
    return render(request, "organisations/form.html", {"form": form, "org": org, "title": f"Chuyển {org.name}"})


@require_http_methods(["GET", "POST"])
@login_required
def term_add(request: HttpRequest, pk: int) -> HttpResponse:
    org, _ = org_for_user(request.user, pk, need=Perm.ORG_MANAGE)
    form = TermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_term(actor=request.user, org=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Đã thêm nhiệm kỳ.")
            return redirect("organisations:detail", pk=org.pk)
    return render(request, "organisations/form.html", {"form": form, "org": org, "title": f"Thêm nhiệm kỳ — {org.name}"})
