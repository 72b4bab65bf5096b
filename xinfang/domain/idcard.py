"""Resident identity numbers (GB 11643-1999) and masking."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII: ``\d`` matches ``１`` too


def normalize(number: str) -> str:
    """NFKC first: a fullwidth ``１１０…Ｘ`` is the same number (and blind index) as ``110…X``."""
    return "".join(unicodedata.normalize("NFKC", number).split()).upper()


def check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def validate(number: str) -> str | None:
    """Return a Chinese error message, or None when the number is valid."""
    n = normalize(number)
    if not _PATTERN.match(n):
        return "身份证号码应为18位，前17位为数字，最后一位为数字或X"
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return "身份证号码中的出生日期无效"
    if born.year < 1900 or born > date(2100, 1, 1):
        return "身份证号码中的出生日期无效"
    if check_digit(n[:17]) != n[17]:
        return "身份证号码校验位不正确，请核对"
    return None


def is_valid(number: str) -> bool:
    return validate(number) is None


def make(first17: str) -> str:
    """Complete a 17-digit prefix with its check digit (demo data, tests)."""
    return first17 + check_digit(first17)


def mask(value: str, keep_head: int = 6, keep_tail: int = 4) -> str:
    """330102********1234; phones 138****5678 with keep_head=3."""
    if not value:
        return ""
    if len(value) <= keep_head + keep_tail:
        return value[:1] + "*" * (len(value) - 1)
    return value[:keep_head] + "*" * (len(value) - keep_head - keep_tail) + value[-keep_tail:]


def mask_phone(phone: str) -> str:
    return mask(phone, 3, 4)


def mask_name(name: str) -> str:
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
