"""`xinfang bench-worker [--port 8431] [--rounds 3]`: the memory of one web worker (issue 19 item 5).

On the current database (a bench database: `bench-aggregates`, `bench-search`, …), starts
gunicorn as `make serve` does (deploy/gunicorn.conf.py: gthread) with one worker process,
logs the county leader (lingdao) and the 信访局 officer (xinfang) in — sessions with the second
factor, stored in the database like a real log-in — and requests over HTTP, ``--rounds`` times
each: the dashboard page and its data, the hot topics of 7, 30 and 90 days (the stored job
result if there is one; otherwise the page asks for the job and says 正在计算 — it clustered
in the request before issue 19 item 5) and
the 综合查询 exports (up to 5,000 matters each; one with the term, one with none). After each
request it reads the worker's VmRSS, Pss and VmHWM (its peak RSS) from /proc. One JSON line on stdout:
per URL the status, the seconds of the slowest round and the RSS after it; the worker's RSS
after start-up and its peak; the load average before and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

URLS = (  # (user, path)
    ("lingdao", "/dashboard/"),
    ("lingdao", "/dashboard/data/"),
    ("xinfang", "/topics/?days=7"),
    ("xinfang", "/topics/?days=30"),
    ("xinfang", "/topics/?days=90"),
    ("xinfang", "/search/export/?q=" + quote("物业")),
    ("xinfang", "/search/export/"),
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kw: Any) -> None:
        return None  # a 302 to the log-in page is reported as 302, not followed


_OPENER = urllib.request.build_opener(_NoRedirect)


def _status_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS), and Pss: the resident pages with those shared with other
    processes (the gunicorn master's, after the fork) divided among them."""
    out = {}
    for name in ("status", "smaps_rollup"):
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Pss"):
                out[key] = int(value.split()[0])
    return out


def _worker_pid(master: int, timeout: float = 60) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        kids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if kids:
            return int(kids[0])
        time.sleep(0.2)
    raise CommandError("gunicorn 没有启动工作进程")


class Command(BaseCommand):
    help = "性能基准：一个 Web 工作进程在仪表盘、热点问题页和导出下的内存（RSS）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8431)
        parser.add_argument("--rounds", type=int, default=3, help="每个地址请求次数")

    def handle(self, *args: Any, **opts: Any) -> None:
        from xinfang.demo.bench import now_iso
        from xinfang.demo.county import logged_in_client
        from xinfang.org.models import User
        from xinfang.petitions.models import Matter

        cookies = {}
        for name in {u for u, _ in URLS}:
            user = User.objects.filter(username=name).first()
            if user is None:
                raise CommandError(f"库中没有用户 {name}：先装载基准库")
            client = logged_in_client(user)
            cookies[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
        base = f"http://127.0.0.1:{opts['port']}"
        env = dict(os.environ, XINFANG_WORKERS="1", XINFANG_BIND=f"127.0.0.1:{opts['port']}")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        out: dict[str, Any] = {
            "bench": "worker-memory", "what": "one gunicorn gthread worker over HTTP, RSS from "
            "/proc after each request (KiB → MiB)", "matters": Matter.objects.count(),
            "rounds": opts["rounds"], "load_before": [round(x, 2) for x in os.getloadavg()],
            "urls": {}}
        proc = subprocess.Popen(
            [str(gunicorn), "-c", "deploy/gunicorn.conf.py", "--access-logfile", "/dev/null",
             "--error-logfile", "-"], env=env, cwd=settings.PROJECT_DIR,
            stdout=subprocess.DEVNULL, stderr=sys.stderr)
        try:
            worker = _worker_pid(proc.pid)
            self._get(base + "/login/", "", wait=60)
            out["rss_started_mib"] = round(_status_kb(worker)["VmRSS"] / 1024, 1)
            for name, path in URLS:
                worst, status = 0.0, 0
                for _ in range(opts["rounds"]):
                    t = time.perf_counter()
                    status = self._get(base + path, cookies[name])
                    worst = max(worst, time.perf_counter() - t)
                mem = _status_kb(worker)
                out["urls"][f"{name} {path}"] = {
                    "status": status, "slowest_s": round(worst, 2),
                    "rss_mib": round(mem["VmRSS"] / 1024, 1),
                    "pss_mib": round(mem["Pss"] / 1024, 1),
                    "peak_mib": round(mem["VmHWM"] / 1024, 1)}
                self.stderr.write(f"{name} {path}: {out['urls'][f'{name} {path}']}")
            mem = _status_kb(worker)
            out["rss_end_mib"] = round(mem["VmRSS"] / 1024, 1)
            out["peak_mib"] = round(mem["VmHWM"] / 1024, 1)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        out["load_after"] = [round(x, 2) for x in os.getloadavg()]
        out["at"] = now_iso()
        self.stdout.write(json.dumps(out, ensure_ascii=False))

    @staticmethod
    def _get(url: str, session: str, *, wait: float = 0) -> int:
        end = time.monotonic() + wait
        while True:
            req = urllib.request.Request(url, headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}" if session else ""})
            try:
                with _OPENER.open(req, timeout=600) as resp:
                    resp.read()  # the whole body, as a browser downloads it
                    return int(resp.status)
            except urllib.error.HTTPError as exc:
                exc.read()
                return int(exc.code)
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > end:
                    raise
                time.sleep(0.5)
