"""Writing checked history rows (issue 19 item 4): each matter in its historic state, with the
dates, the timeline and the clocks it had as of those dates.

One batch is one transaction: every row of it is written, or none (a re-run skips the
numbers already in). Rows go in with one multi-row insert per table. The clocks are computed
with the live rules and holiday calendar from the historic dates: the steps that were taken
are met on the day they were taken, so nothing that is past is overdue, reminded or 督办;
what is still open runs on from its real start, and may well be overdue today. Nothing is
sent: no SMS, no notification, no 提级核查, no text-index signal (the same-matter index picks
the history up when it is next built). One audit row per batch names the file, the batch and
its numbers — no personal data.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xinfang.audit import services as audit
from xinfang.domain import deadlines as dl
from xinfang.domain import route31
from xinfang.domain import states as st
from xinfang.org.models import User

from .. import clocks
from ..models import (
    Clock,
    Counter,
    Dispatch,
    Evaluation,
    Event,
    Matter,
    Petitioner,
    Supervision,
)
from ..services.records import CODE_ALPHABET
from ..services.registration import petitioner_record
from . import bulk
from .parse import HistoricRow

IMPORT_ACTOR = "历史数据导入"
# Our own numbers: 6-digit county code, year, 6-digit sequence (records.matter_number).
OWN_NUMBER = re.compile(r"^(\d{6})(\d{4})(\d{6})$")
EVENING = time(17, 0)


@dataclass
class BatchResult:
    written: int = 0
    skipped: int = 0


class _Calc:
    """Clock computation with the rules and calendar loaded once per import."""

    def __init__(self, today: date) -> None:
        self.rules = clocks.rules()
        self.calendar = clocks.calendar()
        self.today = today

    def clock(self, m: Matter, code: str, start: date, *, body_id: int | None,
              met_on: date | None, dispatch: Dispatch | None = None,
              owed_by_petitioner: bool = False) -> Clock:
        rule = self.rules[code]
        due = dl.compute_due(start, rule, self.calendar)
        state = dl.clock_state(due.due, self.today, rule.warn_days, met_on)
        alert = {dl.ClockState.NEAR: Clock.Alert.NEAR,
                 dl.ClockState.OVERDUE: Clock.Alert.OVERDUE}.get(state, Clock.Alert.NORMAL)
        return Clock(matter=m, dispatch=dispatch, code=code, name=rule.name,
                     article=rule.article, body_id=body_id,
                     owed_by_petitioner=owed_by_petitioner, started_on=start, due_on=due.due,
                     unextended_on=due.unextended, estimated=due.estimated, met_on=met_on,
                     alert=alert if met_on is None else Clock.Alert.NORMAL)


def _at(d: date, t: time = time(9, 0)) -> datetime:
    return timezone.make_aware(datetime.combine(d, t))


def _code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def write_batch(rows: Sequence[HistoricRow], *, source: str, batch_no: int,
                user: User | None, today: date | None = None) -> BatchResult:
    """Write ``rows`` in one transaction; numbers already in the database are skipped."""
    today = today or clocks.today()
    for attempt in range(3):
        try:
            return _write(rows, source=source, batch_no=batch_no, user=user, today=today)
        except IntegrityError:
            # A query code drawn twice (1 in 10^12 per pair) or a number registered meanwhile:
            # the batch rolled back whole; draw again and skip what is in now.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _write(rows: Sequence[HistoricRow], *, source: str, batch_no: int, user: User | None,
           today: date) -> BatchResult:
    calc = _Calc(today)
    close_on_lapse = bool(getattr(settings, "XINFANG_CLOSE_ON_WINDOW_LAPSE", True))
    with transaction.atomic():
        existing = set(Matter.objects.filter(number__in=[r.number for r in rows])
                       .values_list("number", flat=True))
        todo = [r for r in rows if r.number not in existing]
        if not todo:
            return BatchResult(0, len(rows))
        now = timezone.now()
        matters = [_matter(r) for r in todo]
        for m, pk in zip(matters, bulk.allocate_ids(Matter, len(matters)), strict=True):
            m.pk = pk
        pets: list[Petitioner] = []
        by_row: dict[int, Dispatch] = {}
        for i, (r, m) in enumerate(zip(todo, matters, strict=True)):
            pets.extend(petitioner_record(m, p, is_lead=(j == 0))
                        for j, p in enumerate(r.petitioners))
            if r.state != st.State.REGISTERED and r.lead_body is not None:
                on = r.dispatched_on or r.accepted_on or timezone.localdate(r.received_at)
                direct = r.dispatch_kind == "direct"
                by_row[i] = Dispatch(
                    matter=m, kind=r.dispatch_kind, role=Dispatch.Role.LEAD,
                    from_body=r.holder, to_body=r.lead_body,
                    state=_dispatch_state(r), number="", dispatched_at=_at(on),
                    signed_at=_at(on) if direct or r.accepted_on else None)
        dispatches = list(by_row.values())
        for d, pk in zip(dispatches, bulk.allocate_ids(Dispatch, len(dispatches)), strict=True):
            d.pk = pk
        all_clocks: list[Clock] = []
        events: list[Event] = []
        evaluations: list[Evaluation] = []
        for i, (r, m) in enumerate(zip(todo, matters, strict=True)):
            cl = _clocks(calc, r, m, by_row.get(i))
            all_clocks.extend(cl)
            events.extend(_events(r, m, source, batch_no))
            if r.rating and r.replied_on:
                evaluations.append(Evaluation(matter=m, round=0, rating=r.rating,
                                              at=_at(r.served_on or r.replied_on, EVENING)))
            m.next_due = min((c.due_on for c in cl
                              if c.met_on is None and not c.owed_by_petitioner), default=None)
            if m.state == st.State.REPLIED and close_on_lapse and _window_lapsed(cl, today):
                # The petitioner's 复查 window ran out long before the move: the matter closed
                # then, as the sweep would have closed it (local rule, §35).
                lapsed = next(c for c in cl if c.owed_by_petitioner)
                m.state = st.State.CLOSED
                m.closure_kind = (st.ClosureKind.ANSWERED if lapsed.code == "V1"
                                  else st.ClosureKind.WINDOW_LAPSED)
                m.closed_at = _at(lapsed.due_on, EVENING)
                lapsed.met_on = lapsed.due_on
                events.append(Event(matter=m, action="close_lapsed", label="结案",
                                    from_state=st.State.REPLIED, to_state=st.State.CLOSED,
                                    actor_label=IMPORT_ACTOR, at=m.closed_at,
                                    note=f"{lapsed.name}届满（{lapsed.due_on:%Y-%m-%d}）未提出，结案",
                                    data={"imported": source, "batch": batch_no}))
        for c, pk in zip(all_clocks, bulk.allocate_ids(Clock, len(all_clocks)), strict=True):
            c.pk = pk
        # A clock already overdue when the history comes in fell due under the old system: the
        # sweep marks it 超期 but issues no 督办 for that past (one settled row per clock and
        # kind is the sweep's own once-only guard). A 督查 can still 督办 it by hand.
        settled = [
            Supervision(matter=c.matter, clock=c, kind=Supervision.Kind.OVERDUE,
                        body_id=c.body_id, created_at=now, resolved_at=now,
                        note=f"历史数据导入时{c.name}已超期（{c.due_on:%Y-%m-%d}届满），不补发超期督办")
            for c in all_clocks if c.met_on is None and c.alert == Clock.Alert.OVERDUE]
        for model, objs in ((Matter, matters), (Petitioner, pets), (Dispatch, dispatches),
                            (Clock, all_clocks), (Supervision, settled), (Event, events),
                            (Evaluation, evaluations)):
            if model not in (Matter, Dispatch, Clock):
                for o, pk in zip(objs, bulk.allocate_ids(model, len(objs)), strict=True):
                    o.pk = pk
            bulk.insert(objs)
        _advance_counters(todo)
        audit.record("import_history", actor=user, actor_label="" if user else IMPORT_ACTOR,
                     object_type="import", object_id=f"{source}#{batch_no}", data={
                         "source": source, "batch": batch_no, "written": len(todo),
                         "skipped": len(rows) - len(todo),
                         "first": todo[0].number, "last": todo[-1].number,
                         "lines": [todo[0].line, todo[-1].line]})
    return BatchResult(len(todo), len(rows) - len(todo))


def _matter(r: HistoricRow) -> Matter:
    state = st.State.CLOSED if r.state == st.State.CLOSED else st.State(r.state)
    closed_on = r.served_on or r.replied_on or r.accepted_on or r.dispatched_on \
        or timezone.localdate(r.received_at)
    closure = r.closure
    if state == st.State.CLOSED and not closure:
        closure = st.ClosureKind.ANSWERED.value
    route = 6 if r.klass == st.Klass.APPEAL and r.state != st.State.REGISTERED else None
    return Matter(
        number=r.number, query_code=_code(), channel=r.channel,
        source_doc_no=r.number if r.channel == "superior" else "",
        channel_details={"imported": "1"}, received_at=r.received_at, holder=r.holder,
        # Written without Model.save (bulk.insert): the auto_now fields are set here.
        registered_at=r.received_at, updated_at=timezone.now(),
        title=r.title, request=r.request, content=r.content, division=r.division,
        division_path=r.division.path, category=r.category, klass=r.klass, route31=route,
        accused_name=r.accused_name, accused_body=r.accused_body, is_collective=r.collective,
        headcount=r.headcount, is_anonymous=r.is_anonymous,
        confidential=r.klass == st.Klass.REPORT, state=state.value,
        closure_kind=closure if state in (st.State.CLOSED, st.State.FINAL) else "",
        lead_body=r.lead_body, accepted_on=r.accepted_on, replied_on=r.replied_on,
        served_on=r.served_on if r.replied_on else None, outcome=r.outcome,
        closed_at=_at(closed_on, EVENING) if state in (st.State.CLOSED, st.State.FINAL) else None,
    )


def _dispatch_state(r: HistoricRow) -> str:
    if r.state == st.State.DISPATCHED:
        return Dispatch.DState.PENDING
    if r.replied_on:
        return Dispatch.DState.REPLIED
    return Dispatch.DState.ACCEPTED


def _clocks(calc: _Calc, r: HistoricRow, m: Matter, d: Dispatch | None) -> list[Clock]:
    """The clocks the matter had, each met on the day its step was taken."""
    received = timezone.localdate(r.received_at)
    finished = r.state in (st.State.CLOSED, st.State.FINAL)
    end = r.served_on or r.replied_on or r.accepted_on or r.dispatched_on or received
    out: list[Clock] = []
    first = "D2" if r.holder.handles_directly else "D1"
    moved_on = r.dispatched_on or r.accepted_on
    out.append(calc.clock(m, first, received, body_id=r.holder.pk,
                          met_on=moved_on or (end if finished else None)))
    if d is None:
        return out
    if d.kind != "direct" and r.dispatched_on is not None:
        out.append(calc.clock(m, "D3", r.dispatched_on, body_id=d.to_body_id, dispatch=d,
                              met_on=r.accepted_on or (end if finished else None)))
    if r.accepted_on is not None:
        route = route31.route_of(r.klass, m.route31)
        out.append(calc.clock(m, route.clock, r.accepted_on, body_id=d.to_body_id, dispatch=d,
                              met_on=r.replied_on or (end if finished else None)))
        if r.replied_on is not None and r.served_on is not None:
            window = "D8" if route.reviewable else "V1"
            out.append(calc.clock(m, window, r.served_on, body_id=None,
                                  owed_by_petitioner=True,
                                  met_on=(r.served_on if r.rating and window == "V1" else None)
                                  if not finished else end))
    return out


def _window_lapsed(cl: list[Clock], today: date) -> bool:
    return any(c.owed_by_petitioner and c.met_on is None and c.due_on < today
               and not c.estimated for c in cl)


def _events(r: HistoricRow, m: Matter, source: str, batch_no: int) -> list[Event]:
    data = {"imported": source, "batch": batch_no, "line": r.line}
    actor = IMPORT_ACTOR
    ev = [Event(matter=m, action="register", label="登记", from_state="",
                to_state=st.State.REGISTERED, actor_label=actor, at=r.received_at,
                note=f"历史数据导入（{source} 第{r.line}行）", data=data)]
    prev = st.State.REGISTERED.value
    if r.dispatched_on and r.dispatch_kind != "direct" and r.lead_body is not None:
        label = "交办" if r.dispatch_kind == "assign" else "转送"
        ev.append(Event(matter=m, action=r.dispatch_kind, label=label, from_state=prev,
                        to_state=st.State.DISPATCHED, actor_label=actor,
                        at=_at(r.dispatched_on), note=f"{label}：{r.lead_body.name}", data=data))
        prev = st.State.DISPATCHED.value
    if r.accepted_on:
        ev.append(Event(matter=m, action="accept", label="受理", from_state=prev,
                        to_state=st.State.HANDLING, actor_label=actor, at=_at(r.accepted_on),
                        data=data))
        prev = st.State.HANDLING.value
    if r.replied_on:
        ev.append(Event(matter=m, action="reply", label="答复", from_state=prev,
                        to_state=st.State.REPLIED, actor_label=actor, at=_at(r.replied_on),
                        note=m.outcome_label if m.outcome else "", data=data))
        prev = st.State.REPLIED.value
    if m.state in (st.State.CLOSED, st.State.FINAL) and m.closed_at is not None:
        ev.append(Event(matter=m, action="close", label="结案", from_state=prev,
                        to_state=m.state, actor_label=actor, at=m.closed_at,
                        note=m.closure_label, data=data))
    return ev


def _advance_counters(rows: Sequence[HistoricRow]) -> None:
    """Imported numbers in our own format move the county's sequence past them, so the next
    registration of that year does not collide with a historic number."""
    top: dict[str, int] = {}
    for r in rows:
        hit = OWN_NUMBER.match(r.number)
        if hit:
            key = f"matter:{hit.group(1)}:{hit.group(2)}"
            top[key] = max(top.get(key, 0), int(hit.group(3)))
    for key, value in top.items():
        c, _ = Counter.objects.select_for_update().get_or_create(key=key)
        if c.value < value:
            c.value = value
            c.save(update_fields=["value"])
