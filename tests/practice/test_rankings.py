"""Fair unit rankings (issue 17 item 4): weighted score, minimum volume, rank change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from tests.conftest import sh
from tests.scenario import register
from xinfang.domain import indicators as ind
from xinfang.petitions import clocks, tally
from xinfang.petitions.models import Clock
from xinfang.practice import indicators as I
from xinfang.practice import rankings

pytestmark = pytest.mark.django_db


def _clocks(m, body, n_due: int, n_met: int, month: int) -> None:
    for i in range(n_due):
        due = date(2026, month, 1 + i % 25)
        Clock.objects.create(matter=m, code="D6", name="办理", body=body,
                             started_on=due - timedelta(days=60), due_on=due,
                             unextended_on=due, met_on=due if i < n_met else None)


def test_a_small_unit_is_listed_but_not_ranked_above_the_bureau(county, settings):
    with time_machine.travel(sh(2026, 1, 5), tick=False):
        m = register(county, sh(2026, 1, 5))
    big, small, mid = county.xinfang, county.dept("住建"), county.dept("人社")
    _clocks(m, big, 62, 61, 2)
    _clocks(m, small, 2, 2, 2)
    _clocks(m, mid, 20, 15, 2)
    # January: the middle unit ranked first, the bureau second.
    _clocks(m, mid, 12, 12, 1)
    _clocks(m, big, 12, 6, 1)
    tally.refresh(m.pk)  # the clocks were written directly: the counters are told
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        clocks.invalidate()
        scope = I.Scope.for_division(county.county)
        rows = rankings.unit_ranking(scope, I.Period.month(2026, 2))
    by = {r.unit.key: r for r in rows}
    assert by[big.pk].rank == 1 and by[mid.pk].rank == 2
    assert by[small.pk].rank is None and by[small.pk].score == 100.0  # listed, not ranked
    assert [r.unit.key for r in rows][-1] == small.pk
    assert by[big.pk].change == 1 and by[mid.pk].change == -1  # since January
    # Weights are a setting: with only the on-time reply rate the order is the same.
    settings.XINFANG_ASSESSMENT = {"weights": {"on_time_reply": 1}, "min_volume": 1}
    with time_machine.travel(sh(2026, 3, 10), tick=False):
        rows = rankings.unit_ranking(scope, I.Period.month(2026, 2))
    assert rows[0].unit.key == small.pk  # min volume 1: 2 of 2 ranks first


def test_score_is_scaled_over_the_weighted_figures_present():
    s, parts = ind.score({"on_time_reply": (9, 10), "timely_acceptance": (0, 0)},
                         ind.DEFAULT_WEIGHTS)
    assert s == 90.0 and parts == {"on_time_reply": 9.0}
    rows = ind.rank_units([ind.UnitFigures(1, "甲", {"on_time_reply": (5, 10)}, 10),
                           ind.UnitFigures(2, "乙", {"on_time_reply": (5, 10)}, 12)])
    assert [r.rank for r in rows] == [1, 1]  # ties share a rank
