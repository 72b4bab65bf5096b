"""Acts outside the state machine: 办结报告 (§22 ¶1 (3)), 督办 (§40), 协办 (§24), identity reveal (§30 ¶3)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, overload

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.core.i18n import source_text
from xinfang.domain import acts
from xinfang.domain import states as st
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.org.models import User

from .. import clocks, permissions
from ..models import (
    Clock,
    Dispatch,
    Document,
    Matter,
    Supervision,
)
from .actors import current_lead_dispatch
from .effects_intake import REPORT_CODES
from .records import issue_document
from .records import record_event as _event

# --------------------------------------------------------------------------- other acts


def submit_report(matter: Matter, *, user: User, text: str) -> Dispatch:
    """交办 办结报告 (§22 ¶1 (3)); meets D5."""
    if not text.strip():
        raise GuardFailed("请填写办结报告内容")
    with transaction.atomic():
        permissions.require(user, "submit_report", matter=matter)
        d = current_lead_dispatch(matter)
        assert d is not None  # the act's scope: the 主办 unit of a 交办
        if matter.state not in (st.State.HANDLING, st.State.REPLIED, st.State.CLOSED):
            raise GuardFailed("事项受理后方可提交办结报告（§22 ¶1（三））")
        d.report_text, d.reported_at = text.strip(), timezone.now()
        d.save(update_fields=["report_text", "reported_at"])
        clocks.meet(matter, *REPORT_CODES, on=clocks.today(), dispatch=d)
        _event(matter, "submit_report", gettext_noop("提交办结报告"), matter.state, matter.state, user, "",
               note=text.strip()[:200], public=False)
        audit.record("submit_report", actor=user, object_type="dispatch", object_id=d.pk,
                     matter_id=matter.pk)
        clocks.refresh_next_due(matter.pk)
    return d


# The sweep's kinds, tied to one clock: 临期提醒 (a 催办 before the limit) and 超期督办 (§40).
CLOCK_KINDS: dict[str, tuple[str, str]] = {
    Supervision.Kind.REMINDER: ("remind", gettext_noop("临期提醒")),
    Supervision.Kind.OVERDUE: ("supervise", gettext_noop("超期督办")),
}
OVERDUE_FEEDBACK_DAYS = 3


@overload
def supervise(matter: Matter, *, user: User | None, note: str, feedback_days: int = ...,
              system: bool = ..., kind: str = ..., clock: None = ...,
              on: date | None = ...) -> Supervision: ...
@overload
def supervise(matter: Matter, *, user: User | None, note: str, feedback_days: int = ...,
              system: bool = ..., kind: str = ..., clock: Clock,
              on: date | None = ...) -> Supervision | None: ...
def supervise(matter: Matter, *, user: User | None, note: str, feedback_days: int = 30,
              system: bool = False, kind: str = Supervision.Kind.MANUAL,
              clock: Clock | None = None, on: date | None = None) -> Supervision | None:
    """督办 by a supervisor or the 信访部门 (§40), or by the system's own rules (``system``);
    issues a 督办单 with a feedback date.

    With a ``clock`` (system only) it is the sweep's act on that clock: ``kind`` REMINDER
    (临期提醒, a 催办: no 督办 flag, no feedback date) or OVERDUE (超期督办, §40: flags the
    matter as 督办 with a 3-day feedback date). One per clock and kind — the unique
    constraint is the guard, so a second sweep creates nothing, writes no event and no
    audit row, and returns None.
    """
    if clock is not None:
        return _supervise_clock(matter, clock, kind, note, on or clocks.today())
    if kind != Supervision.Kind.MANUAL:
        raise ValueError(f"a {kind} supervision is tied to a clock")
    if not system:
        permissions.require(user, "supervise", matter=matter)
    elif matter.state not in st.OPEN_STATES:
        raise GuardFailed("事项已办结，无需督办")
    if not note.strip():
        raise GuardFailed("请填写督办意见")
    with transaction.atomic():
        today = on or clocks.today()
        target = matter.lead_body or matter.holder
        # §40 ¶1: the supervised body owes a written answer by the feedback date (S1).
        feedback = clocks.start(matter, "S1", today, body=target,
                                due_override=today + timedelta(days=feedback_days))
        s = Supervision.objects.create(
            matter=matter, kind=Supervision.Kind.MANUAL, body=target, created_at=timezone.now(),
            created_by=user, note=note.strip(), feedback_due=feedback.due_on,
            feedback_clock=feedback,
        )
        Matter.objects.filter(pk=matter.pk).update(supervised=True)
        issuer = (user.body if user is not None else None) or matter.holder
        issue_document(matter, Document.Kind.SUPERVISION, issuer, {
            "to_body": target.name, "problem": note.strip(),
            "feedback_due": s.feedback_due.isoformat() if s.feedback_due else "",
            "basis": "§40",
        }, to_petitioner=False)
        label = "系统" if system else ""
        _event(matter, "supervise", gettext_noop("督办"), matter.state, matter.state, user, label,
               note=note.strip(), public=False)
        audit.record("supervise", actor=user, actor_label=label, object_type="matter",
                     object_id=matter.pk, matter_id=matter.pk, data={"to": target.pk})
        clocks.refresh_next_due(matter.pk)
    return s


def _supervise_clock(matter: Matter, clock: Clock, kind: str, note: str,
                     today: date) -> Supervision | None:
    """The system's 临期提醒 / 超期督办 on one clock: supervision, flag, event, audit row."""
    if kind not in CLOCK_KINDS:
        raise ValueError(f"no {kind} supervision on a clock")
    action, label = CLOCK_KINDS[kind]
    overdue = kind == Supervision.Kind.OVERDUE
    try:
        with transaction.atomic():
            s = Supervision.objects.create(
                matter=matter, clock=clock, kind=kind, body_id=clock.body_id,
                created_at=timezone.now(), note=note.strip(),
                feedback_due=today + timedelta(days=OVERDUE_FEEDBACK_DAYS) if overdue else None,
            )
            if overdue:  # §40: an overdue matter is 督办; a reminder is not
                Matter.objects.filter(pk=matter.pk).update(supervised=True)
            _event(matter, action, label, matter.state, matter.state, None, "系统",
                   note=note.strip(), public=False,
                   data={"kind": kind, "clock": clock.code, "due_on": clock.due_on.isoformat()})
            audit.record(action, actor_label="系统", object_type="supervision", object_id=s.pk,
                         matter_id=matter.pk,
                         data={"kind": kind, "clock": clock.code, "clock_id": clock.pk,
                               "due_on": clock.due_on.isoformat(), "to": clock.body_id})
    except IntegrityError:  # one per (clock, kind): this sweep already ran today
        return None
    return s


