"""CSV helpers shared by the CLI (plain Python)."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class CsvError(ValueError):
    """A CSV file lacks a required column or cannot be read."""


def read_rows(path: str | Path, required: Sequence[str]) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise CsvError(f"{path}: missing column(s) {', '.join(missing)}; has {', '.join(header)}")
        return [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]


def write_rows(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    n = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow(r)
            n += 1
    return n


def split_cols(spec: str) -> list[str]:
    cols = [c.strip() for c in spec.split(",") if c.strip()]
    if not cols:
        raise CsvError("no text columns given")
    return cols
