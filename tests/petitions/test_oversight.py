"""§40: the supervised body answers a 督办 in writing (¶1); a 信访部门's 改进工作 / 完善政策 /
追究责任 recommendations (¶1–¶3), each with its 建议书 and a D12 clock owed by the receiving
body, which answers on adoption in writing (¶4). Both doors, the sweep, one audit row per act."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import sh
from tests.scenario import advance, register
from xinfang.audit.models import AuditLog
from xinfang.documents import render_html
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.petitions import clocks, jobs, oversight, services
from xinfang.petitions.models import Clock, Document, Recommendation, Supervision

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = pytest.mark.usefixtures("module_county")

PROBLEM = "住建局对该信访事项推诿拖延，逾期未答复信访人。"
PROPOSAL = "建立信访事项办理台账，按期答复。"


@pytest.fixture
def handling(county, frozen):
    return advance(county, register(county, sh(2026, 3, 2)), "handling")


def _supervise(county, m) -> Supervision:
    return services.supervise(m, user=county.users["supervisor"], note="请说明逾期原因",
                              feedback_days=10)


def _recommend(county, m, name="recommend_improve", to=None, **kw) -> Recommendation:
    return services.oversight_act(name, user=county.users["officer"], matter=m, data={
        "to_body": (to or county.dept("住建")).pk, "problem": PROBLEM, "proposal": PROPOSAL,
        **kw})


def test_the_supervised_unit_answers_in_writing_and_meets_the_s1_clock(county, handling, frozen):
    s = _supervise(county, handling)
    s1 = Clock.objects.get(matter=handling, code="S1")
    assert s1.body == county.dept("住建") and s1.due_on == clocks.today() + timedelta(days=10)
    assert s.feedback_clock == s1 and handling.documents.filter(
        kind=Document.Kind.SUPERVISION).exists()  # the 督办单
    frozen.shift(timedelta(days=3))
    services.oversight_act("supervision_feedback", user=county.users["handler"],
                           data={"supervision": s.pk, "text": "已于3月4日答复信访人，附答复意见书。"})
    s1.refresh_from_db()
    s.refresh_from_db()
    assert s1.met_on == clocks.today() and s.feedback_text.startswith("已于3月4日")
    assert AuditLog.objects.filter(action="supervision_feedback", object_id=str(s.pk)).count() == 1
    # The supervisor asks again: a new S1 clock, the unit answers again, then it is accepted.
    services.oversight_act("review_supervision_feedback", user=county.users["supervisor"],
                           data={"supervision": s.pk, "review": "again",
                                 "note": "请附答复意见书送达回证"})
    s.refresh_from_db()
    assert s.feedback_at is None and s.feedback_clock != s1 and s.feedback_clock.met_on is None
    services.oversight_act("supervision_feedback", user=county.users["unit_head"],
                           data={"supervision": s.pk, "text": "送达回证已补报。"})
    services.oversight_act("review_supervision_feedback", user=county.users["supervisor"],
                           data={"supervision": s.pk, "review": "accepted"})
    s.refresh_from_db()
    assert s.resolved_at is not None
    assert AuditLog.objects.filter(action="review_supervision_feedback").count() == 2


def test_a_handler_of_another_unit_cannot_answer_the_supervision(county, handling):
    s = _supervise(county, handling)
    with pytest.raises(Forbidden, match="被督办的机关、单位"):
        services.oversight_act("supervision_feedback", user=county.users["other_handler"],
                               data={"supervision": s.pk, "text": "代为反馈"})
    with pytest.raises(Forbidden):  # nor may the supervisor answer its own 督办
        services.oversight_act("supervision_feedback", user=county.users["supervisor"],
                               data={"supervision": s.pk, "text": "代为反馈"})
    s.refresh_from_db()
    assert s.feedback_at is None and not AuditLog.objects.filter(
        action="supervision_feedback").exists()


@pytest.mark.parametrize("name,kind,extra", [
    ("recommend_improve", "improve", {}),
    ("recommend_policy", "policy", {}),
    ("recommend_accountability", "accountability", {}),
])
def test_each_recommendation_issues_its_document_and_a_d12_clock_owed_by_the_receiver(
        county, handling, name, kind, extra):
    to = county.dept("住建")
    if kind == "accountability":  # to the body with management authority over 住建
        to, extra = county.discipline, {"concerns_body": county.dept("住建").pk}
    elif kind == "policy":
        to = county.gov
    r = _recommend(county, handling, name, to=to, **extra)
    assert r.kind == kind and r.to_body == to
    d12 = r.clock
    assert d12.code == "D12" and d12.body == to and d12.met_on is None
    assert d12.due_on == clocks.today() + timedelta(days=30)  # 2005 §36 ¶2, configurable
    doc = r.document
    assert doc.kind == Document.Kind.RECOMMENDATION and not doc.to_petitioner
    html = render_html(doc)
    assert PROBLEM in html and PROPOSAL in html and to.name in html and "§40" in html
    assert str(Recommendation.Kind(kind).label) + "书" in html
    assert AuditLog.objects.filter(action=name, object_id=str(r.pk)).count() == 1
    # §40 ¶4: the receiving body answers on adoption in writing; that meets D12.
    receiver = {"improve": county.users["handler"], "policy": county.users["gov_officer"]}.get(kind)
    if receiver is None:
        from xinfang.org.models import User

        receiver = User.objects.create(username="jiwei", role="officer", body=county.discipline)
    services.oversight_act("recommendation_feedback", user=receiver, data={
        "recommendation": r.pk, "adoption": "partial", "text": "已建立台账；追责另行研究。"})
    r.refresh_from_db()
    d12.refresh_from_db()
    assert r.adoption == "partial" and d12.met_on == clocks.today()
    assert AuditLog.objects.filter(action="recommendation_feedback",
                                   object_id=str(r.pk)).count() == 1
    year = oversight.counts(clocks.today().replace(month=1, day=1), clocks.today())
    assert year[kind] == {"issued": 1, "adopted": 0, "partial": 1, "rejected": 0, "pending": 0}


def test_accountability_goes_to_the_body_with_management_authority(county, handling):
    zj = county.dept("住建").pk
    with pytest.raises(GuardFailed, match="被追责的单位本身"):
        _recommend(county, handling, "recommend_accountability", concerns_body=zj)
    with pytest.raises(GuardFailed, match="没有管理权限"):
        _recommend(county, handling, "recommend_accountability", to=county.dept("人社"),
                   concerns_body=zj)
    # The body above it (Body.parent: the county government) is one.
    r = _recommend(county, handling, "recommend_accountability", to=county.gov, concerns_body=zj)
    assert r.concerns_body_id == zj


def test_only_a_xinfang_office_recommends_and_only_the_receiver_answers(county, handling):
    for key in ("handler", "supervisor", "registrar", "gov_officer"):
        with pytest.raises(Forbidden):
            services.oversight_act("recommend_improve", user=county.users[key], matter=handling,
                                   data={"to_body": county.dept("住建").pk, "problem": PROBLEM,
                                         "proposal": PROPOSAL})
    r = _recommend(county, handling)
    with pytest.raises(Forbidden, match="收到建议的机关、单位"):
        services.oversight_act("recommendation_feedback", user=county.users["other_handler"],
                               data={"recommendation": r.pk, "adoption": "adopted", "text": "x"})
    assert not Recommendation.objects.exclude(pk=r.pk).exists()


def test_the_sweep_flags_feedback_that_is_overdue(county, handling, frozen):
    s = _supervise(county, handling)
    r = _recommend(county, handling)
    frozen.shift(timedelta(days=31))
    jobs.sweep()
    for clock in (s.feedback_clock, r.clock):
        clock.refresh_from_db()
        assert clock.alert == Clock.Alert.OVERDUE and clock.met_on is None
        assert Supervision.objects.filter(clock=clock, kind=Supervision.Kind.OVERDUE).exists()
    watched = oversight.watched_by(county.users["supervisor"])
    assert r in watched.recommendations and s in watched.supervisions
    assert oversight.overdue(r.feedback_due, r.feedback_at)


def test_both_doors(county, handling, login):
    """The web (matter page, oversight page, supervision page) and the API take the same acts."""
    c = login("officer")
    page = c.get(reverse("matter", args=[handling.pk])).content.decode()
    assert reverse("matter_oversight", args=[handling.pk, "recommend_policy"]) in page
    r = c.post(reverse("matter_oversight", args=[handling.pk, "recommend_improve"]), {
        "recommend_improve-to_body": county.dept("住建").pk,
        "recommend_improve-problem": PROBLEM, "recommend_improve-proposal": PROPOSAL})
    assert r.status_code == 302, r.content.decode()[:500]
    bad = c.post(reverse("matter_oversight", args=[handling.pk, "recommend_accountability"]), {
        "recommend_accountability-to_body": county.dept("住建").pk,
        "recommend_accountability-concerns_body": county.dept("住建").pk,
        "recommend_accountability-problem": PROBLEM,
        "recommend_accountability-proposal": PROPOSAL})
    assert bad.status_code == 409 and "被追责的单位本身" in bad.content.decode()
    rec = Recommendation.objects.get()
    # The receiving unit sees it on its oversight page and answers there.
    h = login("handler")
    page = h.get(reverse("oversight")).content.decode()
    assert rec.document.number in page and PROPOSAL in page
    r = h.post(reverse("oversight_act", args=["recommendation_feedback"]), {
        "recommendation_feedback-recommendation": rec.pk,
        "recommendation_feedback-adoption": "rejected",
        "recommendation_feedback-text": "该事项已按期答复。"})
    assert r.status_code == 302
    rec.refresh_from_db()
    assert rec.adoption == "rejected"
    bad = h.post(reverse("oversight_act", args=["recommendation_feedback"]), {
        "recommendation_feedback-recommendation": rec.pk,
        "recommendation_feedback-adoption": "maybe", "recommendation_feedback-text": "x"})
    assert bad.status_code == 400 and "采纳情况" in bad.content.decode()
    sup_page = login("supervisor").get(reverse("supervision")).content.decode()
    assert "不采纳" in sup_page and "本年度建议采纳情况" in sup_page
    # The API: a policy recommendation, its list, the receiver's answer, and a refusal.
    api = APIClient()
    api.force_authenticate(county.users["officer"])
    r = api.post(f"/api/v1/matters/{handling.pk}/oversight/recommend_policy",
                 {"to_body": county.gov.pk, "problem": PROBLEM, "proposal": PROPOSAL},
                 format="json")
    assert r.status_code == 200, r.content
    rid = r.json()["recommendation"]["id"]
    r = api.post(f"/api/v1/matters/{handling.pk}/oversight/recommend_policy",
                 {"to_body": county.gov.pk, "problem": PROBLEM}, format="json")
    assert r.status_code == 400 and "建议内容" in r.content.decode()
    listed = api.get(f"/api/v1/matters/{handling.pk}/oversight").json()
    assert {x["kind"] for x in listed["recommendations"]} == {"improve", "policy"}
    api.force_authenticate(county.users["other_handler"])
    r = api.post("/api/v1/oversight/recommendation_feedback",
                 {"recommendation": rid, "adoption": "adopted", "text": "采纳"}, format="json")
    assert r.status_code == 403
    api.force_authenticate(county.users["gov_officer"])
    owed = api.get("/api/v1/oversight").json()["owed"]["recommendations"]
    assert [x["id"] for x in owed] == [rid]
    r = api.post("/api/v1/oversight/recommendation_feedback",
                 {"recommendation": rid, "adoption": "adopted", "text": "采纳，将修订政策"},
                 format="json")
    assert r.status_code == 200 and r.json()["recommendation"]["adoption"] == "adopted"
