"""The ``?page=`` of a list page, read once for every page that has one (issue 14 item 11).

``?page=99999999999999999999`` used to reach the database as an OFFSET no integer column can
hold (an IntegrityError, a 500). A page number is a positive integer up to ``MAX_PAGE``; text
that is not a number means the first page (a mistyped link), a number beyond the cap is a
400 with ``PageOutOfRange.message``.
"""

from __future__ import annotations

MAX_PAGE = 10_000  # 500,000 rows at 50 a page: narrow the filters for more


class PageOutOfRange(ValueError):
    message = "页码超出范围（最大 10000 页），请缩小查询条件"


def page_number(raw: str | None) -> int:
    """The requested page, 1 for none or junk; PageOutOfRange past ``MAX_PAGE``."""
    text = (raw or "1").strip().lstrip("0") or "0"
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) > len(str(MAX_PAGE)) or int(text) > MAX_PAGE:
        raise PageOutOfRange(PageOutOfRange.message)
    return max(1, int(text))
