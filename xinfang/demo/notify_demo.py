"""The demo's notifications: a local SMTP server (aiosmtpd, recipes §12) that keeps every
e-mail in ``var/mail/`` and logs it, and a thread that delivers queued notifications (the
job queue's worker loop) and runs the notification job (windows about to close, the digest).
Texts go to the console through the log SMS adapter. Development only (xinfang.demo)."""

from __future__ import annotations

import logging
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

log = logging.getLogger("xinfang.mail")


class MailDrop:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.n = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.n += 1
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{self.n:04d}.eml"
        path.write_bytes(envelope.original_content)
        log.info("mail to %s: %s (%s)", ", ".join(envelope.rcpt_tos), msg["Subject"], path.name)
        return "250 OK"


def start_mailbox(port: int = 8025) -> Any:
    """The local SMTP server, and Django's mail pointed at it."""
    from aiosmtpd.controller import Controller

    folder = Path(settings.VAR_DIR) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    ctl = Controller(MailDrop(folder), hostname="127.0.0.1", port=port)
    ctl.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return ctl


def _loop(interval: int) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    from xinfang.notify import sweep

    last_job = 0.0
    last_digest = ""
    while True:
        try:
            Worker(queue_names=["default"], interval=1.0, batch=True, backend_name="default",
                   startup_delay=False, max_tasks=None, worker_id="demo",
                   excluded_queue_names=[]).run()
            if time.monotonic() - last_job > interval:
                sweep.run()
                last_job = time.monotonic()
            today = time.strftime("%Y-%m-%d")
            if today != last_digest:
                sweep.digest()
                last_digest = today
        except Exception:  # keep the demo's deliveries going; the next round retries
            log.exception("demo notification loop failed")
        finally:
            close_old_connections()
            connection.close()
        time.sleep(2)


def start_delivery(interval: int) -> threading.Thread:
    t = threading.Thread(target=_loop, args=(interval,), name="xinfang-notify", daemon=True)
    t.start()
    return t
