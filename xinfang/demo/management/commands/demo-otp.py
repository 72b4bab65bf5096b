"""`xinfang demo-otp <username>`: the current second-factor code of a demo account.

The demo enrols its leaders, 信访干部 and administrators with a published TOTP secret
(``xinfang.demo.county.demo_otp_key``), because those roles must log in with a code
(``core.second_factor``). This prints the code an authenticator app would show. It answers
only for a device that carries the demo's published secret in the demo's database: a real
person's device is never read out.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.core import totp
from xinfang.core.models import StaffTOTPDevice
from xinfang.demo.county import demo_otp_key
from xinfang.demo.guard import NOT_DEMO, database_kind, refuse_production


class Command(BaseCommand):
    help = "显示演示账号当前的动态验证码（仅限演示数据库）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="演示账号的用户名，如 xinfang、lingdao、admin")

    def handle(self, *args: Any, **opts: Any) -> None:
        refuse_production()
        if database_kind() != "demo":
            raise CommandError(NOT_DEMO)
        username = opts["username"]
        # The seed is encrypted (no lookup by value): compare the decrypted ones.
        device = next((d for d in StaffTOTPDevice.objects.filter(
            user__username=username, confirmed=True) if d.key == demo_otp_key(username)), None)
        if device is None:
            raise CommandError(f"{username} 没有演示动态口令（只有领导、信访干部、管理员的演示账号有）。"
                               f"\n{username} has no demo second factor.")
        self.stdout.write(totp.current_code(device))
