from __future__ import annotations

import pytest
import time_machine

from tests.conftest import sh
from tests.petitions.helpers import register
from xinfang.domain import idcard

# ~30 hand-written matters in three top-level categories: the tiny training set.
TRAINING: dict[str, list[tuple[str, str]]] = {
    "CX01": [
        ("小区物业乱收停车费", "物业公司每月多收停车费，业主多次反映无果。"),
        ("物业不作为电梯长期故障", "我们小区电梯坏了三个月，物业一直不修。"),
        ("物业公司强行停水停电", "物业为催缴物业费对业主停水停电。"),
        ("小区垃圾无人清运", "小区垃圾堆积发臭，物业管理缺位。"),
        ("业委会选举不公开", "小区业委会选举过程不透明，物业插手。"),
        ("物业费上涨未公示", "物业公司擅自上调物业费，没有征求业主意见。"),
        ("小区绿地被物业改成停车位", "物业把公共绿地改成收费停车位出租。"),
        ("物业侵占公共收益", "小区电梯广告收入被物业公司占有，业主要求公开。"),
        ("小区消防通道被堵", "物业不管消防通道堆放杂物，存在安全隐患。"),
        ("物业服务质量差", "保安不在岗，保洁不到位，物业费照收。"),
        ("小区地下车库漏水", "地下车库长期漏水，物业推诿不处理。"),
    ],
    "LD01": [
        ("建筑工地拖欠农民工工资", "我们在工地干了半年，老板拖欠工资不给。"),
        ("公司拖欠工资三个月", "公司以效益不好为由拖欠员工工资三个月。"),
        ("包工头卷款跑路欠薪", "包工头拿了工程款跑路，三十多名工人工资没着落。"),
        ("餐馆老板克扣工资", "餐馆老板无故克扣服务员工资，拒不支付加班费。"),
        ("工厂欠薪讨要无门", "工厂停产，拖欠工人两个月工资，讨薪无门。"),
        ("劳务公司不发工资", "劳务派遣公司拖欠工资，说要等项目结算。"),
        ("装修公司拖欠工人工资", "装修队干完活，公司一直拖欠工资。"),
        ("物流公司拖欠司机工资", "物流公司拖欠货车司机工资和提成。"),
        ("年底讨薪农民工", "春节前农民工讨要被拖欠的工资，老板避而不见。"),
        ("企业拖欠离职员工工资", "离职后公司不结清工资，还扣押证件。"),
        ("拖欠保安工资", "保安公司连续四个月拖欠工资。"),
    ],
    "JY02": [
        ("孩子入学划片不合理", "我家孩子按户籍应在本片区入学，却被划到很远的学校。"),
        ("幼儿园招生不公开", "公办幼儿园招生名额不公开，存在走关系。"),
        ("随迁子女入学难", "外来务工人员子女在本地入学手续繁琐，学位不足。"),
        ("小升初学位分配问题", "小升初学位分配不透明，请求公开招生办法。"),
        ("学校招生收取赞助费", "学校招生时要求家长交赞助费才给学位。"),
        ("新小区没有配套学校", "新建小区没有配套学校，孩子入学只能跨区。"),
        ("入学报名系统故障", "入学网上报名系统崩溃，担心错过招生时间。"),
        ("残疾儿童入学被拒", "孩子有轻度残疾，学校以各种理由拒绝接收入学。"),
        ("转学手续办不下来", "工作调动后孩子转学，教育局迟迟不办入学手续。"),
        ("民办学校招生摇号不公", "民办学校招生摇号过程不公开，家长质疑。"),
    ],
}


@pytest.fixture
def frozen():
    with time_machine.travel(sh(2026, 6, 15), tick=False) as t:
        yield t


@pytest.fixture
def training(county, frozen):
    """The labelled history: 32 matters registered over the past weeks, by category."""
    n = 0
    for code, rows in TRAINING.items():
        for title, content in rows:
            n += 1
            register(county, sh(2026, 1, 5 + n % 20), title=title, content=content,
                     category=county.categories[code], division=county.villages[1],
                     id_number=idcard.make(f"99012119700101{n:03d}"), phone=f"1390000{n:04d}")
    return n


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
