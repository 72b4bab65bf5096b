"""The 工作机制 pages offer each role only the pages it may open: the tab bar, the 功能 box
and the sub-links under 包案积案 and 源头预防 (a link that answers 403 is a broken promise)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

ROLES = ["registrar", "officer", "supervisor", "leader", "admin", "handler", "unit_head",
         "town_handler"]
PAGES = ["practice:index", "practice:cases", "practice:meetings"]


def _tabs(html: str) -> list[str]:
    nav = re.search(r'<nav class="tabs".*?</nav>', html, re.S)
    assert nav, "no tab bar"
    return re.findall(r'href="([^"]+)"', nav.group(0))


def _practice_links(html: str) -> set[str]:
    main = re.search(r"<main.*?</main>", html, re.S)
    assert main
    return {u.replace("&amp;", "&") for u in re.findall(r'<a [^>]*href="(/practice/[^"#]*)"',
                                                         main.group(0))}


@pytest.mark.parametrize("role", ROLES)
def test_every_practice_link_shown_opens(county, role):
    client = Client()
    client.force_login(county.users[role])
    links: set[str] = set()
    for name in PAGES:
        page = client.get(reverse(name))
        assert page.status_code == 200, (role, name)
        links |= _practice_links(page.content.decode())
    assert reverse("practice:cases") in links
    for url in sorted(links):
        assert client.get(url).status_code == 200, (role, url)


def test_a_unit_handler_is_not_offered_the_jurisdiction_pages(county):
    client = Client()
    client.force_login(county.users["handler"])
    tabs = _tabs(client.get(reverse("practice:cases")).content.decode())
    for name in ("schedule", "preregs", "report_daily", "prevention"):
        assert reverse(f"practice:{name}") not in tabs
