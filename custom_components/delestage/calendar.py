"""Calendar platform: Ecowatt alert periods."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .runtime import DelestageConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DelestageConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entities this entry's type defines for this platform."""
    entry.runtime_data.async_add_platform_entities(Platform.CALENDAR, async_add_entities)
