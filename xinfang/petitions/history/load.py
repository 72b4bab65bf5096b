"""Writing checked history rows (issue 19 item 4): each matter in its historic state, with the
dates, the timeline and the clocks it had as of those dates.

One batch is one transaction: every row of it is written, or none (a re-run skips the
numbers already in). The clocks are computed with the live rules and holiday calendar from
the historic dates: the steps that were taken are met on the day they were taken, so nothing
that is past is overdue, reminded or 督办; what is still open runs on from its real start, and
may well be overdue today. Nothing is sent: no SMS, no notification, no 提级核查, no
text-index signal (the same-matter index picks the history up when it is next built). One
audit row per batch names the file, the batch and its numbers — no personal data.

Speed (docs/benchmarks.md, "History import"): no model instances. A :class:`Loader` prepares
once per import what every row needs — the tables' layouts (``bulk.Table``), the clock rules,
the holiday calendar and each (rule, start day)'s due date, the encryption and blind-index
keys, the labels — and each batch turns its rows straight into tuples of database values,
sent with one COPY (PostgreSQL) or executemany (SQLite) per table. What a model's ``save``
would add is done here explicitly: personal fields encrypted and their blind indexes derived
(``core.crypto``), a confidential matter's free text and its events' notes and data sealed
(issue 14 item 13, by ``Matter.seals_text``), the auto_now dates set from the history.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from xinfang.audit import services as audit
from xinfang.core import crypto
from xinfang.domain import deadlines as dl
from xinfang.domain import route31
from xinfang.domain import states as st
from xinfang.domain.tally import ClockFacts, MatterFacts
from xinfang.org.models import User

from .. import clocks, tally
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
from ..services.registration import petitioner_values
from . import bulk
from .parse import HistoricRow

IMPORT_ACTOR = "历史数据导入"
# Our own numbers: 6-digit county code, year, 6-digit sequence (records.matter_number).
OWN_NUMBER = re.compile(r"^(\d{6})(\d{4})(\d{6})$")
MORNING = time(9, 0)
EVENING = time(17, 0)
OVERDUE_NOTE = "历史数据导入时{name}已超期（{due:%Y-%m-%d}届满），不补发超期督办"

# The values each table's rows give, in this order (every other column takes its default).
MATTER_COLS = (
    "id", "number", "query_code", "channel", "source_doc_no", "channel_details",
    "received_at", "registered_at", "updated_at", "holder_id", "title", "request", "content",
    "division_id", "division_path", "category_id", "klass", "route31", "accused_name",
    "accused_body_id", "is_collective", "headcount", "is_anonymous", "confidential", "state",
    "closure_kind", "lead_body_id", "accepted_on", "replied_on", "served_on", "outcome",
    "closed_at", "next_due")
PETITIONER_COLS = ("matter_id", "kind", "name", "id_number", "phone", "address", "id_index",
                   "phone_index", "name_index", "is_representative", "is_lead", "id")
DISPATCH_COLS = ("id", "matter_id", "kind", "role", "from_body_id", "to_body_id", "state",
                 "number", "dispatched_at", "signed_at")
CLOCK_COLS = ("id", "matter_id", "dispatch_id", "code", "name", "article", "body_id",
              "owed_by_petitioner", "started_on", "due_on", "unextended_on", "estimated",
              "met_on", "alert")
EVENT_COLS = ("id", "matter_id", "action", "label", "from_state", "to_state", "actor_label",
              "at", "note", "data")
EVALUATION_COLS = ("id", "matter_id", "round", "rating", "at")
SUPERVISION_COLS = ("id", "matter_id", "clock_id", "kind", "body_id", "created_at",
                    "resolved_at", "note")
# The columns whose stored value is encrypted, sealed or derived, that the loader writes: it
# computes each of them (the others keep their empty defaults). A new one among the columns
# written must be added here and computed (checked when a Loader is made), or its plain value
# would be written where the model encrypts.
HANDLED: dict[type[Any], set[str]] = {
    Matter: {"title", "request", "content", "accused_name"},
    Petitioner: {"name", "id_number", "phone", "address", "id_index", "phone_index",
                 "name_index"},
    Event: {"note", "data"},
    Supervision: {"note"},
}
# Written in this order. Dispatches before their matters (the foreign keys are checked at
# commit): on SQLite the keyword index takes a matter's text and scope once, when the matter
# row arrives with its dispatches already there (petitions/0020's triggers), instead of again
# for each dispatch.
WRITTEN: dict[type[Any], tuple[str, ...]] = {
    Dispatch: DISPATCH_COLS, Matter: MATTER_COLS, Petitioner: PETITIONER_COLS,
    Clock: CLOCK_COLS, Event: EVENT_COLS, Evaluation: EVALUATION_COLS,
    Supervision: SUPERVISION_COLS,
}

REG, DISP, HANDLING, REPLIED = (st.State.REGISTERED.value, st.State.DISPATCHED.value,
                                st.State.HANDLING.value, st.State.REPLIED.value)
CLOSED, FINAL = st.State.CLOSED.value, st.State.FINAL.value
NORMAL, NEAR, OVERDUE = Clock.Alert.NORMAL.value, Clock.Alert.NEAR.value, Clock.Alert.OVERDUE.value


@dataclass
class BatchResult:
    written: int = 0
    skipped: int = 0


def _protected(model: type[Any]) -> set[str]:
    return {f.attname for f in bulk.columns(model)
            if isinstance(f, crypto.EncryptedTextField | crypto.BlindIndexField
                          | crypto.SealableTextField | crypto.SealableJSONField)}


class Loader:
    """What an import computes once and every batch uses."""

    def __init__(self, *, source: str, user: User | None, today: date) -> None:
        for model, written in WRITTEN.items():
            known = HANDLED.get(model, set())
            if _protected(model) & set(written) != known:
                raise ImproperlyConfigured(
                    f"{model._meta.label}: encrypted or sealed columns changed "
                    f"({sorted((_protected(model) & set(written)) ^ known)}); "
                    "teach history/load.py about them")
        self.source, self.user, self.today = source, user, today
        self.written_ids: list[int] = []  # the matters of the batch being written
        self.facts: dict[int, MatterFacts] = {}  # what the indicator counters read of them
        self.tally_codes = frozenset(tally.CLOCK_CODES)
        kind = Matter._meta.get_field("repeat_kind").get_default()
        self.repeat_kind = getattr(kind, "value", kind)
        self.out = bulk.Out()
        self.rules = clocks.rules()
        self.calendar = clocks.calendar()
        self._due: dict[tuple[str, date], dl.Due] = {}
        self._at: dict[tuple[date, time], Any] = {}
        self.tz = timezone.get_current_timezone()
        self.close_on_lapse = bool(getattr(settings, "XINFANG_CLOSE_ON_WINDOW_LAPSE", True))
        # EncryptedTextField encrypts under the current key (MultiFernet's first).
        self.encrypt = crypto.key_fernet(settings.FIELD_KEY).encrypt
        self.blind = crypto.blind_indexer()
        self.seals = Matter.__dict__["seals_text"].fget  # the model's own rule, on plain values
        self.outcome_labels = {o.value: gettext(st.OUTCOME_LABELS[o]) for o in st.ReplyOutcome}
        self.closure_labels = {c.value: gettext(st.CLOSURE_LABELS[c]) for c in st.ClosureKind}
        self.tables = {m: bulk.Table(m, self.out) for m in WRITTEN}
        t = self.tables
        self.add_matter = t[Matter].filler(MATTER_COLS)
        self.add_petitioner = t[Petitioner].filler(PETITIONER_COLS)
        self.add_dispatch = t[Dispatch].filler(DISPATCH_COLS)
        self.add_clock = t[Clock].filler(CLOCK_COLS)
        self.add_event = t[Event].filler(EVENT_COLS)
        self.add_evaluation = t[Evaluation].filler(EVALUATION_COLS)
        self.add_supervision = t[Supervision].filler(SUPERVISION_COLS)
        self.channel_details = self.out.json({"imported": "1"})

    # ------------------------------------------------------------------ small pieces

    def at(self, d: date, t: time = MORNING) -> Any:
        """The database value of ``d`` at ``t``, local time."""
        key = (d, t)
        v = self._at.get(key)
        if v is None:
            v = self._at[key] = self.out.dt(datetime.combine(d, t, self.tz))
        return v

    def due(self, code: str, start: date) -> dl.Due:
        key = (code, start)
        due = self._due.get(key)
        if due is None:
            due = self._due[key] = dl.compute_due(start, self.rules[code], self.calendar)
        return due

    def text(self, value: str, sealed: bool) -> str:
        return crypto.seal(value) if sealed and value else value

    def cipher(self, value: str) -> str:
        return self.encrypt(value.encode()).decode() if value else value

    def data(self, value: dict[str, Any], sealed: bool) -> str:
        return self.out.json(crypto.seal_json(value) if sealed else value)

    # ------------------------------------------------------------------ one batch

    def write(self, rows: Sequence[HistoricRow], batch_no: int) -> BatchResult:
        with transaction.atomic():
            existing = set(Matter.objects.filter(number__in=[r.number for r in rows])
                           .values_list("number", flat=True))
            todo = [r for r in rows if r.number not in existing]
            if not todo:
                return BatchResult(0, len(rows))
            # The counties' numbers first, as a registration takes them first (its tail,
            # issue 19 item 1): then the counters, the audit head — one order, no deadlock;
            # and a registration never draws a number this batch is writing.
            _advance_counters(todo)
            try:
                self._build(todo, batch_no)
                for table in self.tables.values():
                    self.out.write(table)
            finally:
                for table in self.tables.values():
                    table.rows = []
            # The indicator counters, in this transaction, from the facts of the rows written.
            tally.add_written(self.written_ids, self.facts)
            audit.record("import_history", actor=self.user,
                         actor_label="" if self.user else IMPORT_ACTOR,
                         object_type="import", object_id=f"{self.source}#{batch_no}", data={
                             "source": self.source, "batch": batch_no, "written": len(todo),
                             "skipped": len(rows) - len(todo),
                             "first": todo[0].number, "last": todo[-1].number,
                             "lines": [todo[0].line, todo[-1].line]})
        return BatchResult(len(todo), len(rows) - len(todo))

    def _build(self, todo: Sequence[HistoricRow], batch_no: int) -> None:
        out, at, due_of, today = self.out, self.at, self.due, self.today
        d_ = out.d
        source, actor, tz = self.source, IMPORT_ACTOR, self.tz
        seals, cipher, blind, text = self.seals, self.cipher, self.blind, self.text
        rules = self.rules
        matter_ids = iter(bulk.allocate_ids(Matter, len(todo)))
        dispatch_ids = iter(bulk.allocate_ids(Dispatch, sum(
            1 for r in todo if r.state != REG and r.lead_body is not None)))
        codes = _codes(len(todo))
        pets: list[list[Any]] = []
        all_clocks: list[list[Any]] = []  # CLOCK_COLS values, id filled in below
        events: list[list[Any]] = []
        evaluations: list[list[Any]] = []
        now = out.dt(timezone.now())
        batch_data = {"imported": source, "batch": batch_no}
        sealed_ids: set[int] = set()
        add_matter, add_dispatch = self.add_matter, self.add_dispatch
        self.written_ids.clear()
        self.facts = {}
        facts_from = tally.facts_from
        for r, code in zip(todo, codes, strict=True):
            mid = next(matter_ids)
            self.written_ids.append(mid)
            sealed = seals(SimpleNamespace(klass=r.klass, confidential=r.klass == st.Klass.REPORT))
            if sealed:
                sealed_ids.add(mid)
            received = r.received_at.astimezone(tz).date()
            finished = r.state in (CLOSED, FINAL)
            state = r.state
            closure = r.closure or (st.ClosureKind.ANSWERED.value if state == CLOSED else "")
            closure = closure if finished else ""
            closed_on = r.served_on or r.replied_on or r.accepted_on or r.dispatched_on or received
            closed_at = at(closed_on, EVENING) if finished else None
            closed_day = closed_on if finished else None
            route = 6 if r.klass == st.Klass.APPEAL and state != REG else None
            served = r.served_on if r.replied_on else None
            for j, p in enumerate(r.petitioners):
                v = petitioner_values(p, is_lead=j == 0)
                pets.append([mid, v["kind"], cipher(v["name"]), cipher(v["id_number"]),
                             cipher(v["phone"]), cipher(v["address"]),
                             blind(v["id_number"], "id") if v["id_number"] else "",
                             blind(v["phone"], "phone") if v["phone"] else "",
                             blind(v["name"], "name") if v["name"] else "",
                             v["is_representative"], v["is_lead"], None])

            # The dispatch to the lead body, and the clocks the matter had.
            did = None
            to_body = r.lead_body.pk if r.lead_body is not None else None
            if state != REG and r.lead_body is not None:
                did = next(dispatch_ids)
                on = r.dispatched_on or r.accepted_on or received
                direct = r.dispatch_kind == "direct"
                dstate = (Dispatch.DState.PENDING if state == DISP else
                          Dispatch.DState.REPLIED if r.replied_on else Dispatch.DState.ACCEPTED)
                add_dispatch((did, mid, r.dispatch_kind, Dispatch.Role.LEAD.value, r.holder.pk,
                              to_body, dstate.value, "", at(on),
                              at(on) if direct or r.accepted_on else None))
            end = r.served_on or r.replied_on or r.accepted_on or r.dispatched_on or received
            cl: list[list[Any]] = []

            def clock(code: str, start: date, body_id: int | None, met_on: date | None,
                      dispatch: int | None = None, owed: bool = False,
                      mid: int = mid, cl: list[list[Any]] = cl) -> None:
                rule = rules[code]
                due = due_of(code, start)
                alert = NORMAL
                if met_on is None:
                    left = (due.due - today).days
                    alert = OVERDUE if left < 0 else NEAR if left <= rule.warn_days else NORMAL
                cl.append([None, mid, dispatch, code, rule.name, rule.article, body_id, owed,
                           start, due.due, due.unextended, due.estimated, met_on, alert])

            moved_on = r.dispatched_on or r.accepted_on
            clock("D2" if r.holder.handles_directly else "D1", received, r.holder.pk,
                  moved_on or (end if finished else None))
            if did is not None:
                if r.dispatch_kind != "direct" and r.dispatched_on is not None:
                    clock("D3", r.dispatched_on, to_body, r.accepted_on or (end if finished else None),
                          did)
                if r.accepted_on is not None:
                    rt = route31.route_of(r.klass, route)
                    clock(rt.clock, r.accepted_on, to_body,
                          r.replied_on or (end if finished else None), did)
                    if r.replied_on is not None and r.served_on is not None:
                        window = "D8" if rt.reviewable else "V1"
                        clock(window, r.served_on, None,
                              ((r.served_on if r.rating and window == "V1" else None)
                               if not finished else end), did, owed=True)

            # The timeline as it happened.
            sealed_data = self.data({**batch_data, "line": r.line}, sealed)
            ev = events.append
            received_at = out.dt(r.received_at)
            ev([None, mid, "register", "登记", "", REG, actor, received_at,
                text(f"历史数据导入（{source} 第{r.line}行）", sealed), sealed_data])
            prev = REG
            if r.dispatched_on and r.dispatch_kind != "direct" and r.lead_body is not None:
                label = "交办" if r.dispatch_kind == "assign" else "转送"
                ev([None, mid, r.dispatch_kind, label, prev, DISP, actor, at(r.dispatched_on),
                    text(f"{label}：{r.lead_body.name}", sealed), sealed_data])
                prev = DISP
            if r.accepted_on:
                ev([None, mid, "accept", "受理", prev, HANDLING, actor, at(r.accepted_on),
                    "", sealed_data])
                prev = HANDLING
            if r.replied_on:
                ev([None, mid, "reply", "答复", prev, REPLIED, actor, at(r.replied_on),
                    text(self.outcome_labels.get(r.outcome, ""), sealed), sealed_data])
                prev = REPLIED
            if finished:
                ev([None, mid, "close", "结案", prev, state, actor, closed_at,
                    text(self.closure_labels.get(closure, ""), sealed), sealed_data])
            if r.rating and r.replied_on:
                evaluations.append([None, mid, 0, r.rating, at(r.served_on or r.replied_on,
                                                              EVENING)])
            if state == REPLIED and self.close_on_lapse and any(
                    c[7] and c[12] is None and c[9] < today and not c[11] for c in cl):
                # The petitioner's 复查 window ran out long before the move: the matter closed
                # then, as the sweep would have closed it (local rule, §35).
                lapsed = next(c for c in cl if c[7])
                state = CLOSED
                closure = (st.ClosureKind.ANSWERED.value if lapsed[3] == "V1"
                           else st.ClosureKind.WINDOW_LAPSED.value)
                closed_at, closed_day = at(lapsed[9], EVENING), lapsed[9]
                lapsed[12] = lapsed[9]  # met then; its alert stays as the sweep left it
                ev([None, mid, "close_lapsed", "结案", REPLIED, CLOSED, actor, closed_at,
                    text(f"{lapsed[4]}届满（{lapsed[9]:%Y-%m-%d}）未提出，结案", sealed),
                    self.data(batch_data, sealed)])
            next_due = min((c[9] for c in cl if c[12] is None and not c[7]), default=None)
            all_clocks.extend(cl)
            # What the indicator counters read of the matter (``tally.load``'s fields).
            self.facts[mid] = facts_from({
                "division_path": r.division.path, "holder_id": r.holder.pk,
                "lead_body_id": to_body, "review_body_id": None, "recheck_body_id": None,
                "accused_body_id": r.accused_body.pk if r.accused_body else None,
                "channel": r.channel, "klass": r.klass,
                "category_id": r.category.pk if r.category else None,
                "category__parent_id": r.category.parent_id if r.category else None,
                "headcount": r.headcount, "received_at": r.received_at, "state": state,
                "next_due": next_due,
                "closed_at": datetime.combine(closed_day, EVENING, tz) if closed_day else None,
                "closure_kind": closure, "repeat_kind": self.repeat_kind, "level_skip": False,
                "legal_litigation": False, "route31": route,
                "confidential": r.klass == st.Klass.REPORT, "replied_on": r.replied_on,
                "repeat_of_id": None,
            }, exempt=False, clocks=[ClockFacts(c[3], c[9], c[12], c[6], c[7]) for c in cl
                                     if c[3] in self.tally_codes],
                latest_rating=r.rating if r.rating and r.replied_on else None,
                dispatched_to=(to_body,) if did is not None else ())
            add_matter((
                mid, r.number, code, r.channel, r.number if r.channel == "superior" else "",
                self.channel_details, received_at, received_at, now, r.holder.pk,
                text(r.title, sealed), text(r.request, sealed), text(r.content, sealed),
                r.division.pk, r.division.path, r.category.pk if r.category else None,
                r.klass, route, cipher(r.accused_name),
                r.accused_body.pk if r.accused_body else None, r.collective, r.headcount,
                r.is_anonymous, r.klass == st.Klass.REPORT, state, closure, to_body,
                d_(r.accepted_on), d_(r.replied_on), d_(served), r.outcome, closed_at,
                d_(next_due)))

        # Ids for the children, in the order built (events: the timeline's order).
        add = self.add_petitioner
        for row, pk in zip(pets, bulk.allocate_ids(Petitioner, len(pets)), strict=True):
            row[-1] = pk
            add(row)
        # A clock already overdue when the history comes in fell due under the old system:
        # the sweep marks it 超期 but issues no 督办 for that past (one settled row per clock
        # and kind is the sweep's own once-only guard). A 督查 can still 督办 it by hand.
        settled = []
        add = self.add_clock
        for row, pk in zip(all_clocks, bulk.allocate_ids(Clock, len(all_clocks)), strict=True):
            row[0] = pk
            if row[12] is None and row[13] == OVERDUE:
                settled.append([None, row[1], pk, Supervision.Kind.OVERDUE.value, row[6], now,
                                now, text(OVERDUE_NOTE.format(name=row[4], due=row[9]),
                                          row[1] in sealed_ids)])
            for i in (8, 9, 10, 12):
                row[i] = d_(row[i])
            add(row)
        for rows, model, add in ((events, Event, self.add_event),
                                 (evaluations, Evaluation, self.add_evaluation),
                                 (settled, Supervision, self.add_supervision)):
            for row, pk in zip(rows, bulk.allocate_ids(model, len(rows)), strict=True):
                row[0] = pk
                add(row)


def _codes(n: int) -> list[str]:
    """``n`` query codes of 8 characters from CODE_ALPHABET (32 letters: 5 bits a byte, no
    bias), drawn from the OS's random source like ``secrets.choice``."""
    assert len(CODE_ALPHABET) == 32
    raw = os.urandom(8 * n)
    alpha = CODE_ALPHABET
    return ["".join(alpha[b & 31] for b in raw[i:i + 8]) for i in range(0, 8 * n, 8)]


