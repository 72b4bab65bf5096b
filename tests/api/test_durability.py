"""Durability of public submissions across a server crash (PostgreSQL only).

A real ``xinfang runserver`` on its own database takes a burst of submissions, each
Idempotency-Key sent twice at once from two threads; the server is SIGKILLed mid-burst,
restarted, and the unanswered keys are retried. Every code answered with 201 must exist, and
no key may have produced two matters.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
XINFANG = ROOT / ".venv" / "bin" / "xinfang"
DBNAME = "xinfang_durability"
KEYS = 40

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                       reason="durability is checked on PostgreSQL"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admin_conn(dbname: str = "postgres"):
    import psycopg

    db = settings.DATABASES["default"]
    return psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                           user=db["USER"] or "postgres", password=db["PASSWORD"] or None,
                           dbname=dbname, autocommit=True)


def _db_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] or "postgres"
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{DBNAME}"


@pytest.fixture
def server_env(tmp_path):
    with _admin_conn() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DBNAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DBNAME}")
    env = {**os.environ, "DATABASE_URL": _db_url(), "XINFANG_VAR_DIR": str(tmp_path / "var"),
           "XINFANG_DEBUG": "False", "XINFANG_INPROCESS_SCHEDULER": "False",
           "XINFANG_RATE_SUBMIT_IP": "100000/min", "XINFANG_RATE_SUBMIT_PHONE": "100000/min",
           # This test is about durability; the SMS code is tested in test_public.py.
           "XINFANG_PUBLIC_SUBMIT_SMS_CODE": "False",
           "DJANGO_SETTINGS_MODULE": "xinfang.settings"}
    subprocess.run([str(XINFANG), "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c",
                    "import django; django.setup(); "
                    "from xinfang.demo.county import build_county; build_county(full=False)"],
                   env=env, check=True, cwd=ROOT)
    yield env
    with _admin_conn() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DBNAME} WITH (FORCE)")


def _start(env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen([str(XINFANG), "runserver", "--noreload", f"127.0.0.1:{port}"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/categories", timeout=1)
            return proc
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def _submit(port: int, key: str, i: int) -> tuple[str, int, str]:
    body = json.dumps({
        "division": "990121001001", "title": f"路灯不亮{i}", "request": "请求修复",
        "content": "路灯坏了两个月", "class": "appeal", "name": f"信访人{i}",
        "phone": f"1380000{i:04d}"}).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/public/petitions", data=body, method="POST",
        headers={"Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return key, r.status, json.loads(r.read())["code"]
    except urllib.error.HTTPError as e:
        return key, e.code, ""
    except (urllib.error.URLError, OSError, ValueError):
        return key, 0, ""  # no answer: the server died under us


def test_submissions_survive_sigkill_and_keys_never_duplicate(server_env):
    port = _free_port()
    proc = _start(server_env, port)
    jobs = [(f"burst-{i}", i) for i in range(KEYS) for _ in range(2)]  # every key twice at once
    answers: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    killed = threading.Event()

    def fire(job: tuple[str, int]) -> None:
        result = _submit(port, *job)
        with lock:
            answers.append(result)
            if len([a for a in answers if a[1] == 201]) >= KEYS // 2 and not killed.is_set():
                killed.set()
                os.kill(proc.pid, signal.SIGKILL)

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(fire, jobs))
        proc.wait(timeout=10)
        assert killed.is_set(), "the burst finished before the kill"
        assert all(status in (201, 0) for _, status, _ in answers), answers
        codes: dict[str, set[str]] = {}
        for key, status, code in answers:
            if status == 201:
                codes.setdefault(key, set()).add(code)
        unanswered = {key for key, _ in jobs} - set(codes)
        assert unanswered, "nothing was left unanswered: the kill came too late"

        proc = _start(server_env, port)
        with ThreadPoolExecutor(max_workers=8) as pool:
            retried = list(pool.map(lambda k: _submit(port, k, int(k.split("-")[1])),
                                    sorted(set(codes) | unanswered)))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)

    for key, status, code in retried:
        assert status == 201, (key, status)
        codes.setdefault(key, set()).add(code)
    # One key, one code: before the crash, across the two racing threads, and after it.
    assert all(len(c) == 1 for c in codes.values()), codes
    assert len(codes) == KEYS
    with _admin_conn(DBNAME) as conn:
        stored = {r[0] for r in conn.execute("SELECT query_code FROM petitions_matter")}
        matters = conn.execute("SELECT count(*) FROM petitions_matter").fetchone()[0]
        keys = conn.execute("SELECT count(*) FROM petitions_idempotencykey").fetchone()[0]
    answered = {next(iter(c)) for c in codes.values()}
    assert answered <= stored  # every code ever answered with 201 is durable
    assert matters == keys == KEYS  # no key produced two matters, none was lost
