"""我的待办: the desk's work queue with its tabs, sorts and counts (petitions.queries).

Each tab shows how many matters it holds and, in a second badge, how many changed since the
user last opened it in this browser (issue 16 item 5). The tab bar polls ``queue_badges`` every 30 seconds
(htmx), so the badges move without a reload; opening a tab clears its badge.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from xinfang.core import paging
from xinfang.core.http import AuthedRequest
from xinfang.petitions import queries

SEEN_COOKIE = "queue_seen"  # signed: tab → when the user last opened it ("*": the first)
SEEN_SALT = "xinfang.queue.seen"
POLL_SECONDS = 30


def _tab(request: AuthedRequest) -> str:
    tab = request.GET.get("tab", "all")
    return tab if tab in queries.TABS else "all"


def _seen(request: AuthedRequest, opened: str | None = None) -> tuple[dict[str, datetime], str]:
    """When this user last opened each tab in this browser (a signed cookie, so a queue view
    writes nothing to the database), with ``opened`` opened now; and the cookie's new value
    ("" when unchanged)."""
    raw: dict[str, str] = {}
    try:
        value = request.get_signed_cookie(SEEN_COOKIE, default="", salt=SEEN_SALT)
        loaded = json.loads(value) if value else {}
        if isinstance(loaded, dict) and loaded.get("u") == request.user.pk:
            raw = {k: v for k, v in loaded.items() if k in queries.TABS or k == "*"}
    except (ValueError, TypeError):
        raw = {}
    now = timezone.now().isoformat()
    changed = False
    if "*" not in raw:  # the first queue in this browser: nothing before it counts as new
        raw["*"] = now
        changed = True
    if opened is not None:
        raw[opened] = now
        changed = True
    out: dict[str, datetime] = {}
    for key, stamp in raw.items():
        try:
            out[key] = datetime.fromisoformat(stamp)
        except (TypeError, ValueError):
            continue
    cookie = json.dumps({**raw, "u": request.user.pk}) if changed else ""
    return out, cookie


def _remember(response: HttpResponse, cookie: str) -> HttpResponse:
    if cookie:
        response.set_signed_cookie(SEEN_COOKIE, cookie, salt=SEEN_SALT, max_age=30 * 86400,
                                   httponly=True, samesite="Lax",
                                   secure=settings.SESSION_COOKIE_SECURE)
    return response


def _count_label(n: int | None) -> str | None:
    if n is None:
        return None
    return f"{queries.COUNT_CAP}+" if n > queries.COUNT_CAP else str(n)


def tabs_context(request: AuthedRequest, tab: str, sort: str,
                 seen: dict[str, datetime]) -> dict[str, Any]:
    counts = queries.queue_counts(request.user, seen)  # and the new ones: one round trip
    new = {k.removeprefix("new:"): n for k, n in counts.items() if k.startswith("new:")}
    return {
        "tab": tab, "sort": sort, "poll_seconds": POLL_SECONDS,
        "tabs": [{"key": t.key, "label": gettext(t.label),
                  "count": _count_label(counts.get(t.key)),
                  "new": _count_label(new.get(t.key)) if new.get(t.key) else None}
                 for t in queries.TABS.values()],
    }


@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    tab = _tab(request)
    try:
        number = paging.page_number(request.GET.get("page"))
    except paging.PageOutOfRange as e:
        return render(request, "400.html", {"message": e.message}, status=400)
    sort = request.GET.get("sort", "due")
    if sort not in queries.SORTS:
        sort = "due"
    page = queries.queue_page(request.user, tab, number, sort=sort)
    ctx = {
        "nav": "queue",
        "tab": tab,
        "sort": sort,
        "tab_label": gettext(queries.TABS[tab].label),
        "page": page,
    }
    seen, cookie = _seen(request, opened=tab)
    ctx.update(tabs_context(request, tab, sort, seen))
    if request.htmx and not request.htmx.boosted:
        # The table, and the tab bar out of band (the current tab and its cleared badge).
        ctx["oob"] = True
        return _remember(render(request, "web/_queue_table.html", ctx), cookie)
    return _remember(render(request, "web/queue.html", ctx), cookie)


@login_required
def queue_badges(request: AuthedRequest) -> HttpResponse:
    """The tab bar alone, with fresh counts: what the queue page polls."""
    sort = request.GET.get("sort", "due")
    if sort not in queries.SORTS:
        sort = "due"
    seen, cookie = _seen(request)
    ctx = tabs_context(request, _tab(request), sort, seen)
    return _remember(render(request, "web/_queue_tabs.html", ctx), cookie)
