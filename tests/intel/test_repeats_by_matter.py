"""Repeats are matched by person AND matter, with the refusal they call for (issue 13 item 8).

§19 ¶3: the same matter, accepted or being handled within its limit, brought to an upper body
→ that body does not accept it (N1). §36 ¶3: the same facts and reasons after a 复核 opinion →
不再受理 (N2). §20 ¶1: a visit that skips this level and the next one up is 越级 (N3). A
same-person petition about another matter is a new matter: not a repeat, no 督办."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import sh
from tests.scenario import ID_A, matter, register, registration
from xinfang.documents.render import render_html
from xinfang.org.models import Body, User
from xinfang.petitions import filters, intel, services
from xinfang.petitions.models import Document, Matter, Supervision

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

SCHOOL = {"title": "学校强制学生参加收费补课",
          "request": "请求责令学校停止收费补课",
          "content": "城关中学要求初三学生参加每月收费800元的补课，家长不敢拒绝。"}


def test_same_person_another_matter_is_a_new_matter_without_supervision(county, frozen):
    """The same ID and phone, a different matter (the parking fee was answered): 初信初访 for
    the school fees, no link, no 提级核查 督办 (today it is linked to the parking matter and
    escalated as 重复信访)."""
    parking = matter(county, "replied")
    school = register(county, sh(2026, 6, 15), category=county.categories["JY01"], **SCHOOL)
    assert school.repeat_of_id is None and school.repeat_kind == "first"
    assert not Supervision.objects.filter(matter=school).exists()
    # The same matter again after the reply is still a repeat, escalated (§8.6).
    again = register(county, sh(2026, 6, 15))
    assert again.repeat_of_id == parking.pk and again.repeat_kind == "repeat"
    assert Supervision.objects.filter(matter=again, note=services.ESCALATE_NOTE).exists()


def test_same_matter_open_at_a_lower_body_is_proposed_n1_at_the_upper_body(county, frozen):
    """The county's 住建局 handles it within its limit; the petitioner takes it to the city
    government: the city is offered N1 (§19 ¶3) naming the original, not 越级."""
    original = matter(county, "handling")
    city = county.users["city_officer"]
    upper = services.register(registration(county, when=sh(2026, 6, 15)),
                              holder=county.city_gov, user=city)
    assert upper.repeat_of_id == original.pk and upper.repeat_kind == "repeat"
    assert not upper.level_skip
    p = intel.matter_proposal(city, upper)
    assert p is not None and p.code == "N1" and p.refusal == "不予受理"
    assert original.number in p.reason and "第十九条第三款" in p.reason
    # At the county's own 信访局 (not an upper body) there is nothing to refuse.
    same_body = register(county, sh(2026, 6, 15))
    assert intel.matter_proposal(county.users["officer"], same_body) is None


def test_after_a_recheck_the_same_matter_is_proposed_n2_and_the_notice_says_so(county, frozen):
    """After the 复核 opinion ends the matter, the same facts again: N2, no 督办, and the
    不再受理 notice names §36 ¶3."""
    final = matter(county, "final")
    officer = county.users["officer"]
    again = register(county, sh(2026, 6, 15))
    assert again.repeat_of_id == final.pk
    assert not Supervision.objects.filter(matter=again).exists()
    p = intel.matter_proposal(officer, again)
    assert p is not None and p.code == "N2" and p.refusal == "不再受理"
    again = services.transition(again, "not_accept", user=officer,
                                data={"reason_code": p.code, "reason": p.reason})
    doc = Document.objects.get(matter=again, kind=Document.Kind.NOT_ACCEPTED)
    html = render_html(doc)
    assert "信访事项不再受理告知书" in html and "§36 ¶3" in html and "决定不再受理" in html
    assert final.number in html  # the reason names the original


def test_a_visit_that_skips_two_levels_is_flagged_and_counted_in_search(county, frozen):
    """§20 ¶1: a county matter brought in person to the province is 越级; to the city (the
    next level up) it is not; a letter to the province is not a visit."""
    province = Body.objects.get(name="东江省信访局")
    skip = services.register(registration(county, when=sh(2026, 6, 15)), holder=province)
    up_one = services.register(registration(county, when=sh(2026, 6, 15), id_number="",
                                            phone="13911112222"), holder=county.city_xinfang)
    letter = services.register(registration(county, when=sh(2026, 6, 15), channel="letter",
                                            id_number="", phone="13933334444"), holder=province)
    assert skip.level_skip and not up_one.level_skip and not letter.level_skip
    assert "越级走访" in skip.events.get(action="register").note
    admin = county.users["admin"]
    found = set(filters.find(admin, filters.MatterFilter(level_skip=True)).values_list("pk", flat=True))
    assert found == {skip.pk}
    api = APIClient()
    api.force_authenticate(admin)
    rows = api.get("/api/v1/matters", {"level_skip": "true"}).json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [r["number"] for r in rows] == [skip.number] and rows[0]["level_skip"] is True
    # N3 is proposed for a 申诉求决 visit that skipped levels.
    p = intel.matter_proposal(admin, skip)
    assert p is not None and p.code == "N3"


def test_accused_unit_registering_via_the_api_sees_no_number_of_the_hidden_report(county,
                                                                                    frozen):
    """A report against 住建局 (hidden from it, §30 ¶3); the same person brings the same
    matter to 住建局, whose handler registers it through the API: ``repeat_of`` and the
    timeline say only 有关联事项（无权查看）; the county officer sees the number."""
    report = register(county, sh(2026, 6, 1), klass="report", accused_body=county.dept("住建"),
                      accused_name="某科长")
    handler = county.users["handler"]
    api = APIClient()
    api.force_authenticate(handler)
    r = api.post("/api/v1/matters", {
        "channel": "visit", "title": report.title, "request": report.request,
        "content": report.content, "division": report.division_id, "klass": "appeal",
        "category": "CX01",
        "petitioners": [{"name": "王大明", "id_number": ID_A, "phone": "13800138000"}],
    }, format="json")
    assert r.status_code == 201, r.content
    new = Matter.objects.get(pk=r.json()["id"])
    assert new.repeat_of_id == report.pk  # the record links it (§19 ¶3) …
    body = api.get(f"/api/v1/matters/{new.pk}").content.decode()
    assert report.number not in body  # … but the accused unit learns nothing of it
    data = api.get(f"/api/v1/matters/{new.pk}").json()
    assert data["repeat_of"] == intel.MASKED
    assert any(intel.MASKED in e["note"] for e in data["events"])
    assert data["refusal_proposal"] is None
    officer = APIClient()
    officer.force_authenticate(county.users["officer"])
    seen = officer.get(f"/api/v1/matters/{new.pk}").json()
    assert seen["repeat_of"] == report.number
    assert any(report.number in e["note"] for e in seen["events"])


def test_repeat_hints_split_the_same_matter_from_the_persons_other_matters(county, frozen):
    """The panel's use case: the same person's same matter is the proposed link (with N2
    after a 复核), the person's other matter is listed as not a repeat."""
    final = matter(county, "final")
    other = register(county, sh(2026, 6, 2), category=county.categories["JY01"], **SCHOOL)
    officer = county.users["officer"]
    p = registration(county, when=sh(2026, 6, 15)).petitioners
    hints = intel.repeat_hints(officer, p, final.title, final.content, final.division,
                               category=final.category, channel="visit", klass="appeal")
    assert hints.repeat is not None and hints.repeat.matter_id == final.pk
    assert [h.matter_id for h in hints.other_matters] == [other.pk]
    assert hints.proposal is not None and hints.proposal.code == "N2"


