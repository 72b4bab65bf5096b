"""A small HTTP load generator for `make serve` on loopback (docs/benchmarks.md).

    .venv/bin/python deploy/load.py --url http://127.0.0.1:8080 --user dengji --password … \
        --scenario queue|register --clients 1,16,64 --requests 400 --seconds 60

Each client is a thread with its own keep-alive connection and its own logged-in session; it
sends requests one after another until the run has sent ``--requests`` in all or ``--seconds``
have passed (both bounds always apply). ``queue`` GETs the staff queue (我的待办, `/`);
``register`` POSTs a registration form (a new petitioner each time). Prints one JSON line per
client count: requests, errors (non-2xx/3xx or a failed connection), p50/p95/max in ms,
requests per second. Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import statistics
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LOOPBACK = ("127.0.0.1", "localhost", "::1")
REQUEST_TIMEOUT = 60.0  # a measured request slower than this is an error
WARMUP_TIMEOUT = 600.0
LOGINS = threading.Semaphore(8)  # log-ins at once during the warm-up


@dataclass
class Run:
    left: int
    until: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0 or time.monotonic() > self.until:
                return False
            self.left -= 1
            return True


class Session:
    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None
                ) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "Referer": f"http://{self.conn.host}:{self.conn.port}{path}"}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp.status, text

    def csrf(self, path: str) -> str:
        _, html = self.request("GET", path)
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not m:
            raise RuntimeError(f"no CSRF token on {path}")
        return m.group(1)

    def login(self, user: str, password: str) -> None:
        token = self.csrf("/login/")
        status, _ = self.request("POST", "/login/", {
            "username": user, "password": password, "csrfmiddlewaretoken": token})
        if status != 302:
            raise RuntimeError(f"log-in as {user} answered {status}")


def registration(token: str, division: str, category: str) -> dict[str, str]:
    n = random.randrange(10**8)
    when = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=1)  # the form is local
    return {"csrfmiddlewaretoken": token, "channel": "visit", "headcount": "1",
            "received_at": when.strftime("%Y-%m-%dT%H:%M"),
            "title": f"小区物业乱收停车费{n}", "request": "请求退还多收的停车费",
            "content": f"物业公司每月多收停车费{n % 500}元。", "division": division,
            "category": category, "klass": "appeal", "p0_name": "王大明",
            "p0_phone": f"139{n:08d}"}


def client(args: argparse.Namespace, run: Run, ready: threading.Barrier,
           go: threading.Event) -> None:
    u = urllib.parse.urlsplit(args.url)
    s = Session(u.hostname or "127.0.0.1", u.port or 80)
    try:
        # The warm-up (log-in: a deliberately slow password hash, then a CSRF token) is not
        # measured; 64 of them at once on a saturated server may take minutes.
        s.conn.timeout = WARMUP_TIMEOUT
        with LOGINS:
            s.login(args.user, args.password)
            token = s.csrf("/register/") if args.scenario == "register" else ""
    except Exception as exc:  # a client that cannot start counts as an error
        run.errors.append(f"start: {exc}")
        ready.wait()
        return
    ready.wait()
    go.wait()
    # Logging 64 clients in can take longer than the server's keep-alive timeout (30 s at
    # 6 requests/s), so a client that finished early would start on a connection the server
    # has closed as idle (a broken pipe on the first POST, which a browser would re-send on a
    # new connection). Every client starts the measured phase on a fresh connection instead;
    # its first request's time includes the TCP connect.
    s.conn.close()
    s.conn.timeout = REQUEST_TIMEOUT
    while run.take():
        start = time.perf_counter()
        try:
            if args.scenario == "queue":
                try:
                    status, _ = s.request("GET", "/")
                except (http.client.RemoteDisconnected, ConnectionResetError):
                    # The server closed an idle keep-alive connection: a browser retries a
                    # GET on a new one, and so do we (counted in "reconnects").
                    with run.lock:
                        run.reconnects += 1
                    s.conn.close()
                    status, _ = s.request("GET", "/")
            else:
                status, _ = s.request("POST", "/register/",
                                      registration(token, args.division, args.category))
        except Exception as exc:
            run.errors.append(repr(exc))
            s.conn.close()
            continue
        elapsed = time.perf_counter() - start
        ok = status < 400 and (args.scenario == "queue" or status == 302)
        if ok:
            run.times.append(elapsed)
        else:
            run.errors.append(f"HTTP {status}")


def measure(args: argparse.Namespace, clients: int) -> dict[str, object]:
    run = Run(left=args.requests, until=0.0)
    ready, go = threading.Barrier(clients + 1), threading.Event()
    threads = [threading.Thread(target=client, args=(args, run, ready, go), daemon=True)
               for _ in range(clients)]
    for t in threads:
        t.start()
    t_login = time.perf_counter()
    ready.wait()  # every client has logged in
    login_s = time.perf_counter() - t_login
    run.until = time.monotonic() + args.seconds
    t0 = time.perf_counter()
    go.set()
    for t in threads:
        t.join(args.seconds + 120)
    wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in run.times)

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p * len(ms)))], 1) if ms else float("nan")

    return {"scenario": args.scenario, "clients": clients, "ok": len(ms),
            "errors": len(run.errors), "error_kinds": sorted(set(run.errors))[:5],
            "reconnects": run.reconnects, "login_s": round(login_s, 1),
            "p50_ms": round(statistics.median(ms), 1) if ms else None, "p95_ms": pct(0.95),
            "max_ms": round(ms[-1], 1) if ms else None,
            "req_per_s": round(len(ms) / wall, 1) if wall else None}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--scenario", choices=["queue", "register"], default="queue")
    p.add_argument("--clients", default="1,16,64")
    p.add_argument("--requests", type=int, default=400, help="requests per client count")
    p.add_argument("--seconds", type=float, default=60.0, help="time bound per client count")
    p.add_argument("--division", default="", help="register: a division code")
    p.add_argument("--category", default="", help="register: a category id")
    args = p.parse_args()
    if urllib.parse.urlsplit(args.url).hostname not in LOOPBACK:
        raise SystemExit("load.py drives this machine's server only (a loopback address)")
    if args.requests > 20000 or args.seconds > 600:
        raise SystemExit("bounded: at most 20,000 requests and 600 s per client count")
    for n in (int(x) for x in args.clients.split(",")):
        print(json.dumps(measure(args, n), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
