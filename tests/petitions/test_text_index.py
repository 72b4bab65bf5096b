"""The keyword search through the text index (issue 19 item 2), on both databases.

What a user notices: the same matters, in the same order, as a plain ``LIKE`` over title,
诉求 and 事实与理由 would give — for two-, three- and five-character terms, terms across
punctuation, Latin letters and digits, several terms —; a confidential matter is never found
by a word (issue 14 item 13); a correction moves or removes a matter in the index at once; a
handler finds only what their unit may see; and past the cap the count says "以上".
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import sh
from tests.scenario import advance, register
from xinfang.api.views import CappedPagination
from xinfang.petitions import access, filters, services, textindex
from xinfang.petitions.models import Matter
from xinfang.petitions.services import Correction

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

# (title, request, content); received on the day of the index (several a day, out of id order)
TEXTS = [
    ("小区物业乱收停车费", "请求退还多收的停车费", "东门社区3栋-1单元物业每月多收50元。"),
    ("物业不作为电梯长期停运", "请求督促物业维修电梯", "电梯坏了，三个月ABC物业公司不理。"),
    ("建议增设公交线路", "建议开通城关至河口的公交", "城关到河口没有公交车，出行难。"),
    ("拖欠农民工工资", "请求督促支付工资", "在%工地干活的工资_未付，共12万元。KTV噪音扰民。"),
    ("夜间施工噪音扰民", "请求查处", "人民路工地每晚施工到凌晨两点，噪音巨大。"),
    ("ktv经营到深夜", "请求限制营业时间", "楼下Ktv每晚唱到两点，物业不管。"),
    ("停车", "费用", "车费不合理；停车位不够。"),
    ("电梯困人", "请求维修电梯", "5栋电梯困人两次，物业称维修基金未批。"),
]
TERMS = ["物业", "停车费", "物业公司", "噪音扰民", "城关至河口", "3栋-1", "坏了，三", "，三个月",
         "ABC", "abc", "ktv", "12万", "50元", "%工地", "工资_未付", "没有匹配的词", "路线公交",
         "费请", "停车费用", "电梯 物业", "物业 噪音", "公"]


def _when(i: int):
    # Two a day; the later-registered of a pair was received earlier that day.
    return sh(2026, 2, 2 + i // 2, 15 - 3 * (i % 2))


@pytest.fixture(scope="module")
def _matters(module_county, module_db):
    """The matters of TEXTS, registered once for the module (tests/conftest.py
    ``module_db``): every test but the last searches them; each rolls back its own acts."""
    with module_db.unblock():
        return [register(module_county, _when(i), title=t, request=r, content=c)
                for i, (t, r, c) in enumerate(TEXTS)]


@pytest.fixture
def matters(county, _matters):
    """This test's copy of the matters."""
    return copy.deepcopy(_matters)


def _expected(matters, q):
    def holds(m, term):
        return any(term.lower() in getattr(m, f).lower() for f in ("title", "request", "content"))
    hits = [m for m in matters if all(holds(m, t) for t in q.split())]
    return [m.pk for m in sorted(hits, key=lambda m: (m.received_at, m.pk), reverse=True)]


def _all_pages(user, q, per_page):
    ids, page = [], 1
    while True:
        hits = filters.search(user, filters.MatterFilter(q=q), page, per_page)
        ids += [m.pk for m in hits.rows]
        if not hits.has_next:
            return ids, hits
        page += 1


@pytest.mark.parametrize("per_page", [1, 2, 50])
def test_results_and_order_equal_the_plain_like_answer(county, matters, per_page):
    officer = county.users["officer"]
    for q in TERMS:
        want = _expected(matters, q)
        ids, hits = _all_pages(officer, q, per_page)
        assert ids == want, (q, per_page, connection.vendor)
        assert hits.total == len(want) and not hits.capped, q
        # find() (export, API, queued exports) agrees with the page.
        found = list(filters.find(officer, filters.MatterFilter(q=q)).values_list("pk", flat=True))
        assert found == want, (q, "find")


def test_the_search_reads_the_index(county, matters):
    officer = county.users["officer"]
    with CaptureQueriesContext(connection) as ctx:
        hits = filters.search(officer, filters.MatterFilter(q="停车费"))
    assert [m.pk for m in hits.rows] == [matters[0].pk]  # not 停车|费用 across two fields
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    if connection.vendor == "sqlite":
        assert "petitions_matter_text MATCH" in sql and "%停车费%" not in sql
    else:
        assert "xinfang_grams" in sql
        qs = filters.apply(Matter.objects.all(), filters.MatterFilter(q="高空抛物噪音"))
        with connection.cursor() as cur:
            cur.execute("SET enable_seqscan = off")
            plan = qs.explain()
            cur.execute("RESET enable_seqscan")
        assert "matter_text_scope" in plan
        # A unit's search: its scope tokens are an index condition beside the bigrams.
        handler = county.users["handler"]
        qs = (filters.apply(access.visible_matters(handler), filters.MatterFilter(q="停车费"))
              .filter(textindex.scope_q(access.index_scope(handler))))
        with connection.cursor() as cur:
            cur.execute("SET enable_seqscan = off")
            plan = qs.explain()
            cur.execute("RESET enable_seqscan")
        cond = next(line for line in plan.splitlines() if "Index Cond" in line)
        assert "search_scope" in cond and "xinfang_grams" in cond


