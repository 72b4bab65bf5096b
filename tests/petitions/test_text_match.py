"""Keyword matching finds exactly the matters whose text holds the term, on both databases.

The text index (migration 0020: FTS5 on SQLite, GIN on PostgreSQL) narrows the rows; it must never drop a
matter that LIKE would find, whatever the term looks like.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import sh
from tests.petitions.helpers import register
from xinfang.petitions.models import Matter
from xinfang.petitions.textindex import term_bigrams
from xinfang.petitions.textindex import text_q as text_match

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

TEXTS = [
    ("小区物业乱收停车费", "请求退还多收的停车费", "东门社区3栋-1单元物业每月多收50元。"),
    ("物业不作为电梯长期停运", "请求督促物业维修电梯", "电梯坏了 三个月，ABC物业公司不理。"),
    ("建议增设公交线路", "建议开通城关至河口的公交", "城关到河口没有公交车，出行难。"),
    ("拖欠农民工工资", "请求督促支付工资", "在%工地干活的工资_未付，共12万元。"),
]
TERMS = ["物业", "停车费", "物业公司", "3栋-1", "电梯坏了 三个月", "ABC", "abc", "12万",
         "公", "%工地", "工资_未付", "城关至河口", "没有匹配的词", "路线公交", "费请"]


@pytest.fixture
def matters(county):
    return [register(county, sh(2026, 2, 2 + i), title=t, request=r, content=c)
            for i, (t, r, c) in enumerate(TEXTS)]


def _expected(matters, term, fields):
    def holds(text: str) -> bool:
        return term in text if term.lower() == term.upper() else term.lower() in text.lower()
    return {m.pk for m in matters if any(holds(getattr(m, f)) for f in fields)}


@pytest.mark.parametrize("fields", [("title", "request"), ("title", "request", "content"),
                                    ("title", "content")])
def test_every_term_finds_exactly_the_matters_holding_it(matters, fields):
    for term in TERMS:
        found = set(Matter.objects.filter(text_match(term, fields)).values_list("pk", flat=True))
        assert found == _expected(matters, term, fields), (term, fields, connection.vendor)


def test_term_bigrams_skip_whitespace_and_single_characters():
    assert term_bigrams("物业") == ["物业"]
    assert term_bigrams("停车费") == ["停车", "车费"]
    assert term_bigrams("坏了 三个") == ["三个", "坏了"]
    assert term_bigrams("公") == [] and term_bigrams("") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bigram index is PostgreSQL's")
def test_postgresql_reads_the_bigram_index(matters):
    qs = Matter.objects.filter(text_match("没有匹配"))
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        plan = qs.explain()
        cur.execute("RESET enable_seqscan")
    assert "matter_text_scope" in plan
