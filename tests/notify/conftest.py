from __future__ import annotations

from tests.smtpbox import smtpd  # noqa: F401  (the local SMTP server fixture)
