"""The jobs beside the deadline sweep (ops.jobs.JOBS), each run recorded with its retries:

- ``reports`` (daily): last month's 月通报 of every 信访部门's division, as PDF and Excel, into
  ``XINFANG_REPORTS_DIR/<division code>/<YYYY-MM>.{pdf,xlsx}``; a file already written is left
  alone, so the job does its work once a month and is a quick no-op on the other days;
- ``retrain`` (weekly): the intake category model from this deployment's labelled matters
  (``petitions.intel.train_from_db``; running servers load the new model on their next
  request);
- ``similarity`` (every ``XINFANG_SIMILARITY_INTERVAL``): the same-matter index saved for the
  web workers to memory-map, when there is none or it is 6 h old or
  ``XINFANG_SIMILARITY_REBUILD_AFTER`` matters behind (``petitions.intel.index_store``);
- ``export`` (on demand: ``jobs.enqueue("export", params={"user": id, "filters": {...}})``):
  a search export without the page's row limit, with the same scope, masking and audit as the
  page's, into ``XINFANG_EXPORTS_DIR/<run id>.xlsx``.

Files are written under a temporary name and renamed, so a reader never sees half a file and
a retried attempt starts clean.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _last_month(today: date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def monthly_reports(today: str | None = None) -> dict[str, Any]:
    from xinfang.core.i18n import source_language
    from xinfang.org.models import Body, Division
    from xinfang.petitions import clocks
    from xinfang.practice import services as svc
    from xinfang.practice.views.reports import bulletin_pdf, bulletin_xlsx

    day = date.fromisoformat(today) if today else clocks.today()
    y, m = _last_month(day)
    base = Path(settings.XINFANG_REPORTS_DIR)
    codes = (Body.objects.filter(kind=Body.Kind.XINFANG).values_list("division_id", flat=True)
             .distinct())
    written, kept = [], 0
    for div in Division.objects.filter(code__in=list(codes)).order_by("code"):
        stem = base / div.code / f"{y}-{m:02d}"
        pdf, xlsx = stem.with_suffix(".pdf"), stem.with_suffix(".xlsx")
        if pdf.exists() and xlsx.exists():
            kept += 1
            continue
        with source_language():  # a record passed between offices: Chinese
            b = svc.monthly_bulletin(div, y, m, today=day)
            _write(xlsx, bulletin_xlsx(b))
            _write(pdf, bulletin_pdf(b))
        written.append(str(stem.relative_to(base)))
    return {"month": f"{y}-{m:02d}", "written": written, "already": kept}


def topics() -> dict[str, Any]:
    """Hot topics over every matter of the window, stored for /topics/ and the warnings."""
    from xinfang.petitions.intel import snapshot

    return snapshot.compute()


def similarity(force: bool = False) -> dict[str, Any]:
    """The same-matter index as a snapshot the web workers map (petitions.intel.index_store)."""
    from xinfang.petitions.intel import index_store

    return index_store.build(force=force)


def retrain() -> dict[str, Any]:
    from xinfang.petitions import intel

    return dict(intel.train_from_db())


def export(user: int, filters: dict[str, Any], run: int | None = None) -> dict[str, Any]:
    from xinfang.audit import services as audit
    from xinfang.core.i18n import source_language
    from xinfang.org.models import User
    from xinfang.petitions import filters as flt
    from xinfang.petitions.exports import iter_matters, write_workbook

    who = User.objects.get(pk=user, is_active=True)
    f = flt.MatterFilter(**filters)
    name = f"{run or 'export'}-{user}.xlsx"
    path = Path(settings.XINFANG_EXPORTS_DIR) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with source_language():  # streamed: memory stays flat whatever the row count
        rows = write_workbook(who, iter_matters(flt.find(who, f)), tmp)
    os.replace(tmp, path)
    audit.record("export", actor=who, object_type="search", object_id=0,
                 data={"rows": rows, "queued": True, **flt.audit_filters(filters)})
    return {"file": name, "rows": rows}
