"""Typed models of RTE's Consumption (v1) and Generation Forecast (v3) answers, and their parsing.

Shapes (``reference/rte-forecast.md`` §1-2; samples in ``tests/forecast/fixtures``)::

    {"short_term": [{"type", "start_date", "end_date", "values": [{"start_date", "end_date",
                     "updated_date", "value"}]}]}
    {"weekly_forecasts": [{"start_date", "end_date", "updated_date",
                           "peak": {"peak_hour", "value", "temperature", "temperature_deviation"},
                           "values": [{"start_date", "end_date", "value"}]}]}
    {"forecasts": [{"type", "production_type", "sub_type"?, "start_date", "end_date",
                    "values": [{"start_date", "end_date", "updated_date", "value",
                                "load_factor"?}]}]}

Values are MW over each slot; the step (15 min, 30 min, 1 h) is read from each slot's own
dates, never assumed. Daily means are taken over the Paris calendar day (23 or 25 hours on
DST days), from the slots inside it; a day is "complete" when slots cover at least 90 % of it.
A malformed slot is skipped, not fatal; an answer without the expected list is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
import math
from typing import Any, Final

from .errors import ApiResponseError
from .rte_models import PARIS, local_midnight

# Share of a day the slots must cover for its daily mean to count.
COMPLETE_DAY: Final = 0.9


def _instant(value: Any) -> datetime | None:
    """Parse an RTE date-time (offset, ``Z`` or none = Paris) into UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PARIS)
    return parsed.astimezone(UTC)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class PowerSlot:
    """A mean power (MW) over ``start`` → ``end`` (UTC), as updated by RTE at ``updated``."""

    start: datetime
    end: datetime
    value: float
    updated: datetime | None = None
    load_factor: float | None = None

    @property
    def hours(self) -> float:
        """Length of the slot in hours."""
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class DailyMean:
    """Mean power of one Paris day and the share of the day the slots covered."""

    day: date
    mean: float
    coverage: float

    @property
    def complete(self) -> bool:
        """Whether enough of the day is covered for the mean to stand for the day."""
        return self.coverage >= COMPLETE_DAY


def _parse_slot(item: Any) -> PowerSlot | None:
    if not isinstance(item, dict):
        return None
    start, end = _instant(item.get("start_date")), _instant(item.get("end_date"))
    value = _number(item.get("value"))
    if start is None or end is None or value is None or end <= start:
        return None
    return PowerSlot(
        start, end, value, _instant(item.get("updated_date")), _number(item.get("load_factor"))
    )


def _slots(values: Any) -> tuple[PowerSlot, ...]:
    return tuple(
        slot
        for value in (values if isinstance(values, list) else ())
        if (slot := _parse_slot(value)) is not None
    )


def daily_means(slots: Iterable[PowerSlot]) -> dict[date, DailyMean]:
    """Time-weighted mean power of each Paris day the slots touch.

    Overlapping slots (the same instant given twice) count once: the latest updated wins.
    """
    latest: dict[datetime, PowerSlot] = {}
    for slot in slots:
        known = latest.get(slot.start)
        if known is None or (slot.updated or slot.start) >= (known.updated or known.start):
            latest[slot.start] = slot
    energy: dict[date, float] = {}
    covered: dict[date, float] = {}
    for slot in latest.values():
        # A slot belongs to the Paris day of its start (slots never straddle midnight).
        day = slot.start.astimezone(PARIS).date()
        energy[day] = energy.get(day, 0.0) + slot.value * slot.hours
        covered[day] = covered.get(day, 0.0) + slot.hours
    result: dict[date, DailyMean] = {}
    for day, hours in sorted(covered.items()):
        length = (local_midnight(day + timedelta(days=1)) - local_midnight(day)).total_seconds()
        result[day] = DailyMean(day, energy[day] / hours, min(1.0, hours * 3600 / length))
    return result


@dataclass(frozen=True, slots=True)
class PowerSeries:
    """One forecast (or realised) curve: its kind (``D-1``, ``REALISED``…) and slots."""

    kind: str
    slots: tuple[PowerSlot, ...]
    production_type: str | None = None
    sub_type: str | None = None

    def daily_means(self) -> dict[date, DailyMean]:
        """Mean MW of each Paris day of the curve."""
        return daily_means(self.slots)

    @property
    def updated(self) -> datetime | None:
        """When RTE last updated the curve."""
        stamps = [slot.updated for slot in self.slots if slot.updated is not None]
        return max(stamps) if stamps else None


