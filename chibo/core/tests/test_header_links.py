"""Every page's header: the main navigation and the header's links (reversed once per process and
script prefix: chibo/core/context_processors.py) are the app's URLs, under the prefix it is served at."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse, set_script_prefix

from chibo.core.context_processors import HEADER, NAV

pytestmark = pytest.mark.django_db


def header_links(html: str) -> list[str]:
    top = html.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]
    return re.findall(r'(?:href|action)="([^"]+)"', top)


def test_the_header_links_every_section_and_marks_the_current_one(client, world):
    client.force_login(world.secretary)
    html = client.get("/dang-vien/").content.decode()
    want = [reverse("core:home"), *(reverse(name) for _, _, name in NAV), reverse("accounts:profile"),
            reverse("accounts:logout")]
    assert header_links(html) == want
    assert f'<a href="{reverse("members:list")}" aria-current="page">Đảng viên</a>' in html
    assert html.count('aria-current="page"') == 1
    tasks = client.get(reverse("meetings:tasks")).content.decode()
    assert f'<a href="{reverse("meetings:tasks")}" aria-current="page">Nhiệm vụ</a>' in tasks


def test_under_a_script_prefix_the_header_links_carry_it(client, world):
    client.force_login(world.secretary)
    client.get("/dang-vien/")  # the links at the root first, then under a prefix: each its own
    set_script_prefix("/chibo/")  # (as the WSGI handler sets it from SCRIPT_NAME)
    try:
        html = client.get("/dang-vien/").content.decode()
    finally:
        set_script_prefix("/")
    links = header_links(html)
    assert len(links) == 1 + len(NAV) + len(HEADER) - 1
    assert all(link.startswith("/chibo/") for link in links), links
    again = client.get("/dang-vien/").content.decode()
    assert not any(link.startswith("/chibo/") for link in header_links(again))
