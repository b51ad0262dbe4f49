"""Sensors of the RTE entry: Ecowatt level now and per day, next alert, Tempo colours."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.util import dt as dt_util

from ..api.rte_models import PARIS, EcowattForecast, TempoCalendar, tempo_day
from .coordinator import EcowattCoordinator, TempoCoordinator
from .entity import DAY_STATES, LEVEL_STATES, RteEntity, day_state, level_state

TEMPO_STATES = ["blue", "white", "red"]


@dataclass(frozen=True, kw_only=True)
class EcowattSensorDescription(SensorEntityDescription):
    """An Ecowatt sensor: its value from the forecast and the current time."""

    value_fn: Callable[[EcowattForecast, datetime], str | datetime | None]


@dataclass(frozen=True, kw_only=True)
class TempoSensorDescription(SensorEntityDescription):
    """A Tempo sensor: the colour of the Tempo day ``offset`` days from the current one."""

    offset: int


def _day_value(offset: int) -> Callable[[EcowattForecast, datetime], str | None]:
    def value(forecast: EcowattForecast, now: datetime) -> str | None:
        day = forecast.day(now.astimezone(PARIS).date() + timedelta(days=offset))
        return None if day is None else day_state(day.level)

    return value


def _next_alert(forecast: EcowattForecast, now: datetime) -> tuple[datetime, datetime] | None:
    """Return the alert run in progress, or the next one."""
    for run in forecast.runs():
        if run.end > now:
            return run.start, run.end
    return None


def _next_alert_start(forecast: EcowattForecast, now: datetime) -> datetime | None:
    run = _next_alert(forecast, now)
    return None if run is None else run[0]


def _next_alert_end(forecast: EcowattForecast, now: datetime) -> datetime | None:
    run = _next_alert(forecast, now)
    return None if run is None else run[1]


ECOWATT_SENSORS: tuple[EcowattSensorDescription, ...] = (
    EcowattSensorDescription(
        key="ecowatt_level_now",
        translation_key="ecowatt_level_now",
        device_class=SensorDeviceClass.ENUM,
        options=list(LEVEL_STATES.values()),
        value_fn=lambda forecast, now: level_state(forecast.level_at(now)),
    ),
    *(
        EcowattSensorDescription(
            key=key,
            translation_key=key,
            device_class=SensorDeviceClass.ENUM,
            options=DAY_STATES,
            value_fn=_day_value(offset),
        )
        for offset, key in enumerate(
            ("ecowatt_today", "ecowatt_tomorrow", "ecowatt_in_2_days", "ecowatt_in_3_days")
        )
    ),
    EcowattSensorDescription(
        key="ecowatt_next_alert_start",
        translation_key="ecowatt_next_alert_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_next_alert_start,
    ),
    EcowattSensorDescription(
        key="ecowatt_next_alert_end",
        translation_key="ecowatt_next_alert_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_next_alert_end,
    ),
)

TEMPO_SENSORS: tuple[TempoSensorDescription, ...] = tuple(
    TempoSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ENUM,
        options=TEMPO_STATES,
        offset=offset,
    )
    for offset, key in enumerate(("tempo_today", "tempo_tomorrow"))
)


class EcowattSensor(RteEntity[EcowattForecast], SensorEntity):
    """An Ecowatt sensor."""

    entity_description: EcowattSensorDescription
    _unrecorded_attributes = frozenset({"forecast"})

    def __init__(
        self, coordinator: EcowattCoordinator, description: EcowattSensorDescription
    ) -> None:
        """Create the sensor."""
        super().__init__(coordinator, description)

    @property
    def native_value(self) -> str | datetime | None:
        """The state at this moment, from the cached forecast."""
        return self.entity_description.value_fn(self.data, dt_util.utcnow())

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The level sensor lists every known hour (not recorded)."""
        if self.entity_description.key != "ecowatt_level_now":
            return None
        return {
            "forecast": [
                {
                    "start": dt_util.as_local(hour.start).isoformat(),
                    "level": level_state(hour.level),
                }
                for hour in self.data.hours
            ]
        }


class TempoSensor(RteEntity[TempoCalendar], SensorEntity):
    """A Tempo colour sensor."""

    entity_description: TempoSensorDescription

    def __init__(self, coordinator: TempoCoordinator, description: TempoSensorDescription) -> None:
        """Create the sensor."""
        super().__init__(coordinator, description)

    @property
    def native_value(self) -> str | None:
        """The colour of the Tempo day (06:00 to 06:00), lower case; None when not published."""
        day: date = tempo_day(dt_util.utcnow()) + timedelta(days=self.entity_description.offset)
        color = self.data.color(day)
        return None if color is None else color.lower()
