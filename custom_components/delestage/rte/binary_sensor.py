"""Binary sensors of the RTE entry: red hour now, alert (orange or red) hour now."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.util import dt as dt_util

from ..api.rte_models import ALERT_LEVEL, LEVEL_RED, EcowattForecast
from .coordinator import EcowattCoordinator
from .entity import RteEntity


@dataclass(frozen=True, kw_only=True)
class EcowattBinarySensorDescription(BinarySensorEntityDescription):
    """On when the current hour's level is at least ``min_level``."""

    min_level: int


ECOWATT_BINARY_SENSORS: tuple[EcowattBinarySensorDescription, ...] = (
    EcowattBinarySensorDescription(
        key="ecowatt_red_now", translation_key="ecowatt_red_now", min_level=LEVEL_RED
    ),
    EcowattBinarySensorDescription(
        key="ecowatt_alert_now", translation_key="ecowatt_alert_now", min_level=ALERT_LEVEL
    ),
)


class EcowattBinarySensor(RteEntity[EcowattForecast], BinarySensorEntity):
    """An Ecowatt alert flag for the current hour."""

    entity_description: EcowattBinarySensorDescription

    def __init__(
        self, coordinator: EcowattCoordinator, description: EcowattBinarySensorDescription
    ) -> None:
        """Create the binary sensor."""
        super().__init__(coordinator, description)

    @property
    def is_on(self) -> bool | None:
        """On during the hours at the level or above; unknown when the hour is not published."""
        level = self.data.level_at(dt_util.utcnow())
        return None if level is None else level >= self.entity_description.min_level
