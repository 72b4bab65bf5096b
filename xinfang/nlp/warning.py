"""Early-warning statistics for count series (matters per day/week about one place,
category or topic). Plain functions, plain Python: never import Django here.

Two tests, both one-sided (only rises matter):

* **Poisson upper tail against a trailing mean.** With baseline μ = mean of the previous
  ``window`` counts (floored at ``min_baseline``), count x is flagged when
  P(X ≥ x | X ~ Poisson(μ)) < ``alpha`` and x ≥ ``min_count``. Catches sudden spikes.
* **EWMA control chart** of Poisson-standardised residuals r_t = (x_t − μ_t)/√μ_t, μ_t the
  mean of up to ``window`` (28) previous counts: z_t = λ·r_t + (1−λ)·z_{t−1}, flagged when
  z_t > L·√(λ/(2−λ)) (asymptotic limit; λ = 0.3, L = 3). Catches sustained, gradual rises
  that no single count makes significant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Alert:
    index: int  # position in the series
    count: float
    baseline: float
    method: str  # "poisson" | "ewma"
    p_value: float | None = None  # poisson
    statistic: float | None = None  # ewma: z_t
    limit: float | None = None  # ewma: upper control limit


def poisson_sf(k: int, mu: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mu), computed in log space (no scipy needed)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0

    def logpmf(i: int) -> float:
        return -mu + i * math.log(mu) - math.lgamma(i + 1)

    if k <= mu:  # the lower part is the smaller sum
        return max(0.0, 1.0 - sum(math.exp(logpmf(i)) for i in range(k)))
    total = 0.0
    i = k
    while True:
        term = math.exp(logpmf(i))
        total += term
        if term < 1e-17 * total or i > k + 10_000:
            return min(1.0, total)
        i += 1


def poisson_alerts(counts: Sequence[float], window: int = 8, alpha: float = 0.01,
                   min_count: int = 3, min_baseline: float = 0.5) -> list[Alert]:
    """Counts significantly above the trailing mean of the previous ``window`` counts."""
    out: list[Alert] = []
    for t in range(window, len(counts)):
        base = max(sum(counts[t - window : t]) / window, min_baseline)
        x = counts[t]
        if x < min_count or x <= base:
            continue
        p = poisson_sf(round(x), base)
        if p < alpha:
            out.append(Alert(t, x, round(base, 4), "poisson", p_value=p))
    return out


def ewma_alerts(counts: Sequence[float], lam: float = 0.3, L: float = 3.0,
                window: int = 28, min_history: int = 8, min_baseline: float = 0.5) -> list[Alert]:
    """EWMA chart of Poisson-standardised residuals against a trailing mean.

    r_t = (x_t − μ_t)/√μ_t with μ_t the mean of up to ``window`` previous counts (at least
    ``min_history``); z_t = λ·r_t + (1−λ)·z_{t−1}; flagged when z_t > L·√(λ/(2−λ)).
    """
    if not 0 < lam <= 1:
        raise ValueError("lam must be in (0, 1]")
    limit = L * math.sqrt(lam / (2 - lam))
    z = 0.0
    out: list[Alert] = []
    for t in range(min_history, len(counts)):
        past = counts[max(0, t - window) : t]
        mu = max(sum(past) / len(past), min_baseline)
        z = lam * (counts[t] - mu) / math.sqrt(mu) + (1 - lam) * z
        # A week with nothing is no alert, however high the chart still is after a spike.
        if z > limit and counts[t] > 0:
            out.append(Alert(t, counts[t], round(mu, 4), "ewma", statistic=round(z, 4),
                             limit=round(limit, 4)))
    return out


def rising(counts: Sequence[float], **kw: float) -> list[Alert]:
    """Both tests; an index flagged by both appears twice (once per method), in order."""
    p_kw = {k: kw[k] for k in ("window", "alpha", "min_count", "min_baseline") if k in kw}
    e_kw = {k: kw[k] for k in ("lam", "L", "min_history") if k in kw}
    alerts = poisson_alerts(counts, **p_kw) + ewma_alerts(counts, **e_kw)  # type: ignore[arg-type]
    return sorted(alerts, key=lambda a: (a.index, a.method))


_DATE = re.compile(r"(\d{4})\D(\d{1,2})\D(\d{1,2})")


def parse_date(value: str | None) -> date | None:
    """The date of "2019/2/28 11:25:05", "2019-02-28", "2019年2月28日" …; None when there is none."""
    m = _DATE.search(value or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
