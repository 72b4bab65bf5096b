"""重大紧急 (§25) on the staff pages: ``{% urgent_section matter %}`` (the matter page: the
declarations, reports and measures, and the acts ``permissions.may`` allows),
``{% urgent_panel %}`` (the dashboard) and ``{% urgent_overdue %}`` (the supervision page),
each computed for the signed-in user through the read gate (``xinfang.petitions.urgent``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from xinfang.petitions import urgent
from xinfang.petitions.models import Matter, UrgentReport
from xinfang.petitions.services.urgent import report_hours

from ..forms_acts import ActForm

register = template.Library()


def _base(context: Any) -> dict[str, Any]:
    return {"request": context["request"], "csrf_token": context.get("csrf_token")}


def _status(r: UrgentReport) -> tuple[UrgentReport, str, str]:
    status = urgent.report_status(r)
    return r, status, gettext(urgent.STATUS_LABELS[status])


@register.inclusion_tag("web/_urgent.html", takes_context=True)
def urgent_section(context: Any, matter: Matter) -> dict[str, Any]:
    u = urgent.for_matter(context["request"].user, matter)
    return {
        **_base(context), "matter": matter, "u": u, "hours": report_hours(),
        "rows": [(d, [_status(r) for r in d.reports.all()]) for d in u.declarations],
        "declare_form": ActForm("declare_urgent") if u.may_declare else None,
        "measure_form": ActForm("urgent_measure") if u.may_measure else None,
        "send_forms": {r.pk: ActForm("urgent_report_sent", initial={"report": r.pk})
                       for r in u.unsent},
    }


@register.inclusion_tag("web/_urgent_panel.html", takes_context=True)
def urgent_panel(context: Any) -> dict[str, Any]:
    return {**_base(context), "rows": urgent.open_urgent(context["request"].user),
            "hours": report_hours()}


@register.inclusion_tag("web/_urgent_overdue.html", takes_context=True)
def urgent_overdue(context: Any) -> dict[str, Any]:
    return {**_base(context), "reports": urgent.overdue_reports(context["request"].user),
            "hours": report_hours()}


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)