def test_a_confidential_matter_is_never_found_by_a_word(county, matters):
    report = register(county, sh(2026, 3, 1), klass="report", accused_name="某所长",
                      title="举报物业经理收受红包", request="请求查处停车费去向",
                      content="物业经理收受红包，停车费去向不明。")
    secret = register(county, sh(2026, 3, 2), confidential=True, title="物业停车费问题",
                      request="请为我保密", content="停车费被挪用。")
    officer = county.users["officer"]
    for q in ["物业", "停车费", "红包", "xf1", "gAAAA", "物业 停车费"]:
        ids, _ = _all_pages(officer, q, 50)
        assert report.pk not in ids and secret.pk not in ids, q
        found = filters.find(officer, filters.MatterFilter(q=q)).values_list("pk", flat=True)
        assert report.pk not in found and secret.pk not in found, q
    assert [m.pk for m in filters.search(officer, filters.MatterFilter(q=report.number)).rows] \
        == [report.pk]


def test_a_correction_reindexes_the_matter(county, matters):
    officer, registrar = county.users["officer"], county.users["registrar"]
    first = matters[0]  # 小区物业乱收停车费, the oldest
    assert _all_pages(officer, "停车费", 50)[0][-1] == first.pk
    services.correct_registration(first, Correction(
        reason="收到日期录错", matter={"received_at": sh(2026, 3, 9)}), user=registrar)
    ids, _ = _all_pages(officer, "停车费", 50)
    assert ids[0] == first.pk and ids.count(first.pk) == 1  # now the newest, once
    services.correct_registration(first, Correction(
        reason="属检举控告", matter={"klass": "report", "accused_name": "某经理"}), user=registrar)
    assert first.pk not in _all_pages(officer, "停车费", 50)[0]
    assert first.pk not in _all_pages(officer, "乱收", 50)[0]
    assert _all_pages(officer, "停车费", 50)[0] == _expected(matters[1:], "停车费")


def test_a_handler_finds_only_what_the_unit_may_see(county, matters):
    ours = advance(county, matters[0], "handling")  # 住建, the handler's unit
    theirs = advance(county, matters[7], "handling", to=county.dept("人社"))
    handler = county.users["handler"]
    for q in ["物业", "电梯", "停车费", "维修"]:
        ids, hits = _all_pages(handler, q, 1)
        assert theirs.pk not in ids, q
        assert set(ids) <= {ours.pk}, q
        assert hits.total == len(ids)
    assert _all_pages(handler, "停车费", 50)[0] == [ours.pk]
    other = next(u for u in county.users.values()
                 if u.body_id == county.dept("人社").pk and u.role == "handler")
    assert _all_pages(other, "电梯", 50)[0] == [theirs.pk]


def test_an_assisting_unit_finds_the_matter_through_its_dispatch(county, matters):
    import time_machine

    rs = county.dept("人社")
    other = next(u for u in county.users.values() if u.body_id == rs.pk and u.role == "handler")
    assert _all_pages(other, "公交", 50)[0] == []
    with time_machine.travel(matters[2].received_at + timedelta(hours=1), tick=False):
        services.transition(matters[2], "assign", user=county.users["officer"], data={
            "to_body": county.dept("住建").pk, "report_due": "2026-03-15",
            "assist_bodies": [rs.pk]})
    ids, hits = _all_pages(other, "公交", 50)
    assert ids == [matters[2].pk] and hits.total_label == "共 1 件"
    assert _all_pages(county.users["handler"], "公交", 50)[0] == [matters[2].pk]


def test_the_count_is_capped_and_says_so(county, matters, monkeypatch, login):
    officer = county.users["officer"]
    assert filters.search(officer, filters.MatterFilter(q="物业")).total_label == "共 4 件"
    monkeypatch.setattr(textindex, "COUNT_CAP", 3)
    hits = filters.search(officer, filters.MatterFilter(q="物业"), 1, 2)
    assert (hits.total, hits.capped, hits.total_label) == (3, True, "3 件以上")
    hits = filters.search(officer, filters.MatterFilter(q="物业"), 1, 50)  # all on one page: exact
    assert (len(hits.rows), hits.capped, hits.total_label) == (4, False, "共 4 件")
    hits = filters.search(officer, filters.MatterFilter(q="电梯"))  # 2 hits: exact
    assert hits.total_label == "共 2 件"
    from xinfang.web import search as web_search

    monkeypatch.setattr(web_search, "PER_PAGE", 2)
    page = login("officer").get(reverse("search"), {"q": "物业"}).content.decode()
    assert "3 件以上" in page
    page = login("officer").get(reverse("search"), {"q": "噪音扰民"}).content.decode()
    assert "共 2 件" in page
    # The API counts as the page does (its count used to be uncapped).
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(officer)
    monkeypatch.setattr(CappedPagination, "page_size", 2)
    first = api.get("/api/v1/search", {"q": "物业"}).json()
    assert (first["count"], first["count_capped"], len(first["results"])) == (3, True, 2)
    assert first["previous"] is None and "page=2" in first["next"]
    second = api.get(first["next"]).json()
    assert (second["count"], second["count_capped"]) == (4, False)  # the last page: exact
    assert second["next"] is None and [r["id"] for r in first["results"] + second["results"]] \
        == _expected(matters, "物业")
    assert api.get("/api/v1/search", {"q": "物业", "page": 3}).status_code == 404
    assert api.get("/api/v1/search", {"q": "物业", "page": "x"}).status_code == 404
    assert api.get("/api/v1/search", {"q": "电梯"}).json()["count"] == 2


