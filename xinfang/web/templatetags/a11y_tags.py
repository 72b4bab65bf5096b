"""Errors that reach the user (WCAG 3.3.1, 2.4.3): one summary per failed form.

``{% error_summary form %}`` renders a box at the top of the form that is focused on arrival
(``autofocus`` + app.js), names every field in error with a link that moves focus to it, and
lists the form-wide errors; ``{% error_title form %}`` puts the count in the page title
("有 2 处错误：…"), so a screen reader hears it first on the new page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from xinfang.core.langmark import DATA_LANG
from xinfang.core.widgets import needs_zh

register = template.Library()


@dataclass(frozen=True)
class Problem:
    message: str
    label: str = ""
    target: str = ""  # the id of the control to move focus to
    id: str = ""  # for a message that fields point at with aria-describedby


def _target(bound: forms.BoundField) -> str:
    if bound.id_for_label:
        return str(bound.id_for_label)
    return f"{bound.auto_id}_0" if bound.auto_id else ""  # radios: the first choice


def problems(form: forms.BaseForm | None, extra: Any = None, *, extra_id: str = "",
             extra_target: str = "") -> list[Problem]:
    """The form-wide errors first, then each field in error in the form's order.

    ``extra``: a message (or list of them) the view found beyond the form's own validation,
    shown first, with ``extra_id`` as its element id and a link to ``extra_target``."""
    found: list[Problem] = []
    if extra:
        items = [extra] if isinstance(extra, (str, Problem)) else list(extra)
        found += [p if isinstance(p, Problem) else Problem(str(p), target=extra_target,
                                                           id=extra_id) for p in items]
    if form is None or not form.is_bound:
        return found
    found += [Problem(str(e)) for e in form.non_field_errors()]
    for bound in form:
        if bound.errors and not bound.is_hidden:
            found.append(Problem(" ".join(str(e) for e in bound.errors), str(bound.label),
                                 _target(bound)))
    return found


@register.inclusion_tag("web/_error_summary.html")
def error_summary(form: forms.BaseForm | None = None, extra: Any = None, extra_id: str = "",
                  extra_target: str = "") -> dict[str, Any]:
    found = problems(form, extra, extra_id=extra_id, extra_target=extra_target)
    return {"problems": found, "n": len(found)}


@register.simple_tag
def error_title(form: forms.BaseForm | None = None, extra: Any = None) -> str:
    n = len(problems(form, extra))
    if not n:
        return ""
    return ngettext("有 %(n)s 处错误：", "有 %(n)s 处错误：", n) % {"n": n}


@register.filter(needs_autoescape=True)
def zh(value: Any, autoescape: bool = True) -> str:
    """``{{ body.name|zh }}``: Chinese data inside an English page is marked ``lang="zh-Hans"``,
    so a screen reader reads it with a Chinese voice; on a Chinese page it is left as is."""
    text = conditional_escape(value) if autoescape else str(value)
    if value in (None, "") or not needs_zh(value):
        return mark_safe(text)  # escaped above
    return mark_safe(f'<span lang="{DATA_LANG}">{text}</span>')  # escaped above


@register.filter
def zh_attr(value: Any) -> str:
    """`` lang="zh-Hans"`` for an element holding Chinese data on a page in another language
    (an ``<option>``, which cannot hold a span)."""
    return mark_safe(f' lang="{DATA_LANG}"') if needs_zh(value) else ""


def _problem_at(problems: Any, control: str) -> Problem | None:
    return next((p for p in problems or () if isinstance(p, Problem) and p.target == control),
                None)


@register.simple_tag
def control_attrs(problems: Any, invalid: Any, control: str, describedby: str = "") -> str:
    """For a hand-written control: ``aria-describedby`` naming its error message (when a
    problem is at it) before its help, and ``aria-invalid="true"`` when its input is wrong.
    ``{% control_attrs problems invalid "review-reason" "review-help" %}``."""
    ids = ([f"{control}-error"] if _problem_at(problems, control) else []) + describedby.split()
    out = f' aria-describedby="{conditional_escape(" ".join(ids))}"' if ids else ""
    if invalid and control in invalid:
        out += ' aria-invalid="true"'
    return mark_safe(out)  # escaped above


@register.simple_tag
def control_error(problems: Any, control: str) -> str:
    """The message of the problem at ``control``, under it (the element its
    ``aria-describedby`` names)."""
    p = _problem_at(problems, control)
    if p is None:
        return ""
    return mark_safe(f'<p class="error" id="{conditional_escape(control)}-error">'
                     f"{conditional_escape(p.message)}</p>")  # escaped here
