"""Every write to a matter: one transaction, the domain's permission, an event and an audit row.

Views and the API validate input, then call ``register`` or ``transition`` (or one of the
non-state acts below). Nothing else saves these models.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.core.crypto import blind_index
from xinfang.core.i18n import source_language, source_text
from xinfang.domain import acts, idcard
from xinfang.domain import states as st
from xinfang.domain.deadlines import GRADE_CODES
from xinfang.domain.errors import DomainError, Forbidden, GuardFailed
from xinfang.org.models import Body, Category, Division, User

from . import clocks, permissions
from .models import (
    Channel,
    Counter,
    Dispatch,
    Document,
    Evaluation,
    Event,
    IdempotencyKey,
    Matter,
    Petitioner,
    RepeatKind,
    Supervision,
)

# Sent after a registration commits (kwargs: matter_id). The text index listens (intel.py).
matter_registered = Signal()

ESCALATE_NOTE = "重复信访，提级核查"
AFTER_REPLY_STATES = frozenset({
    st.State.REPLIED, st.State.REVIEW_REQUESTED, st.State.REVIEWED, st.State.RECHECK_REQUESTED,
    st.State.RECHECK_HEARING, st.State.FINAL, st.State.CLOSED, st.State.ARCHIVED,
})

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
# The 交办 办结报告 date and its 三色 feedback clock (§22 ¶1 (3)): met by submit_report.
REPORT_CODES = ("D5", *GRADE_CODES.values())
MAX_REPRESENTATIVES = 5  # §20 ¶3 (configurable locally, e.g. 浙 §15 ¶2)


# --------------------------------------------------------------------------- numbering


def next_number(key: str) -> int:
    """Gap-free counter; the row lock serialises concurrent registrations."""
    with transaction.atomic():
        if not Counter.objects.filter(key=key).update(value=F("value") + 1):
            try:
                with transaction.atomic():
                    Counter.objects.create(key=key, value=1)
                return 1
            except IntegrityError:  # another registration created it first
                Counter.objects.filter(key=key).update(value=F("value") + 1)
        return Counter.objects.get(key=key).value


def matter_number(holder: Body, year: int) -> str:
    """信访件编号: the holder's 6-digit county code, the year and a county-wide sequence."""
    prefix = holder.division_id[:6]
    return f"{prefix}{year}{next_number(f'matter:{prefix}:{year}'):06d}"


def doc_number(body: Body, kind: str, year: int) -> str:
    prefix = body.doc_prefix or (body.short_name or body.name)[:4]
    return f"{prefix}〔{year}〕{next_number(f'doc:{body.pk}:{kind}:{year}')}号"


def new_query_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


# --------------------------------------------------------------------------- registration


@dataclass
class PetitionerIn:
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    kind: str = Petitioner.Kind.PERSON
    is_representative: bool = False


@dataclass
class Registration:
    channel: str
    title: str
    request: str
    content: str
    division: Division
    received_at: datetime
    petitioners: list[PetitionerIn] = field(default_factory=list)
    klass: str = st.Klass.APPEAL.value
    category: Category | None = None
    source_doc_no: str = ""
    source_body_name: str = ""
    channel_details: dict[str, str] = field(default_factory=dict)
    accused_name: str = ""
    accused_body: Body | None = None
    headcount: int = 1
    is_anonymous: bool = False
    is_urgent: bool = False
    confidential: bool = False
    legal_litigation: bool = False
    repeat_of: Matter | None = None
    suggested_category: list[Any] = field(default_factory=list)


# A clerk's clock may run a little ahead; a letter may be registered long after it came.
RECEIVED_SKEW = timedelta(minutes=5)
RECEIVED_BACKDATE = timedelta(days=365 * 5)


