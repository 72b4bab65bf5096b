"""``{% load intel_tags %}{% warnings_panel %}``: the early-warning section (issue 5) for any
page, computed for the signed-in user's scope (xinfang.petitions.intel.warnings_for)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("intel/_warnings.html", takes_context=True)
def warnings_panel(context: dict[str, Any]) -> dict[str, Any]:
    from xinfang.petitions import intel

    return {"w": intel.warnings_for(context["request"].user), "limit": ":5", "full": False}
