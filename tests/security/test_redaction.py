"""Issue 14 item 3 (§30 ¶3): one redaction at every door. In a confidential matter's free text
(title, 诉求, 事实与理由, timeline notes, documents), the reporter's name, phone and ID number
and every identity-like number are masked for everyone outside the handling chain — the
leader and the upper bodies see them only through the audited reveal (which needs the second
factor), the accused never. The chain (registering 信访局's officers, the handling body) reads
them in full."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import sh
from tests.scenario import ID_A, register
from xinfang.audit.models import AuditLog
from xinfang.domain.redact import REDACTED
from xinfang.petitions import access, services
from xinfang.petitions.models import Matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

WITNESS = "13912345678"  # not the reporter's: masked because it looks like a phone number
SECRETS = ("王大明", "13800138000", ID_A, WITNESS)


@pytest.fixture
def report(county, frozen) -> Matter:
    m = register(county, sh(2026, 3, 2), klass="report", accused_name="某所长",
                 title="王大明举报某所长收受红包",
                 request="请求查处，联系人王大明 13800138000",
                 content=f"我是王大明，身份证{ID_A}，电话13800138000。证人电话{WITNESS}。"
                         "某所长在办证时收受红包。")
    return services.transition(m, "refer_discipline", user=county.users["officer"],
                               data={"to_body": county.discipline.pk})


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_matter_page_masks_the_free_text_outside_the_chain(report, county, login):
    officer = login("officer").get(reverse("matter", args=[report.pk])).content.decode()
    assert not set(SECRETS) - set(_leaks(officer))  # the chain reads it (so the test can fail)
    for who in ("leader", "supervisor", "admin", "city_officer"):
        page = login(who).get(reverse("matter", args=[report.pk]))
        assert page.status_code == 200, who
        assert _leaks(page.content.decode()) == [], who
        assert "某所长在办证时收受红包" in page.content.decode()


def test_the_leader_reveals_through_the_audited_act_and_the_supervisor_cannot(report, county,
                                                                            login):
    page = login("leader").get(reverse("matter", args=[report.pk])).content.decode()
    assert "显示身份信息" in page
    r = login("leader").post(reverse("reveal_identity", args=[report.pk]))
    assert r.status_code == 200 and not set(SECRETS) - set(_leaks(r.content.decode()))
    row = AuditLog.objects.filter(action="view_identity").get()
    assert row.actor == county.users["leader"] and row.matter_id == report.pk
    # 督查 has no second factor duty, so no reveal: masked only.
    c = login("supervisor")
    assert "显示身份信息" not in c.get(reverse("matter", args=[report.pk])).content.decode()
    assert c.post(reverse("reveal_identity", args=[report.pk])).status_code == 403
    # Without a second factor the leader may not reveal either.
    from xinfang.core.models import StaffTOTPDevice as TOTPDevice

    TOTPDevice.objects.filter(user=county.users["leader"]).delete()
    assert not access.may_reveal(county.users["leader"], report)


def test_api_matter_detail_masks_the_free_text_and_reveals_with_an_audit_row(report, county):
    full = _api(county.users["officer"]).get(f"/api/v1/matters/{report.pk}").content.decode()
    assert not set(SECRETS) - set(_leaks(full))
    leader = _api(county.users["leader"])
    r = leader.get(f"/api/v1/matters/{report.pk}")
    assert r.status_code == 200 and _leaks(r.content.decode()) == []
    body = r.json()
    assert body["identity"] == "hidden" and REDACTED in body["content"]
    assert REDACTED in body["title"] and REDACTED in body["request"]
    revealed = leader.get(f"/api/v1/matters/{report.pk}", {"reveal": "1"})
    assert revealed.json()["identity"] == "full"
    assert not set(SECRETS) - set(_leaks(revealed.content.decode()))
    assert AuditLog.objects.filter(action="view_identity", actor=county.users["leader"]).exists()
    sup = _api(county.users["supervisor"]).get(f"/api/v1/matters/{report.pk}", {"reveal": "1"})
    assert sup.json()["identity"] == "hidden" and _leaks(sup.content.decode()) == []


def test_api_document_is_redacted_like_the_web_rendering(report, county):
    docs = list(report.documents.all())
    assert docs
    officer, leader = _api(county.users["officer"]), _api(county.users["leader"])
    seen = ""
    for d in docs:
        url = f"/api/v1/matters/{report.pk}/documents/{d.pk}"
        seen += officer.get(url).content.decode()
        r = leader.get(url)
        assert r.status_code == 200 and _leaks(r.content.decode()) == [], d.kind
    assert "王大明" in seen  # the title in the snapshot: the chain reads it


def test_pdf_is_made_from_the_redacted_text(report, county, login, monkeypatch):
    import weasyprint

    printed: list[str] = []

    class Capture:
        def __init__(self, string: str) -> None:
            printed.append(string)

        def write_pdf(self) -> bytes:
            return b"%PDF-1.7 captured"

    monkeypatch.setattr(weasyprint, "HTML", Capture)
    forward = report.documents.get(kind="forward")
    for who in ("officer", "leader"):
        r = login(who).get(reverse("document_pdf", args=[report.pk, forward.pk]))
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
    officer, leader = printed
    assert not set(SECRETS) - set(_leaks(officer))  # the 转送单 carries the facts
    assert _leaks(leader) == [] and "某所长在办证时收受红包" in leader


def test_excel_export_masks_the_free_text_outside_the_chain(report, county, login):
    from openpyxl import load_workbook

    def cells(who: str) -> str:
        r = login(who).get(reverse("search_export"), {"q": report.number})
        assert r.status_code == 200
        ws = load_workbook(BytesIO(r.content)).active
        return "\n".join(str(c.value or "") for row in ws.iter_rows() for c in row)

    assert "王大明" in cells("officer") and "13800138000" in cells("officer")
    leader = cells("leader")
    assert report.number in leader and _leaks(leader) == []


def test_the_handling_body_is_in_the_chain_and_the_accused_never(county, frozen, login):
    zj = county.dept("住建")
    m = register(county, sh(2026, 3, 2), klass="report", accused_body=zj, accused_name="某科长",
                 content="我是王大明，电话13800138000，举报某科长。")
    m = services.transition(m, "forward", user=county.users["officer"],
                            data={"to_body": county.dept("人社").pk})
    page = login("other_handler").get(reverse("matter", args=[m.pk])).content.decode()
    assert "13800138000" in page  # 人社 handles it: in the chain
    for who in ("handler", "unit_head"):  # 住建, the accused
        assert login(who).get(reverse("matter", args=[m.pk])).status_code == 404
        assert not access.may_reveal(county.users[who], m)
