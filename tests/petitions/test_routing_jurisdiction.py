"""§22 ¶1–2: 转送/交办 only to a body at the same or a lower level of the division tree, never
to a 纪检监察 or 政法 body by a plain 转送 (their own acts), through the service and both doors."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import sh
from tests.scenario import register
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import Body
from xinfang.petitions import services

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = pytest.mark.usefixtures("module_county")


@pytest.fixture
def m(county, frozen):
    return register(county, sh(2026, 3, 2))


def _forward(county, m, to: Body, name: str = "forward", **data: object):
    if name == "assign":
        data.setdefault("report_due", "2026-04-30")
    return services.transition(m, name, user=county.users["officer"],
                               data={"to_body": to.pk, **data})


def test_upward_forward_is_refused_naming_the_rule(county, m):
    """县信访局 → 市政府 or 省信访局: upward, refused with §22 ¶1."""
    province_xf = Body.objects.get(name="东江省信访局")
    for upper in (county.city_gov, province_xf, county.city_xinfang):
        for act in ("forward", "assign"):
            with pytest.raises(GuardFailed) as e:
                _forward(county, m, upper, act)
            assert "上级机关" in e.value.message and "§22 ¶1" in e.value.message
    m.refresh_from_db()
    assert m.state == "registered" and not m.dispatches.exists()


def test_plain_forward_to_discipline_or_political_legal_is_refused(county, m):
    with pytest.raises(GuardFailed, match="转纪检监察机关"):
        _forward(county, m, county.discipline)
    with pytest.raises(GuardFailed, match="转政法部门"):
        _forward(county, m, county.political_legal, "assign")
    with pytest.raises(GuardFailed, match="协办单位"):
        _forward(county, m, county.dept("住建"), assist_bodies=[county.discipline.pk])


def test_refer_acts_only_reach_bodies_of_their_kind(county, m):
    for wrong in (county.dept("住建"), county.political_legal, county.gov):
        with pytest.raises(GuardFailed, match="不是纪检监察机关"):
            _forward(county, m, wrong, "refer_discipline")
    with pytest.raises(GuardFailed, match="不是政法部门"):
        _forward(county, m, county.discipline, "refer_political_legal")
    m = _forward(county, m, county.discipline, "refer_discipline")
    assert m.state == "closed" and m.closure_kind == "referred_discipline"


@pytest.mark.parametrize("act", ["forward", "assign"])
def test_same_level_and_lower_bodies_are_allowed(county, frozen, act):
    same = register(county, sh(2026, 3, 2), phone="13800000001", id_number="")
    same = _forward(county, same, county.dept("住建"), act)
    assert same.state == "dispatched" and same.lead_body == county.dept("住建")
    lower = register(county, sh(2026, 3, 2), phone="13800000002", id_number="")
    lower = _forward(county, lower, county.township_govs[0], act,
                     assist_bodies=[county.dept("人社").pk])
    assert lower.state == "dispatched" and lower.lead_body == county.township_govs[0]


def test_the_web_form_offers_only_permitted_bodies_and_names_the_rule(county, m, login):
    c = login("officer")
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    forward = page.split('name="forward-to_body"')[1].split("</select>")[0]
    assert county.dept("住建").name in forward and county.township_govs[0].name in forward
    for refused in (county.city_gov, county.discipline, county.political_legal,
                    county.xinfang, county.city_xinfang):
        assert f'value="{refused.pk}"' not in forward
    refer = page.split('name="refer_discipline-to_body"')[1].split("</select>")[0]
    assert f'value="{county.discipline.pk}"' in refer
    assert f'value="{county.dept("住建").pk}"' not in refer
    # Posting a refused body anyway: a 409 with the rule, not Django's "选择一个有效的选项".
    r = c.post(reverse("matter_action", args=[m.pk, "forward"]),
               {"forward-to_body": county.city_gov.pk})
    assert r.status_code == 409
    assert "上级机关" in r.content.decode() and "§22 ¶1" in r.content.decode()
    m.refresh_from_db()
    assert m.state == "registered"


def test_the_api_offers_only_permitted_bodies_and_names_the_rule(county, m):
    api = APIClient()
    api.force_authenticate(county.users["officer"])
    actions = {a["name"]: a for a in api.get(f"/api/v1/matters/{m.pk}/actions").json()}
    forward = {b["id"] for b in actions["forward"]["bodies"]}
    assert county.dept("住建").pk in forward and county.township_govs[0].pk in forward
    assert not forward & {county.city_gov.pk, county.discipline.pk, county.political_legal.pk,
                          county.xinfang.pk, county.city_xinfang.pk}
    assert {b["id"] for b in actions["refer_discipline"]["bodies"]} == {county.discipline.pk}
    assert {b["id"] for b in actions["refer_political_legal"]["bodies"]} == {
        county.political_legal.pk}
    assert actions["inform_elsewhere"]["bodies"] == []
    r = api.post(f"/api/v1/matters/{m.pk}/actions/forward", {"to_body": county.city_gov.pk},
                 format="json")
    assert r.status_code == 409
    assert "上级机关" in r.json()["detail"] and "§22 ¶1" in r.json()["detail"]
    r = api.post(f"/api/v1/matters/{m.pk}/actions/forward", {"to_body": county.discipline.pk},
                 format="json")
    assert r.status_code == 409 and "转纪检监察机关" in r.json()["detail"]


def test_a_referral_tells_the_petitioner_where_it_went(county, m):
    """§22 ¶2, §23 ¶4: a 告知书 to the petitioner; the receiving body's own notice follows its
    rules (no D3 clock), and its 转送单 says so."""
    from xinfang.documents import render_html

    m = _forward(county, m, county.political_legal, "refer_political_legal")
    notice = m.documents.get(kind="informed")
    assert notice.to_petitioner
    html = render_html(notice)
    assert county.political_legal.name in html and "§23 ¶4" in html and "§22 ¶2" in html
    slip = m.documents.get(kind="forward")
    assert not slip.to_petitioner
    slip_html = render_html(slip)
    assert "§23 ¶4" in slip_html and "15日内决定是否受理" not in slip_html
    assert not m.clocks.filter(code="D3").exists()