def validate_registration(reg: Registration) -> dict[str, str]:
    """Field errors in Chinese; empty when the registration may be saved."""
    errors: dict[str, str] = {}
    if reg.channel not in Channel.values:
        errors["channel"] = "请选择信访形式"
    if not reg.title.strip():
        errors["title"] = "请填写标题"
    if not reg.request.strip():
        errors["request"] = "请填写诉求（§19 ¶1）"
    if not reg.content.strip():
        errors["content"] = "请填写事实与理由（§19 ¶1）"
    if reg.klass not in st.Klass.__members__.values():
        errors["klass"] = "请选择事项类别"
    if reg.channel == Channel.SUPERIOR and not reg.source_doc_no.strip():
        errors["source_doc_no"] = "上级转送的事项请填写来文文号"
    now = timezone.now()
    if reg.received_at > now + RECEIVED_SKEW:
        errors["received_at"] = "收到时间不能晚于现在"
    elif reg.received_at < now - RECEIVED_BACKDATE:
        # The number's year and every clock start from it (§22 ¶1 counts from receipt).
        errors["received_at"] = "收到时间超出合理范围（不能早于5年前）"
    postmark = reg.channel_details.get("postmark_on", "")
    if postmark:
        try:
            if date.fromisoformat(postmark) > timezone.localdate(reg.received_at):
                errors["postmark_on"] = "邮戳日期不能晚于收信日期"
        except ValueError:
            errors["postmark_on"] = "邮戳日期格式应为 YYYY-MM-DD"
    reps = [p for p in reg.petitioners if p.is_representative]
    if len(reps) > MAX_REPRESENTATIVES:
        errors["petitioners"] = f"多人走访应推选代表，代表人数不得超过{MAX_REPRESENTATIVES}人（§20 ¶3）"
    if reg.headcount < max(1, len(reg.petitioners)):
        errors["headcount"] = "信访人数不能少于登记的信访人数"
    for i, p in enumerate(reg.petitioners):
        if p.id_number:
            problem = idcard.validate(p.id_number)
            if problem:
                errors[f"petitioners.{i}.id_number"] = problem
        if p.phone and not (p.phone.isdigit() and 7 <= len(p.phone) <= 12):
            errors[f"petitioners.{i}.phone"] = "电话号码格式不正确"
    if not reg.petitioners and not reg.is_anonymous:
        errors["petitioners"] = "请登记信访人姓名（名称）；匿名检举控告请勾选匿名"
    if reg.klass == st.Klass.REPORT and reg.accused_body is None and not reg.accused_name:
        errors["accused_name"] = "检举控告类事项请填写被反映人或单位"
    return errors


def find_repeats(reg: Registration, exclude_id: int | None = None) -> list[Matter]:
    """Earlier matters of the same petitioner (ID number or phone, via the blind index)."""
    id_keys = [blind_index(p.id_number, "id") for p in reg.petitioners if p.id_number]
    phone_keys = [blind_index(p.phone, "phone") for p in reg.petitioners if p.phone]
    if not id_keys and not phone_keys:
        return []
    from django.db.models import Q

    q = Q()
    if id_keys:
        q |= Q(petitioners__id_index__in=id_keys)
    if phone_keys:
        q |= Q(petitioners__phone_index__in=phone_keys)
    qs = Matter.objects.filter(q).distinct().select_related("division", "lead_body")
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.order_by("-received_at")[:10])


