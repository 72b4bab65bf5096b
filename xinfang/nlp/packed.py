"""The per-row storage of :class:`~xinfang.nlp.similarity.SimilarityIndex`: one packed part
(flat arrays + offsets, in memory or memory-mapped read-only from a saved index, so that
several processes share its pages) and the rows appended since, kept as small objects.

No per-row Python object for the packed part: a row is sliced (bucket rows) or decoded (the
entity metadata, JSON lines) when a query needs it.

Plain Python + numpy: never import Django here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np


def take(values: np.ndarray, offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The packed ``rows`` concatenated in the given order, and each one's length (one fancy
    index: a memory-mapped array reads only the pages those rows lie on)."""
    lo = np.asarray(offsets[rows], np.int64)
    lens = np.asarray(offsets[rows + 1], np.int64) - lo
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, values.dtype), lens
    starts = np.cumsum(lens) - lens
    idx = np.arange(total, dtype=np.int64) + np.repeat(lo - starts, lens)
    got: np.ndarray = np.asarray(values[idx])
    return got, lens


def pack(rows: list[np.ndarray], dtype: type = np.uint32) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([len(r) for r in rows], out=offsets[1:])
    values: np.ndarray = np.concatenate(rows).astype(dtype, copy=False) if rows else np.zeros(0, dtype)
    return values, offsets


class Rows:
    """Rows of bucket ids (uint32): ``values[offsets[i]:offsets[i+1]]`` for the packed rows,
    then ``extra``."""

    def __init__(self, values: np.ndarray | None = None, offsets: np.ndarray | None = None) -> None:
        self.values = values if values is not None else np.zeros(0, np.uint32)
        self.offsets = offsets if offsets is not None else np.zeros(1, np.int64)
        self.extra: list[np.ndarray] = []

    @property
    def packed(self) -> int:
        return len(self.offsets) - 1

    def __len__(self) -> int:
        return self.packed + len(self.extra)

    def __getitem__(self, j: int) -> np.ndarray:
        n = self.packed
        if j < n:
            return np.asarray(self.values[self.offsets[j] : self.offsets[j + 1]])
        return self.extra[j - n]

    def append(self, row: np.ndarray) -> None:
        self.extra.append(row)

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The values of ``rows`` concatenated in that order, and each row's length."""
        rows = np.asarray(rows, np.int64)
        n = self.packed
        if not self.extra or (len(rows) and int(rows.max()) < n):
            return take(self.values, self.offsets, rows)
        parts = [self[int(j)] for j in rows.tolist()]
        lens = np.fromiter((len(p) for p in parts), np.int64, len(parts))
        return (np.concatenate(parts) if parts else np.zeros(0, np.uint32)), lens

    def pack(self) -> None:
        """Fold the appended rows into the packed arrays (in memory)."""
        if not self.extra:
            return
        values, offsets = pack(self.extra)
        self.values = np.concatenate([np.asarray(self.values), values])
        self.offsets = np.concatenate([np.asarray(self.offsets), offsets[1:] + self.offsets[-1]])
        self.extra = []


@dataclass(frozen=True, slots=True)
class Meta:
    entities: tuple[tuple[str, str, str], ...]  # (kind, core, within)
    districts: frozenset[str]
    place: str
    accused: str

    def encode(self) -> bytes:
        return json.dumps([[list(e) for e in self.entities], sorted(self.districts), self.place,
                           self.accused], ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def decode(cls, raw: bytes | str) -> Meta:
        ents, dist, place, acc = json.loads(raw)
        return cls(tuple((e[0], e[1], e[2] if len(e) > 2 else "") for e in ents),
                   frozenset(dist), place, acc)


class Metas:
    """Each row's entity metadata: packed as JSON lines (bytes + offsets, decoded for the rows
    a query gates), then ``extra``."""

    def __init__(self, blob: np.ndarray | None = None, offsets: np.ndarray | None = None) -> None:
        self.blob = blob if blob is not None else np.zeros(0, np.uint8)
        self.offsets = offsets if offsets is not None else np.zeros(1, np.int64)
        self.extra: list[Meta] = []

    def __len__(self) -> int:
        return len(self.offsets) - 1 + len(self.extra)

    def __getitem__(self, j: int) -> Meta:
        n = len(self.offsets) - 1
        if j < n:
            return Meta.decode(bytes(self.blob[self.offsets[j] : self.offsets[j + 1]]))
        return self.extra[j - n]

    def append(self, meta: Meta) -> None:
        self.extra.append(meta)

    def __iter__(self) -> Iterator[Meta]:
        return (self[j] for j in range(len(self)))

    @staticmethod
    def packed_of(metas: Iterable[Meta]) -> tuple[np.ndarray, np.ndarray]:
        lines = [m.encode() for m in metas]
        offsets = np.zeros(len(lines) + 1, np.int64)
        np.cumsum([len(s) for s in lines], out=offsets[1:])
        return np.frombuffer(b"".join(lines), np.uint8), offsets


class Ids:
    """Row ids (strings): packed as int64 when every id is a decimal number (matter ids),
    else as a unicode array, with the sorted ids and their rows for lookups; then ``extra``.
    ``pos`` is the latest row of an id (one added twice: its newest text)."""

    def __init__(self, values: np.ndarray | None = None, keys: np.ndarray | None = None,
                 order: np.ndarray | None = None) -> None:
        self.values = values if values is not None else np.zeros(0, np.int64)
        self.keys = keys if keys is not None else self.values  # sorted values …
        self.order = order if order is not None else np.zeros(0, np.int64)  # … and their rows
        self.extra: list[str] = []
        self._extra_pos: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.values) + len(self.extra)

    def __getitem__(self, j: int) -> str:
        n = len(self.values)
        return str(self.values[j]) if j < n else self.extra[j - n]

    def __iter__(self) -> Iterator[str]:
        return (self[j] for j in range(len(self)))

    def __contains__(self, id_: object) -> bool:
        return isinstance(id_, str) and self.pos(id_) is not None

    def append(self, id_: str) -> None:
        self._extra_pos[id_] = len(self)
        self.extra.append(id_)

    def pos(self, id_: str) -> int | None:
        hit = self._extra_pos.get(id_)
        if hit is not None or not len(self.values):
            return hit
        if self.values.dtype.kind == "i":
            if not (id_.isdecimal() and len(id_) < 19 and str(int(id_)) == id_):
                return None
            key: int | str = int(id_)
        else:
            key = id_
        at = int(np.searchsorted(self.keys, key, side="right")) - 1  # the latest of equal ids
        if at < 0 or self.keys[at] != key:
            return None
        return int(self.order[at])

    @staticmethod
    def packed_of(ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """values, sorted keys and their rows (a stable sort: equal ids keep row order)."""
        if all(i.isdecimal() and len(i) < 19 and str(int(i)) == i for i in ids):
            values = np.array([int(i) for i in ids], np.int64)
        else:
            values = np.array(ids, dtype=str)
        order = np.argsort(values, kind="stable")
        return values, values[order], order.astype(np.int64)
