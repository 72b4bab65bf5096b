from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests.conftest import sh

TODAY = date(2026, 3, 10)  # a Tuesday


@pytest.fixture
def frozen():
    with time_machine.travel(sh(2026, 3, 10), tick=False) as t:
        yield t


@pytest.fixture
def login(client):
    def _login(user):
        client.logout()
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def seeded(county, frozen):
    """The demo's practice data (schedule, visits, cases, ledger, meeting) at TODAY."""
    from xinfang.practice.seed import seed_practice

    seed_practice(county, TODAY)
    return county
