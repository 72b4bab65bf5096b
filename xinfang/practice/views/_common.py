"""What every practice page shares: the division in scope, the tab bar, the error mapping and
the one "POST form → service → redirect or re-render" step (``submit``).

Who may open a page or sees a form comes from the one permission model
(``xinfang.petitions.permissions`` over ``xinfang.domain.acts``); the services refuse on their
own, so a page only decides what to offer and maps a refusal to its status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from xinfang.core.http import AuthedRequest
from xinfang.domain.errors import DomainError
from xinfang.org.models import Division, User
from xinfang.petitions import access as matter_access
from xinfang.petitions import clocks, permissions
from xinfang.petitions.models import Matter
from xinfang.petitions.services import ValidationFailed

# The service call of a submitted form: cleaned data in, (success message, next URL) out.
Act = Callable[[dict[str, Any]], tuple[str, str]]
# Re-render the page after a refusal: the bound form (errors attached, or None), the status
# and the refusal's message (for pages that show it on top rather than on a form).
Rerender = Callable[[Any, int, str], HttpResponse]


def _division(user: User) -> Division:
    if user.body is None:
        raise PermissionDenied(gettext("您的账号未设置所在单位"))
    return user.body.division


def _scope(user: User) -> Division:
    """The user's division, for a page that needs jurisdiction over it (§15 ¶3)."""
    if not permissions.has_jurisdiction(user):
        raise PermissionDenied(gettext("本页面仅限信访部门、党委政府、乡镇（街道）、领导和督查人员查看"))
    return _division(user)


def _today() -> date:
    return clocks.today()


def _render(request: AuthedRequest, template: str, ctx: dict[str, Any], status: int = 200
            ) -> HttpResponse:
    ctx.setdefault("nav", "practice")
    ctx.setdefault("today", _today())
    # The tab bar shows only the pages this user may open (the views' own checks).
    user = request.user
    ctx.setdefault("tab_scope", permissions.has_jurisdiction(user))
    ctx.setdefault("tab_triage", permissions.may(user, "triage"))
    ctx.setdefault("tab_listed", permissions.may(user, "view_listed"))
    return render(request, template, ctx, status=status)


def _attach(form: Any, e: DomainError) -> None:
    """Field errors of a ValidationFailed next to their fields; anything else on top."""
    if isinstance(e, ValidationFailed):
        for key, msg in e.errors.items():
            form.add_error(key if key in form.fields else None, msg)
    else:
        form.add_error(None, e.message)


def _done(request: HttpRequest, message: str, url: str) -> HttpResponse:
    if message:
        messages.success(request, message)
    return redirect(url)


def submit(request: HttpRequest, form: Any, act: Act, rerender: Rerender) -> HttpResponse:
    """The one write step of a page: validate ``form`` (None: nothing to validate), call the
    service through ``act``, and redirect with its message; an invalid form re-renders with
    400, a refusal (DomainError) with its own status, its errors attached to the form."""
    status, error = 400, ""
    if form is None or form.is_valid():
        try:
            message, url = act(form.cleaned_data if form is not None else {})
        except DomainError as e:
            if form is not None:
                _attach(form, e)
            status, error = e.status, e.message
        else:
            return _done(request, message, url)
    return rerender(form, status, error)


def _month_param(request: HttpRequest, name: str = "month") -> str:
    value = request.GET.get(name, "")
    try:
        y, m = (int(x) for x in value.split("-"))
        date(y, m, 1)
        return f"{y}-{m:02d}"
    except (ValueError, TypeError):
        t = _today()
        return f"{t.year}-{t.month:02d}"


def _date_param(request: HttpRequest, name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return default


def _matter_by_number(user: User, number: str) -> Matter | None:
    return matter_access.visible_matters(user).filter(number=number.strip()).first()
