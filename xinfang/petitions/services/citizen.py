"""The petitioner's own acts after filing, at both doors (the portal and the public API).

Reading is proven by the query code and a phone on file (§21 ¶2), with failed proofs
throttled per client address and per code (``xinfang.core.attempts``). Every act that
changes something — 评价, 复查/复核 requests, the §35 重办 choice, 撤回, 补充材料 — also needs
a fresh one-time code texted to that registered phone (issue 14 item 7: a member of staff who
knew the code and the masked phone rated their own work as the citizen). One code per
purpose and matter, single use, ten minutes (``xinfang.core.otp``); the code is spent in the
transaction of the act it carries out, so one code does one act.

The unit's 息诉罢访 record (the petitioner declares the matter settled) is confirmed the same
way: a code texted to the petitioner's phone, which the petitioner tells the handler; only
for a petitioner without a mobile phone, a signed written pledge, scanned and attached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.core import attempts, otp
from xinfang.domain import acts
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError, GuardFailed
from xinfang.domain.idcard import mask_phone
from xinfang.org.models import User

from .. import access, attachments, clocks, permissions, tally
from ..models import Event, Matter, Petitioner
from .actors import facts_for
from .records import record_event
from .transitions import transition

CITIZEN_LABEL = "信访人"
# The act → the purpose its code is sent for (one code per purpose; the rating's two acts
# and the two review requests share theirs: the citizen chooses after asking for the code).
PURPOSES: dict[str, str] = {
    "rate_satisfied": "rate", "rate_unsatisfied": "rate", "request_redo": "redo",
    "request_review": "review", "request_recheck": "review", "withdraw": "withdraw",
    "supplement": "supplement",
}
PURPOSE_LABELS: dict[str, str] = {
    "rate": gettext_noop("评价"), "redo": gettext_noop("要求重新办理"),
    "review": gettext_noop("申请复查（复核）"), "withdraw": gettext_noop("撤回信访事项"),
    "supplement": gettext_noop("补充材料"), "settle": gettext_noop("确认息诉罢访"),
}
TRANSITION_ACTS = frozenset(PURPOSES) - {"supplement"}
SUPPLEMENT_MAX = 2000
CITIZEN = st.Actor(frozenset({st.Role.CITIZEN}), frozenset({st.Scope.PETITIONER}))


class CodeRefused(DomainError):
    """The fresh SMS code is missing, wrong, spent or expired (400, field ``sms_code``)."""

    status = 400
    field = "sms_code"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errors = {"sms_code": message}  # the API's field error


@dataclass(frozen=True)
class Proof:
    """A petitioner proven by query code + phone: may read, and ask for act codes."""

    matter: Matter
    petitioner_id: int


def prove(code: str, phone: str, *, address: str, scope: str = "track") -> Proof:
    """The petitioner of ``code`` with ``phone`` on file; Http404 when none is, TooManyAttempts
    when the address or the code has failed too often (counted here, shared by both doors)."""
    attempts.check(scope, address=address, code=code)
    try:
        p = access.petitioner_for_citizen(code, phone)
    except Http404:
        attempts.failed(scope, address=address, code=code)
        raise
    return Proof(p.matter, p.pk)


def proof_for(matter_id: int, petitioner_id: int) -> Proof | None:
    """A proof kept by the portal's session (matter and petitioner ids), reloaded."""
    p = (Petitioner.objects.filter(pk=petitioner_id, matter_id=matter_id)
         .select_related("matter__holder", "matter__lead_body", "matter__division",
                         "matter__review_body", "matter__recheck_body").first())
    return Proof(p.matter, p.pk) if p is not None else None


def _phone(petitioner_id: int) -> str:
    phone = str(Petitioner.objects.get(pk=petitioner_id).phone or "")
    if not otp.MOBILE.match(otp.normalise(phone)):
        raise GuardFailed("登记的联系电话不是手机号码，无法接收验证码：请到信访部门当面办理或来信提出")
    return phone


