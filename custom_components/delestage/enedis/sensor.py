"""Linky sensors: yesterday's energy and max power, subscribed power, consent end.

None of them has a ``state_class`` that would make Home Assistant compile a second energy
series: the Energy dashboard uses the hourly external statistics
``delestage:linky_<prm>_consumption`` / ``_production`` written by ``statistics.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfApparentPower, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..api.enedis_models import PARIS
from ..const import DOMAIN
from ..texts import DeviceModel, device_model
from .const import CONF_SOURCE, MANUFACTURER
from .coordinator import LinkyCoordinator, LinkyData, consent_end

if TYPE_CHECKING:
    from . import EnedisRuntime


@dataclass(frozen=True, kw_only=True)
class LinkySensorEntityDescription(SensorEntityDescription):
    """A Linky sensor: its value and attributes from the coordinator's data."""

    value_fn: Callable[[LinkyData], StateType | datetime]
    attributes_fn: Callable[[LinkyData], dict[str, Any] | None] = lambda _: None
    available_fn: Callable[[LinkyData], bool] = lambda _: True
    production_only: bool = False
    contract_only: bool = False  # not for a source without the contract (Conso API)
    consent_end_only: bool = False  # not when the source cannot tell it (MyElectricalData)


def _kwh(wh: float | None) -> float | None:
    return None if wh is None else round(wh / 1000.0, 3)


SENSORS: tuple[LinkySensorEntityDescription, ...] = (
    LinkySensorEntityDescription(
        key="consumption_yesterday",
        translation_key="linky_consumption_yesterday",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda data: _kwh(data.consumption.wh) if data.consumption else None,
        attributes_fn=lambda data: (
            {"date": data.consumption.day.isoformat()} if data.consumption else None
        ),
    ),
    LinkySensorEntityDescription(
        key="production_yesterday",
        translation_key="linky_production_yesterday",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        production_only=True,
        value_fn=lambda data: _kwh(data.production.wh) if data.production else None,
        attributes_fn=lambda data: (
            {"date": data.production.day.isoformat()} if data.production else None
        ),
    ),
    LinkySensorEntityDescription(
        key="max_power_yesterday",
        translation_key="linky_max_power_yesterday",
        device_class=SensorDeviceClass.APPARENT_POWER,
        native_unit_of_measurement=UnitOfApparentPower.VOLT_AMPERE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.max_power.va if data.max_power else None,
        attributes_fn=lambda data: (
            {
                "date": data.max_power.day.isoformat(),
                "time": data.max_power.at.isoformat() if data.max_power.at else None,
            }
            if data.max_power
            else None
        ),
    ),
    LinkySensorEntityDescription(
        key="subscribed_power",
        translation_key="linky_subscribed_power",
        device_class=SensorDeviceClass.APPARENT_POWER,
        native_unit_of_measurement=UnitOfApparentPower.KILO_VOLT_AMPERE,
        value_fn=lambda data: data.subscribed_power_kva,
        contract_only=True,
        # The contract is read apart from the measures: only this sensor depends on it.
        available_fn=lambda data: data.contract_available,
    ),
    LinkySensorEntityDescription(
        key="consent_end",
        translation_key="linky_consent_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        consent_end_only=True,
        value_fn=lambda data: (
            datetime.combine(data.consent_end, time(), PARIS) if data.consent_end else None
        ),
    ),
)


def linky_sensors(coordinator: LinkyCoordinator) -> list[LinkySensor]:
    """Return the sensors of a meter (production ones only for a producing meter).

    No sensor that could never have a value: Conso API serves no contract (no subscribed
    power), MyElectricalData does not tell when the consent ends (no consent end). Such a
    sensor left by an older version is removed from the entity registry.
    """
    entry = coordinator.config_entry
    sensors: list[LinkySensor] = []
    for description in SENSORS:
        if (
            (coordinator.producing or not description.production_only)
            and (coordinator.client.has_contract or not description.contract_only)
            and (consent_end(entry) is not None or not description.consent_end_only)
        ):
            sensors.append(LinkySensor(coordinator, description))
        else:
            remove_entity(coordinator.hass, f"{entry.unique_id}_{description.key}")
    return sensors


def remove_entity(hass: HomeAssistant, unique_id: str) -> None:
    """Remove the meter's sensor of that unique id from the entity registry, if there."""
    registry = er.async_get(hass)
    if (entity_id := registry.async_get_entity_id(SENSOR_DOMAIN, DOMAIN, unique_id)) is not None:
        registry.async_remove(entity_id)


# The device's model says where the data come from (entry data ``source``).
LINKY_MODELS = {
    "dataconnect": DeviceModel.LINKY_DATACONNECT,
    "conso_api": DeviceModel.LINKY_CONSO_API,
    "myelectricaldata": DeviceModel.LINKY_MYELECTRICALDATA,
}


def linky_device_info(coordinator: LinkyCoordinator) -> DeviceInfo:
    """Return the meter's device: a cloud service, named after the entry."""
    entry = coordinator.config_entry
    return DeviceInfo(
        identifiers={(DOMAIN, str(entry.unique_id))},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=MANUFACTURER,
        model=device_model(
            coordinator.hass,
            LINKY_MODELS.get(str(entry.data.get(CONF_SOURCE)), DeviceModel.LINKY_DATACONNECT),
        ),
        name=entry.title,
    )


class LinkySensor(CoordinatorEntity[LinkyCoordinator], SensorEntity):
    """One value of a Linky meter."""

    _attr_has_entity_name = True
    entity_description: LinkySensorEntityDescription

    def __init__(
        self, coordinator: LinkyCoordinator, description: LinkySensorEntityDescription
    ) -> None:
        """Attach the sensor to the meter's coordinator and device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.config_entry.unique_id}_{description.key}"
        self._attr_device_info = linky_device_info(coordinator)

    @property
    def available(self) -> bool:
        """Available with the coordinator, and with the contract for the contract sensor."""
        return super().available and self.entity_description.available_fn(self.coordinator.data)

    @property
    def native_value(self) -> StateType | datetime:
        """The value of the newest published day."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The day the value belongs to (and, for max power, when it happened)."""
        return self.entity_description.attributes_fn(self.coordinator.data)


class BackfillSensor(SensorEntity):
    """Progress of the history back-fill, in percent (diagnostic)."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "linky_backfill_progress"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_native_unit_of_measurement = PERCENTAGE

    def __init__(self, runtime: EnedisRuntime) -> None:
        """Follow the back-fill of ``runtime``."""
        self._runtime = runtime
        self._attr_unique_id = f"{runtime.entry.unique_id}_backfill_progress"
        self._attr_device_info = linky_device_info(runtime.coordinator)

    async def async_added_to_hass(self) -> None:
        """Update on every back-fill step."""
        self.async_on_remove(self._runtime.async_listen_progress(self.async_write_ha_state))

    @property
    def native_value(self) -> int:
        """Completion of the back-fill in percent."""
        return self._runtime.backfill_progress.percent

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Steps done, calls made, oldest day found per series."""
        progress = self._runtime.backfill_progress
        return {
            "done": progress.done,
            "total": progress.total,
            "finished": progress.finished,
            "data_calls": progress.data_calls,
            "curve_available": progress.curve_available,
            "oldest": dict(progress.oldest),
        }
