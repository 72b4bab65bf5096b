"""Issue 5 in the application: suggestions at intake, same-matter checks, 提级核查, hot
topics, early warnings and the dashboard, through Django's test client."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import sh
from tests.petitions.helpers import ID_A, ID_B, register
from xinfang.domain import idcard
from xinfang.petitions import intel
from xinfang.petitions.models import Event, Matter, Supervision

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

WAGE = {"title": "工地老板拖欠工资", "content": "我们在县城工地干活，老板拖欠工资四个月不发。"}


def _reg_post(county, **kw):
    data = {
        "channel": "visit", "received_at": "2026-06-15T10:00", "headcount": "1",
        "title": "阳光小区物业乱收停车费", "request": "请求退还多收的停车费",
        "content": "阳光小区物业公司每月多收停车费200元，业主多次反映无果。",
        "division": county.villages[0].code, "category": county.categories["CX01"].pk,
        "klass": "appeal", "p0_name": "李小红", "p0_id_number": ID_B, "p0_phone": "13700137000",
    }
    data.update(kw)
    return data


def _train() -> dict:
    from io import StringIO

    out = StringIO()
    call_command("nlp-train-db", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


# --------------------------------------------------------------------------- suggestions


def test_no_model_means_no_suggestions(login, county, frozen):
    r = login(county.users["officer"]).post(reverse("register_suggest"), {
        **WAGE, "division": county.villages[0].code})
    assert r.status_code == 200 and "分类建议" not in r.content.decode()


def test_too_few_labelled_matters_skip_training(county, frozen):
    register(county, sh(2026, 6, 1))
    result = _train()
    assert result["trained"] is False and "不足" in result["reason"]
    assert intel.classifier() is None


def test_typed_text_gets_top3_categories_and_the_routed_unit(login, county, training):
    assert _train()["trained"] is True
    r = login(county.users["officer"]).post(reverse("register_suggest"), {
        **WAGE, "division": county.villages[0].code, "klass": "appeal"})
    page = r.content.decode()
    assert r.status_code == 200 and "分类建议" in page
    first = page.index("劳动和社会保障")
    assert first < page.index("城乡建设") and first < page.index("教育文体")
    assert page.count("%</span>") == 3
    # The routing table: 劳动和社会保障 in the county goes to 人社局, with its reason.
    assert "建议承办单位" in page and county.dept("人社").name in page and "§22 ¶1" in page
    # … and the words that drove the suggestion, beside it (issue 18 item 6)
    words = intel.suggest_categories(WAGE["title"], WAGE["content"])[0]["words"]
    assert words and "依据词语" in page and all(w in page for w in words)
    assert any(w in WAGE["title"] + WAGE["content"] for w in words)


def test_an_unsure_model_abstains_outside_its_labels(login, county, training, settings):
    _train()
    settings.XINFANG_NLP_ABSTAIN = 1.01  # above any probability: always unsure
    got = intel.suggest_categories(WAGE["title"], WAGE["content"])
    assert [(s["label"], s["outside"], s["category_id"]) for s in got] == [("不属于已知分类", True, None)]
    page = login(county.users["officer"]).post(reverse("register_suggest"), {
        **WAGE, "division": county.villages[0].code, "klass": "appeal"}).content.decode()
    assert "模型不作建议" in page and "依据词语" not in page


def test_chosen_vs_suggested_category_is_recorded_and_feeds_training(login, county, training):
    _train()
    c = login(county.users["officer"])
    # The model says 劳动和社会保障; the officer files it under 教育文体: a correction.
    c.post(reverse("register"), _reg_post(county, **WAGE, category=county.categories["JY01"].pk))
    m = Matter.objects.get(title=WAGE["title"])
    assert m.suggested_category[0]["label"] == "劳动和社会保障"
    ev = Event.objects.get(matter=m, action="category_suggestion")
    assert ev.label == "分类建议更正" and ev.data["chosen"] == "教育文体"
    assert ev.data["adopted"] is False
    # Kept as suggested: adopted.
    c.post(reverse("register"), _reg_post(county, title="包工头拖欠工资", content="包工头欠我们工资跑路了。",
                                          category=county.categories["LD01"].pk, p0_phone="13700137001"))
    m2 = Matter.objects.get(title="包工头拖欠工资")
    assert Event.objects.get(matter=m2, action="category_suggestion").label == "分类建议采纳"
    # The matter page shows the correction; the next training counts it.
    page = c.get(reverse("matter", args=[m.pk])).content.decode()
    assert "分类建议更正" in page
    assert _train()["corrections"] == 1


# --------------------------------------------------------------------------- same matter


def test_same_xiaoqu_is_offered_as_same_matter_another_xiaoqu_is_not(login, county, frozen):
    same = register(county, sh(2026, 5, 20), title="阳光小区物业乱收停车费",
                    content="阳光小区物业公司从今年起每月多收停车费200元，业主多次反映无果。")
    other = register(county, sh(2026, 5, 21), title="幸福小区物业乱收停车费",
                     content="幸福小区物业公司从今年起每月多收停车费200元，业主多次反映无果。",
                     id_number=ID_B, phone="13900139000")
    c = login(county.users["officer"])
    r = c.post(reverse("register_repeats"), _reg_post(county, p0_id_number="", p0_phone=""))
    page = r.content.decode()
    assert same.number in page and other.number not in page
    assert "同一事项" in page and "相似度" in page
    assert f'name="same_matter" value="{same.pk}"' in page
    # Another division: shown, but not judged the same matter.
    r = c.post(reverse("register_repeats"), _reg_post(county, p0_id_number="", p0_phone="",
                                                     division=county.villages[2].code))
    page = r.content.decode()
    assert same.number in page and "属地不同" in page and "tag-amber" not in page


def test_confirming_same_matter_links_the_repeat(login, county, frozen):
    original = register(county, sh(2026, 6, 1), title="阳光小区物业乱收停车费",
                        content="阳光小区物业公司每月多收停车费200元，业主多次反映无果。")
    c = login(county.users["officer"])
    c.post(reverse("register"), _reg_post(county, same_matter=str(original.pk)))
    m = Matter.objects.exclude(pk=original.pk).get()
    assert m.repeat_of_id == original.pk and m.repeat_kind == "repeat"
    # Open original: no 提级核查.
    assert not Supervision.objects.filter(matter=m).exists()


def test_same_person_same_matter_is_linked_automatically_to_that_matter(login, county, frozen):
    parking = register(county, sh(2026, 5, 1), title="阳光小区物业乱收停车费",
                       content="阳光小区物业公司每月多收停车费200元，业主多次反映无果。")
    register(county, sh(2026, 6, 1), title="儿子学校收取补课费", content="学校强制学生参加收费补课。",
             category=county.categories["JY01"])  # the same person's newer, unrelated matter
    c = login(county.users["officer"])
    c.post(reverse("register"), _reg_post(county, p0_id_number=ID_A, p0_phone="13800138000"))
    m = Matter.objects.order_by("-pk").first()
    assert m.repeat_of_id == parking.pk and m.repeat_kind == "repeat"


def test_repeat_after_reply_creates_the_escalation_supervision(login, county, frozen):
    original = register(county, sh(2026, 4, 1), title="阳光小区物业乱收停车费",
                        content="阳光小区物业公司每月多收停车费200元，业主多次反映无果。")
    Matter.objects.filter(pk=original.pk).update(state="replied", replied_on=sh(2026, 5, 1).date())
    c = login(county.users["officer"])
    r = c.post(reverse("register"), _reg_post(county, same_matter=str(original.pk)), follow=True)
    m = Matter.objects.exclude(pk=original.pk).get()
    assert m.repeat_of_id == original.pk
    s = Supervision.objects.get(matter=m)
    assert s.kind == "manual" and s.note == "重复信访，提级核查" and s.body_id == county.xinfang.pk
    assert "提级核查" in r.content.decode()


# --------------------------------------------------------------------------- topics


def test_topics_page_lists_a_topic_with_its_matters(login, county, frozen):
    rows = [
        ("阳光小区物业乱收停车费", "阳光小区物业公司每月多收停车费200元，业主多次反映无果。", ID_A, "13800138000"),
        ("阳光小区物业多收停车费", "阳光小区物业每月多收停车费，请求退还。", ID_B, "13900139000"),
        ("反映阳光小区停车费乱收", "阳光小区物业乱收停车费，业主不满。", idcard.make("99012119850505123"), "13600136000"),
    ]
    topic = [register(county, sh(2026, 6, 10 + i), title=t, content=b, id_number=i_, phone=p)
             for i, (t, b, i_, p) in enumerate(rows)]
    lone = register(county, sh(2026, 6, 12), title="桥梁护栏损坏", content="河口村桥梁护栏损坏。",
                    id_number=ID_B, phone="13900139000")
    _topics_job()
    c = login(county.users["officer"])
    page = c.get(reverse("topics") + "?days=30").content.decode()
    assert "阳光小区" in page and "停车费" in page and "桥梁护栏" not in page
    assert "<td>3</td>" in page  # matters, and three distinct petitioners
    detail = c.get(reverse("topic", args=[1]) + "?days=30").content.decode()
    assert all(m.number in detail for m in topic) and lone.number not in detail


def _topics_job() -> None:
    """One run of the topics job, whose stored result the pages read (never clustering in a
    request: tests/intel/test_topics_never_in_request.py)."""
    from xinfang.petitions.intel import snapshot

    snapshot.compute()


# --------------------------------------------------------------------------- warnings


def _rising_series(county):
    """Eleven quiet weeks (one matter every other week), then six in the past seven days."""
    end = sh(2026, 6, 15)
    n = 0
    for week in range(1, 12, 2):
        n += 1
        register(county, end - timedelta(days=7 * week + 2), title=f"噪音扰民{n}",
                 content=f"第{n}家商户夜间噪音扰民。", category=county.categories["HB02"],
                 division=county.villages[2], id_number=idcard.make(f"99012119600101{n:03d}"),
                 phone=f"1350000{n:04d}")
    for day in range(6):
        n += 1
        register(county, end - timedelta(days=day), title=f"工厂废气{n}",
                 content=f"第{n}号工厂排放废气。", category=county.categories["HB01"],
                 division=county.villages[2], id_number=idcard.make(f"99012119600101{n:03d}"),
                 phone=f"1350000{n:04d}")


def test_rising_series_is_warned_on_the_supervision_page_and_in_the_api(login, county, frozen):
    _rising_series(county)
    w = intel.rising_warnings(county.users["supervisor"])
    assert [(r.category, r.count) for r in w] == [("环境保护", 6)]
    assert w[0].weeks[-1] == 6 and sum(w[0].weeks[:-1]) == 6
    c = login(county.users["supervisor"])
    page = c.get(reverse("supervision")).content.decode()
    assert "件数异常上升" in page and "环境保护" in page and county.townships[1].name in page
    assert "泊松" in page  # the test is stated on the page
    api = c.get("/api/v1/warnings").json()
    assert api["rising"][0]["category"] == "环境保护" and api["rising"][0]["count"] == 6
    assert "EWMA" in api["test"]
    leader_home = login(county.users["leader"]).get("/").content.decode()
    assert "件数异常上升" in leader_home


def test_collective_and_sensitive_period_warnings(login, county):
    import time_machine

    with time_machine.travel(sh(2026, 2, 20), tick=False):  # 两会 starts in 9 days
        first = register(county, sh(2026, 1, 5))
        register(county, sh(2026, 2, 19), repeat_of=first)  # the same person again
        register(county, sh(2026, 2, 18), title="征地补偿款未发放", content="青石村征地补偿款被截留。",
                 headcount=12, id_number=ID_B, phone="13900139000",
                 petitioners=[], is_anonymous=True)
        w = intel.warnings_for(county.users["officer"])
    assert [c.persons for c in w.collective if c.kind == "headcount"] == [12]
    assert [s.period for s in w.sensitive] == ["全国两会"] and w.sensitive[0].days_to_start == 9


# --------------------------------------------------------------------------- dashboard & access


def test_dashboard_json_has_numerators_and_denominators(login, county, frozen):
    register(county, sh(2026, 6, 1))
    c = login(county.users["leader"])
    page = c.get(reverse("dashboard")).content.decode()
    assert "按期办结率" in page and "满意率" in page
    # The charts are drawn on the server with their tables (issue 20): no chart library.
    assert 'id="chart-intake"' in page and "以表格显示" in page and "echarts" not in page
    assert "<script>" not in page  # CSP
    data = c.get(reverse("dashboard_data")).json()
    for key in ("on_time_rate", "satisfaction_rate"):
        assert {"numerator", "denominator", "percent"} <= set(data[key])
    assert data["total"] == 1 and data["intake_by_channel"][0]["label"] == "来访"
    assert data["top_categories"] == [{"label": "城乡建设", "count": 1}]
    assert data["collective_visits"]["batches"] == 0


def test_dashboard_counts_collective_visit_batches_and_persons(login, county, frozen):
    """集体访 批次/人次 (procedure.md §7.2): visits of 5 or more people."""
    register(county, sh(2026, 6, 1), headcount=30)
    register(county, sh(2026, 6, 2), headcount=8, phone="13912345678", id_number="")
    register(county, sh(2026, 6, 3), headcount=2, phone="13712345678", id_number="")
    c = login(county.users["leader"])
    assert c.get(reverse("dashboard_data")).json()["collective_visits"] == {
        "batches": 2, "persons": 38, "min_persons": 5}
    assert "2 批次" in c.get(reverse("dashboard")).content.decode()


def test_unrelated_handler_is_refused_and_sees_nothing_outside_its_scope(login, county, frozen):
    _rising_series(county)
    other = county.users["other_handler"]
    c = login(other)
    for url in (reverse("topics"), reverse("topic", args=[1]), reverse("dashboard"),
                reverse("dashboard_data"), "/api/v1/warnings"):
        assert c.get(url).status_code in (403, 404), url
    assert "件数异常上升" not in c.get("/").content.decode()
    assert intel.dashboard_data(other)["total"] == 0
    assert intel.rising_warnings(other) == [] and intel.topics(other) == []
    # The 查重 panel: refused, or (a handler registers at its own unit, §23 ¶1) masked.
    r = c.post(reverse("register_repeats"), _reg_post(county, title="工厂废气", content="第7号工厂排放废气。",
                                                     division=county.villages[2].code))
    page = r.content.decode()
    assert r.status_code in (200, 403)
    assert not any(m.number in page or m.title in page for m in Matter.objects.all())
    assert r.status_code == 403 or "有关联事项（无权查看）" in page


# --------------------------------------------------------------------------- topic warnings


def _topic_series(county, people_this_week: int, same_person: bool = False):
    """阳光小区 停车费: one matter every other week for ten weeks, then a spike today."""
    end = sh(2026, 6, 15, 9)
    n = 0
    for week in range(2, 12, 2):
        n += 1
        register(county, end - timedelta(days=7 * week), title="阳光小区物业乱收停车费",
                 content="阳光小区物业公司每月多收停车费200元，业主多次反映无果。",
                 id_number=idcard.make(f"99012119700101{n:03d}"), phone=f"1360000{n:04d}")
    for k in range(people_this_week):
        n += 1
        who = 900 if same_person else n
        register(county, end + timedelta(minutes=k), title="阳光小区物业多收停车费",
                 content="阳光小区物业每月多收停车费200元，请求退还。",
                 id_number=idcard.make(f"99012119700101{who:03d}"), phone=f"1360000{who:04d}")


def test_a_rising_topic_is_warned_with_its_matters_on_the_warnings_page(login, county, frozen):
    _topic_series(county, 6)
    assert intel.topic_rising_warnings(county.users["supervisor"]) == []  # no job result yet
    _topics_job()
    w = intel.topic_rising_warnings(county.users["supervisor"])
    assert len(w) == 1 and w[0].count == 6 and w[0].persons == 6
    assert "阳光小区" in w[0].label and sum(w[0].weeks[:-1]) == 5
    c = login(county.users["supervisor"])
    page = c.get(reverse("warnings")).content.decode()
    assert "热点事项上升" in page
    assert all(m.number in page for m in w[0].matters)  # every matter behind it, linked
    assert c.get("/api/v1/warnings").json()["topics"][0]["count"] == 6


def test_one_petitioner_posting_six_times_is_no_rising_topic(login, county, frozen):
    _topic_series(county, 6, same_person=True)
    _topics_job()
    assert intel.topic_rising_warnings(county.users["supervisor"]) == []


def test_warnings_page_is_for_intel_roles_only(login, county, frozen):
    assert login(county.users["supervisor"]).get(reverse("warnings")).status_code == 200
    assert login(county.users["registrar"]).get(reverse("warnings")).status_code == 403


# --------------------------------------------------------------------------- stored topics


def test_topics_page_is_served_from_the_topics_jobs_stored_result(login, county, frozen, monkeypatch):
    from django.core.cache import cache

    import xinfang.nlp
    from xinfang.ops.jobs import JOBS
    from xinfang.petitions.intel import snapshot

    assert "topics" in JOBS  # scheduled with the other jobs
    rows = [("阳光小区物业乱收停车费", ID_A, "13800138000"), ("阳光小区物业多收停车费", ID_B, "13900139000"),
            ("反映阳光小区停车费乱收", idcard.make("99012119850505123"), "13600136000")]
    topic = [register(county, sh(2026, 6, 10 + i), title=t, content="阳光小区物业每月多收停车费200元。",
                      id_number=i_, phone=p) for i, (t, i_, p) in enumerate(rows)]
    got = snapshot.compute()
    assert got["topics"] == 1
    cache.clear()

    def no_live_clustering(*a, **kw):
        raise AssertionError("the page clustered live")

    monkeypatch.setattr(xinfang.nlp, "cluster_topics", no_live_clustering)
    c = login(county.users["officer"])
    page = c.get(reverse("topics") + "?days=30").content.decode()
    assert "阳光小区" in page and "停车费" in page
    detail = c.get(reverse("topic", args=[1]) + "?days=30").content.decode()
    assert all(m.number in detail for m in topic)
    # a handler outside the scope sees none of it
    assert "阳光小区" not in login(county.users["other_handler"]).get(reverse("topics")).content.decode()


def test_the_topics_job_adds_new_matters_to_its_stored_topics(county, frozen):
    """The job's second run reads only the matters received since its first and clusters them
    against the held topics (docs/nlp.md, "Served from a job"); the result is the full run's."""
    from xinfang.petitions.intel import snapshot
    from xinfang.petitions.models import TopicSnapshot

    people = [(ID_A, "13800138000"), (ID_B, "13900139000"),
              (idcard.make("99012119850505123"), "13600136000"),
              (idcard.make("99012119900101123"), "13500135000")]
    titles = ["阳光小区物业乱收停车费", "阳光小区物业多收停车费", "反映阳光小区停车费乱收",
              "阳光小区停车费被物业多收"]
    first = [register(county, sh(2026, 2, 20 + i), title=t, content="阳光小区物业每月多收停车费200元。",
                      id_number=p[0], phone=p[1]) for i, (t, p) in enumerate(zip(titles[:3], people[:3], strict=True))]
    got = snapshot.compute()
    assert (got["mode"], got["topics"], got["added"]) == ("full", 1, 3)
    late = register(county, sh(2026, 3, 1), title=titles[3], content="阳光小区物业每月多收停车费200元。",
                    id_number=people[3][0], phone=people[3][1])
    got = snapshot.compute()
    assert (got["mode"], got["added"], got["retired"]) == ("incremental", 1, 0)
    stored = TopicSnapshot.objects.get().topics
    assert sorted(stored[0]["ids"]) == sorted(m.pk for m in [*first, late])
    # a matter that becomes confidential leaves the topics at the next run
    Matter.objects.filter(pk=first[0].pk).update(confidential=True)
    got = snapshot.compute()
    assert (got["mode"], got["retired"]) == ("incremental", 1)
    assert first[0].pk not in TopicSnapshot.objects.get().topics[0]["ids"]
    assert snapshot.compute(full=True)["topics"] == 1
    assert sorted(TopicSnapshot.objects.get().topics[0]["ids"]) == sorted(
        m.pk for m in [*first[1:], late])


