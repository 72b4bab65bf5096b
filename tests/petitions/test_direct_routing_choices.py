"""§23 ¶1: a unit (not a 信访部门) forwards a petition brought to it only within its own system.
Found in the browser: 住建's 转送/交办 forms listed every county body and township, each of
which the guard then refused on submit."""

from __future__ import annotations

from tests.conftest import sh
from tests.scenario import registration
from xinfang.org.models import Body
from xinfang.petitions import routing, services
from xinfang.petitions.models import Document


def _direct(county):
    reg = registration(county, when=sh(2026, 3, 2, 9))
    return services.register(reg, holder=county.dept("住建"), user=county.users["handler"])


def test_unit_is_offered_only_its_own_subordinate_bodies(county, frozen):
    zj = county.dept("住建")
    below = Body.objects.create(name="安平县住房保障服务中心", kind=zj.kind,
                                division=zj.division, parent=zj)
    m = _direct(county)
    for act in ("forward", "assign"):
        offered = routing.permitted_bodies(m, act)
        assert [b.pk for b in offered] == [below.pk], act
    # What is offered, the guard takes.
    m = services.transition(m, "forward", user=county.users["handler"],
                            data={"to_body": below.pk})
    assert m.lead_body_id == below.pk
    # ... and tells the petitioner where it went (this raised a TypeError: a lazy label in
    # the document's JSON context).
    notice = Document.objects.get(matter=m, kind=Document.Kind.FORWARD_NOTICE)
    assert notice.context["kind"] == "转送" and notice.context["to_body"] == below.name


def test_no_forwarding_is_offered_where_there_is_nowhere_to_send(county, frozen, login):
    # 住建 has no subordinate body in the demo county: 转送/交办 are not offered at either
    # door (QA found both offering a form with an empty list); accepting it directly and
    # telling the petitioner where to go still are.
    m = _direct(county)
    names = {a["name"] for a in login("handler").get(f"/api/v1/matters/{m.pk}/actions").json()}
    assert "forward" not in names and "assign" not in names
    assert "accept_direct" in names
    page = login("handler").get(f"/matters/{m.pk}/").content.decode()
    assert 'id="act-forward"' not in page and 'id="act-accept_direct"' in page


def test_api_lists_the_same_bodies(county, frozen, login):
    zj = county.dept("住建")
    below = Body.objects.create(name="安平县住房保障服务中心", kind=zj.kind,
                                division=zj.division, parent=zj)
    m = _direct(county)
    r = login("handler").get(f"/api/v1/matters/{m.pk}/actions")
    forward = next(a for a in r.json() if a["name"] == "forward")
    assert [b["id"] for b in forward["bodies"]] == [below.pk]
