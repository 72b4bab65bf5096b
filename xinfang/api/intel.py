"""`GET /api/v1/warnings`: the early warnings of the caller's scope (issue 5)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from xinfang.core.http import AuthedAPIRequest

from .views import ApiView


class WarningsView(ApiView):
    @extend_schema(
        summary="预警：属地×分类件数异常上升、集体访风险、敏感时期重复信访",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: AuthedAPIRequest, *args: Any, **kwargs: Any) -> Response:
        from xinfang.petitions import intel

        if not intel.may_use(request.user):
            raise PermissionDenied("只有信访干部、领导和督查可以查看预警")
        return Response(intel.warnings_json(intel.warnings_for(request.user)))
