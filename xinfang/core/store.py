"""The security store: log-in lock-outs, throttle counters and pending one-time codes
(issue 14 item 9).

These lived in a 300-entry in-process cache: 400 requests with random phones pushed a
lock-out out of it, and each worker had its own. They now live in a store every worker
shares and that a flood cannot evict:

- by default the database: one table (``core.StoreEntry``: key as primary key, JSON value,
  ``expires_at`` indexed). Nothing is ever evicted to make room; a row goes when it expires
  (``purge_expired``, run on about one write in a hundred and by ``xinfang store purge``) or
  when its owner deletes it;
- Redis when ``XINFANG_REDIS_URL`` is set (settings ``CACHES["security"]``). Redis evicts
  keys under ``maxmemory`` unless ``maxmemory-policy noeviction``: the system check
  ``xinfang.W010`` warns when the server says otherwise (docs/security.md "Floods").

Both are Django cache backends under the alias ``security`` (``security_store()``), so
DRF's throttles use it as their ``cache``. The small API the lock-outs and codes use:
``hit`` (count one more event in a window, return the count), ``count``, ``forget``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core import checks
from django.core.cache import BaseCache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.db import connections, router, transaction
from django.utils import timezone

STORE_ALIAS = "security"
PURGE_EVERY = 100  # on average one write in this many also deletes expired rows
FOREVER = timedelta(days=3650)


def security_store() -> BaseCache:
    return caches[STORE_ALIAS]


def hit(key: str, window: int) -> int:
    """Count one event under ``key``; the count expires ``window`` seconds after the first."""
    store = security_store()
    store.add(key, 0, window)
    try:
        return int(store.incr(key))
    except ValueError:  # expired between add and incr
        store.set(key, 1, window)
        return 1


def count(key: str) -> int:
    return int(security_store().get(key, 0) or 0)


def forget(*keys: str) -> None:
    security_store().delete_many(list(keys))


def purge_expired() -> int:
    """Delete the database store's expired rows; the number deleted (0 on Redis)."""
    from .models import StoreEntry

    deleted, _ = StoreEntry.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


class DatabaseStore(BaseCache):
    """A Django cache backend on ``core.StoreEntry`` that never culls (unlike Django's own
    DatabaseCache, which deletes a third of its rows past ``MAX_ENTRIES``)."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    @staticmethod
    def _model() -> Any:
        from .models import StoreEntry

        return StoreEntry

    def _expiry(self, timeout: Any) -> datetime | None:
        """None when the timeout means "already expired" (0 or negative)."""
        seconds = self.default_timeout if timeout is DEFAULT_TIMEOUT else timeout
        if seconds is None:
            return timezone.now() + FOREVER
        if seconds <= 0:
            return None
        return timezone.now() + timedelta(seconds=seconds)

    def _live(self, key: str) -> Any:
        return self._model().objects.filter(key=key, expires_at__gt=timezone.now())

    def _upsert(self, key: str, data: str, expires: datetime,
                only_over: datetime | None = None) -> bool:
        """Write the entry in one statement (an INSERT … ON CONFLICT, on SQLite and
        PostgreSQL): a throttle writes for every public request, and a flood writes one
        new key per request. With ``only_over``, an existing row is replaced only if it
        expired by then (``add``). True when the row was written. A concurrent writer of the
        same key waits for the row, then sees it (no IntegrityError, no savepoint)."""
        model = self._model()
        conn = connections[router.db_for_write(model)]
        expires_field = model._meta.get_field("expires_at")
        table, qn = model._meta.db_table, conn.ops.quote_name
        k, v, e = qn("key"), qn("value"), qn("expires_at")
        sql = (f"INSERT INTO {qn(table)} ({k}, {v}, {e}) VALUES (%s, %s, %s) "
               f"ON CONFLICT ({k}) DO UPDATE SET {v} = excluded.{v}, {e} = excluded.{e}")
        params = [key, data, expires_field.get_db_prep_value(expires, conn)]
        if only_over is not None:
            sql += f" WHERE {qn(table)}.{e} <= %s"
            params.append(expires_field.get_db_prep_value(only_over, conn))
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return bool(cur.rowcount == 1)

    def _maybe_purge(self) -> None:
        if random.randrange(PURGE_EVERY) == 0:
            purge_expired()

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        raw = self._live(key).values_list("value", flat=True).first()
        return default if raw is None else json.loads(raw)

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT,
            version: int | None = None) -> None:
        key = self.make_and_validate_key(key, version=version)
        expires = self._expiry(timeout)
        if expires is None:
            self._model().objects.filter(key=key).delete()
            return
        self._upsert(key, json.dumps(value), expires)
        self._maybe_purge()

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT,
            version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        expires = self._expiry(timeout)
        if expires is None:
            return False
        if not self._upsert(key, json.dumps(value), expires, only_over=timezone.now()):
            return False  # a live entry holds the key
        self._maybe_purge()
        return True

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        expires = self._expiry(timeout)
        if expires is None:
            return self.delete(key)
        return bool(self._live(key).update(expires_at=expires))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        with transaction.atomic():
            row = self._live(key).select_for_update().first()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = json.loads(row.value) + delta
            self._model().objects.filter(key=key).update(value=json.dumps(value))
        return value

    def delete(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        deleted, _ = self._model().objects.filter(key=key).delete()
        return bool(deleted)

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        names = [self.make_and_validate_key(k, version=version) for k in keys]
        if names:
            self._model().objects.filter(key__in=names).delete()

    def has_key(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self._live(key).exists())

    def clear(self) -> None:
        self._model().objects.all().delete()


@checks.register(checks.Tags.security)
def redis_must_not_evict(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """xinfang.W010: a Redis security store whose server may evict keys under memory pressure."""
    from django.conf import settings

    backend = settings.CACHES.get(STORE_ALIAS, {}).get("BACKEND", "")
    if "redis" not in backend.lower():
        return []
    try:
        client = security_store()._cache.get_client(write=False)  # type: ignore[attr-defined]
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "")
    except Exception as exc:  # an unreachable server, CONFIG disabled: say so
        policy = f"unknown ({type(exc).__name__})"
    if policy == "noeviction":
        return []
    return [checks.Warning(
        f"安全存储使用的 Redis 可能淘汰键（maxmemory-policy={policy}），洪水请求可清掉锁定和验证码。"
        f" The Redis behind the security store may evict keys (maxmemory-policy={policy}): "
        "set maxmemory-policy noeviction, or use the database store (unset XINFANG_REDIS_URL).",
        id="xinfang.W010")]
