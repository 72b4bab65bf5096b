"""Issue 14 item 12: at 16 writers + 4 readers SQLite answered "database is locked" to some
writes. The registration held the write lock while it searched for the same matter (the text
index, built on first use); and a BEGIN IMMEDIATE that waited out the busy timeout was lost.
`xinfang writers` measures it (docs/benchmarks.md)."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.db.backends.sqlite3 import base as sqlite_base

from tests.conftest import sh
from tests.petitions.helpers import register
from xinfang.petitions.intel import hints


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
@pytest.mark.django_db(transaction=True)
def test_the_same_matter_search_runs_before_the_write_lock(county, monkeypatch):
    seen: list[bool] = []
    original = hints.auto_repeat_of

    def spy(reg):
        seen.append(connection.in_atomic_block)
        return original(reg)

    monkeypatch.setattr(hints, "auto_repeat_of", spy)
    register(county, sh(2026, 3, 2))
    assert seen == [False]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
@pytest.mark.django_db(transaction=True)
def test_a_begin_that_found_the_database_locked_is_retried(county, monkeypatch):
    failures = iter([True, True])
    original = sqlite_base.DatabaseWrapper._start_transaction_under_autocommit

    def busy_twice(self):
        if next(failures, False):
            raise OperationalError("database is locked")
        original(self)

    monkeypatch.setattr(sqlite_base.DatabaseWrapper, "_start_transaction_under_autocommit",
                        busy_twice)
    m = register(county, sh(2026, 3, 2))  # two locked BEGINs, then the write goes through
    assert m.pk and m.events.filter(action="register").exists()
