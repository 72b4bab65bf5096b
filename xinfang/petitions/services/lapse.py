"""A supervisor confirms that a petitioner's window lapsed on an estimated date (issue 13 item 4).

The sweep closes a matter whose 复查/复核 window (D8 §35, D10 §36 ¶1) ran out without a
request (local rule: 京 §37 (三), 鲁 §33 ¶3, ``close_on_review_window_lapse``). When the end of
that window was computed from an estimated holiday table (the State Council schedule of the
year is not published or not yet confirmed), the sweep does not close it: in doubt, for the
petitioner. The window stays open and the clock shows 待确认 until either an administrator
confirms the year's table (the clock is recomputed and the sweep closes it on the official
date) or a 督查 or an administrator confirms the closure here, by name, with a reason: the
same ``close_lapsed`` transition, its event and its audit row naming the person.
"""

from __future__ import annotations

from datetime import date

from xinfang.domain.errors import GuardFailed
from xinfang.org.models import User

from .. import clocks, permissions
from ..models import Matter
from .transitions import transition


def confirm_lapse(matter: Matter, *, user: User, reason: str, on: date | None = None) -> Matter:
    """Close ``matter`` on its lapsed petitioner's window whose end rests on an estimate."""
    permissions.require(user, "confirm_lapse", matter=matter)
    reason = reason.strip()
    if not reason:
        raise GuardFailed("请写明确认期限届满的理由（如已核对当年国务院办公厅节假日安排）")
    today = on or clocks.today()
    pending = clocks.pending_lapses(matter, today)
    if not pending:
        raise GuardFailed("该事项没有按估算节假日计算且已届满的复查（复核）请求期限，无需确认")
    ends = "、".join(f"{c.code} {c.due_on:%Y-%m-%d}" for c in pending)
    return transition(matter, "close_lapsed", user=user, system=True, on=today, data={
        "reason": f"经{user}确认请求期限届满（{ends}，按估算节假日计算）：{reason}",
        "confirmed_by": user.pk,
    })
