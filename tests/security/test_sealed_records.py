"""Issue 14 item 13, the remainder: every other record that can hold a confidential matter's
free text — dispatch texts (交办要求, 退回理由, 办结报告, 协办意见), 督办 notes and replies,
ratings' comments, 回访 records, 重大紧急 declarations and measures, 包案 tasks, plans and
evidence, 接谈 records and the 预登记 they came from — is encrypted at rest, read back as
typed, rotated with the field key, and sealed by the migration and when a matter becomes a
report later."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from tests.conftest import sh
from tests.scenario import advance, register
from xinfang.petitions import services
from xinfang.petitions.models import Dispatch, Evaluation, Matter, Supervision
from xinfang.petitions.models_followup import FollowUp
from xinfang.petitions.models_urgent import UrgentDeclaration, UrgentMeasure
from xinfang.practice import services as practice
from xinfang.practice.models import Case, CaseLog, CaseMilestone, PreRegistration, VisitRecord

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

SECRET = "王大明说张所长收了红包"

# (table, columns, the matter column or a join to it)
TABLES = {
    "petitions_dispatch": (["instructions", "report_text"], "matter_id"),
    "petitions_supervision": (["note", "feedback_text"], "matter_id"),
    "petitions_evaluation": (["comment"], "matter_id"),
    "petitions_followup": (["opinion"], "matter_id"),
    "petitions_urgentdeclaration": (["event", "risk"], "matter_id"),
    "petitions_urgentmeasure": (["text"], "matter_id"),
    "practice_case": (["task", "plan"], "matter_id"),
}


def _raw(sql: str, *params: object) -> str:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return repr(cur.fetchall())


def _raw_rows(matter_id: int) -> dict[str, str]:
    out = {t: _raw(f"SELECT {', '.join(cols)} FROM {t} WHERE {key} = %s", matter_id)
           for t, (cols, key) in TABLES.items()}
    out["practice_casemilestone"] = _raw(
        "SELECT evidence FROM practice_casemilestone WHERE case_id IN "
        "(SELECT id FROM practice_case WHERE matter_id = %s)", matter_id)
    out["practice_caselog"] = _raw(
        "SELECT note, data FROM practice_caselog WHERE case_id IN "
        "(SELECT id FROM practice_case WHERE matter_id = %s) AND action = 'milestone'",
        matter_id)
    return out


def _walk(county, **kw) -> Matter:
    """A matter through 交办 with instructions, a 办结报告, a 督办 and its reply, a 回访 with a
    rating, a 重大紧急 declaration and a 包案 with one duty done — each carrying SECRET."""
    u = county.users
    m = register(county, sh(2026, 3, 2), **kw)
    m = services.transition(m, "assign", user=u["officer"], data={
        "to_body": county.dept("住建").pk, "report_due": "2026-03-30",
        "instructions": f"交办要求：{SECRET}"})
    m = advance(county, m, "replied")
    services.submit_report(m, user=u["handler"], text=f"办结报告：{SECRET}")
    s = services.supervise(m, user=u["supervisor"], note=f"督办：{SECRET}")
    services.oversight_act("supervision_feedback", user=u["handler"],
                           data={"supervision": s.pk, "text": f"反馈：{SECRET}"})
    services.record_follow_up(m, user=u["officer"], data=services.FollowUpIn(
        contact_at=timezone.now(), channel="phone", opinion=f"回访：{SECRET}",
        petitioner_id=m.petitioners.first().pk, rating="basic"))
    services.declare_urgent(m, user=u["officer"], event=f"事件：{SECRET}", scale="1人",
                            risk=f"风险：{SECRET}", measures=f"措施：{SECRET}")
    case = practice.open_case(m, user=u["officer"], task=f"任务：{SECRET}",
                              leader=u["leader"], handler=u["handler"],
                              due_on=date(2026, 4, 30), plan=f"方案：{SECRET}")
    practice.record_milestone(case, "investigate", user=u["handler"],
                              evidence=f"佐证：{SECRET}")
    return Matter.objects.get(pk=m.pk)


def test_every_record_of_a_confidential_matter_is_encrypted_at_rest(county, frozen):
    m = _walk(county, confidential=True)
    for table, text in _raw_rows(m.pk).items():
        assert SECRET not in text, table
        assert "xf1:" in text, table
    # Read through the application, each is the text that was typed.
    lead = Dispatch.objects.get(matter=m, role="lead")
    assert (lead.instructions, lead.report_text) == (f"交办要求：{SECRET}", f"办结报告：{SECRET}")
    s = Supervision.objects.get(matter=m, kind="manual")
    assert (s.note, s.feedback_text) == (f"督办：{SECRET}", f"反馈：{SECRET}")
    assert Evaluation.objects.get(matter=m).comment == f"回访：{SECRET}"
    assert FollowUp.objects.get(matter=m).opinion == f"回访：{SECRET}"
    assert UrgentDeclaration.objects.get(matter=m).risk == f"风险：{SECRET}"
    assert UrgentMeasure.objects.get(matter=m).text == f"措施：{SECRET}"
    case = Case.objects.get(matter=m)
    assert (case.task, case.plan) == (f"任务：{SECRET}", f"方案：{SECRET}")
    assert CaseMilestone.objects.get(case=case).evidence == f"佐证：{SECRET}"
    assert SECRET in CaseLog.objects.get(case=case, action="milestone").note


def test_an_ordinary_matters_records_stay_plain(county, frozen):
    m = _walk(county)
    rows = _raw_rows(m.pk)
    assert SECRET in rows["petitions_dispatch"] and SECRET in rows["practice_case"]
    assert "xf1:" not in "".join(rows.values())


def test_the_pages_show_the_sealed_records(county, frozen, login):
    m = _walk(county, confidential=True)
    case = Case.objects.get(matter=m)
    page = login("officer").get(f"/matters/{m.pk}/").content.decode()
    assert f"办结报告：{SECRET}" in page and f"督办：{SECRET}" in page
    assert f"风险：{SECRET}" in page and f"回访：{SECRET}" in page
    assert "xf1:" not in page and "（无法解密）" not in page
    page = login("leader").get(f"/practice/cases/{case.pk}/").content.decode()
    assert f"任务：{SECRET}" in page and f"佐证：{SECRET}" in page and "xf1:" not in page


def test_the_sealed_records_are_rotated_with_the_field_key(county, frozen, settings):
    import secrets

    from xinfang.ops import keyrotation

    m = _walk(county, confidential=True)
    before = _raw_rows(m.pk)
    old_key = settings.FIELD_KEY
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = secrets.token_urlsafe(48), [old_key]
    keyrotation.rotate(batch=7)
    assert all(r.finished for r in keyrotation.verify())
    after = _raw_rows(m.pk)
    assert all(before[t] != after[t] for t in before)  # every token is a new one
    settings.FIELD_KEYS_OLD = []  # the old key retired: everything still reads
    assert Dispatch.objects.get(matter=m, role="lead").report_text == f"办结报告：{SECRET}"
    assert Case.objects.get(matter=m).task == f"任务：{SECRET}"
    assert CaseMilestone.objects.get(case__matter=m).evidence == f"佐证：{SECRET}"
    assert UrgentMeasure.objects.get(matter=m).text == f"措施：{SECRET}"


def test_rows_written_before_are_sealed_by_the_migrations(county, frozen):
    m = _walk(county, confidential=True)
    # As a database from before these fields were sealable: plain text (update() skips
    # the fields' sealing).
    Dispatch.objects.filter(matter=m).update(report_text=SECRET)
    Supervision.objects.filter(matter=m).update(note=SECRET)
    FollowUp.objects.filter(matter=m).update(opinion=SECRET)
    Case.objects.filter(matter=m).update(task=SECRET)
    CaseMilestone.objects.filter(case__matter=m).update(evidence=SECRET)
    assert all(SECRET in _raw_rows(m.pk)[t] for t in (
        "petitions_dispatch", "petitions_supervision", "petitions_followup", "practice_case",
        "practice_casemilestone"))
    for module in ("xinfang.petitions.migrations.0018_sealed_free_text_elsewhere",
                   "xinfang.practice.migrations.0003_sealed_free_text"):
        importlib.import_module(module).seal_confidential(apps, None)
    for table, text in _raw_rows(m.pk).items():
        assert SECRET not in text, table
    assert Case.objects.get(matter=m).task == SECRET


def test_a_matter_corrected_into_a_report_has_its_earlier_records_sealed(county, frozen):
    from xinfang.petitions.services.correction import Correction, correct_registration

    m = register(county, sh(2026, 3, 2))
    m = services.transition(m, "assign", user=county.users["officer"], data={
        "to_body": county.dept("住建").pk, "report_due": "2026-03-30",
        "instructions": f"交办要求：{SECRET}"})
    assert SECRET in _raw("SELECT instructions FROM petitions_dispatch WHERE matter_id = %s",
                          m.pk)
    correct_registration(m, Correction(matter={"klass": "report", "accused_name": "张所长"},
                                       reason="实为检举控告"), user=county.users["officer"])
    assert Matter.objects.get(pk=m.pk).seals_text
    for sql in ("SELECT instructions FROM petitions_dispatch WHERE matter_id = %s",
                "SELECT note, data FROM petitions_event WHERE matter_id = %s",
                "SELECT content FROM petitions_matter WHERE id = %s"):
        text = _raw(sql, m.pk)
        assert SECRET not in text and "阳光小区" not in text, sql
    assert Dispatch.objects.get(matter=m).instructions == f"交办要求：{SECRET}"


def test_a_visit_registered_as_a_report_seals_its_talk_and_preregistration(county):
    import time_machine

    from tests.practice.helpers import county_leader

    leader = county_leader(county, "ld_seal", "李县长")
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        slot = practice.add_slot(leader, date(2026, 3, 5), user=county.users["officer"],
                                 publish=True, topics="作风")
        p = practice.preregister(slot, name="王大明", phone="13800138000",
                                 title=f"反映：{SECRET}", request=f"诉求：{SECRET}",
                                 division=county.villages[0])
        p = practice.triage(p, user=county.users["officer"], decision="accept")
        assert SECRET in _raw("SELECT title, request FROM practice_preregistration "
                              "WHERE id = %s", p.pk)  # no matter's yet: plain
    with time_machine.travel(sh(2026, 3, 5), tick=False):
        reg = practice.registration_from_prereg(p, klass="report", accused_name="张所长")
        visit = practice.record_visit(slot, leader=leader, talk=f"接谈：{SECRET}", prereg=p,
                                      registration=reg)
    assert visit.matter.seals_text
    for sql, pk in (("SELECT talk FROM practice_visitrecord WHERE id = %s", visit.pk),
                    ("SELECT title, request, brief FROM practice_preregistration "
                     "WHERE id = %s", p.pk)):
        text = _raw(sql, pk)
        assert SECRET not in text and "xf1:" in text, sql
    assert VisitRecord.objects.get(pk=visit.pk).talk == f"接谈：{SECRET}"
    assert PreRegistration.objects.get(pk=p.pk).title == f"反映：{SECRET}"
