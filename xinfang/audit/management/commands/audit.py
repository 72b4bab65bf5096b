"""`xinfang audit verify | anchor | reseal`: the HMAC-chained audit log.

- ``verify``: walk every chain with the audit key and compare it with the anchor file; exit
  code 0 when intact, 1 naming the first row edited, inserted or removed (or an anchor that
  disagrees, or a forged anchor line).
- ``anchor``: append each chain's head (id, hash, time) to the anchor file
  (settings.XINFANG_AUDIT_ANCHOR_FILE); the sweep loop does it after every sweep.
- ``reseal --legacy``: re-seal a chain written before the key existed (unkeyed SHA-256), once,
  after verifying it; migration 0004 does this on upgrade.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.audit import anchors, services


class Command(BaseCommand):
    help = "审计日志工具：verify 校验哈希链与锚点；anchor 写入锚点；reseal 用密钥重新封存旧链"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="校验审计日志链与锚点（被篡改、删除时退出码为1）")
        verify.add_argument("--batch", type=int, default=5000, help="每批读取的记录数")
        verify.add_argument("--no-anchors", action="store_true", help="只校验链，不对照锚点文件")
        sub.add_parser("anchor", help="把各链的链头（编号、哈希、时间）追加写入锚点文件")
        reseal = sub.add_parser("reseal", help="用审计密钥重新封存升级前的无密钥链（只需一次）")
        reseal.add_argument("--legacy", action="store_true", required=True,
                            help="先按旧的无密钥 SHA-256 校验，完整才重新封存")

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["subcommand"]
        if command == "verify":
            try:
                marks = None if options["no_anchors"] else anchors.read_anchors()
            except anchors.AnchorError as e:
                raise CommandError(str(e), returncode=1) from e
            result = services.verify(batch=options["batch"], anchors=marks)
            if not result.ok:
                raise CommandError(result.message, returncode=1)
            self.stdout.write(result.message)
        elif command == "anchor":
            lines = anchors.write_anchor()
            if not lines:
                self.stdout.write("链头自上次锚点以来没有变化，未写入")
            for line in lines:
                self.stdout.write(f"已写入锚点：{line['chain']} #{line['id']} {line['hash']} "
                                  f"{line['at']} → {anchors.anchor_path()}")
        elif command == "reseal":
            try:
                n = services.reseal(from_legacy=True)
            except ValueError as e:
                raise CommandError(str(e), returncode=1) from e
            self.stdout.write(f"已用审计密钥重新封存 {n} 条记录")
