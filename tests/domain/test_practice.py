"""Practice rules (procedure.md §8): reception schedule and compliance, 包案, 积案, screening.

2026 calendar facts (chinese-calendar): 国庆/中秋 10-01..10-07 off, Saturday 10-10 is a 调休
workday; 2026-10-05 is a Monday inside the holiday; 2026-11-15 is a Sunday.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from xinfang.domain import practice as pr
from xinfang.domain.deadlines import HolidayCalendar

CAL = HolidayCalendar()
SEC, DEP, HEAD = (pr.LeaderRef(1, "林书记", pr.Tier.COUNTY, principal=True),
                  pr.LeaderRef(2, "陈县长", pr.Tier.COUNTY),
                  pr.LeaderRef(3, "周副县长", pr.Tier.COUNTY))
COUNTY_LEADERS = [SEC, DEP, HEAD]


def test_daily_rota_follows_the_holiday_calendar() -> None:
    """One county leader on duty every working day (S15): 国庆 skipped, 调休 Saturday kept."""
    start, end = date(2026, 9, 28), date(2026, 10, 16)
    slots = pr.propose_schedule(COUNTY_LEADERS, start, end, CAL)
    rota = [s for s in slots if s.source == pr.SlotSource.ROTA]
    rota_days = [s.day for s in rota]
    assert sorted(rota_days) == pr.workdays(CAL, start, end)
    assert len(rota_days) == len(set(rota_days))  # exactly one leader per day
    assert date(2026, 10, 10) in rota_days
    assert not any(date(2026, 10, 1) <= d <= date(2026, 10, 7) for d in rota_days)
    assert date(2026, 10, 11) not in rota_days  # an ordinary Sunday
    per_leader = Counter(s.leader_id for s in rota)
    assert max(per_leader.values()) - min(per_leader.values()) <= 1  # shared fairly


def test_principal_leader_receives_on_monday_morning_or_the_next_workday_of_that_week() -> None:
    slots = pr.propose_schedule(COUNTY_LEADERS, date(2026, 9, 28), date(2026, 10, 16), CAL)
    mornings = [s.day for s in slots if s.source == pr.SlotSource.PRINCIPAL]
    # 10-05 is inside 国庆, so that week's reception moves to Thursday 10-08.
    assert mornings == [date(2026, 9, 28), date(2026, 10, 8), date(2026, 10, 12)]
    assert all(s.leader_id == SEC.id and s.session == pr.Session.AM
               for s in slots if s.source == pr.SlotSource.PRINCIPAL)


def test_every_leader_meets_the_tier_quota_and_the_fixed_monthly_day_is_used() -> None:
    township = pr.LeaderRef(10, "郑镇长", pr.Tier.TOWNSHIP)
    province = pr.LeaderRef(11, "省领导", pr.Tier.PROVINCE)
    cfg = pr.ReceptionConfig(daily_rota=False, principal_weekday=None, fixed_monthly_day=15)
    start, end = date(2026, 10, 1), date(2026, 11, 30)
    slots = pr.propose_schedule([township, province, DEP], start, end, CAL, cfg)
    by = {lid: sorted(s.day for s in slots if s.leader_id == lid) for lid in (10, 11, 2)}
    # Township: one working day in each week; the 国庆 week (10-05..10-11) gets 10-08..10-10.
    for ws, we in pr.windows(pr.Period.WEEK, start, end):
        if pr.workdays(CAL, max(ws, start), min(we, end)):
            assert sum(ws <= d <= we for d in by[10]) == 1
    assert all(CAL.is_workday(d) for d in by[10])
    # County: the 15th each month; 2026-11-15 is a Sunday → Monday 11-16.
    assert by[2] == [date(2026, 10, 15), date(2026, 11, 16)]
    assert {s.source for s in slots if s.leader_id == 2} == {pr.SlotSource.FIXED_DAY}
    assert len(by[11]) == 1  # province: one day in the half-year
    assert pr.propose_schedule([township, province, DEP], start, end, CAL, cfg,
                               existing=slots) == []  # nothing twice


def test_existing_days_count_towards_the_quota() -> None:
    cfg = pr.ReceptionConfig(daily_rota=False, principal_weekday=None)
    existing = [pr.Slot(DEP.id, date(2026, 10, 20))]
    slots = pr.propose_schedule([DEP], date(2026, 10, 1), date(2026, 10, 31), CAL, cfg, existing)
    assert slots == []


def test_compliance_flags_the_leader_behind_the_quota() -> None:
    leaders = [DEP, HEAD, pr.LeaderRef(4, "吴副县长", pr.Tier.COUNTY),
               pr.LeaderRef(5, "许副县长", pr.Tier.COUNTY)]
    held = {DEP.id: [date(2026, 9, 10), date(2026, 10, 9)], HEAD.id: [date(2026, 10, 9)],
            4: [date(2026, 9, 3)]}
    planned = {4: [date(2026, 10, 20)]}
    rows = pr.compliance(leaders, held, planned, date(2026, 9, 1), date(2026, 10, 31),
                         today=date(2026, 10, 12))
    status = {(r.leader_id, r.window_start.month): r.status for r in rows}
    assert status[(DEP.id, 9)] == status[(DEP.id, 10)] == pr.ComplianceStatus.MET
    assert status[(HEAD.id, 9)] == pr.ComplianceStatus.BEHIND  # September passed with no day
    assert status[(4, 10)] == pr.ComplianceStatus.SCHEDULED
    assert status[(5, 10)] == pr.ComplianceStatus.UNSCHEDULED
    flagged = {r.leader_id for r in rows if r.flagged}
    assert flagged == {HEAD.id, 5}
    row = next(r for r in rows if r.leader_id == HEAD.id and r.window_start.month == 9)
    assert (row.required, row.held, row.status_label) == (1, 0, "未达标")


def test_rota_gaps_are_working_days_without_a_leader() -> None:
    covered = [date(2026, 10, 8), date(2026, 10, 9)]
    assert pr.rota_gaps(CAL, date(2026, 10, 1), date(2026, 10, 12), covered) == [
        date(2026, 10, 10), date(2026, 10, 12)]


def test_rules_carry_source_and_certainty() -> None:
    rules = pr.DEFAULT_FREQUENCY
    assert rules[pr.Tier.PROVINCE].period == pr.Period.HALF_YEAR
    assert rules[pr.Tier.CITY].period == rules[pr.Tier.DEPARTMENT].period == pr.Period.QUARTER
    assert rules[pr.Tier.COUNTY].period == pr.Period.MONTH
    assert rules[pr.Tier.TOWNSHIP].period == pr.Period.WEEK
    assert rules[pr.Tier.TOWNSHIP].certainty == pr.Certainty.UNCERTAIN  # S14 not verified
    assert rules[pr.Tier.COUNTY].label == "县级领导每月至少接访1天"
    with pytest.raises(ValueError):
        pr.ReceptionConfig(fixed_monthly_day=31)


@pytest.mark.parametrize(("period", "d", "window"), [
    (pr.Period.HALF_MONTH, date(2026, 2, 20), (date(2026, 2, 16), date(2026, 2, 28))),
    (pr.Period.QUARTER, date(2026, 8, 1), (date(2026, 7, 1), date(2026, 9, 30))),
    (pr.Period.HALF_YEAR, date(2026, 6, 30), (date(2026, 1, 1), date(2026, 6, 30))),
    (pr.Period.WEEK, date(2026, 10, 11), (date(2026, 10, 5), date(2026, 10, 11))),
])
def test_period_windows(period, d, window) -> None:
    assert pr.period_window(period, d) == window


def test_village_screening_every_half_month_is_flagged_when_missed() -> None:
    since = date(2026, 1, 1)
    ok = pr.screening_status(pr.Period.HALF_MONTH, [date(2026, 1, 5), date(2026, 1, 20)],
                             date(2026, 2, 10), since)
    assert ok.next_due == date(2026, 2, 15) and not ok.overdue and not ok.done_this_period
    late = pr.screening_status(pr.Period.HALF_MONTH, [date(2026, 1, 5)], date(2026, 2, 1), since)
    assert late.next_due == date(2026, 1, 31) and late.overdue
    assert late.missed == ((date(2026, 1, 16), date(2026, 1, 31)),)
    never = pr.screening_status(pr.Period.MONTH, [], date(2026, 2, 1), since)
    assert never.overdue and never.next_due == date(2026, 1, 31)
    assert pr.DEFAULT_SCREENING[pr.DivisionLevel.VILLAGE].period == pr.Period.HALF_MONTH
    assert pr.DEFAULT_SCREENING[pr.DivisionLevel.TOWNSHIP].period == pr.Period.MONTH


def test_backlog_criteria() -> None:
    today = date(2026, 6, 1)
    old = today - timedelta(days=91)
    assert pr.backlog_reason(received_on=old, is_open=True, is_final=False,
                             repeats_after_final=0, today=today) == pr.BacklogReason.AGE
    assert pr.backlog_reason(received_on=today - timedelta(days=90), is_open=True,
                             is_final=False, repeats_after_final=0, today=today) is None
    assert pr.backlog_reason(received_on=old, is_open=False, is_final=True,
                             repeats_after_final=1, today=today) == pr.BacklogReason.REPEAT_AFTER_FINAL
    assert pr.backlog_reason(received_on=old, is_open=True, is_final=False, repeats_after_final=0,
                             today=today, policy=pr.BacklogPolicy(open_age_days=180)) is None


def test_case_milestones_and_closure_criteria() -> None:
    assert pr.four_fixes_missing({"task": "化解", "leader": 1, "handler": None, "due_on": ""}) == {
        "handler": "请定具体承办人", "due_on": "请定办结时限"}
    assert "佐证" in (pr.milestone_problem("investigate", [], " ") or "")
    assert "先完成" in (pr.milestone_problem("settle", ["investigate"], "签字承诺") or "")
    assert pr.milestone_problem("settle", ["investigate", "handle"], "签字承诺") is None
    assert "终结" in (pr.closure_problem("terminated", matter_state="replied", statement="x") or "")
    assert pr.closure_problem("terminated", matter_state="final", statement="复核意见书") is None
    assert pr.closure_problem("settled", matter_state="closed", statement="") is not None


def test_ranking_shares_ties_and_shows_numerator_and_denominator() -> None:
    rows = pr.rank([
        pr.OwnerStats(1, "住建", cleared=2, due_total=4, due_met=3),
        pr.OwnerStats(2, "人社", cleared=2, due_total=4, due_met=3),
        pr.OwnerStats(3, "教育", cleared=3, due_total=0, due_met=0),
        pr.OwnerStats(4, "卫健", cleared=2, due_total=2, due_met=2),
    ])
    assert [(r.rank, r.stats.name) for r in rows] == [(1, "教育"), (2, "卫健"), (3, "人社"), (3, "住建")]
    assert rows[2].met_text == "75%（3/4）" and rows[0].met_text == "—（0/0）"


def test_risk_assessment_decisions() -> None:
    assert pr.assessment_problem("high", "implement", "征地补偿争议", "分批补偿") is not None
    assert pr.assessment_problem("high", "postpone", "征地补偿争议", "分批补偿") is None
    assert "措施" in (pr.assessment_problem("medium", "implement", "噪声", "") or "")
    assert pr.assessment_problem("low", "implement", "影响小", "") is None
