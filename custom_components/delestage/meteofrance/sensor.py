"""Sensors of a Météo-France station: one per measurement, plus the observation time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    DEGREE,
    PERCENTAGE,
    EntityCategory,
    UnitOfIrradiance,
    UnitOfLength,
    UnitOfPrecipitationDepth,
    UnitOfPressure,
    UnitOfSpeed,
    UnitOfTemperature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..api.meteofrance import Observation
from ..const import DOMAIN
from ..runtime import DelestageConfigEntry
from ..texts import DeviceModel, device_model
from .const import MANUFACTURER
from .coordinator import MeteoFranceCoordinator


@dataclass(frozen=True, kw_only=True)
class MeteoFranceSensorDescription(SensorEntityDescription):
    """A station sensor: how to read its value from an observation."""

    value_fn: Callable[[Observation], float | datetime | None]
    last_reset_fn: Callable[[Observation], datetime] | None = None
    # False for the observation time: it stays shown when the data is stale, to tell how old.
    hidden_when_stale: bool = True


def _temperature(
    key: str, value_fn: Callable[[Observation], float | None]
) -> MeteoFranceSensorDescription:
    return MeteoFranceSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.TEMPERATURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        suggested_display_precision=1,
        value_fn=value_fn,
    )


def _pressure(
    key: str, value_fn: Callable[[Observation], float | None], *, enabled: bool
) -> MeteoFranceSensorDescription:
    return MeteoFranceSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.ATMOSPHERIC_PRESSURE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPressure.HPA,
        suggested_display_precision=1,
        entity_registry_enabled_default=enabled,
        value_fn=value_fn,
    )


def _wind_speed(
    key: str, value_fn: Callable[[Observation], float | None]
) -> MeteoFranceSensorDescription:
    return MeteoFranceSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.WIND_SPEED,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfSpeed.METERS_PER_SECOND,
        suggested_unit_of_measurement=UnitOfSpeed.KILOMETERS_PER_HOUR,
        suggested_display_precision=0,
        value_fn=value_fn,
    )


SENSORS: tuple[MeteoFranceSensorDescription, ...] = (
    _temperature("temperature", lambda obs: obs.temperature),
    _temperature("dew_point", lambda obs: obs.dew_point),
    MeteoFranceSensorDescription(
        key="humidity",
        translation_key="humidity",
        device_class=SensorDeviceClass.HUMIDITY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda obs: obs.humidity,
    ),
    _pressure("pressure", lambda obs: obs.pressure, enabled=True),
    _pressure("station_pressure", lambda obs: obs.station_pressure, enabled=False),
    _wind_speed("wind_speed", lambda obs: obs.wind_speed),
    _wind_speed("wind_gust", lambda obs: obs.wind_gust),
    MeteoFranceSensorDescription(
        key="wind_bearing",
        translation_key="wind_bearing",
        device_class=SensorDeviceClass.WIND_DIRECTION,
        state_class=SensorStateClass.MEASUREMENT_ANGLE,
        native_unit_of_measurement=DEGREE,
        suggested_display_precision=0,
        value_fn=lambda obs: obs.wind_bearing,
    ),
    # Rain over the observation's period (1 h or 6 min). A "total" that restarts with each
    # period (last_reset = period start), so long-term statistics add the periods up.
    MeteoFranceSensorDescription(
        key="precipitation",
        translation_key="precipitation",
        device_class=SensorDeviceClass.PRECIPITATION,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=UnitOfPrecipitationDepth.MILLIMETERS,
        suggested_display_precision=1,
        value_fn=lambda obs: obs.precipitation,
        last_reset_fn=lambda obs: obs.period_start,
    ),
    MeteoFranceSensorDescription(
        key="visibility",
        translation_key="visibility",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfLength.METERS,
        suggested_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        value_fn=lambda obs: obs.visibility,
    ),
    MeteoFranceSensorDescription(
        key="cloud_coverage",
        translation_key="cloud_coverage",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda obs: obs.cloud_coverage,
    ),
    MeteoFranceSensorDescription(
        key="snow_depth",
        translation_key="snow_depth",
        device_class=SensorDeviceClass.DISTANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfLength.CENTIMETERS,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        value_fn=lambda obs: obs.snow_depth,
    ),
    MeteoFranceSensorDescription(
        key="solar_radiation",
        translation_key="solar_radiation",
        device_class=SensorDeviceClass.IRRADIANCE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfIrradiance.WATTS_PER_SQUARE_METER,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        value_fn=lambda obs: obs.solar_radiation,
    ),
    MeteoFranceSensorDescription(
        key="observation_time",
        translation_key="observation_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda obs: obs.validity_time,
        hidden_when_stale=False,
    ),
)


def station_device_info(hass: HomeAssistant, entry: DelestageConfigEntry) -> DeviceInfo:
    """Describe the device of a station entry."""
    assert entry.unique_id is not None
    return DeviceInfo(
        identifiers={(DOMAIN, entry.unique_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=MANUFACTURER,
        model=device_model(hass, DeviceModel.METEOFRANCE_STATION),
        serial_number=entry.unique_id,
        name=entry.title,
    )


class MeteoFranceSensor(CoordinatorEntity[MeteoFranceCoordinator], SensorEntity):
    """One measurement of the station's last observation."""

    _attr_has_entity_name = True
    entity_description: MeteoFranceSensorDescription

    def __init__(
        self,
        coordinator: MeteoFranceCoordinator,
        description: MeteoFranceSensorDescription,
    ) -> None:
        """Bind the sensor to its station's coordinator."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._attr_unique_id = f"{entry.unique_id}_{description.key}"
        self._attr_device_info = station_device_info(coordinator.hass, entry)

    @property
    def available(self) -> bool:
        """Shown while the last good observation is recent, even if the last poll failed."""
        if self.coordinator.data is None:
            return False
        return not (self.entity_description.hidden_when_stale and self.coordinator.is_stale())

    @property
    def native_value(self) -> float | datetime | None:
        """The measurement; None (unknown) when the station did not report it."""
        if (observation := self.coordinator.data) is None:
            return None
        return self.entity_description.value_fn(observation)

    @property
    def last_reset(self) -> datetime | None:
        """Start of the period of an accumulated value."""
        reset_fn = self.entity_description.last_reset_fn
        if reset_fn is None or (observation := self.coordinator.data) is None:
            return None
        return reset_fn(observation)


def station_sensors(coordinator: MeteoFranceCoordinator) -> list[MeteoFranceSensor]:
    """Every sensor of a station."""
    return [MeteoFranceSensor(coordinator, description) for description in SENSORS]
