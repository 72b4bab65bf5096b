"""A leader's visit page (接谈记录, 现场交办, report, 首问负责) and 包案/积案 pages."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import sh
from tests.petitions.helpers import register
from tests.practice.helpers import county_leader
from tests.scenario import advance
from xinfang.petitions.models import Dispatch
from xinfang.practice import services as svc
from xinfang.practice.models import Case, VisitRecord

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def _slot(county, day=date(2026, 3, 10)):
    leader = county.users["leader"]
    svc.set_leader_profile(leader, user=county.users["officer"])
    return svc.add_slot(leader, day, user=county.users["officer"], publish=True)


def test_leader_records_a_walk_in_and_assigns_lead_and_assist_units(county, frozen, login):
    slot = _slot(county)
    leader = county.users["leader"]
    zj, rs = county.dept("住建"), county.dept("人社")
    c = login(leader)
    page = c.get(reverse("practice:slot", args=[slot.pk])).content.decode()
    assert "填写接谈记录" in page
    r = c.post(reverse("practice:visit_record", args=[slot.pk]),
               {"prereg": "", "name": "孙立群", "phone": "13900139001", "talk": "电梯停运两月",
                "division": county.villages[0].pk, "title": "", "request": "请求修复"})
    assert r.status_code == 400 and "请填写反映的事项" in r.content.decode()
    r = c.post(reverse("practice:visit_record", args=[slot.pk]),
               {"prereg": "", "name": "孙立群", "phone": "13900139001", "talk": "电梯停运两月",
                "division": county.villages[0].pk, "title": "小区电梯停运", "request": "请求修复"})
    assert r.status_code == 302
    v = VisitRecord.objects.get()
    assert v.matter.first_contact == leader
    p = f"a{v.pk}-"
    r = c.post(reverse("practice:visit_assign", args=[v.pk]),
               {p + "to_body": zj.pk, p + "assist_bodies": [rs.pk], p + "report_due": "2026-03-25",
                p + "grade": "yellow", p + "instructions": "三日内约谈物业"})
    assert r.status_code == 302
    ds = {(d.to_body_id, d.role) for d in Dispatch.objects.filter(matter=v.matter)}
    assert ds == {(zj.pk, "lead"), (rs.pk, "assist")}
    page = c.get(r.url).content.decode()
    assert "主办：<strong>安平县住房和城乡建设局</strong>" in page and "人力资源" in page
    report = c.get(reverse("practice:visits")).content.decode()
    assert v.matter.number in report and "办理中" in report and "黄色" in report
    assert "我首问的事项" in report and "小区电梯停运" in report


def test_another_leader_cannot_record_and_an_unrelated_unit_sees_nothing(county, frozen, login):
    slot = _slot(county)
    other = county_leader(county, "ld_x", "周副县长")
    r = login(other).post(reverse("practice:visit_record", args=[slot.pk]),
                          {"name": "甲", "talk": "x", "division": county.villages[0].pk,
                           "title": "t", "request": "r"})
    assert r.status_code == 403 and "接访领导本人" in r.content.decode()
    c = login(county.users["other_handler"])
    assert c.get(reverse("practice:slot", args=[slot.pk])).status_code == 404


def _matter(county, when=None):
    return register(county, when or sh(2026, 3, 2))


def test_officer_opens_a_case_members_record_milestones_outsiders_get_404(county, frozen, login):
    m = _matter(county)
    leader, handler = county.users["leader"], county.users["handler"]
    c = login(county.users["officer"])
    data = {"matter": m.number, "task": "化解物业收费纠纷", "leader": leader.pk,
            "handler": handler.pk, "due_on": "2026-04-30", "plan": "约谈、核账、答复"}
    r = c.post(reverse("practice:case_open"), {**data, "matter": "NOPE"})
    assert r.status_code == 400 and "未找到该信访件" in r.content.decode()
    r = c.post(reverse("practice:case_open"), data)
    assert r.status_code == 302
    case = Case.objects.get()
    page = c.get(r.url).content.decode()
    for text in ("定任务", "化解物业收费纠纷", "定包案领导", "陈县长", "张承办", "2026-04-30"):
        assert text in page
    h = login(handler)
    url = reverse("practice:case_action", args=[case.pk, "milestone"])
    r = h.post(url, {"duty": "settle", "evidence": "承诺书"})
    assert r.status_code == 409 and "应先完成包调查" in r.content.decode()
    assert h.post(url, {"duty": "investigate", "evidence": "核对收费台账"}).status_code == 302
    assert "核对收费台账" in h.get(reverse("practice:case", args=[case.pk])).content.decode()
    assert login(county.users["other_handler"]).get(
        reverse("practice:case", args=[case.pk])).status_code == 404


def test_supervisor_lists_a_case_and_signs_off_its_closure(county, frozen, login):
    m = _matter(county)
    leader, handler, sup = (county.users[k] for k in ("leader", "handler", "supervisor"))
    case = svc.open_case(m, user=county.users["officer"], task="化解", leader=leader,
                         handler=handler, due_on=date(2026, 4, 30))
    s = login(sup)
    r = s.post(reverse("practice:case_action", args=[case.pk, "list"]),
               {"list-note": "每半月报告进展"})
    assert r.status_code == 302
    listed = s.get(reverse("practice:listed")).content.decode()
    assert m.number in listed and "每半月报告进展" in listed
    for duty in ("investigate", "handle", "settle"):
        svc.record_milestone(case, duty, user=leader, evidence="佐证")
    advance(county, m, "replied")  # 销号 only once the matter is answered (issue 17)
    r = login(leader).post(reverse("practice:case_action", args=[case.pk, "closure"]),
                           {"criterion": "settled", "statement": "息诉罢访承诺书",
                            "resolved": "on"})
    assert r.status_code == 302
    s = login(sup)  # one client: log the supervisor back in
    assert "待审核销号" in s.get(reverse("practice:listed")).content.decode()
    r = s.post(reverse("practice:case_action", args=[case.pk, "signoff"]),
               {"decision": "return", "note": ""})
    assert r.status_code == 409 and "说明理由" in r.content.decode()
    r = s.post(reverse("practice:case_action", args=[case.pk, "signoff"]),
               {"decision": "approve", "note": ""})
    assert r.status_code == 302 and Case.objects.get().status == "closed"
    assert login(handler).get(reverse("practice:listed")).status_code == 403


def test_backlog_candidate_is_promoted_and_cases_are_handed_over(county, login):
    leader, officer = county.users["leader"], county.users["officer"]
    with time_machine.travel(sh(2025, 11, 3), tick=False):
        old = _matter(county, sh(2025, 11, 3))
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        c = login(officer)
        page = c.get(reverse("practice:backlog")).content.decode()
        assert old.number in page and "超过规定时长未办结" in page
        p = f"m{old.pk}-"
        r = c.post(reverse("practice:backlog_promote", args=[old.pk]),
                   {p + "leader": leader.pk, p + "handler": county.users["handler"].pk,
                    p + "due_on": "2026-05-30", p + "plan": ""})
        assert r.status_code == 400 and "积案应制定化解方案" in r.content.decode()
        r = c.post(reverse("practice:backlog_promote", args=[old.pk]),
                   {p + "leader": leader.pk, p + "handler": county.users["handler"].pk,
                    p + "due_on": "2026-05-30", p + "plan": "人社局牵头"})
        assert r.status_code == 302
        case = Case.objects.get()
        assert case.kind == "backlog"
        successor = county_leader(county, "ld_new", "新县长")
        r = c.post(reverse("practice:handover_submit"),
                   {"from_user": leader.pk, "to_user": successor.pk, "reason": "职务调整"})
        assert r.status_code == 302
        assert Case.objects.get().leader == successor
        assert "已交接 1 件" in c.get(reverse("practice:handover")).content.decode()


def test_visit_report_query_count_does_not_grow_with_visits(county, frozen, login,
                                                            django_assert_max_num_queries):
    """访后限期办结 lists every visit of the leader; each row's clocks come in one query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from xinfang.petitions.services import PetitionerIn, Registration

    slot = _slot(county)
    leader = county.users["leader"]
    c = login(leader)

    def visit(i: int) -> None:
        reg = Registration(channel="visit", title=f"事项{i}", request="请求", content="事实",
                           division=county.villages[0], received_at=sh(2026, 3, 10),
                           petitioners=[PetitionerIn(name=f"来访人{i}", phone=f"1390013{i:04d}")])
        v = svc.record_visit(slot, leader=leader, talk="接谈", registration=reg)
        svc.assign_on_the_spot(v, leader=leader, to_body=county.dept("住建"),
                               report_due="2026-03-25", grade="yellow",
                               assist_bodies=[county.dept("人社")])

    visit(0)
    c.get(reverse("practice:visits"))
    c.get(reverse("practice:slot", args=[slot.pk]))
    with CaptureQueriesContext(connection) as one_list:
        assert c.get(reverse("practice:visits")).status_code == 200
    with CaptureQueriesContext(connection) as one_slot:
        assert c.get(reverse("practice:slot", args=[slot.pk])).status_code == 200
    for i in range(1, 6):
        visit(i)
    with django_assert_max_num_queries(len(one_list)):
        assert c.get(reverse("practice:visits")).status_code == 200
    with django_assert_max_num_queries(len(one_slot)):
        assert c.get(reverse("practice:slot", args=[slot.pk])).status_code == 200
