"""Personal data at rest: Fernet-encrypted fields and a keyed blind index (HMAC-SHA256).

The key comes from settings.FIELD_KEY (environment, ``*_FILE`` secret, or the demo's
generated var/field_key). Two sub-keys are derived from it so the index cannot decrypt.

**Key rotation** (``xinfang rotate-field-key``, docs/operations.md): settings.FIELD_KEYS_OLD
(``XINFANG_FIELD_KEY_OLD``) lists the keys being retired. While it is set, values are
encrypted under FIELD_KEY and decrypted under any of the keys, and a lookup matches the blind
index under every key (:func:`blind_indexes`): a row the rotation has not reached yet is read
and found as before.

**The registry of encrypted data** is the models themselves: every concrete
:class:`EncryptedTextField` of an installed model is encrypted data, and every
:class:`BlindIndexField` names the encrypted field and the kind it indexes
(:func:`encrypted_fields`). A field added with these classes is rotated with no other change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _derive(key: str, label: bytes) -> bytes:
    return hmac.new(key.encode(), label, hashlib.sha256).digest()


def field_keys() -> tuple[str, ...]:
    """The current key first, then the keys being retired (settings.FIELD_KEYS_OLD)."""
    old = tuple(k for k in getattr(settings, "FIELD_KEYS_OLD", ()) or () if k
                and k != settings.FIELD_KEY)
    return (settings.FIELD_KEY, *old)


@lru_cache(maxsize=8)
def key_fernet(key: str) -> Fernet:
    """The Fernet of one field key (encryption sub-key)."""
    return Fernet(base64.urlsafe_b64encode(_derive(key, b"xinfang-field-encryption")))


@lru_cache(maxsize=8)
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([key_fernet(k) for k in keys])


def fernet() -> MultiFernet:
    """Encrypts under the current key; decrypts under the current or a retiring one."""
    return _multi(field_keys())


def key_fingerprint(key: str) -> str:
    """A non-secret name of a key (for the rotation's progress record and messages)."""
    return hmac.new(_derive(key, b"xinfang-key-fingerprint"), b"fp", hashlib.sha256).hexdigest()[:16]


def blind_index(value: str, kind: str, key: str | None = None) -> str:
    """Exact-match lookup token under the current key (or ``key``); normalised so
    '330102 …x', '330102…X' and the fullwidth '３３０１０２…Ｘ' agree (NFKC; ASCII input is
    unchanged, so existing indexes stay valid). Store this; look up with blind_indexes."""
    norm = "".join(unicodedata.normalize("NFKC", value).split()).upper()
    if not norm:
        return ""
    sub = _derive(key or settings.FIELD_KEY, b"xinfang-blind-index")
    return hmac.new(sub, f"{kind}:{norm}".encode(), hashlib.sha256).hexdigest()[:32]


def blind_indexer(key: str | None = None) -> Callable[[str, str], str]:
    """:func:`blind_index` with its sub-key derived once, for writers of many rows (the
    history import): the same token for the same value, kind and key."""
    sub = _derive(key or settings.FIELD_KEY, b"xinfang-blind-index")
    normalize, digest = unicodedata.normalize, hmac.digest

    def index(value: str, kind: str) -> str:
        norm = "".join(normalize("NFKC", value).split()).upper()
        if not norm:
            return ""
        return digest(sub, f"{kind}:{norm}".encode(), "sha256").hex()[:32]

    return index


def seal_json(value: Any, encoder: type[Any] | None = None) -> dict[str, str]:
    """The stored form of a sealed JSON value (what :class:`SealableJSONField` writes)."""
    import json

    plain = json.dumps(value, cls=encoder, ensure_ascii=False)
    return {SEAL_KEY: fernet().encrypt(plain.encode()).decode()}


def blind_indexes(value: str, kind: str) -> list[str]:
    """The tokens to look ``value`` up by: one per key while a rotation runs (a row not yet
    rotated still carries the old key's token), else just the current key's. Filter with
    ``<field>__in=``."""
    out: list[str] = []
    for key in field_keys():
        token = blind_index(value, kind, key)
        if token and token not in out:
            out.append(token)
    return out


if TYPE_CHECKING:  # Field is generic in django-stubs only; subscripting it at run time fails
    _TextField = models.TextField[str, str]
    _CharField = models.CharField[str, str]
else:
    _TextField = models.TextField
    _CharField = models.CharField


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


class BlindIndexField(_CharField):
    """The keyed blind index of the encrypted field ``source`` (a :func:`blind_index` of
    ``kind``). A plain CharField in the database and in migrations (``deconstruct`` leaves
    ``source`` and ``kind`` out): declaring it only tells the key rotation what to rebuild."""

    def __init__(self, *args: Any, source: str = "", kind: str = "", **kwargs: Any) -> None:
        self.source, self.kind = source, kind
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs

    def clone(self) -> Any:
        # deconstruct() leaves out db_index=False (CharField's default) and __init__ would
        # make the copy indexed: a model that indexes it in Meta keeps db_index=False.
        _name, _path, args, kwargs = self.deconstruct()
        kwargs.setdefault("db_index", False)
        return self.__class__(*args, source=self.source, kind=self.kind, **kwargs)

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        """Derived on every save from the source's plain value: no writer sets it by hand
        (registration, corrections, the history import, the bench)."""
        if not self.source:
            return super().pre_save(model_instance, add)
        plain = getattr(model_instance, self.source, "") or ""
        value = blind_index(str(plain), self.kind) if plain else ""
        setattr(model_instance, self.attname, value)
        return value


@dataclass(frozen=True)
class EncryptedModel:
    """One model's encrypted columns and the blind indexes derived from them."""

    model: type[models.Model]
    encrypted: tuple[str, ...]  # attnames of EncryptedTextFields
    indexes: tuple[tuple[str, str, str], ...]  # (index attname, source attname, kind)
    # Sealable free text (issue 14 item 13): encrypted only on a confidential matter's rows,
    # ``xf1:<token>`` (text) or ``{"__xf1__": <token>}`` (JSON); plain rows are left alone.
    sealed: tuple[str, ...] = ()
    sealed_json: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label


def encrypted_fields() -> list[EncryptedModel]:
    """Every installed concrete model with encrypted data (the registry; see module doc)."""
    from django.apps import apps

    out: list[EncryptedModel] = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        fields = [f for f in meta.concrete_fields if f.model is model or not meta.parents]
        enc = tuple(f.attname for f in fields if isinstance(f, EncryptedTextField))
        idx = tuple((f.attname, f.source, f.kind) for f in fields
                    if isinstance(f, BlindIndexField))
        for _name, source, _kind in idx:
            if source not in enc:
                raise TypeError(f"{meta.label}: blind index source {source!r} is not an "
                                "EncryptedTextField of the model")
        sealed = tuple(f.attname for f in fields if isinstance(f, SealableTextField))
        sealed_json = tuple(f.attname for f in fields if isinstance(f, SealableJSONField))
        if enc or sealed or sealed_json:
            out.append(EncryptedModel(model, enc, idx, sealed, sealed_json))
    return sorted(out, key=lambda m: m.label)

# --------------------------------------------------------------------------- sealed free text
# Issue 14 item 13: the free text of a confidential matter (a 检举控告, or a petitioner who
# asked for confidentiality) is encrypted at rest, everything else stays plain (searchable,
# readable by the text models). The model decides per row: a field made with
# ``seal_if="<attribute>"`` encrypts when the instance's attribute is true at save time
# (``Matter.seals_text``; ``Event``/``Document`` ask their matter). A stored value starts with
# ``SEAL_PREFIX`` (text) or is ``{SEAL_KEY: token}`` (JSON); reading decrypts either, and a
# plain value is returned as it is. Not searchable, by design: such matters are found by
# number, query code or exact identity (the blind index) only.

SEAL_PREFIX = "xf1:"
SEAL_KEY = "__xf1__"
# Set on an instance to force sealing where the attribute is missing (historical models in a
# data migration have no properties).
FORCE_SEAL = "_xinfang_seal"


def seal(plain: str) -> str:
    return SEAL_PREFIX + fernet().encrypt(plain.encode()).decode()


def unseal(value: str) -> str:
    try:
        return fernet().decrypt(value[len(SEAL_PREFIX):].encode()).decode()
    except InvalidToken:
        return "（无法解密）"


def _wants_seal(instance: Any, attr: str) -> bool:
    forced = getattr(instance, FORCE_SEAL, None)
    if forced is not None:
        return bool(forced)
    return bool(getattr(instance, attr, False))


class _SealedText(str):
    """A value the field is to encrypt (returned by ``pre_save``)."""


class _SealedJSON:
    def __init__(self, value: Any) -> None:
        self.value = value


class SealableTextField(_TextField):
    def __init__(self, *args: Any, seal_if: str = "seals_text", **kwargs: Any) -> None:
        self.seal_if = seal_if
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["seal_if"] = self.seal_if
        return name, path, args, kwargs

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if value and isinstance(value, str) and _wants_seal(model_instance, self.seal_if):
            return _SealedText(value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, _SealedText):
            return seal(str.__str__(value))
        return super().get_prep_value(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str) and value.startswith(SEAL_PREFIX):
            return unseal(value)
        return value


class SealableJSONField(models.JSONField):
    def __init__(self, *args: Any, seal_if: str = "seals_text", **kwargs: Any) -> None:
        self.seal_if = seal_if
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["seal_if"] = self.seal_if
        return name, path, args, kwargs

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if value not in (None, {}, []) and _wants_seal(model_instance, self.seal_if):
            return _SealedJSON(value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, _SealedJSON):
            return super().get_prep_value(seal_json(value.value, self.encoder))
        return super().get_prep_value(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        data = super().from_db_value(value, expression, connection)
        if isinstance(data, dict) and len(data) == 1 and SEAL_KEY in data:
            import json

            try:
                return json.loads(fernet().decrypt(str(data[SEAL_KEY]).encode()).decode(),
                                  cls=self.decoder)
            except InvalidToken:
                return {"error": "（无法解密）"}
        return data
