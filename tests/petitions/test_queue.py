"""The work queue's fast path gives exactly the rows the access rules and the tab define."""

from __future__ import annotations

import pytest
from django.db.models import F
from django.utils import timezone

from tests.petitions.helpers import register
from xinfang.domain.states import Klass
from xinfang.org.models import User
from xinfang.petitions import clocks, services
from xinfang.petitions.access import visible_matters
from xinfang.petitions.models import Matter
from xinfang.petitions.queries import TABS, _tab_filter, queue_page

pytestmark = pytest.mark.django_db

USERS = ["dengji", "xinfang", "ducha", "lingdao", "admin", "chengban", "fuzeren", "xianfu",
         "shixinfang", "renshe", "chengguan"]


def reference(user: User, tab: str, page: int, per_page: int) -> list[int]:
    """The queue by definition: visible ∧ tab, nearest deadline first, none last, then id."""
    qs = (visible_matters(user).filter(_tab_filter(user, TABS[tab], clocks.today()))
          .order_by(F("next_due").asc(nulls_last=True), "id"))
    return list(qs.values_list("id", flat=True)[(page - 1) * per_page: page * per_page])


def test_every_users_every_tab_matches_the_definition_page_by_page():
    from xinfang.demo.seed import seed

    seed(60)
    checked = 0
    for username in USERS:
        user = User.objects.select_related("body__division").get(username=username)
        for tab in TABS:
            for page, per_page in ((1, 50), (1, 4), (2, 4), (3, 4)):
                got = [m.pk for m in queue_page(user, tab, page, per_page=per_page).rows]
                assert got == reference(user, tab, page, per_page), (username, tab, page)
                checked += bool(got)
    assert checked > 100  # the seed fills the queues: the comparison is not between empties


def test_a_report_against_a_unit_stays_out_of_its_queue_even_when_sent_to_it(county):
    """§30 ¶3: the accused unit never sees the report, whatever desk it lands on."""
    officer, handler = county.users["officer"], county.users["handler"]
    zj = county.dept("住建")
    now = timezone.now()
    m = register(county, now, klass=Klass.REPORT.value, accused_body=zj)
    # The services refuse to send a report to the accused; a row that got there anyway
    # (a data fix, a superior's 交办 typed by hand) must still stay hidden.
    Matter.objects.filter(pk=m.pk).update(state="dispatched", lead_body=zj)
    assert Matter.objects.get(pk=m.pk).queue_body == zj.pk  # the generated key follows
    plain = register(county, now, phone="13900000009")
    services.transition(plain, "forward", user=officer, data={"to_body": zj.pk})
    for tab in ("all", "sign", "near"):
        assert m.pk not in [r.pk for r in queue_page(handler, tab).rows]
    assert plain.pk in [r.pk for r in queue_page(handler, "all").rows]
    assert m.pk in [r.pk for r in queue_page(officer, "all").rows]  # the 信访局 follows it
