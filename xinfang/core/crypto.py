"""Personal data at rest: Fernet-encrypted fields and a keyed blind index (HMAC-SHA256).

The key comes from settings.FIELD_KEY (environment, ``*_FILE`` secret, or the demo's
generated var/field_key). Two sub-keys are derived from it so the index cannot decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


def _derive(label: bytes) -> bytes:
    return hmac.new(settings.FIELD_KEY.encode(), label, hashlib.sha256).digest()


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"xinfang-field-encryption")))


def fernet() -> Fernet:
    return _fernet(settings.FIELD_KEY)


def blind_index(value: str, kind: str) -> str:
    """Exact-match lookup token; normalised so '330102 …x', '330102…X' and the fullwidth
    '３３０１０２…Ｘ' agree (NFKC; ASCII input is unchanged, so existing indexes stay valid)."""
    norm = "".join(unicodedata.normalize("NFKC", value).split()).upper()
    if not norm:
        return ""
    return hmac.new(_derive(b"xinfang-blind-index"), f"{kind}:{norm}".encode(), hashlib.sha256).hexdigest()[:32]


if TYPE_CHECKING:  # Field is generic in django-stubs only; subscripting it at run time fails
    _TextField = models.TextField[str, str]
else:
    _TextField = models.TextField


class EncryptedTextField(_TextField):
    """Stores Fernet tokens; Python sees plain text. Not searchable: pair it with a blind index."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return fernet().encrypt(str(value).encode()).decode()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            return "（无法解密）"
