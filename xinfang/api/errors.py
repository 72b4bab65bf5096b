"""One error shape for the API: ``{"detail": "中文说明"}`` plus field errors where there are any.

DomainError → its ``.status``; ValidationFailed (registration) → 400 with its field errors;
Http404 ("missing" and "not yours" alike) → 404. Everything else falls to DRF's handler.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from xinfang.domain.errors import DomainError, MissingFields


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message}
        errors = getattr(exc, "errors", None)
        if isinstance(errors, dict):
            remap = getattr(context.get("view"), "registration_error_fields", None)
            body.update(remap(errors) if callable(remap) else errors)
        if isinstance(exc, MissingFields):
            body["missing"] = exc.fields
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        message = str(exc)
        if not message or message.isascii():  # Django/DRF defaults are English
            message = "未找到"
        return Response({"detail": message}, status=404)
    return drf_exception_handler(exc, context)
