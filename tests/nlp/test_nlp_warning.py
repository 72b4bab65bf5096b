from __future__ import annotations

import math
import random

import pytest

from xinfang.nlp.warning import ewma_alerts, poisson_alerts, poisson_sf, rising


def _poisson(rng: random.Random, mu: float) -> int:
    # Knuth's method; fine for small mu
    limit, k, p = math.exp(-mu), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def test_poisson_tail_matches_known_values() -> None:
    assert poisson_sf(5, 2.0) == pytest.approx(0.052653, abs=1e-6)
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(1, 1.0) == pytest.approx(1 - math.exp(-1))
    assert poisson_sf(30, 2.0) < 1e-20
    assert poisson_sf(3, 0.0) == 0.0


def test_flat_series_raises_no_alarm() -> None:
    rng = random.Random(7)
    series = [_poisson(rng, 4.0) for _ in range(120)]
    assert len(poisson_alerts(series, alpha=0.001)) <= 1
    assert len(ewma_alerts(series)) <= 2


def test_spike_is_flagged_at_its_day() -> None:
    series = [3, 4, 2, 3, 5, 3, 4, 3, 3, 4, 14, 4, 3]
    alerts = poisson_alerts(series)
    assert [a.index for a in alerts] == [10]
    assert alerts[0].baseline == pytest.approx(3.375)
    assert alerts[0].p_value is not None and alerts[0].p_value < 0.001


def test_small_numbers_do_not_alarm() -> None:
    # 0 → 2 is a big ratio but too few matters to act on
    assert poisson_alerts([0, 0, 0, 0, 0, 0, 0, 0, 2]) == []


def test_gradual_rise_is_caught_by_ewma_not_by_single_day_test() -> None:
    series = [4, 5, 4, 3, 5, 4, 4, 5, 4, 3, 5, 4, 5, 6, 6, 7, 7, 8, 8, 9]
    ewma = ewma_alerts(series)
    assert ewma and ewma[0].index >= 8
    assert ewma[0].statistic is not None and ewma[0].limit is not None
    assert ewma[0].statistic > ewma[0].limit
    assert poisson_alerts(series, window=8, alpha=0.001) == []
    assert {a.method for a in rising(series)} >= {"ewma"}


def test_short_series_is_quietly_empty() -> None:
    assert ewma_alerts([1, 2, 3]) == []
    assert poisson_alerts([1, 2, 3]) == []
