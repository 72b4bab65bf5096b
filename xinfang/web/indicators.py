"""指标 (issue 17): every indicator of the user's scope for a period, with numerator and
denominator, and the drill-down to the matters each figure counts. Definitions live in
``xinfang.practice.indicators`` (one per figure); this page only renders them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from xinfang.core.http import AuthedRequest
from xinfang.domain import indicators as ind
from xinfang.domain.errors import DomainError, GuardFailed
from xinfang.org.models import Body
from xinfang.petitions import access, permissions
from xinfang.petitions.models import Matter
from xinfang.practice import drilldown
from xinfang.practice import indicator_scope as S
from xinfang.practice import indicators as I
from xinfang.practice.services import assessment

PAGE = 100  # drill-down rows a page

BUCKET_LABELS: dict[str, str] = {
    **ind.CLOCK_BUCKET_LABELS, **ind.RATING_BUCKET_LABELS,
    ind.YES: "是", ind.NO: "否",
}


def _require(request: AuthedRequest) -> None:
    if not permissions.may(request.user, "view_intel"):
        raise PermissionDenied(gettext("只有信访干部、领导和督查可以查看指标"))


def _params(request: AuthedRequest) -> tuple[I.Scope, I.Period, Body | None, str]:
    try:
        period = S.parse_period(request.GET.get("period", ""))
    except ValueError as e:
        raise _BadInput(str(e)) from None
    unit = None
    raw = request.GET.get("unit", "").strip()
    if raw:
        unit = Body.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if unit is None:
            raise _BadInput(gettext("没有这个单位"))
    key = request.GET.get("period", "").strip() or f"{period.start:%Y-%m}"
    return I.Scope.for_user(request.user, unit), period, unit, key


class _BadInput(Exception):
    pass


def _bad(request: AuthedRequest, message: str) -> HttpResponse:
    return render(request, "400.html", {"message": message}, status=400)


@login_required
def indicators(request: AuthedRequest) -> HttpResponse:
    _require(request)
    try:
        scope, period, unit, key = _params(request)
    except _BadInput as e:
        return _bad(request, str(e))
    figures = I.figures(scope, period)
    rows: list[dict[str, Any]] = []
    for f in figures:
        d = I.REGISTRY[f.code]
        rows.append({"figure": f, "label": gettext(f.label), "basis": gettext(f.basis),
                     "parts": [{"bucket": b, "label": gettext(BUCKET_LABELS.get(b, b)),
                                "count": f.parts[b]} for b in d.buckets]})
    return render(request, "web/indicators.html", {
        "nav": "indicators", "rows": rows, "period": period, "period_key": key, "unit": unit,
        "units": Body.objects.filter(active=True).order_by("name")})


@login_required
def indicator_drill(request: AuthedRequest, code: str) -> HttpResponse:
    _require(request)
    d = I.REGISTRY.get(code)
    if d is None:
        raise Http404(gettext("没有这个指标"))
    try:
        scope, period, unit, key = _params(request)
    except _BadInput as e:
        return _bad(request, str(e))
    bucket = request.GET.get("bucket", "")
    if bucket and bucket not in d.buckets:
        return _bad(request, gettext("没有这个分项"))
    # The total is the figure's (from the counters); the rows are listed a page at a time.
    f = I.figure(code, scope, period)
    wanted = (bucket,) if bucket else d.denominator
    total = sum(f.parts[b] for b in wanted)
    pages = max(1, -(-total // PAGE))
    raw = request.GET.get("page", "1")
    page = min(int(raw), pages) if raw.isdigit() and 0 < len(raw) < 6 and int(raw) > 0 else 1
    drilled = drilldown.drill(code, scope, period, wanted, limit=PAGE, offset=(page - 1) * PAGE)
    matters = Matter.objects.in_bulk({r.matter_id for r in drilled})
    rows = [{"row": r, "matter": matters.get(r.matter_id),
             "bucket_label": gettext(BUCKET_LABELS.get(r.bucket, r.bucket))}
            for r in drilled]
    return render(request, "web/indicator_drill.html", {
        "nav": "indicators", "figure": f, "label": gettext(d.label), "basis": gettext(d.basis),
        "bucket": bucket, "bucket_label": gettext(BUCKET_LABELS.get(bucket, "")) if bucket else "",
        "rows": rows, "total": total, "page": page, "pages": pages, "period": period,
        "period_key": key, "unit": unit})


# --------------------------------------------------------------------------- 不纳入考核


@login_required
def exemptions(request: AuthedRequest) -> HttpResponse:
    """不纳入考核: the decisions in force in the user's jurisdiction; a supervisor decides a new
    one (by the matter's number) or revokes one. Each is audited (practice.services)."""
    _require(request)
    user = request.user
    if user.body is None:
        raise PermissionDenied(gettext("您的账号未设置所在单位"))
    division = user.body.division
    may_decide = permissions.may(user, "exempt_from_assessment", path=division.path)
    error, status = "", 200
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied(gettext("只有督查可以决定不纳入考核"))
        try:
            if request.POST.get("revoke", "").isdigit():
                e = assessment.exemptions_for(division).filter(
                    pk=int(request.POST["revoke"])).first()
                if e is None:
                    raise Http404(gettext("没有这项决定"))
                assessment.revoke_exemption(e, user=user, note=request.POST.get("note", ""))
            else:
                number = request.POST.get("number", "").strip()
                m = access.visible_matters(user).filter(number=number).first() if number else None
                if m is None:
                    raise GuardFailed(gettext("请输入本辖区内事项的信访件编号"))
                assessment.exempt(m, user=user, reason=request.POST.get("reason", ""),
                                  note=request.POST.get("note", ""))
        except DomainError as e:
            error, status = e.message, e.status
        else:
            return redirect("indicator_exemptions")
    return render(request, "web/exemptions.html", {
        "nav": "indicators", "rows": assessment.exemptions_for(division),
        "may_decide": may_decide, "error": error,
        "reasons": [(k, gettext(v)) for k, v in ind.EXEMPTION_REASONS.items()],
    }, status=status)
