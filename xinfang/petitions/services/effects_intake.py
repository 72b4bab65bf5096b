"""Effects of the intake transitions: 转送/交办 (§22), 签收/退回 (§23 ¶3), 受理, 不予受理, 导入法定程序 (§31)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils import timezone

from xinfang.domain import route31
from xinfang.domain import states as st
from xinfang.domain.deadlines import GRADE_CODES
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import Body, User

from .. import clocks, routing
from ..models import (
    Dispatch,
    Document,
    Matter,
)
from .actors import current_lead_dispatch
from .records import doc_number, issue_document

REPORT_CODES = ("D5", *GRADE_CODES.values())

def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as e:
        raise GuardFailed("日期格式应为 YYYY-MM-DD") from e


def _body(data: Mapping[str, Any]) -> Body:
    obj = data.get("to_body_obj")
    if isinstance(obj, Body):
        return obj
    try:
        return Body.objects.select_related("division").get(pk=data["to_body"], active=True)
    except (Body.DoesNotExist, ValueError, TypeError) as e:
        raise GuardFailed("接收单位不存在") from e


def _dispatch(matter: Matter, user: User | None, data: Mapping[str, Any], today: date,
              kind: str) -> str:
    # Where it may go (本级或下级, the act's kind of body, never the accused: §22 ¶1–2,
    # §30 ¶3) was checked by the transition's guard (domain.routing).
    to = _body(data)
    holder = matter.holder
    assist_ids = [int(b) for b in data.get("assist_bodies") or [] if str(b).isdigit()]
    now = timezone.now()
    refer = kind in (Dispatch.Kind.REFER_POLITICAL_LEGAL, Dispatch.Kind.REFER_DISCIPLINE)
    report_due = _as_date(data["report_due"]) if data.get("report_due") else None
    if report_due is not None and report_due <= today:
        raise GuardFailed("办结报告期限应晚于今天（§22 ¶1（三））")
    grade = str(data.get("grade") or "")
    if grade and grade not in GRADE_CODES:
        raise GuardFailed("三色等级应为绿色、黄色或红色")
    doc_kind = Document.Kind.ASSIGN if kind == Dispatch.Kind.ASSIGN else Document.Kind.FORWARD
    number = doc_number(holder, doc_kind, today.year)
    lead = Dispatch.objects.create(
        matter=matter, kind=kind, role=Dispatch.Role.LEAD, from_body=holder, to_body=to,
        state=Dispatch.DState.REFERRED if refer else Dispatch.DState.PENDING, number=number,
        dispatched_at=now, dispatched_by=user, report_due=report_due, grade=grade,
        instructions=str(data.get("instructions", "")),
    )
    clocks.meet(matter, "D1", "D2", on=today)
    issue_document(matter, doc_kind, holder, {
        "to_body": to.name, "kind": lead.get_kind_display(),
        "basis": {"forward": "§22 ¶1（一）（二）", "assign": "§22 ¶1（三）",
                  "refer_political_legal": "§22 ¶2、§28 ¶2",
                  "refer_discipline": "§22 ¶2、§30"}[kind],
        "report_due": report_due.isoformat() if report_due else "",
        "grade": lead.get_grade_display() if grade else "",
        "instructions": lead.instructions, "refer": refer,
    }, number=number, to_petitioner=False)
    if refer:
        # §22 ¶2: where it went, told in writing; the 政法部门's or 纪检监察机关's own notice
        # of how it is handled follows their rules (§23 ¶4), so no D3 clock is armed for it.
        issue_document(matter, Document.Kind.INFORMED, holder, {
            "referred_to": to.name, "kind": lead.get_kind_display(),
            "basis": {"refer_political_legal": "§22 ¶2、§28 ¶2",
                      "refer_discipline": "§22 ¶2、§30 ¶1"}[kind]})
        return f"{lead.get_kind_display()}：{to.name}"
    matter.lead_body = to
    _arm_receiver_clocks(matter, lead, today)
    if report_due is not None:
        clocks.start(matter, "D5", today, body=to, dispatch=lead, due_override=report_due)
    if grade:
        clocks.start(matter, GRADE_CODES[grade], today, body=to, dispatch=lead)
    names = [to.name]
    for b in Body.objects.filter(pk__in=assist_ids).exclude(pk=to.pk):
        a = Dispatch.objects.create(
            matter=matter, kind=kind, role=Dispatch.Role.ASSIST, from_body=holder, to_body=b,
            number=number, dispatched_at=now, dispatched_by=user, report_due=report_due,
        )
        _arm_receiver_clocks(matter, a, today)
        names.append(f"{b.name}（协办）")
    return f"{lead.get_kind_display()}：" + "、".join(names)


def _arm_receiver_clocks(matter: Matter, d: Dispatch, today: date) -> None:
    # D3 受理告知 15 日 and D4 异议 5 工作日, both from receipt of the transfer (§23 ¶3).
    clocks.start(matter, "D3", today, body=d.to_body, dispatch=d)
    clocks.start(matter, "D4", today, body=d.to_body, dispatch=d)


def _lead(matter: Matter) -> Dispatch:
    d = current_lead_dispatch(matter)
    if d is None:
        raise GuardFailed("该事项没有主办单位")
    return d


def _within_own_system(m: Matter, data: Mapping[str, Any]) -> dict[str, Any]:
    """§23 ¶1: a body that is not a 信访部门 forwards a petition brought to it only to a
    lower body of its own system; for anything else it tells the petitioner where to go.
    Returns the data with the receiving body resolved once for the effects that follow."""
    to = _body(data)
    if m.holder.handles_directly and to.pk not in routing.own_system_below(m.holder_id):
        raise GuardFailed(f"{to.name}不是本系统的下级机关、单位：本机关只能转送、交办本系统下级"
                          "机关、单位，其他事项请告知信访人向有权处理的机关提出（§23 ¶1）")
    return {**data, "to_body_obj": to}


def _notify_where(m: Matter, kind: str, data: Mapping[str, Any]) -> None:
    # §23 ¶1: a body that forwards what was brought to it tells the petitioner where it went.
    if m.holder.handles_directly:
        issue_document(m, Document.Kind.FORWARD_NOTICE, m.holder, {
            "to_body": _body(data).name, "kind": str(Dispatch.Kind(kind).label),  # JSON context
            "basis": "§23 ¶1"})


def _fx_forward(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    data = _within_own_system(m, data)
    note = _dispatch(m, u, data, today, Dispatch.Kind.FORWARD)
    _notify_where(m, Dispatch.Kind.FORWARD, data)
    return note


def _fx_assign(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    data = _within_own_system(m, data)
    note = _dispatch(m, u, data, today, Dispatch.Kind.ASSIGN)
    _notify_where(m, Dispatch.Kind.ASSIGN, data)
    return note


def _fx_refer_pl(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return _dispatch(m, u, data, today, Dispatch.Kind.REFER_POLITICAL_LEGAL)


def _fx_refer_discipline(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return _dispatch(m, u, data, today, Dispatch.Kind.REFER_DISCIPLINE)


def _fx_inform(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    body = m.holder if m.state == st.State.REGISTERED else (m.lead_body or m.holder)
    issue_document(m, Document.Kind.INFORMED, body, {
        "competent_body": data["competent_body_name"], "reason": data["reason"],
        "basis": "§23 ¶1"})
    return f"告知向{data['competent_body_name']}提出"


def _fx_not_accept(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    body = m.holder if m.state == st.State.REGISTERED else (m.lead_body or m.holder)
    code = str(data["reason_code"])
    refusal = "不再受理" if code in st.NO_LONGER_ACCEPTED else "不予受理"  # §36 ¶3 (N2)
    issue_document(m, Document.Kind.NOT_ACCEPTED, body, {
        "reason_code": code, "rule": st.NOT_ACCEPTED_REASONS[code], "reason": data["reason"],
        "route": data.get("route", ""), "refusal": refusal, "doc_title": f"信访事项{refusal}告知书",
    })
    return f"{code}：{data['reason']}"


def _fx_sign(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    d.state, d.signed_at = Dispatch.DState.SIGNED, timezone.now()
    d.save(update_fields=["state", "signed_at"])
    return f"{d.to_body.name}签收"


def _fx_object(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    d.state, d.objection_reason = Dispatch.DState.OBJECTED, str(data["reason"])
    d.save(update_fields=["state", "objection_reason"])
    clocks.meet(m, "D3", "D4", on=today, dispatch=d)
    issue_document(m, Document.Kind.OBJECTION, d.to_body, {
        "to_body": d.from_body.name, "reason": data["reason"],
        "competent_body": data.get("competent_body_name", ""), "basis": "§23 ¶3",
    }, to_petitioner=False)
    return f"退回理由：{data['reason']}"


def _objection_ruling(m: Matter, d: Dispatch, upheld: bool, data: Mapping[str, Any]) -> None:
    """The forwarder's decision on an objection, beside the objection's own reasons (§23 ¶3)."""
    issue_document(m, Document.Kind.OBJECTION_DECISION, d.from_body, {
        "to_body": d.to_body.name, "objection": d.objection_reason, "upheld": upheld,
        "reason": data["reason"], "basis": "§23 ¶3",
    }, to_petitioner=False)


def _fx_uphold_objection(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    _objection_ruling(m, d, True, data)
    d.state = Dispatch.DState.RETURNED
    d.save(update_fields=["state"])
    # The returned unit owes no 办结报告 any more (§23 ¶3).
    clocks.meet(m, *REPORT_CODES, on=today, dispatch=d)
    m.lead_body = None
    # Re-routing keeps the original receipt date for the 信访部门's D1 (procedure §9.2 inv. 1).
    clocks.start(m, "D1", timezone.localdate(m.received_at), body=m.holder)
    return f"同意{d.to_body.name}退回，重新分流"


def _fx_reject_objection(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    _objection_ruling(m, d, False, data)
    d.state = Dispatch.DState.PENDING
    d.save(update_fields=["state"])
    # A fresh D3 for the receiver, which now has to handle it after all.
    clocks.start(m, "D3", today, body=d.to_body, dispatch=d)
    return f"不同意退回：{data['reason']}"


def _fx_accept(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    d.state = Dispatch.DState.ACCEPTED
    d.save(update_fields=["state"])
    return _start_handling(m, d, data, today, "§23 ¶3", "D3", "D4")


def _fx_accept_direct(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    """§23 ¶1–2: a unit handles a petition of its own remit that was brought to it: the
    written notice (D2) on the spot or within 15 日, then the handling limit of §34/§29."""
    holder = m.holder
    d = Dispatch.objects.create(
        matter=m, kind=Dispatch.Kind.DIRECT, role=Dispatch.Role.LEAD, from_body=holder,
        to_body=holder, state=Dispatch.DState.ACCEPTED, number="", dispatched_at=timezone.now(),
        dispatched_by=u, signed_at=timezone.now(),
    )
    m.lead_body = holder
    m._lead_dispatch = d  # type: ignore[attr-defined]
    return _start_handling(m, d, data, today, "§23 ¶1–2", "D2")


# The article each route's handling limit rests on (domain.route31).
_ROUTE_BASIS = {"5": "§31（五）", "6": "§31（六）、§34", "29": "§29", "30": "§30"}


def _start_handling(m: Matter, d: Dispatch, data: Mapping[str, Any], today: date,
                    article: str, *notice_codes: str) -> str:
    """Acceptance: the route of §29–§31 a person chose (the §31 item for a 申诉求决 matter,
    (6) when none was chosen), its handling clock and the written notice."""
    m.accepted_on = today
    chosen = data.get("route31")
    m.route31 = (int(chosen) if chosen not in (None, "") else 6) \
        if m.klass == st.Klass.APPEAL else None
    route = route31.route_of(m.klass, m.route31)
    clocks.meet(m, *notice_codes, on=today, dispatch=d if "D3" in notice_codes else None)
    clock = clocks.start(m, route.clock, today, body=d.to_body, dispatch=d)
    issue_document(m, Document.Kind.ACCEPTANCE, d.to_body, {
        "route": data["route"], "due_on": clock.due_on.isoformat(), "route_key": route.key,
        "limit": f"{clocks.rules()[route.clock].days}日",
        "basis": f"{article}、{_ROUTE_BASIS[route.key]}",
    })
    return f"受理（{_ROUTE_BASIS[route.key].split('、')[0]}），办理期限至 {clock.due_on:%Y-%m-%d}"


def _fx_channel(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    m.route31 = int(data["route31"])
    issue_document(m, Document.Kind.CHANNEL, d.to_body, {
        "route31": m.route31, "procedure": data["procedure"], "basis": f"§31（{m.route31}）",
    })
    return f"导入{data['procedure']}"

