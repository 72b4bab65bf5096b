"""Shared by the practice services: the audit row, today's date, the subtree filter."""

from __future__ import annotations

from datetime import date
from typing import Any

from xinfang.audit import services as audit
from xinfang.domain import states as st
from xinfang.org.models import User
from xinfang.petitions import clocks

from ..indicator_scope import subtree

R = st.Role
DONE_STATES = frozenset({st.State.FINAL, st.State.CLOSED, st.State.ARCHIVED})
# A matter counts as 办结 for a visit item once the unit has answered it.
ANSWERED_STATES = DONE_STATES | {st.State.REPLIED, st.State.REVIEW_REQUESTED, st.State.REVIEWED,
                                 st.State.RECHECK_REQUESTED, st.State.RECHECK_HEARING}


def _today() -> date:
    return clocks.today()


def _audit(action: str, user: User | None, obj: Any, *, matter_id: int | None = None,
           label: str = "", **data: Any) -> None:
    audit.record(action, actor=user, actor_label=label, object_type=obj._meta.model_name,
                 object_id=obj.pk, matter_id=matter_id, data=data)


# The division and everything below it: one definition with the indicators'.
_subtree = subtree

