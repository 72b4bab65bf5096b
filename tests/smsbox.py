"""A capturing SMS adapter for tests: messages land in ``OUTBOX`` (phone → texts).

Select it with ``settings.XINFANG_SMS_ADAPTER = "tests.smsbox.CapturingSmsAdapter"`` (the
``sms`` fixture does so). ``live_server`` runs in the same process, so browser tests read the
codes here too.
"""

from __future__ import annotations

import re

OUTBOX: dict[str, list[str]] = {}
PATH = "tests.smsbox.CapturingSmsAdapter"


class CapturingSmsAdapter:
    def send(self, phone: str, text: str) -> None:
        OUTBOX.setdefault(phone, []).append(text)


def last_code(phone: str) -> str:
    """The 6-digit code in the newest message to ``phone``."""
    texts = OUTBOX.get(phone) or []
    assert texts, f"no SMS was sent to {phone}"
    # After "验证码": a message may also carry the matter's number.
    match = re.search(r"验证码(?:是)?(\d{6})", texts[-1]) or re.search(r"\d{6}", texts[-1])
    assert match, texts[-1]
    return match.group(match.lastindex or 0)


class FlakySmsAdapter:
    """Refuses the first message to each phone (a gateway hiccup), takes the next."""

    refused: set[str] = set()

    def send(self, phone: str, text: str) -> None:
        from xinfang.core.sms import SmsError

        if phone not in self.refused:
            self.refused.add(phone)
            raise SmsError("网关超时")
        OUTBOX.setdefault(phone, []).append(text)


FLAKY_PATH = "tests.smsbox.FlakySmsAdapter"
