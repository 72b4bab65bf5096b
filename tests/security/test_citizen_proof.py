"""Issue 14 item 7: the query code and the phone only read; every act of the petitioner needs a
fresh SMS code sent to the registered phone; failed proofs are throttled per address and per
code at every door; staff see the query code only at registration."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.scenario import advance
from xinfang.petitions.models import Evaluation, Matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms"), pytest.mark.usefixtures("module_county")]

PHONE = "13800138000"
URL = "/api/v1/public/petitions"


def _track(client, m, phone=PHONE, **extra):
    return client.post(reverse("portal:track"), {"code": m.query_code, "phone": phone}, **extra)


def _portal_code(client, purpose):
    from tests import smsbox

    r = client.post(reverse("portal:act_code", args=[purpose]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200, r.content.decode()
    return smsbox.last_code(PHONE)


@pytest.fixture
def matter(county, frozen):
    from tests.conftest import sh
    from tests.scenario import register

    return register(county, sh(2026, 3, 2))


@pytest.fixture
def replied(county, matter):
    return advance(county, matter, "replied")


# --------------------------------------------------------------------------- acting as the citizen


def test_a_handler_who_knows_code_and_phone_cannot_rate_as_the_citizen(client, county, replied):
    """The reproduction: code + phone let a handler rate its own work 满意 (§21 ¶2)."""
    assert _track(client, replied).status_code == 302  # reading still works
    r = client.post(reverse("portal:act", args=["rate_satisfied"]), {"rating": "satisfied"})
    assert r.status_code == 400 and "请填写短信验证码" in r.content.decode()
    guessed = client.post(reverse("portal:act", args=["rate_satisfied"]),
                          {"rating": "satisfied", "sms_code": "123456"})
    assert guessed.status_code == 400 and "验证码" in guessed.content.decode()
    assert not Evaluation.objects.filter(matter=replied).exists()
    # The same at the API's door.
    api = APIClient().post(f"{URL}/{replied.query_code}/evaluation",
                           {"phone": PHONE, "rating": "satisfied"}, format="json")
    assert api.status_code == 400 and "sms_code" in api.json()
    assert not Evaluation.objects.filter(matter=replied).exists()


def test_the_code_goes_to_the_registered_phone_and_says_what_it_is_for(client, county, replied,
                                                                      sms):
    _track(client, replied)
    r = client.post(reverse("portal:act_code", args=["rate"]), HTTP_HX_REQUEST="true")
    assert "138****8000" in r.content.decode()
    assert list(sms.OUTBOX) == [PHONE]
    text = sms.OUTBOX[PHONE][-1]
    assert "评价" in text and replied.number in text and "工作人员" in text


def test_a_code_is_single_use_and_bound_to_its_purpose(client, county, replied):
    _track(client, replied)
    rate = _portal_code(client, "rate")
    # A rating code does not open a 复查 request.
    r = client.post(reverse("portal:act", args=["request_review"]),
                    {"reason": "不服", "sms_code": rate})
    assert r.status_code == 400
    assert Matter.objects.get(pk=replied.pk).state == "replied"
    ok = client.post(reverse("portal:act", args=["rate_unsatisfied"]),
                     {"comment": "没退钱", "sms_code": rate})
    assert ok.status_code == 302
    # Spent: the same code cannot carry out a second act.
    redo = client.post(reverse("portal:act", args=["request_redo"]), {"sms_code": rate})
    assert redo.status_code == 400
    assert Matter.objects.get(pk=replied.pk).state == "replied"


def test_a_refused_act_leaves_the_code_for_the_corrected_one(client, county, replied):
    _track(client, replied)
    code = _portal_code(client, "review")
    missing = client.post(reverse("portal:act", args=["request_review"]), {"sms_code": code})
    assert missing.status_code == 400 and "理由" in missing.content.decode()
    ok = client.post(reverse("portal:act", args=["request_review"]),
                     {"reason": "退还不足", "sms_code": code})
    assert ok.status_code == 302
    assert Matter.objects.get(pk=replied.pk).state == "review_requested"


def test_a_code_for_one_matter_does_not_act_on_another(client, county, replied):
    from django.utils import timezone

    from tests.scenario import register

    other = advance(county, register(county, timezone.now(), title="另一件事"), "replied")
    _track(client, replied)
    code = _portal_code(client, "rate")
    _track(client, other)
    r = client.post(reverse("portal:act", args=["rate_satisfied"]),
                    {"rating": "satisfied", "sms_code": code})
    assert r.status_code == 400
    assert not Evaluation.objects.filter(matter=other).exists()


def test_api_acts_need_a_fresh_code_per_purpose(county, replied, sms):
    c = APIClient()
    code = replied.query_code
    wrong_phone = c.post(f"{URL}/{code}/sms-codes", {"phone": "13900000000", "purpose": "rate"},
                         format="json")
    assert wrong_phone.status_code == 404 and "13900000000" not in sms.OUTBOX
    sent = c.post(f"{URL}/{code}/sms-codes", {"phone": PHONE, "purpose": "review"},
                  format="json")
    assert sent.status_code == 202 and "138****8000" in sent.json()["detail"]
    review_code = sms.last_code(PHONE)
    as_rating = c.post(f"{URL}/{code}/evaluation",
                       {"phone": PHONE, "rating": "satisfied", "sms_code": review_code},
                       format="json")
    assert as_rating.status_code == 400 and "sms_code" in as_rating.json()
    review = c.post(f"{URL}/{code}/review-requests",
                    {"phone": PHONE, "reason": "不服", "sms_code": review_code}, format="json")
    assert review.status_code == 201 and review.json()["state"] == "review_requested"


# --------------------------------------------------------------------------- throttles


def test_guessing_the_phone_behind_a_code_is_stopped_per_code(client, county, matter):
    """1,235 guesses found the phone behind a known code: ten failures close the code for a
    day, from any address, also for the right phone."""
    for i in range(10):
        r = _track(client, matter, phone=f"1390000{i:04d}", REMOTE_ADDR=f"10.1.0.{i}")
        assert r.status_code == 400
    blocked = _track(client, matter, REMOTE_ADDR="10.9.9.9")
    assert blocked.status_code == 429 and "次数过多" in blocked.content.decode()
    api = APIClient(REMOTE_ADDR="10.9.9.8").get(f"{URL}/{matter.query_code}", {"phone": PHONE})
    assert api.status_code == 429


def test_one_address_guessing_many_codes_is_stopped(client, county, matter):
    for i in range(20):
        client.post(reverse("portal:track"), {"code": f"ZZZZ{i:04d}", "phone": PHONE})
    assert _track(client, matter).status_code == 429
    # Another address is not affected.
    assert _track(client, matter, REMOTE_ADDR="10.2.0.1").status_code == 302


def test_reception_lookup_is_throttled_per_code(client, county):
    url = reverse("practice:portal_lookup")
    for i in range(10):
        r = client.post(url, {"code": "ABCD2345", "phone": f"1390000{i:04d}"},
                        REMOTE_ADDR=f"10.3.0.{i}")
        assert r.status_code == 400
    r = client.post(url, {"code": "ABCD2345", "phone": PHONE}, REMOTE_ADDR="10.3.1.1")
    assert r.status_code == 429


def test_throttles_survive_a_flood_of_other_keys(client, county, matter, settings):
    """The failures live in the shared security store: a flood of other codes does not
    evict them (issue 14 item 9)."""
    from xinfang.core import attempts

    for i in range(10):
        _track(client, matter, phone=f"1390000{i:04d}", REMOTE_ADDR=f"10.4.0.{i}")
    for i in range(2000):
        attempts.failed("track", address=f"10.5.{i // 250}.{i % 250}", code=f"F{i:07d}")
    assert _track(client, matter, REMOTE_ADDR="10.6.0.1").status_code == 429


# --------------------------------------------------------------------------- staff pages


def test_staff_see_the_query_code_only_on_the_receipt_printed_at_registration(login, county,
                                                                             frozen):
    from tests.web.test_staff import _reg_post
    from xinfang.petitions.models import Document

    c = login("registrar")
    r = c.post(reverse("register"), _reg_post(county))
    assert r.status_code == 302, r.content.decode()[:2000]
    m = Matter.objects.get()
    receipt = m.documents.get(kind=Document.Kind.RECEIPT)
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert m.query_code in page  # the one-time message right after registration
    assert m.query_code not in c.get(reverse("matter", args=[m.pk])).content.decode()
    doc_url = reverse("document", args=[m.pk, receipt.pk])
    assert m.query_code in c.get(doc_url).content.decode()  # the desk prints the receipt
    # Another member of staff (and the same desk in a new session) sees no code anywhere.
    other = login("officer")
    assert m.query_code not in other.get(doc_url).content.decode()
    assert m.query_code not in other.get(reverse("matter", args=[m.pk])).content.decode()
    assert m.query_code not in other.get(reverse("search") + f"?q={m.title}").content.decode()
    export = other.get(reverse("search_export") + f"?q={m.title}")
    assert export.status_code == 200 and m.query_code.encode() not in export.content


def test_staff_api_never_returns_the_query_code_after_registration(county, matter):
    from xinfang.org.models import ApiToken

    c = APIClient()
    _, token = ApiToken.objects.create(user=county.users["officer"], name="test")
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    detail = c.get(f"/api/v1/matters/{matter.pk}")
    assert detail.status_code == 200 and matter.query_code not in detail.content.decode()
    for doc in matter.documents.all():
        r = c.get(f"/api/v1/matters/{matter.pk}/documents/{doc.pk}")
        assert r.status_code == 200 and matter.query_code not in r.content.decode()
