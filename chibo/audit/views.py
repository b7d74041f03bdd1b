from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chibo.accounts.access import get_scope, org_for_user
from chibo.accounts.permissions import Perm
from chibo.audit.models import AuditEntry
from chibo.organisations.models import under


@require_GET
@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    scope = get_scope(request.user)
    org = None
    if request.GET.get("to_chuc"):
        org, _ = org_for_user(request.user, request.GET["to_chuc"], need=Perm.AUDIT_VIEW)
    elif not scope.has_anywhere(Perm.AUDIT_VIEW):
        raise PermissionDenied("Chỉ quản trị viên xem được nhật ký.")
    entries = AuditEntry.objects.filter(scope.q(Perm.AUDIT_VIEW, "org_path"))
    if org is not None:
        entries = entries.filter(under(org.path, "org_"))
    page = Paginator(entries.order_by("-at", "-id"), 50).get_page(request.GET.get("trang"))
    return render(request, "audit/list.html", {"page": page, "org": org})
