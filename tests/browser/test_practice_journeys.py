"""Practice journeys in headless Chromium (issue 6), each checking what the person sees."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.petitions.helpers import register
from xinfang.petitions import clocks
from xinfang.practice import services as svc
from xinfang.practice.models import PreRegistration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def label(text: str) -> re.Pattern[str]:
    """A field's exact label; required fields carry an aria-hidden "*" after it."""
    return re.compile(rf"^{re.escape(text)}\*?$")


def _report(violations):
    return [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]])
            for v in violations]


def _leader_day(county, days_ahead: int = 0, **kw):
    leader, officer = county.users["leader"], county.users["officer"]
    svc.set_leader_profile(leader, user=officer)
    day = clocks.today() + timedelta(days=days_ahead)
    return svc.add_slot(leader, day, user=officer, publish=True, **kw)


def test_citizen_books_a_leaders_reception_day(live_server, page: Page, county, axe):
    slot = _leader_day(county, 3, topics="城乡建设、物业管理", capacity=5)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + "/portal/reception/")
    card = page.locator(f"#slot-{slot.pk}")
    expect(card).to_contain_text("陈县长")
    expect(card).to_contain_text("城乡建设、物业管理")
    expect(card.locator("dd", has_text="5")).to_be_visible()  # seats left
    assert axe() == [], _report(axe())
    card.get_by_role("link", name=re.compile("预登记")).click()
    expect(page.get_by_role("heading", name="领导接访预登记")).to_be_visible()
    page.get_by_label(label("姓名")).fill("王大明")
    page.get_by_label(label("手机号")).fill("13800138000")
    page.get_by_label(label("问题发生地")).select_option(county.villages[0].code)
    page.get_by_label(label("反映的事项（概要）")).fill("小区电梯长期停运")
    page.get_by_label(label("您的诉求")).fill("请求督促物业修复电梯")
    page.get_by_role("button", name="提交预登记").click()
    expect(page.get_by_role("heading", name="预登记成功")).to_be_visible()
    code = PreRegistration.objects.get().code
    expect(page.locator(".code-big")).to_have_text(code)
    expect(page.get_by_text("小区电梯长期停运")).to_be_visible()
    page.goto(live_server.url + "/portal/reception/")
    expect(page.locator(f"#slot-{slot.pk} dd", has_text="4")).to_be_visible()


def test_leader_records_a_visit_and_assigns_two_units_on_the_spot(live_server, page: Page,
                                                                  county, login_as, axe):
    slot = _leader_day(county, 0)
    login_as(county.users["leader"])
    page.goto(live_server.url + "/practice/visits/")
    page.get_by_role("link", name=re.compile(slot.day.strftime("%Y-%m-%d"))).click()
    expect(page.get_by_role("heading", name="填写接谈记录")).to_be_visible()
    page.get_by_label(label("来访人姓名")).fill("孙立群")
    page.get_by_label(label("联系电话")).fill("13900139001")
    page.get_by_label(label("问题发生地")).select_option(county.villages[0].code)
    page.get_by_label(label("反映的事项")).fill("小区电梯长期停运")
    page.get_by_label(label("诉求")).fill("请求督促物业修复电梯")
    page.get_by_label(label("接谈记录")).fill("来访人反映电梯停运两月，物业推诿。")
    page.get_by_role("button", name="保存接谈记录").click()
    expect(page.get_by_text("接谈记录已保存")).to_be_visible()
    assert axe() == [], _report(axe())
    zj, rs = county.dept("住建"), county.dept("人社")
    page.get_by_label(label("主办单位")).select_option(label=zj.name)
    page.get_by_label(label("协办单位（可多选）")).select_option(label=[rs.name])
    due = clocks.today() + timedelta(days=10)
    page.get_by_label(label("办结报告期限")).fill(due.isoformat())
    page.get_by_label(label("三色等级")).select_option(label="黄色")
    page.get_by_label(label("领导批示")).fill("三日内约谈物业公司")
    page.get_by_role("button", name="现场交办").click()
    expect(page.get_by_text(f"已现场交办：{zj.name}、{rs.name}（协办）")).to_be_visible()
    visit = page.locator("article[id^=visit-]")
    expect(visit).to_contain_text(f"主办：{zj.name}")
    expect(visit).to_contain_text(f"协办：{rs.name}")
    expect(visit).to_contain_text("黄色")
    page.get_by_role("link", name="领导接访").first.click()
    row = page.locator("tr", has_text="小区电梯长期停运")
    expect(row).to_contain_text(zj.name)
    expect(row).to_contain_text("办理中")
    expect(page.locator("#h-first + p + ul")).to_contain_text("小区电梯长期停运")  # 我首问的事项


def test_supervisor_lists_a_case_and_sees_the_listed_cases(live_server, page: Page, county,
                                                           login_as, axe):
    from django.utils import timezone

    officer, sup = county.users["officer"], county.users["supervisor"]
    today = clocks.today()
    listed_m = register(county, timezone.now() - timedelta(days=1), title="企业改制职工社保接续")
    other_m = register(county, timezone.now() - timedelta(days=1), title="小区路灯不亮",
                       phone="13700137000")
    case = svc.open_case(listed_m, user=officer, task="化解社保接续积怨",
                         leader=county.users["leader"], handler=county.users["other_handler"],
                         due_on=today + timedelta(days=30))
    svc.open_case(other_m, user=officer, task="修复路灯", leader=county.users["leader"],
                  handler=county.users["handler"], due_on=today + timedelta(days=20))
    login_as(sup)
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="工作机制").click()
    page.get_by_role("link", name="包案积案").click()
    page.get_by_role("link", name="化解社保接续积怨").click()
    page.locator("#act-list summary").click()
    page.locator("#act-list").get_by_label(label("情况说明")).fill("列为县级挂牌督办，每半月报告进展")
    page.locator("#act-list").get_by_role("button", name="挂牌督办").click()
    expect(page.get_by_text("已挂牌督办", exact=True)).to_be_visible()
    page.get_by_role("link", name="挂牌督办", exact=True).click()
    expect(page.get_by_role("heading", name="挂牌督办案件")).to_be_visible()
    rows = page.locator("#h-listed + div tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(listed_m.number)
    expect(rows.first).to_contain_text("每半月报告进展")
    expect(rows.first).to_contain_text("陈县长")
    expect(page.get_by_text("小区路灯不亮")).to_have_count(0)
    assert axe() == [], _report(axe())
    assert case.pk
