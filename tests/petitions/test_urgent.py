"""重大、紧急 matters (§25 ¶1–2, §46 (4); issue 13 item 5): who decides, the reports each
body owes as documents with made/sent times, the measures taken, the local time limit
watched by the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.conftest import sh
from tests.petitions.helpers import register
from xinfang.audit.models import AuditLog
from xinfang.documents.render import REDACTED, render_html
from xinfang.domain.errors import Forbidden, GuardFailed, MissingFields
from xinfang.petitions import jobs, services
from xinfang.petitions.models import Document, Event, Matter, UrgentReport

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

URGENT = {"event": "某小区30余名业主聚集在县政府门口，要求解决停车费问题",
          "scale": "约35人，涉及一个小区", "risk": "有扩大聚集、堵塞交通的风险",
          "measures": "已派员现场劝导，稳控情绪"}


def forwarded(county, when):
    """Registered at the 信访局 and forwarded to 住建, which signed for it."""
    m = register(county, when)
    m = services.transition(m, "forward", user=county.users["officer"],
                            data={"to_body": county.dept("住建").pk})
    return services.transition(m, "sign", user=county.users["handler"])


def _kinds(m: Matter) -> dict[str, UrgentReport]:
    return {r.kind: r for r in UrgentReport.objects.filter(matter=m).select_related("document")}


def test_xinfang_officer_declares_four_reports_each_a_document(county):
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        m = register(county, sh(2026, 3, 2, 9))
        services.declare_urgent(m, user=county.users["officer"], **URGENT)
    m.refresh_from_db()
    assert m.is_urgent
    reports = _kinds(m)
    # §25 ¶1 (every body) and ¶2 (a 信访部门: upward and to 国家信访局 at the same time).
    assert set(reports) == {"party_gov", "notice", "upper", "national"}
    names = {k: r.recipient_names for k, r in reports.items()}
    assert names["party_gov"] == "安平县人民政府"
    assert "安平县住房和城乡建设局" in names["notice"]  # the 主管部门 of 物业管理
    assert "安平县信访工作联席会议办公室" in names["notice"]
    assert names["upper"] == "临江市信访局"  # one level up in the division tree
    assert names["national"] == "国家信访局"
    for r in reports.values():
        assert r.document.kind == Document.Kind.URGENT and not r.document.to_petitioner
        assert r.made_at == r.document.issued_at == sh(2026, 3, 2, 10)
        assert r.due_at == sh(2026, 3, 2, 12)  # default: 2 hours
        assert r.sent_at is None
        html = render_html(r.document)
        for text in URGENT.values():
            assert text in html
        assert "2026年3月2日10:00" in html and "尚未报送" in html


def test_department_owes_two_reports_and_sending_is_recorded(county):
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        m = forwarded(county, sh(2026, 3, 2, 9))
        services.declare_urgent(m, user=county.users["unit_head"], **URGENT)
    reports = _kinds(m)
    assert set(reports) == {"party_gov", "notice"}  # not a 信访部门: §25 ¶1 only
    assert reports["party_gov"].recipient_names == "安平县人民政府"
    with time_machine.travel(sh(2026, 3, 2, 10, ) + timedelta(minutes=30), tick=False):
        services.record_measure(m, user=county.users["unit_head"], measures="局长到场约谈物业公司")
    with time_machine.travel(sh(2026, 3, 2, 11), tick=False):
        r = services.mark_report_sent(m, user=county.users["unit_head"],
                                      report=reports["party_gov"].pk, sent_via="fax")
    assert r.sent_at == sh(2026, 3, 2, 11) and r.sent_via == "fax"
    html = render_html(r.document)
    assert "2026年3月2日11:00" in html and "机要传真" in html  # sent: when and how
    assert "局长到场约谈物业公司" in html  # the measures up to the moment it was sent
    with pytest.raises(GuardFailed, match="已于"):
        services.mark_report_sent(m, user=county.users["unit_head"],
                                  report=reports["party_gov"].pk, sent_via="fax")
    # The 信访局 did not declare: it has no report of its own to mark, nor this body's.
    with pytest.raises(GuardFailed, match="尚未认定"):
        services.mark_report_sent(m, user=county.users["officer"],
                                  report=reports["notice"].pk, sent_via="fax")


@pytest.mark.parametrize("who", ["other_handler", "city_officer", "handler", "registrar"])
def test_only_the_chain_officers_leaders_and_unit_heads_declare(county, who):
    """A handler of an unrelated unit, an upper office outside the chain, a plain 承办人 and a
    registrar cannot declare (§25: the holding or handling body decides)."""
    m = forwarded(county, sh(2026, 3, 2, 9))
    with pytest.raises(Forbidden):
        services.declare_urgent(m, user=county.users[who], **URGENT)
    assert not UrgentReport.objects.filter(matter=m).exists()
    assert not Matter.objects.get(pk=m.pk).is_urgent


def test_declared_once_per_body_and_every_field_required(county):
    m = register(county, sh(2026, 3, 2, 9))
    with pytest.raises(MissingFields, match="风险研判"):
        services.declare_urgent(m, user=county.users["officer"], **{**URGENT, "risk": " "})
    services.declare_urgent(m, user=county.users["officer"], **URGENT)
    with pytest.raises(GuardFailed, match="已认定"):
        services.declare_urgent(m, user=county.users["officer"], **URGENT)


def test_sweep_flags_an_unsent_report_after_the_settings_hours(county, settings):
    settings.XINFANG_URGENT_REPORT_HOURS = 1
    with time_machine.travel(sh(2026, 3, 2, 10), tick=False):
        m = register(county, sh(2026, 3, 2, 9))
        services.declare_urgent(m, user=county.users["officer"], **URGENT)
        sent = _kinds(m)["party_gov"]
        services.mark_report_sent(m, user=county.users["officer"], report=sent.pk,
                                  sent_via="edoc")
    with time_machine.travel(sh(2026, 3, 2, 10) + timedelta(minutes=59), tick=False):
        assert jobs.sweep().urgent_overdue == 0
    with time_machine.travel(sh(2026, 3, 2, 11) + timedelta(minutes=1), tick=False):
        assert jobs.sweep().urgent_overdue == 3  # the three unsent; the sent one is not late
        assert jobs.sweep().urgent_overdue == 0  # idempotent
    flagged = UrgentReport.objects.filter(matter=m, overdue_at__isnull=False)
    assert set(flagged.values_list("kind", flat=True)) == {"notice", "upper", "national"}
    assert AuditLog.objects.filter(matter_id=m.pk, action="urgent_report_overdue").count() == 3
    assert Event.objects.filter(matter=m, action="urgent_report_overdue").count() == 3


def test_one_audit_row_and_one_event_per_act(county):
    m = register(county, sh(2026, 3, 2, 9))
    officer = county.users["officer"]

    def counts(action: str) -> tuple[int, int]:
        return (AuditLog.objects.filter(matter_id=m.pk, action=action).count(),
                Event.objects.filter(matter=m, action=action).count())

    services.declare_urgent(m, user=officer, **URGENT)
    assert counts("declare_urgent") == (1, 1)
    services.record_measure(m, user=officer, measures="县领导接谈")
    assert counts("urgent_measure") == (1, 1)
    services.mark_report_sent(m, user=officer, report=_kinds(m)["upper"].pk, sent_via="edoc")
    assert counts("urgent_report_sent") == (1, 1)
    assert m.urgent_measures.count() == 2  # the first measure and the one recorded later


def test_report_on_a_complaint_never_goes_to_the_accused_and_carries_no_identity(county):
    zj = county.dept("住建")
    m = register(county, sh(2026, 3, 2, 9), klass="report", accused_body=zj,
                 accused_name="某科长")
    services.declare_urgent(m, user=county.users["officer"], **URGENT)
    for r in _kinds(m).values():
        assert zj.pk not in [x["id"] for x in r.recipients]  # §30 ¶3
        html = render_html(r.document)
        assert REDACTED in html
        assert m.petitioners.first().name not in html
