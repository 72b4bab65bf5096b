"""回访 (issue 16 item 2): the call after an answer, and a rating given in it.

The officer records who called whom, when, by which channel and what the petitioner said. A
rating given in the call is recorded on the petitioner's behalf (§21 ¶2): a new one through
the rating transition, with the call as its record; a changed one replaces the rating of the
same answer while the matter still waits on it (已答复), keeping the old rating in the call's
record. A rating by staff without a call record is refused (``effects_handling._fx_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.domain import states as st
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import User

from .. import clocks, permissions, tally
from ..models import Evaluation, FollowUp, Matter
from .records import record_event
from .transitions import transition

MAX_OPINION = 1000


@dataclass(frozen=True)
class FollowUpIn:
    contact_at: datetime
    channel: str
    opinion: str
    direction: str = FollowUp.Direction.OUT
    petitioner_id: int | None = None
    rating: str = ""  # blank: the call does not change the rating


def record_follow_up(matter: Matter, *, user: User, data: FollowUpIn) -> FollowUp:
    opinion = data.opinion.strip()
    if not opinion:
        raise GuardFailed("请填写信访人的意见")
    if len(opinion) > MAX_OPINION:
        raise GuardFailed(f"“信访人意见”不能超过{MAX_OPINION}字")
    if data.channel not in FollowUp.Channel.values:
        raise GuardFailed("请选择回访方式")
    if data.direction not in FollowUp.Direction.values:
        raise GuardFailed("请选择联系方向")
    if data.rating and data.rating not in Evaluation.Rating.values:
        raise GuardFailed("评价应为满意、基本满意或不满意")
    now = timezone.now()
    if data.contact_at > now + timedelta(minutes=5):
        raise GuardFailed("回访时间不能晚于现在")
    with transaction.atomic():
        matter = Matter.objects.select_for_update(of=("self",)).get(pk=matter.pk)
        permissions.require(user, "follow_up", matter=matter)
        if matter.replied_on is None:
            raise GuardFailed("事项答复后方可回访")
        if data.contact_at.date() < matter.replied_on - timedelta(days=1):
            raise GuardFailed(f"回访时间不能早于答复日期（{matter.replied_on:%Y-%m-%d}）")
        petitioner = None
        if data.petitioner_id is not None:
            petitioner = matter.petitioners.filter(pk=data.petitioner_id).first()
            if petitioner is None:
                raise GuardFailed("被回访人应为本事项的信访人")
        current = matter.evaluations.filter(round=matter.redo_count).first()
        if data.rating:
            _may_rate_on_behalf(matter, user, current)
        fu = FollowUp.objects.create(
            matter=matter, round=matter.redo_count, direction=data.direction, staff=user,
            petitioner=petitioner, contact_at=data.contact_at, channel=data.channel,
            opinion=opinion, rating_before=current.rating if current else "",
            rating=data.rating if data.rating and (current is None
                                                   or current.rating != data.rating) else "")
        channel = FollowUp.Channel(data.channel).label
        note = f"{channel}回访（{data.contact_at:%Y-%m-%d %H:%M}）：{opinion[:200]}"
        record_event(matter, "follow_up", gettext_noop("回访"), matter.state, matter.state, user,
                     "", note=note, public=False,
                     data={"follow_up": fu.pk, "channel": data.channel,
                           "rating": fu.rating, "rating_before": fu.rating_before})
        audit.record("follow_up", actor=user, object_type="follow_up", object_id=fu.pk,
                     matter_id=matter.pk, data={"channel": data.channel, "rating": fu.rating,
                                                "rating_before": fu.rating_before})
        if fu.rating:
            _apply_rating(matter, user, fu, current)
            tally.refresh(matter.pk)  # 参评率, 参评满意率
    return fu


def _may_rate_on_behalf(matter: Matter, user: User, current: Evaluation | None) -> None:
    """A rating is the petitioner's (§21 ¶2). Staff record one for them only from a call, never
    over one the petitioner gave themself, and never for the unit's own handling: the unit
    being rated does not rate itself (issue 14 item 7's attack through another door)."""
    if current is not None and not current.on_behalf:
        raise GuardFailed("信访人已自行评价：回访只能记录意见，不能改变信访人本人的评价（§21 ¶2）")
    handling = {matter.lead_body_id} | set(
        matter.dispatches.exclude(role="assist").values_list("to_body_id", flat=True))
    if user.body_id is not None and user.body_id in handling - {matter.holder_id}:
        raise GuardFailed("办理单位不能代信访人登记对本单位办理工作的评价，请由信访部门回访登记")


def _apply_rating(matter: Matter, user: User, fu: FollowUp, current: Evaluation | None) -> None:
    if current is None:
        name = ("rate_unsatisfied" if fu.rating == Evaluation.Rating.UNSATISFIED
                else "rate_satisfied")
        transition(matter, name, user=user, data={"rating": fu.rating, "comment": fu.opinion,
                                                  "follow_up": fu.pk})
        return
    # A changed rating recorded on the petitioner's behalf (never their own, see
    # _may_rate_on_behalf), while the matter still waits on it: a 不满意 that led to a 重办 or
    # a 复查 request cannot be taken back by a call.
    if matter.state != st.State.REPLIED:
        raise GuardFailed("事项已进入重新办理或复查程序，回访不能改变原评价")
    # Saved through the model, not ``update()``: the comment is sealed on a confidential matter.
    current.rating, current.comment, current.on_behalf = fu.rating, fu.opinion[:1000], True
    current.follow_up, current.at = fu, timezone.now()
    current.matter = matter
    current.save(update_fields=["rating", "comment", "on_behalf", "follow_up", "at"])
    before = Evaluation.Rating(current.rating).label
    after = Evaluation.Rating(fu.rating).label
    record_event(matter, "rating_changed", gettext_noop("回访改变评价"), matter.state,
                 matter.state, user, "", note=f"评价由“{before}”改为“{after}”（代信访人登记，据回访记录）",
                 public=True, data={"follow_up": fu.pk, "from": current.rating, "to": fu.rating})
    audit.record("rating_changed", actor=user, object_type="evaluation", object_id=current.pk,
                 matter_id=matter.pk, data={"from": current.rating, "to": fu.rating,
                                            "follow_up": fu.pk})


def awaiting_follow_up(matters: QuerySet[Matter], days: int | None = None) -> QuerySet[Matter]:
    """Answered matters with no 回访 of their current answer ``days`` (setting
    ``XINFANG_FOLLOW_UP_DAYS``) after it: the supervision page lists them."""
    days = settings.XINFANG_FOLLOW_UP_DAYS if days is None else days
    cutoff = clocks.today() - timedelta(days=days)
    done = FollowUp.objects.filter(matter=OuterRef("pk"), round=OuterRef("redo_count"))
    return (matters.filter(replied_on__isnull=False, replied_on__lte=cutoff)
            .exclude(state__in=[st.State.ARCHIVED])
            .filter(~Exists(done)).order_by("replied_on", "id"))