def test_a_user_who_may_not_open_the_original_gets_no_n1_n2(county, frozen):
    outsider = User.objects.create(username="rs", display_name="钱", role="registrar",
                                   body=county.dept("人社"))
    final = matter(county, "final")
    p = registration(county, when=sh(2026, 6, 15)).petitioners
    hints = intel.repeat_hints(outsider, p, final.title, final.content, final.division,
                               category=final.category, channel="visit", klass="appeal")
    assert hints.repeat is not None and not hints.repeat.visible
    assert hints.proposal is None



# --------------------------------------------------------------------------- the web door


def _post(m: Matter, **kw: str) -> dict[str, str]:
    data = {
        "channel": "visit", "received_at": "2026-06-15T10:00", "headcount": "1",
        "title": m.title, "request": m.request, "content": m.content,
        "division": m.division_id, "category": str(m.category_id), "klass": "appeal",
        "p0_name": "王大明", "p0_id_number": ID_A, "p0_phone": "13800138000",
    }
    data.update(kw)
    return data


def test_panel_proposes_n2_and_lets_the_officer_reject_the_link(login, county, frozen):
    """The 查重 panel names the same matter with 建议不再受理（N2）, lists the person's other
    matter as not a repeat, and offers "不是同一事项"; choosing it registers a new matter."""
    final = matter(county, "final")
    other = register(county, sh(2026, 6, 2), category=county.categories["JY01"], **SCHOOL)
    c = login(county.users["officer"])
    page = c.post(reverse("register_repeats"), _post(final)).content.decode()
    assert "建议不再受理（N2）" in page and "§36 ¶3" in page
    assert f'name="same_matter" value="{final.pk}" checked' in page
    assert 'name="same_matter" value="new"' in page
    assert "同一信访人的其他事项 1 件" in page and other.number in page
    c.post(reverse("register"), _post(final, same_matter="new"))
    new = Matter.objects.order_by("-pk").first()
    assert new.repeat_of_id is None and new.repeat_kind == "first"


