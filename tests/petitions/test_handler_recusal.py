"""The named 承办人 inside the unit, and 回避 (§28 ¶3) — issue 13, next in line."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import matter
from xinfang.audit.models import AuditLog
from xinfang.domain.errors import DomainError, Forbidden
from xinfang.org.models import User
from xinfang.petitions import services
from xinfang.petitions.models import Matter
from xinfang.petitions.services import actors

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


@pytest.fixture
def frozen_at():
    return sh(2026, 3, 2)


def _second_handler(county) -> User:
    return User.objects.create(username="zj2", display_name="钱承办", role="handler",
                               body=county.dept("住建"))


def test_the_unit_head_names_and_renames_the_handler(county, frozen):
    m = matter(county, "handling")
    head, handler = county.users["unit_head"], county.users["handler"]
    m = services.assign_handler(m, user=head, handler_id=handler.pk)
    assert m.handler_user == handler
    other = _second_handler(county)
    m = services.assign_handler(m, user=head, handler_id=other.pk)  # e.g. the first one left
    assert m.handler_user == other
    assert AuditLog.objects.filter(matter_id=m.pk, action="assign_handler").count() == 2
    with pytest.raises(DomainError, match="办理单位"):  # not of the handling unit
        services.assign_handler(m, user=head, handler_id=county.users["other_handler"].pk)
    with pytest.raises(Forbidden):  # a handler does not assign; another unit has no say
        services.assign_handler(m, user=handler, handler_id=handler.pk)


def test_a_recused_handler_takes_no_act_and_cannot_be_named(county, frozen):
    """§28 ¶3: a member of staff with a direct interest is excluded, recorded with the reason."""
    m = matter(county, "handling")
    head, handler = county.users["unit_head"], county.users["handler"]
    m = services.assign_handler(m, user=head, handler_id=handler.pk)
    with pytest.raises(DomainError, match="理由"):
        services.recuse(m, user=handler, recused_id=handler.pk, reason=" ")
    m = services.recuse(m, user=handler, recused_id=handler.pk, reason="信访人是本人的表兄")
    assert m.handler_user is None and handler.pk in m.recused_ids  # waits for a new 承办人
    assert actors.allowed_actions(handler, Matter.objects.get(pk=m.pk)) == []
    with pytest.raises(Forbidden):
        services.transition(m, "request_extension", user=handler,
                            data={"days": 10, "reason": "x"})
    with pytest.raises(DomainError, match="回避"):
        services.assign_handler(m, user=head, handler_id=handler.pk)
    assert m.events.filter(action="recuse", note__contains="表兄").exists()
    # The head still handles it, and names someone else.
    other = _second_handler(county)
    assert services.assign_handler(m, user=head, handler_id=other.pk).handler_user == other


def test_a_handler_declares_only_their_own_recusal(county, frozen):
    m = matter(county, "handling")
    other = _second_handler(county)
    with pytest.raises(DomainError, match="本人"):
        services.recuse(m, user=county.users["handler"], recused_id=other.pk, reason="x")


def test_both_doors_offer_and_take_the_acts(county, frozen, login):
    m = matter(county, "handling")
    c = login("unit_head")
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert 'id="act-assign_handler"' in page and 'id="act-recuse"' in page
    r = c.post(reverse("matter_assign_handler", args=[m.pk]),
               {"handler-handler_user": county.users["handler"].pk})
    assert r.status_code == 302
    assert Matter.objects.get(pk=m.pk).handler_user == county.users["handler"]
    page = login("other_handler").get(reverse("matter", args=[m.pk]))
    assert page.status_code == 404  # another unit sees nothing to assign
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(county.users["handler"])
    r = api.post(f"/api/v1/matters/{m.pk}/actions/recuse",
                 {"recused_user": county.users["handler"].pk, "reason": "与信访人有利害关系"},
                 format="json")
    assert r.status_code == 200, r.content
    assert county.users["handler"].pk in Matter.objects.get(pk=m.pk).recused_ids


def test_a_supported_opinion_is_followed_until_carried_out(county, frozen, login):
    """§32 ¶2: 作出支持信访请求意见的，应当督促有关机关、单位执行."""
    from xinfang.petitions import clocks
    from xinfang.petitions.models import Clock

    m = matter(county, "replied")  # the scenario's reply supports the request
    f1 = Clock.objects.get(matter=m, code="F1")
    assert f1.met_on is None and f1.body == county.dept("住建")
    explained = matter(county, "replied", phone="13900000001", id_number="",
                       reply={"outcome": "explained"})
    assert not Clock.objects.filter(matter=explained, code="F1").exists()
    with pytest.raises(DomainError, match="落实情况"):
        services.record_implementation(m, user=county.users["handler"], text=" ")
    with pytest.raises(Forbidden):
        services.record_implementation(m, user=county.users["other_handler"], text="x")
    c = login("handler")
    assert 'id="act-record_implementation"' in c.get(reverse("matter", args=[m.pk])).content.decode()
    r = c.post(reverse("matter_implementation", args=[m.pk]),
               {"implementation-text": "物业公司已于3月20日退还全部多收停车费"})
    assert r.status_code == 302
    assert Clock.objects.get(pk=f1.pk).met_on == clocks.today()
    assert m.events.filter(action="record_implementation").exists()
