"""网上信访 (§17, §19 ¶1, §21 ¶2): the one online-submission use case of the portal and the
public API.

The citizen proves they hold the phone with a one-time SMS code (xinfang.core.otp); the matter
is registered at the 信访部门 covering the place (§21 ¶1); a retry with the same idempotency key
is the same matter and needs no new code, also when two retries race (``register_once``) —
but a replay proves nothing about who sends it, so it is told only the matter's number; the
query code goes back only with a fresh SMS code (``Submitted.proven``, issue 14 item 8).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError
from django.utils import timezone

from xinfang.core import otp
from xinfang.domain import states as st
from xinfang.org.models import Body, Category, Division, User

from ..models import Channel, IdempotencyKey, Matter
from .registration import PetitionerIn, Registration, ValidationFailed, register

CITIZEN_LABEL = "信访人"


def xinfang_office_for(division: Division) -> Body | None:
    """The 信访部门 at the lowest level covering ``division`` (the county's 信访局 first)."""
    codes = list(reversed(division.path_codes()))
    offices = {b.division_id: b for b in Body.objects.filter(
        kind=Body.Kind.XINFANG, active=True, division_id__in=codes).order_by("id")}
    for code in codes:
        if code in offices:
            return offices[code]
    return None


def register_once(reg: Registration, *, holder: Body, user: User | None, key: str,
                  actor_label: str = "") -> Matter:
    """``register``, and on a concurrent duplicate key the matter the winner created."""
    for _ in range(3):
        try:
            return register(reg, holder=holder, user=user, idempotency_key=key,
                            actor_label=actor_label)
        except IntegrityError:
            if not key:
                raise
            existing = IdempotencyKey.objects.filter(key=key).select_related("matter").first()
            if existing is not None:
                return existing.matter
    raise IntegrityError("idempotency retry exhausted")


@dataclass
class OnlineSubmission:
    """What the citizen fills in: who, where, what (§19 ¶1)."""

    name: str
    phone: str
    title: str
    request: str
    content: str
    division: Division | None
    klass: str = st.Klass.APPEAL.value
    category: Category | None = None
    id_number: str = ""
    address: str = ""
    accused_name: str = ""
    accused_body: Body | None = None  # the unit a report accuses (§30 ¶3)
    channel: str = Channel.ONLINE  # or Channel.QR: 码上办
    scanned_body: Body | None = None  # 码上办: the unit whose QR code was scanned (recorded)


@dataclass
class Submitted:
    matter: Matter
    replay: bool  # the same key was saved before: nothing new was registered
    # A one-time SMS code to the phone was verified in this call: the sender holds the phone,
    # so the query code may be shown. False for a replay without a fresh code.
    proven: bool = True


def submit_online(sub: OnlineSubmission, *, idempotency_key: str, sms_code: str = "",
                  check_code: bool = True) -> Submitted:
    """Register an online petition; durable when this returns (the receipt may be shown).

    Raises ValidationFailed with field keys of ``Registration`` (``petitioners.0.phone`` …)
    plus ``division`` and ``sms_code``, each message in Chinese.
    """
    if sub.channel not in (Channel.ONLINE, Channel.QR):
        raise ValidationFailed({"channel": "网上信访的形式应为网上或扫码"})
    division = sub.division
    holder = xinfang_office_for(division) if division is not None else None
    if division is None or holder is None:
        raise ValidationFailed({"division": "该地暂未开通网上信访，请向当地信访部门提出"})
    replay = bool(idempotency_key) and IdempotencyKey.objects.filter(key=idempotency_key).exists()
    # A retry of a submission that was saved needs no new code (the first one is spent).
    check = check_code and not replay
    proven = not check_code
    if replay and check_code and sms_code:
        # A replay with a fresh code (the first one is spent): the sender may see the query
        # code again. A wrong or spent code is no error here: the answer is the number only.
        try:
            otp.verify(sub.phone, sms_code)
            proven = True
        except otp.OtpError:
            proven = False
    if check:
        if not sms_code:
            raise ValidationFailed({"sms_code": "请填写短信验证码（请先获取验证码）"})
        try:
            otp.verify(sub.phone, sms_code, consume=False)
        except otp.OtpError as e:
            raise ValidationFailed({"sms_code": e.message}) from e
    reg = Registration(
        channel=sub.channel, title=sub.title, request=sub.request, content=sub.content,
        division=division, received_at=timezone.now(), klass=sub.klass,
        category=sub.category, accused_name=sub.accused_name, accused_body=sub.accused_body,
        channel_details={"qr_body_id": str(sub.scanned_body.pk),
                         "qr_body_name": sub.scanned_body.name}
        if sub.channel == Channel.QR and sub.scanned_body is not None else {},
        petitioners=[PetitionerIn(name=sub.name, phone=sub.phone.strip(),
                                  id_number=sub.id_number, address=sub.address)],
    )
    matter = register_once(reg, holder=holder, user=None, key=idempotency_key,
                           actor_label=CITIZEN_LABEL)
    if check:
        otp.discard(sub.phone)  # one time: the code is spent once the matter is saved
        proven = True
    return Submitted(matter, replay, proven)