def register(
    reg: Registration,
    *,
    holder: Body,
    user: User | None = None,
    idempotency_key: str = "",
    actor_label: str = "",
) -> Matter:
    """Register a matter (§21–23). Durable when this returns: the receipt may be shown.

    Staff register at their own body (§23 ¶1); ``user=None`` is the citizen online or the
    system (the doors that call it so check ``submit_online`` themselves)."""
    if user is not None:
        permissions.require(user, "register")
        if holder.pk != user.body_id and not user.is_superuser:
            raise Forbidden("只能以本机关、单位的名义登记信访事项（§23 ¶1）")
    errors = validate_registration(reg)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        if idempotency_key:
            existing = IdempotencyKey.objects.filter(key=idempotency_key).select_related("matter").first()
            if existing:
                return existing.matter
        received_on = timezone.localdate(reg.received_at)
        repeats = [] if reg.repeat_of else find_repeats(reg)
        repeat_of = reg.repeat_of or (repeats[0] if repeats else None)
        repeat_kind = RepeatKind.FIRST
        if repeat_of is not None:
            repeat_kind = RepeatKind.REPEAT
            # 越级 (§19 ¶3): an open matter at a lower body, still within its clock, raised here.
            if (repeat_of.state in st.OPEN_STATES and repeat_of.holder_id != holder.pk
                    and repeat_of.holder.division.path != holder.division.path
                    and repeat_of.holder.division.path.startswith(holder.division.path)):
                repeat_kind = RepeatKind.LEVEL_SKIP
        for _ in range(5):
            code = new_query_code()
            if not Matter.objects.filter(query_code=code).exists():
                break
        matter = Matter.objects.create(
            number=matter_number(holder, received_on.year),
            query_code=code,
            channel=reg.channel,
            source_doc_no=reg.source_doc_no,
            source_body_name=reg.source_body_name,
            channel_details={k: v for k, v in reg.channel_details.items() if v},
            received_at=reg.received_at,
            registered_by=user,
            holder=holder,
            title=reg.title.strip(),
            request=reg.request.strip(),
            content=reg.content.strip(),
            division=reg.division,
            division_path=reg.division.path,
            category=reg.category,
            klass=reg.klass,
            accused_name=reg.accused_name,
            accused_body=reg.accused_body,
            is_collective=reg.headcount >= 5 or len(reg.petitioners) > 1,
            headcount=reg.headcount,
            is_anonymous=reg.is_anonymous,
            is_urgent=reg.is_urgent,
            confidential=reg.confidential or reg.klass == st.Klass.REPORT,
            legal_litigation=reg.legal_litigation,
            repeat_kind=repeat_kind,
            repeat_of=repeat_of,
            first_contact=user,
            suggested_category=reg.suggested_category,
        )
        Petitioner.objects.bulk_create([
            Petitioner(
                matter=matter, kind=p.kind, name=p.name.strip(),
                id_number=idcard.normalize(p.id_number) if p.id_number else "",
                phone=p.phone.strip(), address=p.address.strip(),
                id_index=blind_index(p.id_number, "id") if p.id_number else "",
                phone_index=blind_index(p.phone, "phone") if p.phone else "",
                is_representative=p.is_representative, is_lead=(i == 0),
            )
            for i, p in enumerate(reg.petitioners)
        ])
        # D1 at a 信访部门 (§22), D2 at any other body (§23 ¶1–2); both from receipt.
        code_ = "D1" if holder.kind in (Body.Kind.XINFANG, Body.Kind.PARTY_GOV) else "D2"
        clocks.start(matter, code_, received_on, body=holder)
        issue_document(matter, Document.Kind.RECEIPT, holder, {
            "summary": matter.title,
            "received_on": received_on.isoformat(),
            "track_hint": "凭查询码和登记手机号可在网上查询办理进度并评价（§21 ¶2）",
        })
        with source_language():  # the timeline note is a record: Chinese
            note = f"{matter.get_channel_display()}登记" + (
                f"；{matter.get_repeat_kind_display()}，原件 {repeat_of.number}" if repeat_of else "")
        _event(matter, "register", gettext_noop("登记"), "", st.State.REGISTERED, user, actor_label, note=note)
        if idempotency_key:
            IdempotencyKey.objects.create(key=idempotency_key, matter=matter)
        if repeat_of is not None and _escalate_repeat(repeat_of):
            # §8.6: the same matter again after it was answered → 提级核查 (configurable).
            supervise(matter, user=None, note=ESCALATE_NOTE, system=True)
        audit.record("register", actor=user, actor_label=actor_label, object_type="matter",
                     object_id=matter.pk, matter_id=matter.pk,
                     data={"number": matter.number, "channel": matter.channel})
        matter.next_due = clocks.refresh_next_due(matter.pk)
        pk = matter.pk
        transaction.on_commit(lambda: matter_registered.send(sender=Matter, matter_id=pk))
    return matter


