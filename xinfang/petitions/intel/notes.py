"""After a staff registration: the category choice is recorded, and the officer is told
what happened to the repeat (§19 ¶3).

Indexing (the ``matter_registered`` signal, ``index``) and the 提级核查 of a repeat after a
reply (§40, ``XINFANG_REPEAT_AFTER_REPLY = "escalate"``) happen inside
``services.register`` for every channel: the service writes the 督办, its event and its
audit row. Here nothing is written to a matter but through services."""

from __future__ import annotations

from typing import Any

from xinfang.org.models import User

from .. import access, services
from ..models import Matter, Supervision
from .suggestions import CORRECTED, record_category_choice

after_reply = services.is_after_reply


def after_register(matter: Matter, user: User | None, suggestions: list[dict[str, Any]]
                   ) -> list[str]:
    """Bookkeeping after a staff registration: the category event, and messages for the
    officer. The original's number is named only to a user who may open it (§30 ¶3)."""
    notes: list[str] = []
    label = record_category_choice(matter, suggestions, user)
    if label == CORRECTED:
        notes.append("已记录分类更正，将用于下次训练分类模型")
    original = matter.repeat_of
    if original is not None and Supervision.objects.filter(
            matter=matter, note=services.ESCALATE_NOTE).exists():
        named = user is not None and access.can_open(user, original)
        which = f"原件 {original.number}" if named else "原件（无权查看）"
        notes.append(f"{which} 已答复，已发出督办：{services.ESCALATE_NOTE}")
    return notes
