"""Bad input gets a clear answer, never a 500 (non-negotiable): every page, junk parameters."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import sh
from tests.petitions.helpers import register

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

JUNK = {"page": "abc", "tab": "zzz", "sort": "';drop", "days": "-5", "date_from": "2026-13-45",
        "date_to": "昨天", "division": "xx", "category": "999999", "unit": "abc", "state": "nope",
        "overdue": "maybe", "q": "%" * 300, "n": "-1", "year": "abcd", "month": "13",
        "code": "!!", "phone": "abc", "next": "http://evil.example/"}


def _patterns(resolver: URLResolver, prefix: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _urls(matter_id: int) -> list[str]:
    out = []
    for pattern in _patterns(get_resolver()):
        if pattern.startswith(("admin/", "api/", "i18n/")) or "logout" in pattern:
            continue
        url = "/" + (pattern.replace("<int:pk>", str(matter_id)).replace("<int:n>", "1")
                     .replace("<int:doc_id>", "999999").replace("<int:att_id>", "999999")
                     .replace("<str:name>", "forward"))
        if "<" not in url:
            out.append(url)
    return out


@pytest.mark.parametrize("role", ["officer", "handler", "supervisor", "leader", "registrar"])
def test_no_page_answers_500_to_junk(client, county, role):
    m = register(county, sh(2026, 3, 2))
    client.force_login(county.users[role])
    urls = _urls(m.pk)
    assert len(urls) > 40
    for url in urls:
        r = client.get(url, JUNK)
        assert r.status_code < 500, (url, r.status_code)
        r = client.post(url, JUNK)
        assert r.status_code < 500, ("POST", url, r.status_code)


def test_portal_pages_survive_junk_without_login(client, county):
    for url in ["/portal/", "/portal/track/", "/portal/submit/", "/portal/matter/",
                "/portal/reception/", "/portal/reception/lookup/", "/portal/reception/1/"]:
        assert client.get(url, JUNK).status_code < 500, url
        assert client.post(url, JUNK).status_code < 500, url
