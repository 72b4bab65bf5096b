"""Which language a text is written in: the reader's, or the record's.

Labels on pages follow the reader (``LocaleMiddleware``), but what the services store —
timeline notes, document snapshots, visit briefs — and the 文书 themselves are official records
and stay in Simplified Chinese whatever language the clerk's browser asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy

SOURCE_LANGUAGE = "zh-hans"


def source_language() -> translation.override:
    """Context manager: choice labels and ``gettext`` yield the Chinese source text."""
    return translation.override(SOURCE_LANGUAGE)


def source_text(text: object) -> str:
    """A lazy label as its Chinese source text (for records and Chinese error sentences)."""
    with source_language():
        return str(text)


def label_choices(labels: Mapping[Any, str]) -> list[tuple[str, Any]]:
    """A domain label dict (enum → Chinese msgid) as choices, each label shown in the
    reader's language (lazily, so module-level choices follow the request)."""
    return [(k.value, gettext_lazy(v)) for k, v in labels.items()]
