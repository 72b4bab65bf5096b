"""Widgets for pages in two languages: Chinese data keeps its language (WCAG 3.1.2)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
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
