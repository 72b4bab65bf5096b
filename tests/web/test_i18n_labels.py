"""English for labels built in Python: choices (信访形式), states and classes from the domain.

Stored records stay Chinese (the timeline note “来访登记”, the 文书); only labels follow the reader.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def test_queue_and_matter_show_english_labels(login, county, matter):
    client = login(county.users["officer"])
    queue = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>To dispose</td>" in queue and "<td>Appeal or request</td>" in queue
    assert "<td>待处置</td>" not in queue and "申诉求决类" not in queue

    html = client.get(reverse("matter", args=[matter.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span class="state state-registered">To dispose</span>' in html
    assert "<dd>Visit</dd>" in html and "<dd>Appeal or request</dd>" in html
    assert "<dd>First petition</dd>" in html
    assert "<dd>来访" not in html and "待处置" not in html and "申诉求决类" not in html
    # The actions offered and the timeline come from the domain's Chinese labels.
    assert "<summary>Forward " in html and "<strong>登记</strong>" not in html
    assert "来访登记" in html  # the stored note is a record and stays as written


def test_chinese_labels_are_unchanged(login, county, matter):
    client = login(county.users["officer"])
    queue = client.get("/").content.decode()
    assert "<td>待处置</td>" in queue and "<td>申诉求决类</td>" in queue
    html = client.get(reverse("matter", args=[matter.pk])).content.decode()
    assert '<span class="state state-registered">待处置</span>' in html
    assert "<dd>来访</dd>" in html and "<dd>申诉求决类</dd>" in html and "<summary>转送 " in html


def test_documents_stay_chinese_for_an_english_reader(login, county, matter):
    client = login(county.users["officer"])
    doc = matter.documents.get(kind="receipt")
    page = client.get(reverse("document", args=[matter.pk, doc.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "信访事项受理回执单" in page and "Petition receipt" not in page


def test_error_pages_follow_the_readers_language(login, county, settings):
    settings.DEBUG = False
    client = login(county.users["handler"])
    missing = client.get("/matters/999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode() and "页面不存在" not in missing.content.decode()
    assert "页面不存在" in client.get("/matters/999999/").content.decode()
    denied = client.get(reverse("practice:schedule"), HTTP_ACCEPT_LANGUAGE="en")
    assert denied.status_code == 403 and "Access denied" in denied.content.decode()
    # The language switch reads the same in both languages.
    # (each half marked with its language, WCAG 3.1.2)
    assert ('<span lang="zh-CN">语言</span> / <span lang="en">Language</span>'
            in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
