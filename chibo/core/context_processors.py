from __future__ import annotations

from typing import Any

from django.http import HttpRequest

NAV = [
    ("organisations", "Tổ chức", "organisations:list"),
    ("members", "Đảng viên", "members:list"),
    ("meetings", "Sinh hoạt", "meetings:list"),
    ("tasks", "Nhiệm vụ", "meetings:tasks"),
    ("bulletin", "Thời sự", "bulletin:index"),
    ("annual", "Kiểm điểm, đảng phí", "annual:index"),
    ("oversight", "Cấp trên", "oversight:index"),
]


def chibo(request: HttpRequest) -> dict[str, Any]:
    section = getattr(getattr(request, "resolver_match", None), "app_name", "") or ""
    url_name = getattr(getattr(request, "resolver_match", None), "url_name", "") or ""
    if section == "meetings" and url_name == "tasks":
        section = "tasks"
    return {"nav_items": NAV, "nav_section": section}
