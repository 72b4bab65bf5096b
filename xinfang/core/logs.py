"""Logs with a request id: one id per request (the proxy's X-Request-ID when it is sane, else
a new one), on every log line written while the request runs and on the response header.

No personal data in a log line (issue 14 item 13): query parameters that carry it — a phone,
an ID number, a name, the portal's query code, search words — are replaced by ``***`` in
every URL a line carries (``scrub_urls``; ``PersonalDataFilter`` on the handlers, and
``xinfang.core.accesslog`` for gunicorn's access log).

``XINFANG_LOG_FORMAT=json`` (production's default) writes one JSON object per line for a log
collector; ``text`` (the demo's default) stays readable in a terminal. Both carry the id.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponseBase

# Query parameters whose values are personal data (or open a citizen's matter): masked.
PERSONAL_PARAMS = frozenset({
    "phone", "id_number", "idcard", "id_card", "mobile", "tel", "name", "petitioner",
    "code", "query_code", "sms_code", "otp", "q", "keyword", "address", "accused_name",
    "track_phone", "tracking_phone",
})
_PARAM = re.compile(r"([?&;])([^=&;\s#\"']+)=([^&;\s#\"']*)")


def scrub_urls(text: str) -> str:
    """``text`` with the value of every personal query parameter replaced by ``***``
    (``/search/?phone=138…&page=2`` → ``/search/?phone=***&page=2``)."""
    if "=" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        key = m.group(2)
        plain = key.split("-")[-1].lower()  # form prefixes: ``lookup-phone``
        if plain in PERSONAL_PARAMS or key.lower() in PERSONAL_PARAMS:
            return f"{m.group(1)}{key}=***"
        return m.group(0)

    return _PARAM.sub(one, text)


class PersonalDataFilter(logging.Filter):
    """Scrubs personal query parameters from a record's message (``scrub_urls``): Django's
    ``django.server`` request lines, ``django.request`` warnings, anything else."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the formatter
            return True
        clean = scrub_urls(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
request_id: ContextVar[str] = ContextVar("xinfang_request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id,
    and the exception text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        for key in ("status_code", "method", "path", "duration_ms", "view"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class RequestIdMiddleware:
    """Sets the request id for the request's log lines and echoes it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[REQUEST_ID_HEADER] = rid
        return response
