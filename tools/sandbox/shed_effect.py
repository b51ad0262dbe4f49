"""A known shed effect on the simulated household, to validate the shedding report on truth.

During a shed period, loads of a known power are off: each half-hour of the curve loses
``watts`` (never below the home's ``floor_watts``: fridge, box, stand-by are not shed). A share
``rebound`` of the energy removed comes back in the ``rebound_hours`` after the period, most of
it at the start (heating catching up), as a real home does. The truth of each period (energy
removed, energy that came back) is returned beside the modified curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .linky import STEP, CurvePoint


@dataclass(frozen=True, slots=True)
class InjectedShed:
    """A period with loads off: ``[start, end[`` (aware), ``watts`` off, rebound share."""

    start: datetime
    end: datetime
    watts: float = 1500.0
    rebound: float = 0.0
    rebound_hours: int = 3
    floor_watts: float = 400.0


@dataclass(frozen=True, slots=True)
class ShedTruth:
    """What the injected shed really did (Wh)."""

    shed: InjectedShed
    avoided_wh: float
    rebound_wh: float


def apply_sheds(
    points: Sequence[CurvePoint], sheds: Sequence[InjectedShed]
) -> tuple[list[CurvePoint], list[ShedTruth]]:
    """Return the curve with the sheds applied, and each shed's truth."""
    watts = {point.end: float(point.watts) for point in points}
    truths: list[ShedTruth] = []
    for shed in sheds:
        removed_wh = 0.0
        for end, value in watts.items():
            if shed.start <= end - STEP and end <= shed.end:
                cut = min(shed.watts, max(0.0, value - shed.floor_watts))
                watts[end] = value - cut
                removed_wh += cut * STEP.total_seconds() / 3600
        # Rebound: weights decreasing linearly over the half-hours after the end.
        slots = [shed.end + STEP * (i + 1) for i in range(shed.rebound_hours * 2)]
        slots = [end for end in slots if end in watts]
        weights = [len(slots) - i for i in range(len(slots))]
        back_wh = shed.rebound * removed_wh
        for end, weight in zip(slots, weights, strict=True):
            watts[end] += back_wh * weight / sum(weights) * 3600 / STEP.total_seconds()
        truths.append(ShedTruth(shed, removed_wh, back_wh if slots else 0.0))
    curve = [CurvePoint(end, round(value)) for end, value in watts.items()]
    return curve, truths


def hourly_kwh(points: Sequence[CurvePoint]) -> dict[datetime, float]:
    """Energy per UTC hour start (kWh) of a half-hour curve."""
    hourly: dict[datetime, float] = {}
    for point in points:
        start = point.end - STEP
        hour = start.replace(minute=0, second=0, microsecond=0)
        hourly[hour] = hourly.get(hour, 0.0) + point.watts * STEP.total_seconds() / 3.6e6
    return hourly
