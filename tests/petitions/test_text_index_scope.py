"""Who finds what through the keyword index (issue 19 item 2), on both databases.

On PostgreSQL a scope token that most matters carry (the county 信访局's own division) is left
out of the GIN read (``textindex.pg_scope``) and the read gate alone filters the hits. What a
user notices must not change: an officer at the county finds exactly the matters the read
gate lets them open, a township officer exactly theirs, both with the right count, capped or
not; a unit accused in a 检举控告 never finds it (§30 ¶3), whether or not its scope was read
through the index.
"""

from __future__ import annotations

import copy
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import sh
from tests.scenario import register
from xinfang.domain.states import Role
from xinfang.org.models import Body, Division, User
from xinfang.petitions import access, filters, services, textindex
from xinfang.petitions.models import Matter

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]
WORDS = ["物业", "电梯", "停车费", "物业 电梯", "维修基金", "没有的词"]


@pytest.fixture(autouse=True)
def _fresh_shares():
    textindex.forget_stats()
    yield
    textindex.forget_stats()


def _user(username: str, role: Role, body: Body) -> User:
    u = User.objects.create_user(username=username, password="pw-test-123", role=role.value,
                                 body=body)
    return User.objects.select_related("body__division").get(pk=u.pk)


@pytest.fixture(scope="module")
def _world(module_county, module_db):
    """``world``, built once for the module (tests/conftest.py ``module_db``): every test but
    the 1M estimate's reads it; each rolls back its own acts."""
    with module_db.unblock():
        return _build_world(module_county)


@pytest.fixture
def world(county, _world):
    """This test's copy of the world."""
    return copy.deepcopy(_world)


def _build_world(county):
    """Matters in three townships and one in the neighbouring county, a township 信访办 with
    a jurisdiction over its township, a matter forwarded (转送) to it from another township, a
    confidential matter and two 检举控告: one against the township 信访办 and one against the
    county government (both bodies with a jurisdiction over where the report was filed)."""
    towns = county.townships
    village = {t.pk: next(v for v in county.villages if v.parent_id == t.pk) for t in towns}
    twp_xf = Body.objects.create(name=f"{towns[1].name}信访办", short_name="镇信访办",
                                 kind=Body.Kind.XINFANG, division=towns[1],
                                 parent=county.xinfang, doc_prefix="镇信")
    neighbour = Division.objects.create(code="990122000000", name="邻县", level=3,
                                        parent=county.county.parent)
    n_town = Division.objects.create(code="990122001000", name="邻镇", level=4, parent=neighbour)
    n_village = Division.objects.create(code="990122001001", name="邻村", level=5, parent=n_town)
    n_xf = Body.objects.create(name="邻县信访局", short_name="邻县信访局", kind=Body.Kind.XINFANG,
                               division=neighbour, doc_prefix="邻信")
    gov = county.users["gov_officer"].body
    day = iter(range(40))

    def add(town, title, request, content, **kw):
        when = sh(2026, 2, 2) + timedelta(hours=5 * next(day))
        division = kw.pop("division", None) or village[town.pk]
        return register(county, when, title=title, request=request, content=content,
                        division=division, **kw)

    m = {
        "t0": add(towns[0], "小区物业乱收停车费", "请求退还停车费", "物业每月多收50元。"),
        "t0b": add(towns[0], "电梯长期停运", "请求维修电梯", "物业称维修基金未批。"),
        "t1": add(towns[1], "物业不作为", "请求督促物业维修电梯", "电梯坏了三个月。"),
        "t1b": add(towns[1], "电梯困人", "请求维修", "5栋电梯困人两次。"),
        "t1c": add(towns[1], "停车费过高", "请求降低停车费", "物业停车费每月300元。"),
        "t2": add(towns[2], "物业服务差", "请求更换物业", "维修基金去向不明，电梯无人管。"),
        "to_twp": add(towns[0], "物业纠纷转镇处理", "请求调解", "物业与业主纠纷。"),
        "neighbour": add(towns[0], "邻县物业问题", "请求处理停车费", "邻县小区物业乱收费。",
                         division=n_village),
        "secret": add(towns[1], "物业停车费问题", "请为我保密", "停车费被挪用，电梯失修。",
                      confidential=True),
        "report_twp": add(towns[1], "举报镇信访办收受物业红包", "请求查处",
                          "镇信访办干部收受物业红包，电梯维修基金去向不明。",
                          klass="report", accused_body=twp_xf),
        "report_gov": add(towns[0], "举报县政府干部插手物业", "请求查处",
                          "县政府某干部插手物业招标，停车费去向不明。",
                          klass="report", accused_body=gov),
    }
    # The neighbouring county's matter is its 信访局's (a test's fiction: the county's
    # registrar registered it): nobody in this county may see it.
    Matter.objects.filter(pk=m["neighbour"].pk).update(holder=n_xf)
    with_clock = m["to_twp"].received_at + timedelta(hours=1)
    import time_machine

    with time_machine.travel(with_clock, tick=False):
        services.transition(m["to_twp"], "forward", user=county.users["officer"],
                            data={"to_body": twp_xf.pk})
    users = {
        "county_officer": User.objects.select_related("body__division").get(
            pk=county.users["officer"].pk),
        "gov_officer": User.objects.select_related("body__division").get(
            pk=county.users["gov_officer"].pk),
        "township_officer": _user("zhenxinfang", Role.OFFICER, twp_xf),
        "handler": User.objects.select_related("body__division").get(
            pk=county.users["handler"].pk),
    }
    return {k: Matter.objects.get(pk=v.pk) for k, v in m.items()}, users


