"""Chinese data on pages in another language keeps its language (WCAG 3.1.2, issue 20 item 6).

On an English page every piece of Chinese text is data — a title, a name, a body, the
petition's own words, a place — since the page's own words are translated. A screen reader
reads it with the page's English voice unless an element around it says otherwise, and an
English voice spells Chinese characters out or skips them. So every English HTML answer goes
through :func:`mark_chinese`: each run of Chinese text is wrapped in
``<span lang="zh-Hans">…</span>`` (simplified Chinese script). One place for every template —
the queue, the matter page, search, supervision, the practice and report pages, the admin —
so a template added later is covered without remembering a filter. (``|zh`` and
``DataSelect`` mark data where a template or widget knows it; text already inside an element
marked ``lang="zh…"`` is left as it is.)

- A run starts and ends with a Chinese character and may hold digits, spaces and punctuation
  between (``阳光小区3栋``, ``2026年3月``, ``王大明 · 安平县信访局``); an English word ends it,
  so the page's own English between two data is read in English.
- ``<option>``, ``<textarea>`` and ``<input>`` cannot hold a span: one whose text, value or
  placeholder is Chinese gets the attribute itself. ``<script>``, ``<style>``, ``<title>``, ``<template>`` and inline ``<svg>``
  (drawn with its own ``lang`` where it has text; see charts) are left alone, as are comments
  and attribute values (``title``, ``aria-label``: an attribute cannot mark part of its value).
- Chinese pages (``<html lang="zh…">``), documents and anything not HTML are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

DATA_LANG = "zh-Hans"

_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff5e\uff5f-\uffef"
CJK = re.compile(f"[{_CJK}]")
# From a Chinese character to the last one before an ASCII letter or the end of the text.
RUN = re.compile(f"[{_CJK}](?:[^A-Za-z{_CJK}]*[{_CJK}])*")
TOKEN = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][\w:-]*)")
LANG_ATTR = re.compile(r"""\slang\s*=\s*["']?([\w-]*)""", re.I)
SKIP = frozenset({"script", "style", "title", "template", "svg"})
SELF_MARK = frozenset({"option", "textarea"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "source", "track", "wbr"})


# The attributes a field shows as its text: its value and its placeholder.
FIELD_TEXT = re.compile(r"""\s(?:value|placeholder)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def _field_text(tag: str) -> str:
    return " ".join(a or b for a, b in FIELD_TEXT.findall(tag))


def _with_lang(tag: str) -> str:
    end = -2 if tag.endswith("/>") else -1
    return f'{tag[:end].rstrip()} lang="{DATA_LANG}"{tag[end:]}'


def _wrap(text: str) -> str:
    return RUN.sub(lambda m: f'<span lang="{DATA_LANG}">{m.group(0)}</span>', text)


def mark_chinese(html: str) -> str:
    """``html`` with each run of Chinese text outside a ``lang="zh…"`` element wrapped in a
    span marked ``lang="zh-Hans"`` (see the module doc for what is left alone)."""
    if not CJK.search(html):
        return html
    parts = TOKEN.split(html)
    # Inside an element whose text is not to be touched: (its tag name, nesting depth).
    held: tuple[str, int] | None = None
    for i, part in enumerate(parts):
        if i % 2 == 0:  # text between tags
            if held is None and part and CJK.search(part):
                parts[i] = _wrap(part)
            continue
        tag = TAG.match(part)
        if tag is None:  # a comment, a doctype, a stray "<"
            continue
        closing, name = tag.group(1) == "/", tag.group(2).lower()
        if held is not None:
            if name == held[0]:
                depth = held[1] - 1 if closing else held[1] + 1
                held = None if depth == 0 else (name, depth)
            continue
        lang = LANG_ATTR.search(part)
        if name == "input" and not lang and CJK.search(_field_text(part)):
            parts[i] = _with_lang(part)  # a field holding or showing Chinese data
            continue
        if closing or name in VOID or part.endswith("/>"):
            continue
        if (lang and lang.group(1).lower().startswith("zh")) or name in SKIP:
            held = (name, 1)  # already marked, or not text a reader reads
        elif name in SELF_MARK:
            held = (name, 1)
            text = parts[i + 1] if i + 1 < len(parts) else ""
            shown = _field_text(part)
            if not lang and (CJK.search(text) or CJK.search(shown)):
                parts[i] = _with_lang(part)
    return "".join(parts)


def _document_lang(head: str) -> str | None:
    m = re.search(r"<html[^>]*\slang\s*=\s*[\"']?([\w-]+)", head, re.I)
    return m.group(1).lower() if m else None


class ChineseDataLangMiddleware:
    """Runs :func:`mark_chinese` over HTML answers in a language other than Chinese: whole
    pages by their ``<html lang>``, fragments (htmx) by the request's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        if (getattr(response, "streaming", False)
                or not response.get("Content-Type", "").startswith("text/html")
                or response.get("Content-Encoding")):
            return response
        charset = getattr(response, "charset", None) or "utf-8"
        try:
            html = response.content.decode(charset)
        except UnicodeDecodeError:
            return response
        lang = _document_lang(html[:2000])
        if lang is None:
            lang = str(getattr(request, "LANGUAGE_CODE", "") or "zh").lower()
        if lang.startswith("zh"):
            return response
        response.content = mark_chinese(html).encode(charset)
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
