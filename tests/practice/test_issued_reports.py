"""Frozen reports (issue 17 item 3): an issued 月通报 never changes; a correction is version 2
naming what changed."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import advance, register
from xinfang.petitions import clocks, jobs
from xinfang.practice.models import IssuedReport
from xinfang.practice.services import issued

from .test_indicators import TODAY, _dataset

pytestmark = pytest.mark.django_db


def test_an_issued_bulletin_is_unchanged_after_new_matters_edits_and_a_sweep(county, login):
    ms = _dataset(county)
    url = reverse("practice:report_monthly") + "?month=2026-02"
    with time_machine.travel(TODAY, tick=False):
        clocks.invalidate()
        c = login("officer")
        draft = c.get(url)
        assert "草稿" in draft.content.decode()
        text = draft.context["report"]["text"]
        assert "及时受理率 50.0%（4/8）" in text  # prose from the figures
        r = c.post(reverse("practice:report_issue"),
                   {"kind": "monthly", "period": "2026-02", "text": text + "\n特此通报。"})
        assert r.status_code == 302
        report = IssuedReport.objects.get(kind="monthly", period="2026-02")
        page = c.get(url)
        pdf = c.get(reverse("practice:report_monthly_pdf") + "?month=2026-02").content
        assert pdf == bytes(report.pdf) and pdf.startswith(b"%PDF")
        assert report.anchor.get("hash")  # the audit anchor at issue time
    # New matters received in February, edits and a day's sweep.
    with time_machine.travel(sh(2026, 3, 21), tick=False):
        clocks.invalidate()
        for i in range(3):
            register(county, sh(2026, 2, 10 + i), phone=f"1371111000{i}", id_number="")
        advance(county, ms["reply_missed"], "replied")
        jobs.sweep()
        _title, fresh = issued.build("monthly", county.county, "2026-02")
        c = login("officer")  # a new day, a new session
        assert fresh["figures"] != report.data["figures"]  # the draft would now differ
        again = c.get(url)
        assert again.status_code == 200 and page.status_code == 200, (again.status_code, page.status_code, again.get("Location"))
        assert again.context["report"]["data"] == page.context["report"]["data"]
        assert again.context["report"]["text"] == page.context["report"]["text"]
        assert c.get(reverse("practice:report_monthly_pdf") + "?month=2026-02").content == pdf
        with pytest.raises(ValueError):
            report.text = "改"
            report.save()
        # A correction is version 2 naming what changed.
        r = c.post(reverse("practice:report_issue"),
                   {"kind": "monthly", "period": "2026-02", "text": "更正后正文",
                    "correction_note": "补录2月漏登的3件来访"})
        assert r.status_code == 302
    v2 = IssuedReport.objects.get(kind="monthly", period="2026-02", version=2)
    assert v2.supersedes == report and v2.correction_note == "补录2月漏登的3件来访"
    paths = {ch["path"] for ch in v2.changes}
    assert "bulletin.matters.received" in paths and "text" in paths
    assert IssuedReport.objects.get(pk=report.pk).pdf == report.pdf  # version 1 kept


def test_only_the_bureau_issues_and_a_second_issue_needs_a_reason(county, login):
    with time_machine.travel(TODAY, tick=False):
        c = login("handler")
        r = c.post(reverse("practice:report_issue"),
                   {"kind": "weekly", "period": "2026-03-09", "text": "x"})
        assert r.status_code in (302, 403) and not IssuedReport.objects.exists()
        c = login("officer")
        c.post(reverse("practice:report_issue"),
               {"kind": "weekly", "period": "2026-03-09", "text": "周排名"})
        c.post(reverse("practice:report_issue"),
               {"kind": "weekly", "period": "2026-03-09", "text": "周排名"})
        assert IssuedReport.objects.filter(kind="weekly").count() == 1
        page = c.get(reverse("practice:report_weekly") + "?week=2026-03-09").content.decode()
        assert "已印发（第 1 版" in page