def _expected(user, matters, q):
    visible = set(access.visible_matters(user).exclude(access.confidential_q())
                  .values_list("pk", flat=True))

    def holds(x, term):
        return any(term.lower() in getattr(x, f).lower() for f in ("title", "request", "content"))
    hits = [x for x in matters.values()
            if x.pk in visible and all(holds(x, t) for t in q.split())]
    return [x.pk for x in sorted(hits, key=lambda x: (x.received_at, x.pk), reverse=True)]


def _all_pages(user, q, per_page):
    ids, page = [], 1
    while True:
        hits = filters.search(user, filters.MatterFilter(q=q), page, per_page)
        ids += [r.pk for r in hits.rows]
        if not hits.has_next:
            return ids, hits
        page += 1


def test_the_shares_leave_out_only_a_token_most_matters_carry(world, monkeypatch):
    """PostgreSQL, after ANALYZE: the county's division is in nearly every matter's scope, so
    an officer at the county reads the word's hits alone; the township 信访办's tokens are
    kept (its township is a third of the matters); the 住建 handler's too."""
    if connection.vendor != "postgresql":
        pytest.skip("the GIN scope is PostgreSQL's; SQLite's FTS5 walk always reads it")
    _, users = world
    with connection.cursor() as cur:
        cur.execute("ANALYZE petitions_matter")
    textindex.forget_stats()
    county_tokens = access.index_scope(users["county_officer"])
    assert county_tokens is not None and "d990121000000" in county_tokens
    assert textindex.scope_shares()["d990121000000"] >= textindex.SCOPE_SHARE
    assert textindex.pg_scope(county_tokens) is None
    assert textindex.pg_scope(access.index_scope(users["gov_officer"])) is None
    for who in ("township_officer", "handler"):
        tokens = access.index_scope(users[who])
        assert textindex.pg_scope(tokens) == tokens, who
    # Never analysed (a fresh table): nothing is known, every token is read.
    monkeypatch.setattr(textindex, "_stats", (time.monotonic(), textindex.Stats({}, {}, 0.0)))
    assert textindex.pg_scope(county_tokens) == county_tokens


