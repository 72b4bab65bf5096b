"""Fair unit rankings (issue 17 item 4): a weighted score from the indicators, a minimum volume
below which a unit is listed but not ranked, and the rank change since the last period.

Weights and the minimum are settings (``XINFANG_ASSESSMENT``); the default is the published
达川区 scheme (assessment.md, ``domain.indicators.DEFAULT_WEIGHTS``). The previous period's
ranks come from its issued report when there is one (what was sent upward), otherwise they are
computed the same way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from xinfang.domain import indicators as ind
from xinfang.org.models import Body

from . import indicator_scope as S
from . import indicators as I

# The figures a unit's volume counts: the rows its on-time rates rest on.
VOLUME_CODES = ("timely_acceptance", "on_time_reply")


def assessment_settings() -> tuple[dict[str, float], int]:
    cfg: dict[str, Any] = getattr(settings, "XINFANG_ASSESSMENT", {}) or {}
    weights = dict(cfg.get("weights") or ind.DEFAULT_WEIGHTS)
    unknown = set(weights) - set(I.REGISTRY)
    if unknown:
        raise ValueError(f"XINFANG_ASSESSMENT weights name unknown indicators: {sorted(unknown)}")
    return weights, int(cfg.get("min_volume", ind.DEFAULT_MIN_VOLUME))


def unit_figures(scope: I.Scope, period: I.Period, weights: dict[str, float]
                 ) -> list[ind.UnitFigures]:
    codes = sorted(set(weights) | set(VOLUME_CODES))
    per_code = {c: I.by_unit(c, scope, period) for c in codes}
    keys = {k for figs in per_code.values() for k in figs if k is not None}
    names = dict(Body.objects.filter(pk__in=keys).values_list("pk", "name"))
    out = []
    for k in sorted(keys):
        rates = {c: (per_code[c][k].numerator, per_code[c][k].denominator)
                 for c in codes if k in per_code[c]}
        volume = sum(rates.get(c, (0, 0))[1] for c in VOLUME_CODES)
        out.append(ind.UnitFigures(k, names.get(k, str(k)), rates, volume))
    return out


def unit_ranking(scope: I.Scope, period: I.Period,
                 previous: dict[int, int] | None = None) -> list[ind.ScoreRow]:
    """Units by weighted score; ``previous`` (unit id → rank) defaults to the period before."""
    weights, min_volume = assessment_settings()
    if previous is None:
        prev_rows = ind.rank_units(unit_figures(scope, period.previous(), weights), weights,
                                   min_volume)
        previous = {r.unit.key: r.rank for r in prev_rows if r.rank is not None}
    return ind.rank_units(unit_figures(scope, period, weights), weights, min_volume, previous)


def ranking_rows(rows: list[ind.ScoreRow]) -> list[dict[str, Any]]:
    """Plain data for a page, a table, a stored report and Excel alike."""
    return [{"unit_id": r.unit.key, "unit": r.unit.name, "rank": r.rank,
             "previous_rank": r.previous_rank, "change": r.change, "score": r.score,
             "volume": r.unit.volume,
             "rates": {c: {"numerator": n, "denominator": d, "text": S.rate_text(n, d)}
                       for c, (n, d) in r.unit.rates.items()}}
            for r in rows]
