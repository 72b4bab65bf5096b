"""Every practice page renders for a 信访干部 with one h1 inside the main landmark."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import sh
from tests.practice_web.conftest import TODAY
from xinfang.practice.models import Case, DisputeEntry, Meeting, ReceptionSlot

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


@pytest.fixture(scope="module")
def _seeded(module_county, module_db):
    """The demo's practice data (tests/practice_web/conftest.py ``seeded``), seeded once for
    the module at TODAY on ``module_db``: every test here reads it; each rolls back its own."""
    import time_machine

    from xinfang.practice.seed import seed_practice

    with module_db.unblock(), time_machine.travel(sh(2026, 3, 10), tick=False):
        seed_practice(module_county, TODAY)


@pytest.fixture
def seeded(county, frozen, _seeded):
    return county


PAGES = ["index", "schedule", "compliance", "preregs", "visits", "cases", "backlog", "listed",
         "handover", "report_daily", "report_weekly", "report_monthly", "prevention",
         "assessments", "meetings"]


@pytest.mark.parametrize("user_key", ["officer", "leader", "supervisor"])
def test_every_page_renders_with_one_h1_in_main(seeded, login, user_key):
    c = login(seeded.users[user_key])
    urls = [reverse(f"practice:{n}") for n in PAGES]
    urls += [reverse("practice:case", args=[Case.objects.first().pk]),
             reverse("practice:dispute", args=[DisputeEntry.objects.first().pk]),
             reverse("practice:meeting", args=[Meeting.objects.first().pk]),
             reverse("practice:slot", args=[ReceptionSlot.objects.filter(
                 visits__isnull=False).first().pk])]
    for url in urls:
        r = c.get(url)
        if user_key == "supervisor" and url == reverse("practice:preregs"):
            assert r.status_code == 403
            continue
        body = r.content.decode()
        assert r.status_code == 200, url
        assert body.count("<h1") == 1, url
        assert '<main id="main"' in body, url
        assert 'aria-current="page">工作机制' in body, url


def test_portal_pages_render_without_login(seeded, client):
    body = client.get(reverse("practice:portal_schedule")).content.decode()
    assert body.count("<h1") == 1 and "领导接访日程" in body
    slot = ReceptionSlot.objects.filter(status="published", day__gte="2026-03-10").first()
    r = client.get(reverse("practice:portal_preregister", args=[slot.pk]))
    assert r.status_code == 200 and "<label" in r.content.decode()
