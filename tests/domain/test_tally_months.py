"""The month grain of the indicator counters (issue 17 "Speed"): which days of a period are
read from month rows and which from day rows, and that a month row is its days summed."""

from __future__ import annotations

from datetime import date

from xinfang.domain import tally as dt


def test_whole_months_come_from_month_rows_and_the_edges_from_day_rows():
    # 近12个月 on 7 December 2026: 8 Dec 2025 … 7 Dec 2026.
    days, months = dt.split_by_month(date(2025, 12, 8), date(2026, 12, 7))
    assert days == [(date(2025, 12, 8), date(2025, 12, 31)), (date(2026, 12, 1), date(2026, 12, 7))]
    assert months == [(date(2026, 1, 1), date(2026, 11, 1))]
    # One calendar month: its month row alone.
    assert dt.split_by_month(date(2026, 2, 1), date(2026, 2, 28)) == ([], [(date(2026, 2, 1),) * 2])


def test_a_month_a_before_today_filter_cuts_is_read_by_day():
    # "open and due before 20 March": March has days on both sides, February and April not.
    days, months = dt.split_by_month(date(2026, 1, 1), date(2026, 4, 30), [date(2026, 3, 20)])
    assert days == [(date(2026, 3, 1), date(2026, 3, 31))]
    assert months == [(date(2026, 1, 1), date(2026, 2, 1)), (date(2026, 4, 1), date(2026, 4, 1))]
    # A cutoff on the first of a month cuts nothing (every day of March is ≥ it, February's <).
    assert dt.split_by_month(date(2026, 2, 1), date(2026, 3, 31), [date(2026, 3, 1)]) == (
        [], [(date(2026, 2, 1), date(2026, 3, 1))])


def test_month_rows_are_day_rows_summed_and_cancelling_changes_vanish():
    k = dt.Key("on_time_reply", date(2026, 3, 5), "110101001", 7, 0, False, "open", "")
    moved = k._replace(day=date(2026, 3, 28))  # a deadline moved within March
    later = k._replace(day=date(2026, 4, 2))  # … and one into April
    delta = dt.difference({k: (1, 0)}, {moved: (1, 0)})
    assert dt.by_month(delta) == {}
    assert dt.by_month(dt.difference({k: (1, 0)}, {later: (1, 3)})) == {
        k._replace(day=date(2026, 3, 1)): (-1, 0), k._replace(day=date(2026, 4, 1)): (1, 3)}
    assert dt.by_month({k: (2, 1), moved: (1, 5)}) == {k._replace(day=date(2026, 3, 1)): (3, 6)}
