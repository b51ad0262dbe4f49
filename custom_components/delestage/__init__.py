"""The Délestage integration: grid signals, home consumption, weather and relays."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .anticipation import async_remove_device, async_setup_anticipation
from .api.enedis_gateways import Source
from .const import CONF_ENTRY_TYPE, DOMAIN, LOGGER, EntryType
from .enedis.const import CONF_CONSENT_DURATION, CONF_SOURCE
from .enedis.oauth import async_register_consent_view
from .entry_types import ENTRY_REMOVE, ENTRY_SETUP
from .forecast.feature import async_setup_forecast
from .repairs import async_check_api_base_url, async_delete_api_base_url_issue
from .report import async_setup_report
from .runtime import DelestageConfigEntry
from .services import async_setup_services
from .shedding import async_setup_shedding
from .tariff import async_setup_tariff

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration: actions, and the features, before any entry sets up.

    The features subscribe to what the entries publish (``hub.py``); the tariff first: the
    report reads the cost it writes.
    """
    async_register_consent_view(hass)
    async_setup_services(hass)
    async_setup_tariff(hass)
    async_setup_report(hass)
    await async_setup_shedding(hass)
    async_setup_forecast(hass)
    await async_setup_anticipation(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> bool:
    """Bring an entry stored by an older version up to the current one, one step at a time.

    Each step reads the entry as the previous step left it, changes what its version changed
    and records its minor version, so an entry of any older version runs every later step in
    order, and a step interrupted by a restart is simply run again. A new step goes at the end
    with ``MINOR_VERSION`` in ``config_flow.py`` raised to match. Home Assistant itself refuses
    an entry of a newer major version (a downgrade) without calling this.
    """
    from_version = f"{entry.version}.{entry.minor_version}"

    if entry.minor_version < 2:
        # 1.2: consent durations are lower-case option values ("p3y"); Enedis' "P3Y" is built
        # only in the consent URL (hassfest: translation keys are [a-z0-9-_]).
        data: dict[str, Any] = dict(entry.data)
        if isinstance(duration := data.get(CONF_CONSENT_DURATION), str):
            data[CONF_CONSENT_DURATION] = duration.lower()
        hass.config_entries.async_update_entry(entry, data=data, minor_version=2)

    if entry.minor_version < 3:
        # 1.3 (issue 14): Linky entries name their data source; the ones made before sources
        # existed all used the user's own Data Connect app.
        data = dict(entry.data)
        if data.get(CONF_ENTRY_TYPE) == EntryType.ENEDIS:
            data.setdefault(CONF_SOURCE, Source.DATACONNECT.value)
        hass.config_entries.async_update_entry(entry, data=data, minor_version=3)

    LOGGER.debug(
        "Migrated entry %s from version %s to %s.%s",
        entry.entry_id,
        from_version,
        entry.version,
        entry.minor_version,
    )
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
    # Before the set-up, which may fail: an entry retrying still talks to that server.
    await async_check_api_base_url(hass, entry)
    runtime = await setup(hass, entry)
    entry.runtime_data = runtime
    entry.async_on_unload(runtime.async_shutdown)
    await hass.config_entries.async_forward_entry_setups(entry, runtime.platforms)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> bool:
    """Unload an entry's platforms; ``async_on_unload`` callbacks release the rest."""
    if unloaded := await hass.config_entries.async_unload_platforms(
        entry, entry.runtime_data.platforms
    ):
        async_delete_api_base_url_issue(hass, entry)
    return unloaded


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: DelestageConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a thermostat's pre-heating device; no other device goes this way."""
    return await async_remove_device(hass, device)


async def async_remove_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> None:
    """Delete what a removed entry kept on disk (caches, back-fill progress)."""
    async_delete_api_base_url_issue(hass, entry)
    if (remove := ENTRY_REMOVE.get(EntryType(entry.data[CONF_ENTRY_TYPE]))) is not None:
        await remove(hass, entry)
