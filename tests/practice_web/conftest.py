from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import sh

TODAY = date(2026, 3, 10)  # a Tuesday


@pytest.fixture
def frozen_at():
    return sh(2026, 3, 10)  # TODAY: ``frozen`` (tests/conftest.py) stops the clock here


@pytest.fixture
def seeded(county, frozen):
    """The demo's practice data (schedule, visits, cases, ledger, meeting) at TODAY."""
    from xinfang.practice.seed import seed_practice

    seed_practice(county, TODAY)
    return county
