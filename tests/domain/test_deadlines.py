"""Deadline engine: procedure.md §3, §8.3, §10; 民法典 §201/§203 by analogy.

2026 facts used below (chinese-calendar 1.11.0, State Council schedule):
国庆/中秋 2026: 10-01..10-07 off, Sun 09-20 and Sat 10-10 are 调休 workdays;
春节 2026: 02-15..02-23 off, Sat 02-14 and Sat 02-28 are 调休 workdays.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import chinese_calendar
import pytest

from xinfang.domain.deadlines import (
    DEFAULT_RULES,
    STATE_LABELS,
    ClockState,
    DayUnit,
    Due,
    HolidayCalendar,
    Policy,
    clock_state,
    compute_due,
    days_left,
    met_in_time,
    rules_with_policy,
)

CAL = HolidayCalendar()
# Administrator-entered 2027 schedule (made up for the test): New Year's Day off,
# Saturday 2027-01-09 a 调休 workday.
OVERRIDES_2027 = {date(2027, 1, 1): False, date(2027, 1, 9): True}


def test_d1_art22_fifteen_days_ending_in_national_day_2026_is_extended() -> None:
    """§22: 15 日; last day 2026-10-05 is in the 国庆 holiday -> next workday (民法典 §203 ¶1)."""
    assert chinese_calendar.is_holiday(date(2026, 10, 5))
    assert chinese_calendar.is_holiday(date(2026, 10, 7))
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    due = compute_due(date(2026, 9, 20), DEFAULT_RULES["D1"], CAL)
    assert due == Due(due=date(2026, 10, 8), unextended=date(2026, 10, 5), estimated=False)


def test_d1_art22_last_day_on_workday_is_not_moved() -> None:
    """§22: start day not counted (民法典 §201): received 09-01 -> due 09-16, a Wednesday."""
    due = compute_due(date(2026, 9, 1), DEFAULT_RULES["D1"], CAL)
    assert due.due == due.unextended == date(2026, 9, 16)


def test_d3_art23_last_day_on_plain_weekend_is_extended_but_not_on_tiaoxiu_saturday() -> None:
    """§23 ¶3 with §203 ¶1: a Sunday is moved to Monday; the 调休 Saturday 10-10 is a workday."""
    on_sunday = compute_due(date(2026, 10, 31), DEFAULT_RULES["D3"], CAL)
    assert on_sunday.unextended == date(2026, 11, 15)  # Sunday
    assert on_sunday.due == date(2026, 11, 16)
    on_tiaoxiu = compute_due(date(2026, 9, 25), DEFAULT_RULES["D3"], CAL)
    assert on_tiaoxiu.due == on_tiaoxiu.unextended == date(2026, 10, 10)


def test_extension_can_be_switched_off() -> None:
    """extend_when_last_day_is_holiday=false (procedure §10): the holiday date stays."""
    rule = replace(DEFAULT_RULES["D1"], extend_on_holiday=False)
    due = compute_due(date(2026, 9, 20), rule, CAL)
    assert due.due == due.unextended == date(2026, 10, 5)


def test_d4_art23_para3_five_working_days_count_tiaoxiu_saturday() -> None:
    """§23 ¶3: 5 个工作日; Sat 2026-10-10 is a 调休 workday and counts."""
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    due = compute_due(date(2026, 10, 7), DEFAULT_RULES["D4"], CAL)
    # 10-08, 10-09, 10-10 (Sat), 10-12, 10-13
    assert due.due == date(2026, 10, 13)
    assert due.unextended == due.due
    assert not due.estimated


def test_d4_art23_para3_five_working_days_across_spring_festival_2026() -> None:
    """§23 ¶3: 春节 2026-02-15..23 off; Sat 02-14 is a 调休 workday."""
    due = compute_due(date(2026, 2, 12), DEFAULT_RULES["D4"], CAL)
    # 02-13, 02-14 (Sat), 02-24, 02-25, 02-26
    assert due.due == date(2026, 2, 26)


def test_d6_d7_art34_sixty_days_plus_thirty_day_extension() -> None:
    """§34: 60 日, extendable once by at most 30 日 (extra_days)."""
    start = date(2026, 3, 2)
    plain = compute_due(start, DEFAULT_RULES["D6"], CAL)
    assert plain.due == date(2026, 5, 6)  # 05-01 is 劳动节, 05-06 a Wednesday workday
    extended = compute_due(start, DEFAULT_RULES["D6"], CAL, extra_days=DEFAULT_RULES["D7"].days)
    assert extended.due == date(2026, 6, 1)  # 05-31 Sun -> 06-01 Mon
    assert extended.unextended == date(2026, 5, 31)


def test_d11_art36_hearing_time_not_counted() -> None:
    """§36 ¶2: 复核 30 日, hearing (听证) time excluded -> paused_days push the due date."""
    start = date(2026, 6, 1)
    assert compute_due(start, DEFAULT_RULES["D11"], CAL).due == date(2026, 7, 1)
    paused = compute_due(start, DEFAULT_RULES["D11"], CAL, paused_days=9)
    assert paused.due == date(2026, 7, 10)


def test_negative_pause_rejected() -> None:
    with pytest.raises(ValueError):
        compute_due(date(2026, 6, 1), DEFAULT_RULES["D11"], CAL, paused_days=-1)


def test_2027_without_official_table_is_estimated_with_monday_friday_fallback() -> None:
    """chinese-calendar 1.11.0 has no 2027: Mon–Fri fallback, and the due date says so."""
    assert not CAL.has_official_data(2027)
    assert CAL.is_workday(date(2027, 1, 1))  # a Friday under the fallback
    assert CAL.is_holiday(date(2027, 1, 2))
    d1 = compute_due(date(2026, 12, 17), DEFAULT_RULES["D1"], CAL)
    assert d1 == Due(date(2027, 1, 1), date(2027, 1, 1), estimated=True)
    d4 = compute_due(date(2027, 1, 6), DEFAULT_RULES["D4"], CAL)
    assert d4.due == date(2027, 1, 13)
    assert d4.estimated


def test_2027_with_administrator_overrides_is_official() -> None:
    """Overrides (State Council 2027 schedule entered by an admin) win and count as official."""
    cal = HolidayCalendar(OVERRIDES_2027)
    assert cal.has_official_data(2027)
    d1 = compute_due(date(2026, 12, 17), DEFAULT_RULES["D1"], cal)
    assert d1 == Due(date(2027, 1, 4), date(2027, 1, 1), estimated=False)
    d4 = compute_due(date(2027, 1, 6), DEFAULT_RULES["D4"], cal)
    # 01-07, 01-08, 01-09 (made-up 调休 Sat), 01-11, 01-12
    assert d4 == Due(date(2027, 1, 12), date(2027, 1, 12), estimated=False)


def test_overrides_win_over_chinese_calendar() -> None:
    cal = HolidayCalendar({date(2026, 11, 23): False})
    assert chinese_calendar.is_workday(date(2026, 11, 23))
    assert cal.is_holiday(date(2026, 11, 23))
    assert cal.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 24)


@pytest.mark.parametrize(
    ("today", "met_on", "state"),
    [
        (date(2026, 10, 4), None, ClockState.NORMAL),  # 4 days left > warn 3
        (date(2026, 10, 5), None, ClockState.NEAR),  # 3 days left
        (date(2026, 10, 8), None, ClockState.NEAR),  # due day: ends 24:00, not overdue
        (date(2026, 10, 9), None, ClockState.OVERDUE),
        (date(2026, 10, 20), date(2026, 10, 9), ClockState.MET),
    ],
)
def test_clock_state_boundaries(today: date, met_on: date | None, state: ClockState) -> None:
    """民法典 §203 ¶2: the period ends at 24:00 of the due day; 临期 at <= warn_days left."""
    due = date(2026, 10, 8)
    assert clock_state(due, today, warn_days=3, met_on=met_on) is state


def test_days_left_and_labels() -> None:
    assert days_left(date(2026, 10, 8), date(2026, 10, 8)) == 0
    assert days_left(date(2026, 10, 8), date(2026, 10, 10)) == -2
    assert STATE_LABELS[ClockState.OVERDUE] == "超期"
    assert STATE_LABELS[ClockState.NEAR] == "临期"
    assert not met_in_time(date(2026, 10, 8), date(2026, 10, 9))
    assert met_in_time(date(2026, 10, 8), date(2026, 10, 8))


def test_warn_days_short_clocks_one_day() -> None:
    assert DEFAULT_RULES["D4"].warn_days == 1
    assert DEFAULT_RULES["E2"].warn_days == 1
    assert DEFAULT_RULES["D1"].warn_days == 3


def test_policy_working_mode_switches_statutory_calendar_rules() -> None:
    """procedure §3.2/§10 day_count_mode=working: D1 (§22) counts 15 工作日; D4 unchanged."""
    rules = rules_with_policy(Policy(day_count_mode="working"), {})  # type: ignore[arg-type]
    assert rules["D1"].unit is DayUnit.WORKING
    assert rules["D4"] == DEFAULT_RULES["D4"]
    due = compute_due(date(2026, 9, 20), rules["D1"], CAL)
    # 09-21..09-24 (4), 09-28..09-30 (7), 10-08, 10-09, 10-10 Sat (10), 10-12..16 (15)
    assert due.due == date(2026, 10, 16)
    default = rules_with_policy(Policy(), {})
    assert default["D1"] == DEFAULT_RULES["D1"]


def test_policy_grading_scheme_and_overrides() -> None:
    """§8.3 三色交办 intervals come from the grading scheme; explicit overrides win."""
    policy = Policy(grading_scheme={"green": 2, "yellow": 5, "red": 10})
    custom = replace(DEFAULT_RULES["R1"], days=15)
    rules = rules_with_policy(policy, {"R1": custom})
    assert [rules[c].days for c in ("G_GREEN", "G_YELLOW", "G_RED")] == [2, 5, 10]
    assert rules["R1"].days == 15
    assert Policy().grading_scheme == {"green": 1, "yellow": 3, "red": 7}
    assert Policy().max_representatives == 5
