"""The second factor on every door (issue 14 item 4): django-otp TOTP devices, single-use
codes, a lock-out after wrong codes that a correct password does not clear, the admin and the
API token endpoint behind the same check, and enrolment forced on the roles that can reveal
identities."""

from __future__ import annotations

import binascii
import importlib
import re
import time
from types import SimpleNamespace

import pytest
import time_machine
from rest_framework.test import APIClient

from xinfang.core import totp

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

PW = "pw-test-123"
WRONG = "动态验证码不正确或已使用过"
LOCKED = "动态验证码错误次数过多，已暂时锁定"


def _device(user):
    return totp.confirmed_device(user)


def _login(client, user, code: str | None = None, next_url: str = ""):
    data = {"username": user.username, "password": PW}
    if code is not None:
        data["otp"] = code
    return client.post("/login/" + (f"?next={next_url}" if next_url else ""), data)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_rfc6238_reference_vector() -> None:
    # RFC 6238 Appendix B, SHA-1, T = 59 s → 94287082 (8 digits); the last 6 digits here.
    device = SimpleNamespace(bin_key=b"12345678901234567890", step=30, t0=0, digits=6, drift=0)
    assert totp.current_code(device, at=59) == "287082"


def test_enrol_on_the_page_then_log_in_requires_the_code(client, county, login) -> None:
    user = county.users["registrar"]  # a role without a device yet
    login(user)
    page = client.get("/account/security/").content.decode()
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    bad = client.post("/account/security/", {"action": "enable", "code": "000000"})
    assert bad.status_code == 400 and "验证码不正确" in bad.content.decode()
    device = totp.pending_device(user)
    assert totp.secret_b32(device) == secret
    with time_machine.travel(time.time() + 2):  # past the 1 s wait after the wrong code
        ok = client.post("/account/security/",
                         {"action": "enable", "code": totp.current_code(device)})
    assert ok.status_code == 302 and totp.has_device(user)
    client.logout()

    with time_machine.travel(time.time() + 60):
        refused = _login(client, user)
        assert refused.status_code == 200
        assert "请输入验证器应用中的6位数字" in refused.content.decode()
        assert "_auth_user_id" not in client.session
        assert _login(client, user, totp.current_code(device)).status_code == 302


def test_staff_without_a_device_and_a_role_that_may_go_without_log_in_with_password(client,
                                                                                   county):
    assert _login(client, county.users["registrar"]).status_code == 302


def test_a_code_works_once(client, county) -> None:
    user = county.users["officer"]
    code = totp.current_code(_device(user))
    assert _login(client, user, code).status_code == 302
    client.logout()
    again = _login(client, user, code)  # the same code within its 30 s step
    assert again.status_code == 200 and WRONG in again.content.decode()
    assert "_auth_user_id" not in client.session
    # …and at the API token endpoint too.
    r = APIClient().post("/api/v1/auth/token",
                         {"username": user.username, "password": PW, "otp": code})
    assert r.status_code == 400 and r.json()["code"] in ("otp", "otp_wait")


def test_password_only_api_token_is_refused_for_an_account_with_a_device(county) -> None:
    user = county.users["officer"]
    api = APIClient()
    r = api.post("/api/v1/auth/token", {"username": user.username, "password": PW})
    assert r.status_code == 400 and r.json()["code"] == "otp_required"
    assert "请输入验证器应用中的6位数字" in r.json()["detail"]
    ok = api.post("/api/v1/auth/token", {"username": user.username, "password": PW,
                                         "otp": totp.current_code(_device(user))})
    assert ok.status_code == 200 and ok.json()["token"]


def test_admin_log_in_with_the_password_alone_is_refused(client, county) -> None:
    admin = county.users["admin"]
    r = client.post("/admin/login/?next=/admin/", {"username": admin.username, "password": PW})
    assert "_auth_user_id" not in client.session
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    # A session that holds the password but never showed a code does not open /admin/ either.
    assert client.login(username=admin.username, password=PW)  # Django's own, no code
    r = client.get("/admin/")
    assert r.status_code == 302 and "/admin/" not in r["Location"].split("?")[0]
    assert "_auth_user_id" not in client.session  # the half-logged-in session is ended
    # With the code, through the one log-in page, the admin opens.
    r = _login(client, admin, totp.current_code(_device(admin)), next_url="/admin/")
    assert r.status_code == 302 and r["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_ten_wrong_codes_lock_out_and_the_right_password_does_not_clear_it(client, county):
    user = county.users["officer"]
    device = _device(user)
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False) as clock:
        for n in range(10):
            r = _login(client, user, _wrong(totp.current_code(device)))
            assert r.status_code == 200 and "_auth_user_id" not in client.session
            clock.shift(2 ** n + 1)  # django-otp's own back-off between tries: 1, 2, 4 … s
        # The right password and the right code: still locked, with a Chinese message.
        r = _login(client, user, totp.current_code(device))
        assert r.status_code == 200 and LOCKED in r.content.decode()
        assert "_auth_user_id" not in client.session
        t = APIClient().post("/api/v1/auth/token", {"username": user.username, "password": PW,
                                                    "otp": totp.current_code(device)})
        assert t.status_code == 400 and LOCKED in t.json()["detail"]
        # Many correct passwords (which clear the password counter) do not unlock the codes.
        for _ in range(3):
            assert LOCKED in _login(client, user, "").content.decode()
        device.refresh_from_db()
        assert device.throttling_failure_count == 10
        clock.shift(15 * 60 + 1)
        assert _login(client, user, totp.current_code(device)).status_code == 302


