"""Pages every citizen can use (issue 20), measured in headless Chromium.

One tour walks every state of the citizen's pages (the portal, a failed submit, a receipt, a
failed and a successful tracking, the matter with its rating forms, the reception days, a
failed and a done 预登记, the look-up); each test walks it in both languages and at a phone's
and a desktop's width and checks one thing on every stop: WCAG 2.1 AA by axe-core, targets of
44 × 44 px, the focus indicator's contrast, and the language of Chinese data on English pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests import smsbox
from tests.scenario import matter
from xinfang.petitions import clocks
from xinfang.practice import services as practice

from .conftest import AXE_JS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUDIT_JS = Path(__file__).with_name("audit.js").read_text(encoding="utf-8")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE, DESKTOP = {"width": 375, "height": 740}, {"width": 1280, "height": 800}
LANGS = ("zh-hans", "en")
CITIZEN_PHONE = "13800138000"


def set_language(page: Page, url: str, lang: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": url}])


def audit(page: Page, expression: str) -> Any:
    page.evaluate(AUDIT_JS + "\n;0")
    return page.evaluate(expression)


def axe_wcag(page: Page) -> list[dict[str, Any]]:
    """Every axe-core violation of the WCAG 2.0/2.1 A and AA rules, whatever its impact."""
    if page.evaluate("typeof axe") == "undefined":
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                           " resultTypes: ['violations']})", WCAG_21_AA)
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]])
            for v in result["violations"]]


def _submit(page: Page, name: str) -> None:
    page.locator(f"main button[type=submit]:has-text('{name}')").last.click()
    page.wait_for_load_state()


@pytest.fixture
def citizen_world(county, sms) -> dict[str, Any]:
    """A replied matter (documents and the rating forms on its page) and a published
    reception day."""
    m = matter(county, "replied", when=timezone.now() - timedelta(days=1))
    leader, officer = county.users["leader"], county.users["officer"]
    practice.set_leader_profile(leader, user=officer)
    slot = practice.add_slot(leader, clocks.today() + timedelta(days=3), user=officer,
                             publish=True, capacity=20)
    return {"matter": m, "slot": slot}


def citizen_tour(page: Page, url: str, world: dict[str, Any]) -> Iterator[str]:
    """Walk every citizen page state; yield its name while the page shows it.

    Buttons are found by their place (the last submit button of the form), not their text,
    so the tour runs in either language."""
    m, slot = world["matter"], world["slot"]
    page.goto(url + "/portal/")
    yield "portal"
    page.goto(url + "/portal/submit/")
    yield "submit"
    page.locator("#id_name").fill("钱多多")
    _submit(page, "")
    yield "submit, failed"
    world["petitions"] = world.get("petitions", 0) + 1  # one code a minute per phone
    phone = f"136001360{world['petitions']:02d}"
    page.locator("#id_phone").fill(phone)
    page.locator("button[data-otp]").click()
    expect(page.locator("#otp-status")).to_contain_text("136****")
    page.locator("#id_code").fill(smsbox.last_code(phone))
    page.locator("#id_division").select_option(m.division.code)
    page.locator("#id_title").fill("小区路灯长期不亮")
    page.locator("#id_request").fill("请求尽快修复路灯")
    page.locator("#id_content").fill("东门社区3栋门前路灯坏了三个月，夜间出行不便。")
    _submit(page, "")
    expect(page.locator(".code-big")).to_be_visible()
    yield "receipt"
    page.goto(url + "/portal/track/")
    yield "track"
    page.locator("#id_code").fill("ZZZZZZZZ")
    page.locator("#id_phone").fill(CITIZEN_PHONE)
    _submit(page, "")
    yield "track, failed"
    page.locator("#id_code").fill(m.query_code)
    page.locator("#id_phone").fill(CITIZEN_PHONE)
    _submit(page, "")
    expect(page.locator(".timeline")).to_be_visible()
    yield "matter"
    page.locator("#review-reason").fill("不服处理意见")  # no SMS code: refused at its field
    page.locator("form:has(#review-reason) button.btn-primary").click()
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_be_visible()
    yield "matter, act failed"
    page.goto(url + "/portal/reception/")
    yield "reception"
    page.goto(url + f"/portal/reception/{slot.pk}/")
    yield "pre-register"
    _submit(page, "")
    yield "pre-register, failed"
    world["bookings"] = world.get("bookings", 0) + 1  # one booking per phone and day
    page.locator("#id_name").fill("王大明")
    page.locator("#id_phone").fill(f"139001390{world['bookings']:02d}")
    page.locator("#id_title").fill("小区电梯长期停运")
    page.locator("#id_request").fill("请求督促物业修复电梯")
    _submit(page, "")
    expect(page.locator(".code-big")).to_be_visible()
    yield "pre-register, done"
    page.goto(url + "/portal/reception/lookup/")
    yield "reception look-up"


def each_stop(page: Page, url: str, world: dict[str, Any],
              check: Callable[[str], list[str]], *, langs: tuple[str, ...] = LANGS,
              sizes: tuple[dict[str, int], ...] = (PHONE, DESKTOP)) -> dict[str, list[str]]:
    """Run ``check`` at every stop of the tour in each language and width; the failures."""
    failures: dict[str, list[str]] = {}
    for lang in langs:
        for size in sizes:
            page.context.clear_cookies()
            set_language(page, url, lang)
            page.set_viewport_size(size)
            for stop in citizen_tour(page, url, world):
                found = check(lang)
                if found:
                    failures[f"{stop} [{lang}, {size['width']} px]"] = found
    return failures


# --------------------------------------------------------------------------- item 1


def test_a_failed_form_brings_its_errors_to_the_user(live_server, page: Page, county,
                                                     citizen_world, login_as):
    """Focus lands on a summary naming and linking each field, the title carries the count,
    and each field says it is in error and why (aria-invalid, aria-describedby)."""
    url = live_server.url

    def summary_checks(expected_fields: set[str]) -> None:
        assert page.evaluate("document.activeElement.id") == "error-summary"
        links = page.locator("#error-summary a")
        targets = {links.nth(i).get_attribute("data-focus") for i in range(links.count())}
        assert expected_fields <= targets, targets
        n = page.locator("#error-summary li").count()
        assert page.title().startswith(f"有 {n} 处错误："), page.title()
        for field in targets:
            control = page.locator(f"#{field}")
            assert control.get_attribute("aria-invalid") == "true", field
            described = control.get_attribute("aria-describedby") or ""
            assert any(page.locator(f"#{i}").inner_text().strip() for i in described.split()), field

    page.set_viewport_size(PHONE)
    page.goto(url + "/portal/submit/")
    page.get_by_label("姓名（名称）").fill("钱多多")
    page.get_by_role("button", name="提交", exact=True).click()
    summary_checks({"id_phone", "id_code", "id_division", "id_title", "id_request", "id_content"})
    # The summary's order is the page's: the phone, then the code beneath it.
    order = page.locator("#error-summary a").evaluate_all("els => els.map(e => e.dataset.focus)")
    assert order[:2] == ["id_phone", "id_code"], order
    page.locator("#error-summary a[data-focus=id_division]").click()
    assert page.evaluate("document.activeElement.id") == "id_division"

    page.goto(url + "/portal/track/")
    page.get_by_label("查询码").fill("ZZZZZZZZ")
    page.get_by_label("登记的手机号").fill(CITIZEN_PHONE)
    page.get_by_role("button", name="查询").click()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.title().startswith("有 1 处错误："), page.title()
    for field in ("#id_code", "#id_phone"):  # the code or the phone is wrong: both are marked
        assert page.locator(field).get_attribute("aria-invalid") == "true"
        assert page.locator(field).get_attribute("aria-describedby") == "track-error"
    expect(page.locator("#track-error")).to_contain_text("查询码或手机号不正确")

    page.goto(url + f"/portal/reception/{citizen_world['slot'].pk}/")
    page.get_by_role("button", name="提交预登记").click()
    summary_checks({"id_name", "id_phone", "id_title", "id_request"})

    login_as(county.users["registrar"])
    page.set_viewport_size(DESKTOP)
    page.goto(url + "/register/")
    page.get_by_role("button", name="保存登记").click()
    summary_checks({"id_title"})


def _track_matter(page: Page, url: str, m: Any) -> None:
    page.goto(url + "/portal/track/")
    page.locator("#id_code").fill(m.query_code)
    page.locator("#id_phone").fill(CITIZEN_PHONE)
    _submit(page, "")
    expect(page.locator(".timeline")).to_be_visible()


def test_a_failed_act_on_the_matter_page_is_told_at_its_field(live_server, page: Page,
                                                              citizen_world, sms):
    """The matter page's acts (rating, 复查/复核 request, withdrawal, 补充材料, the SMS code):
    focus lands on the summary, the title carries the count, the link moves focus to the
    control, which is marked invalid and described by the message; what was typed stays."""
    url = live_server.url
    page.set_viewport_size(PHONE)
    _track_matter(page, url, citizen_world["matter"])
    page.locator("#review-reason").fill("不服处理意见，物业仍在乱收费")
    page.locator("form:has(#review-reason) button.btn-primary").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.title().startswith("有 1 处错误："), page.title()
    expect(page.locator("#error-summary [role=alert]")).to_contain_text("请填写短信验证码")
    page.locator("#error-summary a[data-focus=code-review]").click()
    assert page.evaluate("document.activeElement.id") == "code-review"
    code = page.locator("#code-review")
    assert code.get_attribute("aria-invalid") == "true"
    described = (code.get_attribute("aria-describedby") or "").split()
    assert described[0] == "code-review-error"
    expect(page.locator("#code-review-error")).to_contain_text("请填写短信验证码")
    assert page.locator("#review-reason").input_value() == "不服处理意见，物业仍在乱收费"
    # With the code texted and typed wrong, the error is the code's again, in its words.
    page.locator("#code-review + button[data-otp], #code-review ~ button[data-otp]").click()
    expect(page.locator("#code-status-review")).to_contain_text("138****")
    right = sms.last_code(CITIZEN_PHONE)
    code.fill("000000" if right != "000000" else "111111")
    page.locator("form:has(#review-reason) button.btn-primary").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    expect(page.locator("#code-review-error")).to_contain_text("验证码不正确，还可以再试4次")


def test_a_failed_act_is_told_without_javascript(live_server, browser, citizen_world):
    """The same page with JavaScript off: the form posts the ordinary way and the answer
    carries the summary (focused by ``autofocus``) and the marked field."""
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        url = live_server.url
        _track_matter(page, url, citizen_world["matter"])
        page.locator("#review-reason").fill("不服处理意见")
        page.locator("form:has(#review-reason) button.btn-primary").click()
        page.wait_for_load_state()
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert page.title().startswith("有 1 处错误：")
        assert page.locator("#code-review").get_attribute("aria-invalid") == "true"
        assert page.locator("#review-reason").input_value() == "不服处理意见"
        # "获取验证码" without JavaScript: the form is posted, the code is texted, the page
        # says so under the code field and keeps the reason.
        page.locator("#code-review ~ button[data-otp]").click()
        page.wait_for_load_state()
        assert "138****" in page.locator("#code-status-review").inner_text()
        assert page.locator("#review-reason").input_value() == "不服处理意见"
    finally:
        context.close()


def test_a_wrong_sms_code_is_told_in_the_readers_language_at_its_field(live_server, page: Page,
                                                                       county, sms):
    """The count of tries left is translated, and the message is the code field's."""
    url = live_server.url
    set_language(page, url, "en")
    page.goto(url + "/portal/submit/")
    page.locator("#id_phone").fill("13600136000")
    page.get_by_role("button", name="Get code").click()
    expect(page.locator("#otp-status")).to_contain_text("sent to 136****6000")
    # The status line is part of the code field's description.
    assert "otp-status" in page.evaluate(
        "document.getElementById(document.getElementById('id_code')"
        ".getAttribute('aria-describedby').split(' ')[0]).innerHTML")
    page.locator("#id_name").fill("Qian Duoduo")
    page.locator("#id_division").select_option(county.villages[0].code)
    page.locator("#id_title").fill("小区路灯长期不亮")
    page.locator("#id_request").fill("请求尽快修复路灯")
    page.locator("#id_content").fill("东门社区3栋门前路灯坏了三个月。")
    right = sms.last_code("13600136000")
    page.locator("#id_code").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator("#id_code_error")).to_have_text(re.compile("Wrong code; 4 tries left"))
    assert page.locator("#id_code").get_attribute("aria-invalid") == "true"
    assert "id_code_error" in (page.locator("#id_code").get_attribute("aria-describedby") or "")
    expect(page.locator("#error-summary")).to_contain_text("SMS code: Wrong code; 4 tries left")
    assert page.title().startswith("Error (1): "), page.title()


