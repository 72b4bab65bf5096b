"""Effects of 复查 (§35), 复核 and its hearing (§36), and lapsed windows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from xinfang.domain import states as st
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import Body, User

from .. import clocks, permissions
from ..models import (
    Dispatch,
    Document,
    Matter,
)
from .effects_handling import _served_on, bar_repeated_opinion
from .effects_intake import _lead
from .records import issue_document


def _reopen(m: Matter) -> str:
    """A request with a 正当理由 after the window lapsed reopens the closed matter."""
    if m.state != st.State.CLOSED:
        return ""
    m.closure_kind, m.closed_at = "", None
    return "（逾期，说明正当理由，重新开启）"


def _fx_request_review(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    handling = m.lead_body
    if handling is None or handling.parent is None:
        raise GuardFailed("未找到原办理机关的上一级机关，无法提出复查（§35）")
    m.review_body = handling.parent
    ended = _reopen(m)
    if m.state == st.State.HANDLING:
        # The petitioner chose 复查 of the served opinion over the 重办 under way (§35).
        clocks.meet(m, "R1", "R2", on=today)
        d = _lead(m)
        d.state = Dispatch.DState.REPLIED
        d.save(update_fields=["state"])
        ended = "（重新办理终止）"
    clocks.meet(m, "D8", on=today)
    clocks.start(m, "D9", today, body=m.review_body)
    return f"向{m.review_body.name}申请复查{ended}：{data['reason']}"


def _fx_reject_review(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    body = m.recheck_body if m.state == st.State.RECHECK_REQUESTED else m.review_body
    assert body is not None
    code = str(data["reason_code"])
    issue_document(m, Document.Kind.NOT_ACCEPTED, body, {
        "reason_code": code, "rule": st.NOT_ACCEPTED_REASONS[code], "reason": data["reason"],
        "route": data.get("route", ""),
    })
    return f"{code}：{data['reason']}"


def _issue_review_doc(m: Matter, kind: str, body: Body, data: Mapping[str, Any],
                     today: date, **extra: Any) -> date:
    # A 复查 answers the 处理意见书 (§35), a 复核 the 复查意见书 (§36).
    answers = [(m.served_on, "处理意见书送达日期")]
    if kind == Document.Kind.RECHECK:
        answers.insert(0, (m.review_served_on, "复查意见书送达日期"))
    served_on = _served_on(m, data, today, *answers)
    outcome = str(data["review_outcome"])
    if outcome not in st.ReviewOutcome.__members__.values():
        raise GuardFailed("请选择复查（复核）结论：维持、撤销、变更或责令重新办理")
    new_outcome = str(data.get("new_outcome") or "")
    if outcome == st.ReviewOutcome.CHANGED:
        # 变更: the review body's own opinion replaces the original one (鲁 §45 (二)).
        m.outcome = new_outcome
        extra["new_outcome_label"] = st.OUTCOME_LABELS[st.ReplyOutcome(new_outcome)]
    issue_document(m, kind, body, {
        "request": m.request, "facts": data["facts"], "opinion": data["opinion"],
        "legal_basis": data["legal_basis"], "outcome": outcome,
        "outcome_label": st.REVIEW_OUTCOME_LABELS[st.ReviewOutcome(outcome)],
        "respondent": m.lead_body.name if m.lead_body else "",
        "next_body": body.parent.name if body.parent else "上一级机关",
        **extra,
    }, served_on=served_on, service_method=str(data["service_method"]))
    return served_on


def _redo_due(data: Mapping[str, Any], today: date) -> tuple[int, date]:
    days = data.get("redo_days") or settings.XINFANG_REVIEW_RULES["redo_days"]
    return int(days), today + timedelta(days=int(days))


def _fx_issue_review(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    assert m.review_body is not None
    bar_repeated_opinion(m, Document.Kind.REVIEW, str(data["review_outcome"]),
                         str(data["opinion"]))
    served_on = _issue_review_doc(m, Document.Kind.REVIEW, m.review_body, data, today)
    m.review_served_on = served_on
    clocks.meet(m, "D9", "R3", on=today)
    clocks.start(m, "D10", served_on, body=None, owed_by_petitioner=True)
    return f"复查结论：{st.REVIEW_OUTCOME_LABELS[st.ReviewOutcome(str(data['review_outcome']))]}"


def _fx_order_redo_review(m: Matter, u: User | None, data: Mapping[str, Any],
                          today: date) -> str:
    """复查 sets the opinion aside and orders the handling body to answer again within a
    limit (鲁 §45 (二), 京 §50); the new 处理意见书 can itself be reviewed (§35)."""
    assert m.review_body is not None and m.lead_body is not None
    bar_repeated_opinion(m, Document.Kind.REVIEW, str(data["review_outcome"]),
                         str(data["opinion"]))
    days, due = _redo_due(data, today)
    served_on = _issue_review_doc(m, Document.Kind.REVIEW, m.review_body, data, today,
                                  redo_body=m.lead_body.name, redo_due=due.isoformat(),
                                  redo_days=days)
    m.review_served_on = served_on
    m.outcome = ""  # the set-aside conclusion no longer stands; the new answer gives one
    m.redo_count += 1  # the new answer is rated afresh (§21 ¶2)
    clocks.meet(m, "D9", "R3", on=today)
    clocks.start(m, "R2", today, body=m.lead_body, due_override=due)
    d = _lead(m)
    d.state = Dispatch.DState.ACCEPTED
    d.save(update_fields=["state"])
    return f"复查{st.REVIEW_OUTCOME_LABELS[st.ReviewOutcome(str(data['review_outcome']))]}，" \
           f"责令{m.lead_body.name}于 {due:%Y-%m-%d} 前重新作出处理意见"


def _fx_order_redo_recheck(m: Matter, u: User | None, data: Mapping[str, Any],
                           today: date) -> str:
    """复核 sets the 复查 opinion aside and orders the 复查 body to review again within a
    limit (鲁 §45 (二)); its new 复查意见 can itself be taken to 复核 (§36 ¶1)."""
    assert m.recheck_body is not None and m.review_body is not None
    days, due = _redo_due(data, today)
    _issue_review_doc(m, Document.Kind.RECHECK, m.recheck_body, data, today,
                      redo_body=m.review_body.name, redo_due=due.isoformat(), redo_days=days)
    clocks.meet(m, "D11", on=today)
    clocks.start(m, "R3", today, body=m.review_body, due_override=due)
    return f"复核{st.REVIEW_OUTCOME_LABELS[st.ReviewOutcome(str(data['review_outcome']))]}，" \
           f"责令{m.review_body.name}于 {due:%Y-%m-%d} 前重新作出复查意见"


def _fx_request_recheck(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    if m.review_body is None or m.review_body.parent is None:
        raise GuardFailed("未找到复查机关的上一级机关，无法提出复核（§36 ¶1）")
    m.recheck_body = m.review_body.parent
    reopened = _reopen(m)
    clocks.meet(m, "D10", on=today)
    clocks.start(m, "D11", today, body=m.recheck_body)
    return f"向{m.recheck_body.name}申请复核{reopened}：{data['reason']}"


def _fx_issue_recheck(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    assert m.recheck_body is not None
    _issue_review_doc(m, Document.Kind.RECHECK, m.recheck_body, data, today, final=True)
    clocks.meet(m, "D11", on=today)
    return "复核意见已送达；同一事实和理由不再受理（§36 ¶3）"


def _fx_close_answered(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    clocks.meet(m, "V1", on=today)
    return "答复已送达，评价期限届满，办结"


def _fx_close_lapsed(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    # In doubt, for the petitioner (issue 13 item 4): a window whose end was computed from an
    # estimated holiday table closes only on a person's confirmation (services.confirm_lapse).
    if clocks.pending_lapses(m, today) and (
            u is None or not permissions.may(u, "confirm_lapse", matter=m)):
        raise GuardFailed("复查（复核）请求期限的届满日按估算的节假日计算（当年节假日安排未公布或"
                          "未确认），须由督查或管理员确认后方可结案")
    clocks.meet(m, *clocks.PETITIONER_WINDOWS, on=today)
    if u is not None:
        return str(data.get("reason", "")) or "经确认复查（复核）请求期限届满，结案"
    return "复查（复核）请求期限届满，结案"

