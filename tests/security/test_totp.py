"""Optional TOTP second factor for staff (issue 4)."""

from __future__ import annotations

import re
import time

import pytest

from xinfang.core import totp

pytestmark = pytest.mark.django_db


def test_rfc6238_reference_vector() -> None:
    # RFC 6238 Appendix B, SHA-1, T = 59 s → 94287082 (8 digits); the last 6 digits here.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert totp.code_at(secret, 59) == "287082"
    assert totp.verify(secret, "287082", at=59)
    assert not totp.verify(secret, "287083", at=59)


def test_enable_then_log_in_requires_the_code(client, county) -> None:
    user = county.users["officer"]
    assert client.login(username=user.username, password="pw-test-123")
    page = client.get("/account/security/").content.decode()
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    bad = client.post("/account/security/", {"action": "enable", "code": "000000"})
    assert bad.status_code == 400 and "验证码不正确" in bad.content.decode()
    ok = client.post("/account/security/", {"action": "enable", "code": totp.code_at(secret, time.time())})
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.totp_enabled and user.totp_secret == secret
    client.logout()

    refused = client.post("/login/", {"username": user.username, "password": "pw-test-123"})
    assert refused.status_code == 200 and "请输入正确的动态验证码" in refused.content.decode()
    accepted = client.post("/login/", {"username": user.username, "password": "pw-test-123",
                                       "otp": totp.code_at(secret, time.time())})
    assert accepted.status_code == 302


def test_staff_without_totp_log_in_with_password_only(client, county) -> None:
    r = client.post("/login/", {"username": "dengji", "password": "pw-test-123"})
    assert r.status_code == 302
