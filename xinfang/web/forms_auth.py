"""The log-in form with Chinese labels (Django's own messages are translated already)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
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
            label=_("动态验证码"), required=False, max_length=6,
            help_text=_("已启用动态口令的账号请输入验证器应用中的6位数字"),
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        # Second factor for staff who turned it on (issue 4: optional TOTP).
        if getattr(user, "totp_enabled", False) and not totp.verify(
            user.totp_secret, self.cleaned_data.get("otp", "")
        ):
            raise ValidationError(_("请输入正确的动态验证码"), code="otp")
