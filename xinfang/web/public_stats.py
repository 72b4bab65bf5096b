"""The portal's public statistics page (§18 ¶1, 信访信息公开; issue 17 item 7)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from xinfang.practice import public_stats


def statistics(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= today.year else today.year
    s = public_stats.statistics(year, today)
    tables = [(gettext("按信访形式"), s["channel"]), (gettext("按问题领域"), s["field"]),
              (gettext("按办理结果"), s["outcome"])]
    return render(request, "portal/statistics.html", {
        "s": s, "tables": tables, "years": list(range(today.year, today.year - 5, -1)),
        "nav": "statistics"})