def is_after_reply(m: Matter) -> bool:
    return m.replied_on is not None or st.State(m.state) in AFTER_REPLY_STATES


def _escalate_repeat(original: Matter) -> bool:
    policy = getattr(settings, "XINFANG_REPEAT_AFTER_REPLY", "escalate")
    return policy == "escalate" and is_after_reply(original)


class ValidationFailed(DomainError):
    status = 400

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("；".join(errors.values()))


# --------------------------------------------------------------------------- actors & scopes


def actor_for(user: User | None, matter: Matter, *, citizen: bool = False,
              system: bool = False) -> st.Actor:
    if system:
        return st.Actor(frozenset({st.Role.SYSTEM}), frozenset({st.Scope.SYSTEM}))
    if citizen:
        return st.Actor(frozenset({st.Role.CITIZEN}), frozenset({st.Scope.PETITIONER}))
    if user is None or user.body_id is None:
        return st.Actor(frozenset(), frozenset())
    body_id = user.body_id
    if matter.is_report and matter.accused_body_id == body_id:
        return st.Actor(frozenset(), frozenset())  # §30 ¶3: the accused has no hand in it
    scopes: set[st.Scope] = set()
    if matter.holder_id == body_id:
        scopes.add(st.Scope.HOLDER)
    if matter.lead_body_id == body_id:
        scopes.add(st.Scope.LEAD_UNIT)
    lead = current_lead_dispatch(matter)
    if lead is not None and lead.from_body_id == body_id:
        scopes.add(st.Scope.DISPATCHER)
    if matter.review_body_id == body_id:
        scopes.add(st.Scope.REVIEW_BODY)
    if matter.recheck_body_id == body_id:
        scopes.add(st.Scope.RECHECK_BODY)
    return st.Actor(frozenset({st.Role(user.role)}), frozenset(scopes))


def current_lead_dispatch(matter: Matter) -> Dispatch | None:
    cache = getattr(matter, "_lead_dispatch", False)
    if cache is not False:
        return cache  # type: ignore[no-any-return]
    d = (matter.dispatches.filter(role=Dispatch.Role.LEAD)
         .exclude(state__in=[Dispatch.DState.RETURNED, Dispatch.DState.REFERRED])
         .order_by("-dispatched_at", "-id").first())
    matter._lead_dispatch = d  # type: ignore[attr-defined]
    return d


def facts_for(matter: Matter, name: str | None = None) -> st.Facts:
    """The facts the guards read. With ``name``, only what that transition's guards need
    is queried (each window is one query; most transitions need none)."""
    today = clocks.today()

    def window(code: str, *, lead_only: bool = False) -> bool:
        qs = matter.clocks.filter(code=code)
        if lead_only:
            lead = current_lead_dispatch(matter)
            if lead is None:
                return True
            qs = qs.filter(dispatch=lead)
        due = qs.order_by("-id").values_list("due_on", flat=True).first()
        return due is None or today <= due

    need = {
        None: {"object", "review", "recheck", "rated"},
        "object": {"object"},
        "request_review": {"review"},
        "request_recheck": {"recheck"},
        "rate_satisfied": {"rated"},
        "rate_unsatisfied": {"rated"},
    }.get(name, set())
    return st.Facts(
        klass=st.Klass(matter.klass),
        legal_litigation=matter.legal_litigation,
        accused_body_id=matter.accused_body_id,
        extension_used=matter.extension_used,
        objection_window_open=window("D4", lead_only=True) if "object" in need else True,
        review_window_open=window("D8") if "review" in need else True,
        recheck_window_open=window("D10") if "recheck" in need else True,
        rated_this_round=(matter.evaluations.filter(round=matter.redo_count).exists()
                          if "rated" in need else False),
    )


