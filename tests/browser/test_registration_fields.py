"""Issue 16 item 7: the registration form's channel- and class-specific fields really hide and
show (a ``.row{display:flex}`` rule overrode the ``hidden`` attribute, so every field showed for
every channel): checked by computed style in Chromium, not by the attribute."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _display(page: Any, name: str) -> str:
    """The computed display of the field's row (the nearest ancestor the form hides)."""
    return page.evaluate("""name => {
        let el = document.querySelector(`[name="${name}"]`);
        while (el && !el.hasAttribute('data-channel') && !el.hasAttribute('data-klass')) {
            el = el.parentElement;
        }
        return el ? getComputedStyle(el).display : 'no-row';
    }""", name)


def _visible(page: Any, name: str) -> bool:
    return page.locator(f'[name="{name}"]').is_visible()


def test_channel_and_class_fields_hide_and_show_by_computed_style(live_server, page, county,
                                                                   login_as):
    page.set_default_timeout(60_000)  # a loaded machine: the registration page takes time
    login_as(county.users["registrar"])
    page.goto(f"{live_server.url}/register/")
    page.select_option("[name=channel]", "letter")
    # 来信: the 来电 number and the visit's fields are not displayed; the letter's are.
    assert _display(page, "caller_number") == "none"
    assert not _visible(page, "caller_number")
    assert _display(page, "reception_room") == "none"
    assert _display(page, "is_collective") == "none"
    assert _display(page, "source_doc_no") == "none"
    assert _display(page, "postmark_on") != "none" and _visible(page, "postmark_on")
    assert _visible(page, "is_joint_letter")
    # 来电: the caller's number shows, the postmark hides.
    page.select_option("[name=channel]", "phone")
    assert _visible(page, "caller_number") and _display(page, "caller_number") == "flex"
    assert _display(page, "postmark_on") == "none" and not _visible(page, "is_joint_letter")
    # The accused fields only for a 检举控告.
    assert not _visible(page, "accused_name")
    page.select_option("[name=klass]", "report")
    assert _visible(page, "accused_name") and _visible(page, "accused_body")


def test_joint_letter_opens_the_signatories_and_is_recorded(live_server, page, county, login_as):
    from xinfang.petitions.models import Matter

    page.set_default_timeout(60_000)  # a loaded machine: the registration page takes time
    login_as(county.users["registrar"])
    page.goto(f"{live_server.url}/register/")
    page.select_option("[name=channel]", "letter")
    assert not _visible(page, "p1_name")  # one petitioner until the letter is flagged
    page.check("[name=is_joint_letter]")
    assert _visible(page, "p1_name")
    page.fill("[name=postmark_on]", "2026-03-01")
    page.fill("[name=headcount]", "12")
    page.fill("[name=p0_name]", "王大明")
    page.fill("[name=p0_phone]", "13800138000")
    page.fill("[name=p1_name]", "李小红")
    page.fill("[name=title]", "小区物业乱收停车费")
    page.fill("[name=request]", "请求退还多收的停车费")
    page.fill("[name=content]", "物业公司每月多收停车费200元，12户业主联名反映。")
    page.select_option("[name=division]", county.villages[0].code)
    page.get_by_role("button", name="保存登记").click()
    expect(page.locator(".messages")).to_contain_text("已登记", timeout=60_000)
    expect(page.locator(".facts")).to_contain_text("联名信")
    m = Matter.objects.get()
    assert m.channel == "letter" and m.is_collective and m.headcount == 12
    assert m.channel_details.get("joint_letter") == "1"
