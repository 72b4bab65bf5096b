"""Queue tabs show how many matters wait in each; the columns sort by deadline, date, number."""

from __future__ import annotations

import re

import pytest

from tests.conftest import sh
from tests.petitions.helpers import register
from xinfang.petitions import queries, services

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]


def _tab_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-tab="(\w+)">[^<]*<span class="count">([^<]+)</span>', html))


def test_tabs_show_counts_for_the_users_desk(login, county, frozen):
    a = register(county, sh(2026, 3, 2), title="甲事项")
    register(county, sh(2026, 3, 2), title="乙事项")
    services.transition(a, "forward", user=county.users["officer"],
                        data={"to_body": county.dept("住建").pk})
    counts = _tab_counts(login(county.users["officer"]).get("/").content.decode())
    # The 信访部门 follows what it registered and dispatched: both are in "all".
    assert counts["all"] == "2" and counts["todo"] == "1" and counts["sign"] == "1"
    assert counts["overdue"] == "0"
    handler = _tab_counts(login(county.users["handler"]).get("/").content.decode())
    assert handler["all"] == "1" and handler["sign"] == "1" and handler["todo"] == "0"
    other = _tab_counts(login(county.users["other_handler"]).get("/").content.decode())
    assert other["all"] == "0"


def test_counts_stop_at_the_cap_and_show_a_plus(login, county, frozen, monkeypatch):
    for _ in range(4):
        register(county, sh(2026, 3, 2), phone="")
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    counts = _tab_counts(login(county.users["officer"]).get("/").content.decode())
    assert counts["all"] == "2+" and counts["sign"] == "0"


def _numbers(html: str) -> list[str]:
    return re.findall(r'<td class="mono">([^<]+)</td>', html)


def test_queue_sorts_by_received_date_and_by_number(login, county, frozen):
    old = register(county, sh(2026, 2, 10), title="早收到")
    new = register(county, sh(2026, 3, 1), title="晚收到")
    mid = register(county, sh(2026, 2, 20), title="中间收到")
    c = login(county.users["officer"])
    received = c.get("/?tab=todo&sort=received").content.decode()
    assert _numbers(received) == [new.number, mid.number, old.number]
    assert 'aria-sort="descending"' in received
    by_number = c.get("/?tab=todo&sort=number").content.decode()
    assert _numbers(by_number) == sorted([old.number, new.number, mid.number])
    # The default is the nearest deadline first: the one received earliest is due first.
    default = c.get("/?tab=todo").content.decode()
    assert _numbers(default)[0] == old.number
    # Switching tabs keeps the chosen order; an unknown sort falls back to the deadline.
    assert 'href="?tab=all&amp;sort=number"' in by_number
    assert c.get("/?sort=bogus").status_code == 200


def test_sorted_queue_still_hides_other_units_matters(login, county, frozen):
    register(county, sh(2026, 3, 2), title="只给信访局")
    page = login(county.users["other_handler"]).get("/?sort=received").content.decode()
    assert "只给信访局" not in page
