"""From a timeline event to the deliveries it owes: who is told, on which channel, what text.

Connected to ``Event``'s ``post_save`` (every act writes one, ``petitions.services``), so no
service has to remember to notify. The deliveries and their tasks are written in the event's
transaction (``delivery.enqueue_after_commit``: after the commit only for a queue outside
this database).

**Add a kind** (e.g. a new citizen act): map its event action here (``PETITIONER_BY_ACTION``
or ``STAFF_BY_ACTION``) and give it a template in ``messages``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models.signals import post_save
from django.utils import timezone

from xinfang.domain import states as st
from xinfang.domain.idcard import mask_phone
from xinfang.org.models import Body, User
from xinfang.petitions.models import Clock, Dispatch, Document, Event, Matter, Supervision
from xinfang.petitions.services.correction import notice_reach
from xinfang.petitions.services.records import is_provisional
from xinfang.petitions.services.registration import matter_numbered

from . import channels, messages, switch
from .delivery import enqueue_after_commit
from .models import Delivery, MatterContact, StaffPreference

log = logging.getLogger("xinfang.notify")

# Event action → what the petitioner is told (messages.PETITIONER).
PETITIONER_BY_ACTION: dict[str, str] = {
    "register": "registered",
    "accept": "accepted", "accept_direct": "accepted",
    "not_accept": "not_accepted",
    "inform_elsewhere": "informed",
    "forward": "forwarded", "assign": "forwarded",
    "refer_political_legal": "forwarded", "refer_discipline": "forwarded",
    "channel": "channelled",
    "approve_extension": "extended",
    "reply": "answered",
    "request_redo": "redo", "order_redo_review": "redo", "order_redo_recheck": "redo",
    "request_review": "review_requested", "request_recheck": "recheck_requested",
    "reject_review": "review_rejected", "reject_recheck": "review_rejected",
    "issue_review": "review_opinion", "issue_recheck": "recheck_opinion",
    "mediate": "closed", "close_lapsed": "closed", "close_answered": "closed",
    "notify_window": "window_closing",  # the notification sweep (sweep.windows_closing)
    # Issue 16 item 6: the unit's question (补充材料), the petitioner's withdrawal.
    "ask_petitioner": "question",
    "withdraw": "withdrawn",
}

# The documents served with a step, attached to the petitioner's e-mail.
DOCUMENTS_BY_KIND: dict[str, tuple[str, ...]] = {
    "accepted": (Document.Kind.ACCEPTANCE,),
    "not_accepted": (Document.Kind.NOT_ACCEPTED,),
    "informed": (Document.Kind.INFORMED,),
    "forwarded": (Document.Kind.FORWARD_NOTICE,),
    "channelled": (Document.Kind.CHANNEL,),
    "extended": (Document.Kind.EXTENSION,),
    "answered": (Document.Kind.OPINION,),
    "review_opinion": (Document.Kind.REVIEW,),
    "recheck_opinion": (Document.Kind.RECHECK,),
    "redo": (Document.Kind.REVIEW, Document.Kind.RECHECK),
}

STAFF_ACTIONS = frozenset({
    "forward", "assign", "refer_political_legal", "refer_discipline", "object",
    "uphold_objection", "reject_objection", "request_extension", "approve_extension",
    "reject_extension", "request_review", "request_recheck", "request_redo", "remind",
    "supervise", "order_redo_review", "order_redo_recheck", "supplement", "withdraw",
    "correct_registration",
})
UNIT_ROLES = ("handler", "unit_head", "officer")


def connect() -> None:
    from . import reception

    post_save.connect(_on_event, sender=Event, dispatch_uid="xinfang.notify.planner")
    matter_numbered.connect(_renumber, dispatch_uid="xinfang.notify.planner.numbered")
    notice_reach.connect(_answer_reach, dispatch_uid="xinfang.notify.planner.reach")
    reception.connect()


def _answer_reach(sender: Any, matter: Matter, bodies: list[Body], **kw: Any) -> dict[int, str]:
    return unreached(matter, bodies)


def _on_event(sender: Any, instance: Event, created: bool, raw: bool = False,
              **kw: Any) -> None:
    if not created or raw or not switch.active():
        return
    if instance.action not in PETITIONER_BY_ACTION and instance.action not in STAFF_ACTIONS:
        return
    plan(instance)


def plan(event: Event) -> list[Delivery]:
    """Write the deliveries ``event`` owes and their tasks (``delivery.enqueue_after_commit``)."""
    matter = event.matter  # the service's own instance: no query
    out: list[Delivery] = []
    kind = PETITIONER_BY_ACTION.get(event.action)
    if kind is not None:
        out += _to_petitioner(matter, event, kind)
    if event.action in STAFF_ACTIONS:
        for n in _staff_notices(matter, event):
            out += _to_staff(matter, event, n.kind, n.bodies, n.facts, heads_only=n.heads_only)
    enqueue_after_commit(d.pk for d in out if d.status == Delivery.Status.QUEUED)
    if out and is_provisional(matter.number):  # a registration's, numbered in its tail
        vars(matter).setdefault(_PROVISIONAL, []).extend(out)
    return out


_PROVISIONAL = "_deliveries_with_provisional_number"


def _renumber(sender: Any, matter: Matter, provisional: str, **kw: Any) -> None:
    """The registration's number replaces the provisional one in what was planned with it,
    in the same transaction (one UPDATE per distinct text; usually one SMS)."""
    by_text: dict[tuple[str, str], list[int]] = {}
    for d in vars(matter).pop(_PROVISIONAL, []):
        d.text = d.text.replace(provisional, matter.number)
        d.subject = d.subject.replace(provisional, matter.number)
        by_text.setdefault((d.text, d.subject), []).append(d.pk)
    for (text, subject), ids in by_text.items():
        Delivery.objects.filter(pk__in=ids).update(text=text, subject=subject)


# --------------------------------------------------------------------------- petitioner


def _petitioner_phones(matter: Matter) -> list[str]:
    # .all() and a sort here: registration hands over the rows it has just written
    # (prefetched), which saves a query and the decryption of every field.
    people = sorted(matter.petitioners.all(),
                    key=lambda p: (not p.is_lead, not p.is_representative, p.pk or 0))
    chosen = [p for p in people if p.is_lead or p.is_representative] or people[:1]
    phones: list[str] = []
    for p in chosen:
        phone = "".join(str(p.phone or "").split())
        if phone and phone not in phones:
            phones.append(phone)
    return phones[:5]


def _facts(matter: Matter, event: Event) -> dict[str, Any]:
    state = st.State(event.to_state or matter.state)
    unit = (event.actor_body.name if event.actor_body_id and event.actor_body
            else (matter.lead_body or matter.holder).name)
    return {
        "number": matter.number, "title": matter.title, "matter_id": matter.pk,
        "state": str(st.STATE_LABELS[state]),
        "date": f"{timezone.localdate(event.at):%Y年%m月%d日}", "unit": unit,
        "outcome": matter.outcome_label or "见意见书",
    }


def _to_petitioner(matter: Matter, event: Event, kind: str) -> list[Delivery]:
    """The petitioner's SMS (unless turned off) and e-mail (once confirmed). Registration
    costs three statements: the petitioners, the contact row (the code is sent), the SMS."""
    if matter.is_anonymous:
        return []
    first = event.action == "register"  # the matter was created in this transaction
    contact = None if first else MatterContact.objects.filter(matter_id=matter.pk).first()
    out: list[Delivery] = []
    phones = [] if contact is not None and contact.sms_opt_out else _petitioner_phones(matter)
    code = matter.query_code if phones and (contact is None or not contact.code_sent) else ""
    if phones:
        text = messages.sms_text(kind, matter.number, code=code,
                                 facts=_extra_facts(matter, event, kind, sms=True))
        for phone in phones:
            out.append(_new(matter, event, kind, Delivery.Audience.PETITIONER,
                            Delivery.Channel.SMS, phone, mask_phone(phone), "", text))
    if code:  # the query code goes in the first SMS only
        if first:
            MatterContact.objects.create(matter=matter, code_sent=True)
        else:
            MatterContact.objects.update_or_create(matter=matter, defaults={"code_sent": True})
    if contact is not None and contact.email_active:
        facts = _facts(matter, event)
        facts.update(_extra_facts(matter, event, kind))
        docs = _documents(matter, kind)
        facts["documents"] = [d.get_kind_display() for d in docs]
        subject, body = messages.email_text(kind, facts)
        out.append(_new(matter, event, kind, Delivery.Audience.PETITIONER,
                        Delivery.Channel.EMAIL, contact.email, mask_email(contact.email),
                        subject, body, data={"documents": [d.pk for d in docs]}))
    return out


def _extra_facts(matter: Matter, event: Event, kind: str, *,
                 sms: bool = False) -> dict[str, Any]:
    """The facts a kind's text needs beyond the matter's own (``sms``: only what the SMS
    phrase takes, which costs no query)."""
    data = event.data or {}
    extra: dict[str, Any] = {}
    if kind == "window_closing":
        code = str(data.get("code", "D8"))
        extra["window"] = "复核" if code == "D10" else "复查"
        extra["article"] = "§36" if code == "D10" else "§35"
        extra["due"] = str(data.get("due_on", ""))
    if sms:
        return extra
    if kind == "forwarded":
        to_body = data.get("to_body")
        body = Body.objects.filter(pk=int(to_body)).first() if to_body else None
        extra["to_body"] = body.name if body else (matter.lead_body.name if matter.lead_body
                                                   else "有关单位")
        extra["how"] = {"assign": "交办", "refer_political_legal": "转送政法部门",
                        "refer_discipline": "转送纪检监察机关"}.get(event.action, "转送")
    if kind == "answered":
        reviewable = matter.clocks.filter(code="D8", met_on__isnull=True).exists()
        extra["review_hint"] = ("对意见不服的，可自收到之日起30日内请求上一级机关复查（§35）。"
                                if reviewable else "")
    if kind in ("review_requested", "review_opinion", "review_rejected") and matter.review_body:
        extra["unit"] = matter.review_body.name
    if kind in ("recheck_requested", "recheck_opinion") and matter.recheck_body:
        extra["unit"] = matter.recheck_body.name
    return extra


def _documents(matter: Matter, kind: str) -> list[Document]:
    kinds = DOCUMENTS_BY_KIND.get(kind, ())
    if not kinds:
        return []
    doc = (Document.objects.filter(matter=matter, kind__in=kinds, to_petitioner=True)
           .order_by("-issued_at", "-id").first())
    return [doc] if doc is not None else []


def mask_email(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


# --------------------------------------------------------------------------- staff and units


@dataclass(frozen=True)
class _Notice:
    kind: str
    bodies: list[Body]
    facts: dict[str, Any]
    heads_only: bool = False


def _due_part(due: Any) -> str:
    return f"（期限{due:%Y-%m-%d}）" if due else ""


def _open_due(matter: Matter) -> Any:
    """The nearest deadline the act left open (as ``clocks.refresh_next_due`` will set it):
    read from the clocks, because the event is written after the act's clocks moved but
    before ``matter.next_due`` follows them (an approved 延期 told the old date)."""
    return (Clock.objects.filter(matter_id=matter.pk, met_on__isnull=True,
                                 owed_by_petitioner=False, paused_since__isnull=True)
            .order_by("due_on").values_list("due_on", flat=True).first())


def _new_dispatches(matter: Matter, event: Event) -> list[Dispatch]:
    """The dispatches this event made (written in its transaction, just before it)."""
    return list(Dispatch.objects.filter(
        matter=matter, dispatched_at__gte=event.at - timedelta(seconds=30),
        state__in=[Dispatch.DState.PENDING, Dispatch.DState.REFERRED],
    ).select_related("to_body"))


def _staff_notices(matter: Matter, event: Event) -> list[_Notice]:
    a, data = event.action, event.data or {}
    lead = matter.lead_body
    if a in ("forward", "assign", "refer_political_legal", "refer_discipline"):
        how = {"assign": "交办", "forward": "转送"}.get(a, "转送")
        out = []
        for d in _new_dispatches(matter, event):
            due = d.clocks.filter(met_on__isnull=True).order_by("due_on").values_list(
                "due_on", flat=True).first()
            out.append(_Notice("dispatched", [d.to_body], {
                "how": how + ("（协办）" if d.role == Dispatch.Role.ASSIST else ""),
                "unit": d.to_body.name, "due_part": _due_part(due)}))
        return out
    if a == "object":
        objected = matter.dispatches.filter(state=Dispatch.DState.OBJECTED).select_related(
            "from_body", "to_body").order_by("-dispatched_at", "-id").first()
        return ([_Notice("objection", [objected.from_body], {"unit": objected.to_body.name})]
                if objected else [])
    if a in ("uphold_objection", "reject_objection"):
        last = matter.dispatches.exclude(objection_reason="").select_related(
            "to_body", "from_body").order_by("-id").first()
        decision = "同意退回" if a == "uphold_objection" else "不同意退回，请继续办理"
        return ([_Notice("objection_decided", [last.to_body],
                         {"decider": last.from_body.name, "decision": decision})]
                if last else [])
    if a == "request_extension" and lead is not None:
        return [_Notice("extension_requested", [lead], {}, heads_only=True)]
    if a in ("approve_extension", "reject_extension") and lead is not None:
        decision = "已批准延期" if a == "approve_extension" else "不批准延期"
        return [_Notice("extension_decided", [lead], {"decision": decision,
                                                      "due_part": _due_part(_open_due(matter))})]
    if a in ("request_review", "request_recheck", "order_redo_recheck"):
        body = matter.recheck_body if a == "request_recheck" else matter.review_body
        window = "复核" if a == "request_recheck" else "复查"
        return [_Notice("review_requested", [body], {"window": window, "unit": body.name,
                                                     "due_part": _due_part(_open_due(matter))})
                ] if body else []
    if a in ("request_redo", "order_redo_review") and lead is not None:
        return [_Notice("redo", [lead], {"due_part": _due_part(_open_due(matter))})]
    if a in ("supplement", "withdraw"):  # the petitioner's acts: the body acting now hears
        body = _acting_body(matter)
        return [_Notice("supplemented" if a == "supplement" else "withdrawn", [body], {})
                ] if body else []
    if a == "correct_registration" and data.get("told"):
        # Issue 16 item 4: after dispatch, the receiving units are told of a correction —
        # which fields changed, never the values (personal data, free text).
        told = list(Body.objects.filter(pk__in=data["told"]))
        fields = "、".join(str(c.get("label", "")) for c in data.get("changes", []))
        return [_Notice("corrected", told, {"fields": fields})] if told else []
    if a in ("remind", "supervise"):
        return _supervision_notice(matter, event, data)
    return []


def _acting_body(matter: Matter) -> Body | None:
    """The body the matter waits on (or waited on, for a closing act): the review bodies in
    their stages, else the lead unit, else the holding 信访部门."""
    if matter.state in (st.State.RECHECK_REQUESTED, st.State.RECHECK_HEARING):
        return matter.recheck_body
    if matter.state in (st.State.REVIEW_REQUESTED, st.State.REVIEWED):
        return matter.review_body
    return matter.lead_body or matter.holder


def _supervision_notice(matter: Matter, event: Event, data: dict[str, Any]) -> list[_Notice]:
    kind = str(data.get("kind", Supervision.Kind.MANUAL))
    s = (Supervision.objects.filter(matter=matter, kind=kind).select_related("body", "clock")
         .order_by("-created_at", "-id").first())
    if s is None or s.body is None:
        return []
    if kind == Supervision.Kind.MANUAL:
        return [_Notice("supervised", [s.body], {"due": f"{s.feedback_due:%Y-%m-%d}"
                                                 if s.feedback_due else "反馈期限"})]
    clock = s.clock.name if s.clock else str(data.get("clock", ""))
    due = s.clock.due_on if s.clock else data.get("due_on", "")
    return [_Notice("near_due" if kind == Supervision.Kind.REMINDER else "overdue", [s.body],
                    {"clock": clock, "due": f"{due:%Y-%m-%d}" if s.clock else due})]


def staff_for(body: Body, matter: Matter, *, heads_only: bool = False) -> list[User]:
    """Who in ``body`` hears of ``matter``: the named 承办人 and the unit's heads when a
    handler is named there, else its unit staff; never a recused member (§28 ¶3)."""
    qs = User.objects.filter(body=body, is_active=True, role__in=UNIT_ROLES).exclude(
        pk__in=[int(i) for i in (matter.recused_ids or [])])
    if heads_only:
        qs = qs.filter(role="unit_head")
    elif matter.handler_user_id and qs.filter(pk=matter.handler_user_id).exists():
        qs = qs.filter(pk=matter.handler_user_id) | qs.filter(role="unit_head")
    return list(qs.order_by("id"))


# Why a unit got no notice (Delivery.last_error on its record; the correction's timeline note).
NO_ADDRESS = "无可用通知地址：该单位工作人员均未登记电子邮箱，也没有政务应用地址"
ALL_OFF = "该单位工作人员均选择不接收通知"
NOTIFY_OFF = "通知功能未开启"
IN_QUEUE = "；该单位可在待办队列中看到此事项"


@dataclass
class _Reach:
    """Whom a unit's notice goes to: (user, mode, by SMS too) per staff member with an
    address, and the unit's app address; ``opted_out``: staff who chose no notices."""

    staff: list[tuple[User, str, bool]]
    app: str
    opted_out: int

    @property
    def why_not(self) -> str:
        if self.staff or self.app:
            return ""
        return ALL_OFF if self.opted_out else NO_ADDRESS


