"""Practice pages (issue 6, procedure.md §8): 接访安排, 预登记, 领导接访, 包案/积案, reports and
源头预防, plus the citizen portal's published schedule and 预登记.

Views are thin, as in xinfang.web.views: parse a form → access helper → one service call →
redirect (messages) or re-render with the Chinese error and the error's own status. Records
are looked up through practice.access (another unit's record is a 404); division-wide pages
(schedule, compliance, reports, screening ledger) need jurisdiction over the user's division
(信访部门, 党委政府, 乡镇, leaders, supervisors) and answer 403 otherwise.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinfang.domain import practice as pr
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError, Forbidden
from xinfang.org.models import Body, Division, User
from xinfang.petitions import access as matter_access
from xinfang.petitions import clocks
from xinfang.petitions.access import JURISDICTION_KINDS, JURISDICTION_ROLES
from xinfang.petitions.models import Dispatch, Matter
from xinfang.petitions.services import PetitionerIn, Registration, ValidationFailed

from . import access
from . import forms as f
from . import services as svc
from .models import (
    Case,
    DisputeEntry,
    Meeting,
    MeetingDecision,
    PreRegistration,
    ReceptionSlot,
    RiskAssessment,
    VisitRecord,
)

R = st.Role
SCHEDULERS = {R.LEADER.value, R.OFFICER.value, R.ADMIN.value}
CASE_OPENERS = {R.LEADER.value, R.OFFICER.value, R.SUPERVISOR.value, R.ADMIN.value}
SUPERVISORS = {R.SUPERVISOR.value, R.LEADER.value, R.ADMIN.value}
LISTED_VIEWERS = SUPERVISORS | {R.OFFICER.value}
SIGNERS = {R.SUPERVISOR.value, R.ADMIN.value}
TRIAGERS = {R.OFFICER.value, R.LEADER.value, R.REGISTRAR.value, R.ADMIN.value}
MEETING_KEEPERS = {R.OFFICER.value, R.LEADER.value, R.ADMIN.value}
ASSESSORS = {R.OFFICER.value, R.LEADER.value, R.UNIT_HEAD.value, R.ADMIN.value}
PORTAL_PREREG_KEY = "portal_prereg_id"
LOG_LABELS = {"open": _("确定包案"), "milestone": _("四包进展"), "progress": _("报告进展"),
              "listed": _("挂牌督办"), "propose_closure": _("提请销号"), "sign_off": _("审核销号"),
              "closure_returned": _("退回销号申请"), "handover": _("包案交接")}


# --------------------------------------------------------------------------- helpers


def _division(user: User) -> Division:
    if user.body is None:
        raise PermissionDenied(gettext("您的账号未设置所在单位"))
    return user.body.division


def has_scope(user: User) -> bool:
    """Jurisdiction over the user's division: 信访部门, 党委政府, 乡镇, leaders, supervisors."""
    if user.is_superuser or user.role == R.ADMIN:
        return True
    if user.body is None:
        return False
    return (user.body.kind in JURISDICTION_KINDS or user.body.kind == Body.Kind.TOWNSHIP
            or R(user.role) in JURISDICTION_ROLES)


def _scope(user: User) -> Division:
    if not has_scope(user):
        raise PermissionDenied(gettext("本页面仅限信访部门、党委政府、乡镇（街道）、领导和督查人员查看"))
    return _division(user)


def _role_in(user: User, roles: set[str]) -> bool:
    return bool(user.is_superuser or user.role in roles)


def _today() -> date:
    return clocks.today()


def _render(request: HttpRequest, template: str, ctx: dict[str, Any], status: int = 200
            ) -> HttpResponse:
    ctx.setdefault("nav", "practice")
    ctx.setdefault("today", _today())
    # The tab bar shows only the pages this user may open (the views' own checks).
    user = request.user
    ctx.setdefault("tab_scope", has_scope(user))
    ctx.setdefault("tab_triage", _role_in(user, TRIAGERS))
    ctx.setdefault("tab_listed", _role_in(user, LISTED_VIEWERS))
    return render(request, template, ctx, status=status)


def _attach(form: Any, e: DomainError) -> None:
    """Field errors of a ValidationFailed next to their fields; anything else on top."""
    if isinstance(e, ValidationFailed):
        for key, msg in e.errors.items():
            form.add_error(key if key in form.fields else None, msg)
    else:
        form.add_error(None, e.message)


