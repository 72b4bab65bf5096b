"""Turning notifications off for a block of code (the demo's seed) or for a deployment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

_paused: ContextVar[bool] = ContextVar("xinfang_notify_paused", default=False)


@contextmanager
def paused() -> Iterator[None]:
    """No notification is planned inside the block (generated history, imports)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def active() -> bool:
    return bool(getattr(settings, "XINFANG_NOTIFY", True)) and not _paused.get()