def _reach(body: Body, matter: Matter, adapter: Any, *, heads_only: bool = False) -> _Reach:
    prefs = {p.user_id: p for p in StaffPreference.objects.filter(user__body=body)}
    staff: list[tuple[User, str, bool]] = []
    opted_out = 0
    for user in staff_for(body, matter, heads_only=heads_only):
        pref = prefs.get(user.pk)
        mode = pref.mode if pref else StaffPreference.Mode.EACH
        if mode == StaffPreference.Mode.OFF:
            opted_out += 1
            continue
        sms = bool(pref is not None and pref.sms and user.phone
                   and mode == StaffPreference.Mode.EACH)
        if user.email or sms:
            staff.append((user, mode, sms))
    target = adapter.unit_target(body) if adapter is not None else None
    return _Reach(staff, target or "", opted_out)


def unreached(matter: Matter, bodies: list[Body], *, heads_only: bool = False) -> dict[int, str]:
    """Of ``bodies``, those a notice on ``matter`` would not reach, each with the reason
    (as ``_to_staff`` decides it): what the correction's note says instead of 已告知."""
    if not switch.active():
        return {b.pk: NOTIFY_OFF for b in bodies}
    adapter = channels.app_adapter()
    out = {}
    for body in bodies:
        why = _reach(body, matter, adapter, heads_only=heads_only).why_not
        if why:
            out[body.pk] = why
    return out


