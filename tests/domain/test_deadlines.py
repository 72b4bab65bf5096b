"""Deadline engine: procedure.md §3, §8.3, §10; 民法典 §201/§203 by analogy.

2026 facts used below (chinese-calendar 1.11.0, State Council schedule):
国庆/中秋 2026: 10-01..10-07 off, Sun 09-20 and Sat 10-10 are 调休 workdays;
春节 2026: 02-15..02-23 off, Sat 02-14 and Sat 02-28 are 调休 workdays.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

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
    hearing_refusal,
    met_in_time,
    rules_with_policy,
    window_open,
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


def test_2027_estimate_keeps_new_year_spring_festival_and_national_day_as_holidays() -> None:
    """Issue 13 item 4: no State Council table for 2027 yet, so the statutory holidays are
    estimated by rule (元旦, 春节, 国庆 …), not guessed Monday–Friday; and the date says so."""
    assert not CAL.has_official_data(2027)
    for d in (date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9),
              date(2027, 10, 1), date(2027, 10, 4), date(2027, 10, 5)):
        assert CAL.is_holiday(d), d  # all Monday–Friday
    assert CAL.is_holiday(date(2027, 1, 2)) and CAL.is_workday(date(2027, 1, 4))
    # 调休 is not estimated: no Saturday or Sunday of 2027 is a working day.
    assert not any(CAL.is_workday(date(2027, 1, 2) + timedelta(weeks=w)) for w in range(52))
    # D1 (§22) of a matter received 2026-12-17 ends on 元旦 (Fri) → Mon 01-04 (民法典 §203).
    d1 = compute_due(date(2026, 12, 17), DEFAULT_RULES["D1"], CAL)
    assert d1 == Due(date(2027, 1, 4), date(2027, 1, 1), estimated=True)
    # D4 (§23 ¶3, 5 个工作日) over 国庆: 09-30, 10-06, 10-07, 10-08, 10-11.
    d4 = compute_due(date(2027, 9, 29), DEFAULT_RULES["D4"], CAL)
    assert d4.due == date(2027, 10, 11) and d4.estimated


def test_administrator_rows_alone_do_not_make_a_year_official() -> None:
    """One entered row does not end the estimate; the administrator's confirmation does."""
    cal = HolidayCalendar(OVERRIDES_2027)
    assert not cal.has_official_data(2027)
    d1 = compute_due(date(2026, 12, 17), DEFAULT_RULES["D1"], cal)
    assert d1 == Due(date(2027, 1, 4), date(2027, 1, 1), estimated=True)
    assert cal.is_holiday(date(2027, 2, 8))  # rows not entered yet: still the estimate
    confirmed = HolidayCalendar(OVERRIDES_2027, confirmed_years={2027})
    assert confirmed.has_official_data(2027)
    d1 = compute_due(date(2026, 12, 17), DEFAULT_RULES["D1"], confirmed)
    assert d1 == Due(date(2027, 1, 4), date(2027, 1, 1), estimated=False)
    d4 = compute_due(date(2027, 1, 6), DEFAULT_RULES["D4"], confirmed)
    # 01-07, 01-08, 01-09 (made-up 调休 Sat), 01-11, 01-12
    assert d4 == Due(date(2027, 1, 12), date(2027, 1, 12), estimated=False)
    # A confirmed table is the whole truth: a day it does not list is an ordinary day.
    assert confirmed.is_workday(date(2027, 2, 8))


def test_petitioner_window_past_an_estimated_end_stays_open() -> None:
    """In doubt, for the petitioner: an estimated end never closes the window by itself."""
    assert window_open(date(2027, 1, 11), date(2027, 1, 12), estimated=True)
    assert not window_open(date(2026, 4, 1), date(2026, 4, 2), estimated=False)
    assert clock_state(date(2027, 1, 11), date(2027, 1, 12), 3,
                       provisional_end=True) == ClockState.PENDING
    assert STATE_LABELS[ClockState.PENDING] == "待确认"


def test_a_paused_clock_is_never_overdue() -> None:
    """§36 ¶2: hearing time is not counted, so a paused 复核 clock is 中止计算, not 超期."""
    assert clock_state(date(2026, 7, 1), date(2026, 7, 20), 3, paused=True) == ClockState.PAUSED
    assert STATE_LABELS[ClockState.PAUSED] == "中止计算"


@pytest.mark.parametrize(("requested", "held", "message"), [
    (date(2026, 5, 31), date(2026, 6, 5), "不能早于收到复核请求之日（2026-06-01）"),
    (date(2026, 6, 3), date(2026, 6, 2), "不能早于申请（提议）日期"),
    (date(2026, 6, 3), date(2026, 6, 11), "听证尚未开始"),
    (date(2026, 6, 11), date(2026, 6, 11), "不能晚于今天"),
    (date(2026, 6, 3), date(2026, 6, 5), None),
])
def test_hearing_dates_follow_art36(requested: date, held: date, message: str | None) -> None:
    """§36 ¶2: a hearing of this 复核 (request not before the 复核 request), held after it was
    asked for, pausing only from the day it actually starts (not in the future)."""
    refusal = hearing_refusal(requested_on=requested, hearing_on=held,
                              recheck_received_on=date(2026, 6, 1), due_on=date(2026, 7, 1),
                              today=date(2026, 6, 10))
    assert refusal is None if message is None else message in (refusal or "")


def test_a_hearing_cannot_pause_a_lapsed_recheck_period() -> None:
    refusal = hearing_refusal(requested_on=date(2026, 6, 20), hearing_on=date(2026, 7, 2),
                              recheck_received_on=date(2026, 6, 1), due_on=date(2026, 7, 1),
                              today=date(2026, 7, 3))
    assert refusal is not None and "已于2026-07-01届满" in refusal


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


def test_a_local_limit_may_be_stricter_never_longer():
    """A body's statutory limit may be shortened (浙 §20: 5 工作日 for §22's 15 日), never
    lengthened; the petitioner's §35/§36 windows may not be shortened (issue 13)."""
    from xinfang.domain.deadlines import policy_refusal

    assert policy_refusal("D1", 5, "working", True) is None
    assert policy_refusal("D6", 45, "calendar", True) is None
    assert "只能缩短" in policy_refusal("D6", 90, "calendar", True)
    assert "只能缩短" in policy_refusal("D1", 15, "working", True)
    assert "不得缩短" in policy_refusal("D8", 15, "calendar", True)
    assert "不得缩短" in policy_refusal("D10", 30, "calendar", False)
    assert policy_refusal("D8", 30, "calendar", True) is None
    assert policy_refusal("R1", 90, "calendar", True) is None  # practice: free
