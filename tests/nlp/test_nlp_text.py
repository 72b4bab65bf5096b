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


# --- names, not fragments (issue 18 item 1), written from the board's examples ----------

def _names(text: str) -> set[str]:
    return {e.name for e in extract_entities(normalize(text))}


def _cores(text: str) -> set[str]:
    return {e.core for e in extract_entities(normalize(text))}


def test_a_verb_or_count_before_a_suffix_is_no_case_or_estate() -> None:
    # 发过一次|案情 and 立案 are no case; 中院按诉讼程序开|庭 is no 庭 (an estate suffix).
    assert _names("A市58车贷恶性退出立案近半年没有发过一次案情通报") == set()
    assert _names("请督促A市中院按诉讼程序开庭、尽快判决") == set()
    assert _names("判决书已生效,多次去到A2区法院都无法立案") == set()


def test_a_descriptive_word_before_a_suffix_is_no_name() -> None:
    assert _names("城镇小区配套幼儿园专项治理") == set()
    assert _names("生活小区和加油站同步规划有何法律依据") == set()
    # the estate before it is still found, and 配套 is no part of its name
    assert _cores("A市保利西海岸配套幼儿园迟迟不开园") == {"保利西海岸"}
    assert _cores("A市规划局在德雅苑生活小区违建加油站") == {"德雅"}


def test_a_generic_platform_is_no_case() -> None:
    assert _names("西地省A市58车贷是一家P2P平台") == set()
    assert _cores("余易贷P2P平台即宝坤的两个资产端企业") == {"余易贷"}


def test_names_that_hold_single_function_characters_stay_names() -> None:
    # 嘉顺 (顺 is a preposition in the dictionary), 同鑫, 魅力之城, 五一大道, 东六路
    assert _cores("A市嘉顺苑小区怎么经常无故停水") == {"嘉顺"}
    assert _cores("A1区同鑫家园小区厕所、地漏反水") == {"同鑫"}
    assert _cores("A市万科魅力之城商铺无排烟管道") == {"万科魅力之"}
    assert _cores("A7县东六路附近的空地做什么用途") == {"东六"}


def test_one_character_typo_of_an_estate_name_matches() -> None:
    a = extract_entities(normalize("A市金邻公寓晚间停水近2月"))
    b = extract_entities(normalize("A市A3区金领公寓连续2个月晚上停水"))
    assert not entities_conflict(a, b)
    # … but two different estates one character apart, sounding different, still conflict
    assert entities_conflict(extract_entities("万科小区物业乱收费"), extract_entities("万达小区物业乱收费"))
    # transposition, and one character of three
    assert not entities_conflict(extract_entities("伊景园小区停水"), extract_entities("伊锦园小区停水"))
    assert not entities_conflict(extract_entities("金领公寓停水"), extract_entities("领金公寓停水"))


def test_nested_places_match() -> None:
    from xinfang.nlp.places import Places

    outer_inner = extract_entities(normalize("请清理A3区咸嘉新村西子园的非法托管中心"))
    inner = extract_entities(normalize("A3区西子园小区补习班托管中心仍在非法营运"))
    outer = extract_entities(normalize("A市咸嘉新村文明兴旺华的无证办学现象严重"))
    assert ("西子", "咸嘉") in {(e.core, e.within) for e in outer_inner}
    assert not entities_conflict(outer_inner, inner)
    assert not entities_conflict(outer_inner, outer)
    # 西子园 alone against 咸嘉新村 alone: one place once a text has named one inside the other
    assert entities_conflict(inner, outer)
    places = Places()
    places.learn(outer_inner)
    assert not entities_conflict(inner, outer, places)


def test_gazetteer_names_are_found_and_nest() -> None:
    from xinfang.nlp.places import Gazetteer, Places

    g = Gazetteer.from_rows([("城关镇", "town", None), ("龙潭社区", "village", "城关镇"),
                             ("金鼎村", "village", "城关镇"), ("阳光小区", "estate", "龙潭社区")])
    assert [(e.kind, e.core) for e in extract_entities("龙潭停水三天", g)] == [("village", "龙潭")]
    assert not entities_conflict(extract_entities("龙潭社区停水", g), extract_entities("城关镇龙潭停水", g),
                                 Places(g))
    assert entities_conflict(extract_entities("龙潭社区停水", g), extract_entities("金鼎村停水", g),
                             Places(g))
