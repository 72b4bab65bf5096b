"""The demo a newcomer sees, and the work queue every page starts from."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.petitions.helpers import register
from xinfang.audit.services import verify
from xinfang.domain.states import State
from xinfang.org.models import User
from xinfang.petitions import services
from xinfang.petitions.models import Channel, Document, Event, Matter, Supervision
from xinfang.petitions.queries import matter_page_data, queue_page

pytestmark = pytest.mark.django_db

DEMO_USERS = ["dengji", "xinfang", "ducha", "lingdao", "admin", "chengban", "fuzeren", "xianfu",
              "shixinfang", "renshe", "chengguan"]


def test_small_seed_shows_every_state_channel_class_and_fills_every_demo_queue():
    from xinfang.demo.seed import seed

    res = seed(60)
    assert res.matters == 60
    states = set(Matter.objects.values_list("state", flat=True))
    assert {s.value for s in State} - states == set(), res.summary()
    assert set(Matter.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert set(Matter.objects.values_list("klass", flat=True)) == {"appeal", "suggestion", "report"}
    assert Matter.objects.filter(closure_kind="referred_discipline", klass="report").exists()
    assert Matter.objects.filter(closure_kind="referred_political_legal",
                                 legal_litigation=True).exists()
    assert Matter.objects.filter(channel="superior").exclude(source_doc_no="").exists()
    assert not Matter.objects.filter(channel="superior", source_doc_no="").exists()
    # Written by the services, not faked: a receipt and a registration event per matter,
    # an intact audit chain, and the sweep's 督办 on what is overdue today.
    assert Document.objects.filter(kind="receipt").count() == Matter.objects.count()  # + reception-day matters
    assert Event.objects.filter(action="register").count() == Matter.objects.count()
    assert verify().ok
    today = timezone.localdate()
    assert Matter.objects.filter(next_due__lt=today).exists()
    assert Supervision.objects.filter(kind="overdue", resolved_at__isnull=True).exists()
    for username in DEMO_USERS:
        user = User.objects.select_related("body__division").get(username=username)
        page = queue_page(user, "all")
        assert page.rows, f"{username} has an empty queue"
        assert all(m.state in {s.value for s in State} - {"closed", "final", "archived"}
                   for m in page.rows)
    officer = User.objects.get(username="xinfang")
    data = matter_page_data(officer, page.rows[0].pk)
    assert data.petitioners or data.matter.is_anonymous
    assert data.events[0].action == "register"
    # Seeded under the rules of issue 13: no unit refused a forwarded matter itself (§23 ¶3),
    # no 复核 that ordered a redo ended the matter as final (鲁 §45), no petitioner's window
    # was closed on an estimated holiday date.
    refused = Event.objects.filter(action="not_accept")
    assert not refused.filter(from_state__in=["signed", "dispatched"]).exists()
    redone = set(Event.objects.filter(action__in=["order_redo_review", "order_redo_recheck"])
                 .values_list("matter_id", flat=True))
    assert redone  # the showcase: a 复查 that set the opinion aside
    for matter_id in redone:
        actions = list(Event.objects.filter(matter_id=matter_id).order_by("at", "id")
                       .values_list("action", flat=True))
        last = max(i for i, a in enumerate(actions) if a.startswith("order_redo"))
        # after the order comes a new answer (or the matter is still being redone), never 终结
        assert "issue_recheck" not in actions[last + 1:last + 2], actions
        assert Matter.objects.get(pk=matter_id).state != "final" or "reply" in actions[last:]
    assert not Event.objects.filter(
        action="close_lapsed", matter__clocks__code__in=["D8", "D10"],
        matter__clocks__estimated=True, matter__clocks__met_on__isnull=False).exists()
    assert Event.objects.filter(action="request_redo").exists()  # 不满意, then a chosen redo


def test_queue_tabs_sort_by_nearest_deadline_and_keep_to_the_users_body(county):
    officer, handler = county.users["officer"], county.users["handler"]
    zj, rs = county.dept("住建"), county.dept("人社")
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=25), tick=False):
        old = register(county, now - timedelta(days=25))  # D1 long past: 超期
    with time_machine.travel(now - timedelta(days=1), tick=False):
        fresh = register(county, now - timedelta(days=1), phone="13900000001")
        sent = register(county, now - timedelta(days=1), phone="13900000002")
        sent = services.transition(sent, "forward", user=officer, data={"to_body": zj.pk})
        doing = register(county, now - timedelta(days=1), phone="13900000003")
        services.transition(doing, "forward", user=officer, data={"to_body": zj.pk})
        services.transition(doing, "sign", user=handler)
        doing = services.transition(doing, "accept", user=handler, data={"route": "§31（六）"})
        other = register(county, now - timedelta(days=1), phone="13900000004")
        other = services.transition(other, "forward", user=officer, data={"to_body": rs.pk})
        replied = register(county, now - timedelta(days=1), phone="13900000005")
        services.transition(replied, "forward", user=officer, data={"to_body": zj.pk})
        services.transition(replied, "sign", user=handler)
        services.transition(replied, "accept", user=handler, data={"route": "§31（六）"})
        replied = services.transition(replied, "reply", user=handler, data={
            "outcome": "explained", "facts": "f", "opinion": "o", "legal_basis": "b",
            "served_on": timezone.localdate(now - timedelta(days=1)).isoformat(),
            "service_method": "当面"})

    def ids(user, tab, **kw):
        return [m.pk for m in queue_page(user, tab, **kw).rows]

    assert ids(officer, "todo") == [old.pk, fresh.pk]  # nearest deadline first
    assert ids(officer, "overdue") == [old.pk]
    assert ids(officer, "all")[0] == old.pk
    assert set(ids(officer, "sign")) == {sent.pk, other.pk}  # what the 信访局 dispatched
    # The 住建 handler sees only what was sent to 住建, in the right tab.
    assert ids(handler, "sign") == [sent.pk]
    assert ids(handler, "doing") == [doing.pk]
    assert ids(handler, "rate") == [replied.pk]
    assert ids(handler, "todo") == []
    assert other.pk not in ids(handler, "all")
    assert set(ids(handler, "all")) == {sent.pk, doing.pk, replied.pk}
    page1 = queue_page(handler, "all", 1, per_page=2)
    page2 = queue_page(handler, "all", 2, per_page=2)
    assert page1.has_next and not page2.has_next and page2.has_prev
    assert [m.pk for m in page1.rows + page2.rows] == ids(handler, "all")
