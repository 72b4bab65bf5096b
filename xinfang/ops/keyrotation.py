"""Field-key rotation: re-encrypt every encrypted column and rebuild every blind index under
the current ``XINFANG_FIELD_KEY`` while the old key (``XINFANG_FIELD_KEY_OLD``) is still
accepted (docs/operations.md, "Rotating the field key").

What is rotated comes from the registry in :mod:`xinfang.core.crypto` (every
``EncryptedTextField`` and ``BlindIndexField`` of an installed model), so a field added later
is covered. Each model is walked in primary-key order in batches; a batch is one transaction
(its rows locked on PostgreSQL, so a concurrent edit waits instead of being overwritten) that
also advances the progress record (``ops.KeyRotation``): an interrupted run resumes after the
last committed batch, and a row already under the new key is left as it is. The raw column
values are read and written (never through the field's lenient decryption, which would turn an
undecryptable value into a placeholder): a value no key decrypts stops the rotation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from xinfang.core.crypto import (
    EncryptedModel,
    blind_index,
    encrypted_fields,
    fernet,
    field_keys,
    key_fernet,
    key_fingerprint,
)

from .models import KeyRotation


class RotationError(Exception):
    """The rotation cannot go on (no old key, or a value no key decrypts)."""


@dataclass
class ModelReport:
    label: str
    rows: int = 0  # rows looked at
    changed: int = 0  # rows rewritten (rotate) or found not under the new key (verify)
    finished: bool = False
    problems: list[str] = field(default_factory=list)


def _columns(em: EncryptedModel) -> tuple[str, str, list[str], list[tuple[str, str, str]]]:
    meta = em.model._meta
    if not isinstance(meta.pk, (models.AutoField, models.BigAutoField, models.IntegerField)):
        raise RotationError(f"{em.label}: only integer primary keys are supported")
    col = {f.attname: str(f.column) for f in meta.concrete_fields}
    enc = [col[a] for a in em.encrypted]
    idx = [(col[i], col[s], kind) for i, s, kind in em.indexes]
    return meta.db_table, str(meta.pk.column), enc, idx


def _sealed_columns(em: EncryptedModel) -> tuple[list[str], list[str]]:
    col = {f.attname: str(f.column) for f in em.model._meta.concrete_fields}
    return [col[a] for a in em.sealed], [col[a] for a in em.sealed_json]


def _reseal(em: EncryptedModel, row_pk: Any, column: str, token: str) -> str | None:
    """A sealed token under the new key, or None when it is already under it."""
    new = key_fernet(settings.FIELD_KEY)
    try:
        new.decrypt(token.encode())
        return None
    except InvalidToken:
        pass
    try:
        plain = fernet().decrypt(token.encode())
    except InvalidToken as exc:
        raise RotationError(
            f"{em.label} #{row_pk} 的字段 {column} 用当前密钥和旧密钥都无法解密：轮换已停止。 "
            f"{em.label} #{row_pk}.{column} decrypts under none of the keys.") from exc
    return new.encrypt(plain).decode()


def _sealed_changes(em: EncryptedModel, row: Sequence[Any]) -> dict[str, str]:
    """Sealed free text (issue 14 item 13) not yet under the new key; plain rows untouched."""
    import json

    from xinfang.core.crypto import SEAL_KEY, SEAL_PREFIX

    text, js = _sealed_columns(em)
    values = row[len(row) - len(text) - len(js):]
    changes: dict[str, str] = {}
    for column, raw in zip(text, values[:len(text)], strict=True):
        if isinstance(raw, str) and raw.startswith(SEAL_PREFIX):
            token = _reseal(em, row[0], column, raw[len(SEAL_PREFIX):])
            if token is not None:
                changes[column] = SEAL_PREFIX + token
    for column, raw in zip(js, values[len(text):], strict=True):
        data = json.loads(raw) if isinstance(raw, str | bytes) else raw
        if isinstance(data, dict) and len(data) == 1 and SEAL_KEY in data:
            token = _reseal(em, row[0], column, str(data[SEAL_KEY]))
            if token is not None:
                changes[column] = json.dumps({SEAL_KEY: token})
    return changes


def _batch(em: EncryptedModel, after: int, size: int, lock: bool) -> list[tuple[Any, ...]]:
    table, pk, enc, idx = _columns(em)
    q = connection.ops.quote_name
    cols = [pk, *enc, *(i for i, _s, _k in idx), *(c for group in _sealed_columns(em)
                                                   for c in group)]
    sql = (f"SELECT {', '.join(q(c) for c in cols)} FROM {q(table)} WHERE {q(pk)} > %s "
           f"ORDER BY {q(pk)} LIMIT %s")
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cur:
        cur.execute(sql, [after, size])
        return list(cur.fetchall())


def _row_changes(em: EncryptedModel, row: Sequence[Any]) -> dict[str, str]:
    """The columns of one row that are not yet under the new key, with their new values."""
    _table, _pk, enc, idx = _columns(em)
    new, any_key = key_fernet(settings.FIELD_KEY), fernet()
    plain: dict[str, str] = {}
    changes: dict[str, str] = {}
    for column, token in zip(enc, row[1:1 + len(enc)], strict=True):
        if not token:
            plain[column] = ""
            continue
        try:
            plain[column] = new.decrypt(token.encode()).decode()
            continue  # already under the new key
        except InvalidToken:
            pass
        try:
            plain[column] = any_key.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise RotationError(
                f"{em.label} #{row[0]} 的字段 {column} 用当前密钥和旧密钥都无法解密：轮换已停止，"
                f"已完成的批次保留。 {em.label} #{row[0]}.{column} decrypts under none of the "
                "keys (XINFANG_FIELD_KEY, XINFANG_FIELD_KEY_OLD).") from exc
        changes[column] = new.encrypt(plain[column].encode()).decode()
    for (column, source, kind), stored in zip(idx, row[1 + len(enc):1 + len(enc) + len(idx)],
                                              strict=True):
        wanted = blind_index(plain[source], kind) if plain[source] else ""
        if (stored or "") != wanted:
            changes[column] = wanted
    changes.update(_sealed_changes(em, row))
    return changes


def _update(em: EncryptedModel, columns: tuple[str, ...], params: list[list[Any]]) -> None:
    """One UPDATE per row, sent together (psycopg pipelines ``executemany``)."""
    table, pk_col, _enc, _idx = _columns(em)
    q = connection.ops.quote_name
    json_cols = set(_sealed_columns(em)[1])
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    sets = ", ".join(f"{q(c)} = %s{cast if c in json_cols else ''}" for c in columns)
    with connection.cursor() as cur:
        cur.executemany(f"UPDATE {q(table)} SET {sets} WHERE {q(pk_col)} = %s", params)


def rotate(batch: int = 500, limit: int | None = None,
           progress: Callable[[str], None] | None = None) -> list[ModelReport]:
    """Bring every registered column under the current key, resuming where the last run of
    the same new key stopped. ``limit``: stop after about that many rows (then run again)."""
    if len(field_keys()) < 2:
        raise RotationError(
            "没有要退役的旧密钥：先把新密钥设为 XINFANG_FIELD_KEY、旧密钥设为 "
            "XINFANG_FIELD_KEY_OLD，重启 web 与 worker，再运行本命令。 Set the new key as "
            "XINFANG_FIELD_KEY and the old one as XINFANG_FIELD_KEY_OLD, restart the web and "
            "the worker, then run this command.")
    fp = key_fingerprint(settings.FIELD_KEY)
    reports: list[ModelReport] = []
    seen = 0
    for em in encrypted_fields():
        rep = ModelReport(em.label)
        reports.append(rep)
        state, _ = KeyRotation.objects.get_or_create(key_fingerprint=fp, model_label=em.label)
        while state.finished_at is None:
            if limit is not None and seen >= limit:
                return reports
            with transaction.atomic():
                rows = _batch(em, state.last_pk, batch, lock=True)
                pending: dict[tuple[str, ...], list[list[Any]]] = {}
                for row in rows:
                    changes = _row_changes(em, row)
                    if changes:
                        pending.setdefault(tuple(changes), []).append([*changes.values(), row[0]])
                        rep.changed += 1
                for columns, params in pending.items():
                    _update(em, columns, params)
                if rows:
                    state.last_pk = int(rows[-1][0])
                    state.rows += len(rows)
                else:
                    state.finished_at = timezone.now()
                state.save()
            rep.rows += len(rows)
            seen += len(rows)
            if progress and rows:
                progress(f"{em.label}: ≤#{state.last_pk}, {state.rows} 行")
        rep.finished = True
    return reports


def verify(batch: int = 2000) -> list[ModelReport]:
    """Every registered value decrypts under the current key alone and every index is the
    current key's. A model that fails has its progress reset, so the next rotate re-walks it
    (rows written meanwhile by a process still running with the old key only)."""
    fp = key_fingerprint(settings.FIELD_KEY)
    reports = []
    for em in encrypted_fields():
        rep = ModelReport(em.label)
        after = 0
        while rows := _batch(em, after, batch, lock=False):
            for row in rows:
                try:
                    if _row_changes(em, row):
                        rep.changed += 1
                        if len(rep.problems) < 5:
                            rep.problems.append(f"#{row[0]}")
                except RotationError as exc:
                    rep.changed += 1
                    rep.problems.append(str(exc))
            rep.rows += len(rows)
            after = int(rows[-1][0])
        rep.finished = rep.changed == 0
        if not rep.finished:
            KeyRotation.objects.filter(key_fingerprint=fp, model_label=em.label).delete()
        reports.append(rep)
    return reports


def status() -> list[dict[str, Any]]:
    fp = key_fingerprint(settings.FIELD_KEY)
    done = {r.model_label: r for r in KeyRotation.objects.filter(key_fingerprint=fp)}
    out = []
    for em in encrypted_fields():
        r = done.get(em.label)
        out.append({"model": em.label, "encrypted": list(em.encrypted),
                    "indexes": [i for i, _s, _k in em.indexes],
                    "last_pk": r.last_pk if r else 0, "rows": r.rows if r else 0,
                    "finished": bool(r and r.finished_at)})
    return out
