from __future__ import annotations

import csv

import pytest

from xinfang.nlp.cli import main
from xinfang.nlp.similarity import SimilarityIndex, evaluate_pairs

from .helpers import read_csv, write_csv

HISTORY = [
    ("m1", "丽发新城小区附近搅拌站噪音扰民\n我是暮云街道丽发新城小区的业主，开发商在小区附近建了大型搅拌站，机器日夜轰鸣，灰尘很大，严重影响居民休息。"),
    ("m2", "金鼎村水泥路何时修到户\n本人系春华镇金鼎村七里组村民，村里道路下雨天泥泞，出行困难，想咨询水泥路到户政策。"),
    ("m3", "郝家坪小学什么时候能改扩建\n郝家坪小学校舍陈旧，学位紧张，周边小区孩子越来越多，请问学校何时能够改扩建？"),
    ("m4", "滨河苑小区物业强行停水\n滨河苑小区物业公司以业主拖欠物业费为由强行停水，老人小孩生活困难，请相关部门处理。"),
    ("m5", "县医院多收检查费用\n在县医院看病，医生开了没有做的检查项目，收据金额与实际收取不符，请卫健委调查。"),
]


@pytest.fixture
def index() -> SimilarityIndex:
    idx = SimilarityIndex()
    for i, text in HISTORY:
        idx.add(i, text)
    return idx


def test_repost_is_found_first(index: SimilarityIndex) -> None:
    repost = "丽发新城小区附近的搅拌站噪音扰民\n我是丽发新城小区业主，开发商在小区附近建搅拌站，机器日夜轰鸣，灰尘太大，影响休息！"
    top = index.query(repost, k=3)
    assert top[0][0] == "m1"
    assert top[0][1] >= index.threshold
    assert [i for i, _ in index.matches(repost)] == ["m1"]


def test_same_complaint_about_another_estate_is_not_the_same_matter(index: SimilarityIndex) -> None:
    other = "丽发新城小区物业强行停水\n丽发新城小区物业公司以业主拖欠物业费为由强行停水，老人小孩生活困难，请相关部门处理。"
    assert "m4" not in [i for i, _ in index.query(other, k=5)]
    same = "滨河苑小区物业又强行停水\n滨河苑小区物业公司以拖欠物业费为由强行停水，生活困难，请处理。"
    assert index.matches(same)[0][0] == "m4"


def test_explicit_place_and_accused_must_agree() -> None:
    idx = SimilarityIndex()
    text = "物业乱收停车费\n物业公司在小区内违规收取停车费，业主多次反映无果，请市场监管部门查处。"
    idx.add("a", text, place="梅溪湖", accused="和顺物业")
    idx.add("b", text, place="星沙", accused="和顺物业")
    assert [i for i, _ in idx.matches(text, place="梅溪湖")] == ["a"]
    assert {i for i, _ in idx.matches(text, accused="和顺物业")} == {"a", "b"}
    assert idx.matches(text, accused="宏达物业") == []


def test_unrelated_text_is_not_matched(index: SimilarityIndex) -> None:
    assert index.matches("地铁站扫码闸机经常故障\n每次扫码都要等很久，希望地铁公司优化闸机。") == []


def test_index_survives_save_and_load(index: SimilarityIndex, tmp_path) -> None:
    index.save(tmp_path / "idx")
    again = SimilarityIndex.load(tmp_path / "idx")
    q = HISTORY[1][1]
    assert again.query(q, k=3) == index.query(q, k=3)
    again.add("m6", "金鼎村水泥路还没修\n春华镇金鼎村的水泥路到户什么时候修？雨天出行困难。")
    assert "m6" in [i for i, _ in again.matches(q, k=5)]


def test_similar_cli_writes_each_pair_once(tmp_path) -> None:
    rows = [{"留言编号": i, "留言主题": t.split("\n")[0], "留言详情": t.split("\n")[1]} for i, t in HISTORY]
    rows.append({"留言编号": "r1", "留言主题": "丽发新城小区附近搅拌站噪音扰民",
                 "留言详情": "我是丽发新城小区的业主，开发商在小区附近建了大型搅拌站，机器日夜轰鸣，灰尘很大。"})
    rows.append({"留言编号": "r2", "留言主题": "郝家坪小学何时改扩建？",
                 "留言详情": "郝家坪小学校舍陈旧学位紧张，请问学校何时能够改扩建？"})
    inp = write_csv(tmp_path / "in.csv", rows, ["留言编号", "留言主题", "留言详情"])
    out = tmp_path / "pairs.csv"
    assert main(["similar", "--csv", str(inp), "--text-cols", "留言主题,留言详情",
                 "--id-col", "留言编号", "--out", str(out)]) == 0
    with open(out, encoding="utf-8", newline="") as fh:
        assert next(csv.reader(fh)) == ["id_a", "id_b", "score"]
    got = read_csv(out)
    pairs = {(g["id_a"], g["id_b"]) for g in got}
    assert pairs == {("m1", "r1"), ("m3", "r2")}
    assert len(got) == len(pairs)
    assert all(0 < float(g["score"]) <= 1 for g in got)


