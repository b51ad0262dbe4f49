"""Synthetic Linky readings: a household's 30-minute load curve, daily energy and max power.

Consumption: base load, presence peaks (weekdays vs weekends), electric heating that grows as
the outdoor temperature (``weather``) drops, and a water heater on off-peak hours (23:00-07:30).
Production: a small PV array following the simulated sunshine.
All times are interval ends in local wall time, as Enedis sends them (enedis.md §7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
import hashlib

from . import weather
from .weather import PARIS

STEP = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One load-curve point: average power (W) over the step ending at ``end``."""

    end: datetime  # aware, UTC
    watts: int

    @property
    def wall_end(self) -> str:
        """End of the interval as Enedis writes it: local wall time, no offset."""
        return self.end.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")

    @property
    def wall_start(self) -> str:
        """Start of the interval in local wall time (MyElectricalData's convention)."""
        return (self.end - STEP).astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")


def _noise(key: str) -> float:
    """Deterministic noise in [-1, 1] for a key."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0x7FFFFFFF - 1.0


def consumption_watts(
    prm: str, start: datetime, outdoor_c: Callable[[datetime], float] | None = None
) -> int:
    """Average consumption (W) over the half-hour starting at ``start`` (aware).

    ``outdoor_c`` gives the outdoor temperature at a time (default: the simulated weather);
    the shedding report's benchmark passes its own random weather.
    """
    middle = start + STEP / 2
    local = middle.astimezone(PARIS)
    hour = local.hour + local.minute / 60
    weekend = local.weekday() >= 5
    watts = 280.0 + 60.0 * _noise(f"{prm}base{start.isoformat()}")
    if weekend:
        if 8.5 <= hour < 23:
            watts += 450
        if 11.5 <= hour < 13.5:
            watts += 1500
        if 19 <= hour < 21:
            watts += 1100
    else:
        if 6.5 <= hour < 8.5:
            watts += 900
        if 12 <= hour < 13.5:
            watts += 150
        if 18 <= hour < 22.5:
            watts += 1200 if hour < 20.5 else 500
    outdoor = (outdoor_c or weather.temperature_c)(middle)
    heating = max(0.0, 17.0 - outdoor) * 130.0
    if hour >= 23 or hour < 6 or (not weekend and 9 <= hour < 17):
        heating *= 0.6  # lower set point at night and while nobody is home
    watts += heating
    if hour >= 23 or hour < 1.5 or (outdoor < 8 and 1.5 <= hour < 2.5):
        watts += 2200  # water heater on off-peak hours
    watts *= 1.0 + 0.08 * _noise(f"{prm}{start.isoformat()}")
    return max(0, round(watts))


def production_watts(prm: str, start: datetime, peak_watts: float = 3000.0) -> int:
    """Average PV production (W) over the half-hour starting at ``start``."""
    middle = start + STEP / 2
    irradiance = weather.solar_irradiance_wm2(middle)
    value = peak_watts * irradiance / 1000.0 * (1.0 + 0.03 * _noise(f"{prm}pv{start}"))
    return max(0, round(value))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC start and end of a local day (23 h, 24 h or 25 h long)."""
    start = datetime.combine(day, time(), tzinfo=PARIS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=PARIS).astimezone(UTC)
    return start, end


def curve(prm: str, first: date, last: date, *, production: bool = False) -> list[CurvePoint]:
    """Points of the local days ``first`` .. ``last`` (inclusive), 46/48/50 per day."""
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    points = []
    at = start
    while at < end:
        watts = production_watts(prm, at) if production else consumption_watts(prm, at)
        points.append(CurvePoint(at + STEP, watts))
        at += STEP
    return points


def daily_wh(prm: str, day: date, *, production: bool = False) -> int:
    """Energy of a local day (Wh): the sum of its curve (W x 0.5 h)."""
    return round(sum(p.watts for p in curve(prm, day, day, production=production)) / 2)


def max_power(prm: str, day: date) -> tuple[int, str]:
    """Max apparent power of a local day (VA) and when it happened (local wall time)."""
    points = curve(prm, day, day)
    peak = max(points, key=lambda p: p.watts)
    seconds = int(abs(_noise(f"{prm}peak{day}")) * 1799)
    when = (peak.end - STEP + timedelta(seconds=seconds)).astimezone(PARIS)
    return round(peak.watts * 1.35), when.strftime("%Y-%m-%d %H:%M:%S")
