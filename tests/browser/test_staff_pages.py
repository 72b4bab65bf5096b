"""The main staff pages (issue 20): WCAG 2.1 AA by axe-core in both languages at a phone's and
a desktop's width, the focus indicator's contrast on the red bars, and charts that carry their
figures (each drawing inside a figure with an accessible name and the table of its values)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from tests.scenario import matter
from xinfang.petitions import intel

from .test_citizen_pages import (
    DESKTOP,
    LANGS,
    PHONE,
    _tab_through,
    audit,
    axe_wcag,
    set_language,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Pages where a chart is or may be drawn: every drawing must come with its figures.
CHART_PAGES = ("/dashboard/", "/topics/", "/practice/reports/daily/",
               "/practice/reports/weekly/", "/practice/reports/monthly/")


@pytest.fixture
def staff_world(county) -> dict[str, Any]:
    """A few matters in different states and channels, so the charts have bars."""
    now = timezone.now()
    ms = [matter(county, "registered", when=now - timedelta(days=40)),
          matter(county, "handling", when=now - timedelta(days=5), channel="letter",
                 phone="13700137000", title="路灯长期不亮"),
          matter(county, "registered", when=now - timedelta(days=1), klass="suggestion",
                 phone="13600136000", title="建议增设公交站")]
    return {"matters": ms}


def staff_pages(staff_world: dict[str, Any]) -> list[str]:
    m = staff_world["matters"][0]
    return ["/", "/register/", f"/matters/{m.pk}/", "/search/?q=物业", "/supervision/",
            "/dashboard/", "/topics/", "/practice/", "/practice/reports/monthly/"]


def test_main_staff_pages_pass_axe_wcag_21_aa_in_both_languages_and_widths(
        live_server, page: Page, county, staff_world, login_as):
    url = live_server.url
    failures: dict[str, Any] = {}
    page.context.clear_cookies()
    for lang in LANGS:
        for size in (PHONE, DESKTOP):
            set_language(page, url, lang)
            page.set_viewport_size(size)
            page.goto(url + "/login/")
            found = axe_wcag(page)
            if found:
                failures[f"/login/ [{lang}, {size['width']}]"] = found
    login_as(county.users["officer"])
    for lang in LANGS:
        set_language(page, url, lang)
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            for path in staff_pages(staff_world):
                page.goto(url + path)
                assert page.locator("h1").count() == 1, path
                found = axe_wcag(page)
                if found:
                    failures[f"{path} [{lang}, {size['width']}]"] = found
            page.goto(url + "/register/")  # the failed registration, with its summary
            page.locator("#register-form button[type=submit]").last.click()
            page.wait_for_load_state()
            found = axe_wcag(page)
            if found:
                failures[f"/register/ failed [{lang}, {size['width']}]"] = found
    assert failures == {}, failures


def test_the_focus_indicator_on_staff_pages_has_3_to_1_contrast(live_server, page: Page,
                                                                 county, staff_world, login_as):
    """The top bar and the menu are dark red: the ring turns white there."""
    login_as(county.users["officer"])
    bad = []
    for path in ("/", f"/matters/{staff_world['matters'][0].pk}/", "/dashboard/"):
        page.goto(live_server.url + path)
        for f in _tab_through(page, limit=60):
            if f["width"] < 2 or f["ratio"] < 3:
                bad.append(f"{path} {f['what']}: {f['colour']} on {f['behind']} = {f['ratio']}:1")
    assert bad == [], bad


CHARTS_JS = """() => {
  const drawings = Array.from(document.querySelectorAll(
      'canvas, svg:not([aria-hidden="true"]), [role="img"]'));
  const orphans = drawings.filter(d => !d.closest('figure.chart-fig'))
      .map(d => d.outerHTML.slice(0, 80));
  const figures = Array.from(document.querySelectorAll('figure.chart-fig')).map(f => {
    const name = id => (document.getElementById(id) || {}).textContent || '';
    const img = f.querySelector('[role="img"]');
    const table = f.querySelector('table');
    const marks = f.querySelectorAll('.bars li, svg.ring path').length;
    return {
      id: f.id,
      figureName: (f.getAttribute('aria-labelledby') || '').split(' ').map(name).join(' ').trim(),
      imgName: img ? (img.getAttribute('aria-labelledby') || '').split(' ').map(name).join(' ').trim() : null,
      marks: marks,
      rows: table ? table.tBodies[0].rows.length : 0,
      tableTotals: table ? Array.from(table.tBodies[0].rows).map(r => r.cells[r.cells.length - 1].textContent.trim()) : [],
      shownTotals: Array.from(f.querySelectorAll('.bars .bar-value')).map(v => v.textContent.trim()),
      width: f.getBoundingClientRect().width,
    };
  });
  return {orphans, figures, scrollWidth: document.documentElement.scrollWidth};
}"""


def test_every_chart_comes_with_its_table_and_a_name(live_server, page: Page, county,
                                                     staff_world, login_as):
    """Issue 20 item 3: on the dashboard, the practice reports and the topics page each chart
    is a figure named by its title and a one-sentence summary, with the table of the values
    it draws; the figures are the dashboard's own; at 375 px nothing is wider than the
    screen."""
    login_as(county.users["officer"])
    seen = 0
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        for path in CHART_PAGES:
            page.goto(live_server.url + path)
            found = page.evaluate(CHARTS_JS)
            assert found["orphans"] == [], (path, found["orphans"])
            assert found["scrollWidth"] <= size["width"], (path, found["scrollWidth"])
            for f in found["figures"]:
                seen += 1
                assert f["figureName"] and f["imgName"], f
                assert "件" in f["imgName"], f  # the summary gives the figures, not just a title
                assert f["rows"] == f["marks"] > 0, f
                if f["shownTotals"]:
                    assert f["tableTotals"] == f["shownTotals"], f
                assert f["width"] <= size["width"], f
    assert seen >= 8  # the dashboard's four charts at both widths

    # The numbers are the dashboard's: the monthly table against the figures it is drawn from.
    data = intel.dashboard_data(county.users["officer"])
    page.goto(live_server.url + "/dashboard/")
    page.locator("#chart-intake summary").click()
    rows = page.locator("#chart-intake tbody tr")
    assert rows.count() == len(data["months"])
    for i, month in enumerate(data["months"]):
        total = sum(s["counts"][i] for s in data["intake_by_channel"])
        assert rows.nth(i).locator("th").inner_text() == month
        assert rows.nth(i).locator("td").last.inner_text() == str(total)
    assert sum(int(rows.nth(i).locator("td").last.inner_text())
               for i in range(rows.count())) == data["total"] == 3


def test_english_staff_pages_mark_chinese_data_with_its_language(live_server, page: Page,
                                                                 county, staff_world, login_as):
    """Issue 20 item 6 (WCAG 3.1.2): on the English staff pages every Chinese text — titles,
    names, bodies, places, the petition's words, the charts' labels — sits in an element
    marked lang="zh…", so a screen reader switches to a Chinese voice for it; an attribute
    holding Chinese (a tooltip, an accessible name) is reported too."""
    login_as(county.users["officer"])
    set_language(page, live_server.url, "en")
    m = staff_world["matters"][0]
    failures: dict[str, Any] = {}
    for path in [*staff_pages(staff_world), f"/matters/{m.pk}/correct/", "/practice/cases/",
                 "/practice/schedule/", "/account/security/"]:
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == "en", path
        found = audit(page, "__audit.chineseOutsideZh()")
        if found:
            failures[path] = found[:8]
    assert failures == {}, failures
    # Data is really marked, not merely absent: the matter's title is read in Chinese.
    page.goto(live_server.url + f"/matters/{m.pk}/")
    assert page.locator("h1 [lang='zh-Hans']").first.inner_text().strip() in m.title
