"""The log-in form with Chinese labels (Django's own messages are translated already), and
the password-change form.

The log-in is the one door for the web and for ``/admin/`` (whose log-in page sends here):
the password goes through ``LockoutBackend`` (core.security), then an account with a
confirmed TOTP device must give its current code (``core.totp.check``: single use, wrong codes
lock the device out). The verified device rides on the user to django-otp's login signal,
which marks the session as verified.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from xinfang.core import totp


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确，请重新输入。"),
        "inactive": _("该账号已停用，请联系管理员。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        self.fields["otp"] = forms.CharField(
            label=_("动态验证码"), required=False, max_length=8,
            help_text=_("已启用动态口令的账号请输入验证器应用中的6位数字"),
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        # The second factor once the account has one (issue 14 item 4): every door checks it.
        try:
            device = totp.check(user, self.cleaned_data.get("otp", ""))
        except totp.SecondFactorError as e:
            raise ValidationError(e.message(), code=e.code) from None
        if device is not None:
            user.otp_device = device  # django_otp's user_logged_in handler stores it


class StaffPasswordChangeForm(PasswordChangeForm):
    """Django's form (old password, the new one twice, the validators' Chinese messages); the
    view saves through ``audit.accounts.change_password`` instead of ``form.save()``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("原密码")
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password2"].label = _("再次输入新密码")


class FirstPasswordForm(SetPasswordForm):  # type: ignore[type-arg]  # generic in the stubs only
    """The new password twice (Django's validators, Chinese messages); the view saves through
    ``audit.accounts.set_first_password``, which checks the link again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("新密码")
        self.fields["new_password2"].label = _("再次输入新密码")
