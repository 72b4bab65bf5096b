"""重大紧急 (§25) on the staff pages: the matter page offers the acts where permissions.may
allows; the dashboard has its panel; the supervision page lists reports not sent in time."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import sh
from tests.petitions.helpers import register
from xinfang.petitions import jobs, services
from xinfang.petitions.models import UrgentDeclaration, UrgentReport

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

URGENT = {"event": "30余名业主聚集县政府门口", "scale": "约35人", "risk": "可能堵塞交通",
          "measures": "已派员现场劝导"}


def _post(client, m, name, data):
    return client.post(reverse("matter_urgent", args=[m.pk, name]),
                       {f"{name}-{k}": v for k, v in data.items()})


def test_officer_declares_and_marks_a_report_sent_on_the_matter_page(login, county, frozen):
    m = register(county, sh(2026, 3, 2))
    c = login("officer")
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert "认定为重大紧急信访事项" in page
    r = _post(c, m, "declare_urgent", URGENT)
    assert r.status_code == 302
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert page.count("待报送") == 4 and "临江市信访局" in page and "国家信访局" in page
    assert "认定为重大紧急信访事项</summary>" not in page  # declared once per body
    national = UrgentReport.objects.get(matter=m, kind="national")
    r = _post(c, m, "urgent_report_sent", {"report": national.pk, "sent_via": "edoc"})
    assert r.status_code == 302
    national.refresh_from_db()
    assert national.sent_at is not None and national.sent_via == "edoc"
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert page.count("待报送") == 3 and "已报送" in page
    r = _post(c, m, "urgent_measure", {"measures": "县领导到场接谈"})
    assert r.status_code == 302
    assert "县领导到场接谈" in c.get(reverse("matter", args=[m.pk])).content.decode()


def test_bad_input_and_outsiders_get_a_clear_refusal(login, county, frozen):
    m = register(county, sh(2026, 3, 2))
    officer = login("officer")
    r = _post(officer, m, "declare_urgent", {**URGENT, "risk": ""})
    assert r.status_code in (400, 409) and "风险研判" in r.content.decode()
    r = _post(officer, m, "urgent_report_sent", {"report": "abc", "sent_via": "edoc"})
    assert r.status_code in (400, 409)
    # 县政府's 信访科 sees the matter (jurisdiction) but neither holds nor handles it.
    gov = login("gov_officer")
    assert "认定为重大紧急信访事项" not in gov.get(reverse("matter", args=[m.pk])).content.decode()
    r = _post(gov, m, "declare_urgent", URGENT)
    assert r.status_code == 403 and "只有登记或办理该事项" in r.content.decode()
    # 人社's handler cannot even open it.
    assert _post(login("other_handler"), m, "declare_urgent", URGENT).status_code == 404
    assert not UrgentDeclaration.objects.exists()


def test_dashboard_lists_open_urgent_matters_with_their_report_status(login, county, frozen):
    declared = register(county, sh(2026, 3, 2))
    services.declare_urgent(declared, user=county.users["officer"], **URGENT)
    flagged = register(county, sh(2026, 3, 2), is_urgent=True)  # marked at registration only
    plain = register(county, sh(2026, 3, 2))
    page = login("leader").get(reverse("dashboard")).content.decode()
    start = page.index('id="urgent-panel"')
    panel = page[start:page.index("</section>", start)]
    assert declared.number in panel and "已报送 0 / 4" in panel
    assert flagged.number in panel and "未认定" in panel
    assert plain.number not in panel


def test_supervision_page_lists_a_report_not_sent_in_time(login, county):
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        m = register(county, sh(2026, 3, 2, 9))
        services.declare_urgent(m, user=county.users["officer"], **URGENT)
        page = login("supervisor").get(reverse("supervision")).content.decode()
        assert "重大紧急信息超时未报" not in page
    with time_machine.travel(sh(2026, 3, 2, 12) + timedelta(minutes=5), tick=False):
        jobs.sweep()
        page = login("supervisor").get(reverse("supervision")).content.decode()
        assert "重大紧急信息超时未报" in page and m.number in page and "国家信访局" in page


def test_the_section_and_panel_read_in_english(login, county, frozen):
    m = register(county, sh(2026, 3, 2))
    services.declare_urgent(m, user=county.users["officer"], **URGENT)
    c = login("officer")
    page = c.get(reverse("matter", args=[m.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Report to the petition bureau one level up" in page and "To be sent" in page
    assert "报告上一级信访部门" not in page and "待报送" not in page
    assert "临江市信访局" in page  # recipients are names of record and stay as they are
    dash = c.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sent 0 / 4" in dash and "已报送 0 / 4" not in dash
