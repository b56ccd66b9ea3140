"""Business time: when a target of N countable minutes falls due, and how much countable time has passed.

Two calendars: :class:`AlwaysOn` (24/7, plain arithmetic) and :class:`WorkingHours` (a weekly pattern of local
working windows, holidays, and China's adjusted working days, 调休). Both take and return aware datetimes and
work in UTC; a working-hours calendar reads its windows in its own local timezone, so a DST change moves the
UTC instants of its windows, never their wall-clock times. Countable time is real elapsed time inside the
windows (a window over a DST change counts the hours that really passed).

Paused time (awaiting the resident) is excluded with :func:`due_with_pauses` and :func:`elapsed`, Zammad-style:
only the countable part of a pause moves a deadline.

Pure: no database, no clock. Build a calendar from an area's stored JSON with :func:`from_config`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.core.time import ensure_utc

DEFAULT_TIMEZONE = "Asia/Shanghai"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
# A calendar with working time at all finds some within a few years; a search beyond this is a bug or a
# calendar made only of holidays, and stops with an error instead of looping.
_MAX_DAYS = 366 * 10

Window = tuple[time, time]


@runtime_checkable
class Calendar(Protocol):
    """What targets are measured on. All datetimes aware; results in UTC."""

    def add(self, start: datetime, minutes: int) -> datetime:
        """The instant at which ``minutes`` of countable time have passed since ``start``."""
        ...

    def add_duration(self, start: datetime, duration: timedelta) -> datetime:
        """As :meth:`add`, for a duration with seconds."""
        ...

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The countable time from ``start`` to ``end`` (zero when ``end`` is not after ``start``)."""
        ...

    def to_config(self) -> dict[str, Any]:
        """The JSON-able config :func:`from_config` rebuilds this calendar from."""
        ...


def _zone(value: str | ZoneInfo, where: str = "timezone") -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: a timezone name such as 'Asia/Shanghai' is required")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{where}: unknown timezone {value!r}") from exc


def _non_negative(duration: timedelta) -> timedelta:
    if duration < timedelta(0):
        raise ValueError(f"a target cannot be negative ({duration})")
    return duration


class AlwaysOn:
    """24/7: every minute counts. ``add`` is plain addition; ``between`` plain subtraction (never negative).

    ``timezone`` is kept only for display and round-tripping the config; it changes no result."""

    def __init__(self, timezone: str | ZoneInfo = DEFAULT_TIMEZONE) -> None:
        self.timezone = _zone(timezone)

    def add(self, start: datetime, minutes: int) -> datetime:
        return self.add_duration(start, timedelta(minutes=minutes))

    def add_duration(self, start: datetime, duration: timedelta) -> datetime:
        return ensure_utc(start) + _non_negative(duration)

    def between(self, start: datetime, end: datetime) -> timedelta:
        return max(timedelta(0), ensure_utc(end) - ensure_utc(start))

    def to_config(self) -> dict[str, Any]:
        return {"kind": "always", "timezone": self.timezone.key}

    def __repr__(self) -> str:
        return f"AlwaysOn({self.timezone.key!r})"


