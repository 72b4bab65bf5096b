"""`xinfang store purge`: delete the security store's expired rows (lock-outs, throttle
counters, one-time codes past their expiry). The store also does it on about one write in a
hundred; a scheduler may run this as well (docs/security.md "Floods and throttles")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xinfang.core import store


class Command(BaseCommand):
    help = "安全存储（登录锁定、限流计数、验证码）：purge 删除已过期的记录"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("purge", help="删除已过期的记录")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"已删除过期记录 {store.purge_expired()} 条")
