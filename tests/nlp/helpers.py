from __future__ import annotations

import csv
import random
from pathlib import Path

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

PLACES = ["丽发新城小区", "金鼎村", "郝家坪小学", "滨河苑小区", "春华镇", "梅溪湖", "星沙"]
TEMPLATES = {
    "城乡建设": [
        ("{p}物业乱收费", "我们{p}的物业公司乱收物业费，还停水停电，业主多次反映无人处理。"),
        ("{p}违章建筑无人管", "{p}有人私自搭建违章建筑，占用公共绿地，请城管部门查处。"),
        ("{p}道路坑洼积水", "{p}附近道路年久失修，下雨天严重积水，居民出行困难，希望尽快维修。"),
    ],
    "教育文体": [
        ("{p}学校乱收补课费", "{p}附近学校老师组织学生有偿补课，每月收取补课费，家长负担很重。"),
        ("{p}幼儿园入学难", "孩子在{p}上幼儿园，学位不够，划片入学政策不清楚，请教育局解答。"),
        ("{p}教师工资拖欠", "{p}的代课教师工资已经拖欠半年，教育局一直没有说法。"),
    ],
    "卫生计生": [
        ("{p}医院收费不合理", "在{p}附近医院看病，医生开了没有做的检查项目，多收费用，请卫健委调查。"),
        ("{p}卫生院服务差", "{p}卫生院医生态度恶劣，看病排队几个小时，药品价格高。"),
        ("{p}二孩生育登记难", "在{p}办理二孩生育登记，计生部门要求材料太多，跑了好几趟。"),
    ],
}


def synthetic_rows(n_per_class: int = 12, seed: int = 0) -> list[dict[str, str]]:
    """Small labelled Chinese sample, written here so tests never need the real data."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for label, temps in TEMPLATES.items():
        for i in range(n_per_class):
            title, body = temps[i % len(temps)]
            p = rng.choice(PLACES)
            rows.append({"title": title.format(p=p), "body": body.format(p=p), "label": label})
    rng.shuffle(rows)
    for i, r in enumerate(rows):
        r["id"] = f"s{i:03d}"
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], cols: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