def _key(purpose: str, matter_id: int) -> str:
    return f"citizen:{purpose}:{matter_id}"


def purpose_of(name: str) -> str:
    try:
        return PURPOSES[name]
    except KeyError:
        raise DomainError("未知的操作") from None


def send_act_code(proof: Proof, purpose: str, *, address: str = "") -> str:
    """Text a code for ``purpose`` on this matter to the petitioner's registered phone; the
    notice to show (where it went, masked)."""
    if purpose not in PURPOSE_LABELS or purpose == "settle":
        raise DomainError("未知的操作")
    phone = _phone(proof.petitioner_id)
    m = proof.matter
    text = (f"【信访工作平台】您正在对信访事项{m.number}办理“{PURPOSE_LABELS[purpose]}”，"
            "验证码{code}，10分钟内有效。非本人操作请忽略，请勿告诉他人（包括工作人员）。")
    try:
        otp.send_code(phone, _key(purpose, m.pk), address=address, text=text)
    except otp.OtpError as e:
        raise CodeRefused(e.message) from e
    return mask_phone(otp.normalise(phone))


def _check_code(phone: str, purpose: str, matter_id: int, sms_code: str) -> None:
    if not (sms_code or "").strip():
        raise CodeRefused("请填写短信验证码（请先获取验证码，验证码将发送到登记的手机号）")
    try:
        otp.verify(phone, sms_code, _key(purpose, matter_id), consume=False)
    except otp.OtpError as e:
        raise CodeRefused(e.message) from e


def _spend(phone: str, purpose: str, matter_id: int) -> None:
    try:
        otp.take(phone, _key(purpose, matter_id))
    except otp.OtpError as e:
        raise CodeRefused(e.message) from e


def act(proof: Proof, name: str, *, data: Mapping[str, Any] | None = None,
        sms_code: str = "") -> Matter:
    """One of the petitioner's transitions (评价, 重办, 复查/复核, 撤回) with the fresh code."""
    if name not in TRANSITION_ACTS:
        raise DomainError("未知的操作")
    purpose = PURPOSES[name]
    m = proof.matter
    # The state machine answers first (wrong state, window passed, missing reason), so the
    # citizen hears why before asking for a code, and a refused act leaves the code unspent.
    st.check(name, state=st.State(m.state), actor=CITIZEN, facts=facts_for(m, name),
             data=dict(data or {}))
    phone = _phone(proof.petitioner_id)
    _check_code(phone, purpose, m.pk, sms_code)
    with transaction.atomic():
        m = transition(m, name, data=data, citizen=True)
        _spend(phone, purpose, m.pk)
    return m


def supplement(proof: Proof, *, text: str, files: Iterable[Any] = (), sms_code: str = "") -> Event:
    """补充材料 (§19 ¶1): text and files added by the petitioner while the matter is open,
    on the timeline for the unit and the petitioner; the answer to the handler's question."""
    text = (text or "").strip()
    files = list(files)
    m = proof.matter
    if st.State(m.state) not in st.OPEN_STATES:
        raise GuardFailed(f"事项已办结，无需{acts.ACTS['supplement'].label}")
    if not text and not files:
        e = DomainError("请填写补充说明或上传材料")
        e.status = 400
        e.field = "text"
        raise e
    if len(text) > SUPPLEMENT_MAX:
        e = DomainError(f"补充说明不能超过{SUPPLEMENT_MAX}字")
        e.status = 400
        e.field = "text"
        raise e
    errors = attachments.check_files(files)
    if errors:
        e = DomainError("；".join(errors))
        e.status = 400
        e.field = "files"
        raise e
    phone = _phone(proof.petitioner_id)
    _check_code(phone, "supplement", m.pk, sms_code)
    with transaction.atomic():
        m = Matter.objects.select_for_update(of=("self",)).get(pk=m.pk)
        question = open_question(m)
        saved = attachments.add_attachments(m, files, None, actor_label=CITIZEN_LABEL)
        names = "、".join(a.name for a in saved)
        note = text + (f"（附材料：{names}）" if names else "")
        if question is not None:
            note = f"答复“{question.note[:60]}”：{note}"
        event = record_event(m, "supplement", gettext_noop("信访人补充材料"), m.state, m.state,
                             None, CITIZEN_LABEL, note=note, public=True,
                             data={"attachments": [a.pk for a in saved],
                                   "answers": question.pk if question else None})
        audit.record("supplement", actor_label=CITIZEN_LABEL, object_type="matter",
                     object_id=m.pk, matter_id=m.pk,
                     data={"event": event.pk, "attachments": [a.pk for a in saved]})
        _spend(phone, "supplement", m.pk)
    return event


