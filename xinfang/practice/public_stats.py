"""信访信息公开 (§18 ¶1; issue 17 item 7): monthly counts for the public — by channel, by field
and by outcome — and the 按期 and 满意 rates. No personal data: only counts of matters, and any
cell under ``MIN_CELL`` (5) is suppressed so that a small count cannot point at a person.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from xinfang.domain import states as st
from xinfang.petitions.models import Channel, Matter

from . import indicators as I

MIN_CELL = 5
SUPPRESSED = None  # shown as "<5"


def suppress(n: int) -> int | None:
    return n if n >= MIN_CELL else SUPPRESSED


def _months(year: int, today: date) -> list[date]:
    last = today.month if year == today.year else 12
    return [date(year, m, 1) for m in range(1, last + 1)]


def _table(rows: Any, field: str, labels: dict[str, str], months: list[date]
           ) -> list[dict[str, Any]]:
    counts: dict[str, Counter[date]] = {}
    for r in rows.values("m", field).annotate(n=Count("pk")):
        m = r["m"].date() if hasattr(r["m"], "date") else r["m"]
        counts.setdefault(r[field] or "", Counter())[m] += r["n"]
    out = []
    for key, c in sorted(counts.items(), key=lambda kv: -sum(kv[1].values())):
        out.append({"label": labels.get(key, key) or "其他",
                    "cells": [suppress(c[m]) for m in months],
                    "total": suppress(sum(c.values()))})
    return out


def statistics(year: int, today: date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    months = _months(year, today)
    tz = timezone.get_current_timezone()
    qs = (Matter.objects.filter(received_at__year=year)
          .annotate(m=TruncMonth("received_at", tzinfo=tz)))
    outcomes = {**{k.value: str(v) for k, v in st.OUTCOME_LABELS.items()},
                **{k.value: str(v) for k, v in st.CLOSURE_LABELS.items()}}
    replied = qs.exclude(outcome="")
    closed_other = qs.filter(outcome="").exclude(closure_kind="")
    by_outcome = _table(replied, "outcome", outcomes, months) + _table(
        closed_other, "closure_kind", outcomes, months)
    rates = []
    scope = I.Scope.all()
    for m in months:
        p = I.Period.month(m.year, m.month, today)
        on_time = I.figure("on_time_reply", scope, p)
        sat = I.figure("satisfaction_handling", scope, p)
        rates.append({"month": m, "on_time": _rate(on_time), "satisfied": _rate(sat)})
    return {
        "year": year, "months": months, "min_cell": MIN_CELL,
        "channel": _table(qs, "channel", {k: str(v) for k, v in Channel.choices}, months),
        "field": _table(qs, "category__parent__name", {}, months),
        "outcome": by_outcome, "rates": rates,
        "total": suppress(qs.count()),
    }


def _rate(f: I.Figure) -> dict[str, Any]:
    """A rate is shown only when its denominator is at least MIN_CELL."""
    if f.denominator < MIN_CELL:
        return {"percent": None, "numerator": None, "denominator": None}
    return {"percent": f.percent, "numerator": suppress(f.numerator),
            "denominator": f.denominator}
