"""Shared pieces of the end-to-end tests (headless Chromium through Playwright, on the demo data).

Import what a test needs: `from chibo.core.tests.e2e import ARTIFACTS, LAPTOP, browser, demo, login`
(the fixtures `browser` and `demo` are found by pytest once imported into the test module).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "e2e"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium).")
        pytest.skip("Chromium not installed (make test installs it).")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def demo(settings, live_server):
    settings.DEBUG = True
    call_command("seed_demo")
    settings.DEBUG = False
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield live_server.url
    # The connection seed_demo opened here is not the one the test database's teardown closes (the
    # Playwright loop in this thread gives Django another connection slot): closed here, or
    # PostgreSQL refuses to drop the test database ("being accessed by other users").
    connections.close_all()


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/tai-khoan/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", "chibo-demo")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def saved(page) -> None:
    """Wait until every change on the live screen reached the server."""
    page.wait_for_function(
        "() => document.getElementById('save-state').dataset.state === 'saved'"
        " && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')",
        timeout=15000,
    )

