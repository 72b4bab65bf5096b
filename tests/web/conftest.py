from __future__ import annotations

import pytest

from tests.conftest import sh
from tests.petitions.helpers import register

PASSWORD = "pw-test-123"


@pytest.fixture
def matter(county, frozen):
    return register(county, sh(2026, 3, 2))
