"""Charts that carry their figures: a bar, stacked-bar or ring chart drawn on the server as
HTML and small SVG shapes, with the table of the same figures beside it (WCAG 1.1.1, 1.4.11).

A ``Chart`` is the data (categories × series); the properties give what the template
``charts/figure.html`` draws: rows of bars whose labels are HTML text (they wrap at 375 px
instead of shrinking or overlapping an axis), ring segments as SVG paths, a legend, and the
one-sentence summary that is the chart's accessible name. No JavaScript and no inline style
(the CSP allows none): widths are SVG attributes in a 0–100 viewBox, colours CSS classes.
Works in a PDF too (WeasyPrint draws the same HTML and SVG).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.utils.translation import gettext

Kind = Literal["bar", "stacked", "ring"]
PALETTE_SIZE = 8  # .chart .s0 … .s7 in app.css


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]


@dataclass(frozen=True)
class Segment:
    series: int
    value: float
    x: float  # offset in the row, 0–100
    width: float  # 0–100


@dataclass(frozen=True)
class Row:
    label: str
    total: float
    segments: list[Segment]
    values: list[float]  # one per series (the table's cells)


@dataclass(frozen=True)
class Arc:
    series: int
    label: str
    value: float
    percent: float
    path: str  # SVG path of the ring segment in a 0–100 viewBox


def _number(v: float) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@dataclass(frozen=True)
class Chart:
    """``categories`` label the rows (months, units, categories); each series gives one value
    per category. ``bar``: one series, one bar per row; ``stacked``: the series stacked in
    each row, with a legend; ``ring``: one series, a share of the whole per category."""

    id: str
    title: str
    kind: Kind
    categories: Sequence[str]
    series: Sequence[Series]
    unit: str = field(default_factory=lambda: gettext("件"))
    category_header: str = ""  # the table's first column heading
    empty_text: str = ""

    @property
    def totals(self) -> list[float]:
        return [sum(s.values[i] for s in self.series) for i in range(len(self.categories))]

    @property
    def total(self) -> float:
        return sum(self.totals)

    @property
    def empty(self) -> bool:
        return not self.categories or self.total == 0

    @property
    def rows(self) -> list[Row]:
        totals = self.totals
        top = max(totals, default=0) or 1
        out = []
        for i, label in enumerate(self.categories):
            x = 0.0
            segments = []
            for k, s in enumerate(self.series):
                w = 100.0 * s.values[i] / top
                if w > 0:
                    segments.append(Segment(k % PALETTE_SIZE, s.values[i], round(x, 3),
                                            round(w, 3)))
                x += w
            out.append(Row(label, totals[i], segments, [s.values[i] for s in self.series]))
        return out

    @property
    def arcs(self) -> list[Arc]:
        """Ring segments, clockwise from twelve o'clock (outer radius 48, inner 28)."""
        values = self.totals
        whole = sum(values) or 1
        out, start = [], 0.0
        for i, (label, v) in enumerate(zip(self.categories, values, strict=True)):
            if v <= 0:
                continue
            sweep = 2 * math.pi * v / whole
            out.append(Arc(i % PALETTE_SIZE, label, v, round(100 * v / whole, 1),
                           _ring_path(start, sweep)))
            start += sweep
        return out

    @property
    def legend(self) -> list[tuple[int, str]]:
        if self.kind == "ring":
            return [(a.series, a.label) for a in self.arcs]
        if len(self.series) > 1:
            return [(k % PALETTE_SIZE, s.label) for k, s in enumerate(self.series)]
        return []

    @property
    def summary(self) -> str:
        """One sentence with the figures a reader would take from the picture."""
        if self.empty:
            return self.empty_text or gettext("没有数据。")
        totals = self.totals
        i = max(range(len(totals)), key=lambda j: totals[j])
        if self.kind == "ring":
            share = round(100 * totals[i] / self.total, 1)
            return gettext("共 %(total)s %(unit)s；最多的是“%(label)s”，%(value)s %(unit)s"
                           "（%(share)s%%）。") % {
                "total": _number(self.total), "unit": self.unit, "label": self.categories[i],
                "value": _number(totals[i]), "share": share}
        return gettext("共 %(total)s %(unit)s，%(n)s 项；最多的是“%(label)s”，%(value)s %(unit)s。") % {
            "total": _number(self.total), "unit": self.unit, "n": len(self.categories),
            "label": self.categories[i], "value": _number(totals[i])}


def _point(angle: float, r: float) -> str:
    x = 50 + r * math.sin(angle)
    y = 50 - r * math.cos(angle)
    return f"{x:.3f} {y:.3f}"


def _ring_path(start: float, sweep: float, outer: float = 48, inner: float = 28) -> str:
    if sweep >= 2 * math.pi - 1e-9:  # a whole ring: two half arcs each way
        return (f"M {_point(0, outer)} A {outer} {outer} 0 1 1 {_point(math.pi, outer)} "
                f"A {outer} {outer} 0 1 1 {_point(0, outer)} Z "
                f"M {_point(0, inner)} A {inner} {inner} 0 1 0 {_point(math.pi, inner)} "
                f"A {inner} {inner} 0 1 0 {_point(0, inner)} Z")
    end = start + sweep
    large = 1 if sweep > math.pi else 0
    return (f"M {_point(start, outer)} A {outer} {outer} 0 {large} 1 {_point(end, outer)} "
            f"L {_point(end, inner)} A {inner} {inner} 0 {large} 0 {_point(start, inner)} Z")
