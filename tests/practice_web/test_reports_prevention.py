"""日分析·周排名·月通报 (with Excel and PDF) and 源头预防: ledger, disputes, 稳评, meetings."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse

from xinfang.practice.models import DisputeEntry, MeetingDecision, RiskAssessment, ScreeningRound

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def test_reports_show_owners_rankings_and_the_bulletin(seeded, login):
    c = login(seeded.users["officer"])
    daily = c.get(reverse("practice:report_daily") + "?day=2026-03-10").content.decode()
    assert "日分析" in daily and "陈县长" in daily  # the 包案 opened today is new for its leader
    weekly = c.get(reverse("practice:report_weekly") + "?week=2026-03-10").content.decode()
    assert "责任单位排名" in weekly and "包案领导排名" in weekly and "（0/0）" in weekly
    monthly = c.get(reverse("practice:report_monthly") + "?month=2026-03").content.decode()
    assert "安平县2026年3月信访工作通报" in monthly and "挂牌督办积案" in monthly


def test_bulletin_exports_to_excel_and_pdf(seeded, login):
    from openpyxl import load_workbook

    c = login(seeded.users["officer"])
    r = c.get(reverse("practice:report_monthly_xlsx") + "?month=2026-03")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    ws = load_workbook(BytesIO(r.content)).active
    cells = list(ws.iter_rows(values_only=True))
    assert cells[0][0] == "安平县2026年3月信访工作通报"
    assert ("包案积案", "挂牌督办积案", "1") in cells
    r = c.get(reverse("practice:report_monthly_pdf") + "?month=2026-03")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")


def test_screening_ledger_flags_the_overdue_village_and_records_a_round(seeded, login):
    c = login(seeded.users["officer"])
    page = c.get(reverse("practice:prevention")).content.decode()
    last = seeded.villages[-1]
    assert "逾期未排查" in page
    assert page.index(last.name) < page.index(seeded.villages[0].name)  # overdue first
    r = c.post(reverse("practice:screening_add"),
               {"division": last.pk, "on": "2026-03-10", "note": "入户走访"})
    assert r.status_code == 302
    assert ScreeningRound.objects.filter(division=last, conducted_on="2026-03-10").exists()
    r = c.post(reverse("practice:screening_add"),
               {"division": last.pk, "on": "2026-03-11", "note": ""})
    assert r.status_code == 409 and "不能晚于今天" in r.content.decode()


def test_dispute_is_added_followed_resolved_by_mediation_or_converted(county, frozen, login):
    c = login(county.users["officer"])
    data = {"division": county.villages[0].pk, "title": "宅基地边界纠纷", "parties": "张某、李某",
            "risk_grade": "medium", "responsible": county.users["town_handler"].pk,
            "responsible_body": "", "description": "", "measures": "现场勘界"}
    r = c.post(reverse("practice:dispute_add"), {**data, "responsible": ""})
    assert r.status_code == 400 and "请确定化解责任人或责任单位" in r.content.decode()
    r = c.post(reverse("practice:dispute_add"), data)
    assert r.status_code == 302
    e = DisputeEntry.objects.get()
    # the responsible township cadre follows up and resolves it
    t = login(county.users["town_handler"])
    act = lambda a, d: t.post(reverse("practice:dispute_action", args=[e.pk, a]), d)  # noqa: E731
    assert act("follow", {"follow-note": "已约双方到村委会"}).status_code == 302
    r = act("resolve", {"resolution": "双方认可", "mediation_kind": "people", "agreement": ""})
    assert r.status_code == 409 and "调解协议" in r.content.decode()
    r = act("resolve", {"resolution": "双方认可", "mediation_kind": "people",
                        "agreement": "以围墙为界"})
    assert r.status_code == 302
    page = t.get(r.url).content.decode()
    assert "人民调解" in page and "以围墙为界" in page and "已约双方到村委会" in page
    # another dispute is converted into a petition matter by the 信访局
    c = login(county.users["officer"])
    c.post(reverse("practice:dispute_add"), {**data, "title": "村道占地补偿"})
    e2 = DisputeEntry.objects.get(title="村道占地补偿")
    r = c.post(reverse("practice:dispute_action", args=[e2.pk, "convert"]),
               {"name": "刘长根", "phone": "13600136001", "title": "村道占地未补偿",
                "request": "请求补偿"})
    assert r.status_code == 302
    e2.refresh_from_db()
    assert e2.status == "converted" and e2.matter.title == "村道占地未补偿"
    # a unit with nothing to do with it gets 404
    assert login(county.users["other_handler"]).get(
        reverse("practice:dispute", args=[e.pk])).status_code == 404


def test_assessment_and_meeting_with_decisions_tracked_to_done(county, frozen, login):
    c = login(county.users["officer"])
    data = {"project": "老旧小区改造", "division": county.townships[0].pk, "body": county.gov.pk,
            "assessed_on": "2026-03-05", "risks": "停车位减少", "grade": "high", "measures": "分期",
            "decision": "implement"}
    r = c.post(reverse("practice:assessment_add"), data)
    assert r.status_code == 409 and "高风险事项应暂缓实施" in r.content.decode()
    assert c.post(reverse("practice:assessment_add"),
                  {**data, "decision": "postpone"}).status_code == 302
    assert RiskAssessment.objects.get().decision == "postpone"
    zj = county.dept("住建")
    r = c.post(reverse("practice:meeting_add"), {
        "kind": "analysis", "held_on": "2026-03-10", "title": "3月信访形势分析研判会",
        "minutes": "", "d0_text": "物业服务专项整治", "d0_body": zj.pk, "d0_due": "2026-04-10",
        "d1_text": "", "d1_body": "", "d1_due": "", "d2_text": "", "d2_body": "", "d2_due": ""})
    assert r.status_code == 302
    page = c.get(r.url).content.decode()
    assert "物业服务专项整治" in page and "落实中" in page
    d = MeetingDecision.objects.get()
    # the owner unit reports it done; the 人社局 may not
    assert login(county.users["other_handler"]).post(
        reverse("practice:decision_complete", args=[d.pk]), {"evidence": "x"}).status_code == 404
    h = login(county.users["unit_head"])
    assert "物业服务专项整治" in h.get(reverse("practice:meetings")).content.decode()
    r = h.post(reverse("practice:decision_complete", args=[d.pk]), {"evidence": "已开展整治"})
    assert r.status_code == 302
    assert MeetingDecision.objects.get().done_on is not None