def test_labelled_real_pairs_quality(real_data) -> None:
    from pathlib import Path

    fixture = Path(__file__).with_name("fixtures") / "votes_same_matter_pairs.csv"
    with open(real_data / "tipdm2020c" / "messages-with-votes.csv", encoding="utf-8", newline="") as fh:
        items = [(r["留言编号"], r["留言主题"] + "\n" + r["留言详情"]) for r in csv.DictReader(fh)]
    labelled = [(r["id_a"], r["id_b"], r["same"] == "1") for r in read_csv(fixture)]
    res = evaluate_pairs(items, labelled)
    assert res["precision"] >= 0.9
    assert res["recall"] >= 0.85


def test_same_place_pairs_quality(real_data) -> None:
    """120 pairs that all name one place (docs/nlp.md): the same place is not the same matter."""
    from pathlib import Path

    fixture = Path(__file__).with_name("fixtures") / "votes_same_place_pairs.csv"
    with open(real_data / "tipdm2020c" / "messages-with-votes.csv", encoding="utf-8", newline="") as fh:
        items = [(r["留言编号"], r["留言主题"] + "\n" + r["留言详情"]) for r in csv.DictReader(fh)]
    labelled = [(r["id_a"], r["id_b"], r["same"] == "1") for r in read_csv(fixture)]
    res = evaluate_pairs(items, labelled)
    assert res["precision"] >= 0.9
    assert res["recall"] >= 0.85


def test_same_place_with_another_problem_is_not_the_same_matter() -> None:
    idx = SimilarityIndex()
    idx.add("crack", "万科魅力之城小区楼板开裂\n我是万科魅力之城小区业主，交房一年楼板开裂、墙面开裂，开发商不处理。")
    idx.add("school", "万科魅力之城小区孩子入学难\n我是万科魅力之城小区业主，小区配套小学迟迟不开学，孩子入学难。")
    same = "万科魅力之城楼板开裂无人管\n万科魅力之城的房子楼板开裂、墙面开裂数十处，开发商推诿。"
    got = dict(idx.query(same, k=5))
    assert got["crack"] >= idx.threshold
    assert got.get("school", 0.0) < idx.threshold


def test_scores_judge_chosen_matters_like_query(index: SimilarityIndex) -> None:
    """The repeat finder scores one petitioner's earlier matters directly: the same score and
    entity gate as ``query``, for exactly the ids asked (unknown ids and gated-out ones absent)."""
    same = "滨河苑小区物业又强行停水\n滨河苑小区物业公司以拖欠物业费为由强行停水，生活困难，请处理。"
    other_estate = "丽发新城小区物业强行停水\n丽发新城小区物业公司以业主拖欠物业费为由强行停水，老人小孩生活困难，请相关部门处理。"
    top = dict(index.query(same, k=5))
    got = index.scores(same, ["m4", "m2", "nope"])
    assert got["m4"] == top["m4"] >= index.threshold
    assert set(got) <= {"m4", "m2"} and got.get("m2", 0.0) < index.threshold
    assert "m4" not in index.scores(other_estate, ["m4"])  # another 小区: gated out


def test_a_mapped_index_with_rows_added_scores_like_one_built_in_memory(tmp_path) -> None:
    """Issue 19 item 5: the web workers map the job's saved index and add the newer matters
    beside it; every score is the one of an index holding all of them in memory (the idf
    counts the added rows, the gate knows the nesting learned from both)."""
    from xinfang.nlp.bench import BUILTIN, synthetic_corpus

    items = [(f"{n}", text) for n, (_, text) in enumerate(synthetic_corpus(BUILTIN, 600, seed=3))]
    items += [(f"h{n}", t) for n, (_, t) in enumerate(HISTORY)]
    whole = SimilarityIndex()
    whole.add_many((i, t, None, None) for i, t in items)
    part = SimilarityIndex()
    part.add_many((i, t, None, None) for i, t in items[:450])
    part.save(tmp_path / "idx")
    mapped = SimilarityIndex.load(tmp_path / "idx", mmap=True)
    assert mapped.mapped and not mapped._text.values.flags.writeable
    mapped.add_many((i, t, None, None) for i, t in items[450:500])
    mapped.add_many((i, t, None, None) for i, t in items[500:])
    assert len(mapped) == len(whole)
    found = 0
    for _, text in [*items[::7], ("q", HISTORY[3][1][:30])]:
        got = mapped.query(text, k=8)
        assert got == whole.query(text, k=8)
        found += len(got)
        ids = [i for i, _ in items[::37]]
        assert mapped.scores(text, ids) == whole.scores(text, ids)
    assert found > 100
    assert mapped.ids.pos("10") == whole.ids.pos("10") == 10 and "h4" in mapped.ids
    assert mapped.ids.pos("nope") is None and mapped.ids.pos("010") is None
