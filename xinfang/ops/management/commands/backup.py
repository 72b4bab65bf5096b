"""`xinfang backup DIR`: the database and the uploaded files into a new folder (ops.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.ops import backup


class Command(BaseCommand):
    help = "备份数据库和上传的附件到一个新目录（密钥与审计锚点文件另行保管，不在其中）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", type=Path, help="备份目录（必须尚不存在）")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup.backup(options["target"])
        except backup.BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.stdout.write(f"已备份到 {options['target']}：{manifest['vendor']}，"
                          f"审计日志 {manifest['audit_rows']} 条")
