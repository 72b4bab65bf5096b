"""The leader dashboard's figures (issue 5), from matter-level data within the user's scope."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from xinfang.domain import deadlines as dl
from xinfang.domain import states as st
from xinfang.org.models import User

from .. import access
from ..models import Channel, Clock, Evaluation, Event, Matter


def _rate(num: int, den: int) -> dict[str, Any]:
    return {"numerator": num, "denominator": den,
            "percent": round(100 * num / den, 1) if den else None}


def dashboard_data(user: User, months: int = 12) -> dict[str, Any]:
    """The leader dashboard's figures, from matter-level data within the user's scope.

    按期办结率 (procedure.md §7.2) = 按期答复 ÷ (按期答复 + 超期答复 + 到期未答复), over the
    handling clocks (D6, D14 for suggestions; extensions included in the due date) that fell
    due or were met in the period. 满意率 = (满意 + 基本满意) ÷ rated matters (latest round)."""
    today = timezone.localdate()
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
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
    overdue = Counter(
        Clock.objects.filter(met_on__isnull=True, due_on__lt=today, owed_by_petitioner=False,
                             matter__in=visible.filter(state__in=[s.value for s in st.OPEN_STATES]))
        .values_list("body__name", flat=True))
    on_time = late = missed = 0
    # A withdrawn matter's clocks were closed by the petitioner, not met by the unit: counted
    # apart (issue 16 item 6), never as 按期.
    for due, met in (Clock.objects.filter(code__in=["D6", "D14"], matter__in=visible)
                     .exclude(matter__closure_kind=st.ClosureKind.WITHDRAWN.value)
                     .filter(Q(met_on__gte=first) | Q(met_on__isnull=True, due_on__gte=first,
                                                      due_on__lt=today))
                     .values_list("due_on", "met_on")):
        if met is None:
            missed += 1
        elif met <= due:
            on_time += 1
        else:
            late += 1
    latest: dict[int, str] = {}
    for mid, rating in (Evaluation.objects.filter(matter__in=visible, at__gte=start)
                        .order_by("matter_id", "round").values_list("matter_id", "rating")):
        latest[mid] = rating
    satisfied = sum(r in (Evaluation.Rating.SATISFIED, Evaluation.Rating.BASIC)
                    for r in latest.values())
    return {
        "months": month_keys,
        "intake_by_channel": [
            {"channel": c, "label": channel_labels.get(c, c),
             "counts": [by_channel[c][m] for m in month_keys]}
            for c in sorted(by_channel, key=lambda c: -sum(by_channel[c].values()))],
        "klass": [{"klass": k, "label": st.KLASS_LABELS.get(st.Klass(k), k), "count": n}
                  for k, n in klass.most_common()],
        "top_categories": [{"label": c, "count": n} for c, n in cats.most_common(10)],
        "overdue_by_unit": [{"unit": b or "未指定", "count": n} for b, n in overdue.most_common(15)],
        "on_time_rate": {**_rate(on_time, on_time + late + missed), "on_time": on_time,
                         "late": late, "overdue_unanswered": missed},
        "satisfaction_rate": _rate(satisfied, len(latest)),
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
