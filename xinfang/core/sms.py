"""Text messages to citizens through a pluggable adapter.

``XINFANG_SMS_ADAPTER`` (a dotted path to a class with ``send(phone, text)``) chooses the
gateway. The default, ``LogSmsAdapter``, writes the message to the ``xinfang.sms`` logger:
the demo shows one-time codes in the server log instead of sending them. A deployment
plugs in its operator's gateway (and must not log codes).
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_ADAPTER = "xinfang.core.sms.LogSmsAdapter"
logger = logging.getLogger("xinfang.sms")


class SmsError(Exception):
    """The gateway did not accept the message."""


class SmsAdapter(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Deliver ``text`` to ``phone``; raise SmsError when the gateway refuses it."""


class LogSmsAdapter:
    """Demo gateway: the message goes to the server log, the number masked (issue 14 item
    13: ``138****8000``) — the demo still reads its one-time code there."""

    def send(self, phone: str, text: str) -> None:
        from xinfang.domain import redact
        from xinfang.domain.idcard import mask_phone, normalize

        # The number, and any other identity-like number in the text, never reach the log.
        logger.info("SMS to %s: %s", mask_phone(normalize(phone)), redact.scrub_text(text))


def get_adapter() -> SmsAdapter:
    path = getattr(settings, "XINFANG_SMS_ADAPTER", "") or DEFAULT_ADAPTER
    adapter: type[SmsAdapter] = import_string(path)
    return adapter()


def send(phone: str, text: str) -> None:
    get_adapter().send(phone, text)
