"""axe-core on the pages people use most: no serious or critical violation (WCAG 2.1 AA)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD
from tests.conftest import sh
from tests.petitions.helpers import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _report(violations):
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]])
            for v in violations]


def test_staff_pages_have_no_serious_accessibility_violations(live_server, page, county,
                                                               login_as, axe):
    m = register(county, sh(2026, 11, 2))
    login_as(county.users["officer"])
    for path in ("/", "/register/", f"/matters/{m.pk}/", "/search/?q=物业", "/supervision/"):
        page.goto(live_server.url + path)
        assert page.locator("h1").count() == 1
        bad = axe()
        assert bad == [], (path, _report(bad))


def test_portal_pages_have_no_serious_accessibility_violations(live_server, page, county, axe):
    page.set_viewport_size({"width": 375, "height": 740})
    for path in ("/portal/", "/portal/submit/", "/portal/track/"):
        page.goto(live_server.url + path)
        bad = axe()
        assert bad == [], (path, _report(bad))


def test_staff_work_by_keyboard_alone_from_log_in_to_a_matter(live_server, page, county):
    """Log in, skip the navigation and open the first matter of the queue with keys only."""
    m = register(county, sh(2026, 11, 2))
    page.goto(live_server.url + "/login/")
    assert page.evaluate("document.activeElement.name") == "username"  # focused on arrival
    page.keyboard.type(county.users["officer"].username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")  # a 信访干部 logs in with the second factor's code too
    assert page.evaluate("document.activeElement.name") == "otp"
    from xinfang.core import totp

    page.keyboard.type(totp.current_code(totp.confirmed_device(county.users["officer"])))
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")
    page.keyboard.press("Tab")  # the skip link comes first on every page
    assert page.evaluate("document.activeElement.textContent.trim()") == "跳到主要内容"
    page.keyboard.press("Enter")  # and moves focus past the navigation
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    target = f"/matters/{m.pk}/"
    for _ in range(40):
        if (page.evaluate("document.activeElement.getAttribute('href')") or "") == target:
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("Tab never reached the matter link in the queue")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + target)
    assert m.number in page.locator("h1").inner_text() or m.title in page.content()