def allowed_actions(user: User | None, matter: Matter) -> list[st.Transition]:
    return st.allowed(st.State(matter.state), actor_for(user, matter))


# --------------------------------------------------------------------------- transitions


def transition(
    matter: Matter,
    name: str,
    *,
    user: User | None = None,
    data: Mapping[str, Any] | None = None,
    citizen: bool = False,
    system: bool = False,
    on: date | None = None,
) -> Matter:
    """Carry out one state-machine transition, or raise a DomainError saying why not."""
    data = dict(data or {})
    with transaction.atomic():
        matter = Matter.objects.select_for_update(of=("self",)).select_related(
            "holder__division", "lead_body", "division").get(pk=matter.pk)
        actor = actor_for(user, matter, citizen=citizen, system=system)
        facts = facts_for(matter, name)
        if "to_body" in data and isinstance(data["to_body"], Body):
            data["to_body_obj"] = data["to_body"]
            data["to_body"] = data["to_body"].pk
        t = st.check(name, state=st.State(matter.state), actor=actor, facts=facts, data=data)
        old = matter.state
        before = _snapshot(matter)
        today = on or clocks.today()
        effect = _EFFECTS.get(name)
        with source_language():  # notes and document snapshots are records: Chinese
            note = effect(matter, user, data, today) if effect else ""
        matter.state = t.target.value
        if t.closure is not None:
            matter.closure_kind = t.closure.value
            matter.closed_at = timezone.now()
        if t.target in (st.State.FINAL, st.State.CLOSED):
            matter.closed_at = matter.closed_at or timezone.now()
        changed = [f for f, v in _snapshot(matter).items() if before[f] != v]
        matter.save(update_fields=[*changed, "updated_at"])
        label = "信访人" if citizen else ("系统" if system else "")
        _event(matter, name, t.label, old, t.target, user, label, note=note or str(data.get("reason", "")),
               public=t.public, data=_public_data(data))
        audit.record(name, actor=user, actor_label=label, object_type="matter",
                     object_id=matter.pk, matter_id=matter.pk,
                     data={"from": old, "to": t.target.value, **_public_data(data)})
        if t.closure is not None or t.target == st.State.FINAL:
            # A closed matter owes nothing more, except a 交办's 办结报告 (D5 and its 三色
            # feedback clock, §22 ¶1 (3)), met only by submit_report; the petitioner's
            # windows stay for 复查 logic.
            clocks.Clock.objects.filter(matter=matter, met_on__isnull=True,
                                        owed_by_petitioner=False).exclude(
                code__in=REPORT_CODES).update(met_on=today)
        matter.next_due = clocks.refresh_next_due(matter.pk)
    return matter


_TRACKED = [f.attname for f in Matter._meta.concrete_fields if f.attname not in ("id", "updated_at")]


def _snapshot(matter: Matter) -> dict[str, Any]:
    return {f: getattr(matter, f) for f in _TRACKED}


def _public_data(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in data.items():
        if k.endswith("_obj") or k == "assist_bodies":
            continue
        out[k] = v.isoformat() if isinstance(v, date) else v
    return out


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
    to = _body(data)
    holder = matter.holder
    if to.pk == holder.pk:
        raise GuardFailed("不能转送给本机关")
    if kind == Dispatch.Kind.REFER_POLITICAL_LEGAL and to.kind != Body.Kind.POLITICAL_LEGAL:
        raise GuardFailed("涉法涉诉事项应转同级政法部门（§22 ¶2）")
    if kind == Dispatch.Kind.REFER_DISCIPLINE and to.kind != Body.Kind.DISCIPLINE:
        raise GuardFailed("检举控告事项应按管理权限转纪检监察机关（§22 ¶2）")
    assist_ids = [int(b) for b in data.get("assist_bodies") or [] if str(b).isdigit()]
    if matter.is_report and matter.accused_body_id in assist_ids:
        raise GuardFailed("检举控告类事项不得转给被检举控告的单位（§30 ¶3）")
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
        "instructions": lead.instructions,
    }, number=number, to_petitioner=False)
    if refer:
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


