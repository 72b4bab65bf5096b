"""English as the second locale: by the browser's language or the footer's switcher."""

from __future__ import annotations

import pytest
from django.urls import reverse

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def test_chinese_is_the_default(login, county):
    page = login(county.users["officer"]).get("/").content.decode()
    assert "<h1>我的待办</h1>" in page and '<html lang="zh-CN">' in page
    assert "全部待办" in page


def test_english_browser_gets_the_english_queue(login, county, matter):
    page = login(county.users["officer"]).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>My queue</h1>" in page and '<html lang="en">' in page
    assert "All open" in page and "Overdue" in page and "Next deadline" in page
    assert "我的待办" not in page


def test_english_portal_and_login(client, county):
    index = client.get(reverse("portal:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Petition channels and handling rules" in index and "Track progress" in index
    submit = client.get(reverse("portal:submit"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Submit a petition online" in submit and "SMS code" in submit
    assert "Get code" in submit and "Mobile number (to track progress)" in submit
    login = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Staff log-in" in login and "Password" in login


def test_footer_switcher_changes_the_language(client, county):
    page = client.get(reverse("portal:track")).content.decode()
    assert 'action="/i18n/setlang/"' in page and "English" in page
    r = client.post("/i18n/setlang/", {"language": "en", "next": reverse("portal:track")})
    assert r.status_code == 302 and r.url == reverse("portal:track")
    page = client.get(reverse("portal:track")).content.decode()
    assert "<h1>Track progress</h1>" in page and "Query code" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/portal/"})
    assert "<h1>查询办理进度</h1>" in client.get(reverse("portal:track")).content.decode()
