"""Set-up of each entry type, looked up by ``entry.data["entry_type"]``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.core import HomeAssistant

from .const import EntryType
from .enedis import async_setup_entry as async_setup_enedis
from .meteofrance import async_setup_entry as async_setup_meteofrance
from .phidget import async_setup_entry as async_setup_phidget
from .rte import async_setup_entry as async_setup_rte
from .runtime import DelestageConfigEntry, DelestageRuntime

type EntrySetup = Callable[[HomeAssistant, DelestageConfigEntry], Awaitable[DelestageRuntime]]

ENTRY_SETUP: dict[EntryType, EntrySetup] = {
    EntryType.ENEDIS: async_setup_enedis,
    EntryType.METEOFRANCE: async_setup_meteofrance,
    EntryType.PHIDGET: async_setup_phidget,
    EntryType.RTE: async_setup_rte,
}
