from __future__ import annotations

from xinfang.nlp.classify import Classifier
from xinfang.nlp.cli import main
from xinfang.nlp.weak import reply_label, text_keys, weak_rows

from .helpers import synthetic_rows, write_csv

REPLY_COLS = ["留言编号", "留言主题", "留言详情", "答复意见"]


def test_reply_department_gives_the_label_or_abstains() -> None:
    assert reply_label("网友您好！……特此回复。A7县教育局 2019年5月5日") == "教育文体"
    assert reply_label("已转市人社局调查处理，现答复如下") == "劳动和社会保障"
    assert reply_label("经Ａ市生态环境局现场核查") == "环境保护"  # full-width code folded
    # Two labels' departments, or none at all: no weak label.
    assert reply_label("市教育局会同市卫健委联合检查") is None
    assert reply_label("A3区洋湖街道高度重视，现回复如下") is None


def _replies(tmp_path, train_title: str, test_body: str):
    rows = [
        {"留言编号": "1", "留言主题": train_title, "留言详情": "完全不同的正文内容在这里", "答复意见": "A市教育局"},
        {"留言编号": "2", "留言主题": "某县医院乱收费", "留言详情": " " + test_body + "！", "答复意见": "县卫健委"},
        {"留言编号": "3", "留言主题": "出租车不打表", "留言详情": "出租车司机不打表乱要价", "答复意见": "市交通运输局"},
        {"留言编号": "4", "留言主题": "出租车不打表", "留言详情": "再发一次", "答复意见": "市交通运输局"},
        {"留言编号": "5", "留言主题": "小区停水", "留言详情": "停水三天", "答复意见": "区住建局"},
        {"留言编号": "6", "留言主题": "路灯不亮", "留言详情": "路灯坏了一个月", "答复意见": "街道办事处"},
    ]
    return write_csv(tmp_path / "replies.csv", rows, REPLY_COLS)


def test_weak_rows_drop_messages_seen_in_train_or_test(tmp_path) -> None:
    path = _replies(tmp_path, "郝家坪小学乱收补课费", "医生开了没有做的检查项目，多收费用")
    exclude = text_keys("郝家坪小学乱收补课费", "") | text_keys("", "医生开了没有做的检查项目,多收费用")
    got = weak_rows(path, exclude)
    # 1 shares a title with train, 2 a body with test (after normalisation), 4 re-posts 3's
    # title, 6 names no department.
    assert [(w.title, w.label) for w in got] == [("出租车不打表", "交通运输"), ("小区停水", "城乡建设")]


def test_cli_extra_replies_never_trains_on_a_sibling_test_csv(tmp_path, capsys) -> None:
    train_rows = synthetic_rows(n_per_class=6, seed=3)
    train = write_csv(tmp_path / "train.csv", train_rows, ["id", "title", "body", "label"])
    write_csv(tmp_path / "test.csv", [{"id": "t1", "title": "别的标题", "body": "医生开了没有做的检查项目，多收费用"}],
              ["id", "title", "body"])
    replies = _replies(tmp_path, train_rows[0]["title"], "医生开了没有做的检查项目，多收费用")
    assert main(["train", "--csv", str(train), "--model", str(tmp_path / "m"),
                 "--extra-replies", str(replies)]) == 0
    assert '"weak_rows": 2' in capsys.readouterr().err
    clf = Classifier.load(tmp_path / "m")
    assert clf.meta["extra"]["n"] == 2 and clf.meta["lexicon"]["groups"] > 7
    label, conf = clf.predict([("医院收费不合理", "医生多收费用")])[0]
    assert label == "卫生计生" and 0 < conf <= 1


def test_lexicon_can_be_switched_off(tmp_path) -> None:
    rows = synthetic_rows(n_per_class=6, seed=5)
    docs, labels = [(r["title"], r["body"]) for r in rows], [r["label"] for r in rows]
    plain = Classifier(lexicon=False).fit(docs, labels)
    assert plain.meta["lexicon"] is None
    assert plain.predict([("幼儿园入学难", "学位不够")])[0][0] == "教育文体"
