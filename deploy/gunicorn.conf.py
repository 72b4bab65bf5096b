"""gunicorn settings for Xinfang (`make serve`, deploy/systemd/xinfang-web.service).

Threaded workers: (2 × cores) + 1 processes of XINFANG_THREADS threads each. Every process has
its own PostgreSQL pool of XINFANG_DB_POOL_SIZE connections (keep it ≥ the threads), so the
server sees at most workers × pool size connections from the web, whatever the number of
clients (docs/operations.md, "Connections").
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

bind = os.environ.get("XINFANG_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("XINFANG_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("XINFANG_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
# A saturated worker leaves a client's next request waiting in the poller; a short keep-alive
# would close that connection as idle (measured: 50 of 400 at 64 clients with 5 s).
keepalive = 30
# A worker is replaced after this many requests (slow leaks never pile up).
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("XINFANG_ACCESS_LOG", "-")
# Phones, ID numbers, names and query codes in query strings are masked (issue 14 item 13).
logger_class = "xinfang.core.accesslog.ScrubbingLogger"
errorlog = "-"
# The TLS proxy on this host; its X-Forwarded-* headers are trusted from there only.
forwarded_allow_ips = os.environ.get("XINFANG_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn 27 opens ~/.gunicorn/gunicorn.ctl by default, shared by every instance (recipes §9).
control_socket_disable = True
wsgi_app = "xinfang.wsgi:application"


def on_starting(server: Any) -> None:
    """Prometheus multi-process files of an earlier run would add up with this run's."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        Path(path).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
