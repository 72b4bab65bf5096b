"""Notifications (issue 16 item 1): who is told of each step, on which channel, with what text;
the job queue delivers, retries and records; confidential reports stay confidential."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import sh
from tests.scenario import advance, matter, register
from xinfang.notify import messages, sweep
from xinfang.notify.models import Delivery, MatterContact
from xinfang.petitions import services

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def petitioner_sms(m) -> list[Delivery]:
    return list(Delivery.objects.filter(matter=m, audience="petitioner", channel="sms")
                .order_by("id"))


def test_every_step_of_the_main_path_texts_the_petitioner_number_state_and_link_only(
        county, frozen):
    m = matter(county, "final")
    sms = petitioner_sms(m)
    assert [d.kind for d in sms] == [
        "registered", "forwarded", "accepted", "answered", "review_requested",
        "review_opinion", "recheck_requested", "recheck_opinion"]
    for i, d in enumerate(sms):
        shape = messages.SMS_SHAPE.match(d.text)
        assert shape, d.text
        assert shape["number"] == m.number and d.recipient == PHONE
        assert d.recipient_label == "138****8000"
        # The query code travels once, in the first SMS.
        assert (shape["code"] == m.query_code) if i == 0 else shape["code"] is None
        for secret in ("王大明", "物业", "住建", "城关镇"):
            assert secret not in d.text
    assert "已出具处理意见" in sms[3].text


def test_a_forward_tells_the_receiving_unit_and_its_e_mail_names_no_one(county, frozen):
    for key in ("handler", "unit_head", "registrar"):
        county.users[key].email = f"{key}@example.gov.cn"
        county.users[key].save()
    m = matter(county, "dispatched")
    staff = Delivery.objects.filter(matter=m, audience="staff")
    assert sorted(d.recipient for d in staff) == ["handler@example.gov.cn",
                                                  "unit_head@example.gov.cn"]
    d = staff.first()
    assert d.kind == "dispatched" and "转送至" in d.text and f"/matters/{m.pk}/" in d.text


def confidential_report(county):
    return register(county, sh(2026, 3, 2), klass="report", confidential=True,
                    title="举报王大明所在小区物业经理贪污", accused_name="钱经理",
                    accused_body=county.dept("人社"))


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def wecom(settings):
    """A local HTTP server standing in for the 企业微信 robot endpoint (the real protocol)."""
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received = []
    settings.XINFANG_NOTIFY_APP_ADAPTER = "xinfang.notify.channels.WeComRobotAdapter"
    yield server, _Hook.received
    server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_a_confidential_reports_notices_to_staff_carry_no_identity(county, wecom, settings,
                                                                    smtpd, sms):
    server, received = wecom
    unit = county.dept("住建")
    settings.XINFANG_WECOM_WEBHOOKS = json.dumps(
        {str(unit.pk): f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=k"})
    settings.XINFANG_NOTIFY_RETRY_SECONDS = 0
    for key in ("handler", "unit_head", "officer"):
        county.users[key].email = f"{key}@example.gov.cn"
        county.users[key].save()
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = confidential_report(county)
        m = services.transition(m, "forward", user=county.users["officer"],
                                data={"to_body": unit.pk})
        services.supervise(m, user=county.users["supervisor"], note="请王大明的举报尽快办理")
        call_command("worker", "--once")
    staff = Delivery.objects.filter(matter=m).exclude(audience="petitioner")
    assert {d.kind for d in staff} == {"dispatched", "supervised"}
    assert all(d.status == "sent" for d in staff), [(d.kind, d.last_error) for d in staff]
    mails = [smtpd.text(msg) + str(msg["Subject"]) for msg in
             smtpd.to("handler@example.gov.cn") + smtpd.to("unit_head@example.gov.cn")]
    apps = [r["text"]["content"] for r in received]
    assert len(mails) == 4 and len(apps) == 2
    for text in mails + apps:
        assert m.number in text
        for secret in ("王大明", PHONE, "贪污", "钱经理", "举报王"):
            assert secret not in text, text
    # The reporter's own SMS goes to the reporter only.
    assert list(sms.OUTBOX) == [PHONE]


@pytest.mark.django_db(transaction=True)
def test_a_failed_delivery_is_retried_recorded_and_shown_on_the_matter_page(
        county, settings, sms, login):
    from tests import smsbox

    settings.XINFANG_SMS_ADAPTER = smsbox.FLAKY_PATH
    smsbox.FlakySmsAdapter.refused = set()
    settings.XINFANG_NOTIFY_RETRY_SECONDS = 0
    county.users["handler"].email = "handler@example.gov.cn"
    county.users["handler"].save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtpd_port_closed()
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        m = advance(county, m, "dispatched")
        call_command("worker", "--once")
    first = Delivery.objects.get(matter=m, kind="registered", channel="sms")
    assert first.status == "sent" and first.attempts == 2
    assert [e["ok"] for e in first.log] == [False, True]
    assert "网关超时" in first.log[0]["error"]
    assert first.text in sms.OUTBOX[PHONE]  # after the one that went through at once
    mail = Delivery.objects.get(matter=m, kind="dispatched", channel="email")
    assert mail.status == "failed" and mail.attempts == 3 and len(mail.log) == 3
    page = login(county.users["officer"]).get(f"/matters/{m.pk}/").content.decode()
    assert "发送失败" in page and "已发送" in page and "138****8000" in page
    assert PHONE not in page


def smtpd_port_closed() -> int:
    from tests.smtpbox import free_port

    return free_port()  # nothing listens there: every attempt is refused


def test_the_opt_out_stops_the_next_sms_and_a_queued_one(county, frozen):
    from xinfang.notify import delivery

    m = matter(county, "dispatched")
    queued = Delivery.objects.get(matter=m, kind="forwarded", channel="sms")
    MatterContact.objects.filter(matter=m).update(sms_opt_out=True)
    m = advance(county, m, "handling")
    assert not Delivery.objects.filter(matter=m, kind="accepted", channel="sms").exists()
    delivery.attempt(queued.pk)
    queued.refresh_from_db()
    assert queued.status == "skipped" and "退订" in queued.last_error


def test_the_petitioner_is_reminded_five_days_before_the_review_window_closes(county):
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = matter(county, "replied")
    d8 = m.clocks.get(code="D8", met_on__isnull=True)
    with time_machine.travel(sh(2026, 3, 2) + timedelta(days=10), tick=False):
        assert sweep.windows_closing() == 0
    day = d8.due_on - timedelta(days=5)
    with time_machine.travel(sh(day.year, day.month, day.day), tick=False):
        assert sweep.windows_closing() == 1
        assert sweep.windows_closing() == 0  # once per window
    [d] = Delivery.objects.filter(matter=m, kind="window_closing", channel="sms")
    assert "申请复查的期限即将届满" in d.text and messages.SMS_SHAPE.match(d.text)


def test_units_hear_of_near_and_overdue_deadlines_from_the_sweep(county):
    from xinfang.petitions import jobs

    county.users["handler"].email = "handler@example.gov.cn"
    county.users["handler"].save()
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = matter(county, "signed")
    with time_machine.travel(sh(2026, 5, 20), tick=False):
        jobs.sweep()
    kinds = set(Delivery.objects.filter(matter=m, audience="staff").values_list("kind", flat=True))
    assert "overdue" in kinds


def test_a_staff_member_who_prefers_the_digest_gets_one_mail_a_day(county, frozen):
    from xinfang.notify.models import StaffPreference

    u = county.users["handler"]
    u.email = "handler@example.gov.cn"
    u.save()
    StaffPreference.objects.create(user=u, mode="digest")
    m1 = matter(county, "dispatched")
    m2 = matter(county, "dispatched", phone="13900139000")
    held = Delivery.objects.filter(user=u, status="held")
    assert held.count() == 2
    assert sweep.digest() == {"digests": 1, "items": 2}
    summary = Delivery.objects.get(user=u, kind="digest")
    assert m1.number in summary.text and m2.number in summary.text
    assert not Delivery.objects.filter(user=u, status="held").exists()


def test_the_citizen_is_texted_when_a_reception_appointment_is_arranged(county):
    from datetime import date

    from xinfang.practice import services as svc

    leader, officer = county.users["leader"], county.users["officer"]
    svc.set_leader_profile(leader, user=officer)
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        slot = svc.add_slot(leader, date(2026, 3, 5), user=officer, publish=True)
        p = svc.preregister(slot, name="王大明", phone=PHONE, title="小区电梯停运",
                            request="请求督促物业修复电梯", division=county.villages[0])
        assert not Delivery.objects.filter(kind="reception").exists()
        svc.triage(p, user=officer, decision="accept")
        svc.triage(p, user=officer, decision="accept")  # the same decision: told once
    [d] = Delivery.objects.filter(kind="reception")
    assert d.recipient == PHONE and f"查询码{p.code}" in d.text
    assert "已安排于3月5日" in d.text and "王大明" not in d.text and "电梯" not in d.text


def test_the_units_question_and_the_withdrawal_reach_the_other_side(county, frozen):
    from xinfang.petitions.services import citizen

    county.users["handler"].email = "handler@example.gov.cn"
    county.users["handler"].save()
    m = matter(county, "handling")
    citizen.ask_petitioner(m, user=county.users["handler"], question="请提供物业收费票据")
    [q] = Delivery.objects.filter(matter=m, kind="question", channel="sms")
    assert "需要您补充材料" in q.text and "票据" not in q.text
    services.transition(m, "withdraw", citizen=True, data={"reason": "已与物业协商解决"})
    assert Delivery.objects.filter(matter=m, kind="withdrawn", channel="sms").exists()
    staff = Delivery.objects.get(matter=m, kind="withdrawn", audience="staff")
    assert staff.recipient == "handler@example.gov.cn" and "撤回" in staff.text


def test_a_staff_member_chooses_the_digest_on_the_account_page(county, frozen, login):
    from xinfang.audit.models import AuditLog
    from xinfang.notify.models import StaffPreference

    u = county.users["handler"]
    u.email, u.phone = "handler@example.gov.cn", ""
    u.save()
    c = login(u)
    refused = c.post("/account/notifications/", {"mode": "each", "sms": "on"})
    assert refused.status_code == 400 and "没有登记手机号" in refused.content.decode()
    assert c.post("/account/notifications/", {"mode": "digest"}).status_code == 302
    assert StaffPreference.objects.get(user=u).mode == "digest"
    assert AuditLog.objects.filter(action="notify_preference").exists()
    m = matter(county, "dispatched")
    assert Delivery.objects.get(matter=m, user=u).status == "held"


def test_a_correction_after_dispatch_tells_the_receiving_unit_which_fields(county, frozen):
    # Issue 16 item 4 (review: the correction named the units it told, but nothing told them).
    from xinfang.petitions.services import Correction

    for key in ("handler", "unit_head"):
        county.users[key].email = f"{key}@example.gov.cn"
        county.users[key].save()
    m = matter(county, "handling")
    services.correct_registration(m, user=county.users["officer"], correction=Correction(
        matter={"klass": "suggestion"}, reason="类别登记有误"))
    told = Delivery.objects.filter(matter=m, audience="staff", kind="corrected")
    assert sorted(d.recipient for d in told) == ["handler@example.gov.cn",
                                                 "unit_head@example.gov.cn"]
    assert "事项类别" in told[0].text and "类别登记有误" not in told[0].text


def test_a_refusal_comes_with_its_notice_and_a_redo_reaches_both_sides(county, frozen):
    # §21 ¶2 / issue 16 item 1: 不予受理 with the notice; a redo after 不满意.
    from django.utils import timezone

    from xinfang.petitions.models import Document

    for key in ("handler", "unit_head"):
        county.users[key].email = f"{key}@example.gov.cn"
        county.users[key].save()
    refused = register(county, sh(2026, 3, 2), phone="13900139001", id_number="",
                       title="噪声扰民")
    MatterContact.objects.filter(matter=refused).update(
        email="zhao@example.com", email_consent_at=timezone.now(),
        email_confirmed_at=timezone.now())
    refused = services.transition(refused, "not_accept", user=county.users["officer"],
                                  data={"reason_code": "N4", "reason": "信访人已撤回"})
    [text] = [d for d in petitioner_sms(refused) if d.kind == "not_accepted"]
    assert messages.SMS_SHAPE.match(text.text)["phrase"] == "不予受理"
    mail = Delivery.objects.get(matter=refused, kind="not_accepted", channel="email")
    notice = Document.objects.get(matter=refused, kind=Document.Kind.NOT_ACCEPTED)
    assert mail.data["documents"] == [notice.pk] and "不予受理告知书" in mail.text

    m = matter(county, "replied")
    m = services.transition(m, "rate_unsatisfied", citizen=True, data={"rating": "unsatisfied"})
    m = services.transition(m, "request_redo", citizen=True)
    assert petitioner_sms(m)[-1].kind == "redo"
    assert messages.SMS_SHAPE.match(petitioner_sms(m)[-1].text)["phrase"] == "已重新办理"
    unit = Delivery.objects.filter(matter=m, kind="redo", audience="staff")
    assert {d.recipient for d in unit} == {"handler@example.gov.cn", "unit_head@example.gov.cn"}
    assert all("不满意" in d.text and f"重新办理（期限{m.next_due:%Y-%m-%d}）" in d.text
               for d in unit), [d.text for d in unit]
