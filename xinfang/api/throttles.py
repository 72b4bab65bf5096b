"""Rate limits for the public (citizen) endpoints: per client address and per phone number.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] and are read on every request (DRF's
own classes copy them once at import, which would ignore test and deployment overrides).
The phone is normalised (fullwidth digits, spaces) and hashed before it becomes a key: the
store never holds personal data, and ``１３８…`` counts as ``138…``. Counters live in the
security store (``xinfang.core.store``): shared by every worker, never evicted by a flood.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from xinfang.core.store import security_store
from xinfang.domain.limits import normalize_phone


class _DynamicRate(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class PublicAddressThrottle(_DynamicRate):
    """Per client address (REMOTE_ADDR unless NUM_PROXIES says a proxy sets X-Forwarded-For)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.cache = security_store()  # not DRF's default cache: one a flood cannot evict

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicPhoneThrottle(_DynamicRate):
    """Per phone number given in the body or the query string."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.cache = security_store()  # not DRF's default cache: one a flood cannot evict

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        phone: Any = request.query_params.get("phone")
        if not phone and request.method in ("POST", "PUT", "PATCH"):
            data = request.data
            phone = data.get("phone") if hasattr(data, "get") else None
        if not isinstance(phone, str) or not phone.strip():
            return None
        norm = normalize_phone(phone)
        digest = hashlib.sha256(("xinfang-throttle:" + norm).encode()).hexdigest()[:24]
        return self.cache_format % {"scope": self.scope, "ident": digest}


def throttles_for(scope: str) -> list[SimpleRateThrottle]:
    return [PublicAddressThrottle(f"{scope}_ip"), PublicPhoneThrottle(f"{scope}_phone")]
