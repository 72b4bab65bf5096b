"""Security headers and the log-in lock-out (5 failures per username + address → 15 minutes)."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

LOCKED = "登录失败次数过多，请15分钟后再试"


def test_pages_and_api_carry_csp_and_referrer_policy(client, county):
    for url in ("/login/", "/api/v1/categories", "/api/schema/"):
        r = client.get(url)
        csp = r["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert r["Referrer-Policy"] == "same-origin" and r["X-Frame-Options"] == "DENY"


def test_api_docs_are_served_locally(client):
    r = client.get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "<script>" not in html  # no inline script
    assert "script-src 'self'" in r["Content-Security-Policy"]
    bundle = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200  # served by WhiteNoise from the installed package
    js = client.get("/api/docs/?script=")
    assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert "/api/v1/matters/{id}/actions/{name}" in schema.json()["paths"]


def _login(client, password: str, addr: str = "127.0.0.1"):
    return client.post("/login/", {"username": "dengji", "password": password},
                       REMOTE_ADDR=addr)


def test_five_failures_lock_the_username_from_that_address_for_15_minutes(client, county):
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False) as clock:
        for _ in range(5):
            r = _login(client, "wrong")
            assert r.status_code == 200 and LOCKED not in r.content.decode()
        # The right password does not help while locked, and the message says why.
        r = _login(client, "pw-test-123")
        assert r.status_code == 200 and LOCKED in r.content.decode()
        assert "_auth_user_id" not in client.session
        # Another address is not locked out for this username.
        assert _login(client, "pw-test-123", addr="10.1.1.1").status_code == 302
        client.logout()
        # The DRF token endpoint honours the same lock, with the same message.
        t = APIClient().post("/api/v1/auth/token",
                             {"username": "dengji", "password": "pw-test-123"},
                             REMOTE_ADDR="127.0.0.1")
        assert t.status_code == 400 and LOCKED in t.content.decode()
        clock.shift(15 * 60 + 1)
        assert _login(client, "pw-test-123").status_code == 302


def test_a_successful_login_resets_the_count(client, county):
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, "pw-test-123").status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, "pw-test-123").status_code == 302


def test_token_endpoint_issues_tokens_that_authenticate(county):
    c = APIClient()
    r = c.post("/api/v1/auth/token", {"username": "dengji", "password": "pw-test-123"})
    assert r.status_code == 200
    c.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert c.get("/api/v1/matters").status_code == 200
