"""A history file in the old system's export format, for the import benchmark (development
only): N rows over five years of the demo county, in the mix of states a county moving over
has (mostly finished, a tail still open)."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from xinfang.domain import idcard
from xinfang.petitions.history.columns import COLUMNS

from .county import CATEGORIES, DEPARTMENTS, TOWNSHIPS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强玉兰海燕"
PROBLEMS = [
    ("物业费上涨未经业主大会表决", "要求物业公司公开收费标准并退还多收费用", "CX01"),
    ("小区电梯长期故障无人维修", "要求督促物业维修电梯", "CX01"),
    ("保障房分配不公开", "要求公开分配结果", "CX02"),
    ("征地补偿款未足额发放", "要求按标准发放补偿款", "CX03"),
    ("道路施工噪音扰民", "要求夜间停止施工", "CX05"),
    ("工地拖欠农民工工资", "要求支付拖欠工资", "LD01"),
    ("单位未缴纳社会保险", "要求补缴社保", "LD02"),
    ("学校招生划片不合理", "要求调整学区划分", "JY02"),
    ("商家虚假宣传拒不退款", "要求退款并查处", "SM02"),
    ("医院乱收费", "要求核查收费并退还", "WS01"),
]
STATE_MIX = [("已办结", 60), ("已答复", 10), ("办理中", 15), ("已转送", 10), ("待处置", 5)]
OUTCOMES = ["解释说明", "予以支持", "部分支持", "不予支持"]
RATINGS = ["满意", "满意", "基本满意", "不满意", ""]


def write_sample(path: Path, n: int, *, seed: int = 7, today: date | None = None) -> Path:
    rnd = random.Random(seed)
    today = today or date.today()  # noqa: DTZ011 — the bench machine's date is the point
    villages = [v for _c, _t, vs in TOWNSHIPS for v in vs]
    cat_names = {cc: f"{top}/{name}" for _c, top, kids in CATEGORIES for cc, name in kids}
    dept_by_cat = {code: name for _s, name, codes in DEPARTMENTS for code in codes}
    states = [s for s, w in STATE_MIX for _ in range(w)]
    headers = [aliases[0] for aliases in COLUMNS.values()]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for i in range(n):
            title, request, cat = PROBLEMS[i % len(PROBLEMS)]
            village = villages[rnd.randrange(len(villages))]
            state = states[rnd.randrange(len(states))]
            open_state = state in ("待处置", "已转送", "办理中", "已答复")
            back = rnd.randrange(5, 120) if open_state else rnd.randrange(120, 5 * 365)
            received = today - timedelta(days=back)
            dispatched = received + timedelta(days=rnd.randrange(1, 5))
            accepted = dispatched + timedelta(days=rnd.randrange(1, 10))
            replied = accepted + timedelta(days=rnd.randrange(10, 55))
            steps = {"待处置": 0, "已转送": 1, "办理中": 2, "已答复": 3, "已办结": 3}[state]
            if steps >= 1 and dispatched > today:
                steps, state = 0, "待处置"
            if steps >= 2 and accepted > today:
                steps, state = 1, "已转送"
            if steps >= 3 and replied > today:
                steps, state = 2, "办理中"
            name = SURNAMES[rnd.randrange(len(SURNAMES))] + GIVEN[rnd.randrange(len(GIVEN))]
            born = date(1950, 1, 1) + timedelta(days=rnd.randrange(365 * 50))
            id_number = idcard.make(f"990121{born:%Y%m%d}{rnd.randrange(1000):03d}") \
                if rnd.random() < 0.6 else ""
            row = {
                "number": f"HIST{received.year}{i:08d}",
                "received_on": received.isoformat(),
                "channel": ("来信", "来访", "网上信访", "来电")[rnd.randrange(4)],
                "title": f"{village}{title}", "request": request,
                "content": f"{village}居民反映：{title}，多次协调未果。{request}。",
                "division": village, "category": cat_names[cat], "klass": "申诉求决类",
                "name": name, "id_number": id_number,
                "phone": f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}",
                "address": f"{village}{rnd.randrange(1, 40)}号", "headcount": "1",
                "collective": "", "holder": "安平县信访局",
                "lead_body": dept_by_cat.get(cat, "") if steps >= 1 else "",
                "dispatch_kind": "转送" if steps >= 1 else "",
                "dispatched_on": dispatched.isoformat() if steps >= 1 else "",
                "accepted_on": accepted.isoformat() if steps >= 2 else "",
                "replied_on": replied.isoformat() if steps >= 3 else "",
                "served_on": "",
                "outcome": OUTCOMES[rnd.randrange(len(OUTCOMES))] if steps >= 3 else "",
                "closure": "", "rating": RATINGS[rnd.randrange(len(RATINGS))] if steps >= 3 else "",
                "state": state, "accused": "", "accused_body": "",
            }
            w.writerow([row[f] for f in COLUMNS])
    return path
