"""The deadline sweep: mark clocks 临期/超期, create reminders and 督办, close lapsed matters.

Every write of the sweep is a service call with its event and audit row, the system as the
actor: reminders and 督办 go through ``services.supervise`` (§40), closures through
``services.transition``. Idempotent: a second run on the same day changes nothing (one
Supervision per clock and kind, enforced by a unique constraint; alerts are recomputed, not
toggled).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.conf import settings

from xinfang.domain import deadlines as dl
from xinfang.domain import states as st

from . import clocks, services
from .models import Clock, Matter, Supervision

log = logging.getLogger("xinfang.sweep")


@dataclass
class SweepResult:
    near: int = 0
    overdue: int = 0
    reminders: int = 0
    supervisions: int = 0
    closed: int = 0
    urgent_overdue: int = 0  # 重大紧急 reports flagged this run as not sent in time (§25)
    awaiting_confirmation: int = 0  # petitioner windows past an estimated end, left open

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sweep(today: date | None = None, now: datetime | None = None) -> SweepResult:
    today = today or clocks.today()
    rules = clocks.rules()
    res = SweepResult()
    horizon = today + timedelta(days=max(r.warn_days for r in rules.values()))
    qs = (Clock.objects.filter(met_on__isnull=True, owed_by_petitioner=False,
                               paused_since__isnull=True, due_on__lte=horizon)
          .select_related("matter"))
    for clock in qs.iterator(chunk_size=1000):
        rule = rules.get(clock.code)
        state = dl.clock_state(clock.due_on, today, rule.warn_days if rule else 3)
        alert = {dl.ClockState.NEAR: Clock.Alert.NEAR,
                 dl.ClockState.OVERDUE: Clock.Alert.OVERDUE}.get(state, Clock.Alert.NORMAL)
        if clock.alert != alert:
            Clock.objects.filter(pk=clock.pk).update(alert=alert)
        if alert == Clock.Alert.NEAR:
            res.near += 1
            res.reminders += _supervise_once(clock, Supervision.Kind.REMINDER, today)
        elif alert == Clock.Alert.OVERDUE:
            res.overdue += 1
            res.supervisions += _supervise_once(clock, Supervision.Kind.OVERDUE, today)
    res.closed, res.awaiting_confirmation = _close_lapsed(today)
    res.closed += _close_answered(today)
    # §25: a 重大紧急 report is due hours after its declaration, not on a day: its own check.
    res.urgent_overdue = services.flag_overdue(now)
    return res


def _supervise_once(clock: Clock, kind: str, today: date) -> int:
    """The system's 临期提醒 or 超期督办 (§40) on one clock, through the officers' service:
    supervision, event and audit row together; 0 when this clock already has one of the kind."""
    note = f"{clock.name}（{clock.article}）于 {clock.due_on:%Y-%m-%d} 届满"
    s = services.supervise(clock.matter, user=None, system=True, kind=kind, clock=clock,
                           note=note, on=today)
    return 0 if s is None else 1


def _close_lapsed(today: date) -> tuple[int, int]:
    """Review windows (D8/D10) past due with no request: close (close_on_review_window_lapse).

    In doubt, for the petitioner (issue 13 item 4): a window whose end was computed from an
    estimated holiday table is never closed here. It stays open and shows 待确认 until an
    administrator confirms that year's table (the clock is recomputed; the next sweep closes
    it on the official date) or a supervisor confirms the closure (``services.confirm_lapse``).
    Returns (closed, left open awaiting confirmation)."""
    if not settings.XINFANG_CLOSE_ON_WINDOW_LAPSE:
        return 0, 0
    lapsed = Clock.objects.filter(met_on__isnull=True, owed_by_petitioner=True,
                                  code__in=clocks.PETITIONER_WINDOWS, due_on__lt=today,
                                  matter__state__in=[st.State.REPLIED, st.State.REVIEWED])
    waiting = set(lapsed.filter(estimated=True).values_list("matter_id", flat=True))
    n = 0
    for matter_id in list(lapsed.values_list("matter_id", flat=True).distinct()):
        if matter_id in waiting:
            continue
        matter = Matter.objects.get(pk=matter_id)
        services.transition(matter, "close_lapsed", system=True, on=today)
        n += 1
    return n, len(waiting)


def _close_answered(today: date) -> int:
    """Answers with no 复查 route (§29, §30, §31 (5)) whose rating window (V1) has passed:
    答复办结. A window ending on an estimated holiday date waits, as above."""
    due = Clock.objects.filter(met_on__isnull=True, code="V1", due_on__lt=today,
                               estimated=False, matter__state=st.State.REPLIED)
    ids = list(due.values_list("matter_id", flat=True).distinct())
    for matter in Matter.objects.filter(pk__in=ids):
        services.transition(matter, "close_answered", system=True, on=today)
    return len(ids)


def anchor_audit_chain() -> None:
    """After each sweep: the audit chain's head to the anchor file (issue 14 item 10)."""
    from xinfang.audit import anchors

    for e in anchors.write_anchor():
        log.info("audit anchor %s #%s %s", e["chain"], e["id"], e["hash"])


def run_forever(interval: int) -> None:
    while True:
        try:
            res = sweep()
            log.info("sweep %s", res.as_dict())
            anchor_audit_chain()
        except Exception:  # keep the loop alive; the next run retries
            log.exception("sweep failed")
        time.sleep(interval)


def start_background(interval: int) -> threading.Thread:
    t = threading.Thread(target=run_forever, args=(interval,), name="xinfang-sweep", daemon=True)
    t.start()
    return t