@pytest.mark.parametrize("share", [0.0, 2.0], ids=["scope-left-out", "scope-read"])
@pytest.mark.parametrize("who", ["county_officer", "gov_officer", "township_officer", "handler"])
def test_each_user_finds_exactly_the_visible_matters_and_counts_them(world, monkeypatch,
                                                                     share, who):
    """Whether the scope is read through the index (share 2: never left out) or left to the
    read gate (share 0: always), every page and count is the read gate's answer."""
    matters, users = world
    user = users[who]
    monkeypatch.setattr(textindex, "SCOPE_SHARE", share)
    for q in WORDS:
        want = _expected(user, matters, q)
        for per_page in (1, 2, 50):
            ids, hits = _all_pages(user, q, per_page)
            assert ids == want, (who, q, per_page, connection.vendor)
            assert hits.total == len(want) and not hits.capped, (who, q)
        found = list(filters.find(user, filters.MatterFilter(q=q)).values_list("pk", flat=True))
        assert found == want, (who, q, "find")
    # The capped count counts only what the user may see.
    monkeypatch.setattr(textindex, "COUNT_CAP", 2)
    for q in WORDS:
        want = _expected(user, matters, q)
        hits = filters.search(user, filters.MatterFilter(q=q), 1, 1)
        assert (hits.total, hits.capped) == (min(len(want), 2), len(want) > 2), (who, q)
        assert [r.pk for r in hits.rows] == want[:1], (who, q)


def test_what_each_user_sees_is_what_the_fixture_means(world):
    """The expectations above are not vacuous: the county officer sees the county's matters
    and not the neighbour's; the township officer its township's and what was forwarded to
    it, not the other townships'; the confidential matter is in nobody's results."""
    matters, users = world
    ids = {who: _all_pages(u, "物业", 50)[0] for who, u in users.items()}
    county = {matters[k].pk for k in ("t0", "t0b", "t1", "t1c", "t2", "to_twp")}
    assert set(ids["county_officer"]) == county
    assert set(ids["gov_officer"]) == county
    assert set(ids["township_officer"]) == {matters[k].pk for k in ("t1", "t1c", "to_twp")}
    for who in users:
        assert matters["neighbour"].pk not in ids[who]
        assert matters["secret"].pk not in ids[who]
    assert _all_pages(users["county_officer"], "物业", 50)[1].total_label == "共 6 件"


@pytest.mark.parametrize("share", [0.0, 2.0], ids=["scope-left-out", "scope-read"])
def test_a_unit_accused_in_a_report_never_finds_it(world, monkeypatch, share):
    """§30 ¶3: the township 信访办 and the county government each have a jurisdiction over
    the place of the 检举控告 against them, and find it neither by a word of it nor by its
    number; the county 信访局 finds it by its number (its words are sealed: nobody finds it
    by them)."""
    matters, users = world
    monkeypatch.setattr(textindex, "SCOPE_SHARE", share)
    for who, report in (("township_officer", "report_twp"), ("gov_officer", "report_gov")):
        r = matters[report]
        user = users[who]
        assert not access.visible_matters(user).filter(pk=r.pk).exists()
        for q in ("红包", "物业", "举报", "停车费", "插手", "物业 电梯", r.number, r.query_code):
            ids, hits = _all_pages(user, q, 1)
            assert r.pk not in ids, (who, q)
            assert r.pk not in filters.find(user, filters.MatterFilter(q=q)) \
                .values_list("pk", flat=True), (who, q)
        hits = filters.search(user, filters.MatterFilter(q=r.number))
        assert (hits.rows, hits.total, hits.total_label) == ([], 0, "共 0 件")
        officer = users["county_officer"]
        assert [x.pk for x in filters.search(officer, filters.MatterFilter(q=r.number)).rows] \
            == [r.pk]