@pytest.mark.parametrize("walk_rows", [0, 10**6])
def test_a_common_word_pages_from_the_newest_days(county, matters, monkeypatch, walk_rows):
    """Past the cap PostgreSQL walks the newest matters with LIKE (a dense word) or reads the
    page from a window of the last days, widened until it holds the page (textindex._newest):
    with a cap of 1 every word is common, and every page is still the plain answer, in
    order, either way."""
    monkeypatch.setattr(textindex, "COUNT_CAP", 1)
    monkeypatch.setattr(textindex, "WALK_ROWS", walk_rows)
    if not walk_rows:  # the window, however the costs compare
        monkeypatch.setattr(textindex, "walk_cost", lambda: 1e9)
    officer, handler = county.users["officer"], county.users["handler"]
    advance(county, matters[1], "handling")
    for q in ("物业", "电梯", "停车费", "噪音扰民", "维修 电梯", "KTV"):
        for per_page in (1, 2, 3):
            assert _all_pages(officer, q, per_page)[0] == _expected(matters, q), (q, per_page)
    assert _all_pages(handler, "物业", 1)[0] == [matters[1].pk]


def test_the_compiled_read_gate_follows_the_users_unit_role_and_jurisdiction(county, matters):
    """The read gate's SQL is kept per access.scope_key (filters._WHERE_CACHE): a user moved
    to another unit, given another role, or whose body's jurisdiction moves, searches by the
    new rule at once — on the same user object and on a fresh one (the next request's)."""
    from xinfang.org.models import User

    ours = advance(county, matters[0], "handling")  # 住建, the handler's unit
    theirs = advance(county, matters[7], "handling", to=county.dept("人社"))
    handler = county.users["handler"]
    assert _all_pages(handler, "物业", 50)[0] == [ours.pk]
    handler.body = county.dept("人社")
    handler.save()
    assert _all_pages(handler, "物业", 50)[0] == [theirs.pk]
    assert _all_pages(User.objects.get(pk=handler.pk), "物业", 50)[0] == [theirs.pk]
    handler.role = "leader"  # a leader's jurisdiction: the county
    handler.save()
    assert _all_pages(User.objects.get(pk=handler.pk), "物业", 50)[0] \
        == _expected(matters, "物业")
    leader = User.objects.select_related("body__division").get(pk=county.users["leader"].pk)
    assert _all_pages(leader, "物业", 50)[0] == _expected(matters, "物业")
    elsewhere = next(v for v in county.villages
                     if not matters[0].division_path.startswith(v.path))
    body = leader.body
    body.division = elsewhere  # the county government's jurisdiction moved (a test's fiction)
    body.save()
    assert _all_pages(leader, "物业", 50)[0] == []
    assert _all_pages(User.objects.get(pk=leader.pk), "物业", 50)[0] == []


def test_registration_and_history_import_fill_the_index_in_their_transaction(county, tmp_path):
    from django.core.management import call_command
    from django.db import transaction

    from tests.petitions.test_history_import import row, write

    officer = county.users["officer"]
    call_command("import", str(write(tmp_path, [
        row("OLD-1", 标题="高空抛物砸坏车辆", 主要内容="楼上住户高空抛物，砸坏我的车。"),
        row("OLD-2", 标题="举报物业经理", 主要内容="高空抛物无人管。", 事项类别="检举控告类",
            被反映单位="安平县住房和城乡建设局")])))
    imported = Matter.objects.get(number="OLD-1")
    assert [m.pk for m in filters.search(officer, filters.MatterFilter(q="高空抛物")).rows] \
        == [imported.pk]  # the imported 检举控告 is sealed and not in the index
    try:
        with transaction.atomic():
            register(county, sh(2026, 4, 1) + timedelta(hours=1), title="高空抛物伤人",
                     request="请求查处", content="楼上高空抛物。")
            assert len(filters.search(officer, filters.MatterFilter(q="高空抛物")).rows) == 2
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert [m.pk for m in filters.search(officer, filters.MatterFilter(q="高空抛物")).rows] \
        == [imported.pk]
