"""Django's password validators with Chinese messages where Django's own catalogue has none
(issue 14 item 6). The common-password and all-digits validators are used as they are: their
zh-Hans messages exist. Settings: ``AUTH_PASSWORD_VALIDATORS``."""

from __future__ import annotations

from django.contrib.auth import password_validation as pv
from django.utils.translation import gettext


class MinimumLengthValidator(pv.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return gettext("密码太短，至少需要 %(min_length)d 个字符。") % {
            "min_length": self.min_length}

    def get_help_text(self) -> str:
        return gettext("密码至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}


class UserAttributeSimilarityValidator(pv.UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        return gettext("密码与%(verbose_name)s过于相似，请换一个。")

    def get_help_text(self) -> str:
        return gettext("密码不能与用户名、姓名等个人信息相似。")
