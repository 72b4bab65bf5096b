"""gunicorn's access log without personal data (issue 14 item 13): the request line and the
query string of each line go through ``xinfang.core.logs.scrub_urls``. deploy/gunicorn.conf.py
names this class as ``logger_class``. Imported by gunicorn only (never by Django)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from .logs import scrub_urls


class ScrubbingLogger(Logger):  # type: ignore[misc]  # gunicorn has no type hints
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():  # the request line, referer, raw URI, headers …
            if not isinstance(value, str) or "=" not in value:
                continue
            if key in ("q", "{query_string}e"):  # a bare query string
                atoms[key] = scrub_urls("?" + value)[1:]
            else:
                atoms[key] = scrub_urls(value)
        return atoms
