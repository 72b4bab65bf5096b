"""§30 ¶3 (issue 14 item 1): a citizen's online 检举控告 names the unit it accuses; it is never
suggested to, nor routable to, that unit or a unit inside it — nor is a later report against
the same accused — and that unit's staff find nothing of it at any door."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import sh
from tests.scenario import register
from xinfang.domain.errors import GuardFailed
from xinfang.org.models import Body
from xinfang.petitions import services
from xinfang.petitions.models import Matter
from xinfang.web.forms import routing_suggestion

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = pytest.mark.usefixtures("module_county")

REPORT = {"name": "赵小红", "phone": "13600001111", "klass": "report", "title": "举报某局科长索贿",
          "request": "请求依纪依法查处", "content": "该科长在办理审批时索要好处费两万元。",
          "accused_name": "某科长", "token": "tok-report"}


def _portal_report(client, county, sms) -> Matter:
    r = client.post(reverse("portal:send_code"), {"phone": REPORT["phone"]}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    data = {**REPORT, "division": county.villages[0].code,
            "category": county.categories["CX02"].pk, "accused_body": county.dept("住建").pk,
            "code": sms.last_code(REPORT["phone"])}
    r = client.post(reverse("portal:submit"), data)
    assert r.status_code == 201, r.content.decode()
    return Matter.objects.get()


def test_portal_report_names_the_accused_unit_and_is_never_routed_to_it(client, county, frozen,
                                                                        sms, login):
    zj = county.dept("住建")
    inside = Body.objects.create(name="安平县房产服务中心", kind=Body.Kind.DEPARTMENT,
                                 division=zj.division, parent=zj)
    m = _portal_report(client, county, sms)
    assert m.accused_body == zj and m.is_report
    # CX02 at the county goes to 住建 by the routing rule; never for a report against it.
    suggestion = routing_suggestion(m)  # the matter page's and the register form's
    assert suggestion is None or suggestion.body_id not in (zj.pk, inside.pk)
    page = login("officer").get(reverse("matter", args=[m.pk])).content.decode()
    forward = page.split('name="forward-to_body"')[1].split("</select>")[0]
    assert f'value="{zj.pk}"' not in forward and f'value="{inside.pk}"' not in forward
    for unit in (zj, inside):
        with pytest.raises(GuardFailed, match="§30 ¶3"):
            services.transition(m, "forward", user=county.users["officer"],
                                data={"to_body": unit.pk})
        with pytest.raises(GuardFailed, match="§30 ¶3"):
            services.transition(m, "forward", user=county.users["officer"], data={
                "to_body": county.dept("人社").pk, "assist_bodies": [unit.pk]})
    api = APIClient()
    api.force_authenticate(county.users["officer"])
    actions = {a["name"]: a for a in api.get(f"/api/v1/matters/{m.pk}/actions").json()}
    assert not {b["id"] for b in actions["forward"]["bodies"]} & {zj.pk, inside.pk}


def test_the_accused_units_staff_find_nothing_of_it_at_any_door(client, county, frozen, sms,
                                                                login):
    zj = county.dept("住建")
    m = _portal_report(client, county, sms)
    try:  # refused since §30 ¶3 applies to online reports; before, it went to 住建 at once
        services.transition(m, "forward", user=county.users["officer"], data={"to_body": zj.pk})
    except GuardFailed:
        m = services.transition(m, "refer_discipline", user=county.users["officer"],
                                data={"to_body": county.discipline.pk})
    docs = list(m.documents.all())
    assert docs
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xinfang.petitions import attachments

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    att = attachments.add_attachments(m, [SimpleUploadedFile(
        "举报材料.pdf", pdf, content_type="application/pdf")], None, actor_label="信访人")[0]
    # The registering 信访局 sees it all (so the 404s below are the gate, not a broken page).
    officer = login("officer")
    assert officer.get(reverse("matter", args=[m.pk])).status_code == 200
    assert officer.get(reverse("attachment", args=[m.pk, att.pk])).status_code == 200
    for key in ("handler", "unit_head"):
        user = county.users[key]
        c = login(user)
        assert c.get(reverse("matter", args=[m.pk])).status_code == 404
        for d in docs:
            assert c.get(reverse("document", args=[m.pk, d.pk])).status_code == 404
            assert c.get(reverse("document_pdf", args=[m.pk, d.pk])).status_code == 404
        assert c.get(reverse("attachment", args=[m.pk, att.pk])).status_code == 404
        for tab in ("all", "sign"):
            assert m.number not in c.get(f"/?tab={tab}").content.decode()
        for q in (m.number, "索贿"):
            found = c.get(reverse("search"), {"q": q}).content.decode()
            assert reverse("matter", args=[m.pk]) not in found and REPORT["title"] not in found
        export = c.get(reverse("search_export"), {"q": m.number})
        assert REPORT["name"].encode() not in export.content
        assert m.number.encode() not in export.content
        api = APIClient()
        api.force_authenticate(user)
        assert api.get(f"/api/v1/matters/{m.pk}").status_code == 404
        assert api.get(f"/api/v1/matters/{m.pk}/documents").status_code == 404
        for d in docs:
            assert api.get(f"/api/v1/matters/{m.pk}/documents/{d.pk}").status_code == 404
        listed = api.get("/api/v1/matters").content.decode()
        assert m.number not in listed and REPORT["name"] not in listed
        for q in (m.number, "索贿"):
            found = api.get("/api/v1/search", {"q": q}).content.decode()
            assert f'"id":{m.pk},' not in found and REPORT["title"] not in found


def test_public_api_report_names_the_accused_unit(county, frozen, sms):
    from tests.api.test_public import URL, payload, with_code

    zj = county.dept("住建")
    api = APIClient()
    body = with_code(api, payload(county, **{"class": "report", "accused_name": "某科长",
                                             "accused_body": zj.pk}))
    r = api.post(URL, body, format="json")
    assert r.status_code == 201, r.content
    m = Matter.objects.get()
    assert m.accused_body == zj
    with pytest.raises(GuardFailed, match="§30 ¶3"):
        services.transition(m, "assign", user=county.users["officer"],
                            data={"to_body": zj.pk, "report_due": "2026-04-30"})
    bad = with_code(api, payload(county, phone="13800138001", accused_body=999999))
    r = api.post(URL, bad, format="json")
    assert r.status_code == 400 and "被检举控告的单位不存在" in r.content.decode()


def test_a_later_report_against_the_same_accused_is_shielded_too(county, frozen):
    zj = county.dept("住建")
    officer = county.users["officer"]
    register(county, sh(2026, 3, 2), klass="report", accused_body=zj, accused_name="某科长",
             phone="13900000001", id_number="")
    # Another reporter names only the person; the earlier report tells which unit he is in.
    later = register(county, sh(2026, 3, 2), klass="report", accused_name="某 科长",
                     phone="13900000002", id_number="")
    with pytest.raises(GuardFailed, match="§30 ¶3"):
        services.transition(later, "forward", user=officer, data={"to_body": zj.pk})
    # The same reporter again (a repeat), this time naming nobody.
    first = register(county, sh(2026, 3, 2), klass="report", accused_body=zj,
                     accused_name="某股长", phone="13900000003", id_number="")
    again = register(county, sh(2026, 3, 2), klass="report", accused_name="（同前）",
                     phone="13900000003", id_number="")
    assert again.repeat_of == first
    with pytest.raises(GuardFailed, match="§30 ¶3"):
        services.transition(again, "forward", user=officer, data={"to_body": zj.pk})


def test_an_ordinary_appeal_about_a_unit_still_goes_to_that_unit(county, frozen):
    zj = county.dept("住建")
    m = register(county, sh(2026, 3, 2), klass="appeal", accused_body=zj,
                 phone="13900000004", id_number="")
    m = services.transition(m, "forward", user=county.users["officer"], data={"to_body": zj.pk})
    assert m.lead_body == zj


def test_the_portal_offers_the_accused_unit_in_both_languages(client, county):
    zh = client.get(reverse("portal:submit")).content.decode()
    assert "被检举控告的单位" in zh and county.dept("住建").name in zh
    en = client.get(reverse("portal:submit"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Unit accused (for a report)" in en and "§30 ¶3" in en
