"""Django's SQLite backend, retrying a write transaction that could not get the lock
(issue 14 item 12).

Transactions are ``BEGIN IMMEDIATE`` (settings): a writer takes SQLite's one write lock at
BEGIN, waiting up to the busy timeout (20 s). Past it, BEGIN raised "database is locked" and
the write was lost. Nothing has run in the transaction at that point, so BEGIN is retried —
``RETRIES`` more times with a short random back-off — before the error reaches the caller.
The other half of the fix is holding the lock briefly: reads that decide a write run before
the transaction (petitions.services.registration).
"""

from __future__ import annotations

import logging
import random
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

RETRIES = 3
log = logging.getLogger("xinfang.db")


class DatabaseWrapper(base.DatabaseWrapper):
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
