"""`xinfang demo [--addr 127.0.0.1:8000] [--matters 3000]`: one command to a running demo."""

from __future__ import annotations

import os
import unicodedata
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinfang.demo.county import DEMO_PASSWORD

# (key in County.users, username from xinfang.demo.county, 角色, what to try)
DEMO_LOGINS = [
    ("registrar", "dengji", "登记员 Registrar", "登记来信来访 register a matter"),
    ("officer", "xinfang", "信访干部 Petition officer", "转送/交办 dispatch, 待处置 queue"),
    ("handler", "chengban", "承办人 Unit handler（住建局）", "签收、受理、答复 sign, accept, reply"),
    ("unit_head", "fuzeren", "单位负责人 Unit head（住建局）", "批准延期 approve extensions"),
    ("town_handler", "chengguan", "承办人 Township handler（城关镇）", "属地办理 local handling"),
    ("other_handler", "renshe", "承办人 Handler（人社局）", "欠薪 wage arrears"),
    ("gov_officer", "xianfu", "县政府信访科 County gov.", "复查 review (§35)"),
    ("city_officer", "shixinfang", "市政府 City gov.", "复核、听证 recheck (§36)"),
    ("supervisor", "ducha", "督查 Supervisor", "超期督办 overdue, 督办单"),
    ("leader", "lingdao", "领导 Leader", "全县态势 county overview"),
    ("admin", "admin", "管理员 Administrator", "/admin/ 机构、期限、节假日"),
]


class Command(BaseCommand):
    help = "启动演示：迁移数据库、首次运行时生成演示数据、启动期限巡检并提供网页服务"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="监听地址 host:port")
        parser.add_argument("--matters", type=int, default=3000, help="首次生成的事项数")

    def handle(self, *args: Any, **opts: Any) -> None:
        self.prepare(opts["matters"])
        self.serve(opts["addr"])

    def prepare(self, matters: int) -> None:
        """Migrate; on an empty database seed the demo (and say that it made the published
        superuser); refuse a database with data the demo did not write."""
        from xinfang.demo.guard import NOT_DEMO, database_kind, flush_demo, refuse_production
        from xinfang.demo.seed import county_exists, seed

        refuse_production()  # demo mode only: the accounts below share a published password
        call_command("migrate", interactive=False, verbosity=0)
        kind = database_kind()
        if kind == "other":
            raise CommandError(NOT_DEMO)
        if kind == "empty" or not county_exists():
            if kind == "demo":  # a seed that stopped half-way
                flush_demo()
            self.stdout.write(f"首次运行：生成演示数据（{matters} 件事项，约需数分钟）…")
            from xinfang.notify import paused

            with paused():  # generated history texts nobody
                res = seed(matters, log=self.stdout.write)
            self.stdout.write(self.style.SUCCESS(f"演示数据已生成：{res.summary()}"))
            self.stdout.write(self.style.WARNING(
                f"已创建演示超级用户 admin（及全部演示账号），密码为公开的演示密码 {DEMO_PASSWORD}；"
                "仅供演示，切勿用于生产。\n"
                "Created the demo superuser 'admin' (and every demo account) with the published "
                "demo password: for the demo only, never for production."))
        static_root = settings.STATIC_ROOT
        if not static_root.exists() or not any(static_root.iterdir()):
            call_command("collectstatic", interactive=False, verbosity=0)

    def serve(self, addr: str) -> None:
        from xinfang.petitions import jobs

        jobs.start_background(settings.XINFANG_SWEEP_INTERVAL)
        # Notifications: e-mail to a local SMTP server kept in var/mail/, texts in this log.
        from xinfang.demo import notify_demo

        notify_demo.start_mailbox(int(os.environ.get("XINFANG_DEMO_SMTP_PORT", "8025")))
        if not settings.XINFANG_PUBLIC_URL:  # the links in messages point at this server
            settings.XINFANG_PUBLIC_URL = f"http://{addr if ':' in addr else '127.0.0.1:' + addr}"
        notify_demo.start_delivery(settings.XINFANG_SWEEP_INTERVAL)
        self.stdout.write(self.login_table(addr))
        # runserver without the autoreloader: one process, so the sweep thread runs once.
        # whitenoise serves /static/ (settings.MIDDLEWARE); --insecure covers DEBUG=False.
        call_command("runserver", addr, use_reloader=False, insecure_serving=True,
                     use_threading=True)

    @staticmethod
    def login_table(addr: str) -> str:
        host = addr if ":" in addr else f"127.0.0.1:{addr}"
        lines = [
            "",
            "=" * 78,
            f" 信访工作平台演示  Xinfang demo:  http://{host}/",
            f" 群众查询 Public portal:          http://{host}/portal/",
            f" 演示密码 Password (all users):   {DEMO_PASSWORD}",
            "-" * 78,
            f" {_pad('用户名 Username', 16)}{_pad('角色 Role', 36)}可以试试 Try",
            "-" * 78,
        ]
        for _, username, role, tip in DEMO_LOGINS:
            lines.append(f" {_pad(username, 16)}{_pad(role, 36)}{tip}")
        lines += [
            "-" * 78,
            " 领导、信访干部、管理员须输入动态验证码（第二重验证）。演示账号已用公开的演示密钥启用，",
            " 另开终端运行  .venv/bin/xinfang demo-otp <用户名>  获取当前验证码（每码只能用一次）。",
            " Leaders, petition officers and admins log in with a second-factor code: the demo",
            " enrolled them with a published secret; get the current code with",
            " .venv/bin/xinfang demo-otp <username>  (each code works once).",
        ]
        lines += [
            "-" * 78,
            " 通知：短信写入本窗口日志（xinfang.sms），邮件由本机 SMTP 服务接收并保存在 var/mail/。",
            " Notices: text messages go to this log (xinfang.sms); e-mail to a local SMTP server,",
            " kept in var/mail/.",
        ]
        lines += ["=" * 78, " 期限巡检已在后台运行（每 "
                  f"{settings.XINFANG_SWEEP_INTERVAL} 秒）；按 Ctrl+C 停止。", ""]
        return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-justify to a terminal width: CJK characters take two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - used)
