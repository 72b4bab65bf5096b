"""What an indicator is counted over (issue 17): the scope (the matters a user may see, or a
division's) and the period, and the figure a definition yields — the shared ground of
``practice.indicators`` (the definitions), ``practice.drilldown`` and the pages."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import reduce
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from xinfang.domain import indicators as ind
from xinfang.domain import tally as dt
from xinfang.domain.states import Role
from xinfang.org.models import Body, Division, User
from xinfang.petitions import access, clocks

from .models_assessment import Exemption

# ============================================================================ scope, period


def subtree(path: str, field_name: str = "division_path") -> Q:
    return Q(**{field_name: path}) | Q(**{f"{field_name}__startswith": path + "/"})


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    today: date  # deadlines past due before today count as missed

    @classmethod
    def month(cls, year: int, month: int, today: date | None = None) -> Period:
        start = date(year, month, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return cls(start, end, today or clocks.today())

    @classmethod
    def last_twelve_months(cls, today: date | None = None) -> Period:
        t = today or clocks.today()
        return cls(*ind.last_twelve_months(t), t)

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def previous(self) -> Period:
        """The period of the same length just before (a month before a month)."""
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1:
            prev_end = self.start - timedelta(days=1)
            return Period.month(prev_end.year, prev_end.month, self.today)
        span = self.end - self.start
        return Period(self.start - span - timedelta(days=1), self.start - timedelta(days=1),
                      self.today)

    def datetimes(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (datetime.combine(self.start, time.min, tz),
                datetime.combine(self.end + timedelta(days=1), time.min, tz))


@dataclass
class Scope:
    """What a figure may count: the rows of a jurisdiction (a division and below), plus the
    rows attributed to the user's own body (each figure's unit: the deadline's body, the lead
    body, the holder, the body that has to act now), less the 检举控告 that accuse that body
    (§30 ¶3); optionally narrowed to one unit. The same rule filters the rows (the drill-down)
    and the counters (``row_q``, ``tally_q``), so both count the same things."""

    path: str | None = None  # the jurisdiction's division path
    body_id: int | None = None  # the user's own body
    hidden_from: int | None = None  # §30 ¶3: never the matters that accuse this body
    division: Division | None = None  # practice records (包案/积案) of this division
    unit: Body | None = None
    everything: bool = False
    _codes: list[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def for_user(cls, user: User, unit: Body | None = None) -> Scope:
        """The user's read scope (``access.visible_matters``) as figures see it: their
        jurisdiction for the 信访部门, 党委政府, leaders and 督查; their own body's rows
        for everyone."""
        body = user.body
        div = body.division if body is not None else None
        if user.is_superuser or user.role == Role.ADMIN:
            return cls(division=div, unit=unit, everything=True)
        if body is None:
            return cls(unit=unit)
        jurisdiction = (body.kind in access.JURISDICTION_KINDS
                        or Role(user.role) in access.JURISDICTION_ROLES)
        return cls(path=body.division.path if jurisdiction else None, body_id=body.pk,
                   hidden_from=body.pk, division=div, unit=unit)

    @classmethod
    def for_division(cls, division: Division, unit: Body | None = None) -> Scope:
        return cls(path=division.path, division=division, unit=unit)

    @classmethod
    def all(cls) -> Scope:
        return cls(everything=True)

    def with_unit(self, unit: Body | None) -> Scope:
        return replace(self, unit=unit)

    def row_q(self, unit_field: str, prefix: str = "") -> Q:
        """The scope on rows whose matter is reached by ``prefix`` ("" for a Matter)."""
        q = Q()
        if not self.everything:
            parts = []
            if self.path:
                parts.append(subtree(self.path, f"{prefix}division_path"))
            if self.body_id:
                parts.append(Q(**{unit_field: self.body_id}))
            q = reduce(operator.or_, parts) if parts else Q(pk__in=[])
        if self.hidden_from:
            q &= ~Q(**{f"{prefix}klass": "report", f"{prefix}accused_body_id": self.hidden_from})
        return q

    def tally_q(self) -> Q | None:
        """The scope on the counters; None when they cannot answer it (a jurisdiction below
        the township, where counters are kept: ``domain.tally.DIVISION_DEPTH``)."""
        q = Q()
        if not self.everything:
            parts = []
            if self.path:
                if self.path.count("/") >= dt.DIVISION_DEPTH:
                    return None
                if self._codes is None:
                    self._codes = [c for c, p in Division.objects.filter(
                        subtree(self.path, "path")).values_list("code", "path")
                        if p.count("/") < dt.DIVISION_DEPTH]
                parts.append(Q(division_id__in=self._codes))
            if self.body_id:
                parts.append(Q(body_id=self.body_id))
            q = reduce(operator.or_, parts) if parts else Q(pk__in=[])
        if self.hidden_from:
            q &= ~Q(accused_id=self.hidden_from)
        return q


def exempted() -> QuerySet[Exemption]:
    return Exemption.objects.active().values("matter_id")



def rate_text(n: int, d: int, digits: int = 1) -> str:
    """"95.0%（61/62）" — with full-width brackets in Chinese (the language of an issued
    report), ASCII ones on an English page."""
    zh = (get_language() or "zh-hans").lower().startswith("zh")
    o, c = ("（", "）") if zh else (" (", ")")
    if not d:
        return f"—{o}0/0{c}"
    return f"{100 * n / d:.{digits}f}%{o}{n}/{d}{c}"


@dataclass
class Figure:
    code: str
    label: str
    basis: str
    parts: dict[str, int]
    numerator: int
    denominator: int
    persons: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None

    @property
    def text(self) -> str:
        """The rate with its numerator and denominator beside it (procedure.md §7.2)."""
        return rate_text(self.numerator, self.denominator)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "parts": dict(self.parts),
                "numerator": self.numerator, "denominator": self.denominator,
                "percent": self.percent, "persons": self.persons, "text": self.text}



def parse_period(value: str, today: date | None = None) -> Period:
    """"2026-02" (a month), "2026" (a year) or "" (this month); ValueError with a Chinese
    message otherwise."""
    t = today or clocks.today()
    value = (value or "").strip()
    try:
        if not value:
            return Period.month(t.year, t.month, t)
        if len(value) == 4:
            y = int(value)
            return Period(date(y, 1, 1), date(y, 12, 31), t)
        y, m = (int(x) for x in value.split("-"))
        if not 2000 <= y <= 2100:
            raise ValueError
        return Period.month(y, m, t)
    except ValueError:
        raise ValueError("期间格式应为“2026-02”（月）或“2026”（年）") from None
