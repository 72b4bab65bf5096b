"""What the demo seeder plans and reports: a matter's steps, its plan, the result."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from xinfang.org.models import Body, User
from xinfang.petitions.models import Channel

Data = Callable[[date], dict[str, Any]]
# How often each channel comes in (the showcase cycles through them too).
CHANNEL_WEIGHTS = [(Channel.ONLINE, 34), (Channel.VISIT, 20), (Channel.LETTER, 15),
                   (Channel.PHONE, 15), (Channel.QR, 8), (Channel.SUPERIOR, 6), (Channel.FAX, 2)]


@dataclass
class Step:
    kind: str  # a transition name, or assist_reply / submit_report / supervise
    days: float  # after the previous step (0 = later the same day)
    user: User | None = None
    citizen: bool = False
    data: Data | None = None


@dataclass
class Plan:
    reg: dict[str, Any]
    holder: Body
    reg_user: User | None
    steps: list[Step]
    received_at: datetime | None = None
    matter_id: int | None = None
    showcase: str = ""
    exact: bool = False  # showcase: steps at exact offsets so the plan ends where intended

    def span_days(self) -> float:
        return sum(max(s.days, 0.1) for s in self.steps)


@dataclass
class SeedResult:
    matters: int = 0
    steps: int = 0
    failed: int = 0
    seconds: float = 0.0
    states: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        return (f"{self.matters} matters, {self.steps} steps ({self.failed} refused) in "
                f"{self.seconds:.1f}s; states {dict(self.states)}; channels {dict(self.channels)}")


# Steps the seeder uses in several plans.
def rate(days: int, rating: str) -> Step:
    comment = {"satisfied": "办理及时，问题已解决", "basic": "基本解决，希望继续跟进"}[rating]
    return Step("rate_satisfied", days, citizen=True,
                data=lambda t: {"rating": rating, "comment": comment})


def review(kind: str, days: int, user: User) -> Step:
    return Step(kind, days, user, data=lambda t: {
        "review_outcome": "upheld", "facts": "经复查，原处理意见认定事实清楚，证据充分",
        "opinion": "维持原处理意见", "legal_basis": "《信访工作条例》第三十五条、第三十六条",
        "served_on": t.isoformat(), "service_method": "邮寄"})


def redo_order(days: int, user: User) -> Step:
    """鲁 §45: the 复查 body sets the opinion aside and orders the unit to answer again."""
    return Step("order_redo_review", days, user, data=lambda t: {
        "review_outcome": "redo", "facts": "原处理意见认定的主要事实不清、证据不足",
        "opinion": "撤销原处理意见，责令原办理单位重新调查后作出处理意见",
        "legal_basis": "《信访工作条例》第三十五条；山东省信访条例第四十五条",
        "redo_days": 30, "served_on": t.isoformat(), "service_method": "邮寄"})