def open_question(matter: Matter) -> Event | None:
    """The unit's newest question to the petitioner not yet answered by a 补充材料."""
    last = (Event.objects.filter(matter=matter, action__in=("ask_petitioner", "supplement"))
            .order_by("-at", "-id").first())
    return last if last is not None and last.action == "ask_petitioner" else None


def ask_petitioner(matter: Matter, *, user: User, question: str) -> Event:
    """The unit asks the petitioner for materials or an explanation: shown on the portal."""
    question = (question or "").strip()
    if not question:
        raise GuardFailed("请写明需要信访人补充的材料或说明的问题")
    if len(question) > 1000:
        raise GuardFailed("问题不能超过1000字")
    with transaction.atomic():
        matter = Matter.objects.select_for_update(of=("self",)).get(pk=matter.pk)
        permissions.require(user, "ask_petitioner", matter=matter)
        event = record_event(matter, "ask_petitioner", gettext_noop("请信访人补充材料"),
                             matter.state, matter.state, user, "", note=question, public=True)
        audit.record("ask_petitioner", actor=user, object_type="matter", object_id=matter.pk,
                     matter_id=matter.pk, data={"event": event.pk})
    return event


# --------------------------------------------------------------------------- 息诉罢访


class SettlementRefused(DomainError):
    """The 息诉罢访 record's proof is missing or of the wrong kind (400, with its field)."""

    status = 400

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field
        self.errors = {field: message}  # the API's field error


def settlement_of(matter: Matter) -> Event | None:
    return Event.objects.filter(matter=matter, action="record_settlement").order_by("-id").first()


def _settling_petitioner(matter: Matter) -> Petitioner:
    p = matter.petitioners.order_by("-is_lead", "id").first()
    if p is None:
        raise GuardFailed("事项没有信访人信息")
    return p


def _is_mobile(p: Petitioner) -> bool:
    return bool(otp.MOBILE.match(otp.normalise(str(p.phone or ""))))


def settlement_by_sms(matter: Matter) -> bool:
    """Whether the petitioner confirms 息诉罢访 by a texted code (a mobile phone on file), or
    else by a signed written pledge, scanned and attached (no mobile phone)."""
    p = matter.petitioners.order_by("-is_lead", "id").first()
    return p is not None and _is_mobile(p)


def send_settlement_code(matter: Matter, *, user: User) -> str:
    """Text the petitioner a code to confirm the declaration; the masked phone it went to."""
    permissions.require(user, "record_settlement", matter=matter)
    phone = _phone(_settling_petitioner(matter).pk)
    text = (f"【信访工作平台】信访事项{matter.number}的办理单位将登记您“息诉罢访”（事项已解决、不再信访）。"
            "如您确认，请将验证码{code}告知工作人员，10分钟内有效；如不同意，请勿告知。")
    try:
        otp.send_code(phone, _key("settle", matter.pk), text=text)
    except otp.OtpError as e:
        raise CodeRefused(e.message) from e
    return mask_phone(otp.normalise(phone))