@dataclass(frozen=True)
class ShortTermConsumption:
    """The ``short_term`` answer: one curve per type (``REALISED``, ``ID``, ``D-1``, ``D-2``)."""

    series: Mapping[str, PowerSeries]
    raw: dict[str, Any] = field(compare=False, repr=False)

    def get(self, kind: str) -> PowerSeries | None:
        """Return the curve of one type, or None when RTE gave none."""
        return self.series.get(kind)


@dataclass(frozen=True, slots=True)
class Peak:
    """A day's forecast peak: when, how much (MW), at which temperature (°C, and vs normal)."""

    at: datetime | None
    value: float | None
    temperature: float | None
    temperature_deviation: float | None


@dataclass(frozen=True, slots=True)
class WeeklyDay:
    """One day of the ``weekly_forecasts`` answer."""

    day: date
    updated: datetime | None
    peak: Peak | None
    slots: tuple[PowerSlot, ...]

    @property
    def mean(self) -> DailyMean | None:
        """Mean MW over the day."""
        return daily_means(self.slots).get(self.day)


@dataclass(frozen=True)
class WeeklyConsumption:
    """The ``weekly_forecasts`` answer: one forecast per Paris day (D-3…D-9 in practice)."""

    days: Mapping[date, WeeklyDay]
    raw: dict[str, Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class GenerationForecast:
    """The Generation Forecast ``forecasts`` answer: curves by production type and kind."""

    series: tuple[PowerSeries, ...]
    raw: dict[str, Any] = field(compare=False, repr=False)

    def daily_means(self, production_type: str, kind: str | None = None) -> dict[date, DailyMean]:
        """Mean MW by Paris day of one production type (every curve of it, or one kind)."""
        slots = [
            slot
            for series in self.series
            if series.production_type == production_type and kind in (None, series.kind)
            for slot in series.slots
        ]
        return daily_means(slots)


def _list_of(data: Any, key: str, what: str) -> list[Any]:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ApiResponseError(f"{what} answer has no '{key}' list")
    return items


def _series(item: Any) -> PowerSeries | None:
    if not isinstance(item, dict) or not isinstance(kind := item.get("type"), str):
        return None
    slots = _slots(item.get("values"))
    production_type = item.get("production_type")
    sub_type = item.get("sub_type")
    return PowerSeries(
        kind.upper(),
        slots,
        production_type if isinstance(production_type, str) else None,
        sub_type if isinstance(sub_type, str) else None,
    )


def parse_short_term(data: Any) -> ShortTermConsumption:
    """Parse a Consumption ``short_term`` answer."""
    series: dict[str, PowerSeries] = {}
    for item in _list_of(data, "short_term", "Consumption short_term"):
        if (parsed := _series(item)) is not None:
            known = series.get(parsed.kind)
            slots = parsed.slots if known is None else known.slots + parsed.slots
            series[parsed.kind] = PowerSeries(parsed.kind, slots)
    return ShortTermConsumption(series, data)


def _peak(data: Any) -> Peak | None:
    if not isinstance(data, dict):
        return None
    return Peak(
        _instant(data.get("peak_hour")),
        _number(data.get("value")),
        _number(data.get("temperature")),
        _number(data.get("temperature_deviation")),
    )


def parse_weekly(data: Any) -> WeeklyConsumption:
    """Parse a Consumption ``weekly_forecasts`` answer (one block per day)."""
    days: dict[date, WeeklyDay] = {}
    for item in _list_of(data, "weekly_forecasts", "Consumption weekly_forecasts"):
        if not isinstance(item, dict) or (start := _instant(item.get("start_date"))) is None:
            continue
        day = start.astimezone(PARIS).date()
        days[day] = WeeklyDay(
            day,
            _instant(item.get("updated_date")),
            _peak(item.get("peak")),
            _slots(item.get("values")),
        )
    return WeeklyConsumption(dict(sorted(days.items())), data)


def parse_generation(data: Any) -> GenerationForecast:
    """Parse a Generation Forecast ``forecasts`` answer."""
    series = tuple(
        parsed
        for item in _list_of(data, "forecasts", "Generation forecast")
        if (parsed := _series(item)) is not None
    )
    return GenerationForecast(series, data)
