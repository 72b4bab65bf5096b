"""Clock rows on top of xinfang.domain.deadlines: start, meet, pause, recompute.

The rule set is DEFAULT_RULES adjusted by ClockPolicy rows; the calendar is chinese-calendar
plus Holiday rows, and the years an administrator confirmed complete (HolidayYear); any other
year is estimated (xinfang.domain.deadlines). Both are cached per process and dropped when an
administrator edits them.

Two rules of issue 13 live here: a petitioner's window whose end rests on an estimate never
lapses by itself (``window_open``, ``pending_lapses``: 待确认), and a clock paused for a §36 ¶2
hearing is never 超期 (``view``, ``pause``).
"""

from __future__ import annotations

from datetime import date

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from xinfang.core.versioned import bump_on_commit, versioned
from xinfang.domain import deadlines as dl
from xinfang.org.models import Body, ClockPolicy, Holiday, HolidayYear

from . import tally
from .models import Clock, Dispatch, Matter


# Cached per process, recomputed in every process after an edit (core.versioned).
@versioned("clocks.calendar")
def calendar() -> dl.HolidayCalendar:
    overrides = dict(Holiday.objects.values_list("date", "is_workday"))
    confirmed = HolidayYear.objects.filter(confirmed=True).values_list("year", flat=True)
    return dl.HolidayCalendar(overrides, confirmed_years=confirmed)


@versioned("clocks.rules")
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
    """The calendar or the time limits changed: this process and every other recompute."""
    for cached in (calendar, rules):
        cached.cache_clear()
        bump_on_commit(cached.name)


@receiver([post_save, post_delete], sender=Holiday)
@receiver([post_save, post_delete], sender=HolidayYear)
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
    due: dl.Due | None = None,
) -> Clock:
    """``due``: the end already computed by ``due_for`` (registration stores it on the matter
    in the same insert)."""
    rule = rules().get(code) or dl.ClockRule(code, "交办办结报告", 0, dl.DayUnit.CALENDAR,
                                             "§22 ¶1（三）")
    if due_override is not None:
        due = dl.Due(due_override, due_override, False)
    elif due is None:
        due = dl.compute_due(started_on, rule, calendar())
    return Clock.objects.create(
        matter=matter, dispatch=dispatch, code=code, name=rule.name, article=rule.article,
        body=body, owed_by_petitioner=owed_by_petitioner, started_on=started_on,
        due_on=due.due, unextended_on=due.unextended, estimated=due.estimated,
    )


def due_for(code: str, started_on: date) -> dl.Due:
    """The end of a rule's clock started ``started_on``, with today's rules and calendar."""
    return dl.compute_due(started_on, rules()[code], calendar())


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


# Clocks whose date a body sets (办结报告 §22 ¶1 (3); 责令重新办理, 鲁 §45), not a rule.
SET_BY_BODY = frozenset({"D5", "R2", "R3"})


def recompute(clock: Clock) -> None:
    new = _computed(clock)
    if new is not None:
        _store(clock, new)


# What ``recompute`` derives from the rules and the calendar, in this order (``_computed``).
_COMPUTED = ("due_on", "unextended_on", "estimated", "name", "article")


def _computed(clock: Clock) -> tuple[date, date, bool, str, str] | None:
    rule = rules().get(clock.code)
    if rule is None or clock.code in SET_BY_BODY:
        return None  # a date set by the assigning or reviewing body, not a rule
    due = dl.compute_due(clock.started_on, rule, calendar(), paused_days=clock.paused_days,
                         extra_days=clock.extra_days)
    return due.due, due.unextended, due.estimated, str(rule.name), str(rule.article)


def _store(clock: Clock, values: tuple[date, date, bool, str, str]) -> None:
    for name, value in zip(_COMPUTED, values, strict=True):
        setattr(clock, name, value)
    clock.save(update_fields=list(_COMPUTED))


def recompute_open() -> int:
    """Every open clock with today's rules and calendar, after an administrator's edit of a
    holiday, a year's table or a time limit (in the edit's transaction). Only the clocks whose
    end, estimate, name or article the edit moves are written, and only their matters'
    next deadline and counters refreshed: a holiday outside every open clock's span writes
    nothing (each save of the year's ~30 holidays had rewritten every open clock and refreshed
    every open matter's counters). Returns the number of clocks written."""
    n = 0
    touched: set[int] = set()
    for clock in Clock.objects.filter(met_on__isnull=True).iterator(chunk_size=2000):
        new = _computed(clock)
        if new is None or new == tuple(getattr(clock, f) for f in _COMPUTED):
            continue
        _store(clock, new)
        touched.add(clock.matter_id)
        n += 1
    for matter_id in touched:
        refresh_next_due(matter_id)
    return n


def extend(clock: Clock, days: int) -> Clock:
    clock.extra_days += days
    recompute(clock)
    return clock


# The windows the petitioner has (§35, §36 ¶1); the sweep may close a matter on their lapse.
PETITIONER_WINDOWS = ("D8", "D10")


