"""Writes to a staff account: each one verifies, saves and leaves one audit row (issue 12).

Here rather than in ``xinfang.org``: the audit layer sits above org (it records org's users),
so org cannot write audit rows itself (pyproject.toml, the import-linter layers).

Refusals are GuardFailed with a Chinese msgid; the view translates it for the user.

The second factor (issue 4): RFC 6238 TOTP. The secret is stored encrypted on the user and
never written to the audit log.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_noop

from xinfang.core import totp
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import User

from . import services as audit


def enable_totp(user: User, secret: str, code: str) -> User:
    """Turn the second factor on with ``secret``, once ``code`` proves the authenticator has it."""
    if user.totp_enabled:
        raise GuardFailed(gettext_noop("动态口令已启用"))
    if not secret or not totp.verify(secret, code):
        raise GuardFailed(gettext_noop("验证码不正确，请用验证器应用扫描二维码后输入当前的6位数字。"))
    with transaction.atomic():
        user.totp_secret, user.totp_enabled = secret, True
        user.save(update_fields=["totp_secret", "totp_enabled"])
        audit.record("totp_enable", actor=user, object_type="user", object_id=user.pk,
                     data={"totp_enabled": {"old": False, "new": True}})
    return user


def disable_totp(user: User, code: str) -> User:
    """Turn the second factor off; the current code is required, so a left-open session alone
    cannot remove it."""
    if not user.totp_enabled:
        raise GuardFailed(gettext_noop("动态口令未启用"))
    if not totp.verify(user.totp_secret, code):
        raise GuardFailed(gettext_noop("验证码不正确，未停用动态口令。"))
    with transaction.atomic():
        user.totp_secret, user.totp_enabled = "", False
        user.save(update_fields=["totp_secret", "totp_enabled"])
        audit.record("totp_disable", actor=user, object_type="user", object_id=user.pk,
                     data={"totp_enabled": {"old": True, "new": False}})
    return user
