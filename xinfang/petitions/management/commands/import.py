"""`xinfang import FILE`: bring a county's history in from its old system (issue 19 item 4).

Two passes over the file. The first checks every row (``history.parse.check_row``) and
reports each bad one with its line and reason; by default nothing is imported while any row
is bad (``--skip-invalid`` imports the good ones). The second writes in batches, each one
transaction (``history.load.write_batch``); a re-run skips the numbers already in, so an
interrupted import is resumed by running it again. Nothing is sent and no 督办 is issued for
the past. See docs/operations.md ("Importing history").
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sys
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from xinfang.org.models import Body, User
from xinfang.petitions import clocks
from xinfang.petitions.history.load import Loader, write_batch
from xinfang.petitions.history.parse import (
    FileProblem,
    HistoricRow,
    Layout,
    Lookups,
    RowError,
    check_row,
    header_of,
    read_table,
    resolve_columns,
)


class Command(BaseCommand):
    help = "导入历史信访件（国家信访信息系统导出格式的 CSV 或 Excel）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV（UTF-8 或 GBK）或 .xlsx 文件")
        parser.add_argument("--holder", default="", help="文件没有“登记单位”列时的登记机关名称")
        parser.add_argument("--map", action="append", default=[], metavar="旧列名=字段",
                            help="列名对应，可多次使用，或给出 JSON 文件路径")
        parser.add_argument("--batch", type=int, default=2000, help="每批（一个事务）的行数")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="跳过有误的行，导入其余各行（默认：有误则一行也不导入）")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不导入")
        parser.add_argument("--user", default="", help="以该账号的名义导入（写入审计日志）")
        parser.add_argument("--errors", default="", help="把有误的行写入该文件（每行一条）")
        parser.add_argument("--workers", type=int, default=0,
                            help="并行写入的进程数（PostgreSQL；默认：数据量大时为2，SQLite为1）")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}")
        holder = None
        if opts["holder"]:
            holder = Body.objects.filter(name=opts["holder"]).first()
            if holder is None:
                raise CommandError(f"登记机关“{opts['holder']}”不存在")
        user = None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"账号“{opts['user']}”不存在")
        try:
            header = header_of(path)
            layout = Layout(header, resolve_columns(header, _overrides(opts["map"])))
        except FileProblem as exc:
            raise CommandError(str(exc)) from exc
        lk = Lookups(holder)
        today = clocks.today()

        # Pass 1: every row checked, every problem reported. Nothing is kept but the errors
        # and each number's hash (12 bytes a row: a 1M-row file is checked in bounded memory).
        errors: list[RowError] = []
        hashes, lines = array("q"), array("q")
        total = 0
        started = time.monotonic()
        try:
            for line, cells in read_table(path)[1]:
                total += 1
                res = check_row(line, cells, layout, lk, today)
                if res.number:
                    hashes.append(hash(res.number))
                    lines.append(line)
                if isinstance(res, RowError):
                    errors.append(res)
                if total % 20000 == 0:
                    self._progress("检查", total, None, started)
            errors = _with_repeats(errors, _repeated(path, layout, hashes, lines))
        except FileProblem as exc:
            raise CommandError(str(exc)) from exc
        del hashes, lines
        self._progress("检查", total, total, started, end=True)
        for e in errors[:200]:
            self.stderr.write(str(e))
        if len(errors) > 200:
            self.stderr.write(f"……另有 {len(errors) - 200} 行有误（--errors 文件中列出全部）")
        if opts["errors"]:
            Path(opts["errors"]).write_text("".join(f"{e}\n" for e in errors), encoding="utf-8")
        if errors and not opts["skip_invalid"]:
            raise CommandError(f"{total} 行中有 {len(errors)} 行有误，未导入任何数据"
                               "（改正后重新运行，或用 --skip-invalid 只导入无误的行）")
        if opts["dry_run"]:
            self.stdout.write(json.dumps({"rows": total, "invalid": len(errors)}, ensure_ascii=False))
            return

        # Pass 2: batches, each one transaction, written by this process or by parallel
        # writers (PostgreSQL: each with its own connection, taking every n-th batch).
        job = _Job(path=path, layout=layout, holder=holder, user=user, today=today,
                   bad_lines=frozenset(e.line for e in errors), size=opts["batch"])
        todo = total - len(errors)
        workers = opts["workers"] or _default_workers(todo, opts["batch"])
        if connection.vendor != "postgresql":
            workers = 1  # SQLite takes one writer at a time
        started = time.monotonic()
        written = skipped = 0

        def progress(w: int, s: int) -> None:
            nonlocal written, skipped
            written, skipped = written + w, skipped + s
            self._progress("导入", written + skipped, todo, started)

        if workers <= 1:
            loader = Loader(source=job.path.name, user=user, today=today)
            for batch_no, rows in _batches(job, lk, 0, 1):
                done = write_batch(rows, source=job.path.name, batch_no=batch_no, user=user,
                                   today=today, loader=loader)
                progress(done.written, done.skipped)
        else:
            _in_parallel(job, workers, progress)
        elapsed = time.monotonic() - started
        self._progress("导入", written + skipped, todo, started, end=True)
        self.stdout.write(json.dumps({
            "rows": total, "written": written, "skipped_existing": skipped,
            "invalid": len(errors), "seconds": round(elapsed, 2),
            "per_second": round(written / elapsed) if elapsed and written else 0,
            "database": connection.vendor, "workers": workers,
        }, ensure_ascii=False))

    def _progress(self, what: str, done: int, total: int | None, started: float, *,
                  end: bool = False) -> None:
        rate = done / max(time.monotonic() - started, 1e-6)
        bar = ""
        if total:
            filled = int(30 * done / total)
            bar = "[" + "#" * filled + "." * (30 - filled) + f"] {done}/{total} "
        else:
            bar = f"{done} "
        msg = f"\r{what} {bar}（{rate:,.0f} 行/秒）"
        stream = self.stderr
        if sys.stderr.isatty() or end:
            stream.write(msg, ending="\n" if end else "")
            stream.flush()


def _overrides(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        if item.endswith(".json") and Path(item).is_file():
            out.update(json.loads(Path(item).read_text(encoding="utf-8")))
            continue
        if "=" not in item:
            raise CommandError(f"--map 应为 旧列名=字段，而不是“{item}”")
        old, new = item.split("=", 1)
        out[old.strip()] = new.strip()
    return out


# --------------------------------------------------------------------------- pass 1 helpers


def _repeated(path: Path, layout: Layout, hashes: array[int],
              lines: array[int]) -> dict[int, tuple[str, int]]:
    """line → (its number, the line that had it first), for every number given twice. The
    hashes find the candidates; their numbers are read again to compare them exactly (only
    when some hash repeats)."""
    import numpy as np

    if len(hashes) < 2:
        return {}
    h = np.frombuffer(hashes, dtype=np.int64)
    order = np.argsort(h, kind="stable")
    same = np.flatnonzero(h[order][1:] == h[order][:-1])
    if not len(same):
        return {}
    wanted = {lines[int(order[i])] for i in same} | {lines[int(order[i + 1])] for i in same}
    numbers = {line: layout.values(cells)["number"]
               for line, cells in read_table(path)[1] if line in wanted}
    first: dict[str, int] = {}
    out: dict[int, tuple[str, int]] = {}
    for line in sorted(numbers):
        n = numbers[line]
        if n in first:
            out[line] = (n, first[n])
        else:
            first[n] = line
    return out


def _with_repeats(errors: list[RowError], repeated: dict[int, tuple[str, int]]) -> list[RowError]:
    if not repeated:
        return errors
    by_line = {e.line: e for e in errors}
    for line, (number, first) in repeated.items():
        err = by_line.get(line)
        if err is None:
            err = by_line[line] = RowError(line, number)
        err.reasons.append(f"信访件编号与第{first}行重复")
    return sorted(by_line.values(), key=lambda e: e.line)


# --------------------------------------------------------------------------- pass 2 helpers


@dataclass(frozen=True)
class _Job:
    path: Path
    layout: Layout
    holder: Body | None
    user: User | None
    today: Any
    bad_lines: frozenset[int]
    size: int


def _batches(job: _Job, lk: Lookups, k: int, n: int) -> Iterator[tuple[int, list[HistoricRow]]]:
    """(batch number, checked rows) of the batches ``k``, ``k + n``, … (numbered from 1 over
    the good rows, the same in every writer). A row of another writer's batch is skipped
    unchecked."""
    batch: list[HistoricRow] = []
    good = current = 0
    for line, cells in read_table(job.path)[1]:
        if line in job.bad_lines:
            continue
        batch_no, good = good // job.size + 1, good + 1
        if (batch_no - 1) % n != k:
            continue
        res = check_row(line, cells, job.layout, lk, job.today)
        if isinstance(res, RowError):  # the organisation changed between the passes
            raise CommandError(f"{res}（检查后数据已变化，请重新运行）")
        batch.append(res)
        current = batch_no
        if len(batch) >= job.size:
            yield batch_no, batch
            batch = []
    if batch:
        yield current, batch


def _default_workers(rows: int, size: int) -> int:
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1  # SQLite has one writer; a caller's transaction is not seen by other connections
    return 2 if rows >= 4 * size and (os.cpu_count() or 1) >= 2 else 1


def _in_parallel(job: _Job, n: int, progress: Callable[[int, int], None]) -> None:
    """Pass 2 in ``n`` forked writers. A writer that fails stops the others: every batch is
    its own transaction, so what is in stays and a re-run resumes."""
    import multiprocessing as mp

    if connection.in_atomic_block:
        raise CommandError("并行写入不能在事务中运行（--workers 1）")
    ctx = mp.get_context("fork")
    q: Any = ctx.Queue()
    connections.close_all()  # each writer opens its own
    procs = [ctx.Process(target=_writer, args=(job, k, n, q), daemon=True) for k in range(n)]
    for p in procs:
        p.start()
    finished, failure = 0, ""
    try:
        while finished < n and not failure:
            try:
                msg = q.get(timeout=1.0)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    failure = "写入进程意外退出"
                continue
            if msg[0] == "batch":
                progress(msg[1], msg[2])
            elif msg[0] == "done":
                finished += 1
            else:
                failure = msg[1]
    finally:
        if failure:
            for p in procs:
                p.terminate()  # its open transaction rolls back with the connection
        for p in procs:
            p.join()
    if failure:
        raise CommandError(f"{failure}（已完成的批次已导入；改正后重新运行同一命令即可继续，已导入的不会重复）")


_INHERITED: list[Any] = []  # the parent's connections a forked writer must not touch


def _writer(job: _Job, k: int, n: int, q: Any) -> None:
    # A connection the parent still held (another alias or thread) came through the fork:
    # two writers on one socket read each other's results ("command status: ROLLBACK" in
    # the full PostgreSQL run). Each writer opens its own; the inherited ones are kept
    # referenced, never used or closed (closing would end the parent's session).
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _INHERITED.append(conn.connection)
            conn.connection = None
    try:
        loader = Loader(source=job.path.name, user=job.user, today=job.today)
        for batch_no, rows in _batches(job, Lookups(job.holder), k, n):
            res = write_batch(rows, source=job.path.name, batch_no=batch_no, user=job.user,
                              today=job.today, loader=loader)
            q.put(("batch", res.written, res.skipped))
        q.put(("done",))
    except BaseException as exc:  # reported to the parent, which stops the others
        logging.getLogger("xinfang.import").exception("writer %s failed", k + 1)  # where
        q.put(("error", f"第{k + 1}个写入进程：{exc}"))
    finally:
        connections.close_all()  # only this writer's own connections
