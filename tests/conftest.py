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
def county(db, request):
    """The small demo county. A module marked ``pytest.mark.usefixtures("module_county")``
    (all its tests plain ``django_db``) builds it once and each test gets a deep copy of it
    (``module_db`` below); any other test builds its own."""
    import copy

    from xinfang.demo.county import build_county
    from xinfang.petitions import clocks, filters, queries

    clocks.invalidate()
    if "module_county" in request.fixturenames:
        # The same rows (and ids) for every test of the module: no SQL compiled for a user or
        # unit as an earlier test had edited them (rolled back since) is kept.
        queries._sql_cache.cache_clear()
        filters._WHERE_CACHE.clear()
        c = copy.deepcopy(request.getfixturevalue("module_county"))
    else:
        c = build_county(full=False, password="pw-test-123")
    yield c
    clocks.invalidate()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker, tmp_path_factory):
    """One transaction around a whole module, rolled back after its last test (what Django's
    ``TestCase.setUpTestData`` does for a class): rows built once by a module-scoped fixture
    (``with module_db.unblock(): ...``) are seen by every test of the module, each of which
    still runs in its own savepoint (pytest-django's ``db``) and so starts from them as built.
    Only for modules whose tests are all plain ``django_db`` (no transactional test: a flush
    would run inside it); a per-test fixture hands out ``copy.deepcopy`` of the built objects
    so no test sees another's in-memory changes. While building, the settings the autouse
    fixtures below give a test (fast hasher, models and audit anchors in a temporary
    directory) hold too."""
    from contextlib import contextmanager

    from django.db import transaction
    from django.test.utils import override_settings

    tmp = tmp_path_factory.mktemp("module_db")

    class Builder:
        @staticmethod
        @contextmanager
        def unblock():
            with django_db_blocker.unblock(), override_settings(
                    PASSWORD_HASHERS=FAST_HASHERS, XINFANG_MODEL_DIR=tmp / "models",
                    XINFANG_AUDIT_ANCHOR_FILE=str(tmp / "audit-anchors.jsonl")):
                yield

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # type: ignore[attr-defined]  # as TestCase's own atomics
        outer.__enter__()
    try:
        yield Builder
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_county(module_db):
    """The test county (as ``county``) built once for a module on ``module_db``; ``county``
    hands each test of a module that uses this fixture a deep copy of it."""
    from xinfang.demo.county import build_county
    from xinfang.petitions import clocks

    with module_db.unblock():
        clocks.invalidate()
        c = build_county(full=False, password="pw-test-123")
        clocks.invalidate()
    return c


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _text_models(settings, tmp_path):
    """Trained models go to a temporary directory; the per-process index starts empty."""
    import sys

    settings.XINFANG_MODEL_DIR = tmp_path / "models"
    intel = sys.modules.get("xinfang.petitions.intel")  # imported only by tests that need it
    if intel is not None:
        intel.reset()


@pytest.fixture(autouse=True)
def _default_language():
    """A test that switches to English (a page in the second locale, a worker thread) must not
    leave it on for the next: records and percentages are formatted in the active language."""
    from django.utils import translation

    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters, log-in lock-outs and one-time codes live in the process-wide cache:
    every test starts and ends with it empty."""
    from django.core.cache import cache

    from xinfang.core import versioned

    cache.clear()
    versioned.clear_local()  # values derived from rows an earlier test rolled back
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _force_login_is_a_full_log_in(monkeypatch):
    """``force_login`` in a test stands for a complete log-in: password AND, for an account
    with a TOTP device, its code. So the session is marked verified the way django-otp's own
    log-in marks it (its session key names the device). The second factor itself is tested
    through the real log-in form in tests/security (and an unverified session is refused)."""
    from django.test import Client

    from xinfang.demo.county import mark_verified

    plain = Client.force_login

    def force_login(self, user, backend=None):
        plain(self, user, backend)
        mark_verified(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def frozen_at() -> datetime:
    """The instant ``frozen`` stops the clock at; a folder's conftest may override it."""
    return sh(2026, 3, 2)  # a Monday


@pytest.fixture
def frozen(frozen_at):
    """The clock stopped at ``frozen_at`` (time-machine, no ticking) for the whole test."""
    import time_machine

    with time_machine.travel(frozen_at, tick=False) as t:
        yield t


@pytest.fixture
def login(client, request):
    """``login(user)`` or ``login("officer")`` (a key of the demo county's users): the test
    client with that staff member's session, replacing any earlier one."""

    def _login(user):
        if isinstance(user, str):
            user = request.getfixturevalue("county").users[user]
        client.logout()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def sms(settings):
    """Capture text messages (tests/smsbox.py); the codes' cache is emptied by _clear_cache."""
    from tests import smsbox

    settings.XINFANG_SMS_ADAPTER = smsbox.PATH
    smsbox.OUTBOX.clear()
    yield smsbox
    smsbox.OUTBOX.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL the audit log refuses UPDATE/DELETE/TRUNCATE (a trigger, migration
    audit 0005); the test database switches it off once so transactional tests can empty the
    tables after them. tests/audit/test_audit_verify.py switches it on to test it.

    On PostgreSQL a transactional test's clean-up (Django's ``flush``) empties the tables with
    a DELETE per table instead of one TRUNCATE of all 74: the same empty tables (sequences
    not reset either way; the foreign keys are deferred to the commit), 0.1 s instead of
    2.1–2.4 s a test (TRUNCATE makes new files for every table and index; docs/benchmarks.md
    "Test suite set-up"). The content types and permissions stay: the flush's ``post_migrate``
    would write the same rows again (nothing in the project creates either), and finds them
    all there instead. Only the clean-up between tests: a ``flush`` a test itself runs
    (``seed --fresh``) is still the TRUNCATE production runs."""
    from django.db import connection
    from django.test.testcases import TransactionTestCase

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ALTER TABLE audit_auditlog DISABLE TRIGGER USER")
    if connection.vendor != "postgresql":
        yield
        return
    teardown = TransactionTestCase._fixture_teardown
    KEPT = {"django_content_type", "auth_permission"}

    def delete_flush(style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return type(connection.ops).sql_flush(connection.ops, style, tables,
                                                   reset_sequences=reset_sequences,
                                                   allow_cascade=allow_cascade)
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(connection.ops.quote_name(t))};"
                for t in tables if t not in KEPT]

    def fixture_teardown(self):
        connection.ops.sql_flush = delete_flush  # this connection's own operations object
        try:
            teardown(self)
        finally:
            del connection.ops.sql_flush

    TransactionTestCase._fixture_teardown = fixture_teardown  # type: ignore[method-assign]
    try:
        yield
    finally:
        TransactionTestCase._fixture_teardown = teardown  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _audit_anchor_file(settings, tmp_path):
    """Anchors of a test database go to the test's own file, never to var/'s."""
    settings.XINFANG_AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchors.jsonl")