def _fx_forward(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return _dispatch(m, u, data, today, Dispatch.Kind.FORWARD)


def _fx_assign(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return _dispatch(m, u, data, today, Dispatch.Kind.ASSIGN)


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
    issue_document(m, Document.Kind.NOT_ACCEPTED, body, {
        "reason_code": code, "rule": st.NOT_ACCEPTED_REASONS[code], "reason": data["reason"],
        "route": data.get("route", ""),
    })
    if m.state == st.State.SIGNED:
        d = _lead(m)
        d.state = Dispatch.DState.ACCEPTED
        d.save(update_fields=["state"])
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


def _fx_uphold_objection(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
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
    d.state = Dispatch.DState.PENDING
    d.save(update_fields=["state"])
    # A fresh D3 for the receiver, which now has to handle it after all.
    clocks.start(m, "D3", today, body=d.to_body, dispatch=d)
    return f"不同意退回：{data['reason']}"


def _fx_accept(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    d.state = Dispatch.DState.ACCEPTED
    d.save(update_fields=["state"])
    m.accepted_on = today
    if m.klass == st.Klass.APPEAL:
        m.route31 = 6
    clocks.meet(m, "D3", "D4", on=today, dispatch=d)
    code = "D14" if m.klass == st.Klass.SUGGESTION else "D6"
    clock = clocks.start(m, code, today, body=d.to_body, dispatch=d)
    issue_document(m, Document.Kind.ACCEPTANCE, d.to_body, {
        "route": data["route"], "due_on": clock.due_on.isoformat(),
        "limit": "60日" if code == "D6" else "60日（参照）",
        "basis": "§23 ¶3、§34" if code == "D6" else "§23 ¶3、§29",
    })
    return f"受理，办理期限至 {clock.due_on:%Y-%m-%d}"


def _fx_channel(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    m.route31 = int(data["route31"])
    issue_document(m, Document.Kind.CHANNEL, d.to_body, {
        "route31": m.route31, "procedure": data["procedure"], "basis": f"§31（{m.route31}）",
    })
    return f"导入{data['procedure']}"


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
    clock = (m.clocks.filter(code__in=["D6", "D14", "R1"], met_on__isnull=True)
             .order_by("-id").first())
    if clock is None:
        raise GuardFailed("没有正在计算的办理期限")
    if clock.due_on < today:
        raise GuardFailed("办理期限已届满，不能再延期（延期应在期限届满前告知，§34）")
    old_due = clock.due_on
    clocks.extend(clock, days)
    m.extension_used = True
    issue_document(m, Document.Kind.EXTENSION, d.to_body, {
        "reason": reason, "days": days, "old_due": old_due.isoformat(),
        "new_due": clock.due_on.isoformat(), "approver": str(u) if u else "",
        "basis": "§34",
    })
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


def _fx_reply(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d = _lead(m)
    served_on = _served_on(m, data, today, (m.accepted_on, "受理日期"))
    m.outcome, m.replied_on, m.served_on = str(data["outcome"]), today, served_on
    d.state = Dispatch.DState.REPLIED
    d.save(update_fields=["state"])
    clocks.meet(m, "D6", "D14", "R1", on=today)
    suggestion = m.klass == st.Klass.SUGGESTION
    issue_document(m, Document.Kind.OPINION, d.to_body, {
        "request": m.request, "facts": data["facts"], "opinion": data["opinion"],
        "legal_basis": data["legal_basis"], "outcome": data["outcome"],
        "outcome_label": st.OUTCOME_LABELS[st.ReplyOutcome(str(data["outcome"]))],
        "review_body": d.to_body.parent.name if d.to_body.parent else "上一级机关",
        "suggestion": suggestion,
        "basis": "§29" if suggestion else "§31（六）、§32",
    }, served_on=served_on, service_method=str(data["service_method"]))
    # D8: the petitioner may ask for 复查 within 30 日 of receiving the reply (§35).
    clocks.start(m, "D8", served_on, body=None, owed_by_petitioner=True)
    return f"{st.OUTCOME_LABELS[st.ReplyOutcome(str(data['outcome']))]}，{served_on:%Y-%m-%d}送达"


def _fx_mediate(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return f"达成协议：{data['agreement']}"


def _fx_rate(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    rating = str(data["rating"])
    unsatisfied = rating == Evaluation.Rating.UNSATISFIED
    if (rating not in Evaluation.Rating.values) or (unsatisfied != (data.get("_unsatisfied") is True)):
        raise GuardFailed("评价应为满意、基本满意或不满意")
    try:
        with transaction.atomic():
            Evaluation.objects.create(matter=m, round=m.redo_count, rating=rating,
                                      comment=str(data.get("comment", "")), at=timezone.now())
    except IntegrityError as e:
        raise GuardFailed("本次答复已评价，不能重复评价") from e
    label = str(Evaluation.Rating(rating).label)
    if unsatisfied:
        # 不满意 → 重办 under supervision (practice; the 复查 route stays open, §35).
        m.redo_count += 1
        m.supervised = True
        clocks.meet(m, "D8", on=today)
        clock = clocks.start(m, "R1", today, body=m.lead_body)
        d = _lead(m)
        d.state = Dispatch.DState.ACCEPTED
        d.save(update_fields=["state"])
        Supervision.objects.create(
            matter=m, clock=clock, kind=Supervision.Kind.REDO, body=m.lead_body,
            created_at=timezone.now(), note=f"信访人评价不满意：{data.get('comment', '')}",
            feedback_due=clock.due_on,
        )
    return f"评价：{label}" + (f"（{data['comment']}）" if data.get("comment") else "")


def _fx_rate_satisfied(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return _fx_rate(m, u, {**data, "_unsatisfied": False}, today)


def _fx_rate_unsatisfied(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    return _fx_rate(m, u, {**data, "_unsatisfied": True}, today)


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


_EFFECTS = {
    "forward": _fx_forward,
    "assign": _fx_assign,
    "refer_political_legal": _fx_refer_pl,
    "refer_discipline": _fx_refer_discipline,
    "inform_elsewhere": _fx_inform,
    "not_accept": _fx_not_accept,
    "sign": _fx_sign,
    "object": _fx_object,
    "uphold_objection": _fx_uphold_objection,
    "reject_objection": _fx_reject_objection,
    "accept": _fx_accept,
    "channel": _fx_channel,
    "request_extension": _fx_request_extension,
    "approve_extension": _fx_approve_extension,
    "reply": _fx_reply,
    "mediate": _fx_mediate,
    "rate_satisfied": _fx_rate_satisfied,
    "rate_unsatisfied": _fx_rate_unsatisfied,
    "request_review": _fx_request_review,
    "reject_review": _fx_reject_review,
    "reject_recheck": _fx_reject_review,
    "issue_review": _fx_issue_review,
    "request_recheck": _fx_request_recheck,
    "start_hearing": _fx_start_hearing,
    "end_hearing": _fx_end_hearing,
    "issue_recheck": _fx_issue_recheck,
    "close_lapsed": _fx_close_lapsed,
}


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


def supervise(matter: Matter, *, user: User | None, note: str, feedback_days: int = 30,
              system: bool = False) -> Supervision:
    """督办 by a supervisor or the 信访部门 (§40), or by the system's own rules (``system``);
    issues a 督办单 with a feedback date."""
    if not system:
        permissions.require(user, "supervise", matter=matter)
    elif matter.state not in st.OPEN_STATES:
        raise GuardFailed("事项已办结，无需督办")
    if not note.strip():
        raise GuardFailed("请填写督办意见")
    with transaction.atomic():
        today = clocks.today()
        target = matter.lead_body or matter.holder
        s = Supervision.objects.create(
            matter=matter, kind=Supervision.Kind.MANUAL, body=target, created_at=timezone.now(),
            created_by=user, note=note.strip(), feedback_due=today + timedelta(days=feedback_days),
        )
        Matter.objects.filter(pk=matter.pk).update(supervised=True)
        issuer = user.body if user is not None and user.body_id else matter.holder
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


def assist_sign(dispatch: Dispatch, *, user: User) -> Dispatch:
    """签收 by a 协办 unit: its own record and clocks (§24)."""
    with transaction.atomic():
        d = _assist_dispatch(dispatch, user, "assist_sign")
        if d.state != Dispatch.DState.PENDING:
            raise GuardFailed(f"协办件当前状态为“{_dstate_zh(d)}”，不能签收")
        d.state, d.signed_at = Dispatch.DState.SIGNED, timezone.now()
        d.save(update_fields=["state", "signed_at"])
        _event(d.matter, "assist_sign", gettext_noop("协办签收"), d.matter.state, d.matter.state, user, "",
               note=f"{d.to_body.name}签收协办件", public=False)
        audit.record("assist_sign", actor=user, object_type="dispatch", object_id=d.pk,
                     matter_id=d.matter_id)
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
        _event(d.matter, "assist_object", gettext_noop("协办退回"), d.matter.state, d.matter.state, user, "",
               note=reason.strip(), public=False)
        audit.record("assist_object", actor=user, object_type="dispatch", object_id=d.pk,
                     matter_id=d.matter_id, data={"reason": reason.strip()})
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
        _event(dispatch.matter, "assist_reply", gettext_noop("协办意见"), dispatch.matter.state,
               dispatch.matter.state, user, "", note=text.strip()[:200], public=False)
        audit.record("assist_reply", actor=user, object_type="dispatch", object_id=dispatch.pk,
                     matter_id=dispatch.matter_id)
        clocks.refresh_next_due(dispatch.matter_id)
    return dispatch


def log_identity_view(matter: Matter, user: User | None, where: str) -> None:
    """Reveal a petitioner's identity: refused outside the act's scope (§30 ¶3), and every
    view leaves an audit row (issue 2 §8)."""
    permissions.require(user, "reveal_identity", matter=matter)
    audit.record("view_identity", actor=user, object_type="matter", object_id=matter.pk,
                 matter_id=matter.pk, data={"where": where})


# --------------------------------------------------------------------------- documents & events


def issue_document(
    matter: Matter, kind: str, body: Body, context: dict[str, Any], *,
    number: str | None = None, served_on: date | None = None, service_method: str = "",
    to_petitioner: bool = True,
) -> Document:
    today = clocks.today()
    base = {
        "matter_number": matter.number, "query_code": matter.query_code,
        "title": matter.title, "issuer": body.name, "issued_on": today.isoformat(),
        "received_on": timezone.localdate(matter.received_at).isoformat(),
    }
    return Document.objects.create(
        matter=matter, kind=kind, number=number or doc_number(body, kind, today.year),
        issued_by=body, issued_at=timezone.now(), served_on=served_on,
        service_method=service_method, to_petitioner=to_petitioner, context={**base, **context},
    )


def _event(matter: Matter, action: str, label: str, from_state: str, to_state: str,
           user: User | None, actor_label: str, *, note: str = "", public: bool = True,
           data: dict[str, Any] | None = None) -> Event:
    return Event.objects.create(
        matter=matter, action=action, label=label, from_state=str(from_state),
        to_state=str(to_state), actor=user,
        actor_body_id=user.body_id if user is not None else None,
        actor_label=actor_label or (str(user) if user else ""), at=timezone.now(), note=note,
        public=public, data=data or {},
    )
