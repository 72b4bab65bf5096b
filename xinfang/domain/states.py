"""The petition matter's state machine (procedure.md §9), declared as data.

Plain Python: no Django. The service layer builds an :class:`Actor` (roles held and the
scopes the actor has on *this* matter) and a :class:`Facts` snapshot, and asks
:func:`check` whether a transition may happen. Every refusal is a :class:`DomainError`
with a Chinese message; nothing is ever silently skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from xinfang.domain.i18n import gettext_noop

from .errors import Forbidden, GuardFailed, IllegalTransition, MissingFields
from .routing import BodyFacts
from .routing import refusal as routing_refusal


class State(StrEnum):
    REGISTERED = "registered"  # 已登记，待信访部门处置 (§21–22)
    DISPATCHED = "dispatched"  # 已转送/交办，待签收 (§22 ¶1)
    SIGNED = "signed"  # 已签收，待受理告知 (§23 ¶3)
    OBJECTED = "objected"  # 退回异议，待转送机关审核 (§23 ¶3)
    HANDLING = "handling"  # 办理中 (§31–34)
    EXTENSION_PENDING = "extension_pending"  # 延期待批 (§34)
    REPLIED = "replied"  # 已答复 (处理意见书已送达, §32)
    REVIEW_REQUESTED = "review_requested"  # 复查中 (§35)
    REVIEWED = "reviewed"  # 已复查 (§35)
    RECHECK_REQUESTED = "recheck_requested"  # 复核中 (§36)
    RECHECK_HEARING = "recheck_hearing"  # 复核听证 (§36 ¶2, clock paused)
    FINAL = "final"  # 终结：同一事实和理由不再受理 (§36 ¶3)
    CLOSED = "closed"  # 已办结
    ARCHIVED = "archived"  # 已归档


STATE_LABELS: dict[State, str] = {
    State.REGISTERED: gettext_noop("待处置"),
    State.DISPATCHED: gettext_noop("待签收"),
    State.SIGNED: gettext_noop("待受理"),
    State.OBJECTED: gettext_noop("退回待审"),
    State.HANDLING: gettext_noop("办理中"),
    State.EXTENSION_PENDING: gettext_noop("延期待批"),
    State.REPLIED: gettext_noop("已答复"),
    State.REVIEW_REQUESTED: gettext_noop("复查中"),
    State.REVIEWED: gettext_noop("已复查"),
    State.RECHECK_REQUESTED: gettext_noop("复核中"),
    State.RECHECK_HEARING: gettext_noop("复核听证中"),
    State.FINAL: gettext_noop("已终结"),
    State.CLOSED: gettext_noop("已办结"),
    State.ARCHIVED: gettext_noop("已归档"),
}

OPEN_STATES = frozenset(State) - {State.FINAL, State.CLOSED, State.ARCHIVED}


class Role(StrEnum):
    REGISTRAR = "registrar"  # 登记员
    OFFICER = "officer"  # 信访干部
    HANDLER = "handler"  # 承办人
    UNIT_HEAD = "unit_head"  # 单位负责人
    LEADER = "leader"  # 领导
    SUPERVISOR = "supervisor"  # 督查
    ADMIN = "admin"  # 管理员
    CITIZEN = "citizen"  # 信访人 (through the portal)
    SYSTEM = "system"  # the scheduler


ROLE_LABELS: dict[Role, str] = {
    Role.REGISTRAR: gettext_noop("登记员"),
    Role.OFFICER: gettext_noop("信访干部"),
    Role.HANDLER: gettext_noop("承办人"),
    Role.UNIT_HEAD: gettext_noop("单位负责人"),
    Role.LEADER: gettext_noop("领导"),
    Role.SUPERVISOR: gettext_noop("督查"),
    Role.ADMIN: gettext_noop("管理员"),
    Role.CITIZEN: gettext_noop("信访人"),
    Role.SYSTEM: gettext_noop("系统"),
}


class Scope(StrEnum):
    """Where the actor stands relative to one matter; computed by the service layer."""

    HOLDER = "holder"  # staff of the 信访部门 (or other body) holding the matter for disposal
    LEAD_UNIT = "lead_unit"  # staff of the 主办 unit the matter was 转送/交办 to
    DISPATCHER = "dispatcher"  # staff of the body that dispatched the current lead dispatch
    REVIEW_BODY = "review_body"  # the body one level above the handling unit (§35)
    RECHECK_BODY = "recheck_body"  # the body one level above the 复查 body (§36)
    PETITIONER = "petitioner"  # the petitioner (or representative) proven by code + phone
    SYSTEM = "system"
    # Staff of a body that is not a 信访部门 and holds a petition brought to it directly: it
    # registers, notifies, and handles it, forwards it within its own system, or tells the
    # petitioner where to go (§23 ¶1–2). Held together with HOLDER.
    DIRECT_BODY = "direct_body"


class Klass(StrEnum):
    """The three classes of §29–§31."""

    SUGGESTION = "suggestion"  # 建议意见类 §29
    REPORT = "report"  # 检举控告类 §30
    APPEAL = "appeal"  # 申诉求决类 §31


KLASS_LABELS = {
    Klass.SUGGESTION: gettext_noop("建议意见类"),
    Klass.REPORT: gettext_noop("检举控告类"),
    Klass.APPEAL: gettext_noop("申诉求决类"),
}


class ClosureKind(StrEnum):
    NOT_ACCEPTED = "not_accepted"  # 不予受理 / 不再受理 (§4.8 N1–N11)
    INFORMED = "informed"  # 告知向有权机关提出 (§23 ¶1)
    REFERRED_POLITICAL_LEGAL = "referred_political_legal"  # 诉访分离 (§22 ¶2, §28 ¶2)
    REFERRED_DISCIPLINE = "referred_discipline"  # 检举控告 → 纪检监察 (§22 ¶2, §30)
    CHANNELLED = "channelled"  # 导入法定程序 §31 (1)–(4)
    MEDIATED = "mediated"  # 调解/和解 §33
    WINDOW_LAPSED = "window_lapsed"  # 复查/复核 window lapsed (local rule, config)
    REVIEW_REJECTED = "review_rejected"  # 复查/复核 申请不予受理 (N8/N9)
    ANSWERED = "answered"  # §29 reply, §30 feedback, §31 (5) answer: no 复查 route; closed
    # once the petitioner's rating window (V1) has passed


CLOSURE_LABELS = {
    ClosureKind.NOT_ACCEPTED: gettext_noop("不予受理"),
    ClosureKind.INFORMED: gettext_noop("告知向有权机关提出"),
    ClosureKind.REFERRED_POLITICAL_LEGAL: gettext_noop("转政法部门（诉访分离）"),
    ClosureKind.REFERRED_DISCIPLINE: gettext_noop("转纪检监察机关"),
    ClosureKind.CHANNELLED: gettext_noop("导入法定程序"),
    ClosureKind.MEDIATED: gettext_noop("调解/和解结案"),
    ClosureKind.WINDOW_LAPSED: gettext_noop("复查复核期限届满结案"),
    ClosureKind.REVIEW_REJECTED: gettext_noop("复查/复核申请不予受理"),
    ClosureKind.ANSWERED: gettext_noop("答复办结"),
}

# 不予受理 / 不再受理 reason codes, procedure.md §4.8.
NOT_ACCEPTED_REASONS: dict[str, str] = {
    "N1": gettext_noop("同一信访事项已由下级受理或正在办理且在规定期限内（§19 ¶3）"),
    "N2": gettext_noop("复核后以同一事实和理由再次提出，不再受理（§36 ¶3）"),
    "N3": gettext_noop("越级走访，不予受理并引导到有权处理机关（§20 ¶1）"),
    "N4": gettext_noop("属法院、检察院职权范围或应通过诉讼程序解决（§22 ¶2、§28 ¶2、§31（一））"),
    "N5": gettext_noop("涉法涉诉事项已依法终结（转政法部门告知不再受理）"),
    "N6": gettext_noop("应通过诉讼、仲裁、行政复议等法定途径解决（§31（一）至（四））"),
    "N7": gettext_noop("不属于本机关职权范围，告知向有权机关提出（§23 ¶1）"),
    "N8": gettext_noop("复查/复核申请逾期且无正当理由（地方规定）"),
    "N9": gettext_noop("复查/复核申请越级、超出范围、已受理或属复议诉讼（地方规定）"),
    "N10": gettext_noop("信访人已表示不再信访，代理人继续提出（京 §27 ¶2）"),
    "N11": gettext_noop("以政府信息公开申请形式提出的信访、投诉、举报（政府信息公开条例 §39）"),
}
# The codes whose notice says 不再受理 (§36 ¶3; S11 "两个不再受理"; 京 §27 ¶2), not 不予受理.
NO_LONGER_ACCEPTED = frozenset({"N2", "N5", "N10"})


class ReplyOutcome(StrEnum):
    """§32 ¶1, with 部分支持 (京 §42 (1)) available; §29 adoption outcomes for suggestions."""

    SUPPORTED = "supported"
    PARTLY_SUPPORTED = "partly_supported"
    EXPLAINED = "explained"
    NOT_SUPPORTED = "not_supported"
    ADOPTED = "adopted"
    PARTLY_ADOPTED = "partly_adopted"
    NOT_ADOPTED = "not_adopted"
    # §30 检举控告: what the handling found (依规依纪依法 feedback).
    SUBSTANTIATED = "substantiated"
    PARTLY_SUBSTANTIATED = "partly_substantiated"
    UNSUBSTANTIATED = "unsubstantiated"


OUTCOME_LABELS = {
    ReplyOutcome.SUPPORTED: gettext_noop("予以支持"),
    ReplyOutcome.PARTLY_SUPPORTED: gettext_noop("部分支持"),
    ReplyOutcome.EXPLAINED: gettext_noop("解释说明"),
    ReplyOutcome.NOT_SUPPORTED: gettext_noop("不予支持"),
    ReplyOutcome.ADOPTED: gettext_noop("采纳"),
    ReplyOutcome.PARTLY_ADOPTED: gettext_noop("部分采纳"),
    ReplyOutcome.NOT_ADOPTED: gettext_noop("不采纳"),
    ReplyOutcome.SUBSTANTIATED: gettext_noop("反映属实"),
    ReplyOutcome.PARTLY_SUBSTANTIATED: gettext_noop("反映部分属实"),
    ReplyOutcome.UNSUBSTANTIATED: gettext_noop("反映不属实"),
}


class ReviewOutcome(StrEnum):
    """复查/复核 outcomes (鲁 §45, 京 §50)."""

    UPHELD = "upheld"
    SET_ASIDE = "set_aside"
    CHANGED = "changed"
    REDO = "redo"


REVIEW_OUTCOME_LABELS = {
    ReviewOutcome.UPHELD: gettext_noop("维持"),
    ReviewOutcome.SET_ASIDE: gettext_noop("撤销"),
    ReviewOutcome.CHANGED: gettext_noop("变更"),
    ReviewOutcome.REDO: gettext_noop("责令重新办理"),
}


@dataclass(frozen=True)
class Actor:
    roles: frozenset[Role]
    scopes: frozenset[Scope]


@dataclass(frozen=True)
class Facts:
    """What guards may need to know beyond the state; filled by the service layer."""

    klass: Klass = Klass.APPEAL
    legal_litigation: bool = False
    accused_body_id: int | None = None
    extension_used: bool = False
    objection_window_open: bool = True  # D4, §23 ¶3
    review_window_open: bool = True  # D8, §35
    recheck_window_open: bool = True  # D10, §36 ¶1
    rated_this_round: bool = False
    rated_unsatisfied: bool = False  # this round's rating is 不满意 (a redo may be chosen)
    replied: bool = True  # a 处理意见书 has been served (the §35 window counts from it)
    reviewable: bool = True  # its answer is a §31 (6) 处理意见书, open to 复查/复核 (§35–§36)
    closure: str = ""  # how a closed matter was closed (ClosureKind), "" while open
    lapsed_window: str = ""  # "D8"/"D10": the window whose lapse closed it (close_lapsed)
    redo_allowed: bool = True  # local practice: 不满意 may start a 重办 (setting)
    # §22 ¶1–2, §30 ¶3: where a 转送/交办/移送 may go (domain.routing). Filled by the service
    # layer for those acts: the sending body, the named bodies by id, the bodies a report
    # may never reach. ``from_body`` None: abstract facts, no routing check.
    from_body: BodyFacts | None = None
    targets: Mapping[int, BodyFacts] = field(default_factory=dict)
    shielded_body_ids: frozenset[int] = frozenset()


Guard = Callable[[Facts, Mapping[str, object]], str | None]  # returns a Chinese refusal or None


def _not_to_accused(facts: Facts, data: Mapping[str, object]) -> str | None:
    # §30 ¶3: a report is never handed to the person or unit it accuses.
    if facts.klass == Klass.REPORT and facts.accused_body_id is not None:
        if data.get("to_body") == facts.accused_body_id:
            return "检举控告类事项不得转送、交办给被检举控告的单位（§30 ¶3）"
    return None


def _routed(act: str) -> Guard:
    """§22 ¶1–2, §30 ¶3: the receiving body (and every 协办 body) must be one ``act`` may reach
    from the sending body (``domain.routing.refusal``)."""

    def guard(facts: Facts, data: Mapping[str, object]) -> str | None:
        if facts.from_body is None:
            return None
        raw = data.get("assist_bodies")
        assist = list(raw) if isinstance(raw, list | tuple) else []
        for i, value in enumerate([data.get("to_body"), *assist]):
            pk = value if isinstance(value, int) and not isinstance(value, bool) else (
                int(value) if isinstance(value, str) and value.isdigit() else None)
            dst = facts.targets.get(pk) if pk is not None else None
            if dst is None:
                return "接收单位不存在或已停用" if i == 0 else "协办单位不存在或已停用"
            refusal = routing_refusal(act, facts.from_body, dst, shielded=facts.shielded_body_ids)
            if refusal:
                return refusal if i == 0 else f"协办单位：{refusal}"
        return None

    return guard


def _not_litigation(facts: Facts, data: Mapping[str, object]) -> str | None:
    # §22 ¶2, §28 ¶2: 涉法涉诉 letters go to 政法 only.
    if facts.legal_litigation:
        return "涉法涉诉事项应转政法部门依法处理（§22 ¶2、§28 ¶2）"
    return None


def _extension_unused(facts: Facts, data: Mapping[str, object]) -> str | None:
    if facts.extension_used:
        return "办理期限只能延长一次（§34）"
    days = data.get("days")
    if not isinstance(days, int) or not 1 <= days <= 30:
        return "延长期限应为1至30日（§34）"
    return None


def _objection_in_time(facts: Facts, data: Mapping[str, object]) -> str | None:
    if not facts.objection_window_open:
        return "已超过收到之日起5个工作日的异议期限，不能退回（§23 ¶3）"
    return None


def _late_after_lapse(window: str) -> Guard:
    """A matter closed because the window lapsed reopens for a request with a 正当理由
    (京 §37 (三), 鲁 §33 ¶3: "无正当理由" bars only the unexcused); the review body then
    judges the reason (and may refuse, N8). Any other closure stays closed."""
    def guard(facts: Facts, data: Mapping[str, object]) -> str | None:
        if not facts.closure:
            return None
        if facts.closure != ClosureKind.WINDOW_LAPSED or facts.lapsed_window != window:
            return "事项已办结，不能提出该请求"
        if not data.get("late_reason"):
            return "请求期限已届满并已结案：请说明逾期的正当理由（如住院、不可抗力），由复查（复核）机关审查"
        return None
    return guard


def _review_in_time(facts: Facts, data: Mapping[str, object]) -> str | None:
    if not facts.review_window_open and not data.get("late_reason"):
        return "已超过收到处理意见书之日起30日的复查请求期限（§35）"
    return None


def _recheck_in_time(facts: Facts, data: Mapping[str, object]) -> str | None:
    if not facts.recheck_window_open and not data.get("late_reason"):
        return "已超过收到复查意见之日起30日的复核请求期限（§36 ¶1）"
    return None


def _not_rated(facts: Facts, data: Mapping[str, object]) -> str | None:
    if facts.rated_this_round:
        return "本次答复已评价，不能重复评价"
    return None


def _chose_redo(facts: Facts, data: Mapping[str, object]) -> str | None:
    # Local practice: a 不满意 rating may start a 重办, only when the petitioner chooses it.
    if not facts.redo_allowed:
        return "本地未实行不满意重办，可在收到处理意见书之日起30日内申请复查（§35）"
    if not facts.rated_unsatisfied:
        return "评价为不满意后，才可以选择要求重新办理"
    return None


def _has_reply(facts: Facts, data: Mapping[str, object]) -> str | None:
    # §35: 复查 is of a written 处理意见书; during a 重办 the first one still stands.
    if not facts.replied:
        return "尚未送达处理意见书，不能申请复查（§35）"
    if not facts.reviewable:
        return ("复查只适用于按第三十一条第（六）项出具的信访处理意见书（§35）；建议意见、检举控告和"
                "依法履行职责的答复不适用")
    return None


def _route_fits(facts: Facts, data: Mapping[str, object]) -> str | None:
    # §31: at acceptance a 申诉求决 matter takes (5) or (6); (1)–(4) are led into their
    # procedures by 导入法定程序; suggestions (§29) and reports (§30) have their own route.
    route = data.get("route31")
    if route in (None, ""):
        return None
    if facts.klass != Klass.APPEAL:
        return "只有申诉求决类事项按第三十一条选择办理途径（§29、§30）"
    if route in (1, 2, 3, 4):
        return "应当通过法定途径解决的，请选择“导入法定程序”并告知信访人（§31（一）至（四））"
    if route not in (5, 6):
        return "请选择第三十一条第（五）项或第（六）项"
    return None


def _changed_names_outcome(facts: Facts, data: Mapping[str, object]) -> str | None:
    outcome = data.get("review_outcome")
    if outcome not in (ReviewOutcome.UPHELD, ReviewOutcome.CHANGED):
        return "出具复查（复核）意见应为维持或变更；撤销或责令重新办理请选择“责令重新办理”"
    if outcome == ReviewOutcome.CHANGED:
        new = data.get("new_outcome")
        if new not in set(ReplyOutcome):
            return "变更原处理意见的，应写明变更后的处理结论（鲁 §45（二））"
        if (facts.klass == Klass.SUGGESTION) != (new in _SUGGESTION_OUTCOMES):
            return "变更后的结论应与事项类别相符（§29、§32）"
    return None


def _orders_redo(facts: Facts, data: Mapping[str, object]) -> str | None:
    if data.get("review_outcome") not in (ReviewOutcome.SET_ASIDE, ReviewOutcome.REDO):
        return "责令重新办理应选择“撤销并责令重新办理”或“责令重新办理”（鲁 §45、京 §50）"
    days = data.get("redo_days")
    if days not in (None, "") and (not isinstance(days, int) or not 1 <= days <= 60):
        return "重新办理期限应为1至60日"
    return None


def _hearing_requester_known(facts: Facts, data: Mapping[str, object]) -> str | None:
    # §36 ¶2 with §31 (6): held by the 复核 body of its own motion or on the petitioner's
    # request (鲁 §39 ¶1).
    if data.get("hearing_requested_by") not in ("petitioner", "body"):
        return "请选择听证由信访人申请还是复核机关依职权决定（§36 ¶2）"
    return None


def _both_consent(facts: Facts, data: Mapping[str, object]) -> str | None:
    if data.get("consent") != "both":
        return "调解、和解应当经双方当事人同意（§33）"
    if data.get("agreement_kind") not in ("mediation", "reconciliation"):
        return "请选择调解或和解"
    return None


def _reason_known(facts: Facts, data: Mapping[str, object]) -> str | None:
    if data.get("reason_code") not in NOT_ACCEPTED_REASONS:
        return "请选择有效的不予受理理由代码（N1–N11）"
    return None


def _route_1_to_4(facts: Facts, data: Mapping[str, object]) -> str | None:
    if data.get("route31") not in (1, 2, 3, 4):
        return "导入法定程序须选择《信访工作条例》第三十一条第（一）至（四）项之一"
    return None


_SUGGESTION_OUTCOMES = frozenset({ReplyOutcome.ADOPTED, ReplyOutcome.PARTLY_ADOPTED,
                                  ReplyOutcome.NOT_ADOPTED})
_REPORT_OUTCOMES = frozenset({ReplyOutcome.SUBSTANTIATED, ReplyOutcome.PARTLY_SUBSTANTIATED,
                              ReplyOutcome.UNSUBSTANTIATED})


# The outcomes of a reply by class; a 申诉求决 matter takes the §32 ones (those in neither).
OUTCOMES_BY_KLASS: dict[str, frozenset[ReplyOutcome]] = {
    Klass.SUGGESTION: _SUGGESTION_OUTCOMES, Klass.REPORT: _REPORT_OUTCOMES}


def _reply_outcome_fits(facts: Facts, data: Mapping[str, object]) -> str | None:
    outcome = data.get("outcome")
    if outcome not in set(ReplyOutcome):
        return "请选择处理意见结论"
    if (facts.klass == Klass.REPORT) != (outcome in _REPORT_OUTCOMES):
        return "检举控告类答复应为属实/部分属实/不属实（§30）"
    if (facts.klass == Klass.SUGGESTION) != (outcome in _SUGGESTION_OUTCOMES):
        return "建议意见类答复应为采纳/部分采纳/不采纳（§29），申诉求决类为支持/解释说明/不予支持（§32）"
    return None


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
           frozenset(), frozenset(), "§23 ¶1–2、§29–§31", required=("route",),
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
