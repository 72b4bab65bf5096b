"""Small template helpers: the coloured countdown (text, not just colour) and labels."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template

from xinfang.domain import deadlines as dl
from xinfang.domain import states as st
from xinfang.petitions import clocks

register = template.Library()

NEAR_DAYS = 3  # the queue colours by Matter.next_due; the default warn window (procedure §3)


def countdown(due: date | None, state: str | None = None, days: int | None = None) -> dict[str, Any]:
    if due is None:
        return {"state": "none", "text": "无期限"}
    if days is None:
        days = dl.days_left(due, clocks.today())
    if state is None:
        state = dl.clock_state(due, clocks.today(), NEAR_DAYS).value
    label = dl.STATE_LABELS[dl.ClockState(state)]
    if state == "met":
        text = label
    elif days < 0:
        text = f"{label}·超{-days}天"
    elif days == 0:
        text = f"{label}·今日到期"
    else:
        text = f"{label}·剩{days}天"
    return {"state": state, "text": text, "due": due}


@register.inclusion_tag("web/_due.html")
def due_badge(due: date | None) -> dict[str, Any]:
    return countdown(due)


@register.inclusion_tag("web/_due.html")
def clock_badge(view: dict[str, Any]) -> dict[str, Any]:
    clock = view["clock"]
    return countdown(clock.due_on, str(view["state"]), int(view["days_left"]))  # type: ignore[call-overload]


@register.filter
def state_label(value: str) -> str:
    try:
        return st.STATE_LABELS[st.State(value)]
    except ValueError:
        return value


@register.filter
def role_label(value: str) -> str:
    try:
        return st.ROLE_LABELS[st.Role(value)]
    except ValueError:
        return value


@register.filter
def klass_label(value: str) -> str:
    try:
        return st.KLASS_LABELS[st.Klass(value)]
    except ValueError:
        return value