def test_matter_page_preselects_the_refusal_and_masks_the_link(login, county, frozen):
    """The new matter's 不予受理 form comes with N2 and the original named; a registrar of
    another unit who registered the same matter sees only 有关联事项（无权查看）."""
    final = matter(county, "final")
    officer = county.users["officer"]
    c = login(officer)
    c.post(reverse("register"), _post(final))
    again = Matter.objects.order_by("-pk").first()
    assert again.repeat_of_id == final.pk
    page = c.get(reverse("matter", args=[again.pk])).content.decode()
    assert '<option value="N2" selected>' in page
    assert f"原件 {final.number}）已经复核终结" in page
    outsider = User.objects.create(username="rs2", display_name="钱", role="registrar",
                                   body=county.dept("人社"))
    c = login(outsider)
    c.post(reverse("register"), _post(final, same_matter="new"))  # cannot drop a masked link
    mine = Matter.objects.order_by("-pk").first()
    assert mine.holder_id == county.dept("人社").pk and mine.repeat_of_id == final.pk
    page = c.get(reverse("matter", args=[mine.pk])).content.decode()
    assert final.number not in page and intel.MASKED in page
    assert "建议不再受理" not in page


def test_search_page_filters_level_skipping_visits(login, county, frozen):
    province = Body.objects.get(name="东江省信访局")
    skip = services.register(registration(county, when=sh(2026, 6, 15)), holder=province)
    plain = register(county, sh(2026, 6, 15), id_number="", phone="13955556666")
    page = login(county.users["admin"]).get(reverse("search"), {"level_skip": "on"}).content.decode()
    assert skip.number in page and plain.number not in page and "越级走访" in page


def test_english_reader_sees_the_proposal_and_the_flag_in_english(login, county, frozen):
    final = matter(county, "final")
    province = Body.objects.get(name="东江省信访局")
    skip = services.register(registration(county, when=sh(2026, 6, 15), id_number="",
                                          phone="13977778888"), holder=province)
    c = login(county.users["admin"])
    panel = c.post(reverse("register_repeats"), _post(final), HTTP_ACCEPT_LANGUAGE="en")
    assert "Proposed: No longer accepted (N2)" in panel.content.decode()
    page = c.get(reverse("matter", args=[skip.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Level-skipping visit" in page
