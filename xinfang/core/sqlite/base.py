"""Django's SQLite backend, retrying a write transaction that could not get the lock
(issue 14 item 12).

Transactions are ``BEGIN IMMEDIATE`` (settings): a writer takes SQLite's one write lock at
BEGIN, waiting up to the busy timeout (20 s). Past it, BEGIN raised "database is locked" and
the write was lost. Nothing has run in the transaction at that point, so BEGIN is retried —
``RETRIES`` more times with a short random back-off — before the error reaches the caller.
The other half of the fix is holding the lock briefly: reads that decide a write run before
the transaction (petitions.services.registration).

Every connection also gets ``xf_grams(text)`` and ``xf_scope(…)``, the keyword index's view
of a text and of who may see it (domain.grams): the triggers of petitions/0020 call them on
every write of a matter's text, bodies or dispatches, so a connection without them cannot
write those (issue 19 item 2).
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from xinfang.domain import grams

RETRIES = 3
log = logging.getLogger("xinfang.db")


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        conn.create_function("xf_grams", 1, grams.tokens, deterministic=True)
        conn.create_function("xf_scope", 6, grams.scope, deterministic=True)
        return conn

    def _start_transaction_under_autocommit(self) -> None:
        for attempt in range(RETRIES + 1):
            try:
                super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private
                return
            except OperationalError as e:
                if "locked" not in str(e) or attempt == RETRIES:
                    raise
                log.warning("BEGIN IMMEDIATE: database is locked; retry %d of %d",
                            attempt + 1, RETRIES)
                time.sleep(random.uniform(0.05, 0.25))
