"""`xinfang bench`: bulk-load N matters, then time registration and the hot read paths.

The load is a bulk path (bulk_create in batches) with the shape of a real desk: three years
of intake weighted to recent months, about a fifth still open, the open ones spread over the
states with the deadlines the clocks would have given them. Registration is timed through the real services.register.
"""

from __future__ import annotations

import random
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xinfang.demo.county import County
from xinfang.domain import idcard, limits
from xinfang.domain.states import State
from xinfang.org.models import User
from xinfang.petitions import clocks, services
from xinfang.petitions.models import (
    Channel,
    Clock,
    Dispatch,
    Event,
    Matter,
    Petitioner,
)
from xinfang.petitions.queries import matter_page_data, queue_page, search_page

from .content import load_messages
from .seed import GIVEN, SURNAMES

S = State
BATCH = 5000
YEARS = 3  # intake spread: the open share stays realistic whatever N is


@dataclass
class Shape:
    state: State
    due_after: int | None  # next_due = received + this many days (None: no body clock open)


def _shape(age: int, r: random.Random) -> Shape:
    """State of a matter received ``age`` days ago (a typical county desk)."""
    def pick(opts: list[tuple[Shape, int]]) -> Shape:
        return r.choices([o for o, _ in opts], [w for _, w in opts])[0]
    if age < 5:
        return pick([(Shape(S.REGISTERED, 15), 55), (Shape(S.DISPATCHED, 18), 45)])
    if age < 15:
        return pick([(Shape(S.DISPATCHED, 18), 20), (Shape(S.SIGNED, 18), 10),
                     (Shape(S.HANDLING, 65), 65), (Shape(S.REGISTERED, 15), 5)])
    if age < 60:
        return pick([(Shape(S.HANDLING, 65), 72), (Shape(S.EXTENSION_PENDING, 65), 3),
                     (Shape(S.REPLIED, None), 22), (Shape(S.OBJECTED, None), 1),
                     (Shape(S.DISPATCHED, 18), 2)])
    if age < 100:
        return pick([(Shape(S.REPLIED, None), 35), (Shape(S.HANDLING, 95), 12),
                     (Shape(S.HANDLING, 65), 3), (Shape(S.REVIEW_REQUESTED, 110), 8),
                     (Shape(S.REVIEWED, None), 4), (Shape(S.RECHECK_REQUESTED, 140), 3),
                     (Shape(S.RECHECK_HEARING, None), 1), (Shape(S.CLOSED, None), 34)])
    return pick([(Shape(S.CLOSED, None), 86), (Shape(S.FINAL, None), 2),
                 (Shape(S.ARCHIVED, None), 11), (Shape(S.HANDLING, 65), 1)])


DISPATCHED_STATES = {S.DISPATCHED, S.SIGNED, S.OBJECTED, S.HANDLING, S.EXTENSION_PENDING,
                     S.REPLIED, S.REVIEW_REQUESTED, S.REVIEWED, S.RECHECK_REQUESTED,
                     S.RECHECK_HEARING, S.FINAL, S.CLOSED, S.ARCHIVED}
DSTATE = {S.DISPATCHED: "pending", S.SIGNED: "signed", S.OBJECTED: "objected"}
CHANNELS = [Channel.ONLINE] * 34 + [Channel.VISIT] * 20 + [Channel.LETTER] * 15 + \
    [Channel.PHONE] * 15 + [Channel.QR] * 8 + [Channel.SUPERIOR] * 6 + [Channel.FAX] * 2


