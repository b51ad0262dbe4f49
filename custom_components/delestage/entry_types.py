"""Set-up of each entry type, looked up by ``entry.data["entry_type"]``.

The glue between sources and features lives here too: what a removed entry leaves behind is
deleted by its source and by the features that kept something for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.core import HomeAssistant

from .const import EntryType
from .enedis import (
    async_remove_entry as async_remove_enedis,
    async_setup_entry as async_setup_enedis,
)
from .forecast.feature import async_remove_forecast
from .meteofrance import (
    async_remove_entry as async_remove_meteofrance,
    async_setup_entry as async_setup_meteofrance,
)
from .phidget import async_setup_entry as async_setup_phidget
from .rte import async_remove_entry as async_remove_rte, async_setup_entry as async_setup_rte
from .runtime import DelestageConfigEntry, DelestageRuntime
from .tariff import async_remove_tariff

type EntrySetup = Callable[[HomeAssistant, DelestageConfigEntry], Awaitable[DelestageRuntime]]
type EntryRemove = Callable[[HomeAssistant, DelestageConfigEntry], Awaitable[None]]

ENTRY_SETUP: dict[EntryType, EntrySetup] = {
    EntryType.ENEDIS: async_setup_enedis,
    EntryType.METEOFRANCE: async_setup_meteofrance,
    EntryType.PHIDGET: async_setup_phidget,
    EntryType.RTE: async_setup_rte,
}


async def _async_remove_linky(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Delete what the meter's entry and its tariff split keep."""
    await async_remove_enedis(hass, entry)
    await async_remove_tariff(hass, entry)


async def _async_remove_rte_app(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Delete what the RTE entry's cache and its Tempo forecast keep."""
    await async_remove_rte(hass, entry)
    await async_remove_forecast(hass, entry)


# Clean-up when an entry is deleted: the files its type keeps in .storage.
ENTRY_REMOVE: dict[EntryType, EntryRemove] = {
    EntryType.ENEDIS: _async_remove_linky,
    EntryType.METEOFRANCE: async_remove_meteofrance,
    EntryType.RTE: _async_remove_rte_app,
}
