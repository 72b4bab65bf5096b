"""The citizen portal: channels, code + phone tracking, evaluation and 复查 requests."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import advance
from xinfang.petitions.models import Evaluation

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def _track(client, matter, phone="13800138000"):
    return client.post(reverse("portal:track"), {"code": matter.query_code.lower(), "phone": phone})


def _act_code(client, purpose, phone="13800138000"):
    """The fresh code for one act, texted to the registered phone (tests/smsbox.py)."""
    from tests import smsbox

    r = client.post(reverse("portal:act_code", args=[purpose]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200, r.content.decode()
    return smsbox.last_code(phone)


def test_portal_publishes_the_xinfang_office_channels(client, county):
    page = client.get(reverse("portal:index")).content.decode()
    xf = county.xinfang
    assert xf.address in page and xf.phone in page and xf.reception_hours in page
    assert "查询" in page and '<html lang="zh-CN">' in page


def test_wrong_phone_is_refused(client, county, matter):
    r = _track(client, matter, phone="13900000000")
    assert r.status_code == 400 and "查询码或手机号不正确" in r.content.decode()
    assert client.get(reverse("portal:matter")).status_code == 302


def test_track_shows_public_steps_and_unit_names_but_no_staff_names(client, county, matter):
    m = advance(county, matter, "replied")
    r = _track(client, m)
    assert r.status_code == 302
    page = client.get(reverse("portal:matter")).content.decode()
    for label in ("登记", "转送", "签收", "受理并告知", "出具处理意见书"):
        assert label in page
    assert county.dept("住建").name in page
    for key in ("registrar", "officer", "handler"):
        assert county.users[key].display_name not in page
    assert "信访事项处理意见书" in page  # served on the petitioner
    assert "信访事项转送单" not in page  # internal document


def test_citizen_rates_a_reply_once(client, county, matter, sms):
    m = advance(county, matter, "replied")
    _track(client, m)
    r = client.post(reverse("portal:act", args=["rate_satisfied"]),
                    {"rating": "satisfied", "sms_code": _act_code(client, "rate")})
    assert r.status_code == 302
    assert Evaluation.objects.get(matter=m).rating == "satisfied"
    page = client.get(reverse("portal:matter")).content.decode()
    assert "提交评价" not in page
    r = client.post(reverse("portal:act", args=["rate_satisfied"]), {"rating": "basic"})
    assert r.status_code == 409 and "不能重复评价" in r.content.decode()


def test_review_request_outside_the_window_explains_why(client, county, matter):
    m = advance(county, matter, "replied")
    with time_machine.travel(sh(2026, 5, 20), tick=False):
        _track(client, m)
        r = client.post(reverse("portal:act", args=["request_review"]), {"reason": "不服"})
    assert r.status_code == 409
    assert "§35" in r.content.decode()
    m.refresh_from_db()
    assert m.state == "replied"


def test_review_request_within_the_window_moves_the_matter(client, county, matter, sms):
    m = advance(county, matter, "replied")
    _track(client, m)
    r = client.post(reverse("portal:act", args=["request_review"]),
                    {"reason": "退还不足", "sms_code": _act_code(client, "review")})
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.state == "review_requested" and m.review_body == county.gov


def test_portal_document_needs_the_proof_and_must_be_served_on_the_petitioner(client, county, matter):
    m = advance(county, matter, "replied")
    opinion = m.documents.get(kind="opinion")
    forward = m.documents.get(kind="forward")
    assert client.get(reverse("portal:document", args=[opinion.pk])).status_code == 302
    _track(client, m)
    r = client.get(reverse("portal:document", args=[opinion.pk]))
    assert r.status_code == 200 and "处理意见书" in r.content.decode()
    assert client.get(reverse("portal:document", args=[forward.pk])).status_code == 404


def _submit_post(county, **kw):
    data = {"name": "赵小红", "phone": "13600001111", "division": county.villages[0].code,
            "klass": "appeal", "title": "路灯不亮", "request": "请修复路灯",
            "content": "东门社区主干道路灯一个月不亮。", "token": "tok-1"}
    data.update(kw)
    return data


def _code_for(client, sms, phone="13600001111"):
    r = client.post(reverse("portal:send_code"), {"phone": phone}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200, r.content.decode()
    return sms.last_code(phone)


def test_online_submission_registers_at_the_county_office_once(client, county, frozen, sms):
    from xinfang.petitions.models import Matter

    code = _code_for(client, sms)
    r = client.post(reverse("portal:submit"), _submit_post(county, code=code))
    assert r.status_code == 201
    m = Matter.objects.get()
    assert m.channel == "online" and m.holder == county.xinfang
    assert m.query_code in r.content.decode()
    # A double submit with the same form token is the same matter.
    # The code is spent by then; the form's token shows it is the same submission.
    again = client.post(reverse("portal:submit"), _submit_post(county, code=code))
    assert again.status_code == 201 and Matter.objects.count() == 1
    # The proof is in the session: progress opens without typing the code.
    assert client.get(reverse("portal:matter")).status_code == 200


def test_online_submission_errors_are_chinese_and_nothing_is_saved(client, county, frozen):
    from tests.petitions.helpers import ID_A
    from xinfang.petitions.models import Matter

    r = client.post(reverse("portal:submit"), _submit_post(county, phone="12ab"))
    assert r.status_code == 400 and "电话号码格式不正确" in r.content.decode()
    bad_id = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")
    r = client.post(reverse("portal:submit"), _submit_post(county, id_number=bad_id))
    assert r.status_code == 400 and "校验位" in r.content.decode()
    assert Matter.objects.count() == 0


def test_track_form_is_prefilled_from_the_receipt_link(client, county):
    page = client.get(reverse("portal:track") + "?code=ABCD2345").content.decode()
    assert 'value="ABCD2345"' in page
