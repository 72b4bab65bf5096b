"""The notification job (``xinfang worker``, job ``notify``): what no act triggers.

- **Windows about to close** (§35, §36): ``XINFANG_WINDOW_NOTICE_DAYS`` (default 5) days before
  a 复查 (D8) or 复核 (D10) window ends, the petitioner is told — once per window: the notice
  is a timeline event (``notify_window``), and the event is what the planner turns into
  deliveries.
- **Lost tasks**: deliveries still queued long after their time are enqueued again.
- **Daily digest** (``digest``, once a day): a staff member who chose 每日汇总 gets one e-mail
  with the day's held notices, which are then marked 已汇总发送.

临期/超期 notices to units come from the deadline sweep's own 临期提醒/超期督办 events (the
days before are each time limit's 临期提醒（天）, ``ClockPolicy.warn_days``, in the admin).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.domain import states as st
from xinfang.org.models import User
from xinfang.petitions import clocks
from xinfang.petitions.models import Clock, Event
from xinfang.petitions.services import record_event

from . import delivery, messages
from .models import Delivery

WINDOW_STATES = (st.State.REPLIED, st.State.REVIEWED, st.State.HANDLING, st.State.CLOSED)


def run(today: date | None = None) -> dict[str, Any]:
    return {"windows": windows_closing(today), "requeued": delivery.requeue_stale()}


def windows_closing(today: date | None = None) -> int:
    today = today or clocks.today()
    days = int(settings.XINFANG_WINDOW_NOTICE_DAYS)
    due = (Clock.objects.filter(met_on__isnull=True, owed_by_petitioner=True,
                                code__in=clocks.PETITIONER_WINDOWS, due_on__gte=today,
                                due_on__lte=today + timedelta(days=days),
                                matter__state__in=[s.value for s in WINDOW_STATES])
           .select_related("matter"))
    n = 0
    for clock in due:
        if Event.objects.filter(matter_id=clock.matter_id, action="notify_window",
                                data__clock=clock.pk).exists():
            continue
        window = "复核" if clock.code == "D10" else "复查"
        with transaction.atomic():
            m = clock.matter
            record_event(m, "notify_window", gettext_noop("提醒信访人申请期限将届满"), m.state,
                         m.state, None, "系统", note=f"申请{window}期限 {clock.due_on:%Y-%m-%d} 届满",
                         public=False, data={"clock": clock.pk, "code": clock.code,
                                             "due_on": f"{clock.due_on:%Y年%m月%d日}"})
        n += 1
    return n


def digest(now: Any = None) -> dict[str, int]:
    """One e-mail per staff member with the notices held for the digest."""
    held = (Delivery.objects.filter(status=Delivery.Status.HELD, channel=Delivery.Channel.EMAIL,
                                    user__isnull=False)
            .select_related("matter").order_by("user_id", "created_at", "id"))
    by_user: dict[int, list[Delivery]] = defaultdict(list)
    for d in held:
        assert d.user_id is not None
        by_user[d.user_id].append(d)
    sent = 0
    for user_id, items in by_user.items():
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None or not user.email:
            Delivery.objects.filter(pk__in=[d.pk for d in items]).update(
                status=Delivery.Status.SKIPPED, last_error="收件人已停用或没有邮箱")
            continue
        lines = [f"{timezone.localtime(d.created_at):%m-%d %H:%M} {d.subject}" for d in items]
        text = "\n".join([f"{user}：今日待办通知 {len(items)} 条", "", *lines, "",
                          f"工作台：{messages.public_url()}/"])
        with transaction.atomic():
            summary = Delivery.objects.create(
                kind="digest", audience=Delivery.Audience.STAFF, channel=Delivery.Channel.EMAIL,
                user=user, recipient=user.email, recipient_label=str(user)[:100],
                subject=f"信访工作每日汇总（{len(items)} 条）", text=text,
                data={"items": [d.pk for d in items]})
            Delivery.objects.filter(pk__in=[d.pk for d in items]).update(
                status=Delivery.Status.DIGESTED)
            delivery.enqueue_after_commit([summary.pk])
        sent += 1
    return {"digests": sent, "items": sum(len(v) for v in by_user.values())}
