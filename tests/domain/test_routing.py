"""§22 ¶1–2, §30 ¶3: where a 信访部门 may send a matter, judged by the division tree and the
receiving body's kind (xinfang.domain.routing), and the state machine's guard that applies it."""

from __future__ import annotations

import pytest

from xinfang.domain import routing as r
from xinfang.domain import states as st
from xinfang.domain.errors import GuardFailed

PROV, CITY, COUNTY, TOWN = ("99",), ("99", "9901"), ("99", "9901", "990121"), (
    "99", "9901", "990121", "990121001")
OTHER_COUNTY = ("99", "9901", "990122")

XF = r.BodyFacts(1, "安平县信访局", "xinfang", COUNTY)
ZJ = r.BodyFacts(2, "安平县住房和城乡建设局", "department", COUNTY)
TOWN_GOV = r.BodyFacts(3, "城关镇人民政府", "township", TOWN)
CITY_GOV = r.BodyFacts(4, "临江市人民政府", "party_gov", CITY)
PROV_XF = r.BodyFacts(5, "东江省信访局", "xinfang", PROV)
DISC = r.BodyFacts(6, "安平县纪委监委", "discipline", COUNTY)
PL = r.BodyFacts(7, "中共安平县委政法委员会", "political_legal", COUNTY)
NEIGHBOUR = r.BodyFacts(8, "邻县住建局", "department", OTHER_COUNTY)
CITY_DISC = r.BodyFacts(9, "临江市纪委监委", "discipline", CITY)
CITY_PL = r.BodyFacts(10, "临江市委政法委", "political_legal", CITY)


@pytest.mark.parametrize("act", ["forward", "assign"])
@pytest.mark.parametrize("dst", [ZJ, TOWN_GOV], ids=["same level", "lower level"])
def test_same_and_lower_level_bodies_may_receive(act: str, dst: r.BodyFacts) -> None:
    assert r.refusal(act, XF, dst) is None


@pytest.mark.parametrize("act", ["forward", "assign"])
@pytest.mark.parametrize("dst", [CITY_GOV, PROV_XF], ids=["市政府", "省信访局"])
def test_upward_is_refused_naming_the_rule(act: str, dst: r.BodyFacts) -> None:
    why = r.refusal(act, XF, dst)
    assert why is not None and "上级机关" in why and "§22 ¶1" in why and dst.name in why


def test_another_place_is_refused() -> None:
    why = r.refusal("forward", XF, NEIGHBOUR)
    assert why is not None and "管辖区域" in why and "§22 ¶1" in why


def test_plain_forward_never_reaches_discipline_or_political_legal() -> None:
    to_disc = r.refusal("forward", XF, DISC)
    assert to_disc is not None and "转纪检监察机关" in to_disc and "§30 ¶1" in to_disc
    to_pl = r.refusal("assign", XF, PL)
    assert to_pl is not None and "转政法部门" in to_pl and "§28 ¶2" in to_pl


def test_refer_discipline_only_to_discipline_bodies_of_this_line() -> None:
    assert r.refusal("refer_discipline", XF, DISC) is None
    # 按照管理权限 (§22 ¶2): a cadre managed by the city goes to the city's 纪委监委.
    assert r.refusal("refer_discipline", XF, CITY_DISC) is None
    for dst in (ZJ, PL, CITY_GOV):
        why = r.refusal("refer_discipline", XF, dst)
        assert why is not None and "不是纪检监察机关" in why
    other = r.BodyFacts(11, "邻县纪委监委", "discipline", OTHER_COUNTY)
    assert "管理权限" in (r.refusal("refer_discipline", XF, other) or "")


def test_refer_political_legal_only_to_the_same_level_political_legal_body() -> None:
    assert r.refusal("refer_political_legal", XF, PL) is None
    assert "不是政法部门" in (r.refusal("refer_political_legal", XF, DISC) or "")
    assert "同级政法部门" in (r.refusal("refer_political_legal", XF, CITY_PL) or "")


def test_shielded_units_are_refused_for_every_act() -> None:
    for act in r.ROUTING_ACTS:
        assert "§30 ¶3" in (r.refusal(act, XF, ZJ, shielded=frozenset({ZJ.id})) or "")


def test_permitted_lists_exactly_the_bodies_not_refused() -> None:
    everyone = [XF, ZJ, TOWN_GOV, CITY_GOV, PROV_XF, DISC, PL, NEIGHBOUR]
    assert r.permitted("forward", XF, everyone) == [ZJ, TOWN_GOV]
    assert r.permitted("forward", XF, everyone, shielded=frozenset({ZJ.id})) == [TOWN_GOV]
    assert r.permitted("refer_discipline", XF, everyone) == [DISC]
    assert r.permitted("refer_political_legal", XF, everyone) == [PL]


def _facts(*targets: r.BodyFacts, shielded: frozenset[int] = frozenset()) -> st.Facts:
    return st.Facts(from_body=XF, targets={t.id: t for t in targets}, shielded_body_ids=shielded)


def _check(name: str, facts: st.Facts, **data: object) -> st.Transition:
    t = st.TRANSITIONS[name]
    actor = st.Actor(frozenset(t.roles), frozenset(t.scopes))
    return st.check(name, state=st.State.REGISTERED, actor=actor, facts=facts,
                    data={"report_due": "2030-01-01", **data})


def test_the_state_machine_refuses_upward_and_plain_forward_to_discipline() -> None:
    with pytest.raises(GuardFailed, match=r"上级机关.*§22 ¶1"):
        _check("forward", _facts(CITY_GOV), to_body=CITY_GOV.id)
    with pytest.raises(GuardFailed, match="转纪检监察机关"):
        _check("forward", _facts(DISC), to_body=DISC.id)
    with pytest.raises(GuardFailed, match="不是纪检监察机关"):
        _check("refer_discipline", _facts(ZJ), to_body=ZJ.id)
    with pytest.raises(GuardFailed, match=r"协办单位：.*上级机关"):
        _check("assign", _facts(ZJ, CITY_GOV), to_body=ZJ.id, assist_bodies=[CITY_GOV.id])
    with pytest.raises(GuardFailed, match="§30 ¶3"):
        _check("forward", _facts(TOWN_GOV, shielded=frozenset({TOWN_GOV.id})),
               to_body=TOWN_GOV.id)
    with pytest.raises(GuardFailed, match="不存在"):
        _check("forward", _facts(ZJ), to_body=999)
    assert _check("forward", _facts(ZJ), to_body=ZJ.id).target == st.State.DISPATCHED
    assert _check("assign", _facts(TOWN_GOV, ZJ), to_body=TOWN_GOV.id,
                  assist_bodies=[ZJ.id]).target == st.State.DISPATCHED
    assert _check("refer_discipline", _facts(DISC), to_body=DISC.id).target == st.State.CLOSED
