"""Effects of handling: 延期 (§34), 处理意见书 (§32), 调解 (§33), 评价 and 重办 (§21 ¶2)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xinfang.domain import route31
from xinfang.domain import states as st
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import User

from .. import clocks
from ..models import (
    Dispatch,
    Document,
    Evaluation,
    Matter,
    Supervision,
)
from .effects_intake import _as_date, _lead
from .records import issue_document


def _fx_request_extension(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return f"申请延期{data['days']}日：{data['reason']}"


def _pending_extension(m: Matter) -> tuple[int, str]:
    ev = m.events.filter(action="request_extension").order_by("-at", "-id").first()
    if ev is None:
        raise GuardFailed("没有待批准的延期申请")
    return int(ev.data.get("days", 0)), str(ev.data.get("reason", ""))


def _fx_approve_extension(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    days, reason = _pending_extension(m)
    d = _lead(m)
    clock = (m.clocks.filter(code__in=["D6", "D14", "D15", "D16", "R1", "R2"], met_on__isnull=True)
             .order_by("-id").first())
    if clock is None:
        raise GuardFailed("没有正在计算的办理期限")
    if clock.due_on < today:
        raise GuardFailed("办理期限已届满，不能再延期（延期应在期限届满前告知，§34）")
    old_due = clock.due_on
    served_on = _served_on(m, data, today, (m.accepted_on, "受理日期"))
    if served_on > old_due:
        raise GuardFailed(f"延期告知应在办理期限届满（{old_due:%Y-%m-%d}）前送达（§34）")
    clocks.extend(clock, days)
    m.extension_used = True
    issue_document(m, Document.Kind.EXTENSION, d.to_body, {
        "reason": reason, "days": days, "old_due": old_due.isoformat(),
        "new_due": clock.due_on.isoformat(), "approver": str(u) if u else "",
        "basis": "§34",
    }, served_on=served_on, service_method=str(data["service_method"]))
    return f"批准延期{days}日，期限至 {clock.due_on:%Y-%m-%d}"


def _served_on(m: Matter, data: Mapping[str, Any], today: date,
               *answers: tuple[date | None, str]) -> date:
    """The service date of a document: not after today, and not before the step it answers,
    the first of ``answers`` that has happened (else receipt). A back-dated date would start
    the §35/§36 windows in the past and lapse them at once."""
    served_on = _as_date(data["served_on"])
    if served_on > today:
        raise GuardFailed("送达日期不能晚于今天")
    not_before, since = next(((d, what) for d, what in answers if d is not None),
                             (timezone.localdate(m.received_at), "收到日期"))
    if served_on < not_before:
        raise GuardFailed(f"送达日期不能早于{since}（{not_before:%Y-%m-%d}）")
    return served_on


def bar_repeated_opinion(m: Matter, kind: str, outcome: str, opinion: str) -> None:
    """鲁 §45 ¶2, 京 §50 ¶2: a body ordered to answer again may not give the same or
    essentially the same answer as the one set aside (setting ``bar_same_opinion``)."""
    if not settings.XINFANG_REVIEW_RULES["bar_same_opinion"]:
        return
    orders: dict[str, str] = {Document.Kind.OPINION: Document.Kind.REVIEW,
                              Document.Kind.REVIEW: Document.Kind.RECHECK}
    order_kind = orders[kind]
    prev = m.documents.filter(kind=kind).order_by("-issued_at", "-id").first()
    order = m.documents.filter(kind=order_kind).order_by("-issued_at", "-id").first()
    if prev is None or order is None or (order.issued_at, order.pk) < (prev.issued_at, prev.pk):
        return
    if order.context.get("outcome") not in (st.ReviewOutcome.SET_ASIDE, st.ReviewOutcome.REDO):
        return
    same_outcome = str(prev.context.get("outcome")) == outcome  # both kinds keep "outcome"
    old = "".join(str(prev.context.get("opinion", "")).split())
    new = "".join(opinion.split())
    if same_outcome and SequenceMatcher(None, old, new).ratio() >= SAME_OPINION_RATIO:
        raise GuardFailed("被责令重新办理的，不得作出与原意见相同或者基本相同的意见"
                          "（鲁 §45 ¶2、京 §50 ¶2）")


# Outcomes that support the request, wholly or in part: carried out under §32 ¶2.
SUPPORTING = frozenset({st.ReplyOutcome.SUPPORTED, st.ReplyOutcome.PARTLY_SUPPORTED,
                        st.ReplyOutcome.ADOPTED, st.ReplyOutcome.PARTLY_ADOPTED})

# How alike two opinions may be before the redone one counts as "基本相同".
SAME_OPINION_RATIO = 0.9


def _fx_reply(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    served_on = _served_on(m, data, today, (m.accepted_on, "受理日期"))
    bar_repeated_opinion(m, Document.Kind.OPINION, str(data["outcome"]), str(data["opinion"]))
    m.outcome, m.replied_on, m.served_on = str(data["outcome"]), today, served_on
    d.state = Dispatch.DState.REPLIED
    d.save(update_fields=["state"])
    # The new opinion supersedes the old one, and with it the old §35 window: a new one
    # starts from its receipt below.
    clocks.meet(m, "D6", "D14", "D15", "D16", "R1", "R2", "D8", "V1", on=today)
    route = route31.route_of(m.klass, m.route31)
    issue_document(m, Document.Kind.OPINION, d.to_body, {
        "request": m.request, "facts": data["facts"], "opinion": data["opinion"],
        "legal_basis": data["legal_basis"], "outcome": data["outcome"],
        "outcome_label": st.OUTCOME_LABELS[st.ReplyOutcome(str(data["outcome"]))],
        "review_body": d.to_body.parent.name if d.to_body.parent else "上一级机关",
        "route_key": route.key, "suggestion": route.key == "29",
        "basis": {"29": "§29", "30": "§30", "5": "§31（五）"}.get(route.key, "§31（六）、§32"),
    }, served_on=served_on, service_method=str(data["service_method"]))
    if str(data["outcome"]) in SUPPORTING:
        # §32 ¶2: the body that supports a request sees that it is carried out (F1).
        clocks.meet(m, "F1", on=today)
        clocks.start(m, "F1", served_on, body=d.to_body, dispatch=d)
    if route.reviewable:
        # D8: the petitioner may ask for 复查 within 30 日 of receiving the reply (§35).
        clocks.start(m, "D8", served_on, body=None, owed_by_petitioner=True)
    else:
        # No 复查 route (§29, §30, §31 (5)): open for the rating, then 答复办结.
        clocks.start(m, "V1", served_on, body=None, owed_by_petitioner=True)
    return f"{st.OUTCOME_LABELS[st.ReplyOutcome(str(data['outcome']))]}，{served_on:%Y-%m-%d}送达"


def _fx_mediate(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    """§33: the 调解协议书 or 和解协议书, signed by both parties (their signatures are taken
    on the paper copy; the record keeps the consent and the terms)."""
    d = _lead(m)
    kind = "调解" if data["agreement_kind"] == "mediation" else "和解"
    issue_document(m, Document.Kind.AGREEMENT, d.to_body, {
        "doc_title": f"信访事项{kind}协议书", "agreement_kind": kind,
        "other_party": data["other_party"], "request": m.request, "terms": data["agreement"],
        "basis": "§33",
    })
    return f"{kind}达成协议（双方同意）：{data['agreement']}"


def _fx_rate(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    rating = str(data["rating"])
    unsatisfied = rating == Evaluation.Rating.UNSATISFIED
    if (rating not in Evaluation.Rating.values) or (unsatisfied != (data.get("_unsatisfied") is True)):
        raise GuardFailed("评价应为满意、基本满意或不满意")
    xinfang_rating = str(data.get("xinfang_rating") or "")
    if xinfang_rating and xinfang_rating not in Evaluation.Rating.values:
        raise GuardFailed("对信访部门的评价应为满意、基本满意或不满意")
    follow_up = None
    if u is not None:
        # Staff record a rating only on the petitioner's behalf, from a 回访 call of this
        # answer (issue 16 item 2): the rating is marked so and points at the call's record.
        follow_up = m.follow_ups.filter(pk=data.get("follow_up") or 0, round=m.redo_count).first()
        if follow_up is None:
            raise GuardFailed("代信访人评价须依据本次答复的回访记录：请在“登记回访”中记录通话并选择评价")
    try:
        with transaction.atomic():
            Evaluation.objects.create(matter=m, round=m.redo_count, rating=rating,
                                      xinfang_rating=xinfang_rating,
                                      comment=str(data.get("comment", "")), at=timezone.now(),
                                      on_behalf=u is not None, follow_up=follow_up)
    except IntegrityError as e:
        raise GuardFailed("本次答复已评价，不能重复评价") from e
    # A rating is only a rating: the §35 window (D8) keeps running whatever it says; after a
    # 不满意 the petitioner may choose 复查 or, where practice allows, a 重办 (request_redo).
    label = str(Evaluation.Rating(rating).label)
    return (f"评价：{label}" + ("（代信访人登记，据回访记录）" if follow_up else "")
            + (f"（{data['comment']}）" if data.get("comment") else ""))


def _fx_request_redo(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    """The petitioner chose a 重办 after 不满意 (practice): the unit answers again under
    supervision; the first opinion and its §35 window stand until a new one is served."""
    last = m.evaluations.filter(round=m.redo_count).values_list("comment", flat=True).first()
    m.redo_count += 1
    m.supervised = True
    clock = clocks.start(m, "R1", today, body=m.lead_body)
    d = _lead(m)
    d.state = Dispatch.DState.ACCEPTED
    d.save(update_fields=["state"])
    Supervision.objects.create(
        matter=m, clock=clock, kind=Supervision.Kind.REDO, body=m.lead_body,
        created_at=timezone.now(), note=f"信访人评价不满意，要求重新办理：{last or ''}",
        feedback_due=clock.due_on,
    )
    d8 = clocks.open_clocks(m, "D8")
    window = f"；申请复查期限仍至 {d8[0].due_on:%Y-%m-%d}（§35）" if d8 else ""
    return f"重新办理，期限至 {clock.due_on:%Y-%m-%d}{window}"


def _fx_rate_satisfied(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return _fx_rate(m, u, {**data, "_unsatisfied": False}, today)


def _fx_rate_unsatisfied(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return _fx_rate(m, u, {**data, "_unsatisfied": True}, today)



def _fx_withdraw(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    # Withdrawn: nothing is owed any more, by a unit (办结报告, 落实) or by the petitioner.
    clocks.meet_all(m, on=today)
    return f"信访人撤回：{data['reason']}"
