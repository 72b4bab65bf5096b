"""The vocabulary of the state machine: states, roles, scopes, classes, closures, reason
codes, outcomes, and the actor and facts the guards read (procedure.md §9).

Plain Python: no Django. ``xinfang.domain.states`` re-exports every name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from xinfang.domain.i18n import gettext_noop

from .routing import BodyFacts


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
    WITHDRAWN = "withdrawn"  # 信访人撤回 (issue 16 item 6): counted apart from every answer


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
    ClosureKind.WITHDRAWN: gettext_noop("信访人撤回"),
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
    objection_refused: bool = False  # the forwarder already refused this unit's objection
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
