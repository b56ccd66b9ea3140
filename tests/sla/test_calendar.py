"""Business time: due times and countable time on 24/7 and working-hours calendars, with pauses. No database."""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.sla.calendar import (
    AlwaysOn,
    Calendar,
    WorkingHours,
    due_with_pauses,
    elapsed,
    from_config,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware datetime (the calendars return UTC; equality is by instant)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


OFFICE = WorkingHours()  # Asia/Shanghai, Mon–Fri 09:00–12:00 and 13:30–18:00
# A made-up National Day: Oct 1–8 off; Sunday Sep 27 and Saturday Oct 10 worked instead (调休).
NATIONAL_DAY = WorkingHours(
    holidays={date(2026, 10, d) for d in range(1, 9)},
    extra_workdays={date(2026, 9, 27), date(2026, 10, 10)},
)


# --------------------------------------------------------------------------------------------------------------
# 24/7


def test_always_on_is_plain_arithmetic() -> None:
    calendar = AlwaysOn()
    start = sh(2026, 11, 28, 23, 30)  # a Saturday night
    due = calendar.add(start, 120)
    assert due == sh(2026, 11, 29, 1, 30)
    assert due.tzinfo is UTC
    assert calendar.between(start, due) == timedelta(hours=2)
    assert calendar.between(due, start) == timedelta(0)
    assert calendar.add(start, 0) == start


def test_naive_and_negative_are_refused() -> None:
    for calendar in (AlwaysOn(), OFFICE):
        with pytest.raises(ValueError, match="naive"):
            calendar.add(datetime(2026, 11, 27, 9, 0), 10)
        with pytest.raises(ValueError, match="negative"):
            calendar.add(sh(2026, 11, 27, 9), -1)
        assert isinstance(calendar, Calendar)


# --------------------------------------------------------------------------------------------------------------
# Working hours


def test_over_the_lunch_break() -> None:
    start = sh(2026, 11, 27, 11, 30)  # Friday
    due = OFFICE.add(start, 60)
    assert due == sh(2026, 11, 27, 14, 0)  # 30 min before lunch, 30 after
    assert OFFICE.between(start, due) == timedelta(minutes=60)


def test_over_a_weekend() -> None:
    due = OFFICE.add(sh(2026, 11, 27, 17, 30), 60)  # Friday evening
    assert due == sh(2026, 11, 30, 9, 30)  # Monday
    assert OFFICE.between(sh(2026, 11, 27, 18, 0), sh(2026, 11, 30, 9, 0)) == timedelta(0)


def test_a_target_ending_at_closing_time_is_due_at_closing_time() -> None:
    assert OFFICE.add(sh(2026, 11, 27, 17, 0), 60) == sh(2026, 11, 27, 18, 0)


def test_zero_minutes_is_the_next_working_moment() -> None:
    assert OFFICE.add(sh(2026, 11, 27, 10, 15), 0) == sh(2026, 11, 27, 10, 15)  # inside: at once
    assert OFFICE.add(sh(2026, 11, 27, 9, 0), 0) == sh(2026, 11, 27, 9, 0)  # the opening instant counts
    assert OFFICE.add(sh(2026, 11, 27, 7, 0), 0) == sh(2026, 11, 27, 9, 0)
    assert OFFICE.add(sh(2026, 11, 27, 12, 0), 0) == sh(2026, 11, 27, 13, 30)
    assert OFFICE.add(sh(2026, 11, 28, 10, 0), 0) == sh(2026, 11, 30, 9, 0)  # Saturday → Monday


def test_over_a_holiday() -> None:
    due = NATIONAL_DAY.add(sh(2026, 9, 30, 17, 0), 120)  # Wednesday before the holiday
    assert due == sh(2026, 10, 9, 10, 0)  # an hour on Sep 30, an hour on Friday Oct 9


def test_over_an_adjusted_working_saturday() -> None:
    due = NATIONAL_DAY.add(sh(2026, 10, 9, 17, 0), 120)
    assert due == sh(2026, 10, 10, 10, 0)  # Saturday Oct 10 is worked, with Monday's hours
    assert NATIONAL_DAY.between(sh(2026, 10, 10, 0, 0), sh(2026, 10, 11, 0, 0)) == timedelta(hours=7, minutes=30)
    # An ordinary Saturday is not.
    assert NATIONAL_DAY.between(sh(2026, 10, 17, 0, 0), sh(2026, 10, 18, 0, 0)) == timedelta(0)
    # Sunday Sep 27 is worked too.
    assert NATIONAL_DAY.add(sh(2026, 9, 26, 12, 0), 30) == sh(2026, 9, 27, 9, 30)


def test_between_inverts_add() -> None:
    starts = [sh(2026, 11, 23, 0, 0) + timedelta(minutes=37 * i) for i in range(0, 400, 7)]
    for start in starts:
        for minutes in (0, 1, 29, 180, 450, 1000, 4321):
            due = OFFICE.add(start, minutes)
            assert OFFICE.between(start, due) == timedelta(minutes=minutes), (start, minutes)
            assert due >= start


def test_fifteen_day_targets_are_cheap() -> None:
    began = stopwatch.perf_counter()
    start = sh(2026, 11, 27, 9, 0)
    due = NATIONAL_DAY.add(start, 15 * 24 * 60)  # 360 working hours: 48 working days
    assert NATIONAL_DAY.between(start, due) == timedelta(days=15)
    assert due.astimezone(SHANGHAI).date() == date(2027, 2, 2)
    assert stopwatch.perf_counter() - began < 0.5


def test_shanghai_has_no_dst() -> None:
    # The weekend Europe moves its clocks changes nothing here: always UTC+8.
    due = OFFICE.add(sh(2026, 3, 27, 17, 0), 120)
    assert due == datetime(2026, 3, 30, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    assert OFFICE.add(sh(2026, 10, 23, 17, 0), 120) == datetime(2026, 10, 26, 2, 0, tzinfo=UTC)


def test_berlin_windows_follow_the_wall_clock_across_dst() -> None:
    office = WorkingHours("Europe/Berlin")
    # Friday 17:00 CET (16:00 UTC) + 2 working hours → Monday 10:00 CEST, which is 08:00 UTC, not 09:00.
    due = office.add(berlin(2026, 3, 27, 17, 0), 120)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    # And back in autumn: Monday 10:00 CET is 09:00 UTC.
    assert office.add(berlin(2026, 10, 23, 17, 0), 120) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_berlin_round_the_clock_counts_real_hours_across_dst() -> None:
    all_day = [(time(0), time(0))]  # 00:00–24:00
    calendar = WorkingHours("Europe/Berlin", weekly={day: all_day for day in range(7)})
    # The spring weekend is 47 real hours long, the autumn one 49.
    assert calendar.between(berlin(2026, 3, 28, 0, 0), berlin(2026, 3, 30, 0, 0)) == timedelta(hours=47)
    assert calendar.between(berlin(2026, 10, 24, 0, 0), berlin(2026, 10, 26, 0, 0)) == timedelta(hours=49)
    # Saturday 23:00 CET + 3 hours → 03:00 CEST (01:00 UTC).
    assert calendar.add(berlin(2026, 3, 28, 23, 0), 180) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


# --------------------------------------------------------------------------------------------------------------
# Pauses

MONDAY = (2026, 11, 30)


def test_a_pause_inside_working_hours_pushes_the_due_time() -> None:
    start = sh(*MONDAY, 9, 0)
    assert due_with_pauses(OFFICE, start, 240, [], now=start) == sh(*MONDAY, 14, 30)
    pauses = [(sh(*MONDAY, 10, 0), sh(*MONDAY, 11, 0))]
    assert due_with_pauses(OFFICE, start, 240, pauses, now=sh(*MONDAY, 12)) == sh(*MONDAY, 15, 30)


def test_only_the_countable_part_of_a_pause_counts() -> None:
    start = sh(*MONDAY, 9, 0)
    # 11:30–14:00 holds 60 working minutes (30 before lunch, 30 after).
    pauses = [(sh(*MONDAY, 11, 30), sh(*MONDAY, 14, 0))]
    assert due_with_pauses(OFFICE, start, 240, pauses, now=sh(*MONDAY, 15)) == sh(*MONDAY, 15, 30)
    # A pause over the night moves nothing.
    night = [(sh(*MONDAY, 19, 0), sh(2026, 12, 1, 8, 0))]
    assert due_with_pauses(OFFICE, sh(*MONDAY, 17, 0), 120, night, now=sh(2026, 12, 1, 9)) == sh(2026, 12, 1, 10, 0)


def test_a_pause_after_the_deadline_does_not_undo_the_breach() -> None:
    start = sh(*MONDAY, 9, 0)
    late = [(sh(*MONDAY, 16, 0), sh(*MONDAY, 17, 0))]
    assert due_with_pauses(OFFICE, start, 240, late, now=sh(*MONDAY, 17)) == sh(*MONDAY, 14, 30)
    # A pause beginning the very moment the target falls due comes too late as well.
    at_due = [(sh(*MONDAY, 14, 30), sh(*MONDAY, 16, 0))]
    assert due_with_pauses(OFFICE, start, 240, at_due, now=sh(*MONDAY, 17)) == sh(*MONDAY, 14, 30)


def test_an_open_pause_extends_up_to_now() -> None:
    start = sh(*MONDAY, 9, 0)
    pauses = [(sh(*MONDAY, 9, 30), None)]
    assert due_with_pauses(OFFICE, start, 60, pauses, now=sh(*MONDAY, 11, 0)) == sh(*MONDAY, 11, 30)
    assert due_with_pauses(OFFICE, start, 60, pauses, now=sh(*MONDAY, 15, 0)) == sh(*MONDAY, 15, 30)


def test_overlapping_pauses_count_once_and_on_24_7() -> None:
    start = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    pauses = [
        (start + timedelta(hours=1), start + timedelta(hours=3)),
        (start + timedelta(hours=2), start + timedelta(hours=4)),
        (start - timedelta(hours=5), start + timedelta(minutes=30)),  # began before the clock started
    ]
    due = due_with_pauses(AlwaysOn(), start, 24 * 60, pauses, now=start + timedelta(hours=5))
    assert due == start + timedelta(hours=24 + 3 + 0.5)


def test_elapsed_excludes_paused_time() -> None:
    start, end = sh(*MONDAY, 9, 0), sh(*MONDAY, 15, 0)
    assert elapsed(OFFICE, start, end) == timedelta(minutes=180 + 90)
    closed = [(sh(*MONDAY, 10, 0), sh(*MONDAY, 11, 0))]
    assert elapsed(OFFICE, start, end, closed) == timedelta(minutes=210)
    still_open = [*closed, (sh(*MONDAY, 14, 0), None)]
    assert elapsed(OFFICE, start, end, still_open) == timedelta(minutes=150)
    assert elapsed(AlwaysOn(), start, end, closed) == timedelta(hours=5)


def test_a_pause_ending_before_it_begins_is_refused() -> None:
    with pytest.raises(ValueError, match="pauses\\[0\\]"):
        elapsed(OFFICE, sh(*MONDAY, 9), sh(*MONDAY, 10), [(sh(*MONDAY, 10), sh(*MONDAY, 9))])


# --------------------------------------------------------------------------------------------------------------
# From config


def test_from_config_builds_both_kinds_and_round_trips() -> None:
    always = from_config({"kind": "always"})
    assert isinstance(always, AlwaysOn) and always.timezone.key == "Asia/Shanghai"

    config = {
        "kind": "working_hours",
        "timezone": "Asia/Shanghai",
        "weekly": {"mon": [["09:00", "12:00"], ["13:30", "18:00"]], "sat": [["10:00", "24:00"]]},
        "holidays": ["2026-10-01"],
        "extra_workdays": ["2026-10-11"],
    }
    calendar = from_config(config)
    assert isinstance(calendar, WorkingHours)
    assert calendar.between(sh(2026, 10, 3, 0, 0), sh(2026, 10, 4, 0, 0)) == timedelta(hours=14)  # Sat to 24:00
    assert calendar.add(sh(2026, 10, 11, 9, 0), 60) == sh(2026, 10, 11, 10, 0)  # an extra Sunday, Monday's hours
    again = from_config(calendar.to_config())
    assert again.to_config() == calendar.to_config()
    assert from_config(OFFICE.to_config()).to_config() == OFFICE.to_config()


def test_from_config_defaults_to_office_hours() -> None:
    calendar = from_config({"kind": "working_hours"})
    assert calendar.add(sh(2026, 11, 27, 11, 30), 60) == sh(2026, 11, 27, 14, 0)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "calendar.kind: required"),
        ({"kind": "sometimes"}, "calendar.kind: 'sometimes'"),
        ({"kind": "always", "weekly": {}}, "calendar.weekly: unknown key"),
        ({"kind": "working_hours", "holiday": []}, "calendar.holiday: unknown key"),
        ({"kind": "working_hours", "timezone": "Mars/Olympus"}, "calendar.timezone: unknown timezone"),
        ({"kind": "working_hours", "timezone": 8}, "calendar.timezone"),
        ({"kind": "working_hours", "weekly": []}, "calendar.weekly: an object"),
        ({"kind": "working_hours", "weekly": {"monday": []}}, "calendar.weekly.monday: not a weekday"),
        ({"kind": "working_hours", "weekly": {"mon": [["25:00", "26:00"]]}}, r"calendar.weekly.mon\[0\]\[0\]"),
        ({"kind": "working_hours", "weekly": {"mon": [["9am", "5pm"]]}}, r"calendar.weekly.mon\[0\]\[0\]: '9am'"),
        ({"kind": "working_hours", "weekly": {"mon": [["09:00"]]}}, r"calendar.weekly.mon\[0\]: a pair"),
        ({"kind": "working_hours", "weekly": {"tue": [["18:00", "09:00"]]}}, r"calendar.weekly.tue\[0\]: start"),
        (
            {"kind": "working_hours", "weekly": {"wed": [["09:00", "12:00"], ["11:00", "13:00"]]}},
            "calendar.weekly.wed: windows overlap",
        ),
        ({"kind": "working_hours", "weekly": {"mon": []}}, "calendar.weekly: no working hours"),
        ({"kind": "working_hours", "holidays": ["2026-13-01"]}, r"calendar.holidays\[0\]: '2026-13-01'"),
        ({"kind": "working_hours", "holidays": "2026-10-01"}, "calendar.holidays: a list"),
        (
            {"kind": "working_hours", "holidays": ["2026-10-01"], "extra_workdays": ["2026-10-01"]},
            "calendar.extra_workdays: 2026-10-01 is also a holiday",
        ),
        ({"kind": "working_hours", "extra_workday_hours": []}, "calendar.extra_workday_hours"),
        ("always", "calendar: an object"),
    ],
)
def test_from_config_names_the_bad_key(config: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        from_config(config)  # type: ignore[arg-type]
