"""The registration helpers now live in tests/scenario.py (with the builder for any state)."""

from __future__ import annotations

from datetime import datetime

from tests.scenario import ID_A, ID_B, matter, register, registration

__all__ = ["ID_A", "ID_B", "accepted", "register", "registration"]


def accepted(county, when: datetime, route: str = "§31（六）"):
    """``matter(county, "handling", when=when)``: kept for tests written against it."""
    return matter(county, "handling", when=when, route=route)
