"""Typed models of the RTE answers (Ecowatt v5 signals, Tempo calendars) and their parsing.

Ecowatt quirks handled here (see the RTE reference): days are looked up by their date, never by
position; hours by ``pas``, never by position; days and hours may be missing; the first day may
be yesterday; messages are padded; ``jour`` is local midnight with its UTC offset. Hour ``pas`` n
of a day starts at ``jour + n hours`` in absolute time, so 23- and 25-hour days need no special
case: on a 23-hour day a ``pas`` 23 would start at the next midnight and the next day wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, TypeGuard
from zoneinfo import ZoneInfo

from .errors import ApiResponseError

PARIS: Final = ZoneInfo("Europe/Paris")
HOUR: Final = timedelta(hours=1)

# Ecowatt levels (hvalue / dvalue).
LEVEL_LOW_CARBON: Final = 0
LEVEL_GREEN: Final = 1
LEVEL_ORANGE: Final = 2
LEVEL_RED: Final = 3
ALERT_LEVEL: Final = LEVEL_ORANGE

TEMPO_COLORS: Final = ("BLUE", "WHITE", "RED")


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def local_midnight(day: date) -> datetime:
    """Return midnight of ``day`` in Paris, as an aware UTC datetime."""
    return datetime.combine(day, time(0), PARIS).astimezone(UTC)


def parse_local_day_start(value: Any) -> tuple[date, datetime] | None:
    """Parse ``jour``/``start_date``: return the Paris date and its start (UTC), or None.

    Accepts the documented form (local midnight with offset) and, defensively, a bare date or
    a naive datetime, both read as Paris time.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        day = parsed.date()
        return day, local_midnight(day)
    return parsed.astimezone(PARIS).date(), parsed.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class EcowattHour:
    """One hour of the forecast: its start (UTC) and level 0..3."""

    start: datetime
    level: int

    @property
    def end(self) -> datetime:
        """End of the hour (exclusive)."""
        return self.start + HOUR


@dataclass(frozen=True, slots=True)
class EcowattDay:
    """One day of the forecast, looked up by its Paris date."""

    day: date
    start: datetime  # UTC instant of local midnight (``jour``)
    level: int  # dvalue 1..3
    message: str
    hours: Mapping[int, int]  # pas -> hvalue

    def hour_start(self, pas: int) -> datetime:
        """Start of hour ``pas``: ``jour`` plus ``pas`` hours, in absolute time."""
        return self.start + pas * HOUR


@dataclass(frozen=True, slots=True)
class EcowattRun:
    """Consecutive alert hours (orange or red) merged into one period."""

    start: datetime
    end: datetime
    level: int  # highest level of the run
    parts: tuple[tuple[datetime, datetime, int], ...]  # sub-periods of one level each


