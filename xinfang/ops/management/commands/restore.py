"""`xinfang restore DIR`: replace the database and the uploaded files with a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.ops import backup


class Command(BaseCommand):
    help = "用备份替换当前数据库和附件，随后对照锚点文件校验审计日志链"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="xinfang backup 写出的目录")
        parser.add_argument("--yes", action="store_true",
                            help="确认替换当前数据库（不加则只校验备份文件）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if not options["yes"]:
                manifest = backup.read_manifest(options["source"])
                self.stdout.write(f"备份完整（{manifest['created']}，{manifest['vendor']}）。"
                                  "加 --yes 以替换当前数据库和附件。")
                return
            manifest = backup.restore(options["source"])
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(f"已恢复 {manifest['created']} 的备份；校验审计日志链与锚点：")
        call_command("audit", "verify", stdout=self.stdout, stderr=self.stderr)
