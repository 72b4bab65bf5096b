"""Notices to units and staff beside the dispatch (issue 16 item 1's second list, item 4):
a correction after dispatch reaches the receiving unit through the job queue, on its timeline
and in its queue's badge; 退回 (objection) and its decision, 延期 and its decision each reach
the side that must act next."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import advance, matter, register
from xinfang.domain import states as st
from xinfang.notify.models import Delivery
from xinfang.petitions import services
from xinfang.petitions.services import Correction

pytestmark = pytest.mark.django_db


def _mail(county, *keys: str) -> None:
    for key in keys:
        county.users[key].email = f"{key}@example.gov.cn"
        county.users[key].save()


def _new_badges(c) -> dict[str, str]:
    html = c.get(reverse("queue_badges")).content.decode()
    return dict(re.findall(r'data-new="(\w+)">新 (\d+\+?)<', html))


@pytest.mark.django_db(transaction=True)
def test_a_correction_after_dispatch_reaches_the_unit_by_mail_timeline_and_badge(
        county, smtpd, sms, login, settings):
    settings.XINFANG_NOTIFY_RETRY_SECONDS = 0
    _mail(county, "handler", "unit_head", "officer")
    zj = county.dept("住建")
    with time_machine.travel(sh(2026, 3, 2), tick=False) as t:
        m = advance(county, register(county, sh(2026, 3, 2)), "handling")
        call_command("worker", "--once")
        before = len(smtpd.messages)
        texts_before = len(sms.OUTBOX.get("13800138000", []))
        handler = Client()  # the unit's own browser, open on its queue: nothing new yet
        handler.force_login(county.users["handler"])
        handler.get(reverse("queue"))
        assert _new_badges(handler) == {}
        # The registering body sees, before it corrects, whom the correction will tell.
        officer = login(county.users["officer"])
        page = officer.get(reverse("matter_correct", args=[m.pk])).content.decode()
        assert "更正后将告知：" + zj.name in page
        t.shift(60)
        services.correct_registration(m, user=county.users["officer"], correction=Correction(
            matter={"klass": "suggestion", "category": county.categories["LD01"]},
            reason="来信人反映的是建议，类别登记有误"))
        call_command("worker", "--once")  # the job queue delivers

    told = Delivery.objects.filter(matter=m, kind="corrected")
    assert {d.recipient for d in told} == {"handler@example.gov.cn", "unit_head@example.gov.cn"}
    assert all(d.status == "sent" and d.event.action == "correct_registration" for d in told)
    mails = smtpd.messages[before:]
    assert sorted(r for _, rcpts, _ in mails for r in rcpts) == [
        "handler@example.gov.cn", "unit_head@example.gov.cn"]
    subject = str(mails[0][2]["Subject"]).strip()
    assert subject == f"登记机关更正了信访事项{m.number}的登记信息（事项类别、内容分类）"
    body = smtpd.text(mails[0][2])
    assert f"/matters/{m.pk}/" in body and "按更正后的信息办理" in body
    assert "来信人反映" not in body  # the reason stays on the timeline, not in the mail
    # The petitioner is not texted about an internal correction.
    assert len(sms.OUTBOX.get("13800138000", [])) == texts_before

    # The unit's handler: the matter is new in the queue again, and its timeline shows the
    # correction, its old and new values, and the notices sent for it.
    with time_machine.travel(sh(2026, 3, 2) + timedelta(minutes=5), tick=False):
        assert _new_badges(handler).get("all") == "1"
        page = handler.get(reverse("matter", args=[m.pk])).content.decode()
    item = page[page.index("<strong>更正登记信息</strong>"):]
    item = item[:item.index("</li>\n    \n")] if "</li>\n    \n" in item else item
    old_klass, new_klass = st.KLASS_LABELS[st.Klass.APPEAL], st.KLASS_LABELS[st.Klass.SUGGESTION]
    assert f"事项类别：{old_klass} → {new_klass}" in item
    assert "已告知" + zj.name in item
    assert "通知 · 电子邮件" in item and "已发送" in item


def test_a_correction_at_the_registering_body_tells_no_unit(county, frozen):
    _mail(county, "handler", "unit_head", "officer", "registrar")
    m = matter(county, "registered")
    event = services.correct_registration(m, user=county.users["officer"], correction=Correction(
        matter={"headcount": 2}, reason="人数登记有误"))
    assert event.data["told"] == []
    assert not Delivery.objects.filter(matter=m, kind="corrected").exists()


def test_an_objection_and_its_decision_reach_the_forwarder_and_the_unit(county, frozen):
    _mail(county, "handler", "unit_head", "officer")
    m = matter(county, "objected")
    asked = Delivery.objects.get(matter=m, kind="objection")
    assert asked.recipient == "officer@example.gov.cn"  # the 信访部门 that forwarded
    assert county.dept("住建").name in asked.text and "§23 ¶3" in asked.text
    assert "不属于本单位职责" not in asked.text  # free text stays on the timeline
    m = services.transition(m, "reject_objection", user=county.users["officer"],
                            data={"reason": "属于住建部门职责"})
    decided = Delivery.objects.filter(matter=m, kind="objection_decided")
    assert {d.recipient for d in decided} == {"handler@example.gov.cn",
                                              "unit_head@example.gov.cn"}
    assert all("不同意退回，请继续办理" in d.text for d in decided)


def test_an_extension_request_reaches_the_head_and_its_decision_the_unit(county, frozen):
    _mail(county, "handler", "unit_head")
    m = matter(county, "extension_pending")
    [asked] = Delivery.objects.filter(matter=m, kind="extension_requested")
    assert asked.recipient == "unit_head@example.gov.cn"  # the head approves (§34)
    m = services.transition(m, "approve_extension", user=county.users["unit_head"],
                            data={"served_on": "2026-03-02", "service_method": "当面"})
    decided = Delivery.objects.filter(matter=m, kind="extension_decided")
    assert {d.recipient for d in decided} == {"handler@example.gov.cn",
                                              "unit_head@example.gov.cn"}
    handling = m.clocks.get(code="D6", met_on__isnull=True)  # extended by 30 日 (§34)
    assert all(f"已批准延期（期限{handling.due_on:%Y-%m-%d}）" in d.text for d in decided), (
        [d.text for d in decided], handling.due_on)
    # The petitioner hears of it too, with the 延期告知书 (§34).
    assert Delivery.objects.filter(matter=m, kind="extended", audience="petitioner").exists()


def test_a_correction_no_notice_can_reach_says_so_and_shows_in_the_failed_list(
        county, frozen, client):
    # Issue 16/15: no one at 住建 has an e-mail address and it has no app address — the
    # timeline must not say 已告知; the unit still sees the matter new in its queue.
    _mail(county, "officer")
    zj = county.dept("住建")
    m = matter(county, "handling")
    # The form says so before saving, too.
    client.force_login(county.users["officer"])
    form = client.get(reverse("matter_correct", args=[m.pk])).content.decode()
    assert "其中无法通知、只能在待办队列中看到此次更正的：" in form
    assert f"{zj.name}（无可用通知地址" in form
    event = services.correct_registration(m, user=county.users["officer"], correction=Correction(
        matter={"headcount": 2}, reason="人数登记有误"))
    assert "已告知" not in event.note
    assert (f"未能通知{zj.name}（无可用通知地址" in event.note
            and "该单位可在待办队列中看到此次更正" in event.note)
    assert event.data["told"] == [zj.pk] and event.data["unreached"] == [zj.pk]
    # Its record sits with the failed deliveries: on the matter's timeline and in the admin.
    record = Delivery.objects.get(matter=m, kind="corrected")
    assert (record.status, record.channel, record.audience, record.body) == (
        "failed", "none", "unit", zj)
    assert record.event == event and "无可用通知地址" in record.last_error
    client.force_login(county.users["admin"])
    listed = client.get("/admin/notify/delivery/", {"status__exact": "failed"}).content.decode()
    assert zj.name in listed and "无可用通知地址" in listed
    page = client.get(reverse("matter", args=[m.pk])).content.decode()
    item = page[page.index("<strong>更正登记信息</strong>"):]
    assert f"无可用地址 → {zj.name}" in item[:item.index("</li>\n    \n")] and "发送失败" in item


def test_a_correction_says_told_only_of_the_units_reached(county, frozen, settings):
    # The unit's app address alone reaches it; a unit whose staff all chose no notices is
    # named as not told (skipped, not failed: their choice, the queue still shows it).
    from xinfang.notify.models import StaffPreference

    zj = county.dept("住建")
    m = matter(county, "handling")
    settings.XINFANG_NOTIFY_APP_ADAPTER = "xinfang.notify.channels.WeComRobotAdapter"
    settings.XINFANG_WECOM_WEBHOOKS = json.dumps({str(zj.pk): "http://127.0.0.1:9/hook"})
    event = services.correct_registration(m, user=county.users["officer"], correction=Correction(
        matter={"headcount": 2}, reason="人数登记有误"))
    assert "已告知" + zj.name in event.note and "未能通知" not in event.note
    assert list(Delivery.objects.filter(event=event).values_list("channel", "status")) == [
        ("app", "queued")]
    settings.XINFANG_WECOM_WEBHOOKS = "{}"
    _mail(county, "handler", "unit_head")
    for key in ("handler", "unit_head"):
        StaffPreference.objects.create(user=county.users[key], mode="off")
    event = services.correct_registration(m, user=county.users["officer"], correction=Correction(
        matter={"headcount": 3}, reason="人数登记有误"))
    assert f"未能通知{zj.name}（该单位工作人员均选择不接收通知）" in event.note
    assert list(Delivery.objects.filter(event=event).values_list("channel", "status")) == [
        ("none", "skipped")]


def test_a_dispatch_to_a_unit_without_any_address_is_recorded_as_failed(county, frozen):
    m = matter(county, "dispatched")
    failed = Delivery.objects.get(matter=m, kind="dispatched", status="failed")
    assert failed.body == county.dept("住建") and failed.channel == "none"
