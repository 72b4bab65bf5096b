"""Correcting a registration (issue 16 item 4): one use case under the page and the API.

An officer of the registering body (``acts.correct_registration``: the roles that register,
at the body that holds the matter) corrects what was mistyped at intake — the received time,
class, category, place, channel details, the accused unit or person, the petitioners' data —

- while the matter is at the registering body (登记, or back there after a 退回);
- after a 转送/交办 while the receiving unit has not answered yet, and then the receiving
  units are told: the event names them and ``registration_corrected`` is sent for the
  notifications (the unit sees the event on its timeline in any case);
- never once a 处理意见书 is out (the answer rests on the registration as it was: a new matter
  or the 复查 corrects it).

Each correction is one event with the old and new value of every field (personal data
masked) and the reason, and one audit row (the fields' names only, no values). Clocks that
rest on a changed field follow it: the received date moves D1/D2 (§22, §23 ¶1–2 count from
receipt); a change of class moves the handling limit to the new route's (§29–§31, §34).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from xinfang.audit import services as audit
from xinfang.domain import idcard, route31
from xinfang.domain import states as st
from xinfang.domain.errors import GuardFailed
from xinfang.domain.limits import normalize_phone, phone_problem
from xinfang.org.models import Body, Category, Division, User

from .. import clocks, permissions
from ..models import Clock, Dispatch, Event, Matter, Petitioner
from ..sealing import seal_matter_rows
from .records import record_event
from .registration import RECEIVED_BACKDATE, RECEIVED_SKEW, ValidationFailed

# Sent after a correction commits (kwargs: matter_id, event_id, body_ids — the units to tell).
registration_corrected = Signal()
# Asked before the correction's event is written (kwargs: matter, bodies): the notifications
# answer {body id: reason} for the units their notice will not reach (no address, all staff
# opted out, notifications off), so the timeline says 已告知 only of units actually told.
notice_reach = Signal()
NOT_SENT = "未发送通知"  # no notifications installed to answer

S = st.State
AT_REGISTERING_BODY = frozenset({S.REGISTERED, S.OBJECTED})
# After a 转送/交办 and before the answer: corrected with the receiving units told.
AFTER_DISPATCH = frozenset({S.DISPATCHED, S.SIGNED, S.HANDLING, S.EXTENSION_PENDING})

# What may be corrected, with its label on the timeline (a record: Chinese).
MATTER_FIELDS: dict[str, str] = {
    "received_at": "收到时间",
    "klass": "事项类别",
    "category": "内容分类",
    "division": "问题属地",
    "reception_room": "接待场所",
    "postmark_on": "邮戳日期",
    "source_doc_no": "来文文号",
    "source_body_name": "来文机关",
    "accused_name": "被反映人",
    "accused_body": "被反映单位",
    "headcount": "信访人数",
}
CHANNEL_DETAILS = ("reception_room", "postmark_on")  # kept in Matter.channel_details
PETITIONER_FIELDS: dict[str, str] = {
    "name": "姓名（名称）", "id_number": "身份证号码", "phone": "手机", "address": "住址",
}
# Clocks that count from receipt (§22, §23 ¶1–2): they move with the received date.
FROM_RECEIPT = ("D1", "D2")
HANDLING_CLOCKS = frozenset(r.clock for r in route31.ROUTES.values())
REASON_MAX = 500
NOT_CORRECTABLE = "事项已出具处理意见或已办结，不能更正登记信息；请通过复查、复核或另行登记处理"


@dataclass
class Correction:
    reason: str
    # field → new value: Category / Division / Body instances, a datetime, a date, text, int.
    matter: dict[str, Any] = field(default_factory=dict)
    # petitioner id → field → new text ("" in a field means "leave as it is").
    petitioners: dict[int, dict[str, str]] = field(default_factory=dict)


def stage(matter: Matter) -> str:
    """Where the matter stands for a correction: "holder" (at the registering body),
    "dispatched" (receiving units are told) or "" (no longer correctable)."""
    state = S(matter.state)
    if state in AT_REGISTERING_BODY:
        return "holder"
    if state in AFTER_DISPATCH:
        return "dispatched"
    return ""


def may_correct(user: Any, matter: Matter) -> bool:
    return bool(stage(matter)) and permissions.may(user, "correct_registration", matter=matter)


def _mask(name: str, value: str) -> str:
    """Personal data on the timeline: masked (procedure.md §5.1)."""
    if not value:
        return ""
    if name == "id_number":
        return idcard.mask(value)
    if name == "phone":
        return idcard.mask_phone(value)
    if name in ("name", "accused_name"):
        return idcard.mask_name(value)
    if name == "address":
        return "（已登记）"
    return value


def _shown(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Category, Division, Body)):
        return value.name
    if isinstance(value, str) and value in st.Klass.__members__.values():
        return str(st.KLASS_LABELS[st.Klass(value)])
    return str(value)


def _current(m: Matter, name: str) -> Any:
    if name in CHANNEL_DETAILS:
        raw = (m.channel_details or {}).get(name, "")
        if name == "postmark_on" and raw:
            try:
                return date.fromisoformat(raw)
            except ValueError:
                return raw
        return raw
    return getattr(m, name)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, (Category, Division, Body)) or isinstance(new, (Category, Division, Body)):
        return getattr(old, "pk", None) == getattr(new, "pk", None)
    if old is None or new is None or isinstance(old, str) or isinstance(new, str):
        return (old or "") == (new or "")
    return bool(old == new)


def _validate(m: Matter, values: dict[str, Any], reason: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "请填写更正理由"
    unknown = sorted(set(values) - set(MATTER_FIELDS))
    if unknown:
        errors["fields"] = f"不能更正：{'、'.join(unknown)}"
    now = timezone.now()
    received = values.get("received_at", m.received_at)
    if "received_at" in values:
        if not isinstance(received, datetime):
            errors["received_at"] = "收到时间格式不正确"
        elif received > now + RECEIVED_SKEW:
            errors["received_at"] = "收到时间不能晚于现在"
        elif received < now - RECEIVED_BACKDATE:
            errors["received_at"] = "收到时间超出合理范围（不能早于5年前）"
        elif received > m.registered_at + RECEIVED_SKEW:
            errors["received_at"] = "收到时间不能晚于登记时间"
    postmark = values.get("postmark_on")
    if postmark and isinstance(received, datetime) and postmark > timezone.localdate(received):
        errors["postmark_on"] = "邮戳日期不能晚于收信日期"
    klass = values.get("klass", m.klass)
    if klass not in st.Klass.__members__.values():
        errors["klass"] = "请选择事项类别"
    if "division" in values and not isinstance(values["division"], Division):
        errors["division"] = "请选择问题属地"
    headcount = values.get("headcount")
    if headcount is not None and (not isinstance(headcount, int) or headcount < 1):
        errors["headcount"] = "信访人数至少为1"
    accused_body = values.get("accused_body", m.accused_body)
    accused_name = values.get("accused_name", m.accused_name)
    if klass == st.Klass.REPORT:
        if accused_body is None and not accused_name:
            errors["accused_name"] = "检举控告类事项请填写被反映人或单位"
        # §30 ¶3: a report never rests with the unit it accuses.
        if accused_body is not None and accused_body.pk in (m.holder_id, m.lead_body_id):
            errors["accused_body"] = "检举控告不得交由被检举控告的单位办理（§30 ¶3），请先另行分流"
    return errors


def _petitioner_changes(m: Matter, edits: dict[int, dict[str, str]],
                        errors: dict[str, str]) -> list[tuple[Petitioner, str, str, str]]:
    people = {p.pk: p for p in m.petitioners.all()}
    out: list[tuple[Petitioner, str, str, str]] = []
    for pk, fields in edits.items():
        p = people.get(pk)
        if p is None:
            errors[f"petitioners.{pk}"] = "信访人不属于该事项"
            continue
        for name, value in fields.items():
            if name not in PETITIONER_FIELDS:
                errors[f"petitioners.{pk}.{name}"] = "不能更正该项"
                continue
            new = (value or "").strip()
            if not new:
                continue  # blank: keep what is on file
            if name == "id_number":
                problem = idcard.validate(new)
                if problem:
                    errors[f"petitioners.{pk}.id_number"] = problem
                    continue
                new = idcard.normalize(new)
            if name == "phone":
                new = normalize_phone(new)
                if phone_problem(new):
                    errors[f"petitioners.{pk}.phone"] = "电话号码格式不正确"
                    continue
            if new != getattr(p, name):
                out.append((p, name, getattr(p, name), new))
    return out


def correct_registration(matter: Matter, correction: Correction, *, user: User) -> Event:
    """Apply ``correction`` to ``matter`` (see the module docstring). Returns the timeline
    event (``data``: changes, reason, clocks moved, units told)."""
    permissions.require(user, "correct_registration", matter=matter)
    where = stage(matter)
    if not where:
        raise GuardFailed(NOT_CORRECTABLE)
    reason = (correction.reason or "").strip()[:REASON_MAX]
    with transaction.atomic():
        m = Matter.objects.select_for_update(of=("self",)).select_related(
            "category", "division", "accused_body", "holder").get(pk=matter.pk)
        values = {k: v for k, v in correction.matter.items()
                  if k not in MATTER_FIELDS or not _same(_current(m, k), v)}
        errors = _validate(m, values, reason)
        people = _petitioner_changes(m, correction.petitioners, errors)
        if errors:
            raise ValidationFailed(errors)
        if not values and not people:
            raise ValidationFailed({"fields": "没有需要更正的内容"})
        changes: list[dict[str, Any]] = [{"field": k, "label": MATTER_FIELDS[k],
                    "old": _mask(k, _shown(_current(m, k))), "new": _mask(k, _shown(v))}
                   for k, v in values.items()]
        was_sealed = m.seals_text
        moved = _apply(m, values)
        if m.seals_text and not was_sealed:  # now a 检举控告: its earlier rows are sealed too
            seal_matter_rows(m)
        for p, name, old, new in people:
            changes.append({"field": f"petitioner.{name}", "petitioner": p.pk,
                            "label": f"信访人{PETITIONER_FIELDS[name]}",
                            "old": _mask(name, old), "new": _mask(name, new)})
            setattr(p, name, new)
            p.save()  # the blind indexes follow (BlindIndexField.pre_save)
        told = units_to_tell(m) if where == "dispatched" else []
        note = "；".join(f"{c['label']}：{c['old'] or '（空）'} → {c['new'] or '（空）'}"
                        for c in changes)
        note = f"更正登记信息（{reason}）：{note}"
        if moved:
            note += "；" + "；".join(moved)
        missed = unreached(m, told)
        if any(b.pk not in missed for b in told):
            note += "；已告知" + "、".join(b.name for b in told if b.pk not in missed)
        for b in told:
            if b.pk in missed:  # honest record: no notice went out; the queue still shows it
                note += f"；未能通知{b.name}（{missed[b.pk]}），该单位可在待办队列中看到此次更正"
        event = record_event(m, "correct_registration", "更正登记信息", m.state, m.state, user, "",
                             note=note, public=False,
                             data={"changes": changes, "reason": reason, "clocks": moved,
                                   "told": [b.pk for b in told],
                                   "unreached": sorted(missed)})
        audit.record("correct_registration", actor=user, object_type="matter", object_id=m.pk,
                     matter_id=m.pk, data={"fields": [c["field"] for c in changes],
                                           "event": event.pk, "told": [b.pk for b in told],
                                           "unreached": sorted(missed)})
        m.next_due = clocks.refresh_next_due(m.pk)
        pk, event_pk, body_ids = m.pk, event.pk, [b.pk for b in told]
        transaction.on_commit(lambda: registration_corrected.send(
            sender=Matter, matter_id=pk, event_id=event_pk, body_ids=body_ids))
    return event


def unreached(m: Matter, bodies: list[Body]) -> dict[int, str]:
    """The units of ``bodies`` no notice will reach, with the reason (``notice_reach``)."""
    if not bodies:
        return {}
    responses: list[tuple[Any, Any]] = notice_reach.send(sender=Matter, matter=m, bodies=bodies)
    answers = [r for _, r in responses if isinstance(r, dict)]
    if not answers:
        return {b.pk: NOT_SENT for b in bodies}
    return {int(pk): str(why) for answer in answers for pk, why in answer.items()}


def _apply(m: Matter, values: dict[str, Any]) -> list[str]:
    """Write the matter's fields; move the clocks that rest on them. Returns what moved."""
    moved: list[str] = []
    details = dict(m.channel_details or {})
    for name, value in values.items():
        if name in CHANNEL_DETAILS:
            text = value.isoformat() if isinstance(value, date) else (value or "").strip()
            if text:
                details[name] = text
            else:
                details.pop(name, None)
        elif name == "division":
            m.division, m.division_path = value, value.path
        else:
            setattr(m, name, value)
    m.channel_details = details
    if "division" in values:
        from ..intel.hints import level_skip  # the index sits above services

        m.level_skip = level_skip(m.channel, m.holder, m.division)
    if values.get("klass") == st.Klass.REPORT:
        m.confidential = True  # §30 ¶3: a report's reporter is protected
    if "klass" in values:
        m.route31 = (m.route31 or 6) if m.klass == st.Klass.APPEAL else None
    if "headcount" in values:
        m.is_collective = m.is_collective or m.headcount >= 5
    m.save()
    if "received_at" in values:
        received_on = timezone.localdate(m.received_at)
        for clock in Clock.objects.filter(matter=m, code__in=FROM_RECEIPT):
            before = clock.due_on
            clock.started_on = received_on
            clock.save(update_fields=["started_on"])
            clocks.recompute(clock)
            if clock.due_on != before:
                moved.append(f"{clock.name}期限 {before:%Y-%m-%d} → {clock.due_on:%Y-%m-%d}")
    if "klass" in values and m.accepted_on is not None:
        new_code = route31.route_of(m.klass, m.route31).clock
        for clock in Clock.objects.filter(matter=m, code__in=HANDLING_CLOCKS, met_on__isnull=True):
            if clock.code == new_code:
                continue
            before, old_name = clock.due_on, clock.name
            clock.code = new_code
            clock.save(update_fields=["code"])
            clocks.recompute(clock)
            moved.append(f"办理期限由{old_name}（{before:%Y-%m-%d}）改为"
                         f"{clock.name}（{clock.due_on:%Y-%m-%d}）")
    return moved


def units_to_tell(m: Matter) -> list[Body]:
    """The units the matter was sent to that still have it (主办 and 协办)."""
    live = (Dispatch.objects.filter(matter=m).exclude(
        state__in=[Dispatch.DState.RETURNED, Dispatch.DState.REFERRED])
        .select_related("to_body").order_by("id"))
    seen: dict[int, Body] = {}
    for d in live:
        if d.to_body_id != m.holder_id:
            seen.setdefault(d.to_body_id, d.to_body)
    return list(seen.values())


__all__ = ["AFTER_DISPATCH", "AT_REGISTERING_BODY", "CHANNEL_DETAILS", "MATTER_FIELDS",
           "PETITIONER_FIELDS", "Correction", "correct_registration", "may_correct",
           "notice_reach", "registration_corrected", "stage", "unreached"]
