"""The petition matter's state machine (procedure.md §9), declared as data.

Plain Python: no Django. The service layer builds an :class:`Actor` (roles held and the
scopes the actor has on *this* matter) and a :class:`Facts` snapshot, and asks
:func:`check` whether a transition may happen. Every refusal is a :class:`DomainError`
with a Chinese message; nothing is ever silently skipped. The vocabulary (states, roles,
scopes, outcomes, facts) is in ``vocab``, the guards in ``guards``; both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from xinfang.domain.i18n import gettext_noop

from .errors import Forbidden, GuardFailed, IllegalTransition, MissingFields
from .guards import (
    OUTCOMES_BY_KLASS,
    Guard,
    _both_consent,
    _changed_names_outcome,
    _chose_redo,
    _extension_unused,
    _has_reply,
    _hearing_requester_known,
    _late_after_lapse,
    _not_litigation,
    _not_rated,
    _not_to_accused,
    _objection_in_time,
    _orders_redo,
    _reason_known,
    _recheck_in_time,
    _reply_outcome_fits,
    _review_in_time,
    _route_1_to_4,
    _route_fits,
    _routed,
)
from .vocab import (
    CLOSURE_LABELS,
    KLASS_LABELS,
    NO_LONGER_ACCEPTED,
    NOT_ACCEPTED_REASONS,
    OPEN_STATES,
    OUTCOME_LABELS,
    REVIEW_OUTCOME_LABELS,
    ROLE_LABELS,
    STATE_LABELS,
    Actor,
    ClosureKind,
    Facts,
    Klass,
    ReplyOutcome,
    ReviewOutcome,
    Role,
    Scope,
    State,
)

__all__ = [
    "CLOSURE_LABELS",
    "DIRECT",
    "KLASS_LABELS",
    "NOT_ACCEPTED_REASONS",
    "NO_LONGER_ACCEPTED",
    "ON_BEHALF",
    "OPEN_STATES",
    "OUTCOMES_BY_KLASS",
    "OUTCOME_LABELS",
    "REVIEWERS",
    "REVIEW_OUTCOME_LABELS",
    "ROLE_LABELS",
    "STAFF_DISPOSERS",
    "STATE_LABELS",
    "TRANSITIONS",
    "UNIT_STAFF",
    "WITHDRAWABLE",
    "Actor",
    "ClosureKind",
    "Facts",
    "Guard",
    "Klass",
    "ReplyOutcome",
    "ReviewOutcome",
    "Role",
    "Scope",
    "State",
    "Transition",
    "allowed",
    "check",
]

# Before an answer the petitioner may withdraw the petition (it closes). Not a 复查/复核
# request: withdrawing it would close the matter and with it the §35/§36 ¶1 window that may
# still be open (review) — a request runs to its opinion until withdrawing it returns the
# matter to the answer with the window's remaining days (not built).
WITHDRAWABLE = frozenset({
    State.REGISTERED, State.DISPATCHED, State.SIGNED, State.OBJECTED, State.HANDLING,
    State.EXTENSION_PENDING})
# Leaders 阅办 and assign on the spot at reception days (§18 ¶2).
STAFF_DISPOSERS = frozenset({Role.OFFICER, Role.LEADER})
UNIT_STAFF = frozenset({Role.HANDLER, Role.UNIT_HEAD})
REVIEWERS = frozenset({Role.OFFICER, Role.UNIT_HEAD, Role.LEADER})
ON_BEHALF = frozenset({Role.CITIZEN, Role.REGISTRAR, Role.OFFICER})
# A body that is not a 信访部门 handles what is brought to it directly: its handlers, its head,
# and its leaders (§23 ¶1–2).
DIRECT = ((UNIT_STAFF | {Role.LEADER}, frozenset({Scope.DIRECT_BODY})),)


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    scopes: frozenset[Scope]
    article: str
    required: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = ()
    closure: ClosureKind | None = None
    public: bool = True  # shown on the petitioner's tracking page
    danger: bool = field(default=False, compare=False)  # UI hint: ends the matter
    # Further (roles, scopes) pairs that may also take it, each checked as a pair: e.g. the
    # staff of a unit holding a petition brought to it directly (§23 ¶1), where ``roles`` ×
    # ``scopes`` are the 信访部门's.
    grants: tuple[tuple[frozenset[Role], frozenset[Scope]], ...] = ()

    @property
    def closes(self) -> bool:
        """It ends the matter (a closure, or 终结): a person confirms it first."""
        return self.closure is not None or self.target == State.FINAL

    @property
    def consequence(self) -> str:
        """What a closing act does, for the confirmation a person gives before it."""
        if self.target == State.FINAL:
            return (f"出具后事项终结：信访人以同一事实和理由再次提出的，各级机关不再受理"
                    f"（{self.article}）")
        if self.closure is not None:
            return f"事项将以“{CLOSURE_LABELS[self.closure]}”结案，不再办理（{self.article}）"
        return ""

    def permits(self, actor: Actor) -> bool:
        pairs = ((self.roles, self.scopes), *self.grants)
        return any(actor.roles & roles and actor.scopes & scopes for roles, scopes in pairs)


def _t(
    name: str,
    label: str,
    sources: set[State],
    target: State,
    roles: frozenset[Role],
    scopes: set[Scope],
    article: str,
    **kw: object,
) -> Transition:
    return Transition(
        name, label, frozenset(sources), target, roles, frozenset(scopes), article, **kw  # type: ignore[arg-type]
    )


S = State
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("forward", gettext_noop("转送"), {S.REGISTERED}, S.DISPATCHED, STAFF_DISPOSERS, {Scope.HOLDER},
           "§22 ¶1（一）（二）、§23 ¶1", required=("to_body",),
           guards=(_not_to_accused, _not_litigation, _routed("forward")), grants=DIRECT),
        _t("assign", gettext_noop("交办"), {S.REGISTERED}, S.DISPATCHED, STAFF_DISPOSERS, {Scope.HOLDER},
           "§22 ¶1（三）、§23 ¶1", required=("to_body", "report_due"),
           guards=(_not_to_accused, _not_litigation, _routed("assign")), grants=DIRECT),
        _t("refer_political_legal", gettext_noop("转政法部门"), {S.REGISTERED}, S.CLOSED, STAFF_DISPOSERS,
           {Scope.HOLDER}, "§22 ¶2、§28 ¶2", required=("to_body",),
           closure=ClosureKind.REFERRED_POLITICAL_LEGAL,
           guards=(_not_to_accused, _routed("refer_political_legal"))),
        _t("refer_discipline", gettext_noop("转纪检监察机关"), {S.REGISTERED}, S.CLOSED, STAFF_DISPOSERS,
           {Scope.HOLDER}, "§22 ¶2、§30", required=("to_body",),
           closure=ClosureKind.REFERRED_DISCIPLINE,
           guards=(_not_to_accused, _routed("refer_discipline"))),
        _t("inform_elsewhere", gettext_noop("告知向有权机关提出"), {S.REGISTERED}, S.CLOSED, STAFF_DISPOSERS,
           {Scope.HOLDER}, "§23 ¶1", required=("competent_body_name", "reason"),
           closure=ClosureKind.INFORMED, danger=True, grants=DIRECT),
        # Only the body that holds the petition as brought to it may refuse it. A unit that
        # receives a 转送/交办 has two ways only (§23 ¶3, §44 (2)): accept and notify within
        # 15 日, or object within 5 个工作日 and hand it back once the forwarder agrees.
        _t("not_accept", gettext_noop("不予受理"), {S.REGISTERED}, S.CLOSED,
           STAFF_DISPOSERS, {Scope.HOLDER}, "§4.8 N1–N11",
           required=("reason_code", "reason"), guards=(_reason_known,),
           closure=ClosureKind.NOT_ACCEPTED, danger=True, grants=DIRECT),
        # §23 ¶1–2: a body that is not a 信访部门 handles a petition of its own remit itself,
        # notifying the petitioner in writing on the spot or within 15 日 (D2).
        _t("accept_direct", gettext_noop("本机关受理并告知"), {S.REGISTERED}, S.HANDLING,
           frozenset(), set(), "§23 ¶1–2、§29–§31", required=("route",),
           guards=(_route_fits,), grants=DIRECT),
        _t("sign", gettext_noop("签收"), {S.DISPATCHED}, S.SIGNED, UNIT_STAFF, {Scope.LEAD_UNIT}, "§23 ¶3"),
        _t("object", gettext_noop("退回（异议）"), {S.DISPATCHED, S.SIGNED}, S.OBJECTED, UNIT_STAFF,
           {Scope.LEAD_UNIT}, "§23 ¶3", required=("reason",), guards=(_objection_in_time,)),
        _t("uphold_objection", gettext_noop("同意退回"), {S.OBJECTED}, S.REGISTERED, STAFF_DISPOSERS,
           {Scope.DISPATCHER}, "§23 ¶3", required=("reason",), public=False),
        _t("reject_objection", gettext_noop("不同意退回"), {S.OBJECTED}, S.DISPATCHED, STAFF_DISPOSERS,
           {Scope.DISPATCHER}, "§23 ¶3", required=("reason",), public=False),
        _t("accept", gettext_noop("受理并告知"), {S.SIGNED}, S.HANDLING, UNIT_STAFF, {Scope.LEAD_UNIT},
           "§23 ¶3、§29–§31", required=("route",), guards=(_route_fits,)),
        _t("channel", gettext_noop("导入法定程序"), {S.SIGNED, S.HANDLING}, S.CLOSED, UNIT_STAFF,
           {Scope.LEAD_UNIT}, "§31（一）至（四）", required=("route31", "procedure"),
           guards=(_route_1_to_4,), closure=ClosureKind.CHANNELLED, danger=True),
        _t("request_extension", gettext_noop("申请延期"), {S.HANDLING}, S.EXTENSION_PENDING, UNIT_STAFF,
           {Scope.LEAD_UNIT}, "§34", required=("days", "reason"), guards=(_extension_unused,),
           public=False),
        # §34: the head approves, and the petitioner is told the reasons before the limit
        # runs out: the 延期告知书 is served with the approval.
        _t("approve_extension", gettext_noop("批准延期"), {S.EXTENSION_PENDING}, S.HANDLING,
           frozenset({Role.UNIT_HEAD}), {Scope.LEAD_UNIT}, "§34",
           required=("served_on", "service_method")),
        _t("reject_extension", gettext_noop("不批准延期"), {S.EXTENSION_PENDING}, S.HANDLING,
           frozenset({Role.UNIT_HEAD}), {Scope.LEAD_UNIT}, "§34", public=False),
        _t("reply", gettext_noop("出具处理意见书"), {S.HANDLING}, S.REPLIED, UNIT_STAFF, {Scope.LEAD_UNIT},
           "§32", required=("outcome", "facts", "opinion", "legal_basis", "served_on",
                            "service_method"), guards=(_reply_outcome_fits,)),
        # §33: within the body's discretion and with both parties' consent; the 调解协议书 or
        # 和解协议书 names the parties and the terms.
        _t("mediate", gettext_noop("调解/和解结案"), {S.HANDLING}, S.CLOSED, UNIT_STAFF, {Scope.LEAD_UNIT},
           "§33", required=("agreement_kind", "other_party", "agreement", "consent"),
           guards=(_both_consent,), closure=ClosureKind.MEDIATED, danger=True),
        _t("rate_satisfied", gettext_noop("评价（满意/基本满意）"), {S.REPLIED}, S.REPLIED, ON_BEHALF,
           {Scope.PETITIONER, Scope.HOLDER}, "§21 ¶2", required=("rating",),
           guards=(_not_rated,)),
        # 不满意 is a rating, not a route: the §35 window keeps running, and the petitioner
        # chooses what follows — 复查 (§35), or where local practice allows, a 重办.
        _t("rate_unsatisfied", gettext_noop("评价不满意"), {S.REPLIED}, S.REPLIED, ON_BEHALF,
           {Scope.PETITIONER, Scope.HOLDER}, "§21 ¶2", required=("rating",),
           guards=(_not_rated,)),
        _t("request_redo", gettext_noop("要求重新办理"), {S.REPLIED}, S.HANDLING, ON_BEHALF,
           {Scope.PETITIONER, Scope.HOLDER}, "§21 ¶2、§40（实践，可配置）",
           guards=(_chose_redo,)),
        # During a 重办 the first 处理意见书 still stands, and so does the right to 复查 within
        # 30 日 of its receipt (§35): asking for it ends the redo.
        _t("request_review", gettext_noop("申请复查"), {S.REPLIED, S.HANDLING, S.CLOSED},
           S.REVIEW_REQUESTED, ON_BEHALF, {Scope.PETITIONER, Scope.HOLDER}, "§35",
           required=("reason",), guards=(_late_after_lapse("D8"), _has_reply, _review_in_time)),
        _t("reject_review", gettext_noop("复查申请不予受理"), {S.REVIEW_REQUESTED}, S.CLOSED, REVIEWERS,
           {Scope.REVIEW_BODY}, "§35；N8/N9", required=("reason_code", "reason"),
           guards=(_reason_known,), closure=ClosureKind.REVIEW_REJECTED, danger=True),
        _t("issue_review", gettext_noop("出具复查意见书"), {S.REVIEW_REQUESTED}, S.REVIEWED, REVIEWERS,
           {Scope.REVIEW_BODY}, "§35", required=("review_outcome", "facts", "opinion",
                                                "legal_basis", "served_on", "service_method"),
           guards=(_changed_names_outcome,)),
        # 撤销/责令重新办理 (鲁 §45, 京 §50): back to the handling body with a new limit; its new
        # 处理意见书 can itself be reviewed (§35).
        _t("order_redo_review", gettext_noop("复查：责令重新办理"), {S.REVIEW_REQUESTED}, S.HANDLING,
           REVIEWERS, {Scope.REVIEW_BODY}, "§35；鲁 §45、京 §50",
           required=("review_outcome", "facts", "opinion", "legal_basis", "served_on",
                     "service_method"), guards=(_orders_redo,)),
        _t("request_recheck", gettext_noop("申请复核"), {S.REVIEWED, S.CLOSED}, S.RECHECK_REQUESTED,
           ON_BEHALF, {Scope.PETITIONER, Scope.HOLDER}, "§36 ¶1", required=("reason",),
           guards=(_late_after_lapse("D10"), _recheck_in_time)),
        _t("reject_recheck", gettext_noop("复核申请不予受理"), {S.RECHECK_REQUESTED}, S.CLOSED, REVIEWERS,
           {Scope.RECHECK_BODY}, "§36；N8/N9", required=("reason_code", "reason"),
           guards=(_reason_known,), closure=ClosureKind.REVIEW_REJECTED, danger=True),
        # §36 ¶2: the 复核 body may hold a hearing; its time is not counted in the 30 日 of ¶1.
        # The request (who asked, when) is recorded with the start; the dates are checked
        # against the 复核 request, today and the D11 clock (deadlines.hearing_refusal).
        _t("start_hearing", gettext_noop("举行听证（期限中止）"), {S.RECHECK_REQUESTED}, S.RECHECK_HEARING,
           REVIEWERS, {Scope.RECHECK_BODY}, "§36 ¶2",
           required=("hearing_requested_by", "hearing_requested_on", "hearing_on"),
           guards=(_hearing_requester_known,)),
        _t("end_hearing", gettext_noop("听证结束（期限恢复）"), {S.RECHECK_HEARING}, S.RECHECK_REQUESTED,
           REVIEWERS, {Scope.RECHECK_BODY}, "§36 ¶2", required=("conclusion",)),
        _t("issue_recheck", gettext_noop("出具复核意见书（终结）"), {S.RECHECK_REQUESTED}, S.FINAL, REVIEWERS,
           {Scope.RECHECK_BODY}, "§36 ¶3", required=("review_outcome", "facts", "opinion",
                                                   "legal_basis", "served_on",
                                                   "service_method"),
           guards=(_changed_names_outcome,)),
        # A 复核 that sets aside the 复查 opinion sends it back to the 复查 body (鲁 §45), which
        # may in turn order the handling body to redo; the redone 复查意见 can itself be taken
        # to 复核 (§36 ¶1).
        _t("order_redo_recheck", gettext_noop("复核：责令重新办理"), {S.RECHECK_REQUESTED},
           S.REVIEW_REQUESTED, REVIEWERS, {Scope.RECHECK_BODY}, "§36；鲁 §45、京 §50",
           required=("review_outcome", "facts", "opinion", "legal_basis", "served_on",
                     "service_method"), guards=(_orders_redo,)),
        # The petitioner withdraws the petition before an answer:
        # recorded with the reason, every clock closed, counted apart (ClosureKind.WITHDRAWN).
        # Only the petitioner, proven by a fresh SMS code to the phone on file (issue 14 item 7).
        _t("withdraw", gettext_noop("撤回信访事项"), set(WITHDRAWABLE), S.CLOSED,
           frozenset({Role.CITIZEN}), {Scope.PETITIONER}, "§19 ¶1、§21 ¶2（信访人撤回）",
           required=("reason",), closure=ClosureKind.WITHDRAWN, danger=True),
        _t("close_lapsed", gettext_noop("期限届满结案"), {S.REPLIED, S.REVIEWED}, S.CLOSED,
           frozenset({Role.SYSTEM}), {Scope.SYSTEM}, "京 §37（三）、鲁 §33 ¶3（配置）",
           closure=ClosureKind.WINDOW_LAPSED),
        _t("close_answered", gettext_noop("答复办结"), {S.REPLIED}, S.CLOSED,
           frozenset({Role.SYSTEM}), {Scope.SYSTEM}, "§29、§30、§31（五）",
           closure=ClosureKind.ANSWERED),
        _t("archive", gettext_noop("归档"), {S.CLOSED, S.FINAL}, S.ARCHIVED,
           frozenset({Role.OFFICER, Role.ADMIN, Role.SYSTEM}), {Scope.HOLDER, Scope.SYSTEM},
           "§21 ¶2", public=False),
    ]
}


def check(name: str, *, state: State, actor: Actor, facts: Facts,
          data: Mapping[str, object]) -> Transition:
    """Return the transition if ``actor`` may take it now; raise a DomainError otherwise.

    Order matters for the message a user sees: unknown → wrong state → not allowed →
    missing data → guard.
    """
    t = TRANSITIONS.get(name)
    if t is None:
        raise IllegalTransition(f"未知的操作：{name}")
    if state not in t.sources:
        raise IllegalTransition(
            f"事项当前状态为“{STATE_LABELS[state]}”，不能执行“{t.label}”"
        )
    if not t.permits(actor):
        raise Forbidden(f"您无权对该事项执行“{t.label}”")
    missing = [f for f in t.required if data.get(f) in (None, "", [])]
    if missing:
        raise MissingFields(missing)
    for guard in t.guards:
        refusal = guard(facts, data)
        if refusal:
            raise GuardFailed(refusal)
    return t


def allowed(state: State, actor: Actor) -> list[Transition]:
    """Transitions the actor could start from ``state`` (guards are checked on submit)."""
    return [t for t in TRANSITIONS.values() if state in t.sources and t.permits(actor)]
