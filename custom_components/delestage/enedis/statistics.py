"""Linky readings → recorder external statistics (hourly kWh) for the Energy dashboard.

Series: ``delestage:linky_<prm>_consumption`` and ``delestage:linky_<prm>_production``.

How readings become hours:
- Load-curve points carry their own interval ``[start, end[`` (aware, see ``api.enedis_models``);
  each point's energy (W × step) goes to the hour(s) it covers, split pro rata when an interval
  crosses an hour boundary. Steps of 10/15/30/60 min may change within one answer.
- A local day whose curve covers the whole day (23 h, 24 h or 25 h) uses the curve.
- Any other day with a daily value uses the daily value SPREAD EVENLY over the day's local hours
  (23/24/25): the day total is exact and no hour shows a fake spike. A partial curve of a day
  without a daily value is used as it is (unless ``complete_days_only``).

Writes are upserts by (statistic_id, hour); ``sum`` stays continuous: the import reads the sum
before its first hour, rewrites its own hours, and shifts every later hour by the change of the
window's total, in the same transaction (``recorder_bulk.py``), so re-importing the same data
changes nothing and a failed write shifts nothing (it raises ``StatisticsNotWrittenError``).

Every import of a meter's energy, whatever its source (daily refresh, back-fill, history action,
gateways, history files), goes through :func:`async_import_energy`: the hours are written, then
a consumption import is published to the features (``hub.ConsumptionImport``) with the readings
the hours were made of.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import partial
import math
from typing import Any

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    statistics_during_period,
    valid_statistic_id,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.unit_conversion import EnergyConverter

from ..api.enedis_models import PARIS, CurvePoint, DailyValue
from ..const import DOMAIN
from ..hub import ConsumptionImport, Reading, get_hub
from ..texts import async_statistic_name
from .const import entry_title
from .recorder_bulk import async_upsert

HOUR = timedelta(hours=1)
# kWh differences below this are rounding noise.
EPSILON = 1e-9


class StatisticsNotWrittenError(HomeAssistantError):
    """The database refused the write (retried): nothing of that import was written."""


class EnergyKind(StrEnum):
    """Direction of the energy: what the home draws, or what it feeds in."""

    CONSUMPTION = "consumption"
    PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What one import did; ``rows`` = hourly rows written (new or changed)."""

    statistic_id: str
    rows: int
    first: datetime | None
    last: datetime | None
    kwh: float
    sum_shift_kwh: float


def series_statistic_id(prm: str, series: str) -> str:
    """Return ``delestage:linky_<prm>_<series>`` (consumption, consumption_hp, blue_hc, cost…)."""
    return f"{DOMAIN}:linky_{prm}_{series}"


def statistic_id(prm: str, kind: EnergyKind | str) -> str:
    """Return the external statistic id of a meter's series."""
    return series_statistic_id(prm, EnergyKind(kind).value)


def hourly_sum_metadata(
    stat_id: str,
    name: str,
    *,
    unit: str = UnitOfEnergy.KILO_WATT_HOUR,
    unit_class: str | None = EnergyConverter.UNIT_CLASS,
) -> StatisticMetaData:
    """Metadata of one of Délestage's hourly series (sum only; kWh unless told)."""
    return StatisticMetaData(
        has_sum=True,
        mean_type=StatisticMeanType.NONE,
        name=name,
        source=DOMAIN,
        statistic_id=stat_id,
        unit_class=unit_class,
        unit_of_measurement=unit,
    )


async def async_series_name(hass: HomeAssistant, prm: str, series: str) -> str:
    """Name of a meter's series in the server's language: "Linky …9012 consumption"."""
    return await async_statistic_name(hass, series, entry_title(prm))


async def async_statistic_metadata(
    hass: HomeAssistant, prm: str, kind: EnergyKind | str
) -> StatisticMetaData:
    """Metadata of a meter's hourly kWh series (sum only), named in the server's language."""
    kind = EnergyKind(kind)
    return hourly_sum_metadata(
        statistic_id(prm, kind), await async_series_name(hass, prm, kind.value)
    )


# --------------------------------------------------------------------------- readings → hours


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC start and end of a Paris local day (23, 24 or 25 hours long)."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    following = day + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=PARIS).astimezone(UTC)
    return start, end


def local_day(moment: datetime) -> date:
    """Return the Paris local date of an aware instant."""
    return moment.astimezone(PARIS).date()


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def curve_to_hourly(points: Iterable[CurvePoint]) -> dict[datetime, float]:
    """Sum curve energy (Wh) into UTC hour starts; an interval crossing an hour is split."""
    hourly: dict[datetime, float] = defaultdict(float)
    for point in points:
        start, end = point.start.astimezone(UTC), point.end.astimezone(UTC)
        length = (end - start).total_seconds()
        if length <= 0:
            continue
        hour = _floor_hour(start)
        while hour < end:
            overlap = (min(end, hour + HOUR) - max(start, hour)).total_seconds()
            if overlap > 0:
                hourly[hour] += point.wh * overlap / length
            hour += HOUR
    return dict(hourly)


