"""One-time codes that prove a citizen holds the phone they give (portal submission).

A code is 6 digits, sent by SMS (xinfang.core.sms), kept in the security store only as an HMAC for
10 minutes; at most 5 wrong tries, then a new code is needed; a new code at most once a
minute per phone. Codes and counters live in the security store (``xinfang.core.store``):
shared by every worker and never evicted, so a flood of other phones cannot drop a code.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext, gettext_noop, ngettext

from xinfang.domain.idcard import mask_phone
from xinfang.domain.limits import normalize_phone

from . import sms
from .store import hit, security_store

CODE_TTL = 10 * 60
MAX_TRIES = 5
RESEND_SECONDS = 60
MAX_PER_ADDRESS_HOUR = 20
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


class OtpError(Exception):
    """A refusal in the reader's language: ``message`` is translated when it is read (the
    msgid is Chinese; ``tries_left`` fills the count of the wrong-code message)."""

    def __init__(self, msgid: str, *, tries_left: int | None = None) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.tries_left = tries_left

    @property
    def message(self) -> str:
        if self.tries_left is None:
            return gettext(self.msgid)
        return ngettext(WRONG_CODE, WRONG_CODE_PLURAL, self.tries_left) % {"n": self.tries_left}


WRONG_CODE = gettext_noop("验证码不正确，还可以再试%(n)s次")
WRONG_CODE_PLURAL = "验证码不正确，还可以再试%(n)s次"


def _key(kind: str, purpose: str, phone: str) -> str:
    digest = hashlib.sha256(f"{purpose}\x00{phone}".encode()).hexdigest()[:32]
    return f"xinfang:otp:{kind}:{digest}"


def _mac(purpose: str, phone: str, code: str) -> str:
    return salted_hmac("xinfang.otp", f"{purpose}\x00{phone}\x00{code}",
                       algorithm="sha256").hexdigest()


def normalise(phone: str) -> str:
    return normalize_phone(phone or "")


DEFAULT_TEXT = "【信访工作平台】您的验证码是{code}，10分钟内有效。请勿告诉他人。"


def send_code(phone: str, purpose: str = "portal", *, address: str = "",
              text: str = DEFAULT_TEXT) -> None:
    """Text a new code to ``phone``; OtpError (Chinese) if the number or the timing is wrong.

    ``address`` (the client's) caps how many phones one address may text per hour. ``text``
    is the message with ``{code}`` where the code goes (it says what the code is for).
    """
    phone = normalise(phone)
    if not MOBILE.match(phone):
        raise OtpError(gettext_noop("请先填写正确的11位手机号码"))
    cache = security_store()
    if not cache.add(_key("sent", purpose, phone), 1, RESEND_SECONDS):
        raise OtpError(gettext_noop("验证码已发送，请1分钟后再重新获取"))
    if address:
        if hit(_key("addr", purpose, address), 3600) > MAX_PER_ADDRESS_HOUR:
            raise OtpError(gettext_noop("获取验证码过于频繁，请稍后再试"))
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(_key("code", purpose, phone), _mac(purpose, phone, code), CODE_TTL)
    cache.delete(_key("tries", purpose, phone))
    try:
        sms.send(phone, text.format(code=code))
    except sms.SmsError as e:
        cache.delete_many([_key("code", purpose, phone), _key("sent", purpose, phone)])
        raise OtpError(gettext_noop("短信发送失败，请稍后再试")) from e


def send_code_notice(phone: str, *, address: str = "") -> str:
    """``send_code``, then the notice to show: where the code went (number masked) and for how
    long it holds. Raises OtpError like ``send_code``."""
    send_code(phone, address=address)
    return gettext("验证码已发送至 %(phone)s，10分钟内有效") % {"phone": mask_phone(normalise(phone))}


def verify(phone: str, code: str, purpose: str = "portal", *, consume: bool = True) -> None:
    """Accept the code or raise OtpError. ``consume=False`` leaves it for a later ``discard``
    (the caller consumes it once the protected action has succeeded)."""
    phone = normalise(phone)
    code = (code or "").strip()
    stored = security_store().get(_key("code", purpose, phone))
    if stored is None:
        raise OtpError(gettext_noop("验证码已过期或未获取，请重新获取"))
    tries = hit(_key("tries", purpose, phone), CODE_TTL)
    if tries > MAX_TRIES:
        discard(phone, purpose)
        raise OtpError(gettext_noop("验证码错误次数过多，请重新获取"))
    if not (len(code) == 6 and code.isdigit()
            and constant_time_compare(stored, _mac(purpose, phone, code))):
        left = MAX_TRIES - tries
        if left <= 0:
            discard(phone, purpose)
            raise OtpError(gettext_noop("验证码错误次数过多，请重新获取"))
        raise OtpError(WRONG_CODE, tries_left=left)
    if consume:
        take(phone, purpose)


def take(phone: str, purpose: str = "portal") -> None:
    """Spend the code of ``purpose``: OtpError when it is gone already (used by a concurrent
    request, or expired). Call after ``verify(consume=False)``, inside the transaction of the
    act it protects, so that one code carries out one act only."""
    phone = normalise(phone)
    store = security_store()
    if not store.delete(_key("code", purpose, phone)):
        raise OtpError(gettext_noop("验证码已使用或已过期，请重新获取"))
    store.delete(_key("tries", purpose, phone))


def discard(phone: str, purpose: str = "portal") -> None:
    phone = normalise(phone)
    security_store().delete_many([_key("code", purpose, phone), _key("tries", purpose, phone)])
