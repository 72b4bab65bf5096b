"""`GET /api/v1/indicators` and `GET /api/v1/indicators/<code>` (issue 17): the figures of the
caller's scope for a period, and one figure with the matters it counts (its drill-down).
The same definitions as the pages (``xinfang.practice.indicators``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from xinfang.core.http import AuthedAPIRequest
from xinfang.org.models import Body
from xinfang.petitions import census, permissions
from xinfang.petitions.models import Matter
from xinfang.practice import drilldown
from xinfang.practice import indicator_scope as S
from xinfang.practice import indicators as I

from .views import ApiView

DRILL_LIMIT = 1000
PARAMS = [OpenApiParameter("period", str, description="期间：2026-02（月）或 2026（年），默认本月"),
          OpenApiParameter("unit", int, description="单位（按各指标的归属口径）")]


def _scope_period(request: AuthedAPIRequest) -> tuple[I.Scope, I.Period]:
    if not permissions.may(request.user, "view_intel"):
        raise PermissionDenied("只有信访干部、领导和督查可以查看指标")
    try:
        period = S.parse_period(request.query_params.get("period", ""))
    except ValueError as e:
        raise ValidationError({"period": str(e)}) from None
    raw = request.query_params.get("unit", "").strip()
    unit = None
    if raw:
        unit = Body.objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
        if unit is None:
            raise ValidationError({"unit": "没有这个单位"})
    return I.Scope.for_user(request.user, unit), period


class IndicatorListView(ApiView):
    @extend_schema(operation_id="indicators_list",
                   summary="考核指标（每项含分子、分母和分项）", parameters=PARAMS,
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthedAPIRequest, *args: Any, **kwargs: Any) -> Response:
        scope, period = _scope_period(request)
        return Response({"period": {"start": period.start, "end": period.end},
                         "figures": [f.as_dict() for f in I.figures(scope, period)]})


class IndicatorDetailView(ApiView):
    @extend_schema(operation_id="indicator_detail",
                   summary="一项指标及其统计的事项（明细条数与指标一致）",
                   parameters=[*PARAMS, OpenApiParameter("bucket", str, description="分项"),
                               OpenApiParameter("offset", int,
                                                description=f"从第几条起（每次最多 {DRILL_LIMIT} 条）")],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthedAPIRequest, code: str, *args: Any, **kwargs: Any) -> Response:
        d = I.REGISTRY.get(code)
        if d is None:
            raise NotFound("没有这个指标")
        scope, period = _scope_period(request)
        bucket = request.query_params.get("bucket", "")
        if bucket and bucket not in d.buckets:
            raise ValidationError({"bucket": f"分项应为：{'、'.join(d.buckets)}"})
        raw = request.query_params.get("offset", "0").strip()
        if not (raw.isdigit() and len(raw) < 10):
            raise ValidationError({"offset": "应为非负整数"})
        offset = int(raw)
        wanted = (bucket,) if bucket else d.denominator
        f = I.figure(code, scope, period)  # the count is the figure's (from the counters)
        count = sum(f.parts[b] for b in wanted)
        rows = drilldown.drill(code, scope, period, wanted, limit=DRILL_LIMIT, offset=offset)
        numbers = dict(Matter.objects.filter(pk__in={r.matter_id for r in rows})
                       .values_list("pk", "number"))
        return Response({
            "figure": f.as_dict(), "bucket": bucket or None, "count": count, "offset": offset,
            "next_offset": offset + DRILL_LIMIT if offset + DRILL_LIMIT < count else None,
            "rows": [{"matter": r.matter_id, "number": numbers.get(r.matter_id),
                      "bucket": r.bucket} for r in rows]})


class StatisticsView(ApiView):
    @extend_schema(operation_id="statistics",
                   summary="可见事项按状态、按登记单位（持有单位）的件数（与事项查看范围一致）",
                   responses=OpenApiTypes.OBJECT)
    def get(self, request: AuthedAPIRequest, *args: Any, **kwargs: Any) -> Response:
        return Response(census.labelled(census.statistics(request.user)))
