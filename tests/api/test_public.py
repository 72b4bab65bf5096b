"""Public citizen endpoints: SMS code, submit, idempotency, progress, evaluation, 复查, errors,
throttling."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.scenario import advance
from xinfang.domain import idcard
from xinfang.petitions import services
from xinfang.petitions.models import IdempotencyKey, Matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms"), pytest.mark.usefixtures("module_county")]

URL = "/api/v1/public/petitions"
SMS_URL = "/api/v1/public/sms-codes"


def payload(county, **kw):
    base = {
        "division": county.villages[0].code, "title": "小区路灯不亮", "request": "请求尽快修复路灯",
        "content": "东门社区3栋前路灯坏了两个月。", "class": "appeal", "name": "王大明",
        "phone": "13800138000", "id_number": idcard.make("99012119800101123"),
    }
    base.update(kw)
    return base


def with_code(client, body):
    """``body`` with a fresh one-time code for its phone (from the capturing SMS box)."""
    from tests import smsbox

    r = client.post(SMS_URL, {"phone": body["phone"]}, format="json")
    assert r.status_code == 202, r.content
    return {**body, "sms_code": smsbox.last_code(body["phone"])}


def act_code(client, code, purpose, phone="13800138000"):
    """A fresh code for one act on matter ``code``, texted to its registered phone."""
    from tests import smsbox

    r = client.post(f"{URL}/{code}/sms-codes", {"phone": phone, "purpose": purpose}, format="json")
    assert r.status_code == 202, r.content
    return smsbox.last_code(phone)


def submit(client, county, **kw):
    return client.post(URL, with_code(client, payload(county, **kw)), format="json")


def test_submit_answers_201_with_code_and_holder_is_the_county_xinfang_office(county):
    r = submit(APIClient(), county)
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert len(code) == 8 and code in r.json()["receipt_url"]
    m = Matter.objects.get(query_code=code)
    assert m.holder == county.xinfang and m.channel == "online" and m.state == "registered"
    assert m.petitioners.get().name == "王大明"


def test_same_idempotency_key_returns_the_same_matter(county):
    c = APIClient()
    body = with_code(c, payload(county))
    first = c.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    # The retry needs no new code: the first one was spent when the matter was saved.
    again = c.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    assert Matter.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    # Another citizen who happens to pick the same key gets their own matter, not the first one.
    other = c.post(URL, with_code(c, payload(county, phone="13900139000", name="李四")),
                   format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 201 and other.json()["code"] != first.json()["code"]
    # Without a key, every submission is a new matter (and needs its own code).
    assert submit(c, county, phone="13700137000").status_code == 201
    assert Matter.objects.count() == 3


def test_bad_input_gets_400_with_chinese_field_errors(county):
    c = APIClient()
    r = c.post(URL, payload(county, title="", phone="12ab", id_number="990121198001011230",
                            division="000000000000"), format="json",
               HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    errors = r.json()
    assert errors["title"] == ["该字段不能为空。"]
    assert errors["phone"] == ["电话号码格式不正确，应为7至12位数字"]
    assert "校验位" in errors["id_number"][0]
    assert errors["division"] == ["行政区划代码不存在"]
    missing = c.post(URL, {}, format="json")
    assert missing.status_code == 400 and missing.json()["name"] == ["该字段是必填项。"]
    report = submit(c, county, **{"class": "report"})
    assert report.status_code == 400
    assert report.json()["accused_name"] == ["检举控告类事项请填写被反映人或单位"]
    garbage = c.post(URL, "{not json", content_type="application/json")
    assert garbage.status_code == 400 and garbage.json()["detail"]
    assert Matter.objects.count() == 0


def test_progress_shows_public_steps_without_staff_names(county):
    c = APIClient()
    code = submit(c, county).json()["code"]
    advance(county, Matter.objects.get(query_code=code), "replied")
    services.supervise(Matter.objects.get(query_code=code), user=county.users["supervisor"],
                       note="内部督办：请赵督查跟进")
    r = c.get(f"{URL}/{code}", {"phone": "13800138000"})
    assert r.status_code == 200, r.content
    body = r.json()
    labels = [s["label"] for s in body["steps"]]
    assert labels == ["登记", "转送", "签收", "受理并告知", "出具处理意见书"]
    assert body["steps"][1]["by"] == "安平县信访局"
    assert body["steps"][2]["by"] == "安平县住房和城乡建设局"
    text = r.content.decode()
    for staff in county.users.values():
        assert staff.display_name not in text, staff.display_name
    assert "督办" not in text and body["can_rate"] and body["can_request_review"]
    assert c.get(f"{URL}/{code}", {"phone": "13800138001"}).status_code == 404
    assert c.get(f"{URL}/{code}").status_code == 400
    assert c.get(f"{URL}/ZZZZZZZZ", {"phone": "13800138000"}).status_code == 404


def test_citizen_rates_once_then_asks_for_review(county):
    c = APIClient()
    code = submit(c, county).json()["code"]
    advance(county, Matter.objects.get(query_code=code), "replied")
    wrong = c.post(f"{URL}/{code}/evaluation", {"phone": "13800000000", "rating": "basic"},
                   format="json")
    assert wrong.status_code == 404
    ok = c.post(f"{URL}/{code}/evaluation", {"phone": "13800138000", "rating": "basic",
                                             "comment": "修好了",
                                             "sms_code": act_code(c, code, "rate")}, format="json")
    assert ok.status_code == 200 and ok.json()["can_rate"] is False
    twice = c.post(f"{URL}/{code}/evaluation", {"phone": "13800138000", "rating": "satisfied"},
                   format="json")
    assert twice.status_code == 409 and twice.json() == {"detail": "本次答复已评价，不能重复评价"}
    review = c.post(f"{URL}/{code}/review-requests",
                    {"phone": "13800138000", "reason": "修得不彻底",
                     "sms_code": act_code(c, code, "review")}, format="json")
    assert review.status_code == 201, review.content
    assert Matter.objects.get(query_code=code).state == "review_requested"
    recheck = c.post(f"{URL}/{code}/review-requests",
                     {"phone": "13800138000", "reason": "再申请", "kind": "recheck"},
                     format="json")
    assert recheck.status_code == 409 and "不能执行" in recheck.json()["detail"]


def test_throttling_answers_429_per_address_and_per_phone(county, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "public_query_ip": "5/min", "public_query_phone": "3/min",
        "public_submit_ip": "2/min"}}
    code = submit(APIClient(), county).json()["code"]
    c = APIClient()
    answers = [c.get(f"{URL}/{code}", {"phone": "13800138000"}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]  # per phone, from one address
    other = APIClient(REMOTE_ADDR="10.0.0.9")
    assert other.get(f"{URL}/{code}", {"phone": "13800138000"}).status_code == 429  # same phone
    assert other.get(f"{URL}/{code}", {"phone": "13900000000"}).status_code == 404
    statuses = [c.get(f"{URL}/{code}", {"phone": f"1390000000{i}"}).status_code for i in range(3)]
    assert statuses[-1] == 429  # per address: 5 queries a minute from 127.0.0.1
    # A forged X-Forwarded-For does not reset the per-address count.
    forged = c.get(f"{URL}/{code}", {"phone": "13700000000"}, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert forged.status_code == 429
    s = APIClient(REMOTE_ADDR="10.0.0.7")
    subs = [s.post(URL, with_code(s, payload(county, phone=f"1370000000{i}")),
                   format="json").status_code for i in range(3)]
    assert subs == [201, 201, 429]


def test_submission_needs_the_code_texted_to_that_phone(county, sms):
    c = APIClient()
    none = c.post(URL, payload(county), format="json")
    assert none.status_code == 400 and "请填写短信验证码" in none.json()["sms_code"][0]
    unsent = c.post(URL, payload(county, sms_code="123456"), format="json")
    assert unsent.json()["sms_code"] == ["验证码已过期或未获取，请重新获取"]
    # A code texted to another phone proves nothing about this one.
    sent = c.post(SMS_URL, {"phone": "13900009999"}, format="json")
    assert sent.status_code == 202 and sent.json() == {"detail": "验证码已发送至 139****9999，10分钟内有效"}
    foreign = c.post(URL, payload(county, sms_code=sms.last_code("13900009999")), format="json")
    assert foreign.status_code == 400 and "sms_code" in foreign.json()
    assert Matter.objects.count() == 0
    # The right code works once; a second submission cannot reuse it.
    body = with_code(c, payload(county))
    assert c.post(URL, payload(county, sms_code="000000" if body["sms_code"] != "000000" else "111111"),
                  format="json").json()["sms_code"] == ["验证码不正确，还可以再试4次"]
    assert c.post(URL, body, format="json").status_code == 201
    reused = c.post(URL, body, format="json")
    assert reused.json()["sms_code"] == ["验证码已过期或未获取，请重新获取"]
    assert Matter.objects.count() == 1


def test_sms_code_endpoint_refuses_bad_numbers_and_resends_once_a_minute(county, sms):
    c = APIClient()
    bad = c.post(SMS_URL, {"phone": "0311-1234567"}, format="json")
    assert bad.status_code == 400 and bad.json()["phone"] == ["请先填写正确的11位手机号码"]
    missing = c.post(SMS_URL, {}, format="json")
    assert missing.status_code == 400 and missing.json()["phone"] == ["该字段是必填项。"]
    assert c.post(SMS_URL, {"phone": "13800138000"}, format="json").status_code == 202
    again = c.post(SMS_URL, {"phone": "13800138000"}, format="json")
    assert again.status_code == 400 and again.json()["phone"] == ["验证码已发送，请1分钟后再重新获取"]
    assert len(sms.OUTBOX["13800138000"]) == 1


def test_code_check_can_be_switched_off_for_a_trusted_front_end(county, settings):
    settings.XINFANG_PUBLIC_SUBMIT_SMS_CODE = False
    assert APIClient().post(URL, payload(county), format="json").status_code == 201


def test_unsatisfied_then_redo_keeps_review_open_over_the_api(county):
    """§35: 不满意 is a rating; the petitioner chooses a 重办 and may still ask for 复查."""
    c = APIClient()
    code = submit(c, county).json()["code"]
    advance(county, Matter.objects.get(query_code=code), "replied")
    phone = {"phone": "13800138000"}
    early = c.post(f"{URL}/{code}/redo-requests", phone, format="json")
    assert early.status_code == 409 and "不满意" in early.json()["detail"]
    rated = c.post(f"{URL}/{code}/evaluation",
                   {**phone, "rating": "unsatisfied", "sms_code": act_code(c, code, "rate")},
                   format="json")
    assert rated.status_code == 200
    assert rated.json()["state"] == "replied" and rated.json()["can_request_redo"] is True
    assert rated.json()["can_request_review"] is True
    redo = c.post(f"{URL}/{code}/redo-requests", {**phone, "sms_code": act_code(c, code, "redo")},
                  format="json")
    assert redo.status_code == 201 and redo.json()["state"] == "handling"
    assert redo.json()["can_request_review"] is True  # the served opinion can still be reviewed
    review = c.post(f"{URL}/{code}/review-requests",
                    {**phone, "reason": "不服", "sms_code": act_code(c, code, "review")},
                    format="json")
    assert review.status_code == 201 and review.json()["state"] == "review_requested"


def test_a_replay_returns_the_number_but_never_the_query_code_without_a_fresh_sms_code(
        county, frozen):
    """Issue 14 item 8: whoever holds the key and the phone number (a proxy log, a shared
    device) learned the query code from a replay; the code is the key to the matter."""
    c = APIClient()
    body = with_code(c, payload(county))
    first = c.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-replay")
    assert first.status_code == 201
    m = Matter.objects.get()
    assert first.json()["code"] == m.query_code and first.json()["number"] == m.number
    for sms_code in (body["sms_code"], "", "000000"):  # the spent code, none, a guess
        again = c.post(URL, {**body, "sms_code": sms_code}, format="json",
                       HTTP_IDEMPOTENCY_KEY="k-replay")
        assert again.status_code == 200, again.content
        assert again.json()["number"] == m.number and again.json()["replay"] is True
        assert m.query_code not in again.content.decode()
    # With a fresh code to the phone the citizen gets the code back (a lost first answer).
    frozen.shift(61)  # one code a minute per phone
    fresh = c.post(URL, with_code(c, payload(county)), format="json",
                   HTTP_IDEMPOTENCY_KEY="k-replay")
    assert fresh.status_code == 201 and fresh.json()["code"] == m.query_code
    assert fresh.json()["replay"] is True
    assert Matter.objects.count() == 1