def write_batch(rows: Sequence[HistoricRow], *, source: str, batch_no: int,
                user: User | None, today: date | None = None,
                loader: Loader | None = None) -> BatchResult:
    """Write ``rows`` in one transaction; numbers already in the database are skipped."""
    loader = loader or Loader(source=source, user=user, today=today or clocks.today())
    for attempt in range(3):
        try:
            done = loader.write(rows, batch_no)
            bulk.analyze_grown(WRITTEN)  # committed: the planner sees the tables grow
            return done
        except IntegrityError:
            # A query code drawn twice or a number registered meanwhile: the batch rolled
            # back whole; draw again and skip what is in now. One pair of codes collides with
            # odds 1 in 32^8 ≈ 1.1·10^12, but a batch of 5,000 into 1,000,000 matters meets
            # one of them with odds ~1 in 220 (a 1M import stopped on it, 2026-12-08).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _advance_counters(rows: Sequence[HistoricRow]) -> None:
    """Imported numbers in our own format move the county's sequence past them, so the next
    registration of that year does not collide with a historic number."""
    top: dict[str, int] = {}
    for r in rows:
        hit = OWN_NUMBER.match(r.number)
        if hit:
            key = f"matter:{hit.group(1)}:{hit.group(2)}"
            top[key] = max(top.get(key, 0), int(hit.group(3)))
    for key in sorted(top):  # one order for every writer: no deadlock between batches
        value = top[key]
        c, _ = Counter.objects.select_for_update().get_or_create(key=key)
        if c.value < value:
            c.value = value
            c.save(update_fields=["value"])