def test_the_pages_code_loads_neither_scikit_learn_nor_scipy():
    """A web worker serving /topics/, /warnings/ and the dashboard from the stored job result
    does not pay for scikit-learn, scipy, numpy or jieba (time and memory): neither the URLs'
    views nor the code the stored topics and warnings run on import them (xinfang.nlp loads
    its names on first use). A fresh interpreter, since this one has loaded them for other
    tests; the pages rendered: tests/intel/test_topics_never_in_request.py."""
    import os
    import subprocess
    import sys

    code = ("import django, sys; django.setup(); import xinfang.urls; "
            "from xinfang.petitions import intel; from xinfang.petitions.intel import snapshot; "
            "from xinfang.nlp.heat import heat; from xinfang.nlp.warn import topic_warnings; "
            "from xinfang.nlp import ewma_alerts, poisson_alerts, Topic, TopicItem; "
            "print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('sklearn', 'scipy', 'numpy', 'jieba')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "DJANGO_SETTINGS_MODULE": "xinfang.settings"})
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


# --------------------------------------------------------------------------- second level

SECOND_LEVEL = {
    "CX03": [
        ("征地补偿款迟迟不到位", "村里土地被征收两年，征地补偿款至今没有发放到户。"),
        ("房屋拆迁补偿标准太低", "我家房屋被列入拆迁范围，补偿标准远低于市场价。"),
        ("强行拆除未谈妥的房屋", "拆迁办在没有签协议的情况下强拆我家房屋。"),
        ("安置房迟迟不交付", "拆迁三年了，承诺的安置房还没有交付，过渡费也停发了。"),
        ("征收土地程序不公开", "征收集体土地没有公告，村民不知道补偿方案。"),
        ("拆迁评估结果不合理", "拆迁评估公司评估价格过低，要求重新评估。"),
        ("征地后失地农民没有社保", "土地被征收后，失地农民的养老保障没有落实。"),
        ("拆迁过渡费被克扣", "拆迁过渡费每月少发一半，街道说是统一标准。"),
        ("被征地青苗补偿未发", "征地时地里的青苗补偿费一直没有发。"),
        ("拆迁户宅基地面积认定有误", "拆迁时宅基地面积少算了四十平方米，补偿少了很多。"),
    ],
    "LD02": [
        ("养老保险断缴无法补缴", "单位多年没有给我缴纳养老保险，现在想补缴社保局不给办。"),
        ("社保卡无法异地报销", "在外地住院，社保卡不能直接结算报销。"),
        ("退休金计算有误", "办理退休时养老金核定少算了工龄，每月少发几百元。"),
        ("公司不给员工缴社保", "入职一年公司一直没有缴纳社会保险。"),
        ("失业保险金申领被拒", "被公司辞退后申领失业保险金，社保局说材料不全。"),
        ("工伤认定拖了半年", "在工地受伤申请工伤认定，半年没有结果。"),
        ("灵活就业人员社保缴费问题", "灵活就业人员缴纳养老保险的基数太高，负担重。"),
        ("社保转移接续办不了", "换工作后社保关系转移接续一直办不下来。"),
        ("医保缴费年限认定", "城镇职工医保缴费年限认定不清，退休后无法享受待遇。"),
        ("企业退休人员养老金调整", "企业退休人员养老金调整没有按标准执行。"),
    ],
}


@pytest.fixture
def second_level(county, training):
    n = 100
    for code, rows in SECOND_LEVEL.items():
        for title, content in rows:
            n += 1
            register(county, sh(2026, 2, 1 + n % 25), title=title, content=content,
                     category=county.categories[code], division=county.villages[1],
                     id_number=idcard.make(f"99012119700101{n:03d}"), phone=f"1390000{n:04d}")
    return n


PROPERTY = {"title": "物业公司乱收停车费还停水", "content": "我们小区物业公司每月多收停车费，催缴物业费还停水。"}


def test_second_level_suggestions_where_enough_children_are_labelled(
        login, county, second_level, settings):
    """城乡建设 and 劳动和社会保障 each have two children with ≥ 10 labelled matters: they are
    suggested as 物业管理 / 征地拆迁 / 拖欠工资 / 社会保险; 教育文体 has one (招生入学) and stays
    first level. A 物业 suggestion routes by the second-level rule (属地: the township)."""
    settings.XINFANG_NLP_MIN_PER_LEAF = 10
    result = _train()
    assert sorted(result["labels"]) == sorted(["社会保险", "征地拆迁", "拖欠工资", "教育文体", "物业管理"])
    got = intel.suggest_categories(PROPERTY["title"], PROPERTY["content"])
    assert got[0]["label"] == "物业管理" and got[0]["category_id"] == county.categories["CX01"].pk
    assert got[0]["words"]
    wage = intel.suggest_categories(WAGE["title"], WAGE["content"])[0]
    assert (wage["label"], wage["category_id"]) == ("拖欠工资", county.categories["LD01"].pk)
    school = intel.suggest_categories("孩子入学划片不合理", "孩子按户籍应在本片区入学却被划走。")[0]
    assert (school["label"], school["category_id"]) == ("教育文体", county.categories["JY"].pk)
    # the routing table's second-level rule fires from the suggestion, with the words beside it
    village = county.villages[0]
    page = login(county.users["officer"]).post(reverse("register_suggest"), {
        **PROPERTY, "division": village.code, "klass": "appeal"}).content.decode()
    assert "按建议分类" in page and "物业管理" in page
    assert "小区物业纠纷属地乡镇（街道）先行处理" in page
    assert f"{village.parent.name}人民政府" in page
    assert "依据词语" in page and all(w in page for w in got[0]["words"])


def test_a_parent_with_too_few_labelled_children_is_suggested_at_the_first_level(
        county, second_level, settings):
    settings.XINFANG_NLP_MIN_PER_LEAF = 11  # 征地拆迁 and 社会保险 have 10 each: below it
    assert sorted(_train()["labels"]) == sorted(["劳动和社会保障", "城乡建设", "教育文体"])
    got = intel.suggest_categories(PROPERTY["title"], PROPERTY["content"])[0]
    assert (got["label"], got["category_id"]) == ("城乡建设", county.categories["CX"].pk)


def test_choosing_another_child_of_a_suggested_parent_is_a_correction(
        login, county, second_level, settings):
    settings.XINFANG_NLP_MIN_PER_LEAF = 10
    _train()
    c = login(county.users["officer"])
    # suggested 物业管理; filed under 规划建设 (a child with no label of its own: 城乡建设)
    c.post(reverse("register"), _reg_post(county, **PROPERTY, category=county.categories["CX04"].pk))
    m = Matter.objects.get(title=PROPERTY["title"])
    ev = Event.objects.get(matter=m, action="category_suggestion")
    assert ev.data["top"] == "物业管理" and ev.data["chosen"] == "城乡建设"
    assert ev.label == "分类建议更正"
