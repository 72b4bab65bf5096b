"""Issue 16 item 7: 联名信 flagged for letters as 集体访 is for visits (both doors), and a unit's
QR code records the unit that was scanned. (The hiding and showing of the channel fields is
checked in Chromium: tests/browser/test_registration_fields.py.)"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.web.test_staff import _reg_post
from xinfang.petitions.models import Matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def test_a_joint_letter_is_recorded_as_collective(login, county, frozen):
    c = login("registrar")
    r = c.post(reverse("register"), _reg_post(
        county, channel="letter", is_joint_letter="on", headcount="8", postmark_on="2026-03-01",
        p1_name="李小红"))
    assert r.status_code == 302, r.content.decode()[:2000]
    m = Matter.objects.get()
    assert m.is_collective and m.headcount == 8 and m.channel_details["joint_letter"] == "1"
    assert all(p.is_representative for p in m.petitioners.all())
    assert "联名信" in c.get(reverse("matter", args=[m.pk])).content.decode()


def test_the_collective_flags_belong_to_their_channel(login, county, frozen):
    c = login("registrar")
    # 联名信 ticked, then the channel changed to 走访: the letter's flag is not recorded.
    r = c.post(reverse("register"), _reg_post(county, channel="visit", is_joint_letter="on"))
    assert r.status_code == 302
    m = Matter.objects.get()
    assert not m.is_collective and "joint_letter" not in m.channel_details
    # A joint letter of one person is refused, in Chinese.
    r = c.post(reverse("register"), _reg_post(county, channel="letter", is_joint_letter="on",
                                              headcount="1"))
    assert r.status_code == 400 and "不少于2人" in r.content.decode()


def test_the_api_flags_a_joint_letter_too(county, frozen):
    from xinfang.org.models import ApiToken

    api = APIClient()
    _, token = ApiToken.objects.create(user=county.users["registrar"], name="t")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = {"channel": "letter", "title": "联名反映路灯", "request": "请修复", "content": "路灯坏了",
            "division": county.villages[0].code, "klass": "appeal", "headcount": 6,
            "is_collective": True, "received_at": "2026-03-02T10:00:00+08:00",
            "petitioners": [{"name": "王大明", "phone": "13800138000"}]}
    r = api.post("/api/v1/matters", body, format="json")
    assert r.status_code == 201, r.content
    m = Matter.objects.get(pk=r.json()["id"])
    assert m.is_collective and m.channel_details["joint_letter"] == "1"
    bad = api.post("/api/v1/matters", {**body, "channel": "phone"}, format="json")
    assert bad.status_code == 400 and "联名信" in bad.content.decode()


def test_a_units_qr_code_records_the_unit_that_was_scanned(client, county, frozen, sms, login):
    zj = county.dept("住建")
    page = client.get(reverse("portal:submit") + f"?body={zj.pk}&via=qr").content.decode()
    assert re.search(rf'name="qr_body" value="{zj.pk}"', page)
    client.post(reverse("portal:send_code"), {"phone": "13600001111"}, HTTP_HX_REQUEST="true")
    r = client.post(reverse("portal:submit"), {
        "name": "赵小红", "phone": "13600001111", "division": zj.division.code,
        "klass": "appeal", "title": "路灯不亮", "request": "请修复路灯",
        "content": "东门社区主干道路灯一个月不亮。", "token": "tok-qr", "via": "qr",
        "qr_body": str(zj.pk), "code": sms.last_code("13600001111")})
    assert r.status_code == 201, r.content.decode()[:2000]
    m = Matter.objects.get()
    assert m.channel == "qr"
    assert m.channel_details == {"qr_body_id": str(zj.pk), "qr_body_name": zj.name}
    staff = login("officer").get(reverse("matter", args=[m.pk])).content.decode()
    assert "扫码单位" in staff and zj.name in staff
