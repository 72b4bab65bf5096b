"""Issue 16 item 1, end to end in Chromium: a citizen files online and gives an e-mail address;
the 信访部门 forwards, the unit signs, accepts and answers; the citizen receives a text and an
e-mail at each step (the SMS adapter's outbox, a real local SMTP server), rates, turns the texts
off, and the next step texts nobody but still mails."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.smtpbox import Collect
from xinfang.notify.messages import SMS_SHAPE
from xinfang.petitions.models import Matter

from .test_journeys import _act

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13600136000"
MAIL = "qian@example.com"


def deliver() -> None:
    """The job worker (`xinfang worker --once`): runs every queued delivery."""
    call_command("worker", "--once")


def texts(sms) -> list[str]:
    return list(sms.OUTBOX.get(PHONE, []))


def mails(smtpd: Collect) -> list[tuple[str, str]]:
    return [(str(m["Subject"]).strip(), smtpd.text(m)) for m in smtpd.to(MAIL)]


def test_citizen_hears_of_every_step_by_sms_and_mail_and_can_stop_the_texts(
        live_server, page: Page, county, sms, smtpd, login_as, settings):
    settings.XINFANG_NOTIFY_RETRY_SECONDS = 0
    # --- the citizen files online
    page.goto(live_server.url + "/portal/submit/")
    page.get_by_label("姓名（名称）").fill("钱多多")
    page.get_by_label("手机号（用于查询进度）").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#otp-status")).to_contain_text("验证码已发送")
    page.get_by_label("短信验证码").fill(sms.last_code(PHONE))
    page.get_by_label("问题发生地").select_option(county.villages[0].code)
    page.get_by_label("标题").fill("小区路灯长期不亮")
    page.get_by_label("您的请求").fill("请求尽快修复路灯")
    page.get_by_label("事实和理由").fill("东门社区3栋门前路灯坏了三个月，夜间出行不便。")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    code = page.locator(".code-big").inner_text().strip()
    m = Matter.objects.get(query_code=code)

    # --- gives an e-mail address with consent, and confirms it from the mail
    page.get_by_role("link", name="查看办理进度").click()
    page.get_by_label("电子邮箱（可不填）").fill(MAIL)
    page.get_by_label(re.compile("我同意通过电子邮件接收")).check()
    page.get_by_role("button", name="发送确认邮件").click()
    expect(page.locator(".messages")).to_contain_text("确认邮件已发送至 q***@example.com")
    deliver()
    first = texts(sms)[-1]
    shape = SMS_SHAPE.match(first)
    assert shape and shape["number"] == m.number and shape["code"] == code
    assert "已登记" in first
    [(subject, body)] = mails(smtpd)
    assert subject.startswith("请确认接收信访事项")
    link = re.search(r"https?://\S+/portal/notify/confirm/\S+/", body)[0]
    page.goto(live_server.url + link[link.index("/portal/"):])
    expect(page.get_by_role("heading", name="邮箱已确认")).to_be_visible()

    # --- the 信访部门 forwards; the unit signs, accepts and answers
    url = f"{live_server.url}/matters/{m.pk}/"
    login_as(county.users["officer"])
    page.goto(url)
    box = page.locator("#act-forward")
    box.locator("summary").click()
    box.get_by_label("接收单位").select_option(label=county.dept("住建").name)
    box.get_by_role("button", name="转送", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已转送")
    deliver()
    login_as(county.users["handler"])
    page.goto(url)
    _act(page, "sign", "签收")
    _act(page, "accept", "受理并告知", {"处理途径和程序": "按§31（六）办理，15日内答复"})
    expect(page.locator(".page-head .state")).to_have_text("办理中")  # the request is done
    deliver()
    _act(page, "reply", "出具处理意见书",
         {"查明事实": "经查属实", "处理意见": "十日内修复路灯", "法律法规依据": "《城市照明管理规定》"},
         {"处理结论": "予以支持", "送达方式": "当面送达"})
    expect(page.locator(".page-head .state")).to_have_text("已答复")
    deliver()
    # Staff see each delivery under the step on the timeline.
    expect(page.locator(".notices").first).to_contain_text("136****6000")
    expect(page.locator(".timeline")).to_contain_text("已发送")

    sent = texts(sms)
    phrases = [SMS_SHAPE.match(t)["phrase"] for t in sent if SMS_SHAPE.match(t)]
    assert phrases == ["已登记", "已转送有关单位办理", "已受理", "已出具处理意见"]
    assert all(SMS_SHAPE.match(t)["code"] is None for t in sent[-3:])  # the code only once
    got = mails(smtpd)[1:]
    assert [s for s, _ in got] == [f"信访事项{m.number}：已转送有关单位办理",
                                   f"信访事项{m.number}：已受理",
                                   f"信访事项{m.number}：已出具处理意见"]
    assert county.dept("住建").name in got[0][1]  # the e-mail says to whom
    assert "结论：予以支持" in got[2][1]
    [pdf] = list(smtpd.to(MAIL)[-1].iter_attachments())
    assert pdf.get_filename() == "信访事项处理意见书.pdf"

    # --- the citizen rates, then turns the texts off
    page.context.clear_cookies()
    page.goto(live_server.url + "/portal/track/")
    page.get_by_label("查询码").fill(code)
    page.get_by_label("登记的手机号").fill(PHONE)
    page.get_by_role("button", name="查询").click()
    rate = page.locator("section[aria-labelledby=h-rate]")
    rate.get_by_role("button", name="获取验证码").click()  # a fresh code for the act
    expect(page.locator("#code-status-rate")).to_contain_text("已发送")
    page.locator("#code-rate").fill(sms.last_code(PHONE))
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator(".messages")).to_contain_text("感谢您的评价")
    page.get_by_role("button", name="不再接收本事项短信").click()
    expect(page.locator(".messages")).to_contain_text("不再发送短信通知")
    expect(page.locator("#h-notify + p + form")).to_contain_text("短信通知：已关闭")

    # --- the next step: a 复查 request. No text; the e-mail still comes.
    page.locator("#review-reason").fill("路灯仍未修复")
    page.locator("section[aria-labelledby=h-review]").get_by_role(
        "button", name="获取验证码").click()
    expect(page.locator("#code-status-review")).to_contain_text("已发送")
    page.locator("#code-review").fill(sms.last_code(PHONE))
    before = len(texts(sms))
    page.get_by_role("button", name="申请复查").click()
    expect(page.locator(".state")).to_have_text("复查中")
    deliver()
    assert len(texts(sms)) == before
    assert mails(smtpd)[-1][0] == f"信访事项{m.number}：复查申请已收到"
