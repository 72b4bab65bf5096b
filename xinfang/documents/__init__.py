"""Rendering of issued documents (文书, procedure.md §6) to HTML and PDF.

Plain module, not a Django app: it reads ``Document`` rows and their stored ``context``
snapshot, and renders ``xinfang/templates/documents/<kind>.html``.
"""

from __future__ import annotations

from .render import REDACTED, render_html, render_pdf

__all__ = ["REDACTED", "render_html", "render_pdf"]
