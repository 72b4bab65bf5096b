from __future__ import annotations

import pytest
import time_machine

from tests.conftest import sh
from tests.petitions.helpers import register

PASSWORD = "pw-test-123"


@pytest.fixture
def frozen():
    with time_machine.travel(sh(2026, 3, 2), tick=False) as t:
        yield t


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def matter(county, frozen):
    return register(county, sh(2026, 3, 2))
