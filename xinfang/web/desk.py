"""Checks the staff pages share."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from xinfang.core.http import AuthedRequest
from xinfang.petitions import permissions


def require_registrar(request: AuthedRequest) -> None:
    """The register act (domain.acts: §23 ¶1, staff register at their own body): the 登记 page,
    its 查重 panel and its category suggestions."""
    if not permissions.may(request.user, "register") or request.user.body_id is None:
        raise PermissionDenied(gettext("只有本机关、单位的登记、办理人员和领导可以登记信访事项（§23 ¶1）"))