def test_a_word_in_half_the_matters_may_be_walked_at_1m(monkeypatch):
    """The budget of the walk (textindex._walk_budget): as many rows as cost the index's read.
    A word in 55 % of the matters an officer at the county sees may walk ~22,000 rows of
    board text at 1M (it meets the cap's hits within ~1,800) but not at 20k; 物业 (7 %) gets
    ~2,800 (which its ~14,000 rows to the cap exceed: the probe says so); a word not among
    the common bigrams none."""
    st = textindex.Stats(scope={"d1": 1.0, "b6": 1.0}, grams={"问题": 0.55, "物业": 0.07},
                         rows=1e6)
    monkeypatch.setattr(textindex, "stats", lambda: st)
    assert textindex._walk_budget(["问题"], ["b6", "d1"]) == (22_000, 2_275)  # the probe: the
    assert textindex._walk_budget(["问题"], None) == (22_000, 2_275)  # cap's rows at 55 %, +25 %
    assert textindex._walk_budget(["物业"], ["b6", "d1"]) == (2_800, 700)  # 1/4: 17,875 > 2,800
    assert textindex._walk_budget(["没有"], ["b6", "d1"]) is None  # not among the common bigrams
    assert textindex._walk_budget(["问题", "物业"], ["b6", "d1"]) == (2_800, 700)
    st = textindex.Stats(scope=st.scope, grams=st.grams, rows=2e4)
    assert textindex._walk_budget(["问题"], ["b6", "d1"]) is None
    st = textindex.Stats(scope=st.scope, grams=st.grams, rows=1e6, width=643.0)  # board texts
    assert 2_500 < textindex._walk_budget(["物业"], ["b6", "d1"])[0] < 3_000


def test_short_texts_give_the_walk_a_longer_budget(monkeypatch):
    """An imported history's short texts (the aggregates bench's: ~175 bytes a matter, 电梯
    in 10 % of 1,000,000 matters): a row walked costs ~7 entries, not 25, so the walk may
    read ~13,800 rows — enough for the ~10,000 that hold 电梯's first 1,001 — instead of its
    100,000-entry posting list. A unit holding 30 % of the matters gets the same for a word
    in 10 % (the index intersects the two lists), more for a word in all of them; a word in
    1 % (10,000 entries) and a unit of few matters (its token rarer than ANALYZE lists)
    none."""
    st = textindex.Stats(scope={"d1": 1.0, "b6": 1.0, "b9": 0.3},
                         grams={"电梯": 0.1, "社区": 0.01, "要求": 1.0}, rows=1e6, width=175.0)
    monkeypatch.setattr(textindex, "stats", lambda: st)
    assert textindex.walk_cost() < 8
    assert 12_500 < textindex._walk_budget(["电梯"], ["b6", "d1"])[0] < 15_000
    assert textindex._walk_budget(["电梯"], ["b9"])[0] == textindex._walk_budget(["电梯"], None)[0]
    assert textindex._walk_budget(["社区"], None) is None  # 10,000 entries: a short read
    assert 40_000 < textindex._walk_budget(["要求"], ["b9"])[0] < 45_000
    assert textindex._walk_budget(["要求"], ["b404"]) is None


def test_a_long_term_asks_the_index_for_its_two_rarest_bigrams(world, monkeypatch):
    """PostgreSQL: 东门社区 asks the GIN for 东门 and 门社 (4 % each), not 社区 (16 %): the
    index reads every posting list it is asked for. What each user finds is unchanged:
    ``LIKE`` decides the term on every row the index gives."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's GIN condition")
    st = textindex.Stats(scope={}, grams={"东门": 0.04, "门社": 0.04, "社区": 0.16}, rows=1e6)
    monkeypatch.setattr(textindex, "stats", lambda: st)
    sql, params = textindex._pg_index("东门社区")
    assert params[0] == ["东门", "门社"] and "LIKE" in sql
    assert textindex._pg_index("电梯")[1] == [["电梯"]]
    matters, users = world
    for who, user in users.items():
        for q in ("维修基金", "物业停车费", "请求督促物业维修电梯", "维修基金 电梯"):
            assert _all_pages(user, q, 1)[0] == _expected(user, matters, q), (who, q)


def test_the_bitmap_of_a_posting_list_holds_every_heap_page(monkeypatch):
    """PostgreSQL: inside a search's transaction work_mem holds a bitmap of every heap page
    of the matter table (a lossy bitmap rechecks every row of its pages: 电梯 at 1M went from
    ~30 to 190 ms), never lower than the server's setting. (``set_config(…, true)``: for
    that transaction only — here the test's own, which rolls back.)"""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's bitmap")
    monkeypatch.setattr(textindex, "stats", lambda: textindex.Stats({}, {}, 1e6, pages=83_334))
    from django.db import transaction

    with connection.cursor() as cur:
        cur.execute("SHOW work_mem")
        before = cur.fetchone()[0]
        with transaction.atomic():
            textindex._exact_bitmaps(cur)
            cur.execute("SELECT pg_size_bytes(current_setting('work_mem'))")
            assert cur.fetchone()[0] >= 83_334 * 64
        cur.execute("SET work_mem = '2GB'")
        try:
            with transaction.atomic():
                textindex._exact_bitmaps(cur)
                cur.execute("SHOW work_mem")
                assert cur.fetchone()[0] == "2GB"
        finally:
            cur.execute(f"SET work_mem = '{before}'")


