"""Limits on what either door accepts, declared once (issue 14 items 11 and 15).

The web forms (staff registration, the citizens' portal) and the API serializers take their
lengths from here, so the portal no longer accepts an 800,000-character request the API
would refuse. Dates typed into a filter or a form stay inside a range the calendar and the
database can hold (``9999-12-31`` + 1 day overflowed). Phones and ID numbers are NFKC-
normalised first, so fullwidth ``１３８…`` and ASCII ``138…`` are one person to the blind
index and the repeat check.

Plain Python: no Django.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

TITLE_MAX = 200
REQUEST_MAX = 5_000  # 诉求
CONTENT_MAX = 20_000  # 事实与理由
NAME_MAX = 100
ADDRESS_MAX = 200

# Dates typed by a user: at most 5 years back (RECEIVED_BACKDATE, the oldest registration
# a clerk may enter) and a little over a year ahead.
DATE_PAST_YEARS = 5
DATE_FUTURE_DAYS = 400
DATE_OUT_OF_RANGE = "日期超出合理范围（最早5年前，最晚一年后）"

PHONE = re.compile(r"^[0-9]{7,12}$")  # ASCII digits only: ``\d`` also matches ``１`` and ``٣``
PHONE_ERROR = "电话号码格式不正确（7至12位数字）"


def date_problem(value: date, today: date) -> str | None:
    """A Chinese message when ``value`` is outside what a user may type, else None."""
    if value < today - timedelta(days=365 * DATE_PAST_YEARS) or value > today + timedelta(
            days=DATE_FUTURE_DAYS):
        return DATE_OUT_OF_RANGE
    return None


def nfkc(text: str) -> str:
    """Fullwidth and other compatibility forms folded: ``１３８`` → ``138``, ``Ｘ`` → ``X``."""
    return unicodedata.normalize("NFKC", text or "")


def normalize_phone(phone: str) -> str:
    """The phone as stored and indexed: NFKC, without spaces and dashes."""
    return re.sub(r"[\s\-]", "", nfkc(phone))


def phone_problem(phone: str) -> str | None:
    return None if PHONE.match(normalize_phone(phone)) else PHONE_ERROR

# Uploads (petitions.attachments): PDF/JPG/PNG, at most 5 files of 10 MB each per request.
UPLOAD_MAX_FILES = 5
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
# The whole request body: the files plus 1 MB of form fields. A larger Content-Length is
# refused (413) before a byte of the body is read (core.uploads.RequestSizeLimitMiddleware).
REQUEST_MAX_BYTES = UPLOAD_MAX_FILES * UPLOAD_MAX_BYTES + 1024 * 1024
# Form fields and JSON bodies without the files (Django's DATA_UPLOAD_MAX_MEMORY_SIZE).
FIELDS_MAX_BYTES = 1024 * 1024
REQUEST_TOO_LARGE = "提交的内容过大（附件每个不超过10MB，最多5个），请压缩或分开提交"
