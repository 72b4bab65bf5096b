"""Issue 14 items 11 and 15: bad input is a 400 with a Chinese message, never a 500; one set of
limits for both doors; a 500 leaves a traceback in the log."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

from tests.conftest import sh
from tests.petitions.helpers import register

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom from a test view")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.parametrize("params", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"},
                                    {"date_from": "0001-01-01", "date_to": "9999-12-31"}])
def test_search_with_far_dates_is_a_400_with_a_message(login, county, frozen, params):
    c = login(county.users["officer"])
    for url in (reverse("search"), reverse("search_export")):
        r = c.get(url, params)
        assert r.status_code == 400, url
        assert "日期超出合理范围" in r.content.decode()


def test_an_absurd_page_number_is_a_400_with_a_message(login, county, frozen):
    register(county, sh(2026, 3, 2))
    c = login(county.users["officer"])
    for url, params in (("/", {"page": "99999999999999999999"}),
                        (reverse("search"), {"q": "", "page": "99999999999999999999"})):
        r = c.get(url, params)
        assert r.status_code == 400, url
        assert "页码超出范围" in r.content.decode()
    assert c.get("/", {"page": "2"}).status_code == 200


def test_a_5000_deep_json_body_is_a_400_with_a_message(client, county):
    body = "[" * 5000 + "]" * 5000
    r = client.post("/api/v1/public/petitions", body, content_type="application/json")
    assert r.status_code == 400
    assert "嵌套层数过多" in r.json()["detail"]
    r = client.post("/api/v1/public/petitions", '{"title": ', content_type="application/json")
    assert r.status_code == 400 and "JSON 格式错误" in r.json()["detail"]


@pytest.mark.urls(__name__)
def test_a_server_error_leaves_its_traceback_in_the_log(settings):
    settings.DEBUG = False
    handlers = [h for h in logging.getLogger("django.request").handlers
                if isinstance(h, logging.StreamHandler)]
    assert handlers, "django.request has no handler that writes the log"
    buf = io.StringIO()
    old = [h.setStream(buf) for h in handlers]
    try:
        r = Client(raise_request_exception=False).get("/boom/")
    finally:
        for h, stream in zip(handlers, old, strict=True):
            h.setStream(stream)
    assert r.status_code == 500
    log = buf.getvalue()
    assert "Internal Server Error: /boom/" in log
    assert "Traceback" in log and "boom from a test view" in log


def test_json_nesting_depth_ignores_brackets_inside_strings():
    from xinfang.api.parsers import nesting_depth

    assert nesting_depth(json.dumps({"a": [1, {"b": "[[[[[["}]})) == 3


def _portal_post(client, sms, **kw):
    client.post(reverse("portal:send_code"), {"phone": "13600001111"})
    data = {"name": "赵小红", "phone": "13600001111", "klass": "appeal", "title": "路灯不亮",
            "request": "请修复路灯", "content": "东门社区主干道路灯一个月不亮。",
            "token": "tok-limits", "code": sms.last_code("13600001111")}
    data.update(kw)
    return client.post(reverse("portal:submit"), data)


def test_the_portal_has_the_apis_length_limits(client, county, frozen, sms):
    """Issue 14 item 15: the portal took an 800,000-character request; the API caps at 5,000."""
    from xinfang.petitions.models import Matter

    r = _portal_post(client, sms, division=county.villages[0].code, request="修" * 800_000)
    assert r.status_code == 400 and Matter.objects.count() == 0
    assert "提交的内容过大" in r.content.decode()  # over the 1 MB of form fields
    r = _portal_post(client, sms, division=county.villages[0].code, request="修" * 5_001)
    assert r.status_code == 400 and "5000" in r.content.decode()
    r = _portal_post(client, sms, division=county.villages[0].code, content="灯" * 20_001)
    assert r.status_code == 400 and "20000" in r.content.decode()


def test_fullwidth_digits_are_one_person_to_the_blind_index(county, frozen):
    """A phone or ID number typed in fullwidth digits is stored and indexed as the ASCII one,
    so the repeat check and an exact search find the same person."""
    from tests.scenario import ID_A
    from xinfang.core.crypto import blind_index
    from xinfang.domain import idcard

    fullwidth_id = ID_A.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    first = register(county, sh(2026, 3, 2), phone="13800138000")
    second = register(county, sh(2026, 3, 2), phone="１３８００１３８０００",
                      id_number=fullwidth_id)
    p1, p2 = first.petitioners.get(), second.petitioners.get()
    assert p2.phone == "13800138000" and p2.id_number == ID_A
    assert (p2.phone_index, p2.id_index) == (p1.phone_index, p1.id_index)
    assert blind_index("１３８００１３８０００", "phone") == blind_index("13800138000", "phone")
    assert idcard.validate("١٣٨") is not None  # other scripts' digits are not an ID number
