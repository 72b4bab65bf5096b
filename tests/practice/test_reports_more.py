"""The §41 annual report, the 月度研判 and the public statistics page (issue 17 item 5, 7)."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import register
from xinfang.petitions import clocks
from xinfang.practice import public_stats
from xinfang.practice.models import IssuedReport

from .test_indicators import TODAY, _dataset

pytestmark = pytest.mark.django_db


def test_the_annual_report_covers_section_41_and_issues_as_a_pdf(county, login):
    _dataset(county)
    with time_machine.travel(TODAY, tick=False):
        clocks.invalidate()
        c = login("officer")
        page = c.get(reverse("practice:report_doc", args=["annual"]), {"period": "2026"})
        assert page.status_code == 200
        text = page.context["report"]["text"]
        for part in ("§41 ¶1（一）", "§41 ¶1（二）", "§41 ¶1（三）", "§41 ¶2", "被投诉较多的机关单位"):
            assert part in text
        assert "王大明" not in page.content.decode()  # no petitioner is named
        r = c.post(reverse("practice:report_issue"),
                   {"kind": "annual", "period": "2026", "text": text})
        assert r.status_code == 302
        pdf = c.get(reverse("practice:report_doc_pdf", args=["annual"]), {"period": "2026"})
        assert pdf.content == bytes(IssuedReport.objects.get(kind="annual").pdf)
        analysis = c.get(reverse("practice:report_doc", args=["analysis"]),
                         {"period": "2026-02"})
        assert analysis.status_code == 200 and "上月" in analysis.context["report"]["text"]


def test_public_statistics_suppress_cells_under_five_and_show_no_person(county, client):
    with time_machine.travel(sh(2026, 3, 20), tick=False):
        for i in range(6):
            register(county, sh(2026, 2, 3 + i), phone=f"1370000000{i}", id_number="")
        register(county, sh(2026, 1, 5), phone="13711111111", id_number="", channel="letter")
        s = public_stats.statistics(2026)
        visit = next(r for r in s["channel"] if r["label"] == "来访")
        assert visit["cells"][:2] == [None, 6]  # January: 0 visits, suppressed as under 5
        letter = next(r for r in s["channel"] if r["label"] == "来信")
        assert letter["cells"][0] is None and letter["total"] is None
        page = client.get(reverse("portal:statistics"), {"year": "2026"}).content.decode()
    assert "&lt;5" in page and "王大明" not in page and "13700000000" not in page
