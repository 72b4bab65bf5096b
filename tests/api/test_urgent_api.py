"""重大紧急 (§25) at the API: declare, record a measure, mark a report sent, read the record;
refusals in Chinese with the right status, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import sh
from tests.petitions.helpers import register

pytestmark = pytest.mark.django_db

URGENT = {"event": "30余名业主聚集县政府门口", "scale": "约35人", "risk": "可能堵塞交通",
          "measures": "已派员现场劝导"}


def test_declare_then_mark_sent_through_the_api(county, frozen, token_client):
    m = register(county, sh(2026, 3, 2))
    api = token_client(county.users["officer"])
    r = api.post(f"/api/v1/matters/{m.pk}/actions/declare_urgent", URGENT, format="json")
    assert r.status_code == 200, r.content.decode()
    assert r.json()["is_urgent"] is True
    got = api.get(f"/api/v1/matters/{m.pk}/urgent").json()
    (decl,) = got["declarations"]
    assert [x["kind"] for x in decl["reports"]] == ["party_gov", "notice", "upper", "national"]
    assert all(x["status"] == "pending" and x["sent_at"] is None for x in decl["reports"])
    assert got["may"] == {"declare_urgent": False, "urgent_measure": True,
                          "urgent_report_sent": True}
    upper = decl["reports"][2]
    assert upper["recipients"][0]["name"] == "临江市信访局"
    r = api.post(f"/api/v1/matters/{m.pk}/actions/urgent_report_sent",
                 {"report": upper["id"], "sent_via": "edoc"}, format="json")
    assert r.status_code == 200, r.content.decode()
    sent = api.get(f"/api/v1/matters/{m.pk}/urgent").json()["declarations"][0]["reports"][2]
    assert sent["status"] == "sent" and sent["sent_via_label"] == "电子公文系统"
    doc = api.get(f"/api/v1/matters/{m.pk}/documents/{sent['document']}").json()
    assert doc["served_on"] == "2026-03-02" and doc["service_method"] == "电子公文系统"
    r = api.post(f"/api/v1/matters/{m.pk}/actions/urgent_measure",
                 {"measures": "县领导到场接谈"}, format="json")
    assert r.status_code == 200
    measures = api.get(f"/api/v1/matters/{m.pk}/urgent").json()["declarations"][0]["measures"]
    assert [x["text"] for x in measures] == ["已派员现场劝导", "县领导到场接谈"]


def test_refusals_are_chinese_and_never_500(county, frozen, token_client):
    m = register(county, sh(2026, 3, 2))
    other = token_client(county.users["other_handler"])  # 人社: not in the chain
    r = other.post(f"/api/v1/matters/{m.pk}/actions/declare_urgent", URGENT, format="json")
    assert r.status_code in (403, 404)  # 404 where the read gate does not even open it
    officer = token_client(county.users["officer"])
    r = officer.post(f"/api/v1/matters/{m.pk}/actions/declare_urgent",
                     {**URGENT, "scale": ""}, format="json")
    assert r.status_code == 400 and "规模" in r.json()["detail"]
    r = officer.post(f"/api/v1/matters/{m.pk}/actions/declare_urgent",
                     {**URGENT, "scale": "人" * 201}, format="json")
    assert r.status_code == 400
    r = officer.post(f"/api/v1/matters/{m.pk}/actions/urgent_measure", {"measures": "劝导"},
                     format="json")
    assert r.status_code == 409 and "尚未认定" in r.json()["detail"]
    officer.post(f"/api/v1/matters/{m.pk}/actions/declare_urgent", URGENT, format="json")
    for bad in ({"report": 999999, "sent_via": "edoc"}, {"report": "x", "sent_via": "edoc"},
                {"sent_via": "edoc"}, {"report": 1, "sent_via": "pigeon"}):
        r = officer.post(f"/api/v1/matters/{m.pk}/actions/urgent_report_sent", bad,
                         format="json")
        assert r.status_code in (400, 409), (bad, r.status_code)


def test_overview_lists_urgent_matters_and_overdue_reports_for_oversight(county, token_client):
    from datetime import timedelta

    import time_machine

    from xinfang.petitions import jobs, services

    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        m = register(county, sh(2026, 3, 2, 9))
        services.declare_urgent(m, user=county.users["officer"], **URGENT)
        got = token_client(county.users["supervisor"]).get("/api/v1/urgent").json()
        assert [x["number"] for x in got["matters"]] == [m.number]
        assert got["matters"][0]["reports"] == 4 and got["overdue_reports"] == []
        assert got["hours"] == 2
        r = token_client(county.users["handler"]).get("/api/v1/urgent")
        assert r.status_code == 403 and "督查" in r.json()["detail"]
    with time_machine.travel(sh(2026, 3, 2, 12) + timedelta(minutes=1), tick=False):
        jobs.sweep()
        got = token_client(county.users["leader"]).get("/api/v1/urgent").json()
        assert got["matters"][0]["overdue"] == 4
        assert {x["kind"] for x in got["overdue_reports"]} == {"party_gov", "notice", "upper",
                                                                "national"}
        assert all(x["status"] == "overdue" for x in got["overdue_reports"])
