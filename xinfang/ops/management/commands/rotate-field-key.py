"""`xinfang rotate-field-key`: re-encrypt personal data and rebuild the blind indexes under the
new XINFANG_FIELD_KEY while XINFANG_FIELD_KEY_OLD is still accepted (ops.keyrotation)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.core.crypto import field_keys, key_fingerprint
from xinfang.ops import keyrotation


class Command(BaseCommand):
    help = ("用新的字段密钥重新加密个人信息并重建盲索引（可中断、可续跑）；完成后核验，"
            "再从配置中移除旧密钥")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="每个事务处理的行数")
        parser.add_argument("--limit", type=int, default=None,
                            help="处理约这么多行后停下（之后再运行即续跑）")
        parser.add_argument("--status", action="store_true", help="只显示进度")
        parser.add_argument("--verify", action="store_true",
                            help="只核验：全部数据是否已在新密钥下")

    def handle(self, *args: Any, **options: Any) -> None:
        fp = key_fingerprint(field_keys()[0])
        if options["status"]:
            for row in keyrotation.status():
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            return
        if not options["verify"]:
            if options["batch"] < 1:
                raise CommandError("--batch 至少为 1")
            try:
                reports = keyrotation.rotate(options["batch"], options["limit"],
                                             progress=self.stdout.write)
            except keyrotation.RotationError as exc:
                raise CommandError(str(exc), returncode=1) from exc
            for r in reports:
                self.stdout.write(f"{r.label}: 本次 {r.rows} 行，重新加密 {r.changed} 行"
                                  + ("，完成" if r.finished else "，未完成"))
            if not all(r.finished for r in reports) or len(reports) < len(keyrotation.status()):
                self.stdout.write(f"轮换未完成（新密钥 {fp}）：再次运行本命令即从中断处继续。")
                return
        checked = keyrotation.verify()
        bad = [r for r in checked if not r.finished]
        for r in checked:
            self.stdout.write(f"核验 {r.label}: {r.rows} 行"
                              + (f"，{r.changed} 行不在新密钥下 {r.problems}" if r.changed else "，全部在新密钥下"))
        if bad:
            raise CommandError(
                "仍有数据不在新密钥下（多半是仍以旧配置运行的进程写入的）：确认所有进程已用新配置"
                "重启后再运行本命令。 Some rows are not under the new key yet: restart every "
                "process with the new configuration and run the command again.", returncode=1)
        self.stdout.write(f"轮换完成（新密钥 {fp}）：从配置中移除 XINFANG_FIELD_KEY_OLD 并重启 "
                          "web 与 worker；旧密钥此后不再需要（按保管制度销毁或封存）。")
