"""Writes to a staff account: each one verifies, saves and leaves one audit row (issue 12).

Here rather than in ``xinfang.org``: the audit layer sits above org (it records org's users),
so org cannot write audit rows itself (pyproject.toml, the import-linter layers).

Refusals are GuardFailed with a Chinese msgid; the view translates it for the user.

Issue 14 items 4–6: the second factor is a django-otp TOTP device (``xinfang.core.totp``),
API tokens are knox tokens (``org.ApiToken``, stored as a digest), and a password change is
checked by Django's validators. The audit rows never carry a secret, a code, a token or a
password: only what happened, to which account, and the token's first characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth import password_validation
from django.db import transaction
from django.utils.translation import gettext_noop
from knox.settings import knox_settings

from xinfang.core import totp
from xinfang.core.models import StaffTOTPDevice as TOTPDevice
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import ApiToken, User

from . import services as audit


def enable_totp(user: User, device: TOTPDevice, code: str) -> TOTPDevice:
    """Confirm the pending ``device`` once ``code`` proves the authenticator has its secret."""
    if totp.has_device(user):
        raise GuardFailed(gettext_noop("动态口令已启用"))
    if device.user_id != user.pk or device.confirmed:
        raise GuardFailed(gettext_noop("启用动态口令的请求已失效，请刷新页面后重新扫描二维码。"))
    if not totp.verify_pending(device, code):
        raise GuardFailed(gettext_noop("验证码不正确，请用验证器应用扫描二维码后输入当前的6位数字。"))
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
        audit.record("totp_enable", actor=user, object_type="user", object_id=user.pk,
                     data={"totp_enabled": {"old": False, "new": True}})
    return device


def disable_totp(user: User, code: str) -> User:
    """Turn the second factor off; the current code is required (and counted toward the
    lock-out), so a left-open session alone cannot remove it. A role that must have a second
    factor cannot turn it off (an administrator removes a lost device in /admin/)."""
    from xinfang.core.second_factor import required_for

    if not totp.has_device(user):
        raise GuardFailed(gettext_noop("动态口令未启用"))
    if required_for(user):
        raise GuardFailed(gettext_noop("您的岗位必须使用动态口令，不能停用；更换手机请联系系统管理员。"))
    try:
        totp.check(user, code)
    except totp.SecondFactorError as e:
        raise GuardFailed(e.message()) from None
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=user.pk).delete()
        audit.record("totp_disable", actor=user, object_type="user", object_id=user.pk,
                     data={"totp_enabled": {"old": True, "new": False}})
    return user


def change_password(user: User, new_password: str) -> User:
    """Set a new password (Django's validators decide; their messages are Chinese) and revoke
    every API token the old password could have obtained."""
    password_validation.validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoked = _revoke(user, ApiToken.objects.filter(user=user), reason="password_change")
        audit.record("password_change", actor=user, object_type="user", object_id=user.pk,
                     data={"fields": {"password": {"changed": True}}, "tokens_revoked": revoked})
    return user


# ---------------------------------------------------------------- API tokens


def create_token(user: User, name: str = "", ttl: timedelta | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user`` (who has shown the password and the second factor): the row
    keeps its digest, the caller gets the token itself once. At most TOKEN_LIMIT_PER_USER live."""
    from django.db.models import Q
    from django.utils import timezone

    limit = knox_settings.TOKEN_LIMIT_PER_USER
    live = ApiToken.objects.filter(user=user).filter(
        Q(expiry__gt=timezone.now()) | Q(expiry__isnull=True))
    if limit is not None and live.count() >= limit:
        raise GuardFailed(gettext_noop("有效的接口令牌已达上限，请先在“账号安全”页面撤销不用的令牌。"))
    with transaction.atomic():
        instance, token = ApiToken.objects.create(
            user=user, expiry=ttl if ttl is not None else knox_settings.TOKEN_TTL,
            name=(name or "").strip()[:60])
        audit.record("token_create", actor=user, object_type="org.apitoken",
                     object_id=instance.token_key,
                     data={"user": user.pk, "name": instance.name,
                           "expiry": instance.expiry.isoformat() if instance.expiry else None})
    return instance, token


def _revoke(actor: User, tokens: Iterable[ApiToken], *, reason: str) -> list[str]:
    keys = []
    for t in list(tokens):
        keys.append(t.token_key)
        owner = t.user_id
        t.delete()
        audit.record("token_revoke", actor=actor, object_type="org.apitoken",
                     object_id=t.token_key, data={"user": owner, "reason": reason})
    return keys


def revoke_token(actor: User, token: ApiToken, *, reason: str = "owner") -> None:
    """Revoke one token: its owner (web page, API, log-out) or an administrator (admin)."""
    if token.user_id != actor.pk and not (actor.is_superuser or actor.role == "admin"):
        raise GuardFailed(gettext_noop("只能撤销自己的接口令牌"))
    with transaction.atomic():
        _revoke(actor, [token], reason=reason)


def revoke_own_token(user: User, token_key: str, *, reason: str = "owner") -> None:
    token = ApiToken.objects.filter(user=user, token_key=token_key).first()
    if token is None:
        raise GuardFailed(gettext_noop("没有这个接口令牌"))
    revoke_token(user, token, reason=reason)


def revoke_all_tokens(user: User, *, reason: str = "logout_all") -> list[str]:
    with transaction.atomic():
        return _revoke(user, ApiToken.objects.filter(user=user), reason=reason)


# ---------------------------------------------------------------- the first password


def first_password_token(user: User) -> tuple[str, str]:
    """(uid, token) of a one-time link by which an account without a usable password (a new
    one from ``xinfang import-org``) sets its first password. Django's password-reset token:
    an HMAC over the account's password hash, last log-in and e-mail, so it stops working once
    the password is set, and after ``PASSWORD_RESET_TIMEOUT``. Nothing is stored."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if user.has_usable_password() or not user.is_active:
        raise GuardFailed(gettext_noop("该账号已设置密码或已停用，不能发放设置密码链接。"))
    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)


def first_password_user(uid: str, token: str) -> User:
    """The account a first-password link names, if the link still holds."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.http import urlsafe_base64_decode

    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uid).decode()))
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError, User.DoesNotExist):
        user = None
    if (user is None or not user.is_active or user.has_usable_password()
            or not default_token_generator.check_token(user, token)):
        raise GuardFailed(gettext_noop("设置密码链接无效、已使用或已过期，请联系系统管理员重新发放。"))
    return user


def set_first_password(uid: str, token: str, new_password: str) -> User:
    """Set the first password through a link (Django's validators decide); the link is spent."""
    user = first_password_user(uid, token)
    password_validation.validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.record("password_first_set", actor=user, object_type="user", object_id=user.pk,
                     data={"fields": {"password": {"changed": True}}, "via": "link"})
    return user
