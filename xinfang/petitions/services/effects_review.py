"""Effects of 复查 (§35), 复核 and its hearing (§36), and lapsed windows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from xinfang.domain import states as st
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import Body, User

from .. import clocks
from ..models import (
    Document,
    Matter,
)
from .effects_handling import _served_on
from .effects_intake import _as_date
from .records import issue_document


def _fx_request_review(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    handling = m.lead_body
    if handling is None or handling.parent is None:
        raise GuardFailed("未找到原办理机关的上一级机关，无法提出复查（§35）")
    m.review_body = handling.parent
    clocks.meet(m, "D8", on=today)
    clocks.start(m, "D9", today, body=m.review_body)
    return f"向{m.review_body.name}申请复查：{data['reason']}"


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
                     today: date) -> date:
    # A 复查 answers the 处理意见书 (§35), a 复核 the 复查意见书 (§36).
    answers = [(m.served_on, "处理意见书送达日期")]
    if kind == Document.Kind.RECHECK:
        answers.insert(0, (m.review_served_on, "复查意见书送达日期"))
    served_on = _served_on(m, data, today, *answers)
    outcome = str(data["review_outcome"])
    if outcome not in st.ReviewOutcome.__members__.values():
        raise GuardFailed("请选择复查（复核）结论：维持、撤销、变更或责令重新办理")
    issue_document(m, kind, body, {
        "request": m.request, "facts": data["facts"], "opinion": data["opinion"],
        "legal_basis": data["legal_basis"], "outcome": outcome,
        "outcome_label": st.REVIEW_OUTCOME_LABELS[st.ReviewOutcome(outcome)],
        "respondent": m.lead_body.name if m.lead_body else "",
        "next_body": body.parent.name if body.parent else "上一级机关",
    }, served_on=served_on, service_method=str(data["service_method"]))
    return served_on


def _fx_issue_review(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    assert m.review_body is not None
    served_on = _issue_review_doc(m, Document.Kind.REVIEW, m.review_body, data, today)
    m.review_served_on = served_on
    clocks.meet(m, "D9", on=today)
    clocks.start(m, "D10", served_on, body=None, owed_by_petitioner=True)
    return f"复查结论：{st.REVIEW_OUTCOME_LABELS[st.ReviewOutcome(str(data['review_outcome']))]}"


def _fx_request_recheck(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    if m.review_body is None or m.review_body.parent is None:
        raise GuardFailed("未找到复查机关的上一级机关，无法提出复核（§36 ¶1）")
    m.recheck_body = m.review_body.parent
    clocks.meet(m, "D10", on=today)
    clocks.start(m, "D11", today, body=m.recheck_body)
    return f"向{m.recheck_body.name}申请复核：{data['reason']}"


def _fx_start_hearing(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    hearing_on = _as_date(data["hearing_on"])
    for c in clocks.open_clocks(m, "D11"):
        clocks.pause(c, hearing_on)
    return f"{hearing_on:%Y-%m-%d}举行听证，听证时间不计入复核期限（§36 ¶2）"


def _fx_end_hearing(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    for c in clocks.open_clocks(m, "D11"):
        clocks.resume(c, today)
    return f"听证结束：{data['conclusion']}"


def _fx_issue_recheck(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    assert m.recheck_body is not None
    _issue_review_doc(m, Document.Kind.RECHECK, m.recheck_body, data, today)
    clocks.meet(m, "D11", on=today)
    return "复核意见已送达；同一事实和理由不再受理（§36 ¶3）"


def _fx_close_lapsed(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    clocks.meet(m, "D8", "D10", on=today)
    return "复查（复核）请求期限届满，结案"

