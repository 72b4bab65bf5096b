"""The three channels: SMS (``xinfang.core.sms``), e-mail (Django's mail) and an app adapter.

**App adapter** (WeChat, 企业微信, a province's 政务 app): ``XINFANG_NOTIFY_APP_ADAPTER`` names
a class with

- ``unit_target(body) -> str | None``: the address of a unit's group or account, None when
  the unit has none (then nothing is sent on this channel);
- ``send(target, subject, text, link) -> None``: deliver, or raise to have the attempt retried.

The documented example is ``WeComRobotAdapter``: a 企业微信 group robot per unit
(``XINFANG_WECOM_WEBHOOKS``, a JSON object from the unit's id or name to the robot's webhook
address; the robot API takes ``{"msgtype": "text", "text": {"content": …}}`` and answers
``{"errcode": 0}``). Only unit (staff) messages go to apps: they carry no personal data.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from xinfang.core import sms
from xinfang.org.models import Body

from .models import Delivery


class DeliveryError(Exception):
    """The channel did not take the message; the attempt is retried."""


class AppAdapter(Protocol):
    def unit_target(self, body: Body) -> str | None: ...

    def send(self, target: str, subject: str, text: str, link: str) -> None: ...


class WeComRobotAdapter:
    """企业微信群机器人: one robot per unit's work group (the example adapter)."""

    timeout = 10.0

    def __init__(self) -> None:
        raw = (getattr(settings, "XINFANG_WECOM_WEBHOOKS", "")
               or os.environ.get("XINFANG_WECOM_WEBHOOKS", "") or "{}")
        self.hooks: dict[str, str] = {str(k): str(v) for k, v in json.loads(raw).items()}

    def unit_target(self, body: Body) -> str | None:
        return self.hooks.get(str(body.pk)) or self.hooks.get(body.name)

    def send(self, target: str, subject: str, text: str, link: str) -> None:
        payload = {"msgtype": "text", "text": {"content": f"{text}\n{link}".strip()}}
        req = urllib.request.Request(
            target, data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            answer: dict[str, Any] = json.loads(resp.read() or b"{}")
        if answer.get("errcode", 0) != 0:
            raise DeliveryError(f"企业微信拒收：{answer.get('errcode')} {answer.get('errmsg', '')}")


def app_adapter() -> AppAdapter | None:
    path = getattr(settings, "XINFANG_NOTIFY_APP_ADAPTER", "") or os.environ.get(
        "XINFANG_NOTIFY_APP_ADAPTER", "")
    if not path:
        return None
    cls: type[AppAdapter] = import_string(path)
    return cls()


def from_address() -> str:
    return str(getattr(settings, "XINFANG_NOTIFY_FROM", "") or settings.DEFAULT_FROM_EMAIL)


def send(d: Delivery) -> None:
    """One attempt on the delivery's channel; raises when the channel refuses."""
    if d.channel == Delivery.Channel.SMS:
        sms.send(d.recipient, d.text)
    elif d.channel == Delivery.Channel.EMAIL:
        msg = EmailMessage(d.subject, d.text, from_address(), [d.recipient])
        for name, content in _attachments(d):
            msg.attach(name, content, "application/pdf")
        if msg.send() != 1:
            raise DeliveryError("邮件服务器未接收")
    elif d.channel == Delivery.Channel.APP:
        adapter = app_adapter()
        if adapter is None:
            raise DeliveryError("未配置政务应用通道")
        adapter.send(d.recipient, d.subject, d.text, str(d.data.get("link", "")))
    else:  # pragma: no cover - the choices are closed
        raise DeliveryError(f"unknown channel {d.channel}")


def _attachments(d: Delivery) -> list[tuple[str, bytes]]:
    """The 文书 served on the petitioner with this step, as PDF (the petitioner's own)."""
    ids = [int(i) for i in d.data.get("documents", [])]
    if not ids or d.audience != Delivery.Audience.PETITIONER or d.matter_id is None:
        return []
    from xinfang.documents import render_pdf
    from xinfang.petitions.models import Document

    out = []
    for doc in Document.objects.filter(pk__in=ids, matter_id=d.matter_id, to_petitioner=True
                                       ).select_related("issued_by", "matter"):
        out.append((f"{doc.get_kind_display()}.pdf", render_pdf(doc)))
    return out
