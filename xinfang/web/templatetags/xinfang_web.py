"""Small template helpers: the coloured countdown (text, not just colour) and labels.

Domain labels are Chinese msgids; these helpers show them in the reader's language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.utils.translation import gettext, ngettext

from xinfang.domain import deadlines as dl
from xinfang.domain import states as st
from xinfang.petitions import clocks

register = template.Library()

NEAR_DAYS = 3  # the queue colours by Matter.next_due; the default warn window (procedure §3)


def countdown(due: date | None, state: str | None = None, days: int | None = None) -> dict[str, Any]:
    if due is None:
        return {"state": "none", "text": gettext("无期限")}
    if days is None:
        days = dl.days_left(due, clocks.today())
    if state is None:
        state = dl.clock_state(due, clocks.today(), NEAR_DAYS).value
    label = gettext(dl.STATE_LABELS[dl.ClockState(state)])
    if state in ("met", "paused", "pending"):
        # 中止计算 (§36 ¶2) and 待确认 (an estimated end) carry no countdown: never 超期.
        text = label
    elif days < 0:
        text = ngettext("%(label)s·超%(days)s天", "%(label)s·超%(days)s天", -days) % {
            "label": label, "days": -days}
    elif days == 0:
        text = gettext("%(label)s·今日到期") % {"label": label}
    else:
        text = ngettext("%(label)s·剩%(days)s天", "%(label)s·剩%(days)s天", days) % {
            "label": label, "days": days}
    return {"state": state, "text": text, "due": due}


@register.inclusion_tag("web/_due.html")
def due_badge(due: date | None) -> dict[str, Any]:
    return countdown(due)


@register.inclusion_tag("web/_due.html")
def clock_badge(view: dict[str, Any]) -> dict[str, Any]:
    clock = view["clock"]
    return countdown(clock.due_on, str(view["state"]), int(view["days_left"]))


@register.filter
def state_label(value: str) -> str:
    try:
        return gettext(st.STATE_LABELS[st.State(value)])
    except ValueError:
        return value


@register.filter
def role_label(value: str) -> str:
    try:
        return gettext(st.ROLE_LABELS[st.Role(value)])
    except ValueError:
        return value


@register.filter
def klass_label(value: str) -> str:
    try:
        return gettext(st.KLASS_LABELS[st.Klass(value)])
    except ValueError:
        return value