@dataclass(frozen=True)
class EcowattForecast:
    """Every day the signals answer holds, by Paris date, and the raw answer."""

    days: Mapping[date, EcowattDay]
    raw: dict[str, Any] = field(compare=False, repr=False)
    hours: tuple[EcowattHour, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Flatten the days into one ordered list of hours."""
        object.__setattr__(self, "hours", _flatten_hours(self.days))

    @property
    def first_day(self) -> date:
        """The earliest date in the answer (yesterday until RTE publishes in the morning)."""
        return min(self.days)

    @property
    def last_day(self) -> date:
        """The latest date in the answer."""
        return max(self.days)

    def day(self, day: date) -> EcowattDay | None:
        """Return the forecast of a Paris date, or None when not published."""
        return self.days.get(day)

    def hour_at(self, when: datetime) -> EcowattHour | None:
        """Return the hour that contains ``when``, or None when unknown."""
        for hour in self.hours:
            if hour.start <= when < hour.end:
                return hour
        return None

    def level_at(self, when: datetime) -> int | None:
        """Return the level of the hour that contains ``when``, or None when unknown."""
        hour = self.hour_at(when)
        return None if hour is None else hour.level

    def runs(self, min_level: int = ALERT_LEVEL) -> list[EcowattRun]:
        """Periods of consecutive hours at ``min_level`` or above, in time order."""
        return alert_runs(self.hours, min_level)

    def rebased(self, first_day: date) -> EcowattForecast:
        """Return the same forecast moved so that its first day is ``first_day``."""
        shift = first_day - self.first_day
        days = {
            old.day + shift: EcowattDay(
                old.day + shift, local_midnight(old.day + shift), old.level, old.message, old.hours
            )
            for old in self.days.values()
        }
        return EcowattForecast(days, self.raw)


def alert_runs(hours: Iterable[EcowattHour], min_level: int = ALERT_LEVEL) -> list[EcowattRun]:
    """Merge hours (in time order) at ``min_level`` or above into runs of consecutive hours."""
    runs: list[EcowattRun] = []
    parts: list[tuple[datetime, datetime, int]] = []
    for hour in hours:
        if hour.level < min_level:
            continue
        if parts and parts[-1][1] == hour.start:
            start, _end, level = parts[-1]
            if level == hour.level:
                parts[-1] = (start, hour.end, level)
            else:
                parts.append((hour.start, hour.end, hour.level))
            continue
        if parts:
            runs.append(_make_run(parts))
        parts = [(hour.start, hour.end, hour.level)]
    if parts:
        runs.append(_make_run(parts))
    return runs


def _make_run(parts: list[tuple[datetime, datetime, int]]) -> EcowattRun:
    return EcowattRun(parts[0][0], parts[-1][1], max(p[2] for p in parts), tuple(parts))


def _flatten_hours(days: Mapping[date, EcowattDay]) -> tuple[EcowattHour, ...]:
    """Hours of every day in time order; an hour reaching into the next known day is dropped."""
    ordered = sorted(days.values(), key=lambda d: d.start)
    hours: list[EcowattHour] = []
    for index, day in enumerate(ordered):
        next_start = ordered[index + 1].start if index + 1 < len(ordered) else None
        for pas in sorted(day.hours):
            start = day.hour_start(pas)
            if next_start is not None and start >= next_start:
                continue
            hours.append(EcowattHour(start, day.hours[pas]))
    return tuple(hours)


def _parse_day(item: Any) -> EcowattDay | None:
    if not isinstance(item, dict):
        return None
    parsed = parse_local_day_start(item.get("jour"))
    if parsed is None:
        return None
    day, start = parsed
    hours: dict[int, int] = {}
    values = item.get("values")
    for value in values if isinstance(values, list) else ():
        if not isinstance(value, dict):
            continue
        pas, level = value.get("pas"), value.get("hvalue")
        if _is_int(pas) and _is_int(level) and 0 <= pas <= 24 and 0 <= level <= 3:
            hours[pas] = level
    dvalue = item.get("dvalue")
    if not _is_int(dvalue) or not 0 <= dvalue <= 3:
        if not hours:
            return None
        dvalue = max(LEVEL_GREEN, *hours.values())
    message = item.get("message")
    message = " ".join(message.split()) if isinstance(message, str) else ""
    return EcowattDay(day, start, max(LEVEL_GREEN, dvalue), message, hours)


def parse_signals(data: Any) -> EcowattForecast:
    """Parse an Ecowatt v5 ``signals`` answer; raise ApiResponseError when it has no usable day.

    Malformed days or hours are skipped, not fatal: the rest of the answer is still used.
    """
    if not isinstance(data, dict) or not isinstance(data.get("signals"), list):
        raise ApiResponseError("Ecowatt answer has no 'signals' list")
    days: dict[date, EcowattDay] = {}
    for item in data["signals"]:
        if (day := _parse_day(item)) is not None:
            days[day.day] = day
    if not days:
        raise ApiResponseError("Ecowatt answer has no usable day")
    return EcowattForecast(dict(sorted(days.items())), data)


@dataclass(frozen=True, slots=True)
class TempoCalendar:
    """Tempo colours (``BLUE``, ``WHITE``, ``RED``) by Paris date, and the raw answer."""

    colors: Mapping[date, str]
    raw: dict[str, Any] = field(compare=False, repr=False)

    def color(self, day: date) -> str | None:
        """Return the colour of a Tempo day (it runs 06:00 to 06:00), or None when not published."""
        return self.colors.get(day)

    @property
    def last_day(self) -> date | None:
        """The latest date with a colour."""
        return max(self.colors) if self.colors else None


def tempo_day(when: datetime) -> date:
    """Return the Tempo day in effect at ``when``: a Tempo day runs from 06:00 to 06:00 (Paris)."""
    return (when.astimezone(PARIS) - timedelta(hours=6)).date()


def _tempo_values(data: Any) -> list[Any]:
    """Return the day items of a Tempo answer, whichever shape ``tempo_like_calendars`` has.

    Every answer seen is one calendar object ``{"start_date", "end_date", "values": [...]}``;
    RTE's swagger (v1.1) types it as an array of such calendars, and RTE's user guide shows
    ``values`` as a single day object (an answer for one day). All are read: the values of
    every calendar of an array, a lone day as a list of one, an empty array meaning no colour.
    """
    calendars = data.get("tempo_like_calendars") if isinstance(data, dict) else None
    if isinstance(calendars, dict):
        calendars = [calendars]
    if not isinstance(calendars, list):
        raise ApiResponseError("Tempo answer has no 'tempo_like_calendars'")
    lists = [
        [values] if isinstance(values, dict) else values
        for calendar in calendars
        if isinstance(calendar, dict) and isinstance(values := calendar.get("values"), list | dict)
    ]
    if calendars and not lists:
        raise ApiResponseError("Tempo answer has no 'tempo_like_calendars.values'")
    return [item for values in lists for item in values]


def parse_tempo(data: Any) -> TempoCalendar:
    """Parse a ``tempo_like_calendars`` answer; raise ApiResponseError on a wrong shape."""
    colors: dict[date, str] = {}
    for item in _tempo_values(data):
        if not isinstance(item, dict):
            continue
        parsed = parse_local_day_start(item.get("start_date"))
        value = item.get("value")
        if parsed is not None and isinstance(value, str) and value.upper() in TEMPO_COLORS:
            colors[parsed[0]] = value.upper()
    return TempoCalendar(dict(sorted(colors.items())), data)
