"""The input fields of every act on a matter, declared once.

A transition's ``required`` names (``states.TRANSITIONS``) and the optional extras below are
looked up here for their kind, label, limits and choices. The web builds its action forms
from this table (``xinfang.web.forms.ActionForm``) and the API its action serializer
(``xinfang.api.serializers.ActionSerializer``), so the two doors accept the same input with
the same limits, and a new transition gets its form and its API field without touching
either door.

Plain Python: no Django. Labels are Chinese msgids, translated where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from xinfang.domain.i18n import gettext_noop

from .states import NOT_ACCEPTED_REASONS, OUTCOME_LABELS, REVIEW_OUTCOME_LABELS, ReviewOutcome


class Kind(StrEnum):
    LINE = "line"  # one line of text
    TEXT = "text"  # several lines
    INT = "int"
    DATE = "date"
    BODY = "body"  # one active body (its id)
    BODIES = "bodies"  # several bodies (ids)
    CHOICE = "choice"  # one of ``CHOICES[spec.choices]``


SERVICE_METHODS = {"当面": gettext_noop("当面送达"), "邮寄": gettext_noop("邮寄送达"),
                   "短信": gettext_noop("短信送达"), "网上": gettext_noop("网上送达")}
GRADES = {"green": gettext_noop("绿色"), "yellow": gettext_noop("黄色"), "red": gettext_noop("红色")}
ROUTE31 = {
    "1": gettext_noop("（一）诉讼、复议、检察、公安等法定程序（§31（一））"),
    "2": gettext_noop("（二）仲裁（§31（二））"),
    "3": gettext_noop("（三）党员申诉、申请复审（§31（三））"),
    "4": gettext_noop("（四）行政复议、行政裁决、行政确认、行政许可、行政处罚等行政程序（§31（四））"),
    "5": gettext_noop("（五）请求查处违法行为、履行保护人身权或者财产权等合法权益职责：依法履行或者答复（§31（五））"),
    "6": gettext_noop("（六）其他：听取陈述、调查核实，出具信访处理意见书，可申请复查、复核（§31（六）、§32–§36）"),
}
# How a §25 report was sent (the record of "sent, when and how").
REPORT_CHANNELS = {"edoc": gettext_noop("电子公文系统"), "fax": gettext_noop("机要传真"),
                   "phone": gettext_noop("电话报告（书面报告随后报送）"),
                   "hand": gettext_noop("当面报送")}
# §36 ¶2 (with §31 (6)): the 复核 body may hold a hearing, of its own motion or on the
# petitioner's request (鲁 §39 ¶1).
HEARING_REQUESTERS = {"petitioner": gettext_noop("信访人申请"),
                      "body": gettext_noop("复核机关依职权决定")}
# §40 ¶4: the receiving body's written feedback on a recommendation's adoption.
ADOPTIONS = {"adopted": gettext_noop("采纳"), "partial": gettext_noop("部分采纳"),
             "rejected": gettext_noop("不采纳")}
# §40 ¶1: the supervisor's review of a 督办 feedback.
SUPERVISION_REVIEWS = {"accepted": gettext_noop("认可反馈，督办办结"),
                       "again": gettext_noop("要求重新反馈")}
RATINGS = {"satisfied": gettext_noop("满意"), "basic": gettext_noop("基本满意"),
           "unsatisfied": gettext_noop("不满意")}

CHOICES: dict[str, dict[str, str]] = {
    "service_methods": SERVICE_METHODS,
    "grades": GRADES,
    "route31": ROUTE31,
    "agreement_kinds": {"mediation": gettext_noop("调解"), "reconciliation": gettext_noop("和解")},
    "consent": {"both": gettext_noop("信访人和对方当事人均已同意")},
    # 导入法定程序 takes (1)–(4); acceptance of a 申诉求决 matter (5) or (6) (§31).
    "route31_channel": {k: v for k, v in ROUTE31.items() if k in "1234"},
    "route31_accept": {k: v for k, v in ROUTE31.items() if k in "56"},
    "ratings": RATINGS,
    "adoptions": ADOPTIONS,
    "supervision_reviews": SUPERVISION_REVIEWS,
    "report_channels": REPORT_CHANNELS,
    "hearing_requesters": HEARING_REQUESTERS,
    "reason_codes": dict(NOT_ACCEPTED_REASONS),
    "outcomes": {k.value: v for k, v in OUTCOME_LABELS.items()},
    "review_outcomes": {k.value: v for k, v in REVIEW_OUTCOME_LABELS.items()},
    # 出具复查（复核）意见 keeps or changes the opinion; 撤销/责令重新办理 sends it back
    # (鲁 §45, 京 §50): each transition offers only its own outcomes.
    "review_keep": {k.value: REVIEW_OUTCOME_LABELS[k]
                    for k in (ReviewOutcome.UPHELD, ReviewOutcome.CHANGED)},
    "review_redo": {ReviewOutcome.SET_ASIDE.value: gettext_noop("撤销原意见并责令重新办理"),
                    ReviewOutcome.REDO.value: REVIEW_OUTCOME_LABELS[ReviewOutcome.REDO]},
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: Kind
    label: str
    max_length: int | None = None  # LINE/TEXT; BODIES: how many
    min_value: int | None = None
    max_value: int | None = None
    choices: str = ""  # a key of CHOICES
    help: str = ""


def _f(name: str, kind: Kind, label: str, **kw: object) -> FieldSpec:
    return FieldSpec(name, kind, label, **kw)  # type: ignore[arg-type]


K = Kind
FIELDS: dict[str, FieldSpec] = {f.name: f for f in [
    _f("to_body", K.BODY, gettext_noop("接收单位")),
    _f("assist_bodies", K.BODIES, gettext_noop("协办单位"), max_length=20,
       help=gettext_noop("可多选（按住 Ctrl 或 ⌘）")),
    _f("report_due", K.DATE, gettext_noop("办结报告期限")),
    _f("grade", K.CHOICE, gettext_noop("三色反馈等级"), choices="grades"),
    _f("instructions", K.TEXT, gettext_noop("交办要求"), max_length=2000),
    _f("competent_body_name", K.LINE, gettext_noop("有权处理机关"), max_length=100),
    _f("reason", K.TEXT, gettext_noop("理由"), max_length=2000),
    _f("reason_code", K.CHOICE, gettext_noop("理由代码"), choices="reason_codes"),
    _f("route", K.TEXT, gettext_noop("处理途径和程序"), max_length=500),
    _f("route31", K.CHOICE, gettext_noop("办理途径（§31）"), choices="route31",
       help=gettext_noop("申诉求决类：（五）依法履行或答复，或（六）出具处理意见书；不填按（六）")),
    _f("procedure", K.LINE, gettext_noop("导入的程序"), max_length=100),
    _f("days", K.INT, gettext_noop("延长天数"), min_value=1, max_value=30,
       help=gettext_noop("1至30日（§34）")),
    _f("outcome", K.CHOICE, gettext_noop("处理结论"), choices="outcomes"),
    _f("facts", K.TEXT, gettext_noop("查明事实"), max_length=5000),
    _f("opinion", K.TEXT, gettext_noop("处理意见"), max_length=5000),
    _f("legal_basis", K.TEXT, gettext_noop("法律法规依据"), max_length=2000),
    _f("served_on", K.DATE, gettext_noop("送达日期")),
    _f("service_method", K.CHOICE, gettext_noop("送达方式"), choices="service_methods"),
    _f("agreement", K.TEXT, gettext_noop("协议内容"), max_length=5000),
    _f("agreement_kind", K.CHOICE, gettext_noop("方式"), choices="agreement_kinds"),
    _f("other_party", K.LINE, gettext_noop("对方当事人"), max_length=200),
    _f("consent", K.CHOICE, gettext_noop("双方同意"), choices="consent",
       help=gettext_noop("调解、和解须经双方当事人同意（§33）")),
    _f("rating", K.CHOICE, gettext_noop("评价"), choices="ratings"),
    _f("xinfang_rating", K.CHOICE, gettext_noop("对信访部门（登记、转送交办）的评价"),
       choices="ratings", help=gettext_noop("第二个评价对象（国信发〔2022〕11号）：可不填")),
    _f("comment", K.TEXT, gettext_noop("意见"), max_length=1000),
    _f("late_reason", K.TEXT, gettext_noop("逾期的正当理由（如有）"), max_length=1000),
    _f("review_outcome", K.CHOICE, gettext_noop("复查（复核）结论"), choices="review_outcomes"),
    _f("new_outcome", K.CHOICE, gettext_noop("变更后的处理结论"), choices="outcomes",
       help=gettext_noop("结论为“变更”时必填")),
    _f("redo_days", K.INT, gettext_noop("重新办理期限（日）"), min_value=1, max_value=60,
       help=gettext_noop("不填则按本地规定（默认30日）")),
    _f("handler_user", K.INT, gettext_noop("承办人"), min_value=1),
    _f("recused_user", K.INT, gettext_noop("回避人员"), min_value=1),
    _f("hearing_requested_by", K.CHOICE, gettext_noop("听证由谁提出"),
       choices="hearing_requesters"),
    _f("hearing_requested_on", K.DATE, gettext_noop("听证申请（提议）日期"),
       help=gettext_noop("不早于收到复核请求之日")),
    _f("hearing_on", K.DATE, gettext_noop("听证开始日期"),
       help=gettext_noop("听证实际开始之日，不早于申请日期、不晚于今天；复核期限自该日起中止计算"
                         "（§36 ¶2）")),
    _f("conclusion", K.TEXT, gettext_noop("听证结论"), max_length=2000),
    # The acts beside the state machine (domain.acts): 督办, 办结报告, 协办 opinion.
    _f("note", K.TEXT, gettext_noop("督办意见"), max_length=2000),
    _f("feedback_days", K.INT, gettext_noop("反馈期限（天）"), min_value=1, max_value=90),
    _f("text", K.TEXT, gettext_noop("内容"), max_length=5000),
    # §40: the 督办 feedback and the three recommendations with their adoption feedback.
    _f("supervision", K.INT, gettext_noop("督办单"), min_value=1, max_value=2**31 - 1),
    _f("recommendation", K.INT, gettext_noop("建议书"), min_value=1, max_value=2**31 - 1),
    _f("review", K.CHOICE, gettext_noop("审核结果"), choices="supervision_reviews"),
    _f("concerns_body", K.BODY, gettext_noop("被建议追责的机关、单位"),
       help=gettext_noop("追究责任建议：推诿、敷衍、拖延、弄虚作假造成严重后果的机关、单位（§40 ¶3）")),
    _f("problem", K.TEXT, gettext_noop("发现的问题"), max_length=3000),
    _f("proposal", K.TEXT, gettext_noop("建议内容"), max_length=3000),
    _f("adoption", K.CHOICE, gettext_noop("采纳情况"), choices="adoptions"),
    _f("personnel_body", K.LINE, gettext_noop("组织（人事）部门"), max_length=100,
       help=gettext_noop("按照干部管理权限，如：中共安平县委组织部（§30 ¶2）")),
    # 重大紧急 (§25; procedure.md doc #19: the event, scale, risk, measures taken).
    _f("event", K.TEXT, gettext_noop("事件情况"), max_length=3000),
    _f("scale", K.LINE, gettext_noop("规模（涉及人数、范围）"), max_length=200),
    _f("risk", K.TEXT, gettext_noop("风险研判"), max_length=2000),
    _f("measures", K.TEXT, gettext_noop("已采取的措施"), max_length=3000),
    _f("report", K.INT, gettext_noop("报告"), min_value=1, max_value=2**31 - 1),
    _f("sent_via", K.CHOICE, gettext_noop("报送方式"), choices="report_channels"),
]}

# Optional extras a transition may carry beyond its required fields.
OPTIONAL: dict[str, tuple[str, ...]] = {
    "forward": ("assist_bodies", "instructions"),
    "assign": ("grade", "assist_bodies", "instructions"),
    "not_accept": ("route",),
    "object": ("competent_body_name",),
    "rate_satisfied": ("comment", "xinfang_rating"),
    "rate_unsatisfied": ("comment", "xinfang_rating"),
    "request_review": ("late_reason",),
    "request_recheck": ("late_reason",),
    "accept": ("route31",),
    "accept_direct": ("route31",),
    "issue_review": ("new_outcome",),
    "issue_recheck": ("new_outcome",),
    "order_redo_review": ("redo_days",),
    "order_redo_recheck": ("redo_days",),
}

# A field whose choices differ by transition: (transition, field) → a key of CHOICES.
CHOICE_OVERRIDES: dict[tuple[str, str], str] = {
    ("channel", "route31"): "route31_channel",
    ("accept", "route31"): "route31_accept",
    ("accept_direct", "route31"): "route31_accept",
    ("issue_review", "review_outcome"): "review_keep",
    ("issue_recheck", "review_outcome"): "review_keep",
    ("order_redo_review", "review_outcome"): "review_redo",
    ("order_redo_recheck", "review_outcome"): "review_redo",
}

# The fields of the acts that are not transitions, required first.
ACT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "supervise": (("note",), ("feedback_days",)),
    "submit_report": (("text",), ()),
    "confirm_lapse": (("reason",), ()),
    "assist_sign": ((), ()),
    "assist_object": (("reason",), ()),
    "assist_reply": (("text",), ()),
    "assign_handler": (("handler_user",), ()),
    "record_implementation": (("text",), ()),
    "recuse": (("recused_user", "reason"), ()),
    "notify_personnel": (("personnel_body", "text"), ()),
    "supervision_feedback": (("supervision", "text"), ()),
    "review_supervision_feedback": (("supervision", "review"), ("note", "feedback_days")),
    "recommend_improve": (("to_body", "problem", "proposal"), ()),
    "recommend_policy": (("to_body", "problem", "proposal"), ()),
    "recommend_accountability": (("to_body", "concerns_body", "problem", "proposal"), ()),
    "recommendation_feedback": (("recommendation", "adoption", "text"), ()),
    "declare_urgent": (("event", "scale", "risk", "measures"), ()),
    "urgent_measure": (("measures",), ()),
    "urgent_report_sent": (("report", "sent_via"), ()),
}

LABELS = {name: spec.label for name, spec in FIELDS.items()}


def for_transition(name: str, required: tuple[str, ...]) -> list[tuple[FieldSpec, bool]]:
    """The fields of one transition in form order: (spec, required)."""
    def spec(n: str) -> FieldSpec:
        key = CHOICE_OVERRIDES.get((name, n))
        return replace(FIELDS[n], choices=key) if key else FIELDS[n]

    return ([(spec(n), True) for n in required]
            + [(spec(n), False) for n in OPTIONAL.get(name, ()) if n not in required])


def choice_keys(spec: FieldSpec) -> list[str]:
    return list(CHOICES[spec.choices]) if spec.kind == Kind.CHOICE else []
