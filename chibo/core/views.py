from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from chibo.organisations import selectors as org_selectors

COMING = {
    "meetings": (
        "Sinh hoạt",
        "Kế hoạch năm, chuẩn bị, điều hành buổi sinh hoạt (điểm danh, phát biểu, biểu quyết, "
        "chấm điểm) và biên bản đang được xây dựng. Phần này sẽ có ở bản tiếp theo.",
    ),
    "tasks": (
        "Nhiệm vụ",
        "Nhiệm vụ giao tại buổi sinh hoạt và theo dõi kết quả đến khi báo cáo hoàn thành "
        "sẽ có cùng với phần Sinh hoạt.",
    ),
    "reports": (
        "Báo cáo",
        "Bảng theo dõi của cấp ủy cấp trên (số buổi sinh hoạt, chất lượng, điểm danh, "
        "nhiệm vụ quá hạn) sẽ có sau phần Sinh hoạt.",
    ),
}


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


def coming(section: str):  # type: ignore[no-untyped-def]
    @require_GET
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        title, text = COMING[section]
        return render(request, "core/coming.html", {"title": title, "text": text})

    view.__name__ = f"coming_{section}"
    return view
