from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

# Playwright's sync API runs an event loop in the test thread (recipes §2).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SH = ZoneInfo("Asia/Shanghai")


def sh(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SH)


@pytest.fixture
def county(db):
    from xinfang.org.county import build_county
    from xinfang.petitions import clocks

    clocks.invalidate()
    c = build_county(full=False, password="pw-test-123")
    yield c
    clocks.invalidate()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _text_models(settings, tmp_path):
    """Trained models go to a temporary directory; the per-process index starts empty."""
    import sys

    settings.XINFANG_MODEL_DIR = tmp_path / "models"
    intel = sys.modules.get("xinfang.petitions.intel")  # imported only by tests that need it
    if intel is not None:
        intel.reset()


@pytest.fixture
def sms(settings):
    """Capture text messages (tests/smsbox.py); also empties the cache that holds the codes."""
    from django.core.cache import cache

    from tests import smsbox

    settings.XINFANG_SMS_ADAPTER = smsbox.PATH
    smsbox.OUTBOX.clear()
    cache.clear()
    yield smsbox
    smsbox.OUTBOX.clear()
    cache.clear()
