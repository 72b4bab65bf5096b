"""One state-machine transition: check, effect, state, event, audit row — in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from xinfang.audit import services as audit
from xinfang.core.i18n import source_language
from xinfang.domain import states as st
from xinfang.domain.routing import ROUTING_ACTS
from xinfang.org.models import Body, User

from .. import clocks, routing
from ..models import (
    Clock,
    Matter,
)
from .actors import actor_for, facts_for
from .effects_handling import (
    _fx_approve_extension,
    _fx_mediate,
    _fx_rate_satisfied,
    _fx_rate_unsatisfied,
    _fx_reply,
    _fx_request_extension,
    _fx_request_redo,
    _fx_withdraw,
)
from .effects_hearing import _fx_end_hearing, _fx_start_hearing
from .effects_intake import (
    REPORT_CODES,
    _fx_accept,
    _fx_accept_direct,
    _fx_assign,
    _fx_channel,
    _fx_forward,
    _fx_inform,
    _fx_not_accept,
    _fx_object,
    _fx_refer_discipline,
    _fx_refer_pl,
    _fx_reject_objection,
    _fx_sign,
    _fx_uphold_objection,
)
from .effects_review import (
    _fx_close_answered,
    _fx_close_lapsed,
    _fx_issue_recheck,
    _fx_issue_review,
    _fx_order_redo_recheck,
    _fx_order_redo_review,
    _fx_reject_review,
    _fx_request_recheck,
    _fx_request_review,
)
from .records import record_event as _event

# --------------------------------------------------------------------------- transitions


def transition(
    matter: Matter,
    name: str,
    *,
    user: User | None = None,
    data: Mapping[str, Any] | None = None,
    citizen: bool = False,
    system: bool = False,
    on: date | None = None,
) -> Matter:
    """Carry out one state-machine transition, or raise a DomainError saying why not."""
    data = dict(data or {})
    with transaction.atomic():
        matter = Matter.objects.select_for_update(of=("self",)).select_related(
            "holder__division", "lead_body", "division").get(pk=matter.pk)
        actor = actor_for(user, matter, citizen=citizen, system=system)
        facts = facts_for(matter, name)
        if "to_body" in data and isinstance(data["to_body"], Body):
            data["to_body_obj"] = data["to_body"]
            data["to_body"] = data["to_body"].pk
        if name in ROUTING_ACTS:  # §22 ¶1–2, §30 ¶3: where the matter may be sent
            src, targets, shielded = routing.route_facts(matter, data)
            facts = replace(facts, from_body=src, targets=targets, shielded_body_ids=shielded)
        t = st.check(name, state=st.State(matter.state), actor=actor, facts=facts, data=data)
        old = matter.state
        before = _snapshot(matter)
        today = on or clocks.today()
        effect = _EFFECTS.get(name)
        with source_language():  # notes and document snapshots are records: Chinese
            note = effect(matter, user, data, today) if effect else ""
        matter.state = t.target.value
        if t.closure is not None:
            matter.closure_kind = t.closure.value
            matter.closed_at = timezone.now()
        if t.target in (st.State.FINAL, st.State.CLOSED):
            matter.closed_at = matter.closed_at or timezone.now()
        changed = [f for f, v in _snapshot(matter).items() if before[f] != v]
        matter.save(update_fields=[*changed, "updated_at"])
        # The system's act on a person's confirmation (confirm_lapse) is recorded under the name.
        label = "信访人" if citizen else ("系统" if system and user is None else "")
        _event(matter, name, t.label, old, t.target, user, label, note=note or str(data.get("reason", "")),
               public=t.public, data=_public_data(data))
        audit_data = {"from": old, "to": t.target.value, **_public_data(data)}
        if matter.seals_text:  # a confidential matter's names stay out of the audit log
            from ..redaction import of_matter

            audit_data = of_matter(matter).data(audit_data)
        audit.record(name, actor=user, actor_label=label, object_type="matter",
                     object_id=matter.pk, matter_id=matter.pk, data=audit_data)
        if t.closure is not None or t.target == st.State.FINAL:
            # A closed matter owes nothing more, except a 交办's 办结报告 (D5 and its 三色
            # feedback clock, §22 ¶1 (3)), met only by submit_report, and the carrying out
            # of a supported opinion (F1, §32 ¶2), met by record_implementation; the
            # petitioner's windows stay for 复查 logic.
            Clock.objects.filter(matter=matter, met_on__isnull=True,
                                        owed_by_petitioner=False).exclude(
                code__in=(*REPORT_CODES, "F1")).update(met_on=today)
        matter.next_due = clocks.refresh_next_due(matter.pk)
    return matter


_TRACKED = [f.attname for f in Matter._meta.concrete_fields if f.attname not in ("id", "updated_at")]


def _snapshot(matter: Matter) -> dict[str, Any]:
    return {f: getattr(matter, f) for f in _TRACKED}


def _public_data(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k.endswith("_obj") or k == "assist_bodies":
            continue
        out[k] = v.isoformat() if isinstance(v, date) else v
    return out


_EFFECTS = {
    "forward": _fx_forward,
    "assign": _fx_assign,
    "refer_political_legal": _fx_refer_pl,
    "refer_discipline": _fx_refer_discipline,
    "inform_elsewhere": _fx_inform,
    "not_accept": _fx_not_accept,
    "sign": _fx_sign,
    "object": _fx_object,
    "uphold_objection": _fx_uphold_objection,
    "reject_objection": _fx_reject_objection,
    "accept": _fx_accept,
    "accept_direct": _fx_accept_direct,
    "channel": _fx_channel,
    "request_extension": _fx_request_extension,
    "approve_extension": _fx_approve_extension,
    "reply": _fx_reply,
    "mediate": _fx_mediate,
    "rate_satisfied": _fx_rate_satisfied,
    "rate_unsatisfied": _fx_rate_unsatisfied,
    "request_redo": _fx_request_redo,
    "request_review": _fx_request_review,
    "reject_review": _fx_reject_review,
    "reject_recheck": _fx_reject_review,
    "issue_review": _fx_issue_review,
    "request_recheck": _fx_request_recheck,
    "start_hearing": _fx_start_hearing,
    "end_hearing": _fx_end_hearing,
    "issue_recheck": _fx_issue_recheck,
    "order_redo_review": _fx_order_redo_review,
    "order_redo_recheck": _fx_order_redo_recheck,
    "close_lapsed": _fx_close_lapsed,
    "close_answered": _fx_close_answered,
    "withdraw": _fx_withdraw,
}

