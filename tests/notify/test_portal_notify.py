"""The portal's 通知设置: an e-mail address given with consent, confirmed by the link mailed to
it (a real SMTP server), then used; SMS off for the matter. Every change audited."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import sh
from tests.scenario import advance, register
from xinfang.audit.models import AuditLog
from xinfang.notify.models import Delivery, MatterContact

PHONE = "13800138000"


def prove(client, m):
    r = client.post("/portal/track/", {"code": m.query_code, "phone": PHONE})
    assert r.status_code == 302, r.content.decode()[:500]


@pytest.mark.django_db(transaction=True)
def test_an_email_is_used_only_once_confirmed_and_then_carries_the_documents(
        county, client, smtpd, settings):
    settings.XINFANG_NOTIFY_RETRY_SECONDS = 0
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        prove(client, m)
        bad = client.post("/portal/notify/email/", {"email": "wang@example.com"}, follow=True)
        assert "请勾选同意" in bad.content.decode()
        client.post("/portal/notify/email/", {"email": "wang@example.com", "consent": "1"})
        m = advance(county, m, "dispatched")  # not confirmed yet: no e-mail for this step
        call_command("worker", "--once")
        [confirm] = smtpd.to("wang@example.com")
        link = re.search(r"https?://\S+/portal/notify/confirm/\S+/", smtpd.text(confirm))[0]
        page = client.get(link[link.index("/portal/"):])
        assert page.status_code == 200 and "邮箱已确认" in page.content.decode()
        m = advance(county, m, "replied")
        call_command("worker", "--once")
    mails = smtpd.to("wang@example.com")[1:]
    subjects = [str(msg["Subject"]).strip() for msg in mails]
    assert subjects == [f"信访事项{m.number}：已受理", f"信访事项{m.number}：已出具处理意见"]
    answer = mails[1]
    assert "结论：予以支持" in smtpd.text(answer) and "复查（§35）" in smtpd.text(answer)
    [pdf] = list(answer.iter_attachments())
    assert pdf.get_filename() == "信访事项处理意见书.pdf"
    assert pdf.get_content()[:5] == b"%PDF-"
    actions = set(AuditLog.objects.filter(matter_id=m.pk).values_list("action", flat=True))
    assert {"notify_email_set", "notify_email_confirmed"} <= actions


@pytest.mark.django_db
def test_sms_off_for_the_matter_from_the_portal(county, client, frozen):
    m = register(county, sh(2026, 3, 2))
    prove(client, m)
    page = client.get("/portal/matter/").content.decode()
    assert "短信通知：已开启" in page
    client.post("/portal/notify/sms/", {"opt_out": "1"})
    assert MatterContact.objects.get(matter=m).sms_opt_out
    advance(county, m, "dispatched")
    assert not Delivery.objects.filter(matter=m, kind="forwarded", channel="sms").exists()
    assert "短信通知：已关闭" in client.get("/portal/matter/").content.decode()
    assert AuditLog.objects.filter(matter_id=m.pk, action="notify_sms_opt_out").exists()


@pytest.mark.django_db
def test_a_forged_confirmation_link_is_refused(client):
    page = client.get("/portal/notify/confirm/not-a-token/")
    assert page.status_code == 400 and "链接无效" in page.content.decode()
