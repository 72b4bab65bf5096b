"""Where the indicator counters of a period are read (issue 17 "Speed", issue 19 item 3): the
whole months from the month rows (``TallyMonth``), the partial edge months and any month a
"before today" bucket filter cuts from the day rows (``Tally``); the figures themselves are
``practice.indicators``."""

from __future__ import annotations

import operator
from collections.abc import Iterable
from datetime import date, timedelta
from functools import reduce

from django.db.models import Q

from xinfang.domain import tally as dt
from xinfang.petitions.models import Tally, TallyMonth


def day_cutoffs(qs: Iterable[Q]) -> set[date]:
    """The days the filters ``qs`` cut the counters at (``day < c``, ``day >= c`` …): a month
    they cut is read from its day rows (``domain.tally.split_by_month``)."""
    out: set[date] = set()
    for q in qs:
        for child in q.children:
            if isinstance(child, Q):
                out |= day_cutoffs([child])
                continue
            lookup, value = child
            field_name, _, op = lookup.partition("__")
            if field_name != "day":
                continue
            if op in ("lt", "gte"):
                out.add(value)
            elif op in ("lte", "gt"):
                out.add(value + timedelta(days=1))
            else:  # a filter the month split cannot reason about
                raise ValueError(f"counter filter {lookup!r}: only day comparisons")
    return out


CounterModel = type[Tally] | type[TallyMonth]


def counter_sources(start: date, end: date | None, cutoffs: Iterable[date] = ()
                    ) -> list[tuple[CounterModel, Q]]:
    """Where the counters of days ``start``..``end`` (None: no end) are read: the whole
    months no cutoff cuts from the month rows, the rest (the period's partial edge months, a
    month a "before today" filter cuts) from the day rows. Summing the sources gives what the
    day rows alone give."""
    if end is None:
        if start.day == 1:
            return [(TallyMonth, Q(day__gte=start))]
        nxt = dt.next_month(start)
        return [(Tally, Q(day__gte=start, day__lt=nxt)), (TallyMonth, Q(day__gte=nxt))]
    days, months = dt.split_by_month(start, end, cutoffs)
    out: list[tuple[CounterModel, Q]] = []
    for model, ranges in ((Tally, days), (TallyMonth, months)):
        if ranges:
            out.append((model, reduce(operator.or_, [
                Q(day=lo) if lo == hi else Q(day__range=(lo, hi)) for lo, hi in ranges])))
    return out


def undated_sources(cutoffs: set[date]) -> list[tuple[CounterModel, Q]]:
    """Where an undated figure's counters are read (every day: the open matters by the day
    their deadline falls due, "overdue" being ``day < today``): the month rows for every month
    the one cutoff does not cut, the day rows of its month. At 1,000,000 matters the open
    counters were 48,456 day rows, all read by the dashboard's overdue bars (70 ms,
    ``EXPLAIN ANALYZE``, load 10)."""
    if len(cutoffs) != 1:
        return [(Tally, Q())]
    first = min(cutoffs).replace(day=1)
    nxt = dt.next_month(first)
    return [(TallyMonth, Q(day__lt=first) | Q(day__gte=nxt)),
            (Tally, Q(day__gte=first, day__lt=nxt))]
