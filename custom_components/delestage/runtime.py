"""What a set-up config entry keeps in ``runtime_data``, whatever its type."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

type DelestageConfigEntry = ConfigEntry[DelestageRuntime]


class DelestageRuntime(ABC):
    """Runtime objects of one entry: its coordinators, clients and platform set-up.

    Each entry type subclasses this, lists the platforms it uses and adds its
    entities when Home Assistant sets up one of those platforms.
    """

    platforms: ClassVar[tuple[Platform, ...]] = ()

    @abstractmethod
    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the entities of ``platform`` for this entry."""

    async def async_shutdown(self) -> None:  # noqa: B027 - optional hook, most types hold nothing
        """Release what the entry holds (connections, listeners) after unload."""

    @abstractmethod
    async def async_diagnostics(self) -> dict[str, Any]:
        """Return diagnostics data; secrets are redacted by the caller too."""