def bulk_load(c: County, n: int, *, seed: int = 7, log: Callable[[str], None] = print) -> None:
    r = random.Random(seed)
    msgs = load_messages()
    now = timezone.now()
    today = timezone.localdate()
    leads = [*c.departments.values(), *c.township_govs]
    weights = [6 if b.short_name in ("住建", "人社", "城管") else 2 for b in leads]
    leads_w = r.choices(leads, weights, k=997)
    officer = c.users["officer"]
    registrar = c.users["registrar"]
    cats = [cc for code, cc in c.categories.items() if len(code) == 4]
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        matters: list[Matter] = []
        shapes: list[Shape] = []
        for i in range(start, start + size):
            age = int(r.triangular(0, 365 * YEARS, 0)) if r.random() < 0.9 else r.randrange(0, 120)
            received = now - timedelta(days=age, hours=r.randrange(0, 10))
            sh = _shape(age, r)
            msg = msgs[i % len(msgs)]
            lead = leads_w[i % len(leads_w)] if sh.state in DISPATCHED_STATES else None
            review = sh.state in (S.REVIEW_REQUESTED, S.REVIEWED, S.RECHECK_REQUESTED,
                                  S.RECHECK_HEARING, S.FINAL)
            due = (timezone.localdate(received) + timedelta(days=sh.due_after + r.randint(-3, 3))
                   if sh.due_after is not None else None)
            village = c.villages[i % len(c.villages)]
            matters.append(Matter(
                number=f"9901211999{i:06d}", query_code=f"B{i:07d}",
                channel=CHANNELS[i % len(CHANNELS)], received_at=received,
                registered_by=registrar, holder=c.xinfang, title=msg.title, request=msg.title,
                content=msg.content, division=village, division_path=village.path,
                category=r.choice(cats), klass="appeal", state=sh.state.value, lead_body=lead,
                review_body=c.gov if review else None,
                recheck_body=c.city_gov if sh.state in (S.RECHECK_REQUESTED, S.RECHECK_HEARING,
                                                         S.FINAL) else None,
                next_due=due,
                closed_at=received + timedelta(days=80) if sh.state in (
                    S.CLOSED, S.FINAL, S.ARCHIVED) else None,
                closure_kind="window_lapsed" if sh.state == S.CLOSED else "",
            ))
            shapes.append(sh)
        with transaction.atomic():
            Matter.objects.bulk_create(matters)
            pets, disps, clks, evs = [], [], [], []
            for m, sh in zip(matters, shapes, strict=True):
                name = r.choice(SURNAMES) + r.choice(GIVEN) + r.choice(GIVEN)
                idn = idcard.make(f"990121{r.randint(1950, 2000)}0{r.randint(1, 9)}1{r.randint(0, 8)}"
                                  f"{r.randrange(1000):03d}")
                phone = f"13{r.randrange(10**9):09d}"
                # The blind indexes derive themselves (BlindIndexField.pre_save).
                pets.append(Petitioner(matter=m, name=name, id_number=idn, phone=phone,
                                       is_lead=True))
                recv = timezone.localdate(m.received_at)
                evs.append(Event(matter=m, action="register", label="登记", to_state="registered",
                                 actor=registrar, actor_body=c.xinfang, at=m.received_at))
                clks.append(Clock(matter=m, code="D1", name="信访部门处理", body=c.xinfang,
                                  started_on=recv, due_on=recv + timedelta(days=15),
                                  unextended_on=recv + timedelta(days=15),
                                  met_on=None if sh.state == S.REGISTERED else recv + timedelta(days=2)))
                if m.lead_body is not None:
                    at = m.received_at + timedelta(days=2)
                    disps.append(Dispatch(matter=m, kind="forward", from_body=c.xinfang,
                                          to_body=m.lead_body, state=DSTATE.get(sh.state, "accepted"),
                                          number=f"安信〔1999〕{m.pk}号", dispatched_at=at,
                                          dispatched_by=officer))
                    evs.append(Event(matter=m, action="forward", label="转送", from_state="registered",
                                     to_state="dispatched", actor=officer, actor_body=c.xinfang, at=at))
                    if sh.state not in (S.DISPATCHED, S.OBJECTED):
                        evs.append(Event(matter=m, action="accept", label="受理并告知",
                                         from_state="signed", to_state="handling",
                                         actor_body=m.lead_body, at=at + timedelta(days=3)))
                        d6 = recv + timedelta(days=65)
                        clks.append(Clock(matter=m, code="D6", name="办理", body=m.lead_body,
                                          started_on=recv + timedelta(days=5), due_on=d6,
                                          unextended_on=d6,
                                          met_on=None if m.next_due else min(d6, today)))
                if m.next_due and sh.state not in (S.REGISTERED, S.HANDLING, S.EXTENSION_PENDING):
                    clks.append(Clock(matter=m, code="D3", name="受理告知", body=m.lead_body or c.gov,
                                      started_on=recv, due_on=m.next_due, unextended_on=m.next_due))
                if m.closed_at:
                    evs.append(Event(matter=m, action="close_lapsed", label="期限届满结案",
                                     from_state="replied", to_state=sh.state.value,
                                     actor_label="系统", at=m.closed_at))
            Petitioner.objects.bulk_create(pets, batch_size=2000)
            Dispatch.objects.bulk_create(disps, batch_size=2000)
            Clock.objects.bulk_create(clks, batch_size=2000)
            Event.objects.bulk_create(evs, batch_size=2000)
        log(f"  loaded {start + size}/{n}")
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("ANALYZE")
        else:
            # VACUUM as autovacuum would soon after a bulk load: it sets the visibility map,
            # without which PostgreSQL cannot answer a count from an index alone.
            cur.execute("VACUUM ANALYZE")


