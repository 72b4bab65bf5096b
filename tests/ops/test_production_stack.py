"""The production stack from the checkout (issue 15, "What it must show"): `deploy/serve.sh`
(what `make serve` runs) on a fresh PostgreSQL database starts gunicorn and the job worker;
the county's organisation is loaded with `xinfang import-org` (the example workbook); a
registrar sets a first password through its one-time link, logs in and registers a matter
over HTTP; the worker's scheduled sweep supervises
it (its 登记 clock is overdue); /healthz answers 200; the server is gunicorn, not Django's
development server; 64 clients at once get 200 and PostgreSQL sees no more connections than
the pools hold.

Slow (collectstatic alone takes 1–3 min on a fresh checkout): it runs when
XINFANG_STACK_TEST=1, as `.ci/run` does, and needs PostgreSQL at 127.0.0.1:5432.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG = "postgres://postgres@127.0.0.1:5432"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("XINFANG_STACK_TEST") != "1",
                       reason="the production stack test runs with XINFANG_STACK_TEST=1"),
]


def _psql(sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["psql", f"{PG}/postgres", "-qtAc", sql], capture_output=True,
                          text=True, timeout=60)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def stack(tmp_path):
    if _psql("select 1").returncode != 0:
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    db = f"xinfang_stack_{os.getpid()}"
    _psql(f'DROP DATABASE IF EXISTS "{db}"')
    assert _psql(f'CREATE DATABASE "{db}"').returncode == 0
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XINFANG_", "DATABASE_URL", "PROMETHEUS_", "DJANGO_"))}
    port = _free_port()
    env.update({
        "DATABASE_URL": f"{PG}/{db}", "XINFANG_VAR_DIR": str(tmp_path / "var"),
        "XINFANG_AUDIT_ANCHOR_FILE": str(tmp_path / "anchors.jsonl"),
        # collected once per checkout, re-collected when the code or packages change
        "XINFANG_STATIC_ROOT": str(ROOT / "var" / "stack-static"),
        "SERVE_PORT": str(port), "XINFANG_SWEEP_INTERVAL": "5",
        "SERVE_REDIS_DB": "7",
    })
    # No key given: a fresh machine's `make serve`, whose script creates the keys once, beside
    # the data directory and not inside it (the settings refuse a field key inside it).
    started = subprocess.run(["deploy/serve.sh", "start"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        keys = tmp_path / "var-secrets"
        assert sorted(p.name for p in keys.iterdir()) == ["audit_key", "field_key", "secret_key"]
        assert all(p.stat().st_mode & 0o077 == 0 for p in keys.iterdir())
        for key in ("SECRET", "FIELD", "AUDIT"):
            env[f"XINFANG_{key}_KEY_FILE"] = str(keys / f"{key.lower()}_key")
        # The county's organisation as an administrator loads it (docs/operations.md,
        # "Loading the organisation"): the example workbook, with the running stack's
        # environment (`serve.sh run`: its database, shared cache and keys), the new accounts'
        # one-time set-password links written to a private file.
        links = tmp_path / "links.txt"
        r = subprocess.run(["deploy/serve.sh", "run", "import-org",
                            "docs/examples/org-example.xlsx", "--links", str(links),
                            "--base-url", f"http://127.0.0.1:{port}"],
                           env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "工作人员：已新增 9" in r.stdout and "first-password" not in r.stdout  # links: file only
        rows = [line.split("\t") for line in links.read_text(encoding="utf-8").splitlines()]
        yield {"env": env, "url": f"http://127.0.0.1:{port}", "out": started.stdout,
               "links": {row[0]: row[3] for row in rows[1:]}}
    finally:
        subprocess.run(["deploy/serve.sh", "stop"], env=env, cwd=ROOT, timeout=120)
        _psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')  # pooled connections linger


def _prod_shell(env: dict[str, str], code: str) -> str:
    r = subprocess.run([sys.executable, "-m", "xinfang.cli", "shell", "-c", code],
                       env={**env, "XINFANG_ENV": "production", "XINFANG_HTTPS": "false"},
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def _csrf(opener: urllib.request.OpenerDirector, url: str) -> str:
    html = opener.open(url, timeout=30).read().decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_make_serve_runs_gunicorn_and_the_worker_which_sweeps_a_matter_registered_over_http(
        stack):
    url, env = stack["url"], stack["env"]
    assert f"Xinfang is serving at {url}" in stack["out"]
    health = urllib.request.urlopen(f"{url}/healthz", timeout=30)
    assert health.status == 200
    assert health.headers["Server"].startswith("gunicorn")  # not WSGIServer (runserver)
    web_pid = (Path(env["XINFANG_VAR_DIR"]) / "run" / "web.pid").read_text().strip()
    assert "gunicorn" in Path(f"/proc/{web_pid}/cmdline").read_text()

    # Static files: hashed names from collectstatic's manifest, cached for a year, compressed.
    login = urllib.request.urlopen(f"{url}/login/", timeout=30).read().decode()
    asset = re.search(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.(?:css|js))"', login)
    assert asset, "no hashed static file on the log-in page"
    static = urllib.request.urlopen(urllib.request.Request(
        url + asset.group(1), headers={"Accept-Encoding": "gzip, br"}), timeout=30)
    assert "immutable" in static.headers["Cache-Control"]
    assert "max-age=315360000" in static.headers["Cache-Control"]
    assert static.headers["Content-Encoding"] in ("gzip", "br")

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # The registrar sets a first password through the link, then logs in.
    link = stack["links"]["qh_dengji"]
    opener.open(link, urllib.parse.urlencode({
        "new_password1": "pw-stack-2026", "new_password2": "pw-stack-2026",
        "csrfmiddlewaretoken": _csrf(opener, link)}).encode(), timeout=30)
    token = _csrf(opener, f"{url}/login/")
    opener.open(f"{url}/login/", urllib.parse.urlencode({
        "username": "qh_dengji", "password": "pw-stack-2026",
        "csrfmiddlewaretoken": token}).encode(), timeout=30)
    ref = json.loads(_prod_shell(env, (
        "import json; from xinfang.org.models import Division, Category; "
        "print(json.dumps({'division': Division.objects.filter(level=5).order_by('code')"
        ".first().code, 'category': Category.objects.get(code='CX01').pk}))")))
    received = (time.time() - timedelta(days=30).total_seconds())
    page = opener.open(f"{url}/register/", urllib.parse.urlencode({
        "csrfmiddlewaretoken": _csrf(opener, f"{url}/register/"),
        "channel": "visit", "headcount": "1",
        "received_at": time.strftime("%Y-%m-%dT%H:%M", time.localtime(received)),
        "title": "小区物业乱收停车费", "request": "请求退还多收的停车费",
        "content": "物业公司每月多收停车费200元。", "division": ref["division"],
        "category": ref["category"], "klass": "appeal",
        "p0_name": "王大明", "p0_phone": "13800138000"}).encode(), timeout=60)
    assert re.search(r"/matters/\d+/", page.url), page.read().decode()[:2000]
    matter_id = int(re.search(r"/matters/(\d+)/", page.url).group(1))

    # The worker's next scheduled sweep (every 5 s here) finds the overdue 登记 clock (§40).
    deadline = time.time() + 90
    seen = None
    while time.time() < deadline:
        seen = json.loads(_prod_shell(env, (
            "import json; from xinfang.ops.models import JobRun; "
            "from xinfang.petitions.models import Supervision; "
            f"s = Supervision.objects.filter(matter_id={matter_id}, kind='overdue').first(); "
            "r = JobRun.objects.filter(job='sweep', status='succeeded', "
            "result__supervisions__gte=1).first(); "
            "print(json.dumps({'supervision': bool(s), 'run': r and r.worker}))")))
        if seen["supervision"] and seen["run"]:
            break
        time.sleep(2)
    assert seen and seen["supervision"] and seen["run"], seen
    assert urllib.request.urlopen(f"{url}/healthz", timeout=30).status == 200

    # 64 clients at once never open more PostgreSQL connections than the pools hold:
    # gunicorn processes × XINFANG_DB_POOL_SIZE (4), plus the worker's two threads (the
    # scheduler and the task loop), one connection each.
    db = env["DATABASE_URL"].rsplit("/", 1)[1]
    bound = (2 * (os.cpu_count() or 1) + 1) * 4 + 2
    peak, statuses, stop = [0], [], threading.Event()

    def poll() -> None:
        while not stop.is_set():
            n = _psql(f"select count(*) from pg_stat_activity where datname = '{db}'")
            peak[0] = max(peak[0], int(n.stdout.strip() or 0))

    def hit() -> None:
        for _ in range(3):
            try:
                statuses.append(urllib.request.urlopen(f"{url}/healthz", timeout=60).status)
            except Exception as exc:  # counted: every request must answer 200
                statuses.append(repr(exc))

    poller = threading.Thread(target=poll)
    poller.start()
    clients = [threading.Thread(target=hit) for _ in range(64)]
    for t in clients:
        t.start()
    for t in clients:
        t.join(120)
    stop.set()
    poller.join(30)
    assert statuses == [200] * 192, [s for s in statuses if s != 200][:5]
    assert 0 < peak[0] <= bound, (peak[0], bound)
