"""What each shed period saved: baseline, avoided energy, rebound, money (no Home Assistant).

Inputs are plain mappings keyed by aware UTC hour starts: the home's hourly consumption (kWh,
from the Linky statistics), the outdoor temperature (°C, the hourly mean of a Météo-France
station) and the price of each hour (€/kWh). Everything here is a pure function, so the
validation benchmark (``tests/report/test_bench.py``) runs the very code Home Assistant runs.

Method (documented in docs/shedding-report.md, "Did shedding work?"):

1. **Comparable days.** For an hour of a shed period on local day D, the samples are the same
   local clock hour on the most recent :data:`COMPARABLE_DAYS` days before D, within
   :data:`LOOKBACK_DAYS`, of the same kind (working day, or weekend / French public holiday)
   and not touched by any shed period or its rebound window. Only days *before* D are used:
   the figure of a period is final once its own data (and the weeks before it) are in, and
   does not drift when later days arrive.
2. **Heating model.** On the same window (every hour of the untouched days), a degree-hour
   regression ``kWh = a[g] + k[g] · max(0, Tb − T)`` where ``g`` is (kind of day, clock
   hour): ``a[g]`` absorbs the daily routine, ``k[g]`` the heating power per degree at that
   hour (set points change over the day), shrunk towards the home's overall slope so a few
   noisy days cannot bend one hour. The base temperature ``Tb`` is the one of
   :data:`BASE_TEMPERATURES` that fits best (least squares). A home whose consumption does
   not grow with the cold (``k <= 0``), or too little data, gets no model.
3. **Baseline.** ``a[g]`` is re-estimated on the comparable samples, each corrected to its own
   temperature, and the baseline of the hour is ``a[g] + k[g] · max(0, Tb − T_hour)``: what
   the home uses at that clock hour on such a day, *at the temperature of the period*. Without
   temperatures (no Météo-France entry) or without a model it is the plain mean of the
   samples, and the result says so (``weather_adjusted`` False).
4. **Result.** Avoided = baseline − consumption over the period's hours (negative: the period
   cost more than usual). Rebound = consumption − baseline over the :data:`REBOUND_HOURS`
   hours after it (heating catching up). Money = each hour's avoided kWh × that hour's price.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
import hashlib
from statistics import fmean, median_low
from typing import Final
from zoneinfo import ZoneInfo

PARIS: Final = ZoneInfo("Europe/Paris")
HOUR: Final = timedelta(hours=1)

COMPARABLE_DAYS: Final = 10
LOOKBACK_DAYS: Final = 42
REBOUND_HOURS: Final = 3
# Candidate base temperatures of the heating model (°C).
BASE_TEMPERATURES: Final = tuple(10.0 + 0.5 * step for step in range(21))  # 10 .. 20 °C
# Base temperature when the data cannot tell (French degree-day convention, "DJU base 18").
CONVENTIONAL_BASE: Final = 18.0
# Fits of one clock hour whose errors differ by less than this share are as good as each other.
TIE: Final = 0.02
# Fewer untouched days than this in the window: no heating model.
MIN_FIT_DAYS: Final = 7
# Shrinkage of each clock hour's slope towards the overall one, in "hours of typical spread".
SHRINK_HOURS: Final = 6.0
# Tempo red days: the red hours run from 06:00 to 22:00 (local time).
TEMPO_RED_START: Final = time(6)
TEMPO_RED_END: Final = time(22)


class PeriodKind(StrEnum):
    """Why the grid asked: an Ecowatt run (its highest level) or a Tempo red day."""

    ECOWATT_RED = "ecowatt_red"
    ECOWATT_ORANGE = "ecowatt_orange"
    TEMPO_RED = "tempo_red"


# When signals overlap (a red Ecowatt run on a Tempo red day), the period takes the strongest.
KIND_PRIORITY: Final = {
    PeriodKind.ECOWATT_RED: 3,
    PeriodKind.TEMPO_RED: 2,
    PeriodKind.ECOWATT_ORANGE: 1,
}


class ResultStatus(StrEnum):
    """Whether a period's figures could be computed."""

    OK = "ok"
    NO_DATA = "no_data"  # no Linky hour of the period yet (published the morning after)
    INCOMPLETE = "incomplete"  # some hours of the period are missing: wait for late data
    NO_COMPARABLE_DAYS = "no_comparable_days"  # nothing to compare with (first weeks of data)