def _pct(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"p50": round(statistics.median(s), 2),
            "p95": round(s[min(len(s) - 1, int(len(s) * 0.95))], 2)}


def timed(fn: Callable[[], Any], repeat: int, *, count_queries: bool = True) -> dict[str, Any]:
    fn()  # warm caches (rules, calendar, prepared statements)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    out: list[float] = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    if not count_queries:  # a request resets the query log; tests pin page query counts
        return _pct(out)
    return {**_pct(out), "queries": len(ctx.captured_queries)}


def time_registrations(c: County, n: int) -> float:
    """Registrations per second as ``bench-intake`` counts them: after three untimed ones
    (the process builds its same-matter index on its first registration, seconds at 20k,
    which 500 timed registrations would otherwise carry), and over the registrations' time
    plus the worker draining the deliveries they queued (the peer's creation sends its
    e-mail inside the request)."""
    from .intake_bench import drain_queue

    r = random.Random(11)
    user = c.users["registrar"]
    village = c.villages[0]
    msgs = load_messages()[:200]
    for i in range(-3, n):
        if i == 0:
            drain_queue()  # the warm-up's deliveries
            t = time.perf_counter()
        m = msgs[i % len(msgs)]
        idn = idcard.make(f"99012119{r.randint(50, 99)}0{r.randint(1, 9)}1{r.randint(0, 8)}"
                          f"{r.randrange(1000):03d}")
        services.register(services.Registration(
            channel=Channel.VISIT, title=m.title, request=m.title, content=m.content,
            division=village, received_at=timezone.now(), category=c.categories.get(m.category),
            petitioners=[services.PetitionerIn(name="王某", id_number=idn,
                                               phone=f"139{r.randrange(10**8):08d}")],
        ), holder=c.xinfang, user=user)
    drain_queue()
    return n / (time.perf_counter() - t)


def explain_queue(user: User) -> tuple[bool, str]:
    """The queue's SQL plan, and whether every part of it is an index search."""
    from xinfang.petitions import queries

    sql, params = queries._parts(user, queries.TABS["all"], clocks.today(), 51)
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cur:
        cur.execute(prefix + sql, params)
        plan = "\n".join(" ".join(str(x) for x in row) for row in cur.fetchall())
    if connection.vendor == "sqlite":
        bad = [ln for ln in plan.splitlines() if "SCAN petitions_matter" in ln
               and "USING" not in ln]
    else:
        bad = [ln for ln in plan.splitlines() if "Seq Scan on petitions_matter" in ln]
    return not bad, plan


