"""§30 ¶2: the 党委和政府信访部门 通报 a petition about a cadre to the 组织（人事）部门 — an act that
records and documents it, at both doors, and never names the reporter (§30 ¶3)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import sh
from tests.scenario import register
from xinfang.audit.models import AuditLog
from xinfang.documents import render_html
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.petitions import services
from xinfang.petitions.models import Document

ORG = "中共安平县委组织部"


@pytest.fixture
def report(county, frozen):
    m = register(county, sh(2026, 3, 2), klass="report", accused_body=county.dept("住建"),
                 accused_name="李某某（住建局副局长）")
    return services.transition(m, "refer_discipline", user=county.users["officer"],
                               data={"to_body": county.discipline.pk})


def test_the_xinfang_office_notifies_and_the_document_never_names_the_reporter(county, report):
    doc = services.notify_personnel(report, user=county.users["officer"], personnel_body=ORG,
                                    text="反映该副局长在审批中索要好处费，已转县纪委监委。")
    assert doc.kind == Document.Kind.CADRE_NOTICE and not doc.to_petitioner
    html = render_html(doc)
    assert ORG in html and "李某某" in html and "§30 ¶2" in html
    assert "王大明" not in html and "13800138000" not in html  # the reporter (§30 ¶3)
    event = report.events.get(action="notify_personnel")
    assert not event.public and ORG in event.note
    assert AuditLog.objects.filter(action="notify_personnel", matter_id=report.pk).count() == 1


def test_only_the_registering_xinfang_office_may_notify(county, report):
    for key in ("handler", "registrar", "supervisor"):
        with pytest.raises(Forbidden):
            services.notify_personnel(report, user=county.users[key], personnel_body=ORG,
                                      text="t")
    # The county government's officer is not the registering office.
    with pytest.raises(Forbidden, match="党委和政府信访部门"):
        services.notify_personnel(report, user=county.users["gov_officer"],
                                  personnel_body=ORG, text="t")
    plain = register(county, sh(2026, 3, 2), phone="13900000011", id_number="")
    with pytest.raises(GuardFailed, match="被反映人"):
        services.notify_personnel(plain, user=county.users["officer"], personnel_body=ORG,
                                  text="t")
    assert not Document.objects.filter(kind=Document.Kind.CADRE_NOTICE).exists()


def test_both_doors_offer_and_take_the_notice(county, report, login):
    c = login("officer")
    page = c.get(reverse("matter", args=[report.pk])).content.decode()
    assert reverse("matter_personnel_notice", args=[report.pk]) in page
    r = c.post(reverse("matter_personnel_notice", args=[report.pk]),
               {"personnel-personnel_body": ORG, "personnel-text": "反映干部问题"})
    assert r.status_code == 302
    handler_page = login("registrar").get(reverse("matter", args=[report.pk])).content.decode()
    assert reverse("matter_personnel_notice", args=[report.pk]) not in handler_page
    api = APIClient()
    api.force_authenticate(county.users["officer"])
    r = api.post(f"/api/v1/matters/{report.pk}/actions/notify_personnel",
                 {"personnel_body": ORG, "text": "再次通报"}, format="json")
    assert r.status_code == 200, r.content
    r = api.post(f"/api/v1/matters/{report.pk}/actions/notify_personnel", {"text": "x"},
                 format="json")
    assert r.status_code == 400 and "组织（人事）部门" in r.content.decode()
    assert report.documents.filter(kind=Document.Kind.CADRE_NOTICE).count() == 2
