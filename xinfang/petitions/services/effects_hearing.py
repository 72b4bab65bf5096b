"""Effects of the §36 ¶2 hearing in a 复核: the request record, the pause of D11, its end.

§36 ¶2: "复核机关、单位可以按照本条例第三十一条第六项的规定举行听证，经过听证的复核意见可以依法向
社会公示。听证所需时间不计算在前款规定的期限内。" The rules on the dates are in
``xinfang.domain.deadlines.hearing_refusal``; the paused days are kept on the clock and on the
hearing record, and shown on the matter page and in the API (``clocks.view``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from xinfang.domain import deadlines as dl
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import User

from .. import clocks
from ..models import Clock, Hearing, Matter
from .effects_intake import _as_date


def _fx_start_hearing(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    d11 = Clock.objects.filter(matter=m, code="D11", met_on__isnull=True).order_by(
        "-id").first()
    if d11 is None or m.recheck_body is None:
        raise GuardFailed("没有正在计算的复核期限，不能举行听证中止期限（§36 ¶2）")
    requested_on = _as_date(data["hearing_requested_on"])
    hearing_on = _as_date(data["hearing_on"])
    refusal = dl.hearing_refusal(requested_on=requested_on, hearing_on=hearing_on,
                                 recheck_received_on=d11.started_on, due_on=d11.due_on,
                                 today=today)
    if refusal:
        raise GuardFailed(refusal)
    requester = Hearing.Requester(str(data["hearing_requested_by"]))
    Hearing.objects.create(matter=m, body=m.recheck_body, requested_by=requester,
                           requested_on=requested_on, decided_by=u, started_on=hearing_on)
    clocks.pause(d11, hearing_on)
    return (f"{requester.label}（{requested_on:%Y-%m-%d}），{hearing_on:%Y-%m-%d}举行听证；"
            f"听证时间不计入复核期限（§36 ¶2）")


def _fx_end_hearing(m: Matter, u: User | None, data: Mapping[str, Any], today: date) -> str:
    hearing = Hearing.objects.filter(matter=m, ended_on__isnull=True).order_by("-id").first()
    paused = 0
    for c in clocks.open_clocks(m, "D11"):
        paused = clocks.paused_so_far(c, today)
        clocks.resume(c, today)
    if hearing is not None:
        hearing.ended_on, hearing.conclusion = today, str(data["conclusion"])
        hearing.paused_days = paused
        hearing.save(update_fields=["ended_on", "conclusion", "paused_days"])
    return f"听证结束（{paused}日不计入复核期限，§36 ¶2）：{data['conclusion']}"
