"""The peer in the same run: django-helpdesk through ``../shared/peer`` (issue 19 item 6).

``run_peer`` installs the peer (its own venv, ``setup.sh``), points it at the same kind of
database as ours — the SQLite file in WAL mode, or a database ``peer`` on the same
PostgreSQL server — runs its ``bench.py`` for N tickets and returns its JSON line. Where the
harness is absent (a machine without ``../shared``) it says so and the bench goes on.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection


def peer_dir() -> Path | None:
    d = Path(os.environ.get("XINFANG_PEER_DIR", settings.PROJECT_DIR.parent / "shared" / "peer"))
    return d if (d / "bench.py").exists() and (d / "setup.sh").exists() else None


def _peer_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "XINFANG_", "DATABASE_URL", "VIRTUAL_ENV"))}
    if connection.vendor == "postgresql":
        ours = urlsplit(os.environ["DATABASE_URL"])
        url = urlunsplit((ours.scheme, ours.netloc, "/peer", "", ""))
        _ensure_database("peer")
        env["PEER_DB_URL"] = url
    else:
        env["PEER_SQLITE_WAL"] = "1"  # our SQLite runs WAL: compare like with like
    return env


def _ensure_database(name: str) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')


def run_peer(n: int, log: Any = print) -> dict[str, Any] | None:
    d = peer_dir()
    if d is None:
        log("对照基准（django-helpdesk）不在此机器上（../shared/peer 缺失），跳过")
        return None
    env = _peer_env()
    log(f"对照基准：安装并运行 django-helpdesk（{d}，N={n}，"
        f"{'PostgreSQL' if 'PEER_DB_URL' in env else 'SQLite WAL'}）")
    subprocess.run(["bash", str(d / "setup.sh")], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    venv = Path(env.get("PEER_VENV", "/tmp/peer-venv"))
    done = subprocess.run([str(venv / "bin" / "python"), str(d / "bench.py"), str(n)], env=env,
                          check=True, stdout=subprocess.PIPE, text=True)
    line = [ln for ln in done.stdout.splitlines() if ln.strip().startswith("{")][-1]
    result: dict[str, Any] = json.loads(line)
    return result


def ratios(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, float | None]:
    """How many times better we are on each figure (> 1: ours is faster)."""
    def faster(our_ms: Any, peer_ms: Any) -> float | None:
        return round(float(peer_ms) / float(our_ms), 1) if our_ms and peer_ms else None

    out: dict[str, float | None] = {}
    if ours.get("register_per_s") and peer.get("create_per_s"):
        out["intake"] = round(float(ours["register_per_s"]) / float(peer["create_per_s"]), 2)
    # Like with like: the peer's list and search are p95 over HTTP, its statistics and
    # dashboard the median of a few runs, its memory the peak of the process.
    pairs = {"queue_p95": ("queue_page_http_p95_ms", "list_p95_ms"),
             "search_p95": ("search_http_p95_ms", "search_p95_ms"),
             "statistics": ("stats_p50_ms", "stats_ms"),
             "dashboard": ("dashboard_http_p50_ms", "dashboard_view_ms"),
             "memory": ("rss_mb", "rss_mb")}
    for name, (ours_key, peer_key) in pairs.items():
        if ours_key in ours and peer_key in peer:
            out[name] = faster(ours[ours_key], peer[peer_key])
    return out
