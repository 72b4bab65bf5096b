"""axe-core on the pages people use most: no serious or critical violation (WCAG 2.1 AA)."""

from __future__ import annotations

import pytest

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