def run_bench(c: County, n: int, *, repeat: int, registrations: int,
              log: Callable[[str], None]) -> dict[str, Any]:
    t0 = time.perf_counter()
    bulk_load(c, n, log=log)
    load_s = time.perf_counter() - t0
    out: dict[str, Any] = {"bench": "core", "matters": n, "db": connection.vendor,
                           "load_s": round(load_s, 1)}
    out.update(time_reads(c.users["handler"], c.users["officer"], repeat=repeat, log=log))
    out["register_per_s"] = round(time_registrations(c, registrations), 1)
    out["registrations"] = registrations
    out["register_http_ms"] = time_registration_http(c, max(10, registrations // 10))
    return out


def time_registration_http(c: County, n: int) -> dict[str, Any]:
    """A 走访 registration through the whole web request (issue 19 item 6): ``POST
    /register/`` as the registrar — middleware, session and second factor, the form and its
    choice lists, the category suggestion, the service, the receipt's message — to the
    redirect to the new matter's page (not followed). Each with a new petitioner."""
    r = random.Random(13)
    web = _client(c.users["registrar"])
    msgs = load_messages()[:200]
    category = c.categories.get(msgs[0].category)

    def post(i: int) -> None:
        m = msgs[i % len(msgs)]
        idn = idcard.make(f"99012119{r.randint(50, 99)}0{r.randint(1, 9)}1{r.randint(0, 8)}"
                          f"{r.randrange(1000):03d}")
        data = {"channel": "visit", "headcount": "1",
                "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "title": m.title[:limits.TITLE_MAX], "request": m.title[:limits.REQUEST_MAX],
                "content": m.content[:limits.CONTENT_MAX], "division": c.villages[0].code,
                "category": category.pk if category else "", "klass": "appeal",
                "p0_name": "王某", "p0_id_number": idn,
                "p0_phone": f"139{r.randrange(10**8):08d}"}
        response = web.post("/register/", data)
        if response.status_code != 302:
            raise RuntimeError(f"POST /register/ answered {response.status_code}")
        # The browser shows the receipt's messages on the page it is sent to, which empties
        # their cookie; unread, they would pile up and spill into the session.
        web.cookies.pop("messages", None)

    out: list[float] = []
    for i in range(-3, n):  # three untimed: the process's first form, index, classifier
        t = time.perf_counter()
        post(i)
        if i >= 0:
            out.append((time.perf_counter() - t) * 1000)
    return _pct(out)


SEARCH_TERMS = ("物业", "电梯", "停车费", "高空抛物噪音")


def time_reads(handler: User, officer: User, *, repeat: int,
               log: Callable[[str], None]) -> dict[str, Any]:
    """The read paths, timed ``repeat`` times each on whatever the database holds."""
    clocks.invalidate()
    ok, plan = explain_queue(officer)
    ok_h, plan_h = explain_queue(handler)
    log("EXPLAIN queue (信访局 officer):\n" + plan + "\nEXPLAIN queue (handler):\n" + plan_h)
    ids = list(Matter.objects.values_list("id", flat=True))
    rng = random.Random(3)
    out: dict[str, Any] = {
        "open": Matter.objects.exclude(state__in=["closed", "final", "archived"]).count(),
        "queue_handler_ms": timed(lambda: queue_page(handler, "all", 1), repeat),
        "queue_officer_ms": timed(lambda: queue_page(officer, "all", 1), repeat),
        "queue_officer_overdue_ms": timed(lambda: queue_page(officer, "overdue", 1), repeat),
        # The queue's SQL alone (the ids of the first page), without building the rows.
        "queue_sql_officer_ms": timed(lambda: _queue_sql(officer), repeat),
        "queue_sql_handler_ms": timed(lambda: _queue_sql(handler), repeat),
        "matter_page_ms": timed(lambda: matter_page_data(officer, rng.choice(ids)), repeat),
        "search_ms": timed(lambda: search_page(officer, "物业", 1), repeat),
        "queue_uses_index": ok and ok_h,
    }
    # Keyword search across how common the term is: frequent, middling, and no match at all
    # (the case the PostgreSQL bigram index is for; docs/benchmarks.md).
    users = {"officer": officer, "handler": handler}
    out["search_terms_ms"] = {
        f"{term}/{role}": timed(lambda t=term, u=u: search_page(u, t, 1), max(5, repeat // 5))
        for term in SEARCH_TERMS for role, u in users.items()}
    # Server time of the real pages (issue 3: p95 ≤ 100 ms at 100k), through Django's full
    # request stack: middleware, session, access checks, templates.
    web_officer, web_handler = _client(officer), _client(handler)
    out["queue_page_http_ms"] = timed(lambda: _get(web_officer, "/"), repeat,
                                      count_queries=False)
    out["queue_page_handler_http_ms"] = timed(lambda: _get(web_handler, "/"), repeat,
                                              count_queries=False)
    out["matter_page_http_ms"] = timed(
        lambda: _get(web_officer, f"/matters/{rng.choice(ids)}/"), repeat, count_queries=False)
    # The figures the peer's harness has too (issue 19 item 6): search and the dashboard over
    # HTTP, the statistics query (count per state and per holder, the peer's stats_path),
    # and the process's peak memory.
    out["search_http_ms"] = timed(lambda: _get(web_officer, "/search/?q=物业"),
                                  max(5, repeat // 5), count_queries=False)
    out["dashboard_http_ms"] = timed(lambda: _get(web_officer, "/dashboard/"),
                                     max(5, repeat // 10), count_queries=False)
    out["stats_ms"] = timed(lambda: _statistics(officer), max(5, repeat // 10))
    out["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _statistics(user: User) -> None:
    """Matters per state and per holding body that ``user`` may see: the same question as the
    peer's stats_path, answered from the census counters the services keep
    (``petitions.census``; issue 19 item 3). Counting the rows instead was two index-only
    scans of every matter (``COUNT(*) … GROUP BY state`` and ``… GROUP BY holder_id``:
    308 and 293 ms at 1,000,000 matters, docs/benchmarks.md)."""
    from xinfang.petitions import census

    census.statistics(user)


def _queue_sql(user: User) -> None:
    from xinfang.petitions import queries

    sql, params = queries._parts(user, queries.TABS["all"], clocks.today(), 51)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        cur.fetchall()


def scaling_summary(sizes: list[int], rounds: list[dict[int, dict[str, Any]]]
                    ) -> dict[str, Any]:
    """Median over interleaved rounds of each size's p95, and the largest ÷ smallest ratio.

    Rounds alternate the sizes (A B, B A, A B …) in fresh processes, so a machine whose speed
    drifts (shared vCPUs) slows both sizes alike instead of skewing the ratio.
    """
    keys = ["queue_handler_ms", "queue_officer_ms", "queue_officer_overdue_ms",
            "queue_sql_handler_ms", "queue_sql_officer_ms", "matter_page_ms",
            "queue_page_http_ms", "queue_page_handler_http_ms", "matter_page_http_ms"]
    out: dict[str, Any] = {"bench": "core-scaling", "sizes": sizes, "rounds": len(rounds),
                           "p95_ms": {}, "ratio_p95": {}}
    lo, hi = min(sizes), max(sizes)
    for key in [k for k in keys if all(k in r[n] for r in rounds for n in sizes)]:
        med = {n: round(statistics.median(r[n][key]["p95"] for r in rounds), 2) for n in sizes}
        out["p95_ms"][key] = med
        out["ratio_p95"][key] = round(med[hi] / med[lo], 2)
    return out


def _client(user: User) -> Any:
    from xinfang.demo.county import logged_in_client

    return logged_in_client(user)  # with the second factor, as a real log-in


def _get(client: Any, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")


def now_iso() -> str:
    return datetime.now(tz=timezone.get_current_timezone()).isoformat(timespec="seconds")



