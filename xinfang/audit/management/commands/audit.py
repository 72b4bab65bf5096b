"""`xinfang audit verify`: walk the hash-chained audit log and report the first broken row.

Exit code 0 when the chain is intact, 1 when a row was edited, inserted or removed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.audit import services


class Command(BaseCommand):
    help = "审计日志工具：verify 校验哈希链是否完整"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="校验审计日志哈希链（被篡改、删除时退出码为1）")
        verify.add_argument("--batch", type=int, default=5000, help="每批读取的记录数")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            result = services.verify(batch=options["batch"])
            if not result.ok:
                raise CommandError(result.message, returncode=1)
            self.stdout.write(result.message)
