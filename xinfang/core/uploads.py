"""Request and upload sizes enforced while the body streams in (issue 14 item 15).

- ``RequestSizeLimitMiddleware``: a Content-Length above ``limits.REQUEST_MAX_BYTES`` is
  answered 413 with a Chinese message before any of the body is read.
- ``SizeLimitUploadHandler`` (first in FILE_UPLOAD_HANDLERS): counts each file's bytes as they
  arrive; past ``limits.UPLOAD_MAX_BYTES`` it passes nothing more on to the memory/temporary
  file handlers and stands in an empty ``OversizeUpload`` carrying the real size, so the
  form's check (petitions.attachments) says the file is over 10 MB — the file was never held
  whole in memory or on disk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse

from xinfang.domain import limits


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limits.REQUEST_MAX_BYTES:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": limits.REQUEST_TOO_LARGE}, status=413)
            return HttpResponse(f"<!doctype html><meta charset=utf-8><title>413</title>"
                                f"<p role=alert>{limits.REQUEST_TOO_LARGE}</p>", status=413)
        return self.get_response(request)


class OversizeUpload(SimpleUploadedFile):
    """A file refused for its size: no content, the size it had."""

    def __init__(self, name: str, content_type: str, size: int) -> None:
        super().__init__(name, b"", content_type)
        self.size = size


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_big = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > limits.UPLOAD_MAX_BYTES:
            self.too_big = True
            return None  # the handlers after this one get nothing more of this file
        return raw_data

    def file_complete(self, file_size: int) -> OversizeUpload | None:
        if not self.too_big:
            return None  # the next handler (memory or temporary file) completes it
        return OversizeUpload(self.file_name or "", self.content_type or "", file_size)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django's own says nothing; a body over the fields' limit
    (``RequestDataTooBig``, DATA_UPLOAD_MAX_MEMORY_SIZE) and too many fields say so in Chinese.
    Other suspicious requests keep the generic message (it must not explain itself)."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
    from django.template.loader import render_to_string

    message = ""
    if isinstance(exception, RequestDataTooBig):
        message = limits.REQUEST_TOO_LARGE
    elif isinstance(exception, TooManyFieldsSent):
        message = "提交的字段过多"
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message or "请求有误"}, status=400)
    return HttpResponse(render_to_string("400.html", {"message": message}, request=request),
                        status=400)
