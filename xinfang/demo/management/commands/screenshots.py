"""`xinfang screenshots --out docs/screenshots`: small PNGs of the main pages for the docs.

The command re-runs itself in a child process on a throwaway SQLite database in var/ (the demo
database is never touched), seeds a small county with matters in several states through the
real services, serves the app on a free port and photographs it with headless Chromium
(recipes §2). PNGs are 1280×800 (portal pages 375 px wide), quantised with Pillow.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
CITIZEN_PHONE = "13800138000"


class Command(BaseCommand):
    help = "Seed a throwaway county and save PNG screenshots of the main pages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default="docs/screenshots", help="output folder")
        parser.add_argument("--inner", action="store_true", help=""" (internal) run in the
                            child process that owns the throwaway database""")

    def handle(self, *args: Any, **opts: Any) -> None:
        out = Path(opts["out"]).resolve()
        if opts["inner"]:
            shoot(out, self.stdout.write)
            return
        var = Path(settings.BASE_DIR).parent / "var"
        var.mkdir(exist_ok=True)
        db = var / "screenshots.sqlite3"
        for p in var.glob("screenshots.sqlite3*"):
            p.unlink()
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}",
               "DJANGO_ALLOW_ASYNC_UNSAFE": "true"}  # Playwright's loop in the seeding thread
        try:
            rc = subprocess.run([sys.executable, "-m", "xinfang.cli", "screenshots", "--inner",
                                 "--out", str(out)], env=env, check=False).returncode
        finally:
            for p in var.glob("screenshots.sqlite3*"):
                p.unlink()
        if rc:
            raise CommandError(f"screenshots failed (exit {rc})")


# --------------------------------------------------------------------------- seed


def _seed() -> dict[str, Any]:
    """A small county and eight matters in different states, dated over the last weeks."""
    import time_machine
    from django.utils import timezone

    from xinfang.demo.county import build_county
    from xinfang.domain import idcard
    from xinfang.petitions import clocks, services
    from xinfang.petitions.services import PetitionerIn, Registration

    clocks.invalidate()
    c = build_county(full=False)
    now = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    officer, handler = c.users["officer"], c.users["handler"]
    zj, rs, cg = c.dept("住建"), c.dept("人社"), c.dept("城管")
    people = iter([("王大明", "99012119800101123"), ("李秀英", "99012119750305234"),
                   ("张建国", "99012119680712345"), ("刘桂兰", "99012119820918456"),
                   ("陈志强", "99012119900101567"), ("杨海燕", "99012119860214678"),
                   ("赵春梅", "99012119790630789"), ("周伟军", "99012119711122890")])

    @contextmanager
    def on(days_ago: float) -> Iterator[None]:
        with time_machine.travel(now - timedelta(days=days_ago), tick=False):
            yield

    def reg(days_ago: float, title: str, request: str, content: str, *, village: int = 0,
            cat: str = "CX01", channel: str = "visit", klass: str = "appeal",
            phone: str | None = None, **kw: Any) -> Any:
        name, first17 = next(people)
        with on(days_ago):
            return services.register(Registration(
                channel=channel, title=title, request=request, content=content,
                division=c.villages[village], received_at=timezone.now(), klass=klass,
                category=c.categories[cat], petitioners=[PetitionerIn(
                    name=name, id_number=idcard.make(first17),
                    phone=phone or f"139{first17[-8:]}", address="安平县城关镇东门社区")], **kw),
                holder=c.xinfang, user=c.users["registrar"])

    def step(days_ago: float, m: Any, name: str, user: Any = None, **data: Any) -> Any:
        with on(days_ago):
            return services.transition(m, name, user=user, data=data,
                                       citizen=user is None)

    def replied(days_ago: float, m: Any, body: Any, outcome: str = "supported") -> Any:
        m = step(days_ago + 9, m, "forward", officer, to_body=body.pk)
        u = handler if body == zj else None
        if u is None:  # another unit: its own staff member
            from xinfang.org.models import User

            u = User.objects.create(username=f"u{body.pk}", display_name="吴承办",
                                    role="handler", body=body)
        m = step(days_ago + 8, m, "sign", u)
        m = step(days_ago + 7, m, "accept", u, route="按§31（六）办理，依法作出处理意见")
        served = (now - timedelta(days=days_ago)).date().isoformat()
        return step(days_ago, m, "reply", u, outcome=outcome, facts="经现场核查，反映情况基本属实。",
                    opinion="已责成相关单位限期整改，并将整改情况告知信访人。",
                    legal_basis="《物业管理条例》第三十五条", served_on=served,
                    service_method="当面")

    reg(0.1, "小区业主集体反映物业乱收停车费", "请求责令物业公司退还多收的停车费",
        "阳光小区物业公司自今年起每月多收停车费200元，十余名业主多次反映无果。",
        headcount=12, is_urgent=True)
    reg(2, "楼上商铺夜间施工噪声扰民", "请求督促商铺夜间停止施工", "西街社区临街商铺连续两周夜间施工至凌晨。",
        village=1, cat="HB02", channel="phone")
    reg(13, "拖欠农民工工资三个月", "请求督促劳务公司支付拖欠的工资",
        "某劳务公司承建的安置房项目拖欠28名农民工工资共计46万元。", village=2, cat="LD01",
        channel="letter")
    m = reg(18, "小区路灯长期不亮", "请求尽快修复路灯", "东门社区3栋至5栋之间路灯损坏三个月。",
            cat="CX05", channel="online")
    step(16, m, "forward", officer, to_body=cg.pk)
    m = reg(25, "电梯长期停运无人维修", "请求督促物业维修电梯", "南苑小区8栋电梯停运一个多月，老人出行困难。",
            village=1)
    due = (now + timedelta(days=10)).date().isoformat()
    m = step(22, m, "assign", officer, to_body=zj.pk, report_due=due, grade="red",
             instructions="请于10日内报送办结报告")
    m = step(21, m, "sign", handler)
    m = step(20, m, "accept", handler, route="按§31（六）办理")
    step(19, m, "request_extension", handler, days=15, reason="需组织电梯检验机构检测")
    track = replied(3, reg(20, "建议在东门社区增设公共停车位", "建议利用闲置空地建设停车场",
                           "东门社区车多位少，夜间占道停车严重。", klass="suggestion", cat="CX04",
                           channel="qr", phone=CITIZEN_PHONE), zj, outcome="adopted")
    m = replied(6, reg(30, "安置房漏水维修不到位", "请求彻底维修安置房屋顶漏水",
                       "安置小区12栋顶层住户屋顶漏水，维修两次仍未解决。", village=2), zj)
    m = step(4, m, "rate_unsatisfied", None, rating="unsatisfied", comment="屋顶仍然漏水")
    m = replied(10, reg(40, "征地补偿标准不公", "请求按新标准补足征地补偿款",
                        "河口村部分农户补偿标准低于邻村。", village=2, cat="CX03"), rs)
    step(5, m, "request_review", None, reason="对处理意见不服，补偿标准未按新规定执行")
    with on(1):
        supervisor = c.users["supervisor"]
        services.supervise(m, user=supervisor, note="请按期出具复查意见", feedback_days=10)
    return {"county": c, "matter": m, "handling": m.__class__.objects.get(
        title="电梯长期停运无人维修"), "track": track}


# --------------------------------------------------------------------------- serve and shoot


def _serve() -> tuple[Any, str]:
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    httpd.set_app(get_wsgi_application())
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def _session(user: Any) -> str:
    from xinfang.demo.county import logged_in_client

    client = logged_in_client(user)  # with the second factor, as a real log-in
    return str(client.cookies["sessionid"].value)


def _shrink(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT,
                                           dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def shoot(out: Path, log: Any) -> None:
    from playwright.sync_api import sync_playwright

    call_command("migrate", verbosity=0)
    data = _seed()
    c = data["county"]
    sessions = {k: _session(c.users[k]) for k in ("officer", "registrar", "unit_head",
                                                  "supervisor")}
    httpd, url = _serve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN"])

            def page_for(role: str | None, viewport: dict[str, int]) -> Any:
                ctx = browser.new_context(viewport=viewport, device_scale_factor=1,
                                          locale="zh-CN", timezone_id="Asia/Shanghai")
                if role:
                    ctx.add_cookies([{"name": "sessionid", "value": sessions[role], "url": url}])
                return ctx.new_page()

            def save(page: Any, name: str) -> None:
                path = out / f"{name}.png"
                page.screenshot(path=str(path), full_page=False)
                _shrink(path)
                log(f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
                    f"  {path.stat().st_size // 1024} KB")
                page.context.close()

            pg = page_for("officer", DESKTOP)
            pg.goto(url + "/")
            save(pg, "queue")
            pg = page_for("registrar", DESKTOP)
            pg.goto(url + "/register/")
            save(pg, "registration")
            pg = page_for("unit_head", DESKTOP)
            pg.goto(f"{url}/matters/{data['handling'].pk}/")
            save(pg, "matter")
            pg = page_for("officer", DESKTOP)
            pg.goto(url + "/search/?state=open")
            save(pg, "search")
            pg = page_for("supervisor", DESKTOP)
            pg.goto(url + "/supervision/")
            save(pg, "supervision")
            pg = page_for("officer", DESKTOP)
            pg.goto(url + "/qr/")
            save(pg, "qr")
            pg = page_for(None, PHONE)
            pg.goto(url + "/portal/submit/")
            save(pg, "portal-submit")
            pg = page_for(None, PHONE)
            pg.goto(url + "/portal/track/")
            pg.get_by_label("查询码").fill(data["track"].query_code)
            pg.get_by_label("登记的手机号").fill(CITIZEN_PHONE)
            pg.get_by_role("button", name="查询").click()
            pg.wait_for_selector(".timeline")
            save(pg, "portal-track")
            browser.close()
    finally:
        httpd.shutdown()
    log(f"done in {time.monotonic() - started:.1f} s")
