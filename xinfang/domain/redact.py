"""Masking identity-like strings in free text (issue 14 item 3, §30 ¶3). Plain Python.

What is masked: the petitioners' own values (names, ID and phone numbers, addresses, given by
the caller) and anything that looks like a phone number or a resident ID number, whoever's it
is — a reporter often writes a relative's or a witness's number into the facts. Digits may
be ASCII or fullwidth (``１３８…``), and a mobile number may be split by spaces or hyphens.

Who sees what is decided elsewhere (``xinfang.petitions.redaction``); this module only scrubs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "（依法保密）"

_D = "[0-9０-９]"
_NOT_D = "(?<![0-9０-９])"
_NOT_D_AFTER = "(?![0-9０-９])"
_SEP = "[-－ 　]?"
_X = "[0-9０-９XxＸｘ]"

# 18-digit (and the old 15-digit) resident ID numbers; mobile numbers (+86 optional, 3-4-4
# groups may be separated); landlines with an area code (0xx-xxxxxxx(x)).
IDENTITY_PATTERN = re.compile(
    rf"(?<![0-9０-９XxＸｘ]){_D}{{17}}{_X}(?![0-9０-９XxＸｘ])"
    rf"|{_NOT_D}{_D}{{15}}{_NOT_D_AFTER}"
    rf"|{_NOT_D}(?:(?:\+|＋)?(?:86|８６){_SEP})?[1１][3-9３-９]{_D}{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}{_NOT_D_AFTER}"
    rf"|{_NOT_D}[0０]{_D}{{2,3}}[-－ ]?{_D}{{7,8}}{_NOT_D_AFTER}"
)


def secrets_of(values: Iterable[str]) -> tuple[str, ...]:
    """The values to replace wherever they occur, longest first (an address that contains a
    name is replaced whole); one-character values are left alone (they would mask any text)."""
    clean = {v.strip() for v in values if v}
    return tuple(sorted((v for v in clean if len(v) >= 2), key=lambda v: (-len(v), v)))


def scrub_text(value: str, secrets: Iterable[str] = ()) -> str:
    """``value`` with each secret and every identity-like number replaced by ``REDACTED``."""
    if not value:
        return value
    for s in secrets:
        if s in value:
            value = value.replace(s, REDACTED)
    return IDENTITY_PATTERN.sub(REDACTED, value)


def scrub(value: Any, secrets: Iterable[str] = ()) -> Any:
    """``scrub_text`` through strings, dicts (values only) and lists."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    return value
