"""`xinfang bench-topics-page [--requests 60] [--user xinfang] [--no-job]`: /topics/ as an officer.

On the current database (the demo county: `xinfang seed`, or `xinfang bench --load-only`), runs
the ``topics`` job once (``ops.periodic.topics``, timed) unless ``--no-job``, then requests
/topics/ through Django's test client as the 信访局 officer, logged in with the second factor,
``--requests`` times for each period (7, 30, 90 days). ``cold``: the page cache is cleared before
every request, so each one reads the stored job result and the user's matters (what the first
request of a filter costs); ``warm``: the cache kept (the other requests within 5 minutes).
Prints one JSON line: the job's figures, p50/p95/max per mode, the topics shown, whether
scikit-learn or scipy.stats were imported by the page, and the load average before and after.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return round(s[min(len(s) - 1, max(0, round(q * len(s)) - 1))], 1)


class Command(BaseCommand):
    help = "性能基准：以信访干部身份请求热点问题页（/topics/），统计 p50/p95（先运行热点计算任务）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=60, help="每个时段的请求次数（≥ 50）")
        parser.add_argument("--user", default="xinfang", help="用户名（默认演示县信访局干部）")
        parser.add_argument("--no-job", action="store_true", help="不运行热点计算任务（使用已存结果）")

    def handle(self, *args: Any, **opts: Any) -> None:
        from django.core.cache import cache
        from django.test.utils import setup_test_environment

        from xinfang.demo.county import logged_in_client
        from xinfang.org.models import User
        from xinfang.petitions import intel
        from xinfang.petitions.intel import snapshot

        user = User.objects.filter(username=opts["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"没有用户 {opts['user']}：请先运行 xinfang seed")
        n = max(1, opts["requests"])
        out: dict[str, Any] = {"load_before": os.getloadavg()}
        if not opts["no_job"]:
            from xinfang.ops import periodic

            t0 = time.perf_counter()
            out["job"] = periodic.topics()
            out["job_wall_seconds"] = round(time.perf_counter() - t0, 1)
        if snapshot.latest() is None:
            raise CommandError("没有新近的热点计算结果：请先运行任务（去掉 --no-job）")
        setup_test_environment()  # the test client's response.context and ALLOWED_HOSTS
        client = logged_in_client(user)
        intel.reset()
        heavy_before = {m for m in ("sklearn", "scipy.stats") if m in sys.modules}
        for days in intel.PERIODS:
            for mode in ("cold", "warm"):
                times: list[float] = []
                shown = 0
                for _ in range(n):
                    if mode == "cold":
                        cache.clear()
                    t = time.perf_counter()
                    r = client.get("/topics/", {"days": days})
                    times.append((time.perf_counter() - t) * 1000)
                    if r.status_code != 200:
                        raise CommandError(f"/topics/?days={days} 返回 {r.status_code}")
                    shown = len(re.findall(rb'href="/topics/\d+/', r.content))
                out[f"{days}d_{mode}"] = {
                    "requests": n, "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": _pct(times, 0.95), "max_ms": round(max(times), 1),
                    "topics_shown": shown}
        out["heavy_modules_loaded_by_page"] = sorted(
            m for m in ("sklearn", "scipy.stats") if m in sys.modules and m not in heavy_before)
        out["load_after"] = os.getloadavg()
        self.stdout.write(json.dumps(out, ensure_ascii=False))
