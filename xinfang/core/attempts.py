"""Failed proofs of a citizen's matter, counted per client address and per query code
(issue 14 item 7).

The portal's tracking form, the 预登记 lookup and the public API's progress and act endpoints
take a query code and a phone number. Guessing the phone behind a known code (a receipt, a
curious member of staff) took 1,235 tries in 213 s with no limit. Each failed proof now counts
against the client address and against the code, in the security store (shared by every worker,
never evicted by a flood: ``xinfang.core.store``); past either limit the door answers 429 until
the window ends, also for the right phone, so a distributed guesser gains nothing per address.

Keys hold a hash of the code (never the code itself); a successful proof does not reset the
counters (that would let a guesser who owns one matter clear them).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.utils.translation import gettext

from .store import count, hit

# (failures, seconds): settings.XINFANG_PROOF_LIMITS overrides either.
DEFAULT_LIMITS = {"address": (20, 3600), "code": (10, 24 * 3600)}


class TooManyAttempts(Exception):
    """Past a limit: a Chinese message and the seconds to wait."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _limits() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_LIMITS, **getattr(settings, "XINFANG_PROOF_LIMITS", {})}


def _keys(scope: str, address: str, code: str) -> dict[str, str]:
    norm = (code or "").strip().upper()
    digest = hashlib.sha256(f"xinfang-proof:{scope}:{norm}".encode()).hexdigest()[:32]
    addr = hashlib.sha256(f"xinfang-proof:{address}".encode()).hexdigest()[:32]
    return {"address": f"xinfang:proof:{scope}:addr:{addr}",
            "code": f"xinfang:proof:{scope}:code:{digest}"}


def check(scope: str, *, address: str, code: str) -> None:
    """Raise TooManyAttempts when the address or the code is past its limit of failures."""
    limits = _limits()
    keys = _keys(scope, address, code)
    if count(keys["code"]) >= limits["code"][0]:
        raise TooManyAttempts(gettext("该查询码核对失败次数过多，已暂停查询，请24小时后再试或联系信访部门"),
                              limits["code"][1])
    if address and count(keys["address"]) >= limits["address"][0]:
        raise TooManyAttempts(gettext("查询失败次数过多，请1小时后再试"), limits["address"][1])


def failed(scope: str, *, address: str, code: str) -> None:
    """Count one failed proof against the address and the code."""
    limits = _limits()
    keys = _keys(scope, address, code)
    if (code or "").strip():
        hit(keys["code"], limits["code"][1])
    if address:
        hit(keys["address"], limits["address"][1])