# Mon–Fri 09:00–12:00 and 13:30–18:00.
DEFAULT_HOURS: tuple[Window, ...] = ((time(9), time(12)), (time(13, 30), time(18)))
DEFAULT_WEEKLY: dict[int, tuple[Window, ...]] = {day: DEFAULT_HOURS for day in range(5)}


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _windows_minutes(windows: Iterable[Window], where: str) -> tuple[tuple[int, int], ...]:
    """Validated windows as (start, end) minutes since local midnight; an end of 00:00 means 24:00."""
    result: list[tuple[int, int]] = []
    for index, window in enumerate(windows):
        try:
            start, end = window
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}[{index}]: a window is a pair (start, end)") from exc
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError(f"{where}[{index}]: start and end must be times")
        if start.second or start.microsecond or end.second or end.microsecond:
            raise ValueError(f"{where}[{index}]: windows are in whole minutes")
        s, e = _minutes(start), _minutes(end) or DAY_MINUTES
        if s >= e:
            raise ValueError(f"{where}[{index}]: start {start:%H:%M} is not before end {end:%H:%M}")
        result.append((s, e))
    result.sort()
    for (_, end1), (start2, _) in zip(result, result[1:], strict=False):
        if start2 < end1:
            raise ValueError(f"{where}: windows overlap")
    return tuple(result)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class WorkingHours:
    """Working time: local windows per weekday, minus ``holidays``, plus ``extra_workdays`` (调休: a weekend
    day worked in exchange for a holiday, with ``extra_workday_hours`` — by default Monday's hours, else the
    first working weekday's).

    Guarantees:
    - ``add(start, minutes)`` returns the earliest instant at which ``minutes`` of working time have passed
      since ``start``. A target that ends exactly at the close of a window is due at that close (17:00 + 60 min
      → 18:00, not the next morning).
    - ``add(start, 0)`` is the next working moment: ``start`` itself when it falls inside a window (including
      its opening instant), else the opening of the next window — a zero target set at night is due when the
      office opens. Use :class:`AlwaysOn` for "at once, day or night".
    - ``between(start, end)`` counts the working time in between; ``between(s, add(s, m)) == m`` minutes.
    - Cost is one step per calendar day crossed, not per minute.
    """

    def __init__(
        self,
        timezone: str | ZoneInfo = DEFAULT_TIMEZONE,
        weekly: Mapping[int, Sequence[Window]] | None = None,
        holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        extra_workday_hours: Sequence[Window] | None = None,
    ) -> None:
        self.timezone = _zone(timezone)
        weekly = DEFAULT_WEEKLY if weekly is None else weekly
        self._weekly: dict[int, tuple[tuple[int, int], ...]] = {}
        for day, windows in weekly.items():
            if not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(f"weekly: {day!r} is not a weekday number 0 (Monday) to 6 (Sunday)")
            self._weekly[day] = _windows_minutes(windows, f"weekly.{WEEKDAYS[day]}")
        if not any(self._weekly.values()):
            raise ValueError("weekly: no working hours on any weekday, so nothing would ever fall due")
        if extra_workday_hours is None:
            first = next(day for day in range(7) if self._weekly.get(day))
            self._extra_hours = self._weekly[first]
        else:
            self._extra_hours = _windows_minutes(extra_workday_hours, "extra_workday_hours")
            if not self._extra_hours:
                raise ValueError("extra_workday_hours: an extra workday needs working hours")
        self.holidays = frozenset(_as_date(d, "holidays") for d in holidays)
        self.extra_workdays = frozenset(_as_date(d, "extra_workdays") for d in extra_workdays)
        both = self.holidays & self.extra_workdays
        if both:
            raise ValueError(f"extra_workdays: {min(both).isoformat()} is also a holiday")

    # -- the windows of one local day, as UTC instants

    def _day_minutes(self, day: date) -> tuple[tuple[int, int], ...]:
        if day in self.holidays:
            return ()
        hours = self._weekly.get(day.weekday(), ())
        if day in self.extra_workdays and not hours:
            return self._extra_hours
        return hours

    def _instant(self, day: date, minutes: int) -> datetime:
        if minutes == DAY_MINUTES:
            day, minutes = day + timedelta(days=1), 0
        local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.timezone)
        return local.astimezone(UTC)

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        windows = []
        for start, end in self._day_minutes(day):
            s, e = self._instant(day, start), self._instant(day, end)
            if s < e:  # a window wholly inside a skipped DST hour does not exist
                windows.append((s, e))
        return windows

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()

    # -- the protocol

    def add(self, start: datetime, minutes: int) -> datetime:
        return self.add_duration(start, timedelta(minutes=minutes))

    def add_duration(self, start: datetime, duration: timedelta) -> datetime:
        remaining = _non_negative(duration)
        cursor = ensure_utc(start)
        day = self._local_date(cursor)
        for _ in range(_MAX_DAYS):
            for window_start, window_end in self._windows(day):
                if window_end <= cursor:
                    continue
                begin = max(window_start, cursor)
                available = window_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"no working time found within {_MAX_DAYS} days of {cursor.isoformat()}")

    def between(self, start: datetime, end: datetime) -> timedelta:
        start, end = ensure_utc(start), ensure_utc(end)
        total = timedelta(0)
        if end <= start:
            return total
        day, last = self._local_date(start), self._local_date(end)
        while day <= last:
            for window_start, window_end in self._windows(day):
                overlap = min(window_end, end) - max(window_start, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def to_config(self) -> dict[str, Any]:
        return {
            "kind": "working_hours",
            "timezone": self.timezone.key,
            "weekly": {
                WEEKDAYS[day]: [[_hhmm(s), _hhmm(e)] for s, e in windows]
                for day, windows in sorted(self._weekly.items())
                if windows
            },
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "extra_workdays": sorted(d.isoformat() for d in self.extra_workdays),
            "extra_workday_hours": [[_hhmm(s), _hhmm(e)] for s, e in self._extra_hours],
        }

    def __repr__(self) -> str:
        return f"WorkingHours({self.timezone.key!r}, {len(self.holidays)} holidays)"


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{where}: {value!r} is not a date")
    return value


# --------------------------------------------------------------------------------------------------------------
# Pauses (awaiting the resident)

Pause = tuple[datetime, datetime | None]


def _merged(pauses: Iterable[Pause], open_until: datetime) -> list[tuple[datetime, datetime]]:
    """Pauses as closed, sorted, non-overlapping UTC intervals; an open pause runs to ``open_until``."""
    intervals: list[tuple[datetime, datetime]] = []
    for index, (began, ended) in enumerate(pauses):
        began = ensure_utc(began)
        finish = ensure_utc(ended) if ended is not None else max(began, open_until)
        if finish < began:
            raise ValueError(f"pauses[{index}]: ends {finish.isoformat()} before it begins {began.isoformat()}")
        if finish > began:
            intervals.append((began, finish))
    intervals.sort()
    merged: list[tuple[datetime, datetime]] = []
    for began, finish in intervals:
        if merged and began <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((began, finish))
    return merged


def due_with_pauses(
    calendar: Calendar, start: datetime, minutes: int, pauses: Iterable[Pause], now: datetime
) -> datetime:
    """The due time of a ``minutes`` target begun at ``start``, with paused time not counted.

    The result is the earliest instant at which ``minutes`` of countable, unpaused time have passed. A pause
    pushes the deadline by its countable part only if it begins before the deadline it would push (a pause that
    starts after a breach does not undo it). An open pause (end None) counts up to ``now``: the answer is the
    due time if the clock restarted now. Pauses may overlap or reach before ``start``; only their union after
    ``start`` counts.
    """
    start = ensure_utc(start)
    remaining = _non_negative(timedelta(minutes=minutes))
    cursor = start
    for began, finish in _merged(pauses, ensure_utc(now)):
        if finish <= cursor:
            continue
        began = max(began, cursor)
        due = calendar.add_duration(cursor, remaining)
        if due <= began:
            return due
        remaining -= calendar.between(cursor, began)
        cursor = finish
    return calendar.add_duration(cursor, remaining)


def elapsed(calendar: Calendar, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
    """The countable time from ``start`` to ``end`` minus the countable time paused within it (an open pause
    runs to ``end``). Never negative."""
    start, end = ensure_utc(start), ensure_utc(end)
    total = calendar.between(start, end)
    for began, finish in _merged(pauses, end):
        began, finish = max(began, start), min(finish, end)
        if finish > began:
            total -= calendar.between(began, finish)
    return max(total, timedelta(0))


# --------------------------------------------------------------------------------------------------------------
# From stored JSON

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_ALWAYS_KEYS = {"kind", "timezone"}
_WORKING_KEYS = {"kind", "timezone", "weekly", "holidays", "extra_workdays", "extra_workday_hours"}


def _parse_time(value: Any, where: str, *, end: bool) -> time:
    match = _TIME_RE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{where}: {value!r} is not a time written HH:MM")
    hour, minute = int(match.group(1)), int(match.group(2))
    if end and (hour, minute) == (24, 0):
        return time(0)  # end of the day
    if hour > 23 or minute > 59:
        raise ValueError(f"{where}: {value!r} is not a time of day")
    return time(hour, minute)


def _parse_windows(value: Any, where: str) -> list[Window]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: a list of [start, end] pairs is required")
    windows: list[Window] = []
    for index, pair in enumerate(value):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f'{where}[{index}]: a pair ["HH:MM", "HH:MM"] is required')
        start = _parse_time(pair[0], f"{where}[{index}][0]", end=False)
        finish = _parse_time(pair[1], f"{where}[{index}][1]", end=True)
        windows.append((start, finish))
    _windows_minutes(windows, where)  # refuse reversed or overlapping windows with this key in the message
    return windows


def _parse_dates(value: Any, where: str) -> list[date]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: a list of dates YYYY-MM-DD is required")
    dates = []
    for index, item in enumerate(value):
        try:
            if not isinstance(item, str) or len(item) != 10:
                raise ValueError
            dates.append(date.fromisoformat(item))
        except ValueError as exc:
            raise ValueError(f"{where}[{index}]: {item!r} is not a date YYYY-MM-DD") from exc
    return dates


def from_config(config: Mapping[str, Any]) -> Calendar:
    """A calendar from its JSON-able config; the inverse of ``to_config()``.

    ``{"kind": "always"}`` or ``{"kind": "working_hours", "timezone": "Asia/Shanghai", "weekly": {"mon":
    [["09:00", "12:00"], ["13:30", "18:00"]], …}, "holidays": ["2026-10-01", …], "extra_workdays": [...],
    "extra_workday_hours": [...]}``. ``timezone`` defaults to Asia/Shanghai; ``weekly`` omitted means the
    default Mon–Fri hours, a weekday left out has no working hours; "24:00" may end a window. Raises ValueError
    naming the offending key (``calendar.weekly.mon[1][0]: '25:00' is not a time of day``); unknown keys are
    refused so a typo cannot silently mean "no holidays".
    """
    if not isinstance(config, Mapping):
        raise ValueError("calendar: an object is required")
    kind = config.get("kind")
    if kind == "always":
        allowed = _ALWAYS_KEYS
    elif kind == "working_hours":
        allowed = _WORKING_KEYS
    elif kind is None:
        raise ValueError("calendar.kind: required, 'always' or 'working_hours'")
    else:
        raise ValueError(f"calendar.kind: {kind!r} is not 'always' or 'working_hours'")
    for key in config:
        if key not in allowed:
            raise ValueError(f"calendar.{key}: unknown key for a calendar of kind {kind!r}")
    timezone = _zone(config.get("timezone", DEFAULT_TIMEZONE), "calendar.timezone")
    if kind == "always":
        return AlwaysOn(timezone)

    weekly: dict[int, list[Window]] | None = None
    if "weekly" in config:
        raw = config["weekly"]
        if not isinstance(raw, Mapping):
            raise ValueError("calendar.weekly: an object keyed by mon … sun is required")
        weekly = {}
        for key, windows in raw.items():
            if key not in WEEKDAYS:
                raise ValueError(f"calendar.weekly.{key}: not a weekday (mon, tue, wed, thu, fri, sat, sun)")
            weekly[WEEKDAYS.index(key)] = _parse_windows(windows, f"calendar.weekly.{key}")
    extra_hours = None
    if "extra_workday_hours" in config:
        extra_hours = _parse_windows(config["extra_workday_hours"], "calendar.extra_workday_hours")
    try:
        return WorkingHours(
            timezone,
            weekly,
            holidays=_parse_dates(config.get("holidays", []), "calendar.holidays"),
            extra_workdays=_parse_dates(config.get("extra_workdays", []), "calendar.extra_workdays"),
            extra_workday_hours=extra_hours,
        )
    except ValueError as exc:
        message = str(exc)
        raise ValueError(message if message.startswith("calendar.") else f"calendar.{message}") from exc
