"""`xinfang pageload --url http://127.0.0.1:8000`: how fast pages load on a cheap phone.

Headless Chromium (Debian's /usr/bin/chromium through playwright) at 375 × 740 with the
DevTools protocol's throttling: 1.6 Mbit/s down, 750 kbit/s up, 150 ms round trip
(``Network.emulateNetworkConditions``) and the CPU slowed 4× (``Emulation.
setCPUThrottlingRate``). Every run is a new browser context (a cold cache). For each page it
reports the median over ``--runs`` of: bytes transferred (compressed as served), first
contentful paint, the load event, and "charts": the first frame in which every chart figure of
the page (``figure.chart-fig``) is laid out. Staff pages are opened with a session of
``--user`` made in the database the server uses (demo databases only). Figures and the command
line go in docs/benchmarks.md (issue 20 item 8).
"""

from __future__ import annotations

import statistics
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

DOWN_BPS = 1_600_000 / 8  # bytes per second
UP_BPS = 750_000 / 8
RTT_MS = 150
CPU_SLOWDOWN = 4
PAGES = "/portal/,/portal/submit/,/dashboard/"

# Runs before the page's own scripts (an init script is not subject to the page's CSP).
CHARTS_PROBE = """
(() => {
  function look() {
    const figs = document.querySelectorAll('figure.chart-fig');
    if (figs.length && document.readyState !== 'loading' &&
        Array.from(figs).every(f => f.getBoundingClientRect().height > 0)) {
      window.__chartsAt = performance.now();
      return;
    }
    requestAnimationFrame(look);
  }
  requestAnimationFrame(look);
})();
"""

MEASURE = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  const bytes = performance.getEntriesByType('resource')
      .reduce((n, r) => n + (r.transferSize || 0), nav.transferSize || 0);
  return {bytes: bytes, ttfb: nav.responseStart, fcp: paint ? paint.startTime : null,
          load: nav.loadEventEnd,
          charts: window.__chartsAt || null,
          figures: document.querySelectorAll('figure.chart-fig').length,
          requests: performance.getEntriesByType('resource').length + 1};
}"""


class Command(BaseCommand):
    help = "在限速手机条件下测量页面加载时间（1.6 Mbit/s、150 ms、CPU 4×）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="站点地址")
        parser.add_argument("--pages", default=PAGES, help="逗号分隔的路径")
        parser.add_argument("--user", default="lingdao",
                            help="打开工作人员页面所用的演示账号（/portal/ 以外的页面）")
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--cpu", type=float, default=CPU_SLOWDOWN,
                            help="CPU 降速倍数（默认 4）")
        parser.add_argument("--chromium", default="/usr/bin/chromium")

    def handle(self, *args: Any, **opts: Any) -> None:
        from playwright.sync_api import sync_playwright

        base = opts["url"].rstrip("/")
        pages = [p.strip() for p in opts["pages"].split(",") if p.strip()]
        session = self._session(opts["user"]) if any(
            not p.startswith("/portal/") for p in pages) else None
        rows = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=opts["chromium"], headless=True,
                                         args=["--no-sandbox", "--disable-dev-shm-usage"])
            for path in pages:
                runs = [self._once(browser, base, path, session, opts["cpu"])
                        for _ in range(opts["runs"])]
                rows.append((path, runs))
            browser.close()
        self.stdout.write(f"{'page':<20} {'KB':>7} {'req':>4} {'TTFB ms':>8} {'FCP ms':>7} "
                          f"{'load ms':>8} {'charts ms':>9}   (median of {opts['runs']} cold "
                          f"runs, CPU {opts['cpu']:g}×)")
        for path, runs in rows:
            def med(key: str, runs: list[dict[str, Any]] = runs) -> str:
                values = [r[key] for r in runs if r[key] is not None]
                return f"{statistics.median(values):.0f}" if values else "—"
            kb = statistics.median(r["bytes"] for r in runs) / 1024
            self.stdout.write(f"{path:<20} {kb:7.1f} {med('requests'):>4} {med('ttfb'):>8} "
                              f"{med('fcp'):>7} {med('load'):>8} {med('charts'):>9}")

    def _once(self, browser: Any, base: str, path: str, session: str | None,
              cpu: float) -> dict[str, Any]:
        context = browser.new_context(viewport={"width": 375, "height": 740},
                                      device_scale_factor=2, is_mobile=True, has_touch=True,
                                      locale="zh-CN")
        if session and not path.startswith("/portal/"):
            context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": RTT_MS, "downloadThroughput": DOWN_BPS,
            "uploadThroughput": UP_BPS})
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
        page.add_init_script(CHARTS_PROBE)
        response = page.goto(base + path, wait_until="load", timeout=120_000)
        if response is None or response.status != 200 or page.url != base + path:
            raise CommandError(f"{path}: {response.status if response else '—'} at {page.url}")
        page.wait_for_timeout(300)  # the charts probe's last frame
        result: dict[str, Any] = page.evaluate(MEASURE)
        if not result["figures"]:
            result["charts"] = None
        context.close()
        return result

    @staticmethod
    def _session(username: str) -> str:
        """A logged-in, second-factor-verified session of a demo account, in the database."""
        from django.test import Client

        from xinfang.demo.county import mark_verified
        from xinfang.demo.guard import NOT_DEMO, database_kind
        from xinfang.org.models import User

        if database_kind() != "demo":
            raise CommandError(NOT_DEMO)
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        client = Client()
        client.force_login(user)
        mark_verified(client, user)
        return str(client.cookies["sessionid"].value)
