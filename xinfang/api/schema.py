"""The OpenAPI schema documents the error answers as well (issue 14, "What it must show").

drf-spectacular lists only the success of each operation; the API also answers
``{"detail": "中文说明", <field>: ["…"]}`` (``api.errors``) with

- 400 — bad input: any operation with a body or query parameters;
- 401 — no, an expired or a revoked token: every operation that needs a login;
- 403 — the act is not the caller's (``domain.acts``, §30 ¶3): every operation that needs a
  login, and every write;
- 404 — "missing" and "not yours" alike: every operation with a path parameter; a page past
  the end of a paginated list;
- 409 — the procedure refuses it now (state machine, guards): every write;
- 429 — too many requests (the public endpoints' throttles, the log-in lock-out).

``AutoSchema`` adds them to each operation unless the view documents the code itself, all
pointing at one ``Error`` component.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "错误说明；字段错误以字段名为键，值为说明列表",
    "properties": {
        "detail": {"type": "string", "description": "中文说明"},
        "code": {"type": "string", "description": "错误代码（部分接口）"},
        "missing": {"type": "array", "items": {"type": "string"},
                    "description": "缺少的字段（部分接口）"},
    },
    "additionalProperties": True,
}

DESCRIPTIONS = {
    "400": "请求参数或内容不正确（字段错误以字段名为键）",
    "401": "未登录，或令牌无效、已过期、已撤销",
    "403": "无权进行该操作",
    "404": "不存在或无权查看",
    "409": "当前状态或办理规则不允许该操作",
    "429": "请求过于频繁或登录已锁定，请稍后再试",
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AutoSchema(SpectacularAutoSchema):
    def _error_codes(self) -> list[str]:
        view = self.view
        public = any(isinstance(p, AllowAny) for p in view.get_permissions())
        has_path = "{" in self.path
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        write = self.method in WRITES
        codes: list[str] = []
        if write or has_query:
            codes.append("400")
        if not public:
            codes += ["401", "403"]
        elif write:
            codes.append("403")
        # DRF answers a page past the end 404 ("无效页面。").
        paginated = self._get_paginator() is not None  # type: ignore[no-untyped-call]
        if has_path or (self.method == "GET" and paginated):
            codes.append("404")
        if write:
            codes.append("409")
        throttled = bool(view.get_throttles()) or getattr(view, "lockout", False)
        if throttled or (public and write):
            codes.append("429")
        return codes

    def get_paginated_name(self, serializer_name: str) -> str:
        # A paginator with its own page shape (api.views.CappedPagination: the capped count)
        # names its component, so it does not overwrite the plain list's.
        prefix = getattr(self._get_paginator(), "schema_prefix", "")  # type: ignore[no-untyped-call]
        return prefix + super().get_paginated_name(serializer_name)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        component = ResolvedComponent(  # type: ignore[no-untyped-call]  # untyped upstream
            name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA)
        self.registry.register_on_missing(component)
        for code in self._error_codes():
            responses.setdefault(code, {
                "description": DESCRIPTIONS[code],
                "content": {"application/json": {"schema": component.ref}},
            })
        return responses
