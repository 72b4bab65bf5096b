"""Issue 14 item 9: lock-outs, throttles and pending one-time codes survive a flood of new keys
(they lived in a 300-entry in-process cache that 400 random phones could flush)."""

from __future__ import annotations

import secrets

import pytest
import time_machine
from rest_framework.test import APIClient

from xinfang.core import otp, store
from xinfang.core.models import StoreEntry

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

LOCKED = "登录失败次数过多，请15分钟后再试"
PHONE = "13800138000"


def _login(client, password: str):
    return client.post("/login/", {"username": "dengji", "password": password},
                       REMOTE_ADDR="127.0.0.1")


def test_a_flood_of_10000_keys_evicts_neither_a_lockout_nor_a_pending_code(client, county, sms):
    for _ in range(5):
        _login(client, "wrong")
    otp.send_code(PHONE)
    code = sms.last_code(PHONE)
    flood = store.security_store()
    for _ in range(10_000):  # what a throttle writes for each new random phone
        flood.add(f"throttle_public_sms_phone_{secrets.token_hex(12)}", [1.0], 3600)
    assert StoreEntry.objects.count() >= 10_000  # nothing was culled to make room
    r = _login(client, "pw-test-123")
    assert LOCKED in r.content.decode() and "_auth_user_id" not in client.session
    otp.verify(PHONE, code)  # the pending code still holds (raises OtpError otherwise)


def test_a_public_throttle_holds_through_a_flood(county, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public_query_ip": "3/min"}}
    api = APIClient()
    # The clock stands still: the flood comes within the throttle's minute however long the
    # 2,000 writes take (on PostgreSQL at load 12 they took 100 s, and the window had passed).
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False):
        for _ in range(3):
            r = api.get("/api/v1/public/petitions/NOPE1234", {"phone": PHONE})
            assert r.status_code != 429
        flood = store.security_store()
        for _ in range(2_000):
            flood.set(f"flood_{secrets.token_hex(12)}", 1, 600)
        assert api.get("/api/v1/public/petitions/NOPE1234", {"phone": PHONE}).status_code == 429


def test_fullwidth_digits_do_not_dodge_the_per_phone_throttle(county, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public_query_phone": "2/min"}}
    api = APIClient()
    for i, phone in enumerate((PHONE, "１３８００１３８０００")):
        r = api.get("/api/v1/public/petitions/NOPE1234", {"phone": phone}, REMOTE_ADDR=f"10.0.0.{i}")
        assert r.status_code != 429
    r = api.get("/api/v1/public/petitions/NOPE1234", {"phone": "13800138000"}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 429


def test_expired_entries_are_gone_and_purged(county):
    s = store.security_store()
    with time_machine.travel("2026-03-02 10:00 +0800", tick=False) as clock:
        assert store.hit("k", 60) == 1 and store.hit("k", 60) == 2
        s.set("code", "abc", 600)
        clock.shift(61)
        assert store.count("k") == 0 and store.hit("k", 60) == 1  # a new window
        assert s.get("code") == "abc"
        clock.shift(600)
        assert s.get("code") is None
        assert store.purge_expired() == 2 and not StoreEntry.objects.exists()


def test_the_purge_command_deletes_expired_rows(county):
    from io import StringIO

    from django.core.management import call_command

    with time_machine.travel("2026-03-02 10:00 +0800", tick=False) as clock:
        store.hit("old", 60)
        store.hit("live", 3600)
        clock.shift(120)
        out = StringIO()
        call_command("store", "purge", stdout=out)
    assert "已删除过期记录 1 条" in out.getvalue()
    assert list(StoreEntry.objects.values_list("key", flat=True)) == [":1:live"]


def test_a_redis_store_that_may_evict_is_warned_about(settings, monkeypatch):
    """xinfang.W010: Redis under maxmemory evicts keys unless maxmemory-policy is noeviction."""
    from types import SimpleNamespace

    policy = {"maxmemory-policy": "allkeys-lru"}
    client = SimpleNamespace(config_get=lambda name: policy)
    fake = SimpleNamespace(_cache=SimpleNamespace(get_client=lambda write=False: client))
    settings.CACHES = {**settings.CACHES, "security": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    monkeypatch.setattr(store, "security_store", lambda: fake)
    assert [w.id for w in store.redis_must_not_evict()] == ["xinfang.W010"]
    policy["maxmemory-policy"] = "noeviction"
    assert store.redis_must_not_evict() == []
