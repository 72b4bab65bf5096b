"""Practice configuration: the settings of a place and the reception rules in force (§8.1)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from xinfang.domain import practice as pr
from xinfang.domain.errors import Forbidden, GuardFailed
from xinfang.org.models import Division, User
from xinfang.petitions import permissions

from ..models import (
    PracticeSettings,
    ReceptionRule,
)
from ._common import _audit

# =========================================================================== configuration


def settings_for(division: Division) -> PracticeSettings | None:
    """The nearest PracticeSettings row on the division's path (itself first)."""
    codes = division.path_codes()
    rows = {s.division_id: s for s in PracticeSettings.objects.filter(division_id__in=codes)}
    for code in reversed(codes):
        if code in rows:
            return rows[code]
    return None


def frequency_rules() -> dict[pr.Tier, pr.FrequencyRule]:
    """Domain defaults, overridden by ReceptionRule rows (the admin's configuration)."""
    rules = dict(pr.DEFAULT_FREQUENCY)
    for r in ReceptionRule.objects.all():
        rules[pr.Tier(r.tier)] = pr.FrequencyRule(
            pr.Tier(r.tier), pr.Period(r.period), r.min_days, r.source or "本地配置",
            pr.Certainty(r.certainty), r.note)
    return rules


def reception_config(division: Division) -> pr.ReceptionConfig:
    s = settings_for(division)
    freq = frequency_rules()
    if s is None:
        return pr.ReceptionConfig(frequency=freq)
    return pr.ReceptionConfig(
        frequency=freq, daily_rota=s.daily_rota, principal_weekday=s.principal_weekday,
        principal_session=pr.Session(s.principal_session), fixed_monthly_day=s.fixed_monthly_day)


def rule_sheet(division: Division) -> list[dict[str, str]]:
    """Every reception rule in force with its source and certainty (admin UI, §8.1)."""
    cfg = reception_config(division)
    rows = [{"rule": r.label, "source": r.source, "certainty": pr.CERTAINTY_LABELS[r.certainty],
             "note": r.note} for r in cfg.frequency.values()]
    extra = [(cfg.daily_rota, pr.ROTA_NOTE), (cfg.principal_weekday is not None, pr.PRINCIPAL_NOTE),
             (cfg.fixed_monthly_day is not None, pr.FIXED_DAY_NOTE)]
    for on, note in extra:
        if on:
            rows.append({"rule": note.label, "source": note.source,
                         "certainty": pr.CERTAINTY_LABELS[note.certainty], "note": ""})
    return rows


def backlog_policy(division: Division) -> pr.BacklogPolicy:
    s = settings_for(division)
    return pr.BacklogPolicy(open_age_days=s.backlog_open_days) if s else pr.BacklogPolicy()


@transaction.atomic
def configure(division: Division, *, user: User, **values: Any) -> PracticeSettings:
    """Set a place's practice configuration (administrators and 信访部门 officers)."""
    permissions.require(user, "configure_practice")
    if not permissions.covers(user, division.path):
        raise Forbidden("只能配置本辖区的工作机制")
    allowed = {"daily_rota", "principal_weekday", "principal_session", "fixed_monthly_day",
               "backlog_open_days", "screening_since"}
    unknown = set(values) - allowed
    if unknown:
        raise GuardFailed(f"未知的配置项：{'、'.join(sorted(unknown))}")
    s, _ = PracticeSettings.objects.get_or_create(division=division)
    for k, v in values.items():
        setattr(s, k, v)
    try:
        pr.ReceptionConfig(principal_weekday=s.principal_weekday,
                           fixed_monthly_day=s.fixed_monthly_day)
    except ValueError as e:
        raise GuardFailed("固定接访日应为每月1至28日，星期应为0至6") from e
    s.save()
    _audit("practice_configure", user, s, **{k: str(v) for k, v in values.items()})
    return s
