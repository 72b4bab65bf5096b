"""The acts posted from the matter page: a transition of the state machine, 办结报告 (§22),
督办 (§40), a 协办 unit's opinion and the audited identity reveal (§30 ¶3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError, Forbidden
from xinfang.petitions import access, permissions, services
from xinfang.petitions.models import Matter

from ..forms import (
    ActionForm,
    LapseForm,
    NoteForm,
    PersonnelNoticeForm,
    SuperviseForm,
    active_bodies,
)
from .matter import done, handler_form, matter_context, matter_error, post_act, recuse_form


@login_required
@require_POST
def matter_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    matter = access.get_matter_for_user(request.user, pk)
    t = st.TRANSITIONS.get(name)
    if t is None:
        raise Http404("未知的操作")
    form = ActionForm(t, matter, request.POST, bodies=list(active_bodies()))
    if not form.is_valid():
        return matter_error(request, pk, form, None, 400)
    try:
        services.transition(matter, name, user=request.user, data=form.to_data())
    except DomainError as e:
        return matter_error(request, pk, form, e, e.status)
    return done(request, pk, gettext("已%(action)s") % {"action": gettext(t.label)})


@login_required
@require_POST
def matter_report(request: AuthedRequest, pk: int) -> HttpResponse:
    return post_act(
        request, pk, NoteForm(request.POST, prefix="report"),
        lambda f: gettext("请填写办结报告内容"),
        lambda m, d: services.submit_report(m, user=request.user, text=d["text"]),
        gettext("办结报告已提交"))


@login_required
@require_POST
def matter_supervise(request: AuthedRequest, pk: int) -> HttpResponse:
    return post_act(
        request, pk, SuperviseForm(request.POST, prefix="supervise"),
        lambda f: gettext("请填写督办意见") if "note" in f.errors else gettext("反馈期限应为1至90天"),
        lambda m, d: services.supervise(m, user=request.user, note=d["note"],
                                        feedback_days=d["feedback_days"]),
        gettext("已督办"))


@login_required
@require_POST
def matter_implementation(request: AuthedRequest, pk: int) -> HttpResponse:
    """§32 ¶2: the supported opinion has been carried out."""
    return post_act(
        request, pk, NoteForm(request.POST, prefix="implementation"),
        lambda f: gettext("请填写支持意见的落实情况"),
        lambda m, d: services.record_implementation(m, user=request.user, text=d["text"]),
        gettext("已登记落实情况"))


def _staff_form(request: AuthedRequest, pk: int, build: Callable[..., Any]) -> Any:
    """The page's form for a staff act on the matter, or 403 where it is not offered."""
    form = build(request.user, access.get_matter_for_user(request.user, pk), request.POST)
    if form is None:
        raise PermissionDenied
    return form


@login_required
@require_POST
def matter_assign_handler(request: AuthedRequest, pk: int) -> HttpResponse:
    """指定承办人 (§28)."""
    return post_act(
        request, pk, _staff_form(request, pk, handler_form), lambda f: gettext("请选择承办人"),
        lambda m, d: services.assign_handler(m, user=request.user, handler_id=d["handler_user"]),
        gettext("已指定承办人"))


@login_required
@require_POST
def matter_recuse(request: AuthedRequest, pk: int) -> HttpResponse:
    """登记回避 (§28 ¶3)."""
    return post_act(
        request, pk, _staff_form(request, pk, recuse_form),
        lambda f: gettext("请选择回避人员并写明理由"),
        lambda m, d: services.recuse(m, user=request.user, recused_id=d["recused_user"],
                                     reason=d["reason"]),
        gettext("已登记回避"))


@login_required
@require_POST
def matter_personnel_notice(request: AuthedRequest, pk: int) -> HttpResponse:
    """向组织（人事）部门通报反映干部问题的信访情况 (§30 ¶2)."""
    return post_act(
        request, pk, PersonnelNoticeForm(request.POST, prefix="personnel"),
        lambda f: gettext("请填写组织（人事）部门和通报内容"),
        lambda m, d: services.notify_personnel(m, user=request.user,
                                               personnel_body=d["personnel_body"],
                                               text=d["text"]),
        gettext("已向组织（人事）部门通报"))


@login_required
@require_POST
def matter_confirm_lapse(request: AuthedRequest, pk: int) -> HttpResponse:
    """A 督查 or admin confirms a petitioner's window lapsed on an estimated date (issue 13
    item 4): the matter is closed by close_lapsed under the confirming person's name."""
    return post_act(
        request, pk, LapseForm(request.POST, prefix="lapse"),
        lambda f: gettext("请写明确认期限届满的理由"),
        lambda m, d: services.confirm_lapse(m, user=request.user, reason=d["reason"]),
        gettext("已确认请求期限届满，事项结案"))


@login_required
@require_POST
def matter_assist(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(m: Matter, d: dict[str, Any]) -> object:
        dispatch = permissions.assist_dispatch(request.user, m)
        if dispatch is None:
            raise Forbidden(gettext("只有协办单位可以提交协办意见"))
        return services.assist_reply(dispatch, user=request.user, text=d["text"])

    return post_act(request, pk, NoteForm(request.POST, prefix="assist"),
                    lambda f: gettext("请填写协办意见"), run, gettext("协办意见已提交"))


@login_required
@require_POST
def reveal_identity(request: AuthedRequest, pk: int) -> HttpResponse:
    """Show the petitioners' full identity; every view is audited (issue 2 §8, §30 ¶3)."""
    matter = access.get_matter_for_user(request.user, pk)
    try:
        services.log_identity_view(matter, request.user, "web:matter")
    except DomainError as e:
        raise PermissionDenied(gettext("您无权查看信访人身份信息（§30 ¶3）")) from e
    ctx = matter_context(request, pk, reveal=True)
    if request.htmx:
        return render(request, "web/_petitioners.html", ctx)
    return render(request, "web/matter.html", ctx)
