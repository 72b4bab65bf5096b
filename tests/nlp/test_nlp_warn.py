"""Topic warnings (issue 18 item 4): synthetic series that must and must not be flagged."""

from __future__ import annotations

from datetime import date, timedelta

from xinfang.nlp.cli import main
from xinfang.nlp.topics import TopicItem, cluster_topics
from xinfang.nlp.warn import topic_warnings
from xinfang.nlp.warning import ewma_alerts

from .helpers import read_csv, write_csv

MONDAY = date(2019, 1, 7)
RISING = "丽发新城小区附近搅拌站噪音扰民\n丽发新城小区附近的搅拌站日夜施工，噪音灰尘严重，请尽快处理。"
FLAT = "郝家坪小学校舍陈旧何时改扩建\n郝家坪小学校舍陈旧，学位紧张，请问何时能够改扩建？"
ONE_VOICE = "伊景园滨河苑捆绑销售车位\n伊景园滨河苑开发商强制捆绑销售车位，不买车位不给网签。"


def _series(prefix: str, text: str, weekly: list[int], author: str | None = None) -> list[TopicItem]:
    out = []
    for w, n in enumerate(weekly):
        for k in range(n):
            day = MONDAY + timedelta(weeks=w, days=k % 5)
            out.append(TopicItem(f"{prefix}{w}-{k}", text, 0, None, None, day, 0,
                                 author or f"{prefix}-person-{w}-{k}"))
    return out


def _warnings(items: list[TopicItem]) -> dict[str, object]:
    topics = cluster_topics(items, min_size=3)
    return {w.topic.ids[0][0]: w for w in topic_warnings(topics, items)}


def test_a_rising_topic_is_flagged_within_weeks_and_a_flat_one_is_not() -> None:
    rising = _series("r", RISING, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 3, 7, 10])
    flat = _series("f", FLAT, [2] * 15)
    got = _warnings(rising + flat)
    r, f = got["r"], got["f"]
    assert r.first_flagged is not None
    rise = MONDAY + timedelta(weeks=12)
    assert rise <= r.first_flagged <= rise + timedelta(weeks=2)
    assert f.flagged == []


def test_one_person_posting_again_and_again_is_not_a_rising_topic() -> None:
    base = _series("o", ONE_VOICE, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    spike = _series("p", ONE_VOICE, [0] * 12 + [9], author="the-same-user")
    w = _warnings(base + spike)["o"]
    assert w.counts[12] == 9
    assert 12 not in {a.index for a in w.alerts}


def test_heavy_votes_flag_a_slow_topic() -> None:
    items = _series("s", FLAT, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    items[-1] = TopicItem(items[-1].id, FLAT, 150, None, None, items[-1].when, 20, "x")
    w = _warnings(items)["s"]
    assert w.attention == [10]
    assert w.first_flagged == MONDAY + timedelta(weeks=10)


def test_ewma_stays_silent_on_zero_weeks_after_a_spike() -> None:
    counts = [2] * 10 + [12, 10, 0, 0, 0]
    flagged = {a.index for a in ewma_alerts(counts)}
    assert {10, 11} <= flagged
    assert not flagged & {12, 13, 14}


def test_warn_cli_on_any_csv(tmp_path) -> None:
    items = _series("r", RISING, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 3, 7, 10])
    rows = [{"编号": it.id, "标题": it.text.split("\n")[0], "内容": it.text.split("\n")[1],
             "日期": f"{it.when:%Y/%m/%d} 10:00:00", "用户": it.author} for it in items]
    inp = write_csv(tmp_path / "in.csv", rows, ["编号", "标题", "内容", "日期", "用户"])
    out = tmp_path / "warn.csv"
    assert main(["warn", "--csv", str(inp), "--time-col", "日期", "--text-cols", "标题,内容",
                 "--id-col", "编号", "--user-col", "用户", "--out", str(out)]) == 0
    got = read_csv(out)
    assert got and got[0]["topic_rank"] == "1"
    assert min(g["period_start"] for g in got) >= (MONDAY + timedelta(weeks=12)).isoformat()
    assert main(["warn", "--csv", str(inp), "--time-col", "没有这列", "--out", str(out)]) == 2
