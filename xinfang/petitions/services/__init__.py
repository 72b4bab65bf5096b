"""Every write to a matter: one transaction, the domain's permission, an event and an audit row.

Views and the API validate input, then call ``register`` or ``transition`` (or one of the
non-state acts). Nothing else saves these models. The package is split by use case:

- ``registration``: validation, the repeat link, ``register`` (§19–§23);
- ``actors``: the actor's roles and scopes on a matter, the guards' facts;
- ``transitions``: ``transition`` — check, effect, state, event, audit;
- ``effects_intake`` / ``effects_handling`` / ``effects_review``: what each transition does;
- ``unit_acts``: 办结报告, 督办, 协办, identity reveal (declared in ``xinfang.domain.acts``);
- ``urgent``: 重大紧急 (§25): declaration, measures, reports sent, the sweep's flag;
- ``online``: 网上信访, the one submission use case of the portal and the public API;
- ``follow_up``: 回访 after an answer, and a rating given in it (issue 16 item 2);
- ``correction``: the registering body corrects a registration (issue 16 item 4);
- ``lapse``: a supervisor confirms a petitioner's window lapsed on an estimated date;
- ``records``: numbers, documents, timeline events.

This module re-exports the public names, so ``from xinfang.petitions import services`` and
``services.transition(...)`` keep working.
"""

from __future__ import annotations

from .actors import (
    actor_for,
    allowed_actions,
    citizen_choices,
    current_lead_dispatch,
    facts_for,
)
from .cadre_notice import may_notify_personnel, notify_personnel
from .correction import Correction, correct_registration, may_correct, registration_corrected
from .effects_intake import REPORT_CODES
from .follow_up import FollowUpIn, awaiting_follow_up, record_follow_up
from .handlers import assign_handler, record_implementation, recuse
from .lapse import confirm_lapse
from .online import (
    OnlineSubmission,
    Submitted,
    register_once,
    submit_online,
    xinfang_office_for,
)
from .oversight import OVERSIGHT_ACTS, oversight_act
from .records import (
    _event,
    doc_number,
    issue_document,
    matter_number,
    new_query_code,
    next_number,
    record_event,
)
from .registration import (
    AFTER_REPLY_STATES,
    ESCALATE_NOTE,
    MAX_REPRESENTATIVES,
    PetitionerIn,
    Registration,
    ValidationFailed,
    find_repeats,
    is_after_reply,
    matter_registered,
    register,
    validate_registration,
)
from .transitions import transition
from .unit_acts import (
    assist_object,
    assist_reply,
    assist_sign,
    log_identity_view,
    submit_report,
    supervise,
)
from .urgent import (
    URGENT_ACTS,
    declare_urgent,
    flag_overdue,
    mark_report_sent,
    record_measure,
    urgent_act,
)

__all__ = [
    "AFTER_REPLY_STATES",
    "ESCALATE_NOTE",
    "MAX_REPRESENTATIVES",
    "OVERSIGHT_ACTS",
    "REPORT_CODES",
    "URGENT_ACTS",
    "Correction",
    "FollowUpIn",
    "OnlineSubmission",
    "PetitionerIn",
    "Registration",
    "Submitted",
    "ValidationFailed",
    "_event",
    "actor_for",
    "allowed_actions",
    "assign_handler",
    "assist_object",
    "assist_reply",
    "assist_sign",
    "awaiting_follow_up",
    "citizen_choices",
    "confirm_lapse",
    "correct_registration",
    "current_lead_dispatch",
    "declare_urgent",
    "doc_number",
    "facts_for",
    "find_repeats",
    "flag_overdue",
    "is_after_reply",
    "issue_document",
    "log_identity_view",
    "mark_report_sent",
    "matter_number",
    "matter_registered",
    "may_correct",
    "may_notify_personnel",
    "new_query_code",
    "next_number",
    "notify_personnel",
    "oversight_act",
    "record_event",
    "record_follow_up",
    "record_implementation",
    "record_measure",
    "recuse",
    "register",
    "register_once",
    "registration_corrected",
    "submit_online",
    "submit_report",
    "supervise",
    "transition",
    "urgent_act",
    "validate_registration",
    "xinfang_office_for",
]
