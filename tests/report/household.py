"""The simulator's household with random weather and known sheds: the report's ground truth.

Used by the validation benchmark (``test_bench.py``) and by the unit tests. The curve is the
simulator's own (``tools/sandbox/linky.py``, heating driven by the outdoor temperature); the
weather is the simulator's season plus random weather systems (an AR(1) anomaly of a few
degrees per day and per hour), the same series feeding the house and the "station".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
import random

from custom_components.delestage.report.model import PeriodKind, ShedPeriod, is_day_off
from tools.sandbox import linky, weather
from tools.sandbox.shed_effect import InjectedShed, ShedTruth, apply_sheds, hourly_kwh

PARIS = weather.PARIS
PRM = "12345678901234"
HOUR = timedelta(hours=1)
# The fields of a ``delestage.shedding_report`` row (DESIGN.md §2), exactly.
ROW_FIELDS = frozenset(
    {
        "start",
        "end",
        "kind",
        "consumption_kwh",
        "baseline_kwh",
        "avoided_kwh",
        "avoided_cost_eur",
        "outdoor_temperature_c",
    }
)


@dataclass(frozen=True, slots=True)
class Season:
    """Simulated data of a season and the truth of its sheds."""

    consumption: dict[datetime, float]
    temperature: dict[datetime, float]
    periods: list[ShedPeriod]
    truths: list[ShedTruth]


class RandomWeather:
    """Hourly temperatures: the simulator's climate plus random day-to-day weather."""

    def __init__(self, rng: random.Random, first: datetime, last: datetime) -> None:
        """Draw the random anomaly of every hour of ``[first, last]``."""
        self.by_hour: dict[datetime, float] = {}
        daily = rng.gauss(0, 3)
        hourly = 0.0
        at = first
        while at <= last:
            if at.astimezone(PARIS).hour == 0:
                daily = 0.7 * daily + rng.gauss(0, 2.2)  # cold spells last a few days
            hourly = 0.8 * hourly + rng.gauss(0, 0.5)
            self.by_hour[at] = weather.temperature_c(at) + daily + hourly
            at += HOUR

    def __call__(self, at: datetime) -> float:
        """Temperature at ``at`` (linear between the hourly values)."""
        hour = at.replace(minute=0, second=0, microsecond=0)
        low = self.by_hour[hour]
        high = self.by_hour.get(hour + HOUR, low)
        share = (at - hour).total_seconds() / 3600
        return low + (high - low) * share


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), PARIS).astimezone(UTC)


def simulate(
    seed: int,
    *,
    first: date = date(2026, 12, 1),
    days: int = 60,
    periods: int = 8,
    shed_watts: float = 1500.0,
    rebound: float = 0.3,
    explicit: list[ShedPeriod] | None = None,
) -> Season:
    """60 winter days, 8 shed periods on random days (after two weeks of history).

    ``explicit`` replaces the random periods by these.
    """
    rng = random.Random(seed)
    last = first + timedelta(days=days - 1)
    start, _ = linky.day_bounds(first)
    _, end = linky.day_bounds(last)
    outdoor = RandomWeather(rng, start, end)
    dates = [first + timedelta(days=n) for n in range(15, days)]
    working = [day for day in dates if not is_day_off(day)]
    chosen = sorted(rng.sample(working, periods)) if explicit is None else []
    kinds = [PeriodKind.TEMPO_RED, PeriodKind.ECOWATT_RED, PeriodKind.ECOWATT_ORANGE]
    shed_periods: list[ShedPeriod] = []
    for number, day in enumerate(chosen):
        kind = kinds[number % 3]
        if kind is PeriodKind.TEMPO_RED:
            span = (_at(day, 6), _at(day, 22))
        else:
            begin = rng.choice([7, 8, 17, 18, 19])
            span = (_at(day, begin), _at(day, begin + rng.choice([2, 3])))
        shed_periods.append(ShedPeriod(span[0], span[1], kind))
    shed_periods.extend(explicit or [])
    points = []
    at = start
    while at < end:
        points.append(linky.CurvePoint(at + linky.STEP, linky.consumption_watts(PRM, at, outdoor)))
        at += linky.STEP
    sheds = [InjectedShed(p.start, p.end, watts=shed_watts, rebound=rebound) for p in shed_periods]
    curve, truths = apply_sheds(points, sheds)
    # The station reports the hourly mean (two half-hour samples, like the recorder's mean).
    temperature = {
        hour: (outdoor(hour + timedelta(minutes=15)) + outdoor(hour + timedelta(minutes=45))) / 2
        for hour in outdoor.by_hour
        if hour < end
    }
    return Season(hourly_kwh(curve), temperature, shed_periods, truths)
