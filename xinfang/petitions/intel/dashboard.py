"""The leader dashboard's figures (issue 5), from matter-level data within the user's scope."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from xinfang.domain import deadlines as dl
from xinfang.domain import indicators as ind
from xinfang.domain import states as st
from xinfang.org.models import User

from .. import access, clocks
from ..models import Channel, Event, Matter


def dashboard_data(user: User) -> dict[str, Any]:
    """The leader dashboard's volume charts over the last twelve months, from matter-level
    data within the user's scope. The rates and the overdue bars are indicators
    (``xinfang.practice.indicators``, one definition each), added by the page."""
    today = clocks.today()
    since, _ = ind.last_twelve_months(today)  # "近12个月": the twelve months ending today
    first = since.replace(day=1)
    start = timezone.make_aware(datetime.combine(since, datetime.min.time()))
    visible = access.visible_matters(user)
    qs = visible.filter(received_at__gte=start)
    month_keys = []
    d = first
    while d <= today:
        month_keys.append(d.strftime("%Y-%m"))
        d = (d + timedelta(days=32)).replace(day=1)
    by_channel: dict[str, Counter[str]] = defaultdict(Counter)
    klass: Counter[str] = Counter()
    cats: Counter[str] = Counter()
    for received, channel, k, parent, name in qs.values_list(
            "received_at", "channel", "klass", "category__parent__name", "category__name"):
        by_channel[channel][timezone.localtime(received).strftime("%Y-%m")] += 1
        klass[k] += 1
        cats[parent or name or "未分类"] += 1
    channel_labels = dict(Channel.choices)
    return {
        "months": month_keys,
        "intake_by_channel": [
            {"channel": c, "label": channel_labels.get(c, c),
             "counts": [by_channel[c][m] for m in month_keys]}
            for c in sorted(by_channel, key=lambda c: -sum(by_channel[c].values()))],
        "klass": [{"klass": k, "label": st.KLASS_LABELS.get(st.Klass(k), k), "count": n}
                  for k, n in klass.most_common()],
        "top_categories": [{"label": c, "count": n} for c, n in cats.most_common(10)],
        # 撤回 (issue 16 item 6) and 和解 are counted apart; the indicators leave withdrawn
        # matters out of every on-time figure (practice.indicators).
        "withdrawn": visible.filter(closure_kind=st.ClosureKind.WITHDRAWN.value,
                                    closed_at__gte=start).count(),
        "settled": Event.objects.filter(matter__in=visible, action="record_settlement",
                                        at__gte=start).count(),
        "total": sum(klass.values()),
        "collective_visits": _collective_visits(qs),
    }


def _collective_visits(qs: QuerySet[Matter]) -> dict[str, int]:
    """集体访 批次 / 人次 (procedure.md §7.2): visits of ``collective_visit_min_persons`` (5) or
    more people; 批次 = how many such visits, 人次 = the people in them."""
    min_persons = dl.Policy().collective_visit_min_persons
    rows = qs.filter(channel="visit", headcount__gte=min_persons).values_list("headcount", flat=True)
    heads = list(rows)
    return {"batches": len(heads), "persons": sum(heads), "min_persons": min_persons}
