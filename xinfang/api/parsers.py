"""The API's JSON parser: a bounded nesting depth and Chinese parse errors (issue 14 item 11).

A 5,000-deep ``[[[[…]]]]`` body made ``json.load`` raise RecursionError (a 500). Depth is
counted before parsing (brackets outside strings) and refused past ``MAX_DEPTH`` with a 400;
no request of this API nests deeper than 3.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 32
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text (strings skipped)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"请求体不是有效的 {encoding} 文本") from exc
        if nesting_depth(text) > MAX_DEPTH:
            raise ParseError(f"JSON 嵌套层数过多（最多 {MAX_DEPTH} 层）")
        try:
            return json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError as exc:
            raise ParseError(f"JSON 嵌套层数过多（最多 {MAX_DEPTH} 层）") from exc
        except ValueError as exc:
            raise ParseError(f"JSON 格式错误：{exc}") from exc