@dataclass(frozen=True, slots=True)
class ShedPeriod:
    """A stretch of time the grid asked to save and the home shed loads."""

    start: datetime  # aware
    end: datetime  # aware, exclusive
    kind: PeriodKind

    def hours(self) -> list[datetime]:
        """UTC starts of the hours the period overlaps."""
        return hours_between(self.start, self.end)


def floor_hour(moment: datetime) -> datetime:
    """Return the UTC start of the hour holding ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    """UTC starts of the hours overlapping ``[start, end[``."""
    hours: list[datetime] = []
    hour = floor_hour(start)
    while hour < end:
        hours.append(hour)
        hour += HOUR
    return hours


# --------------------------------------------------------------------------- periods


def tempo_red_period(day: date) -> ShedPeriod:
    """Return the red hours of a Tempo red day: 06:00 to 22:00 local time."""
    return ShedPeriod(
        datetime.combine(day, TEMPO_RED_START, PARIS).astimezone(UTC),
        datetime.combine(day, TEMPO_RED_END, PARIS).astimezone(UTC),
        PeriodKind.TEMPO_RED,
    )


def merge_periods(periods: Iterable[ShedPeriod]) -> list[ShedPeriod]:
    """Merge overlapping or touching periods; a merged period takes the strongest kind."""
    merged: list[ShedPeriod] = []
    for period in sorted(periods, key=lambda p: (p.start, p.end)):
        if merged and period.start <= merged[-1].end:
            last = merged[-1]
            kind = max(last.kind, period.kind, key=KIND_PRIORITY.__getitem__)
            merged[-1] = ShedPeriod(last.start, max(last.end, period.end), kind)
        else:
            merged.append(period)
    return merged


def shed_periods(
    signals: Iterable[ShedPeriod],
    active: Iterable[tuple[datetime, datetime]] | None,
) -> list[ShedPeriod]:
    """Return the parts of the grid's periods during which a shedding group was active.

    ``active`` None means "not known" (no shedding history): every signal period counts.
    """
    merged = merge_periods(signals)
    if active is None:
        return merged
    spans = sorted(active)
    result: list[ShedPeriod] = []
    for period in merged:
        for start, end in spans:
            lo, hi = max(period.start, start), min(period.end, end)
            if lo < hi:
                result.append(ShedPeriod(lo, hi, period.kind))
    return merge_periods(result)


# --------------------------------------------------------------------------- calendar


def _easter(year: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, (b, c) = year % 19, divmod(year, 100)
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def french_holidays(year: int) -> set[date]:
    """Public holidays of metropolitan France."""
    easter = _easter(year)
    fixed = {(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)}
    return {date(year, m, d) for m, d in fixed} | {
        easter + timedelta(days=1),  # Easter Monday
        easter + timedelta(days=39),  # Ascension
        easter + timedelta(days=50),  # Whit Monday
    }


def is_day_off(day: date) -> bool:
    """Weekend or public holiday: the home lives like on a Sunday."""
    return day.weekday() >= 5 or day in french_holidays(day.year)


# --------------------------------------------------------------------------- heating model


@dataclass(frozen=True, slots=True)
class HeatingModel:
    """Degree-hour heating model: kWh per degree below ``base_temperature_c``, per group."""

    base_temperature_c: float
    slope: float  # the home's overall kWh per degree-hour
    slopes: Mapping[tuple[bool, int], float]  # per (day off, local clock hour)
    days: int  # untouched days it was fitted on

    def degree_hours(self, temperature: float) -> float:
        """Heating degrees for an hour at ``temperature``."""
        return max(0.0, self.base_temperature_c - temperature)

    def slope_of(self, group: tuple[bool, int]) -> float:
        """Return the kWh per degree-hour of a group (the overall slope for an unseen one)."""
        return self.slopes.get(group, self.slope)


def _group(hour: datetime) -> tuple[bool, int]:
    local = hour.astimezone(PARIS)
    return is_day_off(local.date()), local.hour


def fit_heating_model(
    consumption: Mapping[datetime, float],
    temperature: Mapping[datetime, float],
    hours: Iterable[datetime],
) -> HeatingModel | None:
    """Fit the degree-hour model on ``hours`` (those with both values); None when unusable."""
    samples: dict[tuple[bool, int], list[tuple[float, float]]] = defaultdict(list)
    days: set[date] = set()
    for hour in hours:
        kwh, temp = consumption.get(hour), temperature.get(hour)
        if kwh is None or temp is None:
            continue
        samples[_group(hour)].append((kwh, temp))
        days.add(hour.astimezone(PARIS).date())
    if len(days) < MIN_FIT_DAYS:
        return None
    fits = {base: fit for base in BASE_TEMPERATURES if (fit := _fit_at(samples, base))}
    if not fits:
        return None
    # Each clock hour votes for the base temperature that fits it best; the median vote wins.
    # A vote, not the total error: one hour with a step of its own (a water heater that runs
    # longer below 8 °C) must not bend the heating curve of every other hour.
    votes: list[float] = []
    for group in samples:
        errors = {base: fit[2][group] for base, fit in fits.items() if group in fit[2]}
        if errors:
            least = min(errors.values())
            tied = [base for base, sse in errors.items() if sse <= least * (1 + TIE) + 1e-12]
            # Fits that the data cannot tell apart (temperatures all below the candidates, or
            # a handful above): the one nearest the French convention, 18 °C.
            votes.append(min(tied, key=lambda base: abs(base - CONVENTIONAL_BASE)))
    base = median_low(votes)
    slope, slopes, _ = fits[base]
    if slope <= 0:
        return None
    return HeatingModel(base, slope, slopes, len(days))


def _fit_at(
    samples: Mapping[tuple[bool, int], list[tuple[float, float]]], base: float
) -> tuple[float, dict[tuple[bool, int], float], dict[tuple[bool, int], float]] | None:
    """Least squares with a mean per group: (overall slope, slope and error of each group)."""
    centred: dict[tuple[bool, int], tuple[list[float], list[float]]] = {}
    sxy = sxx = 0.0
    count = 0
    for group, values in samples.items():
        if len(values) < 2:
            continue
        xs = [max(0.0, base - temp) for _, temp in values]
        ys = [kwh for kwh, _ in values]
        mx, my = fmean(xs), fmean(ys)
        dx = [x - mx for x in xs]
        dy = [y - my for y in ys]
        centred[group] = (dx, dy)
        sxy += sum(a * b for a, b in zip(dx, dy, strict=True))
        sxx += sum(a * a for a in dx)
        count += len(dx)
    if sxx <= 1e-9:
        return None
    slope = sxy / sxx
    shrink = SHRINK_HOURS * sxx / count
    slopes: dict[tuple[bool, int], float] = {}
    errors: dict[tuple[bool, int], float] = {}
    for group, (dx, dy) in centred.items():
        gxy = sum(a * b for a, b in zip(dx, dy, strict=True))
        gxx = sum(a * a for a in dx)
        k = max(0.0, (gxy + shrink * slope) / (gxx + shrink))
        slopes[group] = k
        errors[group] = sum((b - k * a) ** 2 for a, b in zip(dx, dy, strict=True))
    return slope, slopes, errors


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class PeriodResult:
    """What one shed period used, would have used, and saved."""

    period: ShedPeriod
    status: ResultStatus
    consumption_kwh: float | None = None
    baseline_kwh: float | None = None
    avoided_kwh: float | None = None
    rebound_kwh: float | None = None
    avoided_cost_eur: float | None = None
    outdoor_temperature_c: float | None = None
    weather_adjusted: bool = False
    comparable_days: int = 0
    baseline_by_hour: Mapping[datetime, float] = field(default_factory=dict)
    avoided_by_hour: Mapping[datetime, float] = field(default_factory=dict)

    def as_row(self) -> dict[str, str | float | None]:
        """Return the ``delestage.shedding_report`` row (DESIGN.md §2: exactly these fields)."""
        return {
            "start": self.period.start.astimezone(PARIS).isoformat(),
            "end": self.period.end.astimezone(PARIS).isoformat(),
            "kind": self.period.kind.value,
            "consumption_kwh": _round(self.consumption_kwh, 3),
            "baseline_kwh": _round(self.baseline_kwh, 3),
            "avoided_kwh": _round(self.avoided_kwh, 3),
            "avoided_cost_eur": _round(self.avoided_cost_eur, 2),
            "outdoor_temperature_c": _round(self.outdoor_temperature_c, 1),
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(slots=True)
class LocalIndex:
    """UTC hour starts by (local day, local clock hour); the first of a repeated DST hour."""

    by_day: dict[date, dict[int, datetime]]

    @classmethod
    def of(cls, hours: Iterable[datetime]) -> LocalIndex:
        """Index the hours of a consumption series."""
        by_day: dict[date, dict[int, datetime]] = defaultdict(dict)
        for hour in sorted(hours):
            local = hour.astimezone(PARIS)
            by_day[local.date()].setdefault(local.hour, hour)
        return cls(by_day)

    def hours_of(self, days: Iterable[date]) -> list[datetime]:
        """Return the UTC hours of ``days`` (one per local clock hour), in the order of ``days``."""
        return [hour for day in days for hour in self.by_day.get(day, {}).values()]


def comparable_window(
    period: ShedPeriod, all_periods: Sequence[ShedPeriod], rebound_hours: int = REBOUND_HOURS
) -> list[date]:
    """Return the days a period is compared with: :data:`LOOKBACK_DAYS` back, untouched ones.

    Most recent first; a day touched by any period or its rebound window is left out.
    """
    excluded = touched_days([period, *all_periods], rebound_hours)
    first_day = period.start.astimezone(PARIS).date()
    return [
        first_day - timedelta(days=back)
        for back in range(1, LOOKBACK_DAYS + 1)
        if first_day - timedelta(days=back) not in excluded
    ]


def rebound_window(
    period: ShedPeriod, all_periods: Sequence[ShedPeriod], rebound_hours: int = REBOUND_HOURS
) -> list[datetime]:
    """Return the hours after a period that measure its rebound (not another period's)."""
    return [
        h
        for h in hours_between(period.end, period.end + rebound_hours * HOUR)
        if not any(p.start <= h < p.end for p in all_periods)
    ]


def touched_days(periods: Iterable[ShedPeriod], rebound_hours: int = REBOUND_HOURS) -> set[date]:
    """Local days touched by a period or its rebound window: never a comparable day."""
    days: set[date] = set()
    for period in periods:
        for hour in hours_between(period.start, period.end + rebound_hours * HOUR):
            days.add(hour.astimezone(PARIS).date())
    return days


def compute_period(
    period: ShedPeriod,
    consumption: Mapping[datetime, float],
    temperature: Mapping[datetime, float] | None = None,
    prices: Mapping[datetime, float] | None = None,
    *,
    all_periods: Sequence[ShedPeriod] = (),
    rebound_hours: int = REBOUND_HOURS,
    index: LocalIndex | None = None,
) -> PeriodResult:
    """Compute one period's figures (see the module doc for the method).

    ``all_periods`` are every shed period known (their days are never comparable days);
    ``temperature`` None (no Météo-France entry) gives the unadjusted baseline.
    """
    hours = period.hours()
    present = [h for h in hours if h in consumption]
    if not present:
        return PeriodResult(period, ResultStatus.NO_DATA)
    if len(present) < len(hours):
        return PeriodResult(period, ResultStatus.INCOMPLETE)
    index = index or LocalIndex.of(consumption)
    window = comparable_window(period, all_periods, rebound_hours)
    model = None
    if temperature:
        model = fit_heating_model(consumption, temperature, index.hours_of(window))
    rebound_span = rebound_window(period, all_periods, rebound_hours)
    baseline: dict[datetime, float] = {}
    used_days: set[date] = set()
    for hour in [*hours, *rebound_span]:
        value = _hour_baseline(hour, consumption, temperature, model, window, index, used_days)
        if value is None:
            if hour in rebound_span:
                continue
            return PeriodResult(period, ResultStatus.NO_COMPARABLE_DAYS)
        baseline[hour] = value
    used = sum(consumption[h] for h in hours)
    usual = sum(baseline[h] for h in hours)
    avoided_by_hour = {h: baseline[h] - consumption[h] for h in hours}
    rebound = None
    if rebound_span and all(h in consumption and h in baseline for h in rebound_span):
        rebound = sum(consumption[h] - baseline[h] for h in rebound_span)
    temps = [temperature[h] for h in hours if temperature and h in temperature]
    return PeriodResult(
        period,
        ResultStatus.OK,
        consumption_kwh=used,
        baseline_kwh=usual,
        avoided_kwh=usual - used,
        rebound_kwh=rebound,
        avoided_cost_eur=_cost(avoided_by_hour, prices),
        outdoor_temperature_c=fmean(temps) if temps else None,
        weather_adjusted=model is not None and len(temps) == len(hours),
        comparable_days=len(used_days),
        baseline_by_hour={h: baseline[h] for h in hours},
        avoided_by_hour=avoided_by_hour,
    )


def _hour_baseline(  # noqa: PLR0917 - the inputs of one hour's estimate
    hour: datetime,
    consumption: Mapping[datetime, float],
    temperature: Mapping[datetime, float] | None,
    model: HeatingModel | None,
    window: Sequence[date],
    index: LocalIndex,
    used_days: set[date],
) -> float | None:
    """Baseline of one hour from the same clock hour on comparable days (None: none)."""
    local = hour.astimezone(PARIS)
    day_off = is_day_off(local.date())
    target_temp = temperature.get(hour) if temperature else None
    adjust = model is not None and target_temp is not None
    samples: list[tuple[date, float, float | None]] = []
    for day in window:  # most recent first
        if is_day_off(day) != day_off:
            continue
        same = index.by_day.get(day, {}).get(local.hour)
        if same is None or same not in consumption:
            continue
        temp = temperature.get(same) if temperature else None
        if adjust and temp is None:
            continue
        samples.append((day, consumption[same], temp))
        if len(samples) == COMPARABLE_DAYS:
            break
    if not samples:
        return None
    used_days.update(day for day, _, _ in samples)
    if model is None or target_temp is None:
        return fmean(kwh for _, kwh, _ in samples)
    slope = model.slope_of((day_off, local.hour))
    # a[g]: the samples brought to 0 degree-hours, then taken to the period's temperature.
    level = fmean(kwh - slope * model.degree_hours(t) for _, kwh, t in samples if t is not None)
    return max(0.0, level + slope * model.degree_hours(target_temp))


def _cost(
    avoided: Mapping[datetime, float], prices: Mapping[datetime, float] | None
) -> float | None:
    """€ avoided: each hour's kWh at its price; an hour without price takes the period's mean."""
    if not prices:
        return None
    known = [prices[h] for h in avoided if h in prices]
    if not known:
        return None
    fallback = fmean(known)
    return sum(kwh * prices.get(h, fallback) for h, kwh in avoided.items())


def prices_from_cost(
    consumption: Mapping[datetime, float], cost: Mapping[datetime, float]
) -> dict[datetime, float]:
    """€/kWh of each hour from the hourly cost statistic (hours with some consumption)."""
    return {
        hour: euros / consumption[hour]
        for hour, euros in cost.items()
        if consumption.get(hour, 0.0) > 0.001
    }


class DayDigests(dict[date, bytes]):
    """Digest of the consumption and temperature of each local day, computed when first asked."""

    def __init__(
        self,
        consumption: Mapping[datetime, float],
        temperature: Mapping[datetime, float] | None,
        index: LocalIndex,
    ) -> None:
        """Digest the days of ``index`` on demand."""
        super().__init__()
        self._consumption = consumption
        self._temperature = temperature or {}
        self._index = index

    def __missing__(self, day: date) -> bytes:
        """Digest one day's hours (those :class:`LocalIndex` keeps), store and return it."""
        values = [
            (hour.timestamp(), self._consumption.get(hour), self._temperature.get(hour))
            for hour in self._index.hours_of([day])
        ]
        self[day] = digest = hashlib.blake2b(repr(values).encode(), digest_size=16).digest()
        return digest


def inputs_digest(  # noqa: PLR0917 - what one period's computation reads
    period: ShedPeriod,
    consumption: Mapping[datetime, float],
    temperature: Mapping[datetime, float] | None,
    prices: Mapping[datetime, float] | None,
    all_periods: Sequence[ShedPeriod],
    rebound_hours: int,
    days: Mapping[date, bytes],
) -> bytes:
    """Return a digest of all :func:`compute_period` reads for ``period``: same digest, same result.

    The period, the days it is compared with and its rebound hours (both depend on the periods
    around it), the consumption and temperature of those days (``days``: :class:`DayDigests`)
    and of its own and rebound hours, the prices of its own hours, and whether temperatures
    and prices exist at all.
    """
    hours = period.hours()
    window = comparable_window(period, all_periods, rebound_hours)
    own = [*hours, *rebound_window(period, all_periods, rebound_hours)]
    temps, costs = temperature or {}, prices or {}
    inputs = (
        period.start.timestamp(),
        period.end.timestamp(),
        period.kind.value,
        rebound_hours,
        bool(temperature),
        bool(prices),
        [(day.toordinal(), days[day]) for day in window],
        [(hour.timestamp(), consumption.get(hour), temps.get(hour)) for hour in own],
        [costs.get(hour) for hour in hours],
    )
    return hashlib.blake2b(repr(inputs).encode(), digest_size=16).digest()


def compute_report(
    periods: Iterable[ShedPeriod],
    consumption: Mapping[datetime, float],
    temperature: Mapping[datetime, float] | None = None,
    prices: Mapping[datetime, float] | None = None,
    *,
    rebound_hours: int = REBOUND_HOURS,
    cache: MutableMapping[bytes, PeriodResult] | None = None,
) -> list[PeriodResult]:
    """Compute every period (oldest first).

    With ``cache`` (results by :func:`inputs_digest`), a period whose inputs did not change
    since it was computed is taken from it, not computed again; afterwards the cache holds the
    results of this run only (a period gone, or whose inputs changed, leaves it).
    """
    ordered = merge_periods(periods)
    index = LocalIndex.of(consumption)
    days = DayDigests(consumption, temperature, index)
    kept: dict[bytes, PeriodResult] = {}
    results: list[PeriodResult] = []
    for period in ordered:
        key = b""
        result = None
        if cache is not None:
            key = inputs_digest(
                period, consumption, temperature, prices, ordered, rebound_hours, days
            )
            result = cache.get(key)
        if result is None:
            result = compute_period(
                period,
                consumption,
                temperature,
                prices,
                all_periods=ordered,
                rebound_hours=rebound_hours,
                index=index,
            )
        kept[key] = result
        results.append(result)
    if cache is not None:
        cache.clear()
        cache.update(kept)
    return results
