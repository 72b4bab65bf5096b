"""One-time links by which the new accounts of an import set their first password.

An imported account has no usable password; nobody — neither the import nor the administrator
— ever knows it. The link (``audit.accounts.first_password_token``: Django's password-reset
token, spent once the password is set, expired after ``PASSWORD_RESET_TIMEOUT``) opens the
staff site's 设置密码 page; after that the person logs in, and a role that must have a second
factor (leaders, 信访干部, administrators: ``core.second_factor``) is taken to enrol its TOTP
authenticator before anything else, as every account is.

The links are bearer secrets: they go to a file created with mode 600 (never to the output
or the logs), one line per account, for the administrator to hand out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from django.urls import reverse

from xinfang.audit import accounts
from xinfang.org.models import User


def pending(users: Iterable[User]) -> list[User]:
    """The active accounts among ``users`` that have no password yet."""
    return [u for u in users if u.is_active and not u.has_usable_password()]


def link(user: User, base_url: str) -> str:
    uid, token = accounts.first_password_token(user)
    return base_url.rstrip("/") + reverse("first_password", args=[uid, token])


def write(path: Path, users: Iterable[User], base_url: str) -> int:
    """Write one tab-separated line per account (用户名, 姓名, 所在单位, 链接) to a new file
    readable by its owner only; refuses to overwrite. The number of links written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    n = 0
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("用户名\t姓名\t所在单位\t设置密码链接（一次有效）\n")
        for user in users:
            body = user.body.name if user.body_id and user.body else ""
            f.write(f"{user.username}\t{user.display_name}\t{body}\t{link(user, base_url)}\n")
            n += 1
    return n
