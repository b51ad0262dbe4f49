"""Base entity of the RTE entry: device, unique id, and availability from the data's age."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from ..api.rte_models import EcowattForecast, TempoCalendar
from ..const import DOMAIN
from ..texts import DeviceModel, device_model
from .coordinator import RteCoordinator

LEVEL_STATES = {0: "low_carbon", 1: "green", 2: "orange", 3: "red"}
DAY_STATES = ["green", "orange", "red"]


def level_state(level: int | None) -> str | None:
    """State name of an hourly level; None when unknown."""
    return None if level is None else LEVEL_STATES.get(level)


def day_state(level: int | None) -> str | None:
    """State name of a day level (a day is never "low carbon": 0 reads as green)."""
    return None if level is None else DAY_STATES[min(max(level, 1), 3) - 1]


def device_info(hass: HomeAssistant, unique_id: str) -> DeviceInfo:
    """Return the service device of an RTE entry."""
    return DeviceInfo(
        identifiers={(DOMAIN, unique_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="RTE",
        model=device_model(hass, DeviceModel.RTE),
        name="RTE Ecowatt",
        configuration_url="https://data.rte-france.com/",
    )


class RteEntity[DataT: EcowattForecast | TempoCalendar](CoordinatorEntity[RteCoordinator[DataT]]):
    """An entity fed by an RTE coordinator; "now" states are recomputed at each hour."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: RteCoordinator[DataT], description: EntityDescription) -> None:
        """Name the entity after its description and attach it to the entry's device."""
        super().__init__(coordinator)
        self.entity_description = description
        unique_id = coordinator.config_entry.unique_id
        assert unique_id is not None
        self._attr_unique_id = f"{unique_id}_{description.key}"
        self._attr_device_info = device_info(coordinator.hass, unique_id)

    @property
    def available(self) -> bool:
        """Unavailable only when the data is too old to trust (a failed call keeps it)."""
        return self.coordinator.is_trusted(dt_util.utcnow())

    @property
    def data(self) -> DataT:
        """The coordinator's data (only read while available)."""
        data = self.coordinator.data
        assert data is not None
        return data
