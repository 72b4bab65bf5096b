"""Issue 20 (items 1–2) on the portal's matter page: a failed act — rating, 复查/复核 request,
withdrawal, 补充材料, the SMS code — is told in an error summary at the top (focused on
arrival, the count in the title) whose link goes to the control, and at the control itself
(aria-invalid, aria-describedby naming the message). All of it is in the page the server
sends: it works without JavaScript (these are plain form posts, as a browser without
JavaScript makes them)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import smsbox
from tests.scenario import matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms", "module_county")]

PHONE = "13800138000"


def _track(client, m):
    r = client.post(reverse("portal:track"), {"code": m.query_code, "phone": PHONE})
    assert r.status_code == 302


def _tag(page: str, control: str) -> str:
    return re.search(rf'<(?:input|textarea)[^>]*\bid="{control}"[^>]*>', page).group(0)


def _summary(page: str) -> str:
    return re.search(r'<div class="error-summary".*?</div>\s*</div>', page, re.S).group(0)


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1)


def test_a_review_request_without_its_code_is_told_at_the_code_field(client, county, frozen):
    m = matter(county, "replied")
    _track(client, m)
    r = client.post(reverse("portal:act", args=["request_review"]),
                    {"reason": "不服处理意见，物业仍在乱收费", "sms_code": ""})
    assert r.status_code == 400
    page = r.content.decode()
    summary = _summary(page)
    assert 'tabindex="-1" autofocus data-error-summary' in summary and 'role="alert"' in summary
    assert 'href="#code-review"' in summary and "请填写短信验证码" in summary
    assert _title(page).startswith("有 1 处错误：")
    code = _tag(page, "code-review")
    assert 'aria-invalid="true"' in code
    assert 'aria-describedby="code-review-error code-help-review"' in code
    assert re.search(r'<p class="error" id="code-review-error">[^<]*请填写短信验证码', page)
    # What was typed is kept; the other fields are not marked.
    assert "不服处理意见，物业仍在乱收费</textarea>" in page
    assert "aria-invalid" not in _tag(page, "review-reason")
    assert 'class="alert" role="alert"' not in page  # the old banner, tied to nothing


def test_a_wrong_code_for_a_withdrawal_and_a_missing_reason(client, county, frozen):
    m = matter(county, "handling")
    _track(client, m)
    client.post(reverse("portal:act_code", args=["withdraw"]), HTTP_HX_REQUEST="true")
    good = smsbox.last_code(PHONE)
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    page = client.post(reverse("portal:act", args=["withdraw"]),
                       {"reason": "已协商解决", "sms_code": wrong}).content.decode()
    assert 'href="#code-withdraw"' in _summary(page)
    assert 'aria-invalid="true"' in _tag(page, "code-withdraw")
    # No reason: the state machine's refusal is about the reason field.
    page = client.post(reverse("portal:act", args=["withdraw"]),
                       {"reason": "", "sms_code": good}).content.decode()
    assert 'href="#withdraw-reason"' in _summary(page)
    reason = _tag(page, "withdraw-reason")
    assert 'aria-invalid="true"' in reason and "withdraw-reason-error" in reason
    assert 'id="withdraw-reason-error"' in page


def test_a_too_long_rating_comment_is_told_at_the_comment(client, county, frozen):
    m = matter(county, "replied")
    _track(client, m)
    r = client.post(reverse("portal:act", args=["rate_unsatisfied"]),
                    {"comment": "不满意" * 400, "sms_code": "123456"})
    page = r.content.decode()
    assert r.status_code == 400 and 'href="#unsat-comment"' in _summary(page)
    assert 'aria-invalid="true"' in _tag(page, "unsat-comment")
    assert ("不满意" * 400) + "</textarea>" in page  # kept, to shorten rather than retype


def test_supplement_without_text_or_files_is_told_at_the_text(client, county, frozen):
    m = matter(county, "handling")
    _track(client, m)
    page = client.post(reverse("portal:act", args=["supplement"]),
                       {"text": "", "sms_code": ""}).content.decode()
    assert 'href="#supplement-text"' in _summary(page) and "请填写补充说明或上传材料" in page
    assert 'aria-invalid="true"' in _tag(page, "supplement-text")


def test_without_javascript_a_refused_code_request_is_told_at_the_code_field(client, county,
                                                                             frozen):
    """"获取验证码" without JavaScript posts the act's form with ``send_code``: the page
    comes back with what was typed, and a refusal (a second request within the minute) is an
    error of the code field, not a success line."""
    m = matter(county, "replied")
    _track(client, m)
    url = reverse("portal:act", args=["request_review"])
    first = client.post(url, {"reason": "不服", "send_code": "1"}).content.decode()
    assert "验证码已发送至登记的手机" in first and "error-summary" not in first
    assert ">不服</textarea>" in first  # the reason typed before asking is kept
    again = client.post(url, {"reason": "不服", "send_code": "1"})
    page = again.content.decode()
    assert again.status_code == 429 or again.status_code >= 400
    assert 'href="#code-review"' in _summary(page) and "1分钟后" in page
    assert 'aria-invalid="true"' in _tag(page, "code-review")
    assert '<span class="ok">' not in page.split('id="code-status-review"')[1][:200]


def test_the_errors_speak_english_on_the_english_page(client, county, frozen):
    m = matter(county, "replied")
    _track(client, m)
    client.cookies["django_language"] = "en"
    page = client.post(reverse("portal:act", args=["request_review"]),
                       {"reason": "x", "sms_code": ""}).content.decode()
    summary = _summary(page)
    assert "SMS code" in summary and "请填写短信验证码" not in summary
    assert _title(page).startswith("Error (1): ")
