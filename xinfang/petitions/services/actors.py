"""Who the actor is on one matter: roles and scopes for the state machine (§9)."""

from __future__ import annotations

from django.conf import settings

from xinfang.domain import deadlines as dl
from xinfang.domain import route31
from xinfang.domain import states as st
from xinfang.org.models import User

from .. import clocks, routing
from ..models import (
    Dispatch,
    Matter,
)

# --------------------------------------------------------------------------- actors & scopes


def actor_for(user: User | None, matter: Matter, *, citizen: bool = False,
              system: bool = False) -> st.Actor:
    if system:
        return st.Actor(frozenset({st.Role.SYSTEM}), frozenset({st.Scope.SYSTEM}))
    if citizen:
        return st.Actor(frozenset({st.Role.CITIZEN}), frozenset({st.Scope.PETITIONER}))
    if user is None or user.body_id is None:
        return st.Actor(frozenset(), frozenset())
    body_id = user.body_id
    if matter.is_report and matter.accused_body_id == body_id:
        return st.Actor(frozenset(), frozenset())  # §30 ¶3: the accused has no hand in it
    if user.pk in (matter.recused_ids or ()):
        return st.Actor(frozenset(), frozenset())  # §28 ¶3: 回避
    scopes: set[st.Scope] = set()
    if matter.holder_id == body_id:
        scopes.add(st.Scope.HOLDER)
        if matter.holder.handles_directly and matter.state == st.State.REGISTERED:
            scopes.add(st.Scope.DIRECT_BODY)  # §23 ¶1–2
    if matter.lead_body_id == body_id:
        scopes.add(st.Scope.LEAD_UNIT)
    lead = current_lead_dispatch(matter)
    if lead is not None and lead.from_body_id == body_id:
        scopes.add(st.Scope.DISPATCHER)
    if matter.review_body_id == body_id:
        scopes.add(st.Scope.REVIEW_BODY)
    if matter.recheck_body_id == body_id:
        scopes.add(st.Scope.RECHECK_BODY)
    return st.Actor(frozenset({st.Role(user.role)}), frozenset(scopes))


def current_lead_dispatch(matter: Matter) -> Dispatch | None:
    cache = vars(matter)  # the instance's own attributes: the lead dispatch once looked up
    if "_lead_dispatch" in cache:
        cached: Dispatch | None = cache["_lead_dispatch"]
        return cached
    d = (matter.dispatches.filter(role=Dispatch.Role.LEAD)
         .exclude(state__in=[Dispatch.DState.RETURNED, Dispatch.DState.REFERRED])
         .order_by("-dispatched_at", "-id").first())
    matter._lead_dispatch = d  # type: ignore[attr-defined]
    return d


def facts_for(matter: Matter, name: str | None = None) -> st.Facts:
    """The facts the guards read. With ``name``, only what that transition's guards need
    is queried (each window is one query; most transitions need none)."""
    today = clocks.today()

    def window(code: str, *, lead_only: bool = False) -> bool:
        qs = matter.clocks.filter(code=code)
        if lead_only:
            lead = current_lead_dispatch(matter)
            if lead is None:
                return True
            qs = qs.filter(dispatch=lead)
        row = qs.order_by("-id").values_list("due_on", "estimated", "owed_by_petitioner").first()
        if row is None:
            return True
        due, estimated, petitioners = row
        # A petitioner's window past an estimated end is still open (issue 13 item 4).
        return dl.window_open(due, today, estimated) if petitioners else today <= due

    need = {
        None: {"object", "review", "recheck", "rated"},
        "object": {"object"},
        "request_review": {"review"},
        "request_recheck": {"recheck"},
        "rate_satisfied": {"rated"},
        "rate_unsatisfied": {"rated"},
        "request_redo": {"rated"},
    }.get(name, set())
    rating = (matter.evaluations.filter(round=matter.redo_count).values_list("rating", flat=True)
              .first() if "rated" in need else None)
    return st.Facts(
        klass=st.Klass(matter.klass),
        legal_litigation=matter.legal_litigation,
        accused_body_id=matter.accused_body_id,
        extension_used=matter.extension_used,
        objection_window_open=window("D4", lead_only=True) if "object" in need else True,
        objection_refused=("object" in need and (lead := current_lead_dispatch(matter)) is not None
                           and bool(lead.objection_reason)),
        review_window_open=window("D8") if "review" in need else True,
        recheck_window_open=window("D10") if "recheck" in need else True,
        rated_this_round=rating is not None,
        rated_unsatisfied=rating == "unsatisfied",
        replied=matter.served_on is not None,
        reviewable=route31.route_of(matter.klass, matter.route31).reviewable,
        closure=matter.closure_kind or "",
        lapsed_window=("D10" if matter.review_served_on else "D8")
        if matter.closure_kind == st.ClosureKind.WINDOW_LAPSED else "",
        redo_allowed=bool(settings.XINFANG_REVIEW_RULES["redo_on_unsatisfied"]),
    )


# Transitions whose guards need no input from the person: not offered once a guard refuses
# (issue 16 item 5: 退回 after its 5-working-day window, or once the forwarder refused it).
OFFER_GUARDED = frozenset({"object"})


def allowed_actions(user: User | None, matter: Matter) -> list[st.Transition]:
    """The acts the user may take now. An act that sends the matter to another body is not
    offered when there is no body it may go to (e.g. 转送 by a unit with no lower body of its
    own system, §23 ¶1): both doors would otherwise offer an empty list. Nor is an act whose
    input-free guard refuses it (``OFFER_GUARDED``: 退回 after its window)."""
    acts = st.allowed(st.State(matter.state), actor_for(user, matter))
    for t in [t for t in acts if t.name in OFFER_GUARDED]:
        facts = facts_for(matter, t.name)
        if any(guard(facts, {}) is not None for guard in t.guards):
            acts.remove(t)
    if not any("to_body" in t.required for t in acts):
        return acts
    bodies = list(routing.active_bodies())
    return [t for t in acts
            if "to_body" not in t.required or routing.permitted_bodies(matter, t.name, bodies)]



def citizen_choices(matter: Matter) -> set[str]:
    """What the petitioner may do on the matter now, with the guards that need no input
    already applied (a late 复查/复核 request stays offered: it needs a 正当理由)."""
    actor = actor_for(None, matter, citizen=True)
    facts = facts_for(matter)
    probe = {"late_reason": "…"}
    return {t.name for t in st.allowed(st.State(matter.state), actor)
            if all(guard(facts, probe) is None for guard in t.guards)}
