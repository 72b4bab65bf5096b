"""Issue 16 item 6: the petitioner's side after filing — 补充材料 (answering the unit's
question), 撤回 (closing the clocks, counted apart), and the unit's 息诉罢访 record; each with
the fresh SMS code to the registered phone, at the portal and the API, audited."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from tests.scenario import advance
from tests.web.test_attachments import _image
from xinfang.audit.models import AuditLog
from xinfang.petitions.models import Clock, Event, Matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms"), pytest.mark.usefixtures("module_county")]

PHONE = "13800138000"
URL = "/api/v1/public/petitions"
PNG = _image("PNG")


def _track(client, m):
    r = client.post(reverse("portal:track"), {"code": m.query_code, "phone": PHONE})
    assert r.status_code == 302


def _code(client, purpose):
    from tests import smsbox

    r = client.post(reverse("portal:act_code", args=[purpose]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200, r.content.decode()
    return smsbox.last_code(PHONE)


# --------------------------------------------------------------------------- 撤回


def test_citizen_withdraws_with_a_fresh_code_and_the_clocks_close(client, county, matter, login):
    m = advance(county, matter, "handling")
    assert Clock.objects.filter(matter=m, met_on__isnull=True).exists()
    _track(client, m)
    page = client.get(reverse("portal:matter")).content.decode()
    assert "撤回信访事项" in page
    no_code = client.post(reverse("portal:act", args=["withdraw"]), {"reason": "已私下解决"})
    assert no_code.status_code == 400 and Matter.objects.get(pk=m.pk).state == "handling"
    r = client.post(reverse("portal:act", args=["withdraw"]),
                    {"reason": "已与物业协商解决", "sms_code": _code(client, "withdraw")})
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.state == "closed" and m.closure_kind == "withdrawn"
    assert m.closure_label == "信访人撤回"
    assert not Clock.objects.filter(matter=m, met_on__isnull=True).exists()
    ev = Event.objects.get(matter=m, action="withdraw")
    assert ev.public and "已与物业协商解决" in ev.note and ev.actor_label == "信访人"
    assert AuditLog.objects.filter(action="withdraw", matter_id=m.pk).count() == 1
    # The unit sees it on the matter page; the portal offers no more acts.
    staff = login("handler").get(reverse("matter", args=[m.pk])).content.decode()
    assert "信访人撤回" in staff and "已与物业协商解决" in staff
    assert "撤回信访事项" not in client.get(reverse("portal:matter")).content.decode()


def test_withdrawal_is_not_offered_once_answered(client, county, matter):
    m = advance(county, matter, "replied")
    _track(client, m)
    assert "撤回信访事项" not in client.get(reverse("portal:matter")).content.decode()
    r = client.post(reverse("portal:act", args=["withdraw"]), {"reason": "不想办了"})
    assert r.status_code == 409 and "不能执行" in r.content.decode()


def test_withdrawal_at_the_api_needs_the_code(county, matter, sms):
    m = advance(county, matter, "signed")
    c = APIClient()
    url = f"{URL}/{m.query_code}/withdrawal"
    refused = c.post(url, {"phone": PHONE, "reason": "不需要了"}, format="json")
    assert refused.status_code == 400 and "sms_code" in refused.json()
    c.post(f"{URL}/{m.query_code}/sms-codes", {"phone": PHONE, "purpose": "withdraw"},
           format="json")
    ok = c.post(url, {"phone": PHONE, "reason": "不需要了", "sms_code": sms.last_code(PHONE)},
                format="json")
    assert ok.status_code == 201 and ok.json()["state"] == "closed"
    assert ok.json()["can_withdraw"] is False
    assert Matter.objects.get(pk=m.pk).closure_kind == "withdrawn"


def test_withdrawn_matters_are_counted_apart_in_the_indicators(county, matter):
    from xinfang.petitions.intel.dashboard import dashboard_data
    from xinfang.petitions.services import citizen as cz

    m = advance(county, matter, "handling")
    proof = cz.prove(m.query_code, PHONE, address="127.0.0.1")
    cz.send_act_code(proof, "withdraw")
    from tests import smsbox

    cz.act(proof, "withdraw", data={"reason": "撤回"}, sms_code=smsbox.last_code(PHONE))
    data = dashboard_data(county.users["leader"])
    assert data["withdrawn"] == 1
    # The on-time figures leave it out: practice.indicators (tests/practice/test_indicators*).


# --------------------------------------------------------------------------- 补充材料


def test_unit_asks_and_the_citizen_answers_with_materials(client, county, matter, login):
    m = advance(county, matter, "handling")
    staff = login("handler")
    r = staff.post(reverse("matter_ask", args=[m.pk]), {"ask-question": "请提供停车费收据"})
    assert r.status_code == 302
    assert "请提供停车费收据" in staff.get(reverse("matter", args=[m.pk])).content.decode()
    citizen = type(client)()
    _track(citizen, m)
    page = citizen.get(reverse("portal:matter")).content.decode()
    assert "办理单位请您补充" in page and "请提供停车费收据" in page
    r = citizen.post(reverse("portal:act", args=["supplement"]), {
        "text": "收据见附件", "sms_code": _code(citizen, "supplement"),
        "files": SimpleUploadedFile("收据.png", PNG, content_type="image/png")})
    assert r.status_code == 302, r.content.decode()[:3000]
    ev = Event.objects.get(matter=m, action="supplement")
    assert ev.public and "收据见附件" in ev.note and "请提供停车费收据" in ev.note
    assert m.attachments.filter(name="收据.png").exists()
    assert AuditLog.objects.filter(action="supplement", matter_id=m.pk).count() == 1
    # The unit sees the answer on the timeline; the question is answered.
    page = staff.get(reverse("matter", args=[m.pk])).content.decode()
    assert "收据见附件" in page and "待信访人补充" not in page
    assert "办理单位请您补充" not in citizen.get(reverse("portal:matter")).content.decode()


def test_supplement_needs_the_code_and_an_open_matter(client, county, matter, sms):
    m = advance(county, matter, "handling")
    c = APIClient()
    url = f"{URL}/{m.query_code}/supplements"
    assert c.post(url, {"phone": PHONE, "text": "补充"}, format="json").status_code == 400
    c.post(f"{URL}/{m.query_code}/sms-codes", {"phone": PHONE, "purpose": "supplement"},
           format="json")
    ok = c.post(url, {"phone": PHONE, "text": "补充说明：物业已承认", "sms_code": sms.last_code(PHONE)},
                format="json")
    assert ok.status_code == 201
    assert any("物业已承认" in s["note"] for s in ok.json()["steps"])
    closed = advance(county, m, "closed")
    assert closed.state == "closed"
    c2 = APIClient(REMOTE_ADDR="10.7.0.1")
    r = c2.post(url, {"phone": PHONE, "text": "再补充", "sms_code": "123456"}, format="json")
    assert r.status_code == 409 and "已办结" in r.json()["detail"]


# --------------------------------------------------------------------------- 息诉罢访


def test_unit_records_settlement_confirmed_by_the_petitioners_code(county, matter, login, sms):
    m = advance(county, matter, "replied")
    staff = login("handler")
    no_code = staff.post(reverse("matter_settle", args=[m.pk]), {
        "settle-statement": "电话回访，表示已退费，不再信访", "settle-confirmed_by": "sms"})
    assert no_code.status_code == 400 and not Event.objects.filter(action="record_settlement").exists()
    r = staff.post(reverse("matter_settle_code", args=[m.pk]))
    assert r.status_code == 302
    assert "息诉罢访" in sms.OUTBOX[PHONE][-1]
    r = staff.post(reverse("matter_settle", args=[m.pk]), {
        "settle-statement": "电话回访，表示已退费，不再信访", "settle-confirmed_by": "sms",
        "settle-sms_code": sms.last_code(PHONE)})
    assert r.status_code == 302
    ev = Event.objects.get(matter=m, action="record_settlement")
    assert ev.data["confirmed_by"] == "sms" and ev.public
    assert AuditLog.objects.filter(action="record_settlement", matter_id=m.pk).count() == 1
    page = staff.get(reverse("matter", args=[m.pk])).content.decode()
    assert "息诉罢访" in page and "登记息诉罢访</button>" not in page  # once


def _api(user):
    from xinfang.org.models import ApiToken

    c = APIClient()
    _, token = ApiToken.objects.create(user=user, name="t")
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return c


LANDLINE = "0318-5212345"


def _settle_box(page: str) -> str:
    return page[page.index('id="act-record_settlement"'):page.index("</details>",
                                                                   page.index("act-record_settlement"))]


def test_a_written_pledge_is_refused_where_the_petitioner_has_a_mobile(county, matter, login,
                                                                       settings, tmp_path):
    # Review of issue 16 item 6: a date typed by staff "confirmed" a declaration that ends the
    # petitioner's recourse. Where a mobile phone is on file, only the petitioner's code does.
    settings.MEDIA_ROOT = tmp_path
    m = advance(county, matter, "replied")
    staff = login("handler")
    box = _settle_box(staff.get(reverse("matter", args=[m.pk])).content.decode())
    assert "向信访人发送确认码" in box and "settle-pledge" not in box and "settle-written_on" not in box
    r = staff.post(reverse("matter_settle", args=[m.pk]), {
        "settle-statement": "递交书面承诺", "settle-written_on": "2026-03-02",
        "settle-pledge": SimpleUploadedFile("承诺书.png", PNG, content_type="image/png")})
    assert r.status_code == 400 and "须由信访人以短信确认码确认" in r.content.decode()
    api = _api(county.users["handler"]).post(f"/api/v1/matters/{m.pk}/settlement", {
        "statement": "递交书面承诺", "written_on": "2026-03-02"}, format="json")
    assert api.status_code == 400 and "短信确认码" in api.json()["sms_code"][0]
    assert not Event.objects.filter(matter=m, action="record_settlement").exists()
    assert not m.attachments.exists()


def test_without_a_mobile_the_pledge_needs_its_signed_scan(county, frozen, login, settings,
                                                           tmp_path):
    from tests.conftest import sh
    from tests.scenario import register

    settings.MEDIA_ROOT = tmp_path
    m = advance(county, register(county, sh(2026, 3, 2), phone=LANDLINE, id_number=""),
                "replied")
    staff = login("handler")
    url = reverse("matter_settle", args=[m.pk])
    box = _settle_box(staff.get(reverse("matter", args=[m.pk])).content.decode())
    assert "没有登记手机号码" in box and 'enctype="multipart/form-data"' in box
    assert "settle-pledge" in box and "向信访人发送确认码" not in box
    # The date alone, as before the review: refused, the scan is the proof.
    r = staff.post(url, {"settle-statement": "递交书面承诺，不再信访",
                         "settle-written_on": "2026-03-02"})
    assert r.status_code == 400 and "扫描件" in r.content.decode()
    # Something that is not a scan, or no date: refused with the reason.
    r = staff.post(url, {"settle-statement": "递交书面承诺，不再信访",
                         "settle-written_on": "2026-03-02",
                         "settle-pledge": SimpleUploadedFile("承诺书.pdf", b"hello")})
    assert r.status_code == 400 and "不是有效的PDF" in r.content.decode()
    r = staff.post(url, {"settle-statement": "递交书面承诺，不再信访",
                         "settle-pledge": SimpleUploadedFile("承诺书.png", PNG, "image/png")})
    assert r.status_code == 400 and "签署日期" in r.content.decode()
    assert not Event.objects.filter(matter=m, action="record_settlement").exists()
    assert not m.attachments.exists()
    r = staff.post(url, {"settle-statement": "递交书面承诺，不再信访",
                         "settle-written_on": "2026-03-02",
                         "settle-pledge": SimpleUploadedFile("息诉罢访承诺书.png", PNG, "image/png")})
    assert r.status_code == 302, r.content.decode()
    ev = Event.objects.get(matter=m, action="record_settlement")
    [scan] = m.attachments.all()
    assert ev.data == {"confirmed_by": "written", "written_on": "2026-03-02",
                       "pledge": [scan.pk]}
    assert scan.name == "息诉罢访承诺书.png" and scan.content_type == "image/png"
    row = AuditLog.objects.get(action="record_settlement", matter_id=m.pk)
    assert row.data["pledge"] == [scan.pk]
    page = staff.get(reverse("matter", args=[m.pk])).content.decode()
    assert "2026-03-02签署，扫描件：息诉罢访承诺书.png" in page
    assert reverse("attachment", args=[m.pk, scan.pk]) in page
    download = staff.get(reverse("attachment", args=[m.pk, scan.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG


def test_the_api_records_a_pledge_with_its_scan_and_refuses_others(county, frozen, settings,
                                                                   tmp_path):
    from tests.conftest import sh
    from tests.scenario import register

    settings.MEDIA_ROOT = tmp_path
    m = advance(county, register(county, sh(2026, 3, 2), phone=LANDLINE, id_number=""),
                "replied")
    url = f"/api/v1/matters/{m.pk}/settlement"
    outsider = _api(county.users["other_handler"])
    assert outsider.post(url, {"statement": "x", "written_on": "2026-03-02"},
                         format="json").status_code in (403, 404)
    handler = _api(county.users["handler"])
    bare = handler.post(url, {"statement": "递交书面息诉罢访承诺书", "written_on": "2026-03-02"},
                        format="json")
    assert bare.status_code == 400 and "扫描件" in bare.json()["pledge"][0]
    code = handler.post(url, {"statement": "电话表示不再信访", "sms_code": "123456"},
                        format="json")
    assert code.status_code == 400 and "不是手机号码" in code.json()["pledge"][0]
    ok = handler.post(url, {"statement": "递交书面息诉罢访承诺书", "written_on": "2026-03-02",
                            "pledge": [SimpleUploadedFile("承诺书.png", PNG, "image/png")]},
                      format="multipart")
    assert ok.status_code == 201, ok.content
    ev = Event.objects.get(matter=m, action="record_settlement")
    assert ev.data["confirmed_by"] == "written" and len(ev.data["pledge"]) == 1
    assert m.attachments.get().pk == ev.data["pledge"][0]
