"""The demo's extensions are approved (§34): the head's approval serves the 延期告知书, so the
seed gives its 送达日期 and 送达方式 (a seed of 400 left 12 approvals refused and their
matters stuck in 延期待批)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_seeded_extension_approvals_are_not_refused():
    from xinfang.demo.seed import seed

    res = seed(40)
    assert not [e for e in res.errors if e.startswith("approve_extension")], res.errors
