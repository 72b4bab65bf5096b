"""English for every indicator and report page (issue 17 item 8): no CJK outside the data."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import register
from xinfang.org.models import Body, Division, User

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]+")


def _leftover(page: str, data: set[str]) -> set[str]:
    for d in sorted(data, key=len, reverse=True):
        page = page.replace(d, "")
    return set(CJK.findall(page))


def test_indicator_and_report_pages_have_no_chinese_outside_the_data(county, client):
    with time_machine.travel(sh(2026, 3, 20), tick=False):
        register(county, sh(2026, 3, 2))
        # The language switcher names each language in itself (base.html, not a report).
        data = {"简体中文", "语言", *Body.objects.values_list("name", flat=True),
                *Division.objects.values_list("name", flat=True),
                *User.objects.values_list("display_name", flat=True),
                "小区物业乱收停车费", "物业管理", "城乡建设"}
        client.force_login(county.users["officer"])
        pages = [reverse("indicators"), reverse("indicator_drill", args=["timely_acceptance"]),
                 reverse("indicator_exemptions"), reverse("practice:report_daily"),
                 reverse("practice:report_weekly"), reverse("practice:report_monthly"),
                 reverse("practice:report_doc", args=["annual"]),
                 reverse("practice:report_doc", args=["analysis"]),
                 reverse("portal:statistics")]
        for url in pages:
            r = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            assert r.status_code == 200, url
            report = (r.context or {}).get("report") if r.context else None
            extra = {report["title"], *report["text"].splitlines()} if report else set()
            left = _leftover(r.content.decode(), data | extra)
            assert not left, (url, sorted(left)[:20])
