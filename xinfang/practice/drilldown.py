"""The rows behind a figure (drill-downs), the overdue bars and the dashboard's rates: read
through the definitions of ``practice.indicators``, so each sums to its figure."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any

from django.db.models import QuerySet

from xinfang.domain import indicators as ind
from xinfang.org.models import Body, User
from xinfang.petitions import clocks
from xinfang.petitions.models import Matter

from .indicator_scope import Figure, Period, Scope
from .indicators import REGISTRY, batched, by_unit

# ============================================================================ drill-down


@dataclass(frozen=True)
class DrillRow:
    matter_id: int
    bucket: str
    facts: dict[str, Any]


def drill(code: str, scope: Scope, period: Period, buckets: tuple[str, ...] | None = None,
          limit: int | None = None, offset: int = 0) -> list[DrillRow]:
    """The rows a figure counts, each classified by the plain-Python definition; ``buckets``
    None: the denominator's rows. The database selects the buckets' rows (the definition's
    filters) in id order, a page at a time with ``limit``/``offset``; the sum of every page
    is the figure (``figure`` gives the total without listing)."""
    d = REGISTRY[code]
    wanted = tuple(buckets or d.denominator)
    qs_ = d.bucket_q(period)
    qs = d.rows(scope, period).filter(reduce(operator.or_, [qs_[b] for b in wanted]))
    qs = qs.order_by("pk").values("pk", d.matter_field, *d.facts,
                                  *([d.persons] if d.persons else []))
    if limit is not None:
        qs = qs[offset:offset + limit]
    elif offset:
        qs = qs[offset:]
    out: list[DrillRow] = []
    for r in qs:
        b = d.classify(r, period)
        if b is not None and b in wanted:
            out.append(DrillRow(r[d.matter_field], b, r))
    return out


def drill_matters(code: str, scope: Scope, period: Period,
                  buckets: tuple[str, ...] | None = None) -> QuerySet[Matter]:
    """The matters behind a drill-down (a matter with two counted deadlines appears once)."""
    d = REGISTRY[code]
    wanted = buckets or d.denominator
    qs_ = d.bucket_q(period)
    rows = d.rows(scope, period).filter(reduce(operator.or_, [qs_[b] for b in wanted]))
    return Matter.objects.filter(pk__in=rows.values(d.matter_field))


# ============================================================================ overdue by unit


def _overdue_period(today: date | None = None) -> Period:
    return Period(clocks.today(), clocks.today(), today or clocks.today())


def overdue_by_unit(scope: Scope, today: date | None = None) -> list[dict[str, Any]]:
    """超期未办结 by the unit that has to act now: the dashboard's bars, the supervision page's
    groups and the search's ``acting=<unit>&overdue=1`` all count these same matters."""
    return _overdue_rows(by_unit("overdue", scope, _overdue_period(today)))


def _overdue_rows(units: dict[int | None, Figure]) -> list[dict[str, Any]]:
    names = dict(Body.objects.filter(pk__in=[k for k in units if k]).values_list("pk", "name"))
    rows = [{"unit_id": k, "unit": names.get(k, "未指定") if k else "未指定",
             "count": f.numerator} for k, f in units.items() if f.numerator]
    return sorted(rows, key=lambda r: (-r["count"], r["unit"]))


# ============================================================================ the dashboard


def _rate(f: Figure) -> dict[str, Any]:
    return {"numerator": f.numerator, "denominator": f.denominator, "percent": f.percent,
            "code": f.code}


def dashboard_figures(user: User, scope: Scope | None = None) -> dict[str, Any]:
    """The dashboard's rates over the last twelve months and its overdue bars (now): the same
    definitions as every other page, their counter queries sent together (``batched``). Kept
    as plain data (a chart and a table render it)."""
    scope, period = scope or Scope.for_user(user), Period.last_twelve_months()
    codes = [c for c in REGISTRY if c != "overdue"]
    *found, units = batched(scope, [*((c, period, False) for c in codes),
                                    ("overdue", _overdue_period(), True)])
    figs = {f.code: f for f in found if isinstance(f, Figure)}
    assert isinstance(units, dict)
    reply, sat = figs["on_time_reply"], figs["satisfaction_handling"]
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "on_time_rate": {**_rate(reply), "on_time": reply.parts[ind.ON_TIME],
                         "late": reply.parts[ind.LATE],
                         "overdue_unanswered": reply.parts[ind.MISSED]},
        "satisfaction_rate": _rate(sat),
        "overdue_by_unit": _overdue_rows(units)[:15],
        "figures": [f.as_dict() for f in figs.values()],
    }
