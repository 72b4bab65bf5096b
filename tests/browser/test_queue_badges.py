"""Issue 16 item 5 in Chromium: the queue's "new" badges move while the page stays open — a
matter registered elsewhere shows on the tab without a reload (the tab bar polls)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_new_matter_shows_in_the_badge_without_a_reload(live_server, page, county, login_as,
                                                         monkeypatch):
    from django.utils import timezone

    from tests.scenario import register
    from xinfang.web.views import work_queue

    monkeypatch.setattr(work_queue, "POLL_SECONDS", 1)  # 30 s in service
    page.set_default_timeout(60_000)  # a loaded machine
    login_as(county.users["officer"])
    page.goto(f"{live_server.url}/")
    expect(page.locator("#queue-tabs")).to_be_visible()
    expect(page.locator("[data-new]")).to_have_count(0)
    page.evaluate("window.__stillHere = true")  # gone if the page reloads
    register(county, timezone.now(), title="路灯不亮")  # another clerk registers
    expect(page.locator('[data-new="todo"]')).to_have_text("新 1", timeout=30_000)
    expect(page.locator('[data-new="all"]')).to_have_text("新 1")
    assert page.evaluate("window.__stillHere") is True
    # Opening the tab clears its badge (and still no reload).
    page.locator('[data-tab="todo"]').click()
    expect(page.locator('[data-new="todo"]')).to_have_count(0)
    expect(page.locator("#queue")).to_contain_text("路灯不亮")
    assert page.evaluate("window.__stillHere") is True