def days_with_full_curve(points: Iterable[CurvePoint]) -> set[date]:
    """Local days that the curve covers completely (every minute of the 23/24/25 hours)."""
    covered: dict[date, float] = defaultdict(float)
    for point in points:
        covered[local_day(point.start)] += (point.end - point.start).total_seconds()
    full = set()
    for day, seconds in covered.items():
        start, end = local_day_bounds(day)
        if seconds >= (end - start).total_seconds():
            full.add(day)
    return full


def daily_to_hourly(values: Iterable[DailyValue]) -> dict[datetime, float]:
    """Spread each day's Wh evenly over the day's local hours (23, 24 or 25 of them)."""
    hourly: dict[datetime, float] = {}
    for value in values:
        start, end = local_day_bounds(value.day)
        hours = round((end - start) / HOUR)
        for index in range(hours):
            hourly[start + index * HOUR] = value.wh / hours
    return hourly


def build_hourly(
    points: Iterable[CurvePoint] = (),
    daily: Iterable[DailyValue] = (),
    *,
    complete_days_only: bool = False,
) -> dict[datetime, float]:
    """Hourly Wh (UTC hour start → Wh): full-curve days from the curve, others from daily.

    ``complete_days_only`` drops partial curve days that have no daily value (so an import of a
    curve window alone never overwrites a day with part of it).
    """
    curve_points, daily_values = select_readings(
        points, daily, complete_days_only=complete_days_only
    )
    hourly = curve_to_hourly(curve_points)
    hourly.update(daily_to_hourly(daily_values))
    return hourly


def select_readings(
    points: Iterable[CurvePoint] = (),
    daily: Iterable[DailyValue] = (),
    *,
    complete_days_only: bool = False,
) -> tuple[list[CurvePoint], list[DailyValue]]:
    """Return the curve points and daily values :func:`build_hourly` turns into hours."""
    points = list(points)
    full = days_with_full_curve(points)
    daily_by_day = {value.day: value for value in daily}
    curve_points = [
        p
        for p in points
        if (day := local_day(p.start)) in full
        or (not complete_days_only and day not in daily_by_day)
    ]
    return curve_points, [v for d, v in daily_by_day.items() if d not in full]


def reading_intervals(
    points: Iterable[CurvePoint] = (),
    daily: Iterable[DailyValue] = (),
    *,
    complete_days_only: bool = False,
) -> list[tuple[datetime, datetime, float]]:
    """``(start, end, Wh)`` of the readings :func:`build_hourly` uses (for the tariff split).

    Curve points keep their own interval (a half-hour curve splits exactly at 01:30); a day
    known only by its daily value gives its evenly spread hours.
    """
    curve_points, daily_values = select_readings(
        points, daily, complete_days_only=complete_days_only
    )
    intervals = [(p.start, p.end, p.wh) for p in curve_points]
    intervals.extend((hour, hour + HOUR, wh) for hour, wh in daily_to_hourly(daily_values).items())
    return intervals


# --------------------------------------------------------------------------- recorder


async def async_import_hourly(
    hass: HomeAssistant,
    prm: str,
    kind: EnergyKind | str,
    hourly: Mapping[datetime, float],
) -> ImportResult:
    """Upsert hourly Wh into the meter's series, keeping ``sum`` continuous.

    Reads (in the recorder's executor) the row before the first hour and the existing rows of
    the window; hours of the window that exist but are not in ``hourly`` keep their value.
    Every later row is shifted by the change of the window's total. The row work runs in the
    executor too, so a 2-year import does not hold the event loop.
    """
    meta = await async_statistic_metadata(hass, prm, kind)
    return await async_import_series(hass, meta, hourly, scale=1 / 1000.0)


async def async_import_series(
    hass: HomeAssistant,
    meta: StatisticMetaData,
    hourly: Mapping[datetime, float],
    *,
    scale: float = 1.0,
) -> ImportResult:
    """Upsert hourly values (× ``scale`` = the unit of ``meta``) into any hourly sum series.

    Same contract as :func:`async_import_hourly` (which calls it with Wh → kWh); the tariff
    parts and the cost series use it too.
    """
    stat_id = meta["statistic_id"]
    if not valid_statistic_id(stat_id):
        raise ValueError("A PRM is 14 digits")
    # The parsers already skip unusable points; never let a NaN or inf into a running sum.
    hourly = {hour: wh for hour, wh in hourly.items() if math.isfinite(wh)}
    if not hourly:
        return ImportResult(stat_id, 0, None, None, 0.0, 0.0)
    recorder = get_instance(hass)
    await recorder.async_block_till_done()  # see the writes of a previous import
    plan = await recorder.async_add_executor_job(_plan_upsert, hass, stat_id, dict(hourly), scale)
    shift = plan.shift if abs(plan.shift) > EPSILON else 0.0
    # Rows and the shift of later sums in one transaction, retried on database errors: the
    # sums move only if the rows were written (see recorder_bulk.py).
    if (plan.changed or shift) and not await async_upsert(
        hass, meta, plan.changed, shift_from=plan.shift_from, shift=shift
    ):
        raise StatisticsNotWrittenError(
            translation_domain=DOMAIN,
            translation_key="enedis_statistics_not_written",
        )
    return ImportResult(stat_id, len(plan.changed), plan.first, plan.last, plan.kwh, plan.shift)


