"""The Délestage integration: grid signals, home consumption, weather and relays."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import CONF_ENTRY_TYPE, DOMAIN, EntryType
from .enedis.oauth import async_register_consent_view
from .entry_types import ENTRY_REMOVE, ENTRY_SETUP
from .report.services import async_setup_report_services
from .runtime import DelestageConfigEntry
from .services import async_setup_services
from .shedding import async_setup_shedding

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (actions are registered here, once)."""
    async_register_consent_view(hass)
    async_setup_services(hass)
    async_setup_report_services(hass)
    await async_setup_shedding(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> bool:
    """Set up an entry by handing it to the set-up of its type."""
    try:
        setup = ENTRY_SETUP[EntryType(entry.data[CONF_ENTRY_TYPE])]
    except KeyError, ValueError:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unknown_entry_type",
            translation_placeholders={"entry_type": str(entry.data.get(CONF_ENTRY_TYPE))},
        ) from None
    runtime = await setup(hass, entry)
    entry.runtime_data = runtime
    entry.async_on_unload(runtime.async_shutdown)
    await hass.config_entries.async_forward_entry_setups(entry, runtime.platforms)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> bool:
    """Unload an entry's platforms; ``async_on_unload`` callbacks release the rest."""
    return await hass.config_entries.async_unload_platforms(entry, entry.runtime_data.platforms)


async def async_remove_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Delete what a removed entry kept on disk (caches, back-fill progress)."""
    if (remove := ENTRY_REMOVE.get(EntryType(entry.data[CONF_ENTRY_TYPE]))) is not None:
        await remove(hass, entry)
