from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import DATA, synthetic_rows


@pytest.fixture(scope="session")
def labelled_rows() -> list[dict[str, str]]:
    return synthetic_rows()


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not (DATA / "messages" / "train.csv").exists():
        pytest.skip("real data (../shared/data) is absent")
    return DATA