# --------------------------------------------------------------------------- WCAG 2.1 AA


def test_every_citizen_page_passes_axe_wcag_21_aa_in_both_languages_and_widths(
        live_server, page: Page, citizen_world):
    failures = each_stop(page, live_server.url, citizen_world, lambda _lang: axe_wcag(page))
    assert failures == {}, failures


# --------------------------------------------------------------------------- item 4


def test_every_target_on_the_citizen_pages_is_at_least_44_px(live_server, page: Page,
                                                               citizen_world):
    """Measured from the layout: controls, buttons and stand-alone links (a radio or a
    checkbox counts with its label); a link inside a sentence is exempt (WCAG 2.5.5)."""
    failures = each_stop(page, live_server.url, citizen_world,
                         lambda _lang: audit(page, "__audit.smallTargets(44)"),
                         langs=("zh-hans",))
    assert failures == {}, failures


# --------------------------------------------------------------------------- item 5


def _tab_through(page: Page, limit: int = 80) -> list[dict[str, Any]]:
    """Press Tab through the page; the focus indicator of each control reached."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.locator("body").evaluate("b => b.focus()")
    seen: list[dict[str, Any]] = []
    first = None
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = audit(page, "__audit.focusIndicator()")
        if found is None:
            continue
        if found["what"] == first:
            break
        first = first or found["what"]
        seen.append(found)
    return seen


def test_the_focus_indicator_has_3_to_1_contrast_wherever_it_lands(live_server, page: Page,
                                                                    citizen_world):
    """Computed: the outline's colour against the background behind it, for every control
    Tab reaches (the red top bar, the cards, the alerts, the footer)."""
    def check(_lang: str) -> list[str]:
        bad = []
        for f in _tab_through(page):
            if f["width"] < 2 or f["ratio"] < 3:
                bad.append(f"{f['what']}: {f['width']} px, {f['colour']} on {f['behind']} = "
                           f"{f['ratio']}:1")
        return bad

    failures = each_stop(page, live_server.url, citizen_world, check, langs=("zh-hans",),
                         sizes=(PHONE,))
    assert failures == {}, failures


# --------------------------------------------------------------------------- item 6


def test_english_citizen_pages_mark_chinese_data_with_its_language(live_server, page: Page,
                                                                    citizen_world):
    """WCAG 3.1.2: on an English page every Chinese text (a place, a body, a leader's name,
    the petition's own words) sits in an element marked lang="zh-CN"; nothing of the page's
    own text is left in Chinese."""
    failures = each_stop(page, live_server.url, citizen_world,
                         lambda _lang: audit(page, "__audit.chineseOutsideZh()"),
                         langs=("en",), sizes=(PHONE,))
    assert failures == {}, failures


def test_portal_fields_say_what_they_hold(live_server, page: Page, citizen_world):
    """WCAG 1.3.5: the browser can fill in the citizen's own name, phone and address."""
    page.goto(live_server.url + "/portal/submit/")
    for field, token in (("name", "name"), ("phone", "tel"), ("address", "street-address"),
                         ("code", "one-time-code")):
        assert page.locator(f"#id_{field}").get_attribute("autocomplete") == token, field
    page.goto(live_server.url + f"/portal/reception/{citizen_world['slot'].pk}/")
    for field, token in (("name", "name"), ("phone", "tel")):
        assert page.locator(f"#id_{field}").get_attribute("autocomplete") == token, field
