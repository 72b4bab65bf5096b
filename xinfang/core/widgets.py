"""Widgets for pages in two languages: Chinese data keeps its language (WCAG 3.1.2)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from .langmark import DATA_LANG

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff01-\uff5e]")


def needs_zh(value: Any) -> bool:
    """True for Chinese data shown on a page in another language."""
    return not (get_language() or "zh").startswith("zh") and bool(CJK.search(str(value)))


class DataSelect(forms.Select):
    """A select of Chinese data (places, bodies, categories): on an English page each Chinese
    option is marked ``lang="zh-Hans"`` so a screen reader does not read it as English."""

    def create_option(self, name: str, value: Any, label: Any, selected: Any, index: int,
                      subindex: int | None = None, attrs: dict[str, Any] | None = None
                      ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if needs_zh(label):
            option["attrs"] = {**option["attrs"], "lang": DATA_LANG}
        return option

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        """The select written in Python, as Django's select.html and select_option.html
        would write it: the templates cost one include per option, and a place list of a
        county has hundreds (the portal's submit page spent ~250 ms of its server time in
        them)."""
        w = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [format_html("<select name=\"{}\"{}>", w["name"], flatatt(w["attrs"]))]
        for group_name, options, _index in w["optgroups"]:
            if group_name:
                parts.append(format_html("<optgroup label=\"{}\">", group_name))
            for o in options:
                parts.append(format_html("<option value=\"{}\"{}>{}</option>",
                                         str(o["value"]), flatatt(o["attrs"]),
                                         conditional_escape(o["label"])))
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("\n".join(parts))  # every piece is escaped above