@dataclass(slots=True)
class _UpsertPlan:
    changed: list[StatisticData]
    first: datetime
    last: datetime
    kwh: float
    shift: float
    shift_from: datetime


def _plan_upsert(
    hass: HomeAssistant, stat_id: str, hourly: dict[datetime, float], scale: float
) -> _UpsertPlan:
    """Work out the rows to write and the shift of later sums (runs in the recorder executor)."""
    for hour in hourly:
        if hour.tzinfo is None or hour.minute or hour.second or hour.microsecond:
            raise ValueError("Hourly energy keys must be aware hour starts")
    new_kwh = {_floor_hour(hour): value * scale for hour, value in hourly.items()}
    first, last = min(new_kwh), max(new_kwh)
    base = 0.0
    old_end_sum: float | None = None
    stored: dict[datetime, tuple[float, float]] = {}
    for start, state, total in _read_rows(hass, stat_id, first - HOUR, last + HOUR):
        if start < first:
            base = total
        else:
            stored[start] = (state, total)
            old_end_sum = total
    if old_end_sum is None:
        old_end_sum = base
    kwh_by_hour = {start: state for start, (state, _) in stored.items()} | new_kwh
    running = base
    changed: list[StatisticData] = []
    for start in sorted(kwh_by_hour):
        running += kwh_by_hour[start]
        old = stored.get(start)
        # Only rows that differ are written: a re-import of the same data writes nothing.
        if (
            old is None
            or abs(old[0] - kwh_by_hour[start]) > EPSILON
            or abs(old[1] - running) > EPSILON
        ):
            changed.append(StatisticData(start=start, state=kwh_by_hour[start], sum=running))
    return _UpsertPlan(
        changed=changed,
        first=first,
        last=last,
        kwh=sum(new_kwh.values()),
        shift=running - old_end_sum,
        shift_from=max(kwh_by_hour) + HOUR,
    )


def _read_rows(
    hass: HomeAssistant, stat_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, float, float]]:
    """Existing (start, state, sum) rows of ``[start, end[`` (runs in the recorder executor).

    When no row is right before ``start`` (a gap), the last row before it provides the base.
    """
    rows = _rows_between(hass, stat_id, start, end)
    if (not rows or rows[0][0] > start) and (
        before := _last_row_before(hass, stat_id, start)
    ) is not None:
        rows.insert(0, before)
    return rows


def _rows_between(
    hass: HomeAssistant, stat_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, float, float]]:
    stats = statistics_during_period(hass, start, end, {stat_id}, "hour", None, {"state", "sum"})
    return [_row(row) for row in stats.get(stat_id, [])]


def _last_row_before(
    hass: HomeAssistant, stat_id: str, moment: datetime
) -> tuple[datetime, float, float] | None:
    """Return the last row starting before ``moment``, however old (only after a gap)."""
    rows = _rows_between(hass, stat_id, datetime(2000, 1, 1, tzinfo=UTC), moment)
    return rows[-1] if rows else None


def _row(row: Mapping[str, Any]) -> tuple[datetime, float, float]:
    start = datetime.fromtimestamp(float(row["start"]), UTC)
    return start, float(row.get("state") or 0.0), float(row.get("sum") or 0.0)


async def async_import_readings(
    hass: HomeAssistant,
    prm: str,
    kind: EnergyKind | str,
    *,
    curve: Iterable[CurvePoint] = (),
    daily: Iterable[DailyValue] = (),
    complete_days_only: bool = False,
) -> ImportResult:
    """Build hours from a load curve and/or daily values (see module doc) and import them.

    The API sources (Data Connect, gateways: refresh, back-fill, history action) come through
    here, then through :func:`async_import_energy` like the history files.
    """
    curve, daily = list(curve), list(daily)
    hourly = await hass.async_add_executor_job(
        partial(build_hourly, curve, daily, complete_days_only=complete_days_only)
    )
    readings: list[Reading] = []
    if EnergyKind(kind) is EnergyKind.CONSUMPTION:
        readings = await hass.async_add_executor_job(
            partial(reading_intervals, curve, daily, complete_days_only=complete_days_only)
        )
    return await async_import_energy(hass, prm, kind, hourly, readings)


async def async_import_energy(
    hass: HomeAssistant,
    prm: str,
    kind: EnergyKind | str,
    hourly: Mapping[datetime, float],
    readings: Sequence[Reading],
) -> ImportResult:
    """Write a meter's hours (Wh), then tell the features: the one path of every import.

    ``readings`` are the ``(start, end, Wh)`` readings ``hourly`` was made of (consumption
    only). The consumption is written first: whatever a feature does with it (the tariff split
    and its cost, ``hub.ConsumptionImport``), it is not undone.
    """
    result = await async_import_hourly(hass, prm, kind, hourly)
    if EnergyKind(kind) is EnergyKind.CONSUMPTION and readings:
        await get_hub(hass).async_publish_consumption(ConsumptionImport(prm, readings))
    return result
