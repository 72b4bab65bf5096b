"""The guards of the state machine's transitions: each reads the :class:`Facts` and the
input, and returns a Chinese refusal naming its article, or None.

Plain Python: no Django. ``xinfang.domain.states`` uses them in its table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .routing import refusal as routing_refusal
from .vocab import (
    NOT_ACCEPTED_REASONS,
    ClosureKind,
    Facts,
    Klass,
    ReplyOutcome,
    ReviewOutcome,
)

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
    if facts.objection_refused:
        # §23 ¶3: the forwarder has checked and not agreed; the unit handles it.
        return "转送机关已审核并不同意退回，应当依法办理，不能再次退回（§23 ¶3）"
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
