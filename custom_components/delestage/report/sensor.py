"""Sensors of the shedding report, on the Linky meter's device.

- ``shedding_last_avoided_energy``: kWh avoided by the latest period with figures; its details
  (start, end, kind, consumption, baseline, rebound, money, temperature, whether the baseline
  is weather-adjusted, comparable days used) as attributes.
- ``shedding_season_avoided_energy`` and ``shedding_season_avoided_cost``: the season's totals
  (a Tempo year, from 1 September), kWh and €.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.helpers.device_registry import DeviceInfo

from .manager import ShedReport
from .model import PARIS, PeriodResult


@dataclass(frozen=True, kw_only=True)
class ReportSensorDescription(SensorEntityDescription):
    """A report sensor: how to read its value."""

    value_fn: Callable[[ShedReport], float | None]
    details: bool = False


def _last(report: ShedReport) -> float | None:
    result = report.last_result()
    return None if result is None or result.avoided_kwh is None else round(result.avoided_kwh, 3)


def _season_kwh(report: ShedReport) -> float | None:
    totals = report.season()
    return round(totals.avoided_kwh, 3) if totals.periods else None


def _season_eur(report: ShedReport) -> float | None:
    cost = report.season().avoided_cost_eur
    return None if cost is None else round(cost, 2)


REPORT_SENSORS: tuple[ReportSensorDescription, ...] = (
    ReportSensorDescription(
        key="shedding_last_avoided_energy",
        translation_key="shedding_last_avoided_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_last,
        details=True,
    ),
    ReportSensorDescription(
        key="shedding_season_avoided_energy",
        translation_key="shedding_season_avoided_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=1,
        value_fn=_season_kwh,
    ),
    ReportSensorDescription(
        key="shedding_season_avoided_cost",
        translation_key="shedding_season_avoided_cost",
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement="EUR",
        suggested_display_precision=2,
        value_fn=_season_eur,
    ),
)


def details(result: PeriodResult) -> dict[str, Any]:
    """Return the figures of a period as attributes."""
    row = result.as_row()
    return {
        **row,
        "start": result.period.start.astimezone(PARIS),
        "end": result.period.end.astimezone(PARIS),
        "rebound_kwh": None if result.rebound_kwh is None else round(result.rebound_kwh, 3),
        "weather_adjusted": result.weather_adjusted,
        "comparable_days": result.comparable_days,
    }


class ReportSensor(SensorEntity):
    """One figure of a meter's shedding report."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: ReportSensorDescription

    def __init__(
        self,
        report: ShedReport,
        description: ReportSensorDescription,
        unique_prefix: str,
        device_info: DeviceInfo,
    ) -> None:
        """Attach the sensor to the report and the meter's device."""
        self._report = report
        self.entity_description = description
        self._attr_unique_id = f"{unique_prefix}_{description.key}"
        self._attr_device_info = device_info

    async def async_added_to_hass(self) -> None:
        """Update after each computation of the report."""
        self.async_on_remove(self._report.async_add_listener(self.async_write_ha_state))

    @property
    def native_value(self) -> float | None:
        """The figure (unknown until a period has figures)."""
        return self.entity_description.value_fn(self._report)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Details of the last period (last-period sensor); periods counted (season)."""
        if not self.entity_description.details:
            return {"periods": self._report.season().periods}
        result = self._report.last_result()
        return None if result is None else details(result)


def report_sensors(
    report: ShedReport, unique_prefix: str, device_info: DeviceInfo
) -> list[ReportSensor]:
    """Return the report's sensors for a meter."""
    return [ReportSensor(report, d, unique_prefix, device_info) for d in REPORT_SENSORS]
