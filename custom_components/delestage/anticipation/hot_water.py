"""When the hot-water tank heats around a red period (no Home Assistant).

A tank is a store of heat that lasts a day or more: it is heated in the **last off-peak
window before the period** and kept off during the period, then back to its usual schedule.
French tanks usually sit on a contactor (a ``switch``, no temperature feedback) and already
heat in the off-peak hours; the plan makes sure the last window before the red hours is used
and that nothing heats inside them (a contactor forced on, a ``water_heater`` in
``performance`` mode). Its own thermostat stops the tank when it is full, so heating the whole
window is safe; ``heat_hours`` shortens it to the end of the window (less standby loss before
the period) when the tank's heating time is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from ..report.model import ShedPeriod

# An off-peak window older than this before the period does not count: the tank would have
# cooled (and a usual daily schedule has one within a day).
LOOKBACK: Final = timedelta(hours=24)


class HotWaterReason(StrEnum):
    """Why the tank's plan is what it is."""

    LAST_OFF_PEAK = "last_off_peak"  # heated in the last off-peak window before the period
    NO_OFF_PEAK_BEFORE = "no_off_peak_before"  # no window within LOOKBACK: only kept off
    WINDOW_PASSED = "window_passed"  # planned too late for the window: only kept off
    PERIOD_OVER = "period_over"


@dataclass(frozen=True, slots=True)
class HotWaterPlan:
    """Heat in ``[heat_from, heat_until[`` (if any), off in ``[off_from, off_until[``."""

    reason: HotWaterReason
    heat_from: datetime | None
    heat_until: datetime | None
    off_from: datetime
    off_until: datetime


def daily_windows(
    ranges: Iterable[tuple[time, time]], first: date, last: date, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """Off-peak windows of each local day from ``first`` to ``last`` (``end <= start``: next day).

    ``[(time(22), time(6))]`` is Tempo's off-peak night. Aware, sorted, overlapping ones merged.
    """
    windows: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        for start, end in ranges:
            opens = datetime.combine(day, start, zone)
            closes_day = day if end > start else day + timedelta(days=1)
            windows.append((opens, datetime.combine(closes_day, end, zone)))
        day += timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    for opens, closes in sorted(windows):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def plan_hot_water(
    period: ShedPeriod,
    off_peak: Sequence[tuple[datetime, datetime]],
    *,
    now: datetime,
    heat_hours: float | None = None,
) -> HotWaterPlan:
    """Plan the tank for one period from the off-peak windows (aware ``[start, end[``)."""
    if now >= period.end:
        return HotWaterPlan(HotWaterReason.PERIOD_OVER, None, None, period.end, period.end)
    off_from = max(now, period.start)
    before = [
        (opens, min(closes, period.start))
        for opens, closes in off_peak
        if opens < period.start and min(closes, period.start) > period.start - LOOKBACK
    ]
    if not before:
        return HotWaterPlan(HotWaterReason.NO_OFF_PEAK_BEFORE, None, None, off_from, period.end)
    opens, closes = max(before, key=lambda window: window[1])
    if heat_hours is not None:
        opens = max(opens, closes - timedelta(hours=heat_hours))
    if now >= closes:
        return HotWaterPlan(HotWaterReason.WINDOW_PASSED, None, None, off_from, period.end)
    return HotWaterPlan(HotWaterReason.LAST_OFF_PEAK, max(opens, now), closes, off_from, period.end)
