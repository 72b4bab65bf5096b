"""The whole lifecycle of a §31 (6) matter, with the article behind each step."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from tests.conftest import sh
from tests.scenario import matter
from xinfang.domain.errors import DomainError, Forbidden, GuardFailed, IllegalTransition
from xinfang.petitions import services
from xinfang.petitions.models import Clock, Document, Event, Supervision

from .helpers import register

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


SERVE = {"served_on": "2026-04-20", "service_method": "当面"}  # the 延期告知书 (§34)

def _open(m, code):
    return Clock.objects.get(matter=m, code=code, met_on__isnull=True)


def test_registration_arms_d1_from_receipt_and_issues_a_receipt(county):
    """§22: the 信访部门 disposes within 15 日 of receipt; a receipt carries the 查询码."""
    with time_machine.travel(sh(2026, 9, 21), tick=False):
        m = register(county, sh(2026, 9, 20))
    d1 = _open(m, "D1")
    assert d1.started_on == date(2026, 9, 20)
    assert d1.due_on == date(2026, 10, 8)  # 10-05 falls in 国庆 → next workday
    assert d1.unextended_on == date(2026, 10, 5)
    assert m.state == "registered" and len(m.query_code) == 8
    receipt = Document.objects.get(matter=m, kind="receipt")
    # The printed receipt carries the code; the stored snapshot does not (staff read
    # snapshots: issue 14 item 7).
    from xinfang.documents import render_html

    assert m.query_code in render_html(receipt)
    assert "query_code" not in receipt.context
    assert m.next_due == date(2026, 10, 8)


def test_full_lifecycle_assign_extend_reply_review_recheck_final(county):
    officer, handler, head = (county.users[k] for k in ("officer", "handler", "unit_head"))
    zj = county.dept("住建")
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        # §22 ¶1 (3): 交办 with a 办结报告 date and a red feedback grade.
        m = services.transition(m, "assign", user=officer, data={
            "to_body": zj.pk, "report_due": "2026-04-30", "grade": "red"})
        assert m.state == "dispatched" and m.lead_body == zj
        assert _open(m, "D4").due_on == date(2026, 3, 9)  # 5 工作日 (§23 ¶3)
        assert _open(m, "D3").due_on == date(2026, 3, 17)
        assert _open(m, "D5").due_on == date(2026, 4, 30)
        assert Clock.objects.get(matter=m, code="D1").met_on == date(2026, 3, 2)
        m = services.transition(m, "sign", user=handler)
        m = services.transition(m, "accept", user=handler, data={"route": "按§31（六）办理"})
        assert m.state == "handling"
        d6 = _open(m, "D6")
        assert d6.due_on == date(2026, 5, 6)  # 60 日 from 受理 (§34); 05-01 = 03-02+60 is 劳动节
    with time_machine.travel(sh(2026, 4, 20), tick=False):
        # §34: the handler asks, the unit head approves; once only.
        m = services.transition(m, "request_extension", user=handler,
                                data={"days": 30, "reason": "需要测绘"})
        with pytest.raises(Forbidden):
            services.transition(m, "approve_extension", user=handler, data=SERVE)
        m = services.transition(m, "approve_extension", user=head, data=SERVE)
        assert m.state == "handling" and m.extension_used
        assert _open(m, "D6").due_on == date(2026, 6, 1)
        assert Document.objects.filter(matter=m, kind="extension").count() == 1
        with pytest.raises(GuardFailed, match="只能延长一次"):
            services.transition(m, "request_extension", user=handler,
                                data={"days": 10, "reason": "再延"})
    with time_machine.travel(sh(2026, 5, 20), tick=False):
        m = services.transition(m, "reply", user=handler, data={
            "outcome": "supported", "facts": "经查属实", "opinion": "责令退还",
            "legal_basis": "《物业管理条例》第四十条", "served_on": "2026-05-20",
            "service_method": "当面"})
        assert m.state == "replied"
        assert Clock.objects.get(matter=m, code="D6").met_on == date(2026, 5, 20)
        # 30 日 from service (§35): 06-19 is 端午节 2026, so the last day moves to Monday 06-22.
        assert _open(m, "D8").due_on == date(2026, 6, 22)
        opinion = Document.objects.get(matter=m, kind="opinion")
        assert opinion.context["legal_basis"] == "《物业管理条例》第四十条"
    with time_machine.travel(sh(2026, 6, 1), tick=False):
        m = services.transition(m, "request_review", citizen=True, data={"reason": "退还不足"})
        assert m.state == "review_requested" and m.review_body == county.gov  # one level up
        assert _open(m, "D9").due_on == date(2026, 7, 1)
        gov_officer = county.users["gov_officer"]
        m = services.transition(m, "issue_review", user=gov_officer, data={
            "review_outcome": "upheld", "facts": "属实", "opinion": "维持",
            "legal_basis": "§35", "served_on": "2026-06-01", "service_method": "邮寄"})
        assert m.state == "reviewed"
        m = services.transition(m, "request_recheck", citizen=True, data={"reason": "仍不服"})
        assert m.recheck_body == county.city_gov
        d11 = _open(m, "D11")
        assert d11.due_on == date(2026, 7, 1)
    city = county.users["city_officer"]
    with time_machine.travel(sh(2026, 6, 5), tick=False):
        m = services.transition(m, "start_hearing", user=city, data={
            "hearing_requested_by": "petitioner", "hearing_requested_on": "2026-06-02",
            "hearing_on": "2026-06-05"})
    with time_machine.travel(sh(2026, 6, 12), tick=False):
        m = services.transition(m, "end_hearing", user=city, data={"conclusion": "维持"})
        # §36 ¶2: the 7 hearing days are not counted.
        assert _open(m, "D11").due_on == date(2026, 7, 8)
        m = services.transition(m, "issue_recheck", user=city, data={
            "review_outcome": "upheld", "facts": "属实", "opinion": "维持",
            "legal_basis": "§36", "served_on": "2026-06-12", "service_method": "当面"})
    assert m.state == "final"
    with pytest.raises(IllegalTransition):
        services.transition(m, "request_review", citizen=True, data={"reason": "again"})
    actions = list(Event.objects.filter(matter=m).values_list("action", flat=True))
    assert actions[:4] == ["register", "assign", "sign", "accept"] and actions[-1] == "issue_recheck"


def test_objection_only_within_five_working_days(county):
    """§23 ¶3: a wrongly addressed unit objects within 5 个工作日, otherwise it must handle it."""
    with time_machine.travel(sh(2026, 9, 28), tick=False):
        m = register(county, sh(2026, 9, 28))
        m = services.transition(m, "forward", user=county.users["officer"],
                                data={"to_body": county.dept("住建").pk})
        # 09-29, 09-30, then 国庆 is skipped: 10-08, 10-09 and the 调休 Saturday 10-10.
        assert _open(m, "D4").due_on == date(2026, 10, 10)
    with time_machine.travel(sh(2026, 10, 12), tick=False):
        with pytest.raises(GuardFailed, match="5个工作日"):
            services.transition(m, "object", user=county.users["handler"],
                                data={"reason": "不属于本单位"})
    with time_machine.travel(sh(2026, 10, 10), tick=False):
        m = services.transition(m, "object", user=county.users["handler"],
                                data={"reason": "应由城关镇处理"})
        assert m.state == "objected"
        m = services.transition(m, "uphold_objection", user=county.users["officer"],
                                data={"reason": "经核实不属该单位职责"})
        assert m.state == "registered" and m.lead_body is None
        # Re-routing keeps the original receipt date for D1.
        assert _open(m, "D1").started_on == date(2026, 9, 28)


def test_report_is_never_dispatched_to_the_accused_unit(county):
    """§30 ¶3."""
    zj = county.dept("住建")
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2), klass="report", accused_body=zj,
                     accused_name="某科长")
        with pytest.raises(GuardFailed, match="§30"):
            services.transition(m, "forward", user=county.users["officer"],
                                data={"to_body": zj.pk})
        m = services.transition(m, "refer_discipline", user=county.users["officer"],
                                data={"to_body": county.discipline.pk})
    assert m.state == "closed" and m.closure_kind == "referred_discipline"


def test_unsatisfied_rating_then_chosen_redo_goes_back_under_supervision(county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = matter(county, "replied", when=sh(2026, 3, 2), reply={
            "outcome": "not_supported", "facts": "f", "opinion": "o", "legal_basis": "b",
            "served_on": "2026-03-02", "service_method": "短信"})
        m = services.transition(m, "rate_unsatisfied", citizen=True,
                                data={"rating": "unsatisfied", "comment": "没解决"})
        assert m.state == "replied" and not m.supervised  # a rating alone changes no route
        m = services.transition(m, "request_redo", citizen=True)
    assert m.state == "handling" and m.supervised and m.redo_count == 1
    assert Supervision.objects.filter(matter=m, kind="redo").count() == 1
    assert _open(m, "R1").due_on == date(2026, 4, 1)


def test_illegal_transitions_are_errors_not_no_ops(county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        with pytest.raises(IllegalTransition):
            services.transition(m, "sign", user=county.users["handler"])
        with pytest.raises(Forbidden):  # a registrar cannot dispose (§22 belongs to officers)
            services.transition(m, "forward", user=county.users["registrar"],
                                data={"to_body": county.dept("住建").pk})
        with pytest.raises(DomainError, match="接收单位"):
            services.transition(m, "forward", user=county.users["officer"], data={})
    m.refresh_from_db()
    assert m.state == "registered"


def test_service_dates_cannot_precede_the_step_they_answer(county):
    """A back-dated service date would start the §35 window in the past and lapse it at once."""
    handler = county.users["handler"]
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        m = matter(county, "handling", when=sh(2026, 3, 2))
        reply = {"outcome": "supported", "facts": "经查属实", "opinion": "责令退还",
                 "legal_basis": "有关规定", "service_method": "当面"}
        with pytest.raises(GuardFailed, match="送达日期不能早于受理日期（2026-03-10）"):
            services.transition(m, "reply", user=handler, data={**reply, "served_on": "1900-01-01"})
        with pytest.raises(GuardFailed, match="不能晚于今天"):
            services.transition(m, "reply", user=handler, data={**reply, "served_on": "2026-03-11"})
        m = services.transition(m, "reply", user=handler, data={**reply, "served_on": "2026-03-10"})
        m = services.transition(m, "request_review", citizen=True, data={"reason": "不服"})
        review = {"review_outcome": "upheld", "facts": "属实", "opinion": "维持",
                  "legal_basis": "§35", "service_method": "邮寄"}
        with pytest.raises(GuardFailed, match="不能早于处理意见书送达日期"):
            services.transition(m, "issue_review", user=county.users["gov_officer"],
                                data={**review, "served_on": "2026-03-09"})
    assert m.state == "review_requested"


def test_received_time_must_be_now_or_earlier_and_not_absurdly_old(county):
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        for when, message in ((sh(2030, 1, 1), "收到时间不能晚于现在"),
                              (sh(1900, 1, 1), "收到时间超出合理范围")):
            with pytest.raises(services.ValidationFailed) as e:
                register(county, when)
            assert message in e.value.errors["received_at"]
        assert register(county, sh(2026, 3, 10)).number.startswith("990121" + "2026")