def _assist_dispatch(dispatch: Dispatch, user: User, act: str) -> Dispatch:
    d = Dispatch.objects.select_for_update().select_related("matter", "to_body").get(pk=dispatch.pk)
    permissions.require(user, act, matter=d.matter)
    if d.role != Dispatch.Role.ASSIST or d.to_body_id != user.body_id:
        raise Forbidden(acts.ACTS[act].refusal)
    return d


def _dstate_zh(d: Dispatch) -> str:
    """The 协办件's state in Chinese, for the (Chinese) guard messages."""
    return source_text(Dispatch.DState(d.state).label)


def _assist_recorded(d: Dispatch, action: str, label: str, user: User, note: str,
                     data: dict[str, Any] | None = None) -> None:
    """The timeline entry (staff only) and the audit row of a 协办 act (§24)."""
    _event(d.matter, action, label, d.matter.state, d.matter.state, user, "", note=note,
           public=False)
    audit.record(action, actor=user, object_type="dispatch", object_id=d.pk,
                 matter_id=d.matter_id, data=data)


def assist_sign(dispatch: Dispatch, *, user: User) -> Dispatch:
    """签收 by a 协办 unit: its own record and clocks (§24)."""
    with transaction.atomic():
        d = _assist_dispatch(dispatch, user, "assist_sign")
        if d.state != Dispatch.DState.PENDING:
            raise GuardFailed(f"协办件当前状态为“{_dstate_zh(d)}”，不能签收")
        d.state, d.signed_at = Dispatch.DState.SIGNED, timezone.now()
        d.save(update_fields=["state", "signed_at"])
        _assist_recorded(d, "assist_sign", gettext_noop("协办签收"), user,
                         f"{d.to_body.name}签收协办件")
    return d


def assist_object(dispatch: Dispatch, *, user: User, reason: str) -> Dispatch:
    """退回 by a 协办 unit within 5 工作日 of receipt (§23 ¶3)."""
    if not reason.strip():
        raise GuardFailed("请填写退回理由")
    with transaction.atomic():
        d = _assist_dispatch(dispatch, user, "assist_object")
        if d.state not in (Dispatch.DState.PENDING, Dispatch.DState.SIGNED):
            raise GuardFailed(f"协办件当前状态为“{_dstate_zh(d)}”，不能退回")
        d4 = d.clocks.filter(code="D4").order_by("-id").first()
        if d4 is not None and clocks.today() > d4.due_on:
            raise GuardFailed("已超过收到之日起5个工作日的异议期限，不能退回（§23 ¶3）")
        d.state, d.objection_reason = Dispatch.DState.OBJECTED, reason.strip()
        d.save(update_fields=["state", "objection_reason"])
        clocks.meet(d.matter, "D3", "D4", on=clocks.today(), dispatch=d)
        _assist_recorded(d, "assist_object", gettext_noop("协办退回"), user, reason.strip(),
                         {"reason": reason.strip()})
        clocks.refresh_next_due(d.matter_id)
    return d


def assist_reply(dispatch: Dispatch, *, user: User, text: str) -> Dispatch:
    """A 协办 unit sends its opinion to the lead unit (§24)."""
    if not text.strip():
        raise GuardFailed("请填写协办意见")
    with transaction.atomic():
        dispatch = _assist_dispatch(dispatch, user, "assist_reply")
        if dispatch.state not in (Dispatch.DState.PENDING, Dispatch.DState.SIGNED):
            raise GuardFailed(f"协办件当前状态为“{_dstate_zh(dispatch)}”，不能提交意见")
        today = clocks.today()
        dispatch.assist_reply = text.strip()
        dispatch.state = Dispatch.DState.REPLIED
        dispatch.signed_at = dispatch.signed_at or timezone.now()
        dispatch.save(update_fields=["assist_reply", "state", "signed_at"])
        clocks.meet(dispatch.matter, "D3", "D4", on=today, dispatch=dispatch)
        _assist_recorded(dispatch, "assist_reply", gettext_noop("协办意见"), user, text.strip()[:200])
        clocks.refresh_next_due(dispatch.matter_id)
    return dispatch


def log_identity_view(matter: Matter, user: User | None, where: str) -> None:
    """Reveal a petitioner's identity: refused outside the act's scope (§30 ¶3), and every
    view leaves an audit row (issue 2 §8)."""
    permissions.require(user, "reveal_identity", matter=matter)
    audit.record("view_identity", actor=user, object_type="matter", object_id=matter.pk,
                 matter_id=matter.pk, data={"where": where})