def test_a_role_that_must_have_a_second_factor_is_sent_to_enrolment(client, county, login):
    user = county.users["leader"]
    _device(user).delete()
    login(user)
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == "/account/security/"
    assert client.get("/search/").status_code == 302
    api = client.get("/api/v1/matters")
    assert api.status_code == 403 and "须先启用动态口令" in api.json()["detail"]
    page = client.get("/account/security/")
    assert page.status_code == 200 and "须先启用动态口令" in page.content.decode()
    device = totp.pending_device(user)
    r = client.post("/account/security/", {"action": "enable", "code": totp.current_code(device)})
    assert r.status_code == 302
    assert client.get("/").status_code == 200  # this session showed the code while enrolling
    # Nor can it be turned off again by its holder.
    with time_machine.travel(time.time() + 31):
        r = client.post("/account/security/",
                        {"action": "disable", "code": totp.current_code(device)})
    assert r.status_code == 400 and totp.has_device(user)
    # The API issues no token to such an account before it enrols.
    other = county.users["gov_officer"]
    _device(other).delete()
    t = APIClient().post("/api/v1/auth/token", {"username": other.username, "password": PW})
    assert t.status_code == 403 and t.json()["code"] == "otp_enrol"


def test_existing_secrets_become_devices_with_the_same_codes(county) -> None:
    """The data migration: an account enrolled under the old scheme keeps its factor (its
    authenticator app's codes are accepted by the new device)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    migration = importlib.import_module("xinfang.org.migrations.0003_api_token_otp_devices")
    user = county.users["registrar"]
    old = SimpleNamespace(pk=user.pk, totp_enabled=True,
                          totp_secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")

    class Users:
        class objects:  # stands in for the historical model's manager
            @staticmethod
            def filter(**kw):
                return SimpleNamespace(iterator=lambda: iter([old]))

    apps = SimpleNamespace(get_model=lambda app, name: Users if name == "User" else TOTPDevice)
    migration.secrets_to_devices(apps, None)
    # … and core/0002 moves it to the device with the encrypted seed (same codes).
    from django.apps import apps as live

    importlib.import_module("xinfang.core.migrations.0002_staff_totp_device").move_devices(
        live, None)
    assert not TOTPDevice.objects.exists()
    device = totp.confirmed_device(user)
    assert binascii.unhexlify(device.key) == b"12345678901234567890"
    assert totp.current_code(device, at=59) == "287082"  # what the old code_at gave


def test_the_enrolment_page_speaks_english_too(client, county, login) -> None:
    user = county.users["leader"]
    _device(user).delete()
    page = login(user).get("/account/security/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    page = page.replace("&#x27;", "'")
    assert "Your post can reveal petitioners' identities" in page and "Change password" in page
    assert "须先启用动态口令" not in page


def _raw_keys() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT key FROM core_stafftotpdevice")
        stored = repr(cur.fetchall())
        cur.execute("SELECT count(*) FROM otp_totp_totpdevice")
        assert cur.fetchone()[0] == 0  # django-otp's plain table holds nothing
    return stored


def test_the_seed_is_encrypted_at_rest_and_every_door_still_works(client, county,
                                                                  login) -> None:
    """Issue 14 item 13: a database dump does not give the second factor. The seed an
    authenticator scans at enrolment is not in the row, in hex or base32; the web log-in, the
    admin and the API token endpoint accept the codes of that seed."""
    user = county.users["registrar"]
    login(user)
    page = client.get("/account/security/").content.decode()
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page).group(1)
    device = totp.pending_device(user)
    hex_key = binascii.hexlify(device.bin_key).decode()
    stored = _raw_keys()
    assert hex_key not in stored and secret not in stored and "gAAAAA" in stored  # Fernet
    assert client.post("/account/security/", {"action": "enable",
                                              "code": totp.current_code(device)}).status_code == 302
    client.logout()
    with time_machine.travel(time.time() + 60):
        assert _login(client, user, totp.current_code(device)).status_code == 302  # web
    with time_machine.travel(time.time() + 120):
        r = APIClient().post("/api/v1/auth/token", {"username": user.username, "password": PW,
                                                    "otp": totp.current_code(device)})
        assert r.status_code == 200 and r.json()["token"]  # API
    admin = county.users["admin"]
    c = type(client)()
    with time_machine.travel(time.time() + 180):
        assert _login(c, admin, totp.current_code(_device(admin))).status_code == 302
        assert c.get("/admin/").status_code == 200  # admin, after the web log-in with the code
        listing = c.get("/admin/core/stafftotpdevice/").content.decode()
    assert str(user) in listing  # the new device is listed (who enrolled, when)
    assert hex_key not in listing and secret not in listing
    for other in ("officer", "leader", "admin"):  # the demo's enrolled accounts too
        assert binascii.hexlify(_device(county.users[other]).bin_key).decode() not in stored


def test_the_seed_is_rotated_with_the_field_key(client, county, settings) -> None:
    import secrets

    from xinfang.ops import keyrotation

    user = county.users["officer"]
    seed = _device(user).bin_key
    before = _raw_keys()
    old_key = settings.FIELD_KEY
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = secrets.token_urlsafe(48), [old_key]
    keyrotation.rotate(batch=5)
    assert all(r.finished for r in keyrotation.verify())
    settings.FIELD_KEYS_OLD = []  # the old key retired
    assert _raw_keys() != before and _device(user).bin_key == seed
    assert _login(client, user, totp.current_code(_device(user))).status_code == 302
