from __future__ import annotations

import pytest

from xinfang.domain import idcard
from xinfang.domain.errors import NoRoute
from xinfang.domain.routing import Rule, suggest


def test_gb11643_check_digit() -> None:
    # A published example number from GB 11643-1999: 11010519491231002X.
    assert idcard.is_valid("11010519491231002X")
    assert idcard.is_valid("11010519491231002x")
    assert idcard.validate("110105194912310021") == "身份证号码校验位不正确，请核对"
    assert "出生日期" in (idcard.validate("110105194913310028") or "")
    assert "18位" in (idcard.validate("1101051949") or "")


def test_masking_keeps_head_and_tail() -> None:
    assert idcard.mask("330102199001011234") == "330102********1234"
    assert idcard.mask_phone("13812345678") == "138****5678"
    assert idcard.mask_name("王大明") == "王**"


RULES = [
    Rule(("CX",), ("99", "9901", "990121"), 1, "县住建局"),
    Rule(("CX", "CX01"), ("99", "9901", "990121", "990121001"), 2, "城关镇人民政府"),
    Rule(("HB",), ("99", "9901", "990121"), 3, "生态环境分局"),
]


def test_the_most_specific_rule_wins_with_its_reason() -> None:
    """属地管理、分级负责 (§22 ¶1 (2)): a township rule beats the county rule."""
    s = suggest(RULES, ("CX", "CX01"), ("99", "9901", "990121", "990121001", "990121001001"),
                category_names={"CX01": "物业管理"}, division_names={"990121001": "城关镇"})
    assert s.body_id == 2 and "物业管理" in s.reason and "城关镇" in s.reason and "§22" in s.reason
    s = suggest(RULES, ("CX", "CX01"), ("99", "9901", "990121", "990121002"))
    assert s.body_id == 1


def test_accused_unit_is_excluded_and_no_route_is_an_error() -> None:
    with pytest.raises(NoRoute):
        suggest(RULES, ("HB",), ("99", "9901", "990121"), exclude_body_ids=frozenset({3}))
    with pytest.raises(NoRoute):
        suggest(RULES, ("JT",), ("99", "9901", "990121"))
