from __future__ import annotations

import csv
from datetime import date, timedelta

from xinfang.nlp.cli import main
from xinfang.nlp.topics import TopicItem, cluster_topics

from .helpers import read_csv, write_csv

ROWS = [
    ("a1", "丽发新城小区附近搅拌站噪音扰民", "我是丽发新城小区的业主，开发商在小区附近建了大型搅拌站，机器日夜轰鸣，灰尘很大，严重影响休息。", 12),
    ("a2", "投诉丽发新城小区旁搅拌站噪音", "丽发新城小区旁边新建搅拌站，噪音扰民，灰尘满天飞，请环保部门处理。", 3),
    ("a3", "丽发新城小区搅拌站灰尘污染严重", "丽发新城小区附近的搅拌站灰尘太大，窗户都不敢开，噪音也很大，请尽快关停。", 0),
    ("a4", "丽发新城小区附近搅拌站何时搬走", "丽发新城小区附近搅拌站日夜施工，噪音和灰尘严重影响居民，请问何时搬走？", 5),
    ("b1", "伊景园滨河苑捆绑销售车位", "伊景园滨河苑要求购房者必须捆绑购买12万元车位，不买就取消购房资格，请政府查处。", 60),
    ("b2", "投诉伊景园滨河苑强制捆绑车位", "伊景园滨河苑开发商强制捆绑销售车位，不买车位不给网签，请相关部门制止。", 8),
    ("b3", "伊景园滨河苑捆绑车位是否合法", "伊景园滨河苑楼盘捆绑销售12万元车位，不买车位就不能买房，这合法吗？", 1),
    ("c1", "英祥春天小区一楼被改成商业门面噪音扰民", "我们是英祥春天小区居民，一楼架空层被改成商业门面，噪音和油烟严重扰民。", 0),
    ("c2", "魅力之城小区一楼被改成商业门面噪音扰民", "我们是魅力之城小区居民，一楼架空层被改成商业门面，噪音和油烟严重扰民。", 0),
    ("e1", "丽发新城小区物业乱收停车费", "丽发新城小区物业公司擅自把停车费从每月100元涨到300元，未经业主大会表决。", 0),
    ("d1", "郝家坪小学什么时候能改扩建", "郝家坪小学校舍陈旧，学位紧张，请问何时能够改扩建？", 0),
]


def test_cluster_topics_groups_concrete_issues() -> None:
    topics = cluster_topics([TopicItem(i, f"{t}\n{b}", v) for i, t, b, v in ROWS])
    assert sorted(topics[0].ids) == ["b1", "b2", "b3"]  # 3 messages + 69 votes: hottest
    assert sorted(topics[1].ids) == ["a1", "a2", "a3", "a4"]
    assert topics[0].votes == 69
    assert all(not {"c1", "c2"} <= set(t.ids) for t in topics)  # two 小区, two matters
    assert "搅拌站" in topics[1].keywords
    assert all("e1" not in t.ids for t in topics)  # the same 小区, another problem


def test_topics_cli_contract(tmp_path) -> None:
    rows = [{"留言编号": i, "留言主题": t, "留言详情": b, "点赞数": str(v)} for i, t, b, v in ROWS]
    inp = write_csv(tmp_path / "in.csv", rows, ["留言编号", "留言主题", "留言详情", "点赞数"])
    out = tmp_path / "topics.csv"
    assert main(["topics", "--csv", str(inp), "--text-cols", "留言主题,留言详情", "--id-col", "留言编号",
                 "--votes-col", "点赞数", "--out", str(out)]) == 0
    with open(out, encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == ["rank", "kind", "topic", "heat", "first", "last", "span_days",
                                         "messages", "petitioners", "likes", "dislikes", "places",
                                         "keywords", "ids"]
    got = read_csv(out)
    assert len(got) >= 2
    for g in got:
        ids = g["ids"].split(" ")
        assert int(g["messages"]) == len(ids)
        assert int(g["likes"]) == sum(v for i, _, _, v in ROWS if i in ids)
        assert g["topic"] and g["keywords"]
    assert set(got[0]["ids"].split()) == {"b1", "b2", "b3"}
    heat = [float(g["heat"]) for g in got]
    assert heat == sorted(heat, reverse=True)
    # every id appears in at most one topic
    all_ids = [i for g in got for i in g["ids"].split()]
    assert len(all_ids) == len(set(all_ids))


def _dated(i: str, title: str, day: date, likes: int = 0, dislikes: int = 0, author: str = "") -> TopicItem:
    return TopicItem(i, f"{title}\n{title}，请尽快处理。", likes, None, None, day, dislikes, author or i)


def test_a_topic_that_pauses_for_months_is_two_bursts() -> None:
    d0 = date(2019, 1, 10)
    items = [_dated(f"s{k}", "丽发新城小区附近搅拌站噪音扰民", d0 + timedelta(days=k)) for k in range(3)]
    items += [_dated(f"t{k}", "丽发新城小区附近搅拌站噪音扰民", d0 + timedelta(days=200 + k)) for k in range(3)]
    topics = [t for t in cluster_topics(items) if not t.single]
    assert sorted(sorted(t.ids) for t in topics) == [["s0", "s1", "s2"], ["t0", "t1", "t2"]]
    assert {(t.first, t.last, t.span_days) for t in topics} == {
        (d0, d0 + timedelta(days=2), 3), (d0 + timedelta(days=200), d0 + timedelta(days=202), 3)}


def test_heat_counts_votes_and_time_and_reports_lone_hot_posts_apart() -> None:
    d0 = date(2019, 3, 1)
    quick = [_dated(f"q{k}", "伊景园滨河苑捆绑销售车位", d0 + timedelta(days=k), author="same")
             for k in range(4)]
    slow = [_dated(f"w{k}", "郝家坪小学校舍陈旧何时改扩建", d0 + timedelta(days=25 * k)) for k in range(5)]
    lone = [_dated("x", "五矿万境小区入学问题", d0, likes=400, dislikes=40)]
    topics = cluster_topics(quick + slow + lone)
    by = {t.ids[0][0]: t for t in topics}
    assert by["q"].petitioners == 1 and by["w"].petitioners == 5
    # 4 messages in 4 days are hotter than 5 spread over 101 days
    assert by["q"].heat > by["w"].heat
    assert by["w"].span_days == 101
    assert by["w"].heat == round(5 * (30 / 101) ** 0.5, 2)
    # the lone post: (1 + (400 + 20) / 20) = 22, reported after every topic, flagged single
    assert by["x"].single and by["x"].heat == 22.0 and by["x"].dislikes == 40
    assert topics[-1] is by["x"]
