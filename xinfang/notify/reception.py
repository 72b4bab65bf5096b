"""A reception appointment (接访预约, issue 6): the citizen is texted when staff decide on the
预登记 — arranged (the day and session), or not (see the note on the portal). Not a matter:
the text carries the appointment's own query code, the decision and the portal's link."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from xinfang.domain.idcard import mask_phone
from xinfang.domain.practice import reception as pr
from xinfang.practice.models import PreRegistration

from . import messages, switch
from .delivery import enqueue_after_commit
from .models import Delivery

DECIDED = {
    PreRegistration.Status.ACCEPTED: "已安排于{day}{session}接谈",
    PreRegistration.Status.REDIRECTED: "已引导至有权机关，请查看说明",
    PreRegistration.Status.DECLINED: "未能安排，请查看说明",
}


def connect() -> None:
    post_save.connect(_on_prereg, sender=PreRegistration, dispatch_uid="xinfang.notify.prereg")


def _on_prereg(sender: Any, instance: PreRegistration, created: bool, raw: bool = False,
               **kw: Any) -> None:
    if raw or created or not switch.active() or instance.status not in DECIDED:
        return
    if Delivery.objects.filter(kind="reception", data__prereg=instance.pk,
                               data__status=instance.status).exists():
        return  # told of this decision already
    slot = instance.slot
    phrase = DECIDED[PreRegistration.Status(instance.status)].format(
        day=f"{slot.day.month}月{slot.day.day}日",
        session=str(pr.SESSION_LABELS[pr.Session(slot.session)]))
    phone = "".join(str(instance.phone or "").split())
    if not phone:
        return
    text = (f"【{messages.signature()}】您的接访预约（查询码{instance.code}）{phrase}。"
            f"详情：{messages.public_url()}/portal/reception/lookup/")
    d = Delivery.objects.create(
        kind="reception", audience=Delivery.Audience.PETITIONER, channel=Delivery.Channel.SMS,
        recipient=phone, recipient_label=mask_phone(phone), text=text,
        data={"prereg": instance.pk, "status": instance.status})
    enqueue_after_commit([d.pk])
