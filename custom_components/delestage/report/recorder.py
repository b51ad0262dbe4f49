"""What the report reads back from the recorder, and the two series it writes.

Reads: the meter's hourly consumption (``delestage:linky_<prm>_consumption``, kWh per hour),
its hourly cost when the tariff is set (``delestage:linky_<prm>_cost``, €), and the hourly mean
of a Météo-France station's temperature sensor (long-term statistics, °C).
Writes: ``delestage:shedding_<prm>_avoided_energy`` and ``delestage:shedding_<prm>_baseline``,
one row per hour of each computed period (hourly sums, continuous ``sum``); an hour that no
longer belongs to a computed period is written as 0 (the recorder cannot delete one row).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from homeassistant.components.recorder.models import StatisticMetaData
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.const import UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from ..const import DOMAIN
from ..enedis.statistics import (
    EnergyKind,
    async_import_series,
    async_series_name,
    hourly_sum_metadata,
    series_statistic_id,
    statistic_id,
)
from ..tariff.model import COST_SERIES

type ReportSeries = Literal["avoided_energy", "baseline"]
SERIES: tuple[ReportSeries, ...] = ("avoided_energy", "baseline")


def report_statistic_id(prm: str, series: ReportSeries) -> str:
    """``delestage:shedding_<prm>_avoided_energy`` or ``…_baseline`` (DESIGN.md §2)."""
    return f"{DOMAIN}:shedding_{prm}_{series}"


async def async_report_metadata(
    hass: HomeAssistant, prm: str, series: ReportSeries
) -> StatisticMetaData:
    """Hourly kWh sums, like the Linky series, named in the server's language."""
    return hourly_sum_metadata(
        report_statistic_id(prm, series), await async_series_name(hass, prm, series)
    )


def _read(  # noqa: PLR0917 - one statistics query
    hass: HomeAssistant,
    stat_id: str,
    start: datetime,
    end: datetime,
    kind: Literal["state", "mean"],
    units: dict[str, str] | None,
) -> dict[datetime, float]:
    rows = statistics_during_period(hass, start, end, {stat_id}, "hour", units, {kind})
    return {
        datetime.fromtimestamp(float(row["start"]), UTC): float(value)
        for row in rows.get(stat_id, [])
        if (value := row.get(kind)) is not None
    }


def read_inputs(
    hass: HomeAssistant, prm: str, temperature_entity: str | None, start: datetime, end: datetime
) -> tuple[dict[datetime, float], dict[datetime, float], dict[datetime, float] | None]:
    """Consumption (kWh), cost (€) and temperature (°C) per hour (runs in the recorder executor)."""
    consumption = _read(hass, statistic_id(prm, EnergyKind.CONSUMPTION), start, end, "state", None)
    # The tariff's hourly cost (issue 15): empty while no tariff is set.
    cost = _read(hass, series_statistic_id(prm, COST_SERIES), start, end, "state", None)
    temperature = None
    if temperature_entity is not None:
        temperature = _read(
            hass,
            temperature_entity,
            start,
            end,
            "mean",
            {"temperature": UnitOfTemperature.CELSIUS},
        )
    return consumption, cost, temperature


async def async_read_inputs(
    hass: HomeAssistant, prm: str, temperature_entity: str | None, start: datetime, end: datetime
) -> tuple[dict[datetime, float], dict[datetime, float], dict[datetime, float] | None]:
    """Read the inputs once the recorder has written what is queued (a fresh Linky import)."""
    recorder = get_instance(hass)
    await recorder.async_block_till_done()
    return await recorder.async_add_executor_job(
        read_inputs, hass, prm, temperature_entity, start, end
    )


async def async_read_series(
    hass: HomeAssistant, prm: str, series: ReportSeries, start: datetime, end: datetime
) -> dict[datetime, float]:
    """Return the hours of a series as the recorder holds them (kWh), in ``[start, end[``."""
    recorder = get_instance(hass)
    await recorder.async_block_till_done()
    return await recorder.async_add_executor_job(
        _read, hass, report_statistic_id(prm, series), start, end, "state", None
    )


async def async_write_series(
    hass: HomeAssistant, prm: str, series: ReportSeries, hourly: Mapping[datetime, float]
) -> int:
    """Upsert the hours of a series (kWh); returns the rows written."""
    meta = await async_report_metadata(hass, prm, series)
    result = await async_import_series(hass, meta, hourly)
    return result.rows
