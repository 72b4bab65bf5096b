"""``{% chart_figure chart %}`` draws a ``xinfang.core.charts.Chart`` with its table;
``{% dashboard_charts data as charts %}`` makes the leader dashboard's four charts from the
figures the page already has (no second request, no chart library)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from xinfang.core.charts import Chart, Series

register = template.Library()


@register.inclusion_tag("charts/figure.html")
def chart_figure(chart: Chart) -> dict[str, Any]:
    return {"chart": chart}


@register.simple_tag
def dashboard_charts(data: dict[str, Any]) -> list[Chart]:
    months = list(data.get("months") or [])
    intake = data.get("intake_by_channel") or []
    klass = data.get("klass") or []
    cats = data.get("top_categories") or []
    overdue = data.get("overdue_by_unit") or []
    return [
        Chart("intake", gettext("按月新收件（按信访形式）"), "stacked", months,
              [Series(str(s["label"]), s["counts"]) for s in intake],
              category_header=gettext("月份")),
        Chart("klass", gettext("事项类别"), "ring", [gettext(str(k["label"])) for k in klass],
              [Series(gettext("件数"), [k["count"] for k in klass])],
              category_header=gettext("类别")),
        Chart("categories", gettext("内容分类前十"), "bar",
              [gettext(str(c["label"])) for c in cats],
              [Series(gettext("件数"), [c["count"] for c in cats])],
              category_header=gettext("内容分类")),
        Chart("overdue", gettext("超期未办结（按责任单位）"), "bar",
              [gettext(str(c["unit"])) for c in overdue],
              [Series(gettext("件数"), [c["count"] for c in overdue])],
              category_header=gettext("责任单位"), empty_text=gettext("没有超期事项。")),
    ]
