"""回访 (issue 16 item 2): the call after an answer, a rating given in it (marked as recorded
on the petitioner's behalf, with the call as its record), and the supervision page's list of
answered matters nobody has called back."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.conftest import sh
from tests.scenario import matter
from xinfang.domain.errors import GuardFailed
from xinfang.petitions import services
from xinfang.petitions.models import Evaluation

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def call(county, m, *, rating="", user="officer", opinion="对答复基本认可"):
    return services.record_follow_up(m, user=county.users[user], data=services.FollowUpIn(
        contact_at=timezone.now(), channel="phone", opinion=opinion,
        petitioner_id=m.petitioners.first().pk, rating=rating))


def test_a_rating_by_staff_needs_the_call_record_and_is_marked_on_behalf(county, frozen, login):
    m = matter(county, "replied")
    with pytest.raises(GuardFailed, match="回访记录"):
        services.transition(m, "rate_satisfied", user=county.users["officer"],
                            data={"rating": "satisfied"})
    fu = call(county, m, rating="basic")
    ev = Evaluation.objects.get(matter=m)
    assert ev.rating == "basic" and ev.on_behalf and ev.follow_up_id == fu.pk
    assert fu.staff == county.users["officer"] and fu.channel == "phone"
    page = login("officer").get(f"/matters/{m.pk}/").content.decode()
    assert "代信访人评价（据回访记录）" in page and "对答复基本认可" in page
    # The petitioner's own rating is not on behalf.
    m2 = matter(county, "replied", phone="13900139000")
    services.transition(m2, "rate_satisfied", citizen=True, data={"rating": "satisfied"})
    assert not Evaluation.objects.get(matter=m2).on_behalf


def test_a_call_never_overwrites_the_petitioners_own_rating(county, frozen):
    # Review: the officer's call turned the citizen's 不满意 into 满意, which also took away
    # the petitioner's choice of a 重办 (§35). The petitioner's own rating stands.
    m = matter(county, "replied")
    services.transition(m, "rate_unsatisfied", citizen=True, data={"rating": "unsatisfied"})
    with pytest.raises(GuardFailed, match="信访人已自行评价"):
        call(county, m, rating="satisfied", opinion="经解释后表示满意")
    assert Evaluation.objects.get(matter=m).rating == "unsatisfied"
    assert not m.events.filter(action="rating_changed").exists()


def test_a_rating_recorded_on_behalf_may_be_corrected_by_a_later_call(county, frozen):
    m = matter(county, "replied")
    call(county, m, rating="unsatisfied", opinion="电话中表示不满意")
    fu = call(county, m, rating="basic", opinion="再次回访，表示基本满意")
    ev = Evaluation.objects.get(matter=m)
    assert (ev.rating, ev.on_behalf, ev.follow_up_id) == ("basic", True, fu.pk)
    assert fu.rating_before == "unsatisfied"
    assert m.events.filter(action="rating_changed").exists()


def test_the_handling_unit_does_not_rate_its_own_work(county, frozen):
    m = matter(county, "replied")
    with pytest.raises(GuardFailed, match="办理单位不能代信访人登记"):
        call(county, m, rating="satisfied", user="handler")
    assert not Evaluation.objects.filter(matter=m).exists()
    call(county, m, user="handler")  # the unit's call itself is recorded


def test_a_call_without_a_rating_leaves_it_alone_and_is_on_the_timeline(county, frozen):
    m = matter(county, "replied")
    call(county, m)
    assert not Evaluation.objects.filter(matter=m).exists()
    e = m.events.get(action="follow_up")
    assert "电话回访" in e.note


def test_no_call_before_the_answer_and_none_by_an_outside_unit(county, frozen):
    m = matter(county, "handling")
    with pytest.raises(GuardFailed, match="答复后"):
        call(county, m)
    m = matter(county, "replied", phone="13900139000")
    from xinfang.domain.errors import DomainError

    with pytest.raises(DomainError):
        call(county, m, user="other_handler")


def test_answered_matters_without_a_call_show_on_the_supervision_page(county, login, settings):
    settings.XINFANG_FOLLOW_UP_DAYS = 10
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        called = matter(county, "replied")
        waiting = matter(county, "replied", phone="13900139000")
        call(county, called)
    with time_machine.travel(sh(2026, 3, 2) + timedelta(days=5), tick=False):
        page = login("supervisor").get("/supervision/").content.decode()
        assert "待回访" in page and 'id="follow-up-table"' not in page
    with time_machine.travel(sh(2026, 3, 2) + timedelta(days=11), tick=False):
        page = login("supervisor").get("/supervision/").content.decode()
    table = page[page.index('id="follow-up-table"'):]
    assert waiting.number in table and called.number not in table


def test_the_api_records_a_call_and_a_rating_on_behalf_like_the_page(county, frozen):
    from rest_framework.test import APIClient

    m = matter(county, "replied")
    c = APIClient()
    c.force_authenticate(county.users["officer"])
    bare = c.post(f"/api/v1/matters/{m.pk}/evaluations", {"rating": "satisfied"},
                  format="json")
    assert bare.status_code in (400, 409) and "回访记录" in bare.content.decode()
    r = c.post(f"/api/v1/matters/{m.pk}/follow-ups", {
        "contact_at": timezone.now().isoformat(), "channel": "phone",
        "opinion": "表示满意", "rating": "satisfied"}, format="json")
    assert r.status_code == 201, r.content
    ev = c.get(f"/api/v1/matters/{m.pk}/evaluations").json()
    assert ev[0]["rating"] == "satisfied" and ev[0]["on_behalf"] is True
    listed = c.get(f"/api/v1/matters/{m.pk}/follow-ups").json()
    assert listed[0]["opinion"] == "表示满意" and listed[0]["rating"] == "satisfied"