def _to_staff(matter: Matter, event: Event, kind: str, bodies: list[Body],
              extra: dict[str, Any], *, heads_only: bool = False) -> list[Delivery]:
    """Each unit's staff by e-mail (SMS as well if chosen) and the unit's app. A unit none of
    that reaches gets a record of its own: failed (no address, for the administrators'
    failed list and /metrics) or skipped (all staff chose no notices); it still sees the
    matter in its queue."""
    facts = {"number": matter.number, "matter_id": matter.pk,
             "klass": str(st.KLASS_LABELS[st.Klass(matter.klass)]),
             "category": matter.category.name if matter.category_id and matter.category else "",
             "state": str(st.STATE_LABELS[st.State(matter.state)]),
             "unit": "", "due_part": "", **extra}
    out: list[Delivery] = []
    adapter = channels.app_adapter()
    for body in bodies:
        facts["unit"] = extra.get("unit") or body.name
        subject, text = messages.staff_text(kind, facts)
        reach = _reach(body, matter, adapter, heads_only=heads_only)
        for user, mode, sms in reach.staff:
            status = (Delivery.Status.HELD if mode == StaffPreference.Mode.DIGEST
                      else Delivery.Status.QUEUED)
            if user.email:
                out.append(_new(matter, event, kind, Delivery.Audience.STAFF,
                                Delivery.Channel.EMAIL, user.email, str(user), subject, text,
                                user=user, status=status))
            if sms:
                out.append(_new(matter, event, kind, Delivery.Audience.STAFF,
                                Delivery.Channel.SMS, user.phone, str(user), "",
                                f"【{messages.signature()}】{subject}。{messages.matter_link(matter.pk)}",
                                user=user))
        if reach.app:
            out.append(_new(matter, event, kind, Delivery.Audience.UNIT, Delivery.Channel.APP,
                            reach.app, body.name, subject, text, body=body,
                            data={"link": messages.matter_link(matter.pk)}))
        elif reach.why_not:
            out.append(_new(matter, event, kind, Delivery.Audience.UNIT, Delivery.Channel.NONE,
                            "", body.name, subject, text, body=body,
                            status=(Delivery.Status.FAILED if reach.why_not == NO_ADDRESS
                                    else Delivery.Status.SKIPPED),
                            last_error=reach.why_not + IN_QUEUE))
    return out


def _new(matter: Matter | None, event: Event | None, kind: str, audience: str, channel: str,
         recipient: str, label: str, subject: str, text: str, *, user: User | None = None,
         body: Body | None = None, data: dict[str, Any] | None = None,
         status: str = Delivery.Status.QUEUED, last_error: str = "") -> Delivery:
    return Delivery.objects.create(
        matter=matter, event=event, kind=kind, audience=audience, channel=channel,
        recipient=recipient, recipient_label=label[:100], subject=subject[:200], text=text,
        data=data or {}, user=user, body=body, status=status, last_error=last_error[:300])
