"""The leader dashboard (issue 5, issue 17 "Speed") from the indicator counters: the volume
charts of the last twelve months and the indicators, within the user's scope, in a handful of
queries over a few thousand counter rows however many matters there are: the whole months from
the month rows, only the partial first month from the day rows (``I.counter_sources``).

The same figures counted from the matters are ``petitions.intel.dashboard_data`` (used where
the counters cannot answer: a jurisdiction below the township); the tests hold the two equal.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from django.db.models import Sum

from xinfang.domain import deadlines as dl
from xinfang.domain import indicators as ind
from xinfang.domain import states as st
from xinfang.domain import tally as dt
from xinfang.org.models import Category, User
from xinfang.petitions import clocks, intel
from xinfang.petitions.models import Channel

from . import drilldown
from . import indicators as I


def data(user: User) -> dict[str, Any]:
    """Everything the dashboard page and ``/dashboard/data/`` show: at 1,000,000 matters a
    handful of statements (the scope's divisions, the volumes, every figure and the overdue
    bars as one ``UNION ALL``, the names), not one round trip per figure and month source."""
    scope = I.Scope.for_user(user)
    return {**volumes(user, scope), **drilldown.dashboard_figures(user, scope)}


def volumes(user: User, scope: I.Scope | None = None) -> dict[str, Any]:
    today = clocks.today()
    since, _ = ind.last_twelve_months(today)
    q = (scope or I.Scope.for_user(user)).tally_q()
    if q is None:
        return intel.dashboard_data(user)
    month_keys = []
    d = since.replace(day=1)
    while d <= today:
        month_keys.append(d.strftime("%Y-%m"))
        d = (d + timedelta(days=32)).replace(day=1)
    min_persons = dl.Policy().collective_visit_min_persons
    collective_dim = dt.headcount_dim(min_persons)
    # Both sources (the partial first month's day rows, the month rows) in one statement.
    parts = [model.objects.filter(q, days, metric__in=[
        dt.RECEIVED, dt.KLASS, dt.CATEGORY, dt.WITHDRAWN, dt.SETTLED, dt.VISIT]).order_by()
        .values_list("metric", "day", "dim").annotate(s=Sum("n"), p=Sum("persons"))
        .values_list("metric", "day", "dim", "s", "p")
        for model, days in I.counter_sources(since, None)]
    by_channel: dict[str, Counter[str]] = defaultdict(Counter)
    klass: Counter[str] = Counter()
    cat_ids: Counter[str] = Counter()
    other: Counter[str] = Counter()
    collective: Counter[str] = Counter()
    for metric, day, dim, n, persons in parts[0].union(*parts[1:], all=True):
        n = int(n or 0)
        if metric == dt.VISIT:
            if dim >= collective_dim:  # 集体访: headcounts as zero-padded strings
                collective.update({"b": n, "p": int(persons or 0)})
            continue
        if not n:
            continue
        if metric == dt.RECEIVED:
            by_channel[dim][day.strftime("%Y-%m")] += n
        elif metric == dt.KLASS:
            klass[dim] += n
        elif metric == dt.CATEGORY:
            cat_ids[dim] += n
        else:
            other[metric] += n
    names = dict(Category.objects.filter(pk__in=[int(c) for c in cat_ids if c])
                 .values_list("pk", "name"))
    cats: Counter[str] = Counter()
    for c, n in cat_ids.items():
        cats[names.get(int(c), "未分类") if c else "未分类"] += n
    channel_labels = dict(Channel.choices)
    return {
        "months": month_keys,
        "intake_by_channel": [
            {"channel": c, "label": channel_labels.get(c, c),
             "counts": [by_channel[c][m] for m in month_keys]}
            for c in sorted(by_channel, key=lambda c: -sum(by_channel[c].values()))
            if sum(by_channel[c].values())],
        "klass": [{"klass": k, "label": st.KLASS_LABELS.get(st.Klass(k), k), "count": n}
                  for k, n in klass.most_common() if n],
        "top_categories": [{"label": c, "count": n} for c, n in cats.most_common(10) if n],
        # 撤回 (issue 16 item 6) and 和解 are counted apart; the indicators leave withdrawn
        # matters out of every on-time figure.
        "withdrawn": other[dt.WITHDRAWN],
        "settled": other[dt.SETTLED],
        "total": sum(klass.values()),
        "collective_visits": {"batches": collective["b"], "persons": collective["p"],
                              "min_persons": min_persons},
    }
