"""我的待办: the desk's work queue with its tabs, sorts and counts (petitions.queries)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from xinfang.core import paging
from xinfang.core.http import AuthedRequest
from xinfang.petitions import queries


@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    tab = request.GET.get("tab", "all")
    if tab not in queries.TABS:
        tab = "all"
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
    if request.htmx and not request.htmx.boosted:
        return render(request, "web/_queue_table.html", ctx)
    counts = queries.queue_counts(request.user)
    ctx["tabs"] = [(t.key, gettext(t.label), _count_label(counts.get(t.key)))
                   for t in queries.TABS.values()]
    return render(request, "web/queue.html", ctx)


def _count_label(n: int | None) -> str | None:
    if n is None:
        return None
    return f"{queries.COUNT_CAP}+" if n > queries.COUNT_CAP else str(n)
