"""Headless Chromium (Debian's /usr/bin/chromium) against ``live_server`` (recipes §2, §3).

Transactional tests do not keep fixtures, so every test builds its county itself
(``county`` below). Staff log in by session cookie, except where the log-in is the journey.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # tests only (recipes §2)

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_ZH = ROOT / "node_modules" / "axe-core" / "locales" / "zh_CN.json"
PASSWORD = "pw-browser-123"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args,
            "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--lang=zh-CN"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai",
            "viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def county(transactional_db: None) -> Iterator[Any]:
    from xinfang.demo.county import build_county
    from xinfang.petitions import clocks

    clocks.invalidate()
    yield build_county(full=False, password=PASSWORD)
    clocks.invalidate()


@pytest.fixture
def login_as(live_server: Any, page: Any) -> Callable[[Any], None]:
    """Put a staff session into the browser (the log-in form itself is tested once)."""
    from django.test import Client

    def _login(user: Any) -> None:
        c = Client()
        c.force_login(user)
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value,
                                   "url": live_server.url}])

    return _login


@pytest.fixture
def axe(page: Any) -> Callable[[], list[dict[str, Any]]]:
    """Run axe-core on the current page; the violations that are serious or critical."""
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing ({AXE_JS.relative_to(ROOT)}): run `make install` "
                    "(it runs `npm ci` for package.json) before the browser tests.")
    locale = json.loads(AXE_ZH.read_text(encoding="utf-8")) if AXE_ZH.exists() else None

    source = AXE_JS.read_text(encoding="utf-8")

    def run() -> list[dict[str, Any]]:
        # Evaluated through the DevTools protocol: a <script> tag would be refused by the CSP.
        page.evaluate(source + "\n;0")
        if locale:
            page.evaluate("loc => axe.configure({locale: loc})", locale)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]

    return run


@pytest.fixture(autouse=True)
def _short_timeouts(page: Any) -> None:
    """Fail in seconds, not the default 30 s, when something is not on the screen; a page
    load may take longer on a machine shared with other test runs (seen at load 15 on 2
    cores), which is no failure of the page."""
    from playwright.sync_api import expect

    page.set_default_timeout(8000)
    page.set_default_navigation_timeout(30_000)
    expect.set_options(timeout=8000)
from tests.smtpbox import smtpd  # noqa: E402,F401  (the local SMTP server, issue 16)
