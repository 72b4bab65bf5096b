"""Time-based one-time passwords (RFC 6238, SHA-1, 6 digits, 30 s) for staff log-in.

Small enough to own: the standard authenticator apps read the otpauth:// URI shown as a QR
code. Secrets are stored encrypted (User.totp_secret is an EncryptedTextField).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

STEP = 30
DIGITS = 6


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    s = secret.strip().replace(" ", "").upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def code_at(secret: str, for_time: float) -> str:
    counter = int(for_time // STEP)
    mac = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def verify(secret: str, code: str, *, at: float | None = None, window: int = 1) -> bool:
    """Accept the current step and ``window`` steps either side (clock drift)."""
    code = (code or "").strip().replace(" ", "")
    if not secret or len(code) != DIGITS or not code.isdigit():
        return False
    now = time.time() if at is None else at
    return any(hmac.compare_digest(code_at(secret, now + i * STEP), code)
               for i in range(-window, window + 1))


def provisioning_uri(secret: str, username: str, issuer: str = "Xinfang") -> str:
    label = quote(f"{issuer}:{username}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits={DIGITS}&period={STEP}"
