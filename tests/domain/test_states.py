"""The state machine table (procedure.md §9.2): every allowed and every forbidden transition."""

from __future__ import annotations

import ast
import pathlib

import pytest

from xinfang.domain import states as st
from xinfang.domain.errors import Forbidden, GuardFailed, IllegalTransition, MissingFields

ALL = list(st.TRANSITIONS.values())


def _full_data(t: st.Transition) -> dict[str, object]:
    sample: dict[str, object] = {
        "days": 10, "reason_code": "N7", "route31": 2, "outcome": "supported",
        "rating": "satisfied", "to_body": 99, "hearing_requested_by": "petitioner",
        "review_outcome": "redo" if t.name.startswith("order_redo") else "upheld",
        "consent": "both", "agreement_kind": "mediation",
    }
    return {f: sample.get(f, "x") for f in t.required}


def _pairs(t: st.Transition) -> list[tuple[frozenset[st.Role], frozenset[st.Scope]]]:
    return [(r, s) for r, s in ((t.roles, t.scopes), *t.grants) if r and s]


def _actor(t: st.Transition) -> st.Actor:
    roles, scopes = _pairs(t)[0]
    return st.Actor(frozenset(roles), frozenset(scopes))


# Facts under which every input-free guard passes: an answer served and rated 不满意.
FACTS = st.Facts(replied=True, rated_unsatisfied=True)


@pytest.mark.parametrize("t", ALL, ids=lambda t: f"{t.name}[{t.article}]")
def test_each_transition_is_allowed_from_its_sources(t: st.Transition) -> None:
    for source in t.sources:
        got = st.check(t.name, state=source, actor=_actor(t), facts=FACTS, data=_full_data(t))
        assert got.target == t.target


@pytest.mark.parametrize("t", ALL, ids=lambda t: f"{t.name}[{t.article}]")
def test_each_transition_is_refused_from_every_other_state(t: st.Transition) -> None:
    for state in set(st.State) - t.sources:
        with pytest.raises(IllegalTransition, match="不能执行"):
            st.check(t.name, state=state, actor=_actor(t), facts=FACTS, data=_full_data(t))


@pytest.mark.parametrize("t", ALL, ids=lambda t: f"{t.name}[{t.article}]")
def test_each_transition_is_refused_to_other_roles_and_scopes(t: st.Transition) -> None:
    """Every single role × scope outside the table's (role, scope) pairs is refused; a pair
    is checked together, so a grant (§23 ¶1) lends its roles nothing outside its scope."""
    source = next(iter(t.sources))
    pairs = _pairs(t)
    for role in st.Role:
        for scope in st.Scope:
            if any(role in r and scope in s for r, s in pairs):
                continue
            actor = st.Actor(frozenset({role}), frozenset({scope}))
            with pytest.raises(Forbidden):
                st.check(t.name, state=source, actor=actor, facts=FACTS, data=_full_data(t))


@pytest.mark.parametrize("t", [t for t in ALL if t.required], ids=lambda t: t.name)
def test_required_fields_are_named_in_chinese(t: st.Transition) -> None:
    source = next(iter(t.sources))
    with pytest.raises(MissingFields) as e:
        st.check(t.name, state=source, actor=_actor(t), facts=FACTS, data={})
    assert set(e.value.fields) == set(t.required)
    assert "请填写" in e.value.message


def test_extension_only_once_and_at_most_30_days() -> None:
    """§34: extended once, by no more than 30 日."""
    a = _actor(st.TRANSITIONS["request_extension"])
    with pytest.raises(GuardFailed, match="§34"):
        st.check("request_extension", state=st.State.HANDLING, actor=a,
                 facts=st.Facts(extension_used=True), data={"days": 10, "reason": "r"})
    with pytest.raises(GuardFailed, match="1至30日"):
        st.check("request_extension", state=st.State.HANDLING, actor=a, facts=st.Facts(),
                 data={"days": 31, "reason": "r"})


def test_report_cannot_go_to_the_accused_unit() -> None:
    """§30 ¶3."""
    a = _actor(st.TRANSITIONS["forward"])
    facts = st.Facts(klass=st.Klass.REPORT, accused_body_id=7)
    with pytest.raises(GuardFailed, match="§30"):
        st.check("forward", state=st.State.REGISTERED, actor=a, facts=facts, data={"to_body": 7})
    assert st.check("forward", state=st.State.REGISTERED, actor=a, facts=facts,
                    data={"to_body": 8}).target == st.State.DISPATCHED


def test_litigation_letters_only_go_to_political_legal() -> None:
    """§22 ¶2, §28 ¶2: 诉访分离."""
    a = _actor(st.TRANSITIONS["forward"])
    facts = st.Facts(legal_litigation=True)
    with pytest.raises(GuardFailed, match="政法"):
        st.check("forward", state=st.State.REGISTERED, actor=a, facts=facts, data={"to_body": 1})
    assert st.check("refer_political_legal", state=st.State.REGISTERED, actor=a, facts=facts,
                    data={"to_body": 1}).target == st.State.CLOSED


def test_windows_bar_late_review_requests_unless_a_valid_reason_is_given() -> None:
    """§35 / §36 ¶1: 30 日 from receipt of the written answer."""
    a = st.Actor(frozenset({st.Role.CITIZEN}), frozenset({st.Scope.PETITIONER}))
    late = st.Facts(review_window_open=False, recheck_window_open=False)
    with pytest.raises(GuardFailed, match="§35"):
        st.check("request_review", state=st.State.REPLIED, actor=a, facts=late,
                 data={"reason": "r"})
    with pytest.raises(GuardFailed, match="§36"):
        st.check("request_recheck", state=st.State.REVIEWED, actor=a, facts=late,
                 data={"reason": "r"})
    assert st.check("request_review", state=st.State.REPLIED, actor=a, facts=late,
                    data={"reason": "r", "late_reason": "住院治疗"})


def test_objection_after_five_working_days_is_refused() -> None:
    a = _actor(st.TRANSITIONS["object"])
    with pytest.raises(GuardFailed, match="5个工作日"):
        st.check("object", state=st.State.SIGNED, actor=a,
                 facts=st.Facts(objection_window_open=False), data={"reason": "r"})


def test_suggestions_are_answered_with_adoption_outcomes() -> None:
    """§29 vs §32: 采纳/部分采纳/不采纳 for suggestions, 支持/解释说明/不予支持 for appeals."""
    t = st.TRANSITIONS["reply"]
    data = {**_full_data(t), "outcome": "supported"}
    with pytest.raises(GuardFailed, match="§29"):
        st.check("reply", state=st.State.HANDLING, actor=_actor(t),
                 facts=st.Facts(klass=st.Klass.SUGGESTION), data=data)


def test_final_matters_accept_no_further_action_but_archiving() -> None:
    """§36 ¶3: after 复核 the same facts and reasons are no longer accepted."""
    assert [t.name for t in ALL if st.State.FINAL in t.sources] == ["archive"]


def test_every_state_is_reachable_and_every_open_state_has_a_way_out() -> None:
    targets = {t.target for t in ALL} | {st.State.REGISTERED}
    assert targets == set(st.State)
    for s in st.OPEN_STATES:
        assert any(s in t.sources for t in ALL), s


def test_domain_never_imports_django() -> None:
    root = pathlib.Path(__file__).resolve().parents[2] / "xinfang"
    for pkg in ("domain", "nlp"):
        for path in (root / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for n in names:
                    assert not n.startswith(("django", "rest_framework", "xinfang.petitions",
                                             "xinfang.org")), f"{path} imports {n}"
