"""API tokens (issue 14 item 5): stored as a digest, named, expiring, listed and revoked by
their owner (API and the 账号安全 page), revoked on log-out and by an administrator; every
issue and revocation is an audit row."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from xinfang.audit.models import AuditLog
from xinfang.core import totp
from xinfang.org.models import ApiToken

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

PW = "pw-test-123"


def _issue(user, name: str = "对接系统") -> str:
    data = {"username": user.username, "password": PW, "name": name}
    device = totp.confirmed_device(user)
    if device is not None:
        data["otp"] = totp.current_code(device)
    r = APIClient().post("/api/v1/auth/token", data)
    assert r.status_code == 200, r.content
    return r.json()["token"]


def _client(token: str) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return c


def test_a_token_is_stored_only_as_a_digest_named_and_expiring(county):
    before = timezone.now()
    token = _issue(county.users["registrar"], "区县对接")
    row = ApiToken.objects.get()
    stored = " ".join(str(getattr(row, f.attname)) for f in ApiToken._meta.concrete_fields)
    assert token not in stored and row.digest != token and len(row.digest) == 128
    assert row.token_key == token[:15] and row.name == "区县对接"
    assert timedelta(hours=9, minutes=59) < row.expiry - before <= timedelta(hours=10, seconds=5)
    assert _client(token).get("/api/v1/matters").status_code == 200
    assert _issue(county.users["registrar"]) != token  # a new token on every log-in
    row = AuditLog.objects.filter(action="token_create").first()
    assert token not in str(row.data) and row.object_id == token[:15]


def test_a_token_stops_working_when_it_expires(county):
    token = _issue(county.users["registrar"])
    with time_machine.travel(timezone.now() + timedelta(hours=10, seconds=1)):
        r = _client(token).get("/api/v1/matters")
    assert r.status_code == 401
    assert not ApiToken.objects.exists()


def test_log_out_revokes_the_token_and_the_owner_lists_and_revokes_their_own(county):
    user = county.users["registrar"]
    first, second = _issue(user, "甲"), _issue(user, "乙")
    other = _issue(county.users["handler"], "别人的")
    c = _client(first)
    listed = c.get("/api/v1/auth/tokens").json()
    assert {t["name"] for t in listed} == {"甲", "乙"}  # never someone else's
    assert c.delete(f"/api/v1/auth/tokens/{other[:15]}").status_code == 404
    assert _client(other).get("/api/v1/matters").status_code == 200
    assert c.delete(f"/api/v1/auth/tokens/{second[:15]}").status_code == 204
    assert _client(second).get("/api/v1/matters").status_code == 401
    assert c.post("/api/v1/auth/logout").status_code == 204
    assert c.get("/api/v1/matters").status_code == 401
    reasons = list(AuditLog.objects.filter(action="token_revoke").order_by("id")
                   .values_list("data__reason", flat=True))
    assert reasons == ["owner", "logout"]


def test_the_owner_revokes_on_the_account_page(county, login):
    user = county.users["registrar"]
    token = _issue(user, "手机应用")
    c = login(user)
    page = c.get("/account/security/").content.decode()
    assert "手机应用" in page and token[:8] in page and token not in page
    r = c.post("/account/security/", {"action": "revoke", "key": token[:15]})
    assert r.status_code == 302
    assert _client(token).get("/api/v1/matters").status_code == 401


def test_an_administrator_lists_and_revokes_anyones_token_audited(county, login):
    token = _issue(county.users["handler"], "承办对接")
    row = ApiToken.objects.get()
    admin = county.users["admin"]
    c = login(admin)
    listing = c.get("/admin/org/apitoken/").content.decode()
    assert "承办对接" in listing and token not in listing
    r = c.post(f"/admin/org/apitoken/{row.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert _client(token).get("/api/v1/matters").status_code == 401
    audit = AuditLog.objects.filter(action="token_revoke").get()
    assert audit.actor == admin and audit.data == {"user": county.users["handler"].pk,
                                                   "reason": "admin"}
    # The device list shows no secret key.
    devices = c.get("/admin/core/stafftotpdevice/").content.decode()
    key = totp.confirmed_device(county.users["officer"]).key
    assert "王信访" in devices and key not in devices
