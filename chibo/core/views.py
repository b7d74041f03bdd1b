from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from chibo.organisations import selectors as org_selectors


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    member = getattr(request.user, "member", None)
    if member is not None and member.organisation_id:
        return redirect("organisations:detail", pk=member.organisation_id)
    roots = list(org_selectors.with_member_counts(org_selectors.scope_roots(request.user)))
    if len(roots) == 1:
        return redirect("organisations:detail", pk=roots[0].pk)
    return render(request, "core/home.html", {"roots": roots})

