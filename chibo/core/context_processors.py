from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse

NAV = [
    ("organisations", "Tổ chức", "organisations:list"),
    ("members", "Đảng viên", "members:list"),
    ("meetings", "Sinh hoạt", "meetings:list"),
    ("tasks", "Nhiệm vụ", "meetings:tasks"),
    ("bulletin", "Thời sự", "bulletin:index"),
    ("annual", "Kiểm điểm, đảng phí", "annual:index"),
    ("oversight", "Cấp trên", "oversight:index"),
]
# The links every page's header shows besides NAV (templates/base.html).
HEADER = {"home": "core:home", "profile": "accounts:profile", "logout": "accounts:logout"}


@lru_cache(maxsize=16)
def _links(prefix: str, urlconf: Any) -> tuple[tuple[tuple[str, str, str], ...], MappingProxyType[str, str]]:
    """NAV as (key, label, url) and HEADER's urls: the same for every request under one script
    prefix and URLconf, so reversed once per process, not ~10 reverse() calls on every page."""
    nav = tuple((key, label, reverse(name, urlconf=urlconf)) for key, label, name in NAV)
    return nav, MappingProxyType({key: reverse(name, urlconf=urlconf) for key, name in HEADER.items()})


def chibo(request: HttpRequest) -> dict[str, Any]:
    section = getattr(getattr(request, "resolver_match", None), "app_name", "") or ""
    url_name = getattr(getattr(request, "resolver_match", None), "url_name", "") or ""
    if section == "meetings" and url_name == "tasks":
        section = "tasks"
    nav, header = _links(get_script_prefix(), get_urlconf())
    return {"nav_items": nav, "nav_section": section, "header_urls": header}
