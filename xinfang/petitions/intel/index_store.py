"""The same-matter index built once, outside web requests, and mapped by every process
(issue 19 item 5: at 1M matters each web worker spent minutes building its own copy on its
first repeat check and then held 1.3 GB).

The ``similarity`` job (ops.jobs; ``build``) builds the index from the database as
``index._build`` does and saves it under ``XINFANG_MODEL_DIR/similarity/<version>/``: one
uncompressed ``.npy`` per array, the texts' fingerprints and the sealed flags per row, and
``snapshot.json`` (the largest matter id it covers, when it was built, the database). The
directory is written under a temporary name and renamed, then ``CURRENT`` (the version's
name) is replaced: a reader never sees half a snapshot. The previous version is kept (a
process may be loading it); older ones are deleted (a process that mapped one keeps its
pages until it lets go).

A process loads the current snapshot memory-mapped (``np.load(mmap_mode="r")``: the pages
are shared through the page cache, read when a query touches them) and adds only the
matters after its largest id (``index.similarity_index``). Without a snapshot it builds the
index itself, as before, and asks for the job (the ``wanted`` signal, answered in
``xinfang.ops``).
"""

from __future__ import annotations

import json
import logging
import os
import resource
import secrets
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.dispatch import Signal

from ..models import Matter

if TYPE_CHECKING:
    from .index import _Index

log = logging.getLogger("xinfang.intel")

FORMAT = 1
CHECK_SECONDS = 30  # a process looks for a newer snapshot at most this often


def root() -> Path:
    base = getattr(settings, "XINFANG_MODEL_DIR", Path(settings.VAR_DIR) / "models")
    return Path(base) / "similarity"


def rebuild_after() -> int:
    """New matters after which the job builds a new snapshot (else every REBUILD_SECONDS)."""
    return int(getattr(settings, "XINFANG_SIMILARITY_REBUILD_AFTER", 2000))


def _database() -> str:
    return f"{connection.vendor}:{connection.settings_dict.get('NAME')}"


def current() -> tuple[str, dict[str, Any]] | None:
    """The current snapshot's version and ``snapshot.json``, when there is one of this format
    and of this database."""
    try:
        version = (root() / "CURRENT").read_text("utf-8").strip()
        info: dict[str, Any] = json.loads((root() / version / "snapshot.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if info.get("format") != FORMAT or info.get("database") != _database():
        return None
    return version, info


def load(*, refused: str = "", current_ix: _Index | None = None) -> _Index | None:
    """The current snapshot memory-mapped (``current_ix`` itself when it is that snapshot
    already); None without a usable one (none, the ``refused`` one, or unreadable)."""
    import numpy as np

    from xinfang.nlp import SimilarityIndex

    from . import index

    got = current()
    if got is None or got[0] == refused:
        return None
    version, info = got
    if current_ix is not None and current_ix.snapshot == version:
        return current_ix
    d = root() / version
    try:
        sim = SimilarityIndex.load(d, mmap=True, gazetteer=index.gazetteer())
        prints = np.load(d / "prints.npy", mmap_mode="r", allow_pickle=False)
        sealed = np.load(d / "sealed.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):  # deleted while we read it, or another format: next time
        log.warning("same-matter index snapshot %s unreadable", d, exc_info=True)
        return None
    now = time.monotonic()
    return index._Index(sim, prints, sealed, max_pk=int(info["max_pk"]), built=now,
                        snapshot=version, built_at=float(info["built_at"]), checked=now)


def save(ix: _Index) -> str:
    """Write ``ix`` (built in this process) as the current snapshot; its version."""
    import numpy as np

    base = root()
    base.mkdir(parents=True, exist_ok=True)
    version = f"{int(time.time() * 1000)}-{os.getpid()}-{secrets.token_hex(3)}"
    tmp = base / f".tmp-{version}"
    ids = list(ix.index.ids)
    ix.index.save(tmp)
    np.save(tmp / "prints.npy", np.fromiter((ix.more_prints[i] for i in ids), np.uint32, len(ids)))
    np.save(tmp / "sealed.npy", np.fromiter((i in ix.more_sealed for i in ids), np.bool_, len(ids)))
    (tmp / "snapshot.json").write_text(json.dumps({
        "format": FORMAT, "version": version, "rows": len(ids), "max_pk": ix.max_pk,
        "built_at": ix.built_at, "database": _database()}), "utf-8")
    os.rename(tmp, base / version)
    pointer = base / f".CURRENT.{os.getpid()}.tmp"
    pointer.write_text(version, "utf-8")
    os.replace(pointer, base / "CURRENT")
    keep = sorted((p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime)[-2:]
    for p in base.iterdir():
        if p.is_dir() and p not in keep:
            shutil.rmtree(p, ignore_errors=True)  # older versions and abandoned temporaries
    return version


def build(*, force: bool = False) -> dict[str, Any]:
    """The ``similarity`` job: a new snapshot when there is none, when it is older than
    ``index.REBUILD_SECONDS`` or ``rebuild_after()`` matters behind, else nothing."""
    from . import index

    got = current()
    newest = Matter.objects.aggregate(m=Max("pk"))["m"] or 0
    if got is not None and not force:
        _version, info = got
        behind = newest - int(info["max_pk"])
        if time.time() - float(info["built_at"]) < index.REBUILD_SECONDS and behind < rebuild_after():
            return {"kept": got[0], "behind": behind}
    t0 = time.monotonic()
    ix = index._build()
    built = time.monotonic() - t0
    version = save(ix)
    return {"version": version, "rows": len(ix), "max_pk": ix.max_pk,
            "seconds": round(built, 1), "save_seconds": round(time.monotonic() - t0 - built, 1),
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


# Sent when a process has no snapshot to load (it builds the index itself meanwhile); the job
# system (xinfang.ops.apps) answers by asking for the ``similarity`` job.
wanted = Signal()


def ask() -> None:
    """Have the ``similarity`` job run soon (never a failure of the caller's request)."""
    for _receiver, answer in wanted.send_robust(sender=Matter):
        if isinstance(answer, Exception):
            log.warning("asking for the similarity job failed: %r", answer)