def window_open(clock: Clock, on: date | None = None) -> bool:
    """Whether a petitioner's window is still open: past an estimated end it stays open
    (待确认) until a person confirms the lapse (issue 13 item 4; ``dl.window_open``)."""
    return dl.window_open(clock.due_on, on or today(), clock.estimated)


def pending_lapses(matter: Matter | int, on: date | None = None) -> list[Clock]:
    """The matter's open petitioner windows past an *estimated* end: 待确认. The sweep leaves
    them open; a supervisor or administrator may confirm the closure (``confirm_lapse``)."""
    return list(Clock.objects.filter(matter=matter, met_on__isnull=True, owed_by_petitioner=True,
                                     code__in=PETITIONER_WINDOWS, estimated=True,
                                     due_on__lt=on or today()))


def pause(clock: Clock, since: date) -> None:
    """§36 ¶2: the hearing's time is not counted from ``since`` on. A paused clock is neither
    临期 nor 超期 and not the matter's next deadline until it resumes."""
    clock.paused_since = since
    clock.alert = Clock.Alert.NORMAL
    clock.save(update_fields=["paused_since", "alert"])


def resume(clock: Clock, on: date) -> None:
    """The pause ends ``on``: the days from ``paused_since`` to ``on`` are added (the start day
    of the hearing is not counted in the period, the day it ends is, 民法典 §201 ¶1)."""
    if clock.paused_since is None:
        return
    clock.paused_days += paused_so_far(clock, on)
    clock.paused_since = None
    clock.save(update_fields=["paused_days", "paused_since"])
    recompute(clock)


def paused_so_far(clock: Clock, on: date) -> int:
    """Days of the running pause up to ``on`` (0 when the clock is not paused)."""
    if clock.paused_since is None:
        return 0
    return max(0, (on - clock.paused_since).days)


def refresh_next_due(matter_id: int) -> date | None:
    """Keep Matter.next_due = the nearest open clock owed by a body (not the petitioner), and
    the indicator counters with it (every writer of a matter's clocks ends here)."""
    nearest = (
        Clock.objects.filter(matter_id=matter_id, met_on__isnull=True, owed_by_petitioner=False,
                             paused_since__isnull=True)
        .order_by("due_on").values_list("due_on", flat=True).first()
    )
    Matter.objects.filter(pk=matter_id).update(next_due=nearest)
    tally.refresh(matter_id)
    return nearest


def view(clock: Clock, on: date | None = None) -> dict[str, object]:
    """What the matter page (and the API) shows for one clock.

    ``state``: 超期 never while paused (§36 ¶2: 中止计算, with the days paused so far) and never
    for a petitioner's window past an estimated end (待确认, ``window_open``).
    ``paused_days``: days not counted, the finished pauses and the running one.
    """
    now = on or today()
    rule = rules().get(clock.code)
    warn = rule.warn_days if rule else 3
    paused = clock.paused_since is not None
    provisional_end = clock.owed_by_petitioner and clock.estimated
    state = dl.clock_state(clock.due_on, now, warn, clock.met_on, paused=paused,
                           provisional_end=provisional_end)
    running = paused_so_far(clock, now) if clock.met_on is None else 0
    return {
        "clock": clock,
        "state": state.value,
        "state_label": dl.STATE_LABELS[state],
        "days_left": dl.days_left(clock.due_on, now),
        "met_in_time": dl.met_in_time(clock.due_on, clock.met_on) if clock.met_on else None,
        "paused": paused,
        "paused_days": clock.paused_days + running,
        "pending": state == dl.ClockState.PENDING,
        "estimated": clock.estimated,
    }


# The deadlines a document states that were computed on the holiday calendar (keys of its
# context: the 受理告知书's §34 limit, the 延期告知书's new one; a 办结报告 date or a 督办
# feedback date is set by a body, not computed), and the petitioner's window a document opens
# from its service: a 处理意见书 the 复查 window (§35), a 复查意见书 the 复核 window (§36 ¶1).
DOCUMENT_DATE_KEYS = ("due_on", "new_due")
DOCUMENT_WINDOWS = {"opinion": "D8", "review": "D10"}


def provisional_years(kind: str, context: dict[str, object],
                      served_on: date | None = None) -> list[int]:
    """Years without a confirmed holiday table on which a document's dates depend (issue 13
    item 4): the document then says they are provisional. A stated date depends on every
    year from today to it; the window a document opens on the window's own computation."""
    cal = calendar()
    now = today()
    years: set[int] = set()
    for key in DOCUMENT_DATE_KEYS:
        value = context.get(key)
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                continue
        if isinstance(value, date):
            years |= {y for y in range(min(now.year, value.year), value.year + 1)
                      if not cal.has_official_data(y)}
    code = DOCUMENT_WINDOWS.get(kind)
    if code is not None and code in rules():
        start_on = served_on or now
        due = dl.compute_due(start_on, rules()[code], cal)
        if due.estimated:
            years |= {y for y in range(start_on.year, due.due.year + 1)
                      if not cal.has_official_data(y)}
    return sorted(years)
