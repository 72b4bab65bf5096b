"""tests/scenario.py reaches every state it names, through the services alone."""

from __future__ import annotations

import pytest

from tests.scenario import STATES, advance, matter
from xinfang.petitions.models import Event

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


@pytest.mark.parametrize("state", STATES)
def test_scenario_builds_a_matter_in_each_state(county, frozen, state):
    m = matter(county, state)
    m.refresh_from_db()
    assert m.state == state
    assert Event.objects.filter(matter=m).first().action == "register"


def test_advance_walks_an_existing_matter_on_and_refuses_to_go_back(county, frozen):
    m = matter(county, "signed")
    m = advance(county, m, "replied", reply={"opinion": "已修复"})
    assert list(Event.objects.filter(matter=m).values_list("action", flat=True)) == [
        "register", "forward", "sign", "accept", "reply"]
    with pytest.raises(ValueError, match="does not lead to"):
        advance(county, m, "objected")
