"""Per-process caches that follow a change made in any process (issue 15 item 4).

A value cached in a process (the holiday calendar, the time limits) carries the version it was
computed under; the version lives in the shared cache (Redis, or the database cache in
production). ``bump(name)`` after a change gives it a new version, and every process —
gunicorn workers, the job worker — recomputes the value at its next use once it sees the new
version. A process looks at the shared version at most every ``CHECK_SECONDS`` (one cache
read a second, not one per call), so another process's change shows within that time; the
process that made the change sees it at once.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

CHECK_SECONDS = 1.0
_PREFIX = "xinfang:version:"
_MISSING = object()


def _shared_version(name: str) -> str:
    key = _PREFIX + name
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, None)
        version = cache.get(key)
    return str(version)


# Every Versioned of this process, so that ``bump`` drops this process's own values at once.
_instances: weakref.WeakSet[Versioned[Any]] = weakref.WeakSet()


def bump(name: str) -> None:
    """Something behind ``name`` changed: every process recomputes at its next look, this
    one at its next call."""
    cache.set(_PREFIX + name, uuid.uuid4().hex, None)
    for inst in list(_instances):
        if inst.name == name:
            inst.cache_clear()


def clear_local() -> None:
    """Forget every value this process holds (tests: rows rolled back send no signal)."""
    for inst in list(_instances):
        inst.cache_clear()


def bump_on_commit(name: str) -> None:
    """``bump`` now and again when the changing transaction commits. The first makes the rest
    of this transaction recompute; the second is what other processes rely on: one that saw
    only the first bump may have recomputed from the rows as they were before the commit and
    would keep that value under the new version."""
    bump(name)
    transaction.on_commit(lambda: bump(name))


class Versioned(Generic[T]):
    """A zero-argument function's value, cached until ``name``'s shared version changes."""

    def __init__(self, name: str, fn: Callable[[], T]) -> None:
        self.name, self.fn = name, fn
        self._lock = threading.Lock()
        self._value: object = _MISSING
        self._version = ""
        self._checked = 0.0
        self.__doc__ = fn.__doc__
        _instances.add(self)

    def __call__(self) -> T:
        now = time.monotonic()
        if self._value is _MISSING or now - self._checked >= CHECK_SECONDS:
            version = _shared_version(self.name)
            with self._lock:
                self._checked = now
                if version != self._version:
                    self._value, self._version = _MISSING, version
        value = self._value
        if value is _MISSING:
            value = self.fn()
            with self._lock:
                self._value = value
        return value  # type: ignore[return-value]

    def cache_clear(self) -> None:
        """Forget this process's value (the shared version is ``bump``'s business)."""
        with self._lock:
            self._value = _MISSING


def versioned(name: str) -> Callable[[Callable[[], T]], Versioned[T]]:
    def wrap(fn: Callable[[], T]) -> Versioned[T]:
        return Versioned(name, fn)

    return wrap
