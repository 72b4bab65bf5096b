"""Staff pages (issue 2 §9): my queue, the matter page with its actions, registration.
One module per page or use case:

- ``work_queue``: 我的待办, the desk's queue with its tabs;
- ``matter``: the matter page and the helpers every act on it shares (re-render with the
  error, redirect with a message, the POST-act helper);
- ``matter_acts``: the acts posted from the matter page (transitions, 办结报告, 督办, 协办,
  identity reveal);
- ``correction``: 更正登记信息 (issue 16 item 4);
- ``documents``: the 文书 as HTML and PDF;
- ``files``: attachments, upload and download;
- ``registration``: 登记 and its 查重 panel;
- ``urgent``: 重大紧急 (§25) — declare, record a measure, mark a report sent.

Views are thin: parse a form → access helper → one service call → redirect or re-render.
Every DomainError becomes its Chinese message with the error's own status (400/403/409).
"""

from __future__ import annotations

from .citizen_side import matter_ask, matter_settle, matter_settle_code
from .correction import matter_correct
from .documents import document_html, document_pdf
from .files import attachment_download, matter_attach
from .follow_up import matter_follow_up
from .matter import matter_detail
from .matter_acts import (
    matter_action,
    matter_assign_handler,
    matter_assist,
    matter_confirm_lapse,
    matter_implementation,
    matter_personnel_notice,
    matter_recuse,
    matter_report,
    matter_supervise,
    reveal_identity,
)
from .registration import register, register_repeats
from .urgent import matter_urgent
from .work_queue import queue, queue_badges

__all__ = [
    "attachment_download",
    "document_html",
    "document_pdf",
    "matter_action",
    "matter_ask",
    "matter_assign_handler",
    "matter_assist",
    "matter_attach",
    "matter_confirm_lapse",
    "matter_correct",
    "matter_detail",
    "matter_follow_up",
    "matter_implementation",
    "matter_personnel_notice",
    "matter_recuse",
    "matter_report",
    "matter_settle",
    "matter_settle_code",
    "matter_supervise",
    "matter_urgent",
    "queue",
    "queue_badges",
    "register",
    "register_repeats",
    "reveal_identity",
]