@pytest.mark.parametrize("same_moment", [False, True], ids=["moments", "one-moment"])
@pytest.mark.parametrize("budget", [10**6, 1], ids=["walk-reaches-the-cap", "walk-too-short"])
@pytest.mark.parametrize("who", ["county_officer", "township_officer", "handler"])
def test_a_count_by_walk_counts_and_pages_exactly_the_visible_matters(world, monkeypatch,
                                                                      budget, who, same_moment):
    """PostgreSQL: where the estimate says a word is dense the cap's hits come from a walk of
    the newest matters (no posting list read); with the cap at 2 the walk either reaches it
    (a large budget: many rows allowed) or stops short (one row) and the index
    counts. Either way each page and the count are the read gate's answer — for the county
    (scope left to the read gate) and for the township 信访办 and the unit (scope read
    through the index, and checked on each row walked); and where every matter was received
    at the same moment (an imported history's day) the page is walked again in order."""
    if connection.vendor != "postgresql":
        pytest.skip("the walk is PostgreSQL's")
    matters, users = world
    user = users[who]
    if who == "handler":  # five matters the unit leads (its scope: the trigger's)
        Matter.objects.filter(pk__in=[matters[k].pk for k in ("t0", "t0b", "t1", "t1b", "t2")]
                              ).update(lead_body=user.body)
    if same_moment:
        Matter.objects.update(received_at=sh(2026, 2, 3))
    matters = {k: Matter.objects.get(pk=v.pk) for k, v in matters.items()}
    if who == "county_officer":
        monkeypatch.setattr(textindex, "SCOPE_SHARE", 0.0)  # the scope left to the read gate
    cap = 2
    monkeypatch.setattr(textindex, "COUNT_CAP", cap)
    monkeypatch.setattr(textindex, "_walk_budget", lambda terms, tokens: (budget, budget))
    walked = 0
    for q in WORDS:
        want = _expected(user, matters, q)
        for per_page in (1, 2):
            with CaptureQueriesContext(connection) as ctx:
                hits = filters.search(user, filters.MatterFilter(q=q), 1, per_page)
            assert [r.pk for r in hits.rows] == want[:per_page], (q, per_page)
            assert (hits.total, hits.capped) == (min(len(want), cap), len(want) > cap), q
            assert hits.has_next == (len(want) > per_page), q
            sql = " ".join(c["sql"] for c in ctx.captured_queries)
            if "xinfang_grams(lower" not in sql and len(want) > cap:
                walked += 1
            if budget > 1 and len(want) > cap and per_page == 1:
                assert "xinfang_grams(lower" not in sql, q  # the walk alone
            # (two a page: the page's last is the walk's last, and a matter received at
            # the same moment could be missing from the walk: the index decides)
        ids, _ = _all_pages(user, q, 1)
        assert ids == want, q
    assert walked if budget > 1 else not walked
