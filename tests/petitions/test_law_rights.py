"""Rights and duties of the 2022 条例 the workflow used to get wrong (issue 13, items 1–3, 10).

Each test is written from the article's text: §35 (复查 right survives a 不满意 rating), §23 ¶3
(a receiving unit accepts or objects; it does not refuse a forwarded matter itself), 鲁 §45 /
京 §50 (复查/复核 outcomes that send the matter back), §23 ¶1–2 (a unit handles what is brought
to it directly).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import sh
from tests.scenario import REPLY, REVIEW, matter, registration
from xinfang.domain.errors import DomainError, Forbidden, GuardFailed, IllegalTransition
from xinfang.petitions import clocks, jobs, services
from xinfang.petitions.models import Clock, Document, Matter
from xinfang.petitions.services import actors

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


@pytest.fixture
def frozen_at():
    return sh(2026, 3, 2)


def names(user, m: Matter) -> set[str]:
    return {t.name for t in actors.allowed_actions(user, Matter.objects.get(pk=m.pk))}


def d8(m: Matter) -> Clock:
    return Clock.objects.filter(matter=m, code="D8").order_by("-id").first()


# --------------------------------------------------------------------------- §35 and 不满意


def test_unsatisfied_rating_keeps_the_review_right(county, frozen):
    """§35: 30 日 from receipt of the 处理意见书 to ask for 复查 — a rating does not end it."""
    m = matter(county, "replied")
    m = services.transition(m, "rate_unsatisfied", citizen=True,
                            data={"rating": "unsatisfied", "comment": "没有退钱"})
    assert m.state == "replied"
    assert d8(m).met_on is None
    frozen.shift(timedelta(days=20))
    m = services.transition(m, "request_review", citizen=True, data={"reason": "不服"})
    assert m.state == "review_requested"


def test_redo_only_when_the_petitioner_chooses_it(county, frozen):
    m = matter(county, "replied")
    with pytest.raises(GuardFailed, match="不满意"):
        services.transition(m, "request_redo", citizen=True)
    m = services.transition(m, "rate_unsatisfied", citizen=True, data={"rating": "unsatisfied"})
    m = services.transition(m, "request_redo", citizen=True)
    assert m.state == "handling" and m.supervised
    # The first opinion's §35 window is still open during the redo …
    assert d8(m).met_on is None
    assert Clock.objects.get(matter=m, code="R1").met_on is None
    # … and the petitioner may still take it to 复查, which ends the redo.
    frozen.shift(timedelta(days=10))
    m = services.transition(m, "request_review", citizen=True, data={"reason": "还是不服"})
    assert m.state == "review_requested"
    assert Clock.objects.get(matter=m, code="R1").met_on is not None


def test_redo_reply_opens_a_new_review_window(county, frozen):
    m = matter(county, "replied")
    m = services.transition(m, "rate_unsatisfied", citizen=True, data={"rating": "unsatisfied"})
    m = services.transition(m, "request_redo", citizen=True)
    first = d8(m)
    frozen.shift(timedelta(days=25))
    m = services.transition(m, "reply", user=county.users["handler"], data={
        **REPLY, "opinion": "重新核算后退还全部多收费用",
        "served_on": clocks.today().isoformat()})
    first.refresh_from_db()
    assert first.met_on is not None  # superseded by the new opinion
    assert d8(m).started_on == clocks.today() and d8(m).met_on is None
    # The new answer is rated afresh (§21 ¶2).
    m = services.transition(m, "rate_satisfied", citizen=True, data={"rating": "satisfied"})


def test_review_needs_a_served_opinion(county, frozen):
    m = matter(county, "handling")
    with pytest.raises(GuardFailed, match="尚未送达处理意见书"):
        services.transition(m, "request_review", citizen=True, data={"reason": "x"})


def test_redo_setting_off(county, frozen, settings):
    settings.XINFANG_REVIEW_RULES = {**settings.XINFANG_REVIEW_RULES,
                                     "redo_on_unsatisfied": False}
    m = matter(county, "replied")
    m = services.transition(m, "rate_unsatisfied", citizen=True, data={"rating": "unsatisfied"})
    with pytest.raises(GuardFailed, match="申请复查"):
        services.transition(m, "request_redo", citizen=True)


def test_sweep_does_not_close_a_matter_in_redo(county, frozen):
    m = matter(county, "replied")
    m = services.transition(m, "rate_unsatisfied", citizen=True, data={"rating": "unsatisfied"})
    m = services.transition(m, "request_redo", citizen=True)
    frozen.shift(timedelta(days=31))
    jobs.sweep()
    m.refresh_from_db()
    assert m.state == "handling"


def test_portal_says_what_each_choice_does(county, frozen, client):
    m = matter(county, "replied")
    m = services.transition(m, "rate_unsatisfied", citizen=True, data={"rating": "unsatisfied"})
    session = client.session
    session["portal_matter_id"] = m.pk
    session["portal_petitioner_id"] = m.petitioners.first().pk  # the proven petitioner
    session.save()
    page = client.get("/portal/matter/").content.decode()
    assert "申请复查" in page and "要求重新办理" in page
    assert "不影响" in page  # the redo does not take the 复查 right away


# --------------------------------------------------------------------------- §23 ¶3


def test_receiving_unit_cannot_refuse_a_forwarded_matter(county, frozen):
    """§23 ¶3: a unit given a 转送/交办 accepts (and notifies) or objects within 5 工作日."""
    m = matter(county, "signed")
    handler = county.users["handler"]
    assert "not_accept" not in names(handler, m)
    assert {"accept", "object"} <= names(handler, m)
    with pytest.raises((Forbidden, IllegalTransition)):
        services.transition(m, "not_accept", user=handler,
                            data={"reason_code": "N7", "reason": "不属本单位"})
    frozen.shift(timedelta(days=10))  # past the objection window: still no refusal
    assert "not_accept" not in names(handler, Matter.objects.get(pk=m.pk))


@pytest.mark.parametrize("upheld", [True, False])
def test_objection_decision_is_a_document(county, frozen, upheld):
    m = matter(county, "objected")
    officer = county.users["officer"]
    with pytest.raises(DomainError):  # the forwarder says why
        services.transition(m, "uphold_objection" if upheld else "reject_objection",
                            user=officer, data={})
    m = services.transition(m, "uphold_objection" if upheld else "reject_objection",
                            user=officer, data={"reason": "经核实，属县人社局职责"})
    doc = Document.objects.get(matter=m, kind=Document.Kind.OBJECTION_DECISION)
    assert doc.context["objection"] == "不属于本单位职责"  # the unit's reasons, as given
    assert doc.context["upheld"] is upheld and "人社局" in doc.context["reason"]
    assert not doc.to_petitioner


# --------------------------------------------------------------------------- 鲁 §45, 京 §50

REDO = {**REVIEW, "review_outcome": "redo", "facts": "事实不清", "opinion": "原意见事实不清",
        "legal_basis": "鲁 §45"}


def test_review_orders_redo_back_to_the_handling_body(county, frozen):
    m = matter(county, "review_requested")
    gov = county.users["gov_officer"]
    with pytest.raises(GuardFailed, match="责令重新办理"):  # issue_review keeps or changes
        services.transition(m, "issue_review", user=gov, data={
            **REDO, "served_on": clocks.today().isoformat()})
    m = services.transition(m, "order_redo_review", user=gov, data={
        **REDO, "redo_days": 20, "served_on": clocks.today().isoformat()})
    assert m.state == "handling" and m.lead_body == county.dept("住建")
    assert m.outcome == ""  # the set-aside conclusion is not shown as standing
    r2 = Clock.objects.get(matter=m, code="R2")
    assert r2.due_on == clocks.today() + timedelta(days=20) and r2.body == county.dept("住建")
    doc = Document.objects.filter(matter=m, kind=Document.Kind.REVIEW).latest("id")
    assert doc.context["redo_body"] == county.dept("住建").name and doc.context["redo_days"] == 20
    # The redone answer may not repeat the one set aside (鲁 §45 ¶2, 京 §50 ¶2) …
    handler = county.users["handler"]
    with pytest.raises(GuardFailed, match="相同或者基本相同"):
        services.transition(m, "reply", user=handler, data={
            **REPLY, "served_on": clocks.today().isoformat()})
    # … a new answer is served, and it can itself be taken to 复查 (§35).
    m = services.transition(m, "reply", user=handler, data={
        **REPLY, "opinion": "重新测量后责令物业退还2400元", "served_on": clocks.today().isoformat()})
    assert m.state == "replied" and Clock.objects.get(matter=m, code="R2").met_on is not None
    m = services.transition(m, "request_review", citizen=True, data={"reason": "仍不服"})
    assert m.state == "review_requested"


def test_recheck_redo_goes_to_the_review_body_and_is_not_final(county, frozen):
    m = matter(county, "recheck_requested")
    city = county.users["city_officer"]
    m = services.transition(m, "order_redo_recheck", user=city, data={
        **REDO, "review_outcome": "set_aside", "served_on": clocks.today().isoformat()})
    assert m.state == "review_requested"  # not final: the 复查 body answers again
    r3 = Clock.objects.get(matter=m, code="R3")
    assert r3.body == county.dept("住建").parent
    assert r3.due_on == clocks.today() + timedelta(days=30)  # the setting's default
    gov = county.users["gov_officer"]
    with pytest.raises(GuardFailed, match="相同或者基本相同"):
        services.transition(m, "issue_review", user=gov, data={
            **REVIEW, "served_on": clocks.today().isoformat()})
    m = services.transition(m, "issue_review", user=gov, data={
        **REVIEW, "review_outcome": "changed", "new_outcome": "partly_supported",
        "opinion": "变更为部分支持：退还一半", "served_on": clocks.today().isoformat()})
    assert m.state == "reviewed" and m.outcome == "partly_supported"
    assert Clock.objects.get(matter=m, code="R3").met_on is not None
    # The redone 复查 opinion can be taken to 复核 again (§36 ¶1).
    m = services.transition(m, "request_recheck", citizen=True, data={"reason": "仍不服"})
    assert m.state == "recheck_requested"


def test_changed_needs_the_new_conclusion(county, frozen):
    m = matter(county, "review_requested")
    with pytest.raises(GuardFailed, match="变更后的处理结论"):
        services.transition(m, "issue_review", user=county.users["gov_officer"], data={
            **REVIEW, "review_outcome": "changed", "served_on": clocks.today().isoformat()})


def test_recheck_document_says_final_only_when_final(county, frozen):
    from xinfang.documents.render import render_html

    m = matter(county, "recheck_requested")
    m = services.transition(m, "order_redo_recheck", user=county.users["city_officer"], data={
        **REDO, "served_on": clocks.today().isoformat()})
    doc = Document.objects.filter(matter=m, kind=Document.Kind.RECHECK).latest("id")
    html = render_html(doc)
    assert "责令" in html and "重新作出复查意见" in html and "最终意见" not in html


# --------------------------------------------------------------------------- §23 ¶1–2


def _direct(county):
    reg = registration(county, when=sh(2026, 3, 2, 9))
    return services.register(reg, holder=county.dept("住建"), user=county.users["handler"])


def test_unit_handles_a_petition_brought_to_it(county, frozen):
    """§23 ¶1–2: register, notify in writing within 15 日, and handle it."""
    m = _direct(county)
    handler = county.users["handler"]
    assert Clock.objects.get(matter=m, code="D2").met_on is None
    offered = names(handler, m)
    assert {"accept_direct", "inform_elsewhere", "not_accept"} <= offered
    m = services.transition(m, "accept_direct", user=handler, data={"route": "按§31（六）办理"})
    assert m.state == "handling" and m.lead_body == county.dept("住建")
    assert Clock.objects.get(matter=m, code="D2").met_on == clocks.today()
    assert Clock.objects.get(matter=m, code="D6").met_on is None
    acceptance = Document.objects.get(matter=m, kind=Document.Kind.ACCEPTANCE)
    assert acceptance.to_petitioner and "§23 ¶1–2" in acceptance.context["basis"]
    # The rest of the path is the ordinary one: reply, then 复查 one level up (§35).
    m = services.transition(m, "reply", user=handler, data={
        **REPLY, "served_on": clocks.today().isoformat()})
    m = services.transition(m, "request_review", citizen=True, data={"reason": "不服"})
    assert m.review_body == county.dept("住建").parent


def test_unit_forwards_only_within_its_own_system(county, frozen):
    m = _direct(county)
    with pytest.raises(GuardFailed, match="本系统"):
        services.transition(m, "forward", user=county.users["handler"],
                            data={"to_body": county.dept("人社").pk})


def test_other_staff_get_no_direct_acts(county, frozen):
    m = _direct(county)
    assert "accept_direct" not in names(county.users["other_handler"], m)
    assert names(county.users["officer"], m) == set()


def test_xinfang_department_does_not_accept_directly(county, frozen):
    m = matter(county, "registered")
    # The 信访部门 disposes by 转送/交办 (§22); it has no "accept it ourselves" act.
    assert "accept_direct" not in names(county.users["officer"], m)
    assert {"forward", "assign"} <= names(county.users["officer"], m)


# --------------------------------------------------------------------------- §29–§31 routes


def test_suggestion_is_answered_without_a_review_route(county, frozen):
    """§29: studied and answered; §35 复查 is for §31 (6) 处理意见书 only."""
    m = matter(county, "signed", klass="suggestion", title="建议增设公交站")
    handler = county.users["handler"]
    with pytest.raises(GuardFailed, match="申诉求决"):
        services.transition(m, "accept", user=handler, data={"route": "研究", "route31": 6})
    m = services.transition(m, "accept", user=handler, data={"route": "按§29研究答复"})
    assert m.route31 is None and Clock.objects.get(matter=m, code="D14").met_on is None
    with pytest.raises(GuardFailed, match="采纳"):
        services.transition(m, "reply", user=handler, data={
            **REPLY, "served_on": clocks.today().isoformat()})
    m = services.transition(m, "reply", user=handler, data={
        **REPLY, "outcome": "adopted", "served_on": clocks.today().isoformat()})
    assert not Clock.objects.filter(matter=m, code="D8").exists()
    with pytest.raises(GuardFailed, match="复查只适用于"):
        services.transition(m, "request_review", citizen=True, data={"reason": "x"})
    assert "request_review" not in services.citizen_choices(m)
    frozen.shift(timedelta(days=31))  # the rating window (V1) passes: 答复办结
    assert jobs.sweep().closed == 1
    m.refresh_from_db()
    assert m.state == "closed" and m.closure_kind == "answered"


def test_report_gets_feedback_not_an_opinion_with_review(county, frozen):
    from xinfang.documents.render import render_html

    m = matter(county, "signed", klass="report", title="举报某站所乱收费", accused_name="某站所所长")
    handler = county.users["handler"]
    m = services.transition(m, "accept", user=handler, data={"route": "依规依纪依法办理"})
    assert Clock.objects.get(matter=m, code="D15").met_on is None
    with pytest.raises(GuardFailed, match="属实"):
        services.transition(m, "reply", user=handler, data={
            **REPLY, "served_on": clocks.today().isoformat()})
    m = services.transition(m, "reply", user=handler, data={
        **REPLY, "outcome": "partly_substantiated", "served_on": clocks.today().isoformat()})
    html = render_html(Document.objects.get(matter=m, kind=Document.Kind.OPINION))
    assert "检举控告" in html and "复查" not in html and "§30" in html
    assert not Clock.objects.filter(matter=m, code="D8").exists()


def test_duty_request_is_answered_with_the_administrative_remedy(county, frozen):
    """§31 (5): perform or answer; the answer is an administrative act (复议/诉讼, not 复查)."""
    from xinfang.documents.render import render_html

    m = matter(county, "signed")
    handler = county.users["handler"]
    m = services.transition(m, "accept", user=handler,
                            data={"route": "依法履行职责", "route31": 5})
    assert m.route31 == 5 and Clock.objects.get(matter=m, code="D16").met_on is None
    assert not Clock.objects.filter(matter=m, code="D6").exists()
    m = services.transition(m, "reply", user=handler, data={
        **REPLY, "served_on": clocks.today().isoformat()})
    html = render_html(Document.objects.get(matter=m, kind=Document.Kind.OPINION))
    assert "行政复议" in html and "请求复查" not in html
    with pytest.raises(GuardFailed, match="复查只适用于"):
        services.transition(m, "request_review", citizen=True, data={"reason": "x"})


def test_statutory_procedures_are_led_in_not_accepted(county, frozen):
    m = matter(county, "signed")
    with pytest.raises(GuardFailed, match="导入法定程序"):
        services.transition(m, "accept", user=county.users["handler"],
                            data={"route": "诉讼", "route31": 1})


def test_the_system_suggests_a_route():
    from xinfang.domain.route31 import suggest

    assert suggest("请求法院尽快执行判决") == 1
    assert suggest("劳动争议已申请仲裁") == 2
    assert suggest("要求城管查处违法占道经营") == 5
    assert suggest("小区物业乱收停车费") == 6


def test_accept_form_preselects_the_suggested_route(county, frozen, login):
    m = matter(county, "signed", title="要求查处违法占道经营", request="请求依法查处占道")
    page = login("handler").get(f"/matters/{m.pk}/").content.decode()
    assert 'name="accept-route31" value="5"' in page
    assert 'value="5" checked' in page or 'value="5" id="id_accept-route31_0" checked' in page


def test_extension_notice_is_served_before_the_limit_runs_out(county, frozen):
    """§34: the petitioner is told the reasons for the extension (延期告知书, served)."""
    m = matter(county, "extension_pending")
    head = county.users["unit_head"]
    with pytest.raises(DomainError, match="送达"):
        services.transition(m, "approve_extension", user=head, data={})
    m = services.transition(m, "approve_extension", user=head, data={
        "served_on": clocks.today().isoformat(), "service_method": "邮寄"})
    notice = Document.objects.get(matter=m, kind=Document.Kind.EXTENSION)
    assert notice.served_on == clocks.today() and notice.service_method == "邮寄"


def test_a_late_request_with_a_valid_reason_reopens_a_lapsed_matter(county, frozen, client):
    """京 §37 (三), 鲁 §33 ¶3 bar a late 复查 request only "无正当理由": after the sweep closed
    the matter on the lapse, the petitioner may still ask with a reason, which the 复查 body
    judges (it may refuse, N8)."""
    m = matter(county, "replied")
    frozen.shift(timedelta(days=31))
    jobs.sweep()
    m.refresh_from_db()
    assert m.state == "closed" and m.closure_kind == "window_lapsed"
    assert "request_review" in services.citizen_choices(m)  # offered, with the reason field
    with pytest.raises(GuardFailed, match="正当理由"):
        services.transition(m, "request_review", citizen=True, data={"reason": "不服"})
    with pytest.raises(DomainError):  # a 复核 of a matter that never had a 复查: no
        services.transition(m, "request_recheck", citizen=True,
                            data={"reason": "不服", "late_reason": "住院"})
    m = services.transition(m, "request_review", citizen=True, data={
        "reason": "不服", "late_reason": "住院治疗四十天，有医院证明"})
    assert m.state == "review_requested" and m.closure_kind == "" and m.closed_at is None
    services.transition(m, "reject_review", user=county.users["gov_officer"], data={
        "reason_code": "N8", "reason": "证明与住院日期不符"})


def test_other_closures_stay_closed(county, frozen):
    m = matter(county, "closed")  # 调解结案 (§33)
    assert "request_review" not in services.citizen_choices(m)
    with pytest.raises(GuardFailed, match="已办结"):
        services.transition(m, "request_review", citizen=True,
                            data={"reason": "x", "late_reason": "y"})


def test_window_lapse_closure_is_a_setting(county, frozen, settings):
    settings.XINFANG_CLOSE_ON_WINDOW_LAPSE = False
    m = matter(county, "replied")
    frozen.shift(timedelta(days=31))
    jobs.sweep()
    m.refresh_from_db()
    assert m.state == "replied"


def test_mediation_needs_both_parties_and_gives_an_agreement(county, frozen):
    """§33: with both parties' consent; a 调解协议书/和解协议书 naming the parties and terms."""
    from xinfang.documents.render import render_html

    m = matter(county, "handling")
    handler = county.users["handler"]
    data = {"agreement": "物业公司30日内退还多收停车费2400元", "agreement_kind": "mediation",
            "other_party": "阳光小区物业公司"}
    with pytest.raises(DomainError):  # no consent recorded
        services.transition(m, "mediate", user=handler, data=data)
    m = services.transition(m, "mediate", user=handler, data={**data, "consent": "both"})
    doc = Document.objects.get(matter=m, kind=Document.Kind.AGREEMENT)
    html = render_html(doc)
    assert "信访事项调解协议书" in html and "阳光小区物业公司" in html and "2400元" in html
    assert m.state == "closed" and m.closure_kind == "mediated"


def test_a_refused_objection_cannot_be_raised_again(county, frozen):
    """§23 ¶3: once the forwarder has checked and not agreed, the unit handles the matter;
    it does not object again within the same 5 个工作日 (QA found the loop)."""
    m = matter(county, "objected")
    m = services.transition(m, "reject_objection", user=county.users["officer"],
                            data={"reason": "属于住建局职责"})
    handler = county.users["handler"]
    with pytest.raises(GuardFailed, match="不同意退回"):
        services.transition(m, "object", user=handler, data={"reason": "仍不属本单位"})
    m = services.transition(m, "sign", user=handler)
    with pytest.raises(GuardFailed, match="不同意退回"):
        services.transition(m, "object", user=handler, data={"reason": "仍不属本单位"})


def test_a_review_request_cannot_be_withdrawn_into_a_closed_matter(county, frozen):
    """Review: withdrawing a 复查 request closed the matter (已办结, 撤回), and the §35 window —
    still open — was then refused as '事项已办结'. A request runs to its opinion."""
    m = matter(county, "review_requested")
    assert "withdraw" not in services.citizen_choices(m)
    with pytest.raises(DomainError):
        services.transition(m, "withdraw", citizen=True, data={"reason": "不想复查了"})