def _check_pledge(written_on: date | None, pledge: list[Any]) -> None:
    """A written pledge: its signing date and its scan (PDF/JPG/PNG, the attachments' rules)."""
    if written_on is None:
        raise SettlementRefused("请填写书面息诉罢访承诺的签署日期", "written_on")
    if written_on > clocks.today():
        raise SettlementRefused("书面息诉罢访承诺的日期不能晚于今天", "written_on")
    if not pledge:
        raise SettlementRefused("请上传信访人签字的书面息诉罢访承诺扫描件（PDF、JPG或PNG）", "pledge")
    errors = attachments.check_files(pledge)
    if errors:
        raise SettlementRefused("；".join(errors), "pledge")


def record_settlement(matter: Matter, *, user: User, statement: str, sms_code: str = "",
                      written_on: date | None = None, pledge: Iterable[Any] = ()) -> Event:
    """息诉罢访: the petitioner declared the matter settled and will petition no more on it
    (京 §27 ¶2). A declaration that ends the petitioner's recourse must be the petitioner's
    own, proven as the petitioner's other acts are (the trust issue, 14 item 7): by the code
    texted to the registered mobile phone (``send_settlement_code``), which the petitioner
    tells the handler. Only a petitioner with no mobile phone on file may confirm by a signed
    written pledge instead, and then its scan is attached to the matter with its date — a
    date typed by staff alone proves nothing."""
    statement = (statement or "").strip()
    if not statement:
        raise GuardFailed("请记录信访人息诉罢访的表示（时间、方式、内容）")
    if len(statement) > 1000:
        raise GuardFailed("息诉罢访说明不能超过1000字")
    permissions.require(user, "record_settlement", matter=matter)
    if settlement_of(matter) is not None:
        raise GuardFailed("该事项已登记息诉罢访")
    if st.State(matter.state) in (st.State.REGISTERED, st.State.DISPATCHED, st.State.SIGNED,
                                  st.State.OBJECTED):
        raise GuardFailed("事项尚未受理办理，不能登记息诉罢访（信访人可撤回）")
    pledge = [f for f in pledge if f]
    written = written_on is not None or bool(pledge)
    lead = _settling_petitioner(matter)  # an anonymous matter has no one to declare it
    by_sms = _is_mobile(lead)
    phone = ""
    if by_sms and written:
        raise SettlementRefused("信访人登记了手机号码，须由信访人以短信确认码确认；书面承诺仅适用于"
                                "没有手机的信访人", "sms_code")
    if by_sms:
        phone = otp.normalise(str(lead.phone))
        _check_code(phone, "settle", matter.pk, sms_code)
    elif not written:
        raise SettlementRefused("信访人登记的联系电话不是手机号码，无法以短信确认：请上传信访人签字的"
                                "书面息诉罢访承诺扫描件，并填写签署日期", "pledge")
    else:
        _check_pledge(written_on, pledge)
    with transaction.atomic():
        matter = Matter.objects.select_for_update(of=("self",)).get(pk=matter.pk)
        saved = attachments.add_attachments(matter, pledge, user) if written else []
        if written_on is not None:
            names = "、".join(a.name for a in saved)
            how = f"书面承诺（{written_on.isoformat()}签署，扫描件：{names}）"
        else:
            how = "信访人以短信验证码确认"
        event = record_event(matter, "record_settlement", gettext_noop("息诉罢访"), matter.state,
                             matter.state, user, "", note=f"{statement}（{how}）", public=True,
                             data={"confirmed_by": "written" if written else "sms",
                                   "written_on": written_on.isoformat() if written_on else "",
                                   "pledge": [a.pk for a in saved]})
        tally.refresh(matter.pk)  # the dashboard's 息诉罢访 count
        audit.record("record_settlement", actor=user, object_type="matter", object_id=matter.pk,
                     matter_id=matter.pk,
                     data={"event": event.pk, "confirmed_by": "written" if written else "sms",
                           "pledge": [a.pk for a in saved]})
        if phone:
            _spend(phone, "settle", matter.pk)
    return event
