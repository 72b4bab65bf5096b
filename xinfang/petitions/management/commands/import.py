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
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

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

        # Pass 1: every row checked, every problem reported.
        errors: list[RowError] = []
        seen: dict[str, int] = {}
        total = 0
        started = time.monotonic()
        try:
            for line, cells in read_table(path)[1]:
                total += 1
                res = check_row(line, cells, layout, lk, today)
                number = res.number
                if number and number in seen:
                    err = res if isinstance(res, RowError) else RowError(line, number)
                    err.reasons.append(f"信访件编号与第{seen[number]}行重复")
                    res = err
                elif number:
                    seen[number] = line
                if isinstance(res, RowError):
                    errors.append(res)
                if total % 20000 == 0:
                    self._progress("检查", total, None, started)
        except FileProblem as exc:
            raise CommandError(str(exc)) from exc
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

        # Pass 2: batches, each one transaction.
        bad_lines = {e.line for e in errors}
        written = skipped = batch_no = 0
        batch: list[HistoricRow] = []
        started = time.monotonic()
        source = path.name
        loader = Loader(source=source, user=user, today=today)

        def flush() -> None:
            nonlocal written, skipped, batch_no, batch
            if not batch:
                return
            batch_no += 1
            res = write_batch(batch, source=source, batch_no=batch_no, user=user, today=today,
                              loader=loader)
            written += res.written
            skipped += res.skipped
            batch = []
            self._progress("导入", written + skipped, total - len(errors), started)

        for line, cells in read_table(path)[1]:
            if line in bad_lines:
                continue
            res = check_row(line, cells, layout, lk, today)
            if isinstance(res, RowError):  # the organisation changed between the passes
                raise CommandError(f"{res}（检查后数据已变化，请重新运行）")
            batch.append(res)
            if len(batch) >= opts["batch"]:
                flush()
        flush()
        elapsed = time.monotonic() - started
        self._progress("导入", written + skipped, total - len(errors), started, end=True)
        self.stdout.write(json.dumps({
            "rows": total, "written": written, "skipped_existing": skipped,
            "invalid": len(errors), "seconds": round(elapsed, 2),
            "per_second": round(written / elapsed) if elapsed and written else 0,
            "database": connection.vendor,
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
