"""The petitioner's notification choices for a matter (the portal's 通知设置), each audited.

- **SMS** is on by default (12345 hotlines text each step); the petitioner may turn it off
  for the matter, and on again. An SMS already queued is then not sent either.
- **E-mail** is optional: the petitioner gives an address and consents; a confirmation link
  goes to it, and only a confirmed address receives notices (with the 文书 attached).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from xinfang.audit import services as audit
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import User
from xinfang.petitions.models import Matter

from . import delivery, messages
from .models import Delivery, MatterContact, StaffPreference
from .planner import mask_email

CONFIRM_SALT = "xinfang.notify.email"
CONFIRM_DAYS = 3
MAX_EMAIL = 254


def contact_for(matter: Matter) -> MatterContact:
    contact, _ = MatterContact.objects.get_or_create(matter=matter)
    return contact


def _audit(action: str, matter: Matter, data: dict[str, object]) -> None:
    audit.record(action, actor_label="信访人", object_type="matter", object_id=matter.pk,
                 matter_id=matter.pk, data=data)


def set_sms(matter: Matter, *, opt_out: bool) -> MatterContact:
    with transaction.atomic():
        contact = MatterContact.objects.select_for_update().get(pk=contact_for(matter).pk)
        contact.sms_opt_out = opt_out
        contact.sms_opt_out_at = timezone.now() if opt_out else None
        contact.save(update_fields=["sms_opt_out", "sms_opt_out_at", "updated_at"])
        _audit("notify_sms_opt_out" if opt_out else "notify_sms_opt_in", matter, {})
    return contact


def _email_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:24]


def confirm_token(matter: Matter, address: str) -> str:
    return signing.dumps({"m": matter.pk, "e": _email_hash(address)}, salt=CONFIRM_SALT)


def set_email(matter: Matter, *, address: str, consent: bool) -> MatterContact:
    """Record the address with the consent, and send the confirmation link to it."""
    address = address.strip()
    if not address:
        raise GuardFailed("请填写电子邮箱")
    try:
        validate_email(address)
    except ValidationError as e:
        raise GuardFailed("电子邮箱格式不正确") from e
    if len(address) > MAX_EMAIL:
        raise GuardFailed(f"电子邮箱不能超过{MAX_EMAIL}个字符")
    if not consent:
        raise GuardFailed("请勾选同意通过电子邮件接收办理进度通知")
    with transaction.atomic():
        contact = MatterContact.objects.select_for_update().get(pk=contact_for(matter).pk)
        recent = Delivery.objects.filter(matter=matter, kind="email_confirm",
                                         created_at__gte=timezone.now() - timedelta(minutes=10))
        if recent.count() >= 3:
            raise GuardFailed("确认邮件发送过于频繁，请10分钟后再试")
        contact.email, contact.email_consent_at = address, timezone.now()
        contact.email_confirmed_at = None
        contact.save(update_fields=["email", "email_consent_at", "email_confirmed_at",
                                    "updated_at"])
        link = f"{messages.public_url()}/portal/notify/confirm/{confirm_token(matter, address)}/"
        d = Delivery.objects.create(
            matter=matter, kind="email_confirm", audience=Delivery.Audience.PETITIONER,
            channel=Delivery.Channel.EMAIL, recipient=address, recipient_label=mask_email(address),
            subject=f"请确认接收信访事项{matter.number}的办理进度通知",
            text="\n".join([
                "您好：", "",
                f"您在信访事项{matter.number}的查询页面填写了本邮箱，并同意通过电子邮件接收办理进度通知。",
                f"请在{CONFIRM_DAYS}日内打开以下链接确认：", link, "",
                "如果不是您本人操作，请忽略本邮件，我们不会再向本邮箱发送通知。",
            ]))
        delivery.enqueue_after_commit([d.pk])
        _audit("notify_email_set", matter, {"email": mask_email(address)})
    return contact


def confirm_email(token: str) -> Matter | None:
    """The link in the confirmation mail; None when it is wrong, old or superseded."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_DAYS * 24 * 3600)
    except signing.BadSignature:
        return None
    with transaction.atomic():
        contact = (MatterContact.objects.select_for_update().select_related("matter")
                   .filter(matter_id=int(data.get("m", 0))).first())
        if contact is None or not contact.email or _email_hash(contact.email) != data.get("e"):
            return None
        if contact.email_confirmed_at is None:
            contact.email_confirmed_at = timezone.now()
            contact.save(update_fields=["email_confirmed_at", "updated_at"])
            _audit("notify_email_confirmed", contact.matter,
                   {"email": mask_email(contact.email)})
    return contact.matter


def remove_email(matter: Matter) -> MatterContact:
    with transaction.atomic():
        contact = MatterContact.objects.select_for_update().get(pk=contact_for(matter).pk)
        contact.email, contact.email_consent_at, contact.email_confirmed_at = "", None, None
        contact.save(update_fields=["email", "email_consent_at", "email_confirmed_at",
                                    "updated_at"])
        _audit("notify_email_removed", matter, {})
    return contact


def set_preference(user: User, *, mode: str, sms: bool) -> StaffPreference:
    """A staff member's own choice: each notice, a daily digest, or none; SMS as well."""
    if mode not in StaffPreference.Mode.values:
        raise GuardFailed("请选择通知方式")
    if sms and not user.phone:
        raise GuardFailed("您的账号没有登记手机号，无法接收短信（请联系管理员登记）")
    with transaction.atomic():
        pref, _ = StaffPreference.objects.update_or_create(
            user=user, defaults={"mode": mode, "sms": sms})
        audit.record("notify_preference", actor=user, object_type="user", object_id=user.pk,
                     data={"mode": mode, "sms": sms})
    return pref
