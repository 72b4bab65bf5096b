"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd, recipes §12): never a mock.

``smtpd`` (a fixture, imported by the conftests that need it) starts the server, points
Django's SMTP backend at it and yields the handler; ``handler.messages`` holds
``(mail_from, rcpt_tos, message)`` with ``message`` parsed by ``policy.default`` (decoded
subject, body and attachments).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest


class Collect:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for _, rcpts, m in self.messages if address in rcpts]

    @staticmethod
    def text(msg: EmailMessage) -> str:
        body = msg.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtpd(settings: Any) -> Iterator[Collect]:
    from aiosmtpd.controller import Controller

    handler = Collect()
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    # pytest-django forces the locmem backend in every test: back to SMTP here (recipes §12).
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = ctl.hostname, ctl.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    ctl.stop()
