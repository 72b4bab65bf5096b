"""Clock rows on top of xinfang.domain.deadlines: start, meet, pause, recompute.

The rule set is DEFAULT_RULES adjusted by ClockPolicy rows; the calendar is chinese-calendar
plus Holiday rows. Both are cached per process and dropped when an administrator edits them.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from xinfang.domain import deadlines as dl
from xinfang.org.models import Body, ClockPolicy, Holiday

from .models import Clock, Dispatch, Matter


@lru_cache(maxsize=1)
def calendar() -> dl.HolidayCalendar:
    overrides = dict(Holiday.objects.values_list("date", "is_workday"))
    return dl.HolidayCalendar(overrides)


@lru_cache(maxsize=1)
def rules() -> dict[str, dl.ClockRule]:
    overrides = {
        p.code: dl.ClockRule(
            p.code, p.name, p.days, dl.DayUnit(p.unit), p.article or dl.DEFAULT_RULES.get(
                p.code, dl.DEFAULT_RULES["D1"]).article,
            extend_on_holiday=p.extend_on_holiday, warn_days=p.warn_days,
        )
        for p in ClockPolicy.objects.all()
    }
    return dl.rules_with_policy(dl.Policy(), overrides)


def invalidate() -> None:
    calendar.cache_clear()
    rules.cache_clear()


@receiver([post_save, post_delete], sender=Holiday)
@receiver([post_save, post_delete], sender=ClockPolicy)
def _policy_changed(sender: object, **kwargs: object) -> None:
    # An administrator changed the calendar or a time limit: open clocks follow (issue 2 §5).
    invalidate()
    recompute_open()


def today() -> date:
    return timezone.localdate()


def start(
    matter: Matter,
    code: str,
    started_on: date,
    *,
    body: Body | None,
    dispatch: Dispatch | None = None,
    owed_by_petitioner: bool = False,
    due_override: date | None = None,
) -> Clock:
    rule = rules().get(code) or dl.ClockRule(code, "交办办结报告", 0, dl.DayUnit.CALENDAR,
                                             "§22 ¶1（三）")
    if due_override is not None:
        due = dl.Due(due_override, due_override, False)
    else:
        due = dl.compute_due(started_on, rule, calendar())
    return Clock.objects.create(
        matter=matter, dispatch=dispatch, code=code, name=rule.name, article=rule.article,
        body=body, owed_by_petitioner=owed_by_petitioner, started_on=started_on,
        due_on=due.due, unextended_on=due.unextended, estimated=due.estimated,
    )


def open_clocks(matter: Matter, *codes: str) -> list[Clock]:
    qs = Clock.objects.filter(matter=matter, met_on__isnull=True)
    if codes:
        qs = qs.filter(code__in=codes)
    return list(qs)


def meet(matter: Matter, *codes: str, on: date | None = None,
         dispatch: Dispatch | None = None) -> int:
    """Mark open clocks as met (the act that ends them happened ``on``)."""
    qs = Clock.objects.filter(matter=matter, met_on__isnull=True, code__in=codes)
    if dispatch is not None:
        qs = qs.filter(dispatch=dispatch)
    return qs.update(met_on=on or today())


def meet_all(matter: Matter, on: date | None = None) -> int:
    return Clock.objects.filter(matter=matter, met_on__isnull=True).update(met_on=on or today())


def recompute(clock: Clock) -> None:
    rule = rules().get(clock.code)
    if rule is None or clock.code == "D5":
        return  # D5 is a date set by the assigning body, not a rule
    paused = clock.paused_days
    due = dl.compute_due(clock.started_on, rule, calendar(), paused_days=paused,
                         extra_days=clock.extra_days)
    clock.due_on, clock.unextended_on, clock.estimated = due.due, due.unextended, due.estimated
    clock.name, clock.article = rule.name, rule.article
    clock.save(update_fields=["due_on", "unextended_on", "estimated", "name", "article"])


def recompute_open() -> int:
    n = 0
    touched: set[int] = set()
    for clock in Clock.objects.filter(met_on__isnull=True).iterator(chunk_size=2000):
        recompute(clock)
        touched.add(clock.matter_id)
        n += 1
    for matter_id in touched:
        refresh_next_due(matter_id)
    return n


def extend(clock: Clock, days: int) -> Clock:
    clock.extra_days += days
    recompute(clock)
    return clock


def pause(clock: Clock, since: date) -> None:
    clock.paused_since = since
    clock.save(update_fields=["paused_since"])


def resume(clock: Clock, on: date) -> None:
    if clock.paused_since is None:
        return
    clock.paused_days += max(0, (on - clock.paused_since).days)
    clock.paused_since = None
    clock.save(update_fields=["paused_days", "paused_since"])
    recompute(clock)


def refresh_next_due(matter_id: int) -> date | None:
    """Keep Matter.next_due = the nearest open clock owed by a body (not the petitioner)."""
    nearest = (
        Clock.objects.filter(matter_id=matter_id, met_on__isnull=True, owed_by_petitioner=False,
                             paused_since__isnull=True)
        .order_by("due_on").values_list("due_on", flat=True).first()
    )
    Matter.objects.filter(pk=matter_id).update(next_due=nearest)
    return nearest


def view(clock: Clock, on: date | None = None) -> dict[str, object]:
    """What the matter page shows for one clock."""
    now = on or today()
    rule = rules().get(clock.code)
    warn = rule.warn_days if rule else 3
    state = dl.clock_state(clock.due_on, now, warn, clock.met_on)
    return {
        "clock": clock,
        "state": state.value,
        "state_label": dl.STATE_LABELS[state],
        "days_left": dl.days_left(clock.due_on, now),
        "met_in_time": dl.met_in_time(clock.due_on, clock.met_on) if clock.met_on else None,
        "paused": clock.paused_since is not None,
    }
