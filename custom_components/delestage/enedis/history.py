"""Re-fetch and re-import a range of Linky history (the ``linky_import_history`` action)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from homeassistant.core import HomeAssistant

from ..api.enedis import MAX_CURVE_DAYS, MAX_DAILY_DAYS
from ..api.enedis_errors import (
    EnedisCurveNotActivatedError,
    EnedisNoDataError,
    EnedisWrongDirectionError,
)
from ..api.enedis_models import CurvePoint, DailyValue
from ..api.linky_client import LinkyClient
from .statistics import EnergyKind, async_import_readings


@dataclass(frozen=True, slots=True)
class HistoryImport:
    """What one range import did."""

    kind: EnergyKind
    days_with_data: int
    hours_changed: int  # hourly rows written because they were new or different
    curve_available: bool


def windows(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """Split ``[start, end[`` into consecutive windows of at most ``days`` days."""
    result = []
    while start < end:
        stop = min(start + timedelta(days=days), end)
        result.append((start, stop))
        start = stop
    return result


async def _async_daily(
    client: LinkyClient, prm: str, kind: EnergyKind, start: date, end: date
) -> list[DailyValue]:
    fetch = (
        client.async_get_daily_production
        if kind is EnergyKind.PRODUCTION
        else client.async_get_daily_consumption
    )
    values: list[DailyValue] = []
    for first, stop in windows(start, end, MAX_DAILY_DAYS):
        try:
            values += (await fetch(prm, first, stop)).values
        except EnedisNoDataError:
            continue
    return values


async def _async_curve(
    client: LinkyClient, prm: str, kind: EnergyKind, start: date, end: date
) -> tuple[CurvePoint, ...]:
    fetch = (
        client.async_get_production_load_curve
        if kind is EnergyKind.PRODUCTION
        else client.async_get_load_curve
    )
    try:
        return (await fetch(prm, start, end)).points
    except EnedisNoDataError:
        return ()


async def async_import_history(
    hass: HomeAssistant,
    client: LinkyClient,
    prm: str,
    kind: EnergyKind,
    *,
    start: date,
    end: date,
    with_curve: bool,
) -> HistoryImport:
    """Fetch ``[start, end[`` (daily in ≤ 365-day calls, curve in 7-day calls) and import it.

    Each week is imported as soon as its curve arrives, with the daily values as fallback for
    days the curve does not cover. When Enedis says the curve is not activated, the rest is
    imported from daily values. Raises the client's errors (nothing imported is lost).
    """
    try:
        daily = await _async_daily(client, prm, kind, start, end)
    except EnedisWrongDirectionError:
        return HistoryImport(kind, 0, 0, with_curve)
    changed = 0
    done = start
    curve_available = with_curve
    if with_curve:
        for first, stop in windows(start, end, MAX_CURVE_DAYS):
            try:
                curve = await _async_curve(client, prm, kind, first, stop)
            except EnedisCurveNotActivatedError:
                curve_available = False
                break
            week = [value for value in daily if first <= value.day < stop]
            changed += (await async_import_readings(hass, prm, kind, curve=curve, daily=week)).rows
            done = stop
    rest = [value for value in daily if value.day >= done]
    if rest:
        changed += (await async_import_readings(hass, prm, kind, daily=rest)).rows
    return HistoryImport(kind, len(daily), changed, curve_available)