def _done(request: HttpRequest, message: str, url: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(url)


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


# --------------------------------------------------------------------------- hub


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = has_scope(user)
    today = _today()
    ctx: dict[str, Any] = {
        "scope": scope,
        "my_cases": svc.open_cases_of(user)[:10],
        "is_leader": user.role == R.LEADER,
        "first_contact": svc.first_contact_matters(user).count(),
    }
    if scope:
        div = _division(user)
        ctx.update({
            "division": div,
            "behind": svc.compliance_view(
                div, *pr.period_window(pr.Period.MONTH, today), today).behind,
            "preregs_waiting": access.visible(user, PreRegistration.objects.filter(
                status=PreRegistration.Status.SUBMITTED)).count(),
            "listed": access.visible(user, Case.objects.filter(listed=True)).exclude(
                status=Case.Status.CLOSED).count(),
        })
    return _render(request, "practice/index.html", ctx)


# --------------------------------------------------------------------------- 1. schedule


def _schedule_ctx(request: HttpRequest, **over: Any) -> dict[str, Any]:
    user = request.user
    div = _scope(user)
    month = _month_param(request)
    start, end = f.month_range(month)
    slots = (access.visible(user, ReceptionSlot.objects.filter(day__range=(start, end)))
             .select_related("leader", "body").order_by("day", "session", "leader_id"))
    can_manage = _role_in(user, SCHEDULERS)
    ctx: dict[str, Any] = {
        "division": div, "month": month, "months": f.month_choices(),
        "start": start, "end": end, "slots": slots, "can_manage": can_manage,
        "proposed": sum(1 for s in slots if s.status == ReceptionSlot.Status.PROPOSED),
        "rules": svc.rule_sheet(div),
        "propose_form": f.ProposeForm(initial={"start": month}),
        "slot_form": f.SlotForm(division=div),
        "error": None,
    }
    ctx.update(over)
    return ctx


@login_required
def schedule(request: HttpRequest) -> HttpResponse:
    return _render(request, "practice/schedule.html", _schedule_ctx(request))


def _schedule_url(request: HttpRequest) -> str:
    month = request.POST.get("month") or request.GET.get("month") or ""
    return reverse("practice:schedule") + (f"?month={month}" if month else "")


@login_required
@require_POST
def schedule_propose(request: HttpRequest) -> HttpResponse:
    div = _scope(request.user)
    form = f.ProposeForm(request.POST)
    if form.is_valid():
        start, end = form.range()
        try:
            created = svc.propose_schedule(div, start, end, user=request.user,
                                           topics=form.cleaned_data["topics"])
        except DomainError as e:
            _attach(form, e)
            return _render(request, "practice/schedule.html",
                           _schedule_ctx(request, propose_form=form), e.status)
        msg = (gettext("已按规则拟安排 %(n)s 个接访日，请调整后公布") % {"n": len(created)} if created
               else gettext("现有安排已满足各项规则，未新增接访日"))
        return _done(request, msg, reverse("practice:schedule") + f"?month={start:%Y-%m}")
    return _render(request, "practice/schedule.html",
                   _schedule_ctx(request, propose_form=form), 400)


@login_required
@require_POST
def slot_add(request: HttpRequest) -> HttpResponse:
    div = _scope(request.user)
    form = f.SlotForm(request.POST, division=div)
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.add_slot(d["leader"], d["day"], user=request.user, session=d["session"],
                         kind=d["kind"], place=d["place"], topics=d["topics"],
                         capacity=d["capacity"])
        except DomainError as e:
            _attach(form, e)
            return _render(request, "practice/schedule.html",
                           _schedule_ctx(request, slot_form=form), e.status)
        return _done(request, gettext("已增加 %(leader)s %(day)s 的安排（拟安排，待公布）")
                         % {"leader": d["leader"], "day": f"{d['day']:%Y-%m-%d}"},
                     reverse("practice:schedule") + f"?month={d['day']:%Y-%m}")
    return _render(request, "practice/schedule.html", _schedule_ctx(request, slot_form=form), 400)


@login_required
@require_POST
def slot_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    slot = access.get_for_user(request.user, ReceptionSlot, pk)
    form = f.CancelForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed({"reason": "请说明取消原因"})
        svc.cancel_slot(slot, user=request.user, reason=form.cleaned_data["reason"])
    except DomainError as e:
        return _render(request, "practice/schedule.html",
                       _schedule_ctx(request, error=e.message), e.status)
    return _done(request, gettext("已取消 %(leader)s %(day)s 的接访安排")
                 % {"leader": slot.leader, "day": f"{slot.day:%Y-%m-%d}"},
                 _schedule_url(request))


@login_required
@require_POST
def schedule_publish(request: HttpRequest) -> HttpResponse:
    _scope(request.user)
    ids = [int(x) for x in request.POST.getlist("slot") if x.isdigit()]
    slots = list(access.visible(request.user, ReceptionSlot.objects.filter(
        pk__in=ids, status=ReceptionSlot.Status.PROPOSED)))
    if not slots:
        return _render(request, "practice/schedule.html",
                       _schedule_ctx(request, error=gettext("请勾选要公布的拟安排")), 400)
    try:
        n = svc.publish_slots(slots, user=request.user)
    except DomainError as e:
        return _render(request, "practice/schedule.html",
                       _schedule_ctx(request, error=e.message), e.status)
    return _done(request, gettext("已公布 %(n)s 个接访日，群众可在网上预登记") % {"n": n}, _schedule_url(request))


@login_required
@require_POST
def slot_held(request: HttpRequest, pk: int) -> HttpResponse:
    slot = access.get_for_user(request.user, ReceptionSlot, pk)
    try:
        svc.mark_held(slot, user=request.user)
    except DomainError as e:
        return _render(request, "practice/schedule.html",
                       _schedule_ctx(request, error=e.message), e.status)
    return _done(request, gettext("已登记为已接访"), _schedule_url(request))


@login_required
def compliance(request: HttpRequest) -> HttpResponse:
    div = _scope(request.user)
    month = _month_param(request)
    period = "quarter" if request.GET.get("period") == "quarter" else "month"
    start, end = f.month_range(month, 3 if period == "quarter" else 1)
    view = svc.compliance_view(div, start, end)
    today = _today()
    return _render(request, "practice/compliance.html", {
        "division": div, "month": month, "months": f.month_choices(), "period": period,
        "start": start, "end": end, "view": view,
        "gaps_past": [d for d in view.rota_gaps if d < today],
        "gaps_ahead": [d for d in view.rota_gaps if d >= today],
        "tier_labels": {k.value: gettext(v) for k, v in pr.TIER_LABELS.items()},
    })


# --------------------------------------------------------------------------- 2. portal


def _portal_slot(pk: int) -> ReceptionSlot:
    slot = (ReceptionSlot.objects.select_related("leader", "body", "division")
            .filter(pk=pk, status=ReceptionSlot.Status.PUBLISHED, day__gte=_today()).first())
    if slot is None:
        raise Http404(gettext("该接访场次不存在或已结束"))
    return slot


def portal_schedule(request: HttpRequest) -> HttpResponse:
    """领导接访日程 (§18 ¶2): published days from today on, with the seats left."""
    rows = []
    for root in Division.objects.filter(parent__isnull=True):
        for s in svc.published_schedule(root).select_related("leader", "body"):
            rows.append({"slot": s, "seats": svc.seats_left(s)})
    rows.sort(key=lambda r: (r["slot"].day, r["slot"].session, r["slot"].pk))
    return render(request, "portal/reception.html", {"rows": rows, "nav": "reception"})


def portal_preregister(request: HttpRequest, pk: int) -> HttpResponse:
    slot = _portal_slot(pk)
    seats = svc.seats_left(slot)
    form = f.PreRegisterForm(request.POST or None, slot=slot,
                             initial={"division": slot.division_id})
    error = ""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                p = svc.preregister(slot, name=d["name"], phone=d["phone"], title=d["title"],
                                    request=d["request"], division=d["division"],
                                    content=d["content"], id_number=d["id_number"])
            except DomainError as e:
                _attach(form, e)
                status = e.status
            else:
                request.session.cycle_key()
                request.session[PORTAL_PREREG_KEY] = p.pk
                return redirect("practice:portal_done")
    return render(request, "portal/reception_form.html", {
        "slot": slot, "seats": seats, "form": form, "error": error, "nav": "reception"},
        status=status)


def portal_done(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(PORTAL_PREREG_KEY)
    p = (PreRegistration.objects.select_related("slot__leader", "slot__body").filter(pk=pk).first()
         if pk else None)
    if p is None:
        return redirect("practice:portal_schedule")
    return render(request, "portal/reception_done.html", {"p": p, "nav": "reception"})


def portal_lookup(request: HttpRequest) -> HttpResponse:
    """A citizen checks their 预登记 with the code and the phone."""
    p = None
    error = ""
    if request.method == "POST":
        p = svc.preregistration_for_citizen(request.POST.get("code", ""),
                                            request.POST.get("phone", ""))
        if p is None:
            error = gettext("查询码或手机号不正确，请核对后重试")
    return render(request, "portal/reception_lookup.html",
                  {"p": p, "error": error, "nav": "reception"}, status=400 if error else 200)


# --------------------------------------------------------------------------- 2b. triage


def _prereg_row(p: PreRegistration, form: Any = None, error: str = "") -> dict[str, Any]:
    return {"p": p, "form": form or f.TriageForm(prefix=f"t{p.pk}"), "error": error}


@login_required
def preregs(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _role_in(user, TRIAGERS):
        raise PermissionDenied(gettext("只有信访干部、登记员和领导可以分办预登记"))
    show_all = request.GET.get("all") == "1"
    qs = access.visible(user, PreRegistration.objects.select_related("slot__leader", "division"))
    if not show_all:
        qs = qs.filter(slot__day__gte=_today()).exclude(status=PreRegistration.Status.VISITED)
    groups: dict[int, dict[str, Any]] = {}
    for p in qs.order_by("slot__day", "slot_id", "created_at"):
        g = groups.setdefault(p.slot_id, {"slot": p.slot, "rows": []})
        g["rows"].append(_prereg_row(p))
    return _render(request, "practice/preregs.html",
                   {"groups": list(groups.values()), "show_all": show_all})


@login_required
@require_POST
def prereg_triage(request: HttpRequest, pk: int) -> HttpResponse:
    p = access.get_for_user(request.user, PreRegistration, pk)
    form = f.TriageForm(request.POST, prefix=f"t{p.pk}")
    status, error = 200, ""
    if form.is_valid():
        try:
            p = svc.triage(p, user=request.user, decision=form.cleaned_data["decision"],
                           note=form.cleaned_data["note"])
        except DomainError as e:
            status, error = e.status, e.message
        else:
            form = None
            if not request.htmx:
                return _done(request, gettext("已分办：%(name)s · %(status)s")
                             % {"name": p.name, "status": p.get_status_display()},
                             reverse("practice:preregs"))
    else:
        status, error = 400, gettext("请选择分办意见")
    if request.htmx:
        return render(request, "practice/_prereg.html", {"row": _prereg_row(p, form, error)},
                      status=status)
    messages.error(request, error)
    return redirect("practice:preregs")


# --------------------------------------------------------------------------- 3. visits


@login_required
def visits(request: HttpRequest) -> HttpResponse:
    """The leader's page: reception days, 访后 report (items with state), 首问负责."""
    user = request.user
    today = _today()
    slots = (ReceptionSlot.objects.filter(leader=user, day__gte=today - timedelta(days=60),
                                          day__lte=today + timedelta(days=60))
             .exclude(status=ReceptionSlot.Status.CANCELLED).order_by("day", "session"))
    return _render(request, "practice/visits.html", {
        "slots": slots,
        "items": svc.leader_report(user),
        "first_contact": svc.first_contact_matters(user),
    })


def _slot_ctx(request: HttpRequest, slot: ReceptionSlot, **over: Any) -> dict[str, Any]:
    user = request.user
    is_leader = user.pk == slot.leader_id
    waiting = list(slot.preregs.exclude(status__in=[
        PreRegistration.Status.VISITED, PreRegistration.Status.DECLINED,
        PreRegistration.Status.REDIRECTED]).order_by("created_at"))
    can_record = (is_leader and slot.day <= _today()
                  and slot.status != ReceptionSlot.Status.CANCELLED)
    div = slot.body.division
    items = []
    assists = Prefetch("matter__dispatches", to_attr="assist_dispatches",
                       queryset=Dispatch.objects.filter(role="assist").select_related("to_body"))
    visits = svc.with_report_clocks(slot.visits.select_related(
        "matter", "dispatch__to_body", "prereg").prefetch_related(assists).order_by("id"))
    for v in visits:
        item = svc.item_status(v)
        form = over.pop(f"assign_{v.pk}", None)
        if form is None and is_leader and v.dispatch_id is None:
            form = f.AssignForm(division=div, prefix=f"a{v.pk}")
        items.append({"item": item, "form": form if is_leader and v.dispatch_id is None else None,
                      "assists": v.matter.assist_dispatches})
    ctx: dict[str, Any] = {
        "slot": slot, "is_leader": is_leader, "waiting": waiting, "can_record": can_record,
        "visit_form": f.VisitForm(slot=slot, preregs=waiting) if can_record else None,
        "items": items, "error": None,
    }
    ctx.update(over)
    return ctx


@login_required
def slot_page(request: HttpRequest, pk: int) -> HttpResponse:
    slot = access.get_for_user(request.user, ReceptionSlot, pk)
    return _render(request, "practice/slot.html", _slot_ctx(request, slot))


@login_required
@require_POST
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    slot = access.get_for_user(request.user, ReceptionSlot, pk)
    waiting = list(slot.preregs.exclude(status=PreRegistration.Status.VISITED))
    form = f.VisitForm(request.POST, slot=slot, preregs=waiting)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        prereg = next((p for p in waiting if p.pk == d["prereg"]), None)
        reg = None
        if prereg is None:
            reg = Registration(
                channel="visit", title=d["title"], request=d["request"], content=d["request"],
                division=d["division"], received_at=timezone.now(),
                petitioners=[PetitionerIn(name=d["name"], phone=d["phone"])])
        try:
            v = svc.record_visit(slot, leader=request.user, talk=d["talk"], prereg=prereg,
                                 registration=reg)
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            return _done(request, gettext("接谈记录已保存，信访件编号 %(number)s；请现场交办责任单位")
                         % {"number": v.matter.number},
                         reverse("practice:slot", args=[slot.pk]) + f"#visit-{v.pk}")
    return _render(request, "practice/slot.html", _slot_ctx(request, slot, visit_form=form),
                   status)


@login_required
@require_POST
def visit_assign(request: HttpRequest, pk: int) -> HttpResponse:
    visit = access.get_for_user(request.user, VisitRecord, pk)
    slot = visit.slot
    form = f.AssignForm(request.POST, division=slot.body.division, prefix=f"a{visit.pk}")
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.assign_on_the_spot(visit, leader=request.user, to_body=d["to_body"],
                                   report_due=d["report_due"], grade=d["grade"],
                                   assist_bodies=list(d["assist_bodies"]),
                                   instructions=d["instructions"])
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            names = "、".join([d["to_body"].name] + [gettext("%(name)s（协办）") % {"name": b.name} for b in d["assist_bodies"]])
            return _done(request, gettext("已现场交办：%(names)s") % {"names": names},
                         reverse("practice:slot", args=[slot.pk]) + f"#visit-{visit.pk}")
    return _render(request, "practice/slot.html",
                   _slot_ctx(request, slot, **{f"assign_{visit.pk}": form}), status)


@login_required
@require_POST
def visit_ack(request: HttpRequest, pk: int) -> HttpResponse:
    visit = access.get_for_user(request.user, VisitRecord, pk)
    try:
        svc.acknowledge_item(visit, leader=request.user)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("practice:visits")
    return _done(request, gettext("已确认办结反馈：%(number)s") % {"number": visit.matter.number}, reverse("practice:visits"))


# --------------------------------------------------------------------------- 4. cases


@login_required
def cases(request: HttpRequest, form: Any = None, status: int = 200) -> HttpResponse:
    user = request.user
    kind = request.GET.get("kind", "")
    state = request.GET.get("status", "open")
    qs = access.visible(user, Case.objects.select_related("matter", "leader", "handler"))
    if kind in Case.Kind.values:
        qs = qs.filter(kind=kind)
    if state == "open":
        qs = qs.exclude(status=Case.Status.CLOSED)
    can_open = _role_in(user, CASE_OPENERS) and user.body is not None
    if form is None and can_open:
        form = f.OpenCaseForm(division=_division(user))
    return _render(request, "practice/cases.html", {
        "cases": qs.order_by("due_on", "id"), "kind": kind, "state": state,
        "kinds": f.CASE_KIND_CHOICES, "form": form if can_open else None}, status)


@login_required
@require_POST
def case_open(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _role_in(user, CASE_OPENERS):
        raise PermissionDenied(gettext("您无权确定包案"))
    form = f.OpenCaseForm(request.POST, division=_division(user))
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        matter = _matter_by_number(user, d["matter"])
        if matter is None:
            form.add_error("matter", gettext("未找到该信访件，或不在您的辖区"))
        else:
            try:
                case = svc.open_case(matter, user=user, task=d["task"], leader=d["leader"],
                                     handler=d["handler"], due_on=d["due_on"], plan=d["plan"])
            except DomainError as e:
                _attach(form, e)
                status = e.status
            else:
                return _done(request, gettext("已确定包案：%(number)s") % {"number": matter.number},
                             reverse("practice:case", args=[case.pk]))
    return cases(request, form=form, status=status)


def _case_ctx(request: HttpRequest, case: Case, **over: Any) -> dict[str, Any]:
    user = request.user
    member = (user.pk in (case.leader_id, case.handler_id)
              or case.team.filter(pk=user.pk).exists() or user.role == R.ADMIN)
    is_open = case.status == Case.Status.OPEN
    view = svc.case_view(case)
    ctx: dict[str, Any] = {
        "view": view, "case": case, "member": member,
        "log": [{"e": e, "label": LOG_LABELS.get(e.action, e.action)} for e in view["log"]],
        "team": list(case.team.all()),
        "milestone_form": f.MilestoneForm() if member and is_open else None,
        "progress_form": f.NoteForm(prefix="progress") if member else None,
        "list_form": (f.NoteForm(prefix="list") if _role_in(user, SUPERVISORS) and not case.listed
                      and case.status != Case.Status.CLOSED else None),
        "closure_form": (f.ClosureForm() if user.pk in (case.leader_id, case.handler_id)
                         and is_open else None),
        "signoff_form": (f.SignOffForm() if _role_in(user, SIGNERS)
                         and case.status == Case.Status.CLOSING
                         and user.pk not in (case.leader_id, case.handler_id) else None),
        "error": None,
    }
    ctx.update(over)
    return ctx


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = access.get_for_user(request.user, Case, pk)
    return _render(request, "practice/case.html", _case_ctx(request, case))


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    case = access.get_for_user(request.user, Case, pk)
    forms_by_action = {
        "milestone": (f.MilestoneForm, "milestone_form", {}),
        "progress": (f.NoteForm, "progress_form", {"prefix": "progress"}),
        "list": (f.NoteForm, "list_form", {"prefix": "list"}),
        "closure": (f.ClosureForm, "closure_form", {}),
        "signoff": (f.SignOffForm, "signoff_form", {}),
    }
    if action not in forms_by_action:
        raise Http404(gettext("未知的操作"))
    cls, key, kw = forms_by_action[action]
    form = cls(request.POST, **kw)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "milestone":
                svc.record_milestone(case, d["duty"], user=user, evidence=d["evidence"],
                                     on=d["on"])
                msg = gettext("已记录：%(duty)s") % {"duty": gettext(pr.DUTY_LABELS[d["duty"]])}
            elif action == "progress":
                svc.add_progress(case, user=user, note=d["note"])
                msg = gettext("已报告进展")
            elif action == "list":
                svc.list_for_supervision(case, user=user, note=d["note"])
                msg = gettext("已挂牌督办")
            elif action == "closure":
                svc.propose_closure(case, user=user, criterion=d["criterion"],
                                    statement=d["statement"], resolved=d["resolved"])
                msg = gettext("已提请销号，待督查审核")
            else:
                svc.sign_off(case, user=user, approve=d["decision"] == "approve", note=d["note"])
                msg = gettext("已审核销号") if d["decision"] == "approve" else gettext("已退回销号申请")
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            return _done(request, msg, reverse("practice:case", args=[case.pk]))
    case.refresh_from_db()
    return _render(request, "practice/case.html",
                   _case_ctx(request, case, **{key: form, "open_action": action}), status)


@login_required
def backlog(request: HttpRequest, forms: dict[int, Any] | None = None,
            status: int = 200) -> HttpResponse:
    user = request.user
    div = _scope(user)
    can_promote = _role_in(user, CASE_OPENERS)
    rows = []
    for c in svc.backlog_candidates(div):
        form = (forms or {}).get(c.matter.pk) or (
            f.PromoteForm(division=div, prefix=f"m{c.matter.pk}") if can_promote else None)
        rows.append({"c": c, "form": form})
    return _render(request, "practice/backlog.html",
                   {"rows": rows, "policy": svc.backlog_policy(div)}, status)


@login_required
@require_POST
def backlog_promote(request: HttpRequest, matter_pk: int) -> HttpResponse:
    user = request.user
    div = _scope(user)
    if not _role_in(user, CASE_OPENERS):
        raise PermissionDenied(gettext("您无权认定积案"))
    matter = matter_access.get_matter_for_user(user, matter_pk)
    form = f.PromoteForm(request.POST, division=div, prefix=f"m{matter.pk}")
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            case = svc.promote_backlog(matter, user=user, leader=d["leader"],
                                       handler=d["handler"], due_on=d["due_on"], plan=d["plan"])
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            return _done(request, gettext("已列为信访积案：%(number)s") % {"number": matter.number},
                         reverse("practice:case", args=[case.pk]))
    return backlog(request, forms={matter.pk: form}, status=status)


@login_required
def listed(request: HttpRequest) -> HttpResponse:
    """挂牌督办 cases and closures waiting for a supervisor's sign-off."""
    user = request.user
    if not _role_in(user, LISTED_VIEWERS):
        raise PermissionDenied(gettext("只有督查、信访干部和领导可以查看挂牌督办"))
    qs = access.visible(user, Case.objects.select_related("matter", "leader", "handler",
                                                          "listed_by"))
    today = _today()
    rows = [{"case": c, "days_left": (c.due_on - today).days}
            for c in qs.filter(listed=True).exclude(status=Case.Status.CLOSED)
            .order_by("due_on", "id")]
    return _render(request, "practice/listed.html", {
        "rows": rows,
        "closing": qs.filter(status=Case.Status.CLOSING).order_by("proposed_at"),
    })


@login_required
def handover_page(request: HttpRequest, form: Any = None, status: int = 200) -> HttpResponse:
    user = request.user
    div = _scope(user)
    can = _role_in(user, {R.ADMIN.value, R.OFFICER.value, R.SUPERVISOR.value, R.LEADER.value})
    return _render(request, "practice/handover.html", {
        "form": (form or f.HandoverForm(division=div)) if can else None,
        "orphaned": svc.orphaned_cases(div),
    }, status)


@login_required
@require_POST
def handover_submit(request: HttpRequest) -> HttpResponse:
    user = request.user
    div = _scope(user)
    form = f.HandoverForm(request.POST, division=div)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            h = svc.handover(d["from_user"], d["to_user"], user=user, reason=d["reason"])
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            return _done(request, gettext("已交接 %(n)s 件在办包案：%(from)s → %(to)s")
                         % {"n": h.cases.count(), "from": d["from_user"], "to": d["to_user"]},
                         reverse("practice:handover"))
    return handover_page(request, form=form, status=status)


# --------------------------------------------------------------------------- 5. reports


@login_required
def report_daily(request: HttpRequest) -> HttpResponse:
    div = _scope(request.user)
    day = _date_param(request, "day", _today())
    return _render(request, "practice/report_daily.html",
                   {"division": div, "day": day, "rows": svc.daily_digest(div, day),
                    "prev": day - timedelta(days=1), "next": day + timedelta(days=1)})


@login_required
def report_weekly(request: HttpRequest) -> HttpResponse:
    div = _scope(request.user)
    d = _date_param(request, "week", _today())
    ws, we = pr.period_window(pr.Period.WEEK, d)
    return _render(request, "practice/report_weekly.html", {
        "division": div, "ws": ws, "we": we, "ranking": svc.weekly_ranking(div, ws),
        "prev": ws - timedelta(days=7), "next": ws + timedelta(days=7)})


def bulletin_rows(b: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The monthly bulletin as (section, item, figure) rows: page, Excel and PDF alike."""
    def names(xs: list[str]) -> str:
        return "、".join(xs) if xs else "无"

    m, r, c, s, d = b["matters"], b["reception"], b["cases"], b["screening"], b["decisions"]
    return [
        ("信访事项", "本月登记", str(m["received"])),
        ("信访事项", "本月办结", str(m["closed"])),
        ("信访事项", "按期办理率", m["deadlines_kept"]),
        ("领导接访", "已接访天数", str(r["days_held"])),
        ("领导接访", "接谈人次", str(r["visits"])),
        ("领导接访", "交办事项办结率", r["items_done"]),
        ("领导接访", "未达接访要求的领导", names(r["leaders_behind"])),
        ("领导接访", "无县领导轮值的工作日", names(r["rota_gaps"])),
        ("包案积案", "新确定包案", str(c["opened"])),
        ("包案积案", "本月销号", str(c["closed"])),
        ("包案积案", "销号案件实际化解率", c["resolved"]),
        ("包案积案", "在办积案", str(c["backlog_open"])),
        ("包案积案", "本月化解积案", str(c["backlog_cleared"])),
        ("包案积案", "挂牌督办积案", str(c["listed"])),
        ("源头预防", "排查单位数", str(s["divisions"])),
        ("源头预防", "未按期排查", names(s["overdue"])),
        ("源头预防", "新排查矛盾纠纷", str(s["disputes_new"])),
        ("源头预防", "本月化解矛盾纠纷", str(s["disputes_resolved"])),
        ("源头预防", "转为信访事项（累计）", str(s["disputes_converted"])),
        ("会议议定事项", "本月到期", str(d["due"])),
        ("会议议定事项", "按期落实率", d["kept"]),
    ]


def _bulletin(request: HttpRequest) -> tuple[Division, str, dict[str, Any]]:
    div = _scope(request.user)
    month = _month_param(request)
    y, m = (int(x) for x in month.split("-"))
    return div, month, svc.monthly_bulletin(div, y, m)


@login_required
def report_monthly(request: HttpRequest) -> HttpResponse:
    div, month, b = _bulletin(request)
    return _render(request, "practice/report_monthly.html", {
        "division": div, "month": month, "months": f.month_choices(back=12, ahead=1),
        "b": b, "rows": bulletin_rows(b)})


def _attachment(data: bytes, content_type: str, name: str, ascii_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                       f"filename*=UTF-8''{quote(name)}")
    return response


@login_required
def report_monthly_xlsx(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _div, month, b = _bulletin(request)
    wb = Workbook()
    ws = wb.active
    ws.title = "月通报"
    ws.append([f"{b['division']}{b['month']}信访工作通报"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["类别", "项目", "数据"])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in bulletin_rows(b):
        ws.append(list(row))
    for col, w in (("A", 14), ("B", 26), ("C", 50)):
        ws.column_dimensions[col].width = w
    out = BytesIO()
    wb.save(out)
    return _attachment(out.getvalue(),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       f"{b['division']}{b['month']}信访工作通报.xlsx", f"bulletin-{month}.xlsx")


@login_required
def report_monthly_pdf(request: HttpRequest) -> HttpResponse:
    from weasyprint import HTML  # ~0.4 s import: only when a PDF is asked for (recipes §4a)

    _div, month, b = _bulletin(request)
    html = render_to_string("practice/bulletin_pdf.html",
                            {"b": b, "rows": bulletin_rows(b), "today": _today()})
    pdf: bytes = HTML(string=html).write_pdf()
    return _attachment(pdf, "application/pdf", f"{b['division']}{b['month']}信访工作通报.pdf",
                       f"bulletin-{month}.pdf")


# --------------------------------------------------------------------------- 6. prevention


def _prevention_ctx(request: HttpRequest, **over: Any) -> dict[str, Any]:
    user = request.user
    div = _scope(user)
    can_keep = _role_in(user, {R.OFFICER.value, R.HANDLER.value, R.UNIT_HEAD.value,
                               R.LEADER.value, R.ADMIN.value})
    today = _today()
    ctx: dict[str, Any] = {
        "division": div,
        "ledger": svc.screening_overview(div, today),
        "disputes": access.visible(user, DisputeEntry.objects.select_related(
            "division", "responsible", "responsible_body")).order_by("status", "-created_at"),
        "screening_form": f.ScreeningForm(division=div, initial={"on": today}) if can_keep else None,
        "dispute_form": f.DisputeForm(division=div) if can_keep else None,
        "error": None,
    }
    ctx.update(over)
    return ctx


@login_required
def prevention(request: HttpRequest) -> HttpResponse:
    return _render(request, "practice/prevention.html", _prevention_ctx(request))


@login_required
@require_POST
def screening_add(request: HttpRequest) -> HttpResponse:
    div = _scope(request.user)
    form = f.ScreeningForm(request.POST, division=div)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.record_screening(d["division"], user=request.user, on=d["on"], note=d["note"])
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            return _done(request, gettext("已登记 %(division)s %(day)s 的排查")
                         % {"division": d["division"].name, "day": f"{d['on']:%Y-%m-%d}"},
                         reverse("practice:prevention"))
    return _render(request, "practice/prevention.html",
                   _prevention_ctx(request, screening_form=form), status)


@login_required
@require_POST
def dispute_add(request: HttpRequest) -> HttpResponse:
    div = _scope(request.user)
    form = f.DisputeForm(request.POST, division=div)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            e_ = svc.add_dispute(d["division"], user=request.user, title=d["title"],
                                 parties=d["parties"], risk_grade=d["risk_grade"],
                                 measures=d["measures"], description=d["description"],
                                 responsible=d["responsible"],
                                 responsible_body=d["responsible_body"])
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            return _done(request, gettext("已登记矛盾纠纷：%(title)s") % {"title": e_.title},
                         reverse("practice:dispute", args=[e_.pk]))
    return _render(request, "practice/prevention.html",
                   _prevention_ctx(request, dispute_form=form), status)


def _dispute_ctx(request: HttpRequest, entry: DisputeEntry, **over: Any) -> dict[str, Any]:
    is_open = entry.status == DisputeEntry.Status.OPEN
    ctx: dict[str, Any] = {
        "entry": entry, "follow_ups": entry.follow_ups.select_related("by"),
        "follow_form": f.NoteForm(prefix="follow") if is_open else None,
        "resolve_form": f.ResolveForm() if is_open else None,
        "convert_form": (f.ConvertForm(initial={"title": entry.title})
                         if is_open and has_scope(request.user) else None),
        "open_action": "",
    }
    ctx.update(over)
    return ctx


@login_required
def dispute_page(request: HttpRequest, pk: int) -> HttpResponse:
    entry = access.get_for_user(request.user, DisputeEntry, pk)
    return _render(request, "practice/dispute.html", _dispute_ctx(request, entry))


@login_required
@require_POST
def dispute_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    entry = access.get_for_user(user, DisputeEntry, pk)
    if action == "follow":
        form: Any = f.NoteForm(request.POST, prefix="follow")
        key = "follow_form"
    elif action == "resolve":
        form, key = f.ResolveForm(request.POST), "resolve_form"
    elif action == "convert":
        form, key = f.ConvertForm(request.POST), "convert_form"
    else:
        raise Http404(gettext("未知的操作"))
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "follow":
                svc.follow_up_dispute(entry, user=user, note=d["note"])
                msg = gettext("已记录跟进情况")
            elif action == "resolve":
                svc.resolve_dispute(entry, user=user, resolution=d["resolution"],
                                    mediation_kind=d["mediation_kind"], agreement=d["agreement"])
                msg = gettext("已登记化解")
            else:
                if user.body is None:
                    raise Forbidden(gettext("您的账号未设置所在单位"))
                reg = Registration(
                    channel="visit", title=d["title"], request=d["request"],
                    content=entry.description or d["request"], division=entry.division,
                    received_at=timezone.now(),
                    petitioners=[PetitionerIn(name=d["name"], phone=d["phone"])])
                matter = svc.convert_dispute(entry, user=user, holder=user.body,
                                             registration=reg)
                msg = gettext("已转为信访事项 %(number)s") % {"number": matter.number}
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            return _done(request, msg, reverse("practice:dispute", args=[entry.pk]))
    return _render(request, "practice/dispute.html",
                   _dispute_ctx(request, entry, **{key: form, "open_action": action}), status)


def _assessments_ctx(request: HttpRequest, **over: Any) -> dict[str, Any]:
    user = request.user
    div = _scope(user)
    ctx: dict[str, Any] = {
        "assessments": access.visible(user, RiskAssessment.objects.select_related(
            "division", "body").prefetch_related("matters")),
        "form": f.AssessmentForm(division=div, initial={"assessed_on": _today()})
        if _role_in(user, ASSESSORS) else None,
        "link_form": f.LinkMatterForm(), "link_error": None,
    }
    ctx.update(over)
    return ctx


@login_required
def assessments(request: HttpRequest) -> HttpResponse:
    return _render(request, "practice/assessments.html", _assessments_ctx(request))


@login_required
@require_POST
def assessment_add(request: HttpRequest) -> HttpResponse:
    div = _scope(request.user)
    form = f.AssessmentForm(request.POST, division=div)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.record_assessment(user=request.user, project=d["project"],
                                  division=d["division"], body=d["body"],
                                  assessed_on=d["assessed_on"], risks=d["risks"],
                                  grade=d["grade"], measures=d["measures"],
                                  decision=d["decision"])
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            return _done(request, gettext("已登记稳评：%(project)s") % {"project": d["project"]}, reverse("practice:assessments"))
    return _render(request, "practice/assessments.html", _assessments_ctx(request, form=form),
                   status)


@login_required
@require_POST
def assessment_link(request: HttpRequest, pk: int) -> HttpResponse:
    a = access.get_for_user(request.user, RiskAssessment, pk)
    form = f.LinkMatterForm(request.POST)
    matter = _matter_by_number(request.user, form.data.get("matter", ""))
    try:
        if matter is None:
            raise ValidationFailed({"matter": "未找到该信访件，或不在您的辖区"})
        svc.link_matter_to_assessment(a, matter, user=request.user)
    except DomainError as e:
        return _render(request, "practice/assessments.html",
                       _assessments_ctx(request, link_error=(a.pk, e.message)), e.status)
    return _done(request, gettext("已关联 %(number)s") % {"number": matter.number}, reverse("practice:assessments"))


def _meetings_ctx(request: HttpRequest, **over: Any) -> dict[str, Any]:
    user = request.user
    scope = has_scope(user)
    today = _today()
    div = _division(user)
    decisions = svc.open_decisions(div, today) if scope else [
        {"decision": d, "overdue": d.due_on < today, "days_left": (d.due_on - today).days}
        for d in access.visible(user, MeetingDecision.objects.filter(done_on__isnull=True))
        .select_related("owner_body", "meeting")]
    for row in decisions:
        d = row["decision"]
        row["can_complete"] = (user.body_id == d.owner_body_id or user.pk == d.owner_id
                               or user.role == R.ADMIN)
    can_keep = scope and _role_in(user, MEETING_KEEPERS)
    ctx: dict[str, Any] = {
        "meetings": access.visible(user, Meeting.objects.select_related("body"))[:20],
        "agenda": svc.build_agenda(div, today) if scope else [],
        "decisions": decisions,
        "form": f.MeetingForm(division=div, initial={"held_on": today}) if can_keep else None,
        "complete_error": None,
    }
    ctx.update(over)
    return ctx


@login_required
def meetings(request: HttpRequest) -> HttpResponse:
    return _render(request, "practice/meetings.html", _meetings_ctx(request))


@login_required
@require_POST
def meeting_add(request: HttpRequest) -> HttpResponse:
    user = request.user
    div = _scope(user)
    form = f.MeetingForm(request.POST, division=div)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        decisions = [svc.DecisionIn(d[f"d{i}_text"], d[f"d{i}_body"], d[f"d{i}_due"])
                     for i in range(f.DECISION_ROWS) if d.get(f"d{i}_text")]
        try:
            if user.body is None:
                raise Forbidden(gettext("您的账号未设置所在单位"))
            body = Body.objects.filter(division=div, kind=Body.Kind.PARTY_GOV).first() or user.body
            m = svc.record_meeting(user=user, kind=d["kind"], division=div, body=body,
                                   held_on=d["held_on"], title=d["title"],
                                   minutes=d["minutes"], decisions=decisions)
        except DomainError as e:
            _attach(form, e)
            status = e.status
        else:
            return _done(request, gettext("已登记会议：%(title)s（议定事项 %(n)s 项）") % {"title": m.title, "n": len(decisions)},
                         reverse("practice:meeting", args=[m.pk]))
    return _render(request, "practice/meetings.html", _meetings_ctx(request, form=form), status)


@login_required
def meeting_page(request: HttpRequest, pk: int) -> HttpResponse:
    m = access.get_for_user(request.user, Meeting, pk)
    return _render(request, "practice/meeting.html", {
        "m": m, "decisions": m.decisions.select_related("owner_body", "owner")})


@login_required
@require_POST
def decision_complete(request: HttpRequest, pk: int) -> HttpResponse:
    d = access.get_for_user(request.user, MeetingDecision, pk)
    form = f.CompleteDecisionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed({"evidence": "请填写落实情况"})
        svc.complete_decision(d, user=request.user, evidence=form.cleaned_data["evidence"])
    except DomainError as e:
        return _render(request, "practice/meetings.html",
                       _meetings_ctx(request, complete_error=(d.pk, e.message)), e.status)
    return _done(request, gettext("已报告落实情况"), reverse("practice:meetings"))
