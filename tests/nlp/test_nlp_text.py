from __future__ import annotations

from xinfang.nlp.text import entities_conflict, extract_entities, normalize, place_codes, tokenize


def test_full_width_folds_to_half_width() -> None:
    assert normalize("Ａ５区１２３号，请尽快处理！") == "A5区123号,请尽快处理!"


def test_traditional_becomes_simplified() -> None:
    assert normalize("長沙市嶽麓區的業主委員會") == "长沙市岳麓区的业主委员会"


def test_whitespace_and_excel_escapes_collapse() -> None:
    assert normalize("  物业\n\t乱收费_x000D_ 问题 ") == "物业 乱收费 问题"
    assert normalize(None) == ""


def test_place_codes_and_domain_terms_stay_whole() -> None:
    words = tokenize(normalize("A市A5区业委会反映物业费乱收费"))
    assert "A5区" in words
    assert "业委会" in words
    assert "物业费" in words


def test_estate_and_school_names_extracted() -> None:
    ents = {(e.kind, e.name) for e in extract_entities(normalize("A2区魅力之城小区临街门面油烟扰民，郝家坪小学旁边"))}
    assert ("estate", "魅力之城小区") in ents
    assert ("school", "郝家坪小学") in ents


def test_generic_mentions_are_not_names() -> None:
    assert extract_entities("我们小区物业乱收费，道路也坏了") == ()


def test_two_different_estates_conflict() -> None:
    a = extract_entities("丽发新城小区物业强行断水")
    b = extract_entities("滨河苑小区物业强行断水")
    assert entities_conflict(a, b)
    assert not entities_conflict(a, extract_entities("A市丽发新城物业又断水了"))


def test_district_codes_exclude_city() -> None:
    assert place_codes("A市A5区和K8县") == {"A5区", "K8县"}
