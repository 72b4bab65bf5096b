"""Issue 20 item 6 (WCAG 3.1.2): on English pages Chinese data is marked lang="zh-Hans", so a
screen reader reads it with a Chinese voice; Chinese pages and documents are left as they are.
(The browser test tests/browser/test_staff_pages.py walks the rendered pages the same way.)"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import matter
from xinfang.core.langmark import CJK, mark_chinese

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
SKIP = {"script", "style", "title", "template"}


class _Unmarked(HTMLParser):
    """Chinese text (and Chinese values and placeholders of fields) outside any element marked
    lang="zh…", the way a screen reader meets it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []  # (tag, lang)
        self.found: list[str] = []

    def _zh(self) -> bool:
        for _tag, lang in reversed(self.stack):
            if lang:
                return lang.lower().startswith("zh")
        return False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input":
            shown = a.get("value", "") + a.get("placeholder", "")
            if CJK.search(shown) and not (a.get("lang", "").startswith("zh") or self._zh()):
                self.found.append(f"<input {shown[:30]}>")
            return
        if tag not in VOID:
            self.stack.append((tag, a.get("lang", "")))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if any(t in SKIP for t, _l in self.stack):
            return
        if CJK.search(data) and not self._zh():
            self.found.append(data.strip()[:40])


def unmarked(html: str) -> list[str]:
    p = _Unmarked()
    p.feed(html)
    return p.found


def test_runs_of_chinese_are_wrapped_and_the_pages_english_is_not():
    out = mark_chinese("<p>Registered by 王信访 · 安平县信访局 on 2026-03-02: 阳光小区3栋</p>")
    assert out == ('<p>Registered by <span lang="zh-Hans">王信访 · 安平县信访局</span> on '
                   '2026-03-02: <span lang="zh-Hans">阳光小区3栋</span></p>')
    # An English word between two data ends the run: it is read in English.
    assert mark_chinese("<td>王大明 reported 张所长</td>") == (
        '<td><span lang="zh-Hans">王大明</span> reported <span lang="zh-Hans">张所长</span></td>')
    # Already marked, code, comments and attributes are left alone.
    kept = ('<span lang="zh-CN">语言 <b>中</b></span><script>var a = "中";</script>'
            '<title>中</title><!-- 中 --><a title="王">x</a>')
    assert mark_chinese(kept) == kept
    # Elements that cannot hold a span carry the attribute themselves.
    assert mark_chinese('<select><option value="1">住建局</option><option>All</option></select>'
                        ) == ('<select><option value="1" lang="zh-Hans">住建局</option>'
                              '<option>All</option></select>')
    assert mark_chinese('<input name="n" placeholder="王**"><input value="x">') == (
        '<input name="n" placeholder="王**" lang="zh-Hans"><input value="x">')
    assert mark_chinese("<textarea>内容</textarea>") == '<textarea lang="zh-Hans">内容</textarea>'
    # Entities inside a run stay whole.
    assert mark_chinese("<p>物业&amp;业委会</p>") == "<p>物业&amp;业委会</p>".replace(
        "物业&amp;业委会", '<span lang="zh-Hans">物业</span>&amp;<span lang="zh-Hans">业委会</span>')


@pytest.mark.django_db
def test_english_staff_pages_mark_every_chinese_text(county, frozen, login):
    m = matter(county, "handling", when=sh(2026, 3, 2))
    c = login("officer")
    c.cookies["django_language"] = "en"
    for url in (reverse("queue"), reverse("matter", args=[m.pk]),
                reverse("search") + "?q=物业", reverse("matter_correct", args=[m.pk]),
                reverse("supervision")):
        page = c.get(url).content.decode()
        assert '<html lang="en">' in page, url
        assert unmarked(page) == [], url
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert f'<span lang="zh-Hans">{m.title}</span>' in page  # the title, as data


@pytest.mark.django_db
def test_chinese_pages_and_documents_are_left_as_they_are(county, frozen, login):
    m = matter(county, "dispatched", when=sh(2026, 3, 2))
    c = login("officer")
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert '<html lang="zh-CN">' in page and 'lang="zh-Hans"' not in page
    c.cookies["django_language"] = "en"
    doc = m.documents.order_by("id").first()
    html = c.get(reverse("document", args=[m.pk, doc.pk])).content.decode()
    assert '<html lang="zh-CN">' in html and 'lang="zh-Hans"' not in html


@pytest.mark.django_db
def test_an_english_htmx_fragment_is_marked_too(county, frozen, login):
    m = matter(county, "registered", when=sh(2026, 3, 2))
    c = login("officer")
    c.cookies["django_language"] = "en"
    r = c.get(reverse("queue"), HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<html" not in html and m.title in html  # a fragment, holding the data
    assert unmarked(html) == [] and 'lang="zh-Hans"' in html
