"""接访安排, compliance, the portal's 预登记 and the staff triage, through the test client."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.practice.helpers import county_leader
from xinfang.practice import services as svc
from xinfang.practice.models import PreRegistration, ReceptionSlot

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def _leader(county):
    leader = county.users["leader"]
    svc.set_leader_profile(leader, user=county.users["officer"])
    return leader


def test_officer_proposes_a_month_publishes_and_cancels(county, frozen, login):
    _leader(county)
    county_leader(county, "ld_b", "周副县长", principal=True)
    c = login(county.users["officer"])
    r = c.post(reverse("practice:schedule_propose"), {"period": "month", "start": "2026-04"})
    assert r.status_code == 302 and r.url.endswith("?month=2026-04")
    slots = list(ReceptionSlot.objects.filter(day__month=4))
    assert slots and all(s.status == "proposed" for s in slots)
    page = c.get(r.url).content.decode()
    assert "县领导每日轮值" in page and "公布所选安排" in page
    r = c.post(reverse("practice:schedule_publish"),
               {"slot": [s.pk for s in slots[:2]], "month": "2026-04"})
    assert r.status_code == 302
    assert ReceptionSlot.objects.filter(status="published").count() == 2
    r = c.post(reverse("practice:slot_cancel", args=[slots[0].pk]), {"reason": ""})
    assert r.status_code == 400 and "请说明取消原因" in r.content.decode()
    r = c.post(reverse("practice:slot_cancel", args=[slots[0].pk]), {"reason": "临时公务"})
    assert r.status_code == 302
    assert ReceptionSlot.objects.get(pk=slots[0].pk).status == "cancelled"


def test_adding_a_field_visit_needs_a_place_and_a_duplicate_is_refused(county, frozen, login):
    leader = _leader(county)
    c = login(county.users["officer"])
    data = {"leader": leader.pk, "day": "2026-03-20", "session": "day", "kind": "field",
            "place": "", "topics": "饮水安全", "capacity": 10}
    r = c.post(reverse("practice:slot_add"), data)
    assert r.status_code == 409 and "下访地点" in r.content.decode()
    r = c.post(reverse("practice:slot_add"), {**data, "place": "青石村村委会"})
    assert r.status_code == 302
    slot = ReceptionSlot.objects.get()
    assert (slot.kind, slot.place, slot.status) == ("field", "青石村村委会", "proposed")
    r = c.post(reverse("practice:slot_add"), {**data, "place": "青石村村委会"})
    assert r.status_code == 409 and "已有接访安排" in r.content.decode()


def test_compliance_flags_the_leader_behind(county, login):
    import time_machine

    from tests.conftest import sh

    on_track = _leader(county)
    behind = county_leader(county, "ld_b", "周副县长")
    officer = county.users["officer"]
    with time_machine.travel(sh(2026, 9, 8), tick=False):
        sept = svc.add_slot(on_track, date(2026, 9, 10), user=officer, publish=True)
        svc.add_slot(behind, date(2026, 9, 15), user=officer, publish=True)
    with time_machine.travel(sh(2026, 9, 10), tick=False):
        svc.mark_held(sept, user=officer, no_visitors=True,
                      room_log="接待室登记簿：9月10日全天无群众来访")
    with time_machine.travel(sh(2026, 10, 12), tick=False):
        body = login(officer).get(reverse("practice:compliance") + "?month=2026-09&period=quarter"
                                  ).content.decode()
    row = body[body.index("周副县长"):][:400]
    assert "落后" in row and "未达标" in body
    assert "县领导轮值空档" in body and "10-10" in body  # 调休 Saturday without a leader


def test_schedule_and_reports_are_closed_to_an_unrelated_unit(county, frozen, login):
    c = login(county.users["other_handler"])
    for name in ("schedule", "compliance", "report_daily", "report_monthly", "prevention",
                 "backlog"):
        assert c.get(reverse(f"practice:{name}")).status_code == 403, name


def test_citizen_books_a_published_day_and_gets_a_code(county, frozen, client):
    leader = _leader(county)
    officer = county.users["officer"]
    slot = svc.add_slot(leader, date(2026, 3, 12), user=officer, publish=True, capacity=2,
                        topics="城乡建设")
    hidden = svc.add_slot(leader, date(2026, 3, 13), user=officer)  # proposed only
    page = client.get(reverse("practice:portal_schedule")).content.decode()
    assert "陈县长" in page and "城乡建设" in page and "2026年3月12日" in page
    assert "2026年3月13日" not in page
    assert client.get(reverse("practice:portal_preregister", args=[hidden.pk])).status_code == 404
    url = reverse("practice:portal_preregister", args=[slot.pk])
    data = {"name": "王大明", "phone": "12", "id_number": "", "division": county.villages[0].pk,
            "title": "小区电梯停运", "request": "请求修复电梯", "content": ""}
    r = client.post(url, data)
    assert r.status_code == 400 and "请填写正确的联系电话" in r.content.decode()
    r = client.post(url, {**data, "phone": "13800138000"})
    assert r.status_code == 302 and r.url == reverse("practice:portal_done")
    p = PreRegistration.objects.get()
    done = client.get(r.url).content.decode()
    assert p.code in done and "预登记成功" in done
    assert svc.seats_left(slot) == 1
    r = client.post(url, {**data, "phone": "13800138000"})
    assert r.status_code == 409 and "您已预约该场次" in r.content.decode()
    r = client.post(reverse("practice:portal_lookup"), {"code": p.code, "phone": "13800138000"})
    assert "待分办" in r.content.decode()


def test_triage_over_htmx_returns_the_row_with_the_brief(county, frozen, login):
    leader = _leader(county)
    slot = svc.add_slot(leader, date(2026, 3, 12), user=county.users["officer"], publish=True)
    p = svc.preregister(slot, name="王大明", phone="13800138000", title="小区电梯停运",
                        request="请求修复电梯", division=county.villages[0])
    c = login(county.users["officer"])
    assert "王大明" in c.get(reverse("practice:preregs")).content.decode()
    url = reverse("practice:prereg_triage", args=[p.pk])
    r = c.post(url, {f"t{p.pk}-decision": "decline", f"t{p.pk}-note": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 409 and "说明理由" in r.content.decode()
    r = c.post(url, {f"t{p.pk}-decision": "accept", f"t{p.pk}-note": ""}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body
    assert f'id="prereg-{p.pk}"' in body and "访前研判" in body and "初信初访" in body
    assert PreRegistration.objects.get(pk=p.pk).status == "accepted"
    # another unit's handler neither lists nor triages it
    other = login(county.users["other_handler"])
    assert other.get(reverse("practice:preregs")).status_code == 403
    assert other.post(url, {f"t{p.pk}-decision": "no_show"}).status_code == 404
