"""Phidget entry: one connection (USB or a Phidget network server) and its relay channels."""

from __future__ import annotations

from typing import Any, ClassVar

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..const import DOMAIN, LOGGER
from ..runtime import DelestageConfigEntry, DelestageRuntime
from . import relays
from .const import CONF_CONNECTION, DEFAULT_PORT, ISSUE_LIBRARY_MISSING, SUBENTRY_RELAY, Connection
from .subentry import RelayConfig
from .switch import PhidgetRelaySwitch


class PhidgetRuntime(DelestageRuntime):
    """The relay channels of one Phidget connection.

    Channels are opened and closed by their switch entities; relay subentries added later
    get their entity at once, any other change of the entry reloads it.
    """

    platforms: ClassVar[tuple[Platform, ...]] = (Platform.SWITCH,)

    def __init__(
        self,
        hass: HomeAssistant,
        entry: DelestageConfigEntry,
        library_version: str,
        server: str | None,
    ) -> None:
        """Hold the entry's channels, one per relay subentry."""
        self.hass = hass
        self.entry = entry
        self.library_version = library_version
        self.server = server
        self.channels: dict[str, relays.RelayChannel] = {}
        self._configs: dict[str, RelayConfig] = {}
        self._entry_data = dict(entry.data)
        self._add_entities: AddConfigEntryEntitiesCallback | None = None

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add one switch per relay subentry."""
        self._add_entities = async_add_entities
        for subentry in self.entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_RELAY:
                self._async_add_relay(RelayConfig.from_subentry(subentry))

    @callback
    def _async_add_relay(self, config: RelayConfig) -> None:
        assert self._add_entities is not None
        channel = relays.RelayChannel(
            self.hass,
            config.address,
            remote=self.server is not None,
            failsafe_ms=config.failsafe_ms,
        )
        self.channels[config.subentry_id] = channel
        self._configs[config.subentry_id] = config
        assert self.entry.unique_id is not None
        self._add_entities(
            [PhidgetRelaySwitch(self.entry.unique_id, config, channel)],
            config_subentry_id=config.subentry_id,
        )

    async def async_entry_updated(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Follow subentry changes: add new relays, drop removed ones, reload for the rest."""
        configs = {
            subentry.subentry_id: RelayConfig.from_subentry(subentry)
            for subentry in entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_RELAY
        }
        changed = dict(entry.data) != self._entry_data or any(
            configs[subentry_id] != config
            for subentry_id, config in self._configs.items()
            if subentry_id in configs
        )
        if changed:
            hass.config_entries.async_schedule_reload(entry.entry_id)
            return
        for subentry_id in self._configs.keys() - configs.keys():
            # Home Assistant removes the subentry's entity, which closes the channel.
            del self._configs[subentry_id]
            await self.channels.pop(subentry_id).async_close()
        for subentry_id, config in configs.items():
            if subentry_id not in self._configs and self._add_entities is not None:
                self._async_add_relay(config)

    async def async_shutdown(self) -> None:
        """Close every channel still open, then forget the network server."""
        for channel in self.channels.values():
            await channel.async_close()
        if self.server is not None:
            await self.hass.async_add_executor_job(relays.remove_server, self.server)

    async def async_diagnostics(self) -> dict[str, Any]:
        """Return the library version and each channel's state."""
        return {
            "library_version": self.library_version,
            "connection": self.entry.data.get(CONF_CONNECTION),
            "channels": {
                self._configs[subentry_id].name: {
                    "address": channel.address.key,
                    "open": channel.is_open,
                    "attached": channel.attached,
                    "state": channel.state,
                    "device": channel.device_sku,
                    "failsafe_ms": channel.failsafe_armed_ms,
                }
                for subentry_id, channel in self.channels.items()
            },
        }


async def async_setup_entry(hass: HomeAssistant, entry: DelestageConfigEntry) -> PhidgetRuntime:
    """Load the native library, register the network server if any, and hold the channels."""
    try:
        version = await hass.async_add_executor_job(relays.load_library)
    except relays.LibraryMissingError as err:
        LOGGER.error("The native Phidget library cannot be loaded: %s", err)
        ir.async_create_issue(
            hass,
            DOMAIN,
            ISSUE_LIBRARY_MISSING,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_LIBRARY_MISSING,
            learn_more_url="https://github.com/delestage/delestage#phidget-relays",
        )
        raise ConfigEntryError(
            translation_domain=DOMAIN, translation_key=ISSUE_LIBRARY_MISSING
        ) from None
    ir.async_delete_issue(hass, DOMAIN, ISSUE_LIBRARY_MISSING)
    LOGGER.debug("Phidget library: %s", version)

    server: str | None = None
    if entry.data[CONF_CONNECTION] == Connection.NETWORK:
        host = entry.data[CONF_HOST]
        server = relays.server_name(host)
        try:
            await hass.async_add_executor_job(
                relays.add_server,
                server,
                host,
                int(entry.data.get(CONF_PORT, DEFAULT_PORT)),
                entry.data.get(CONF_PASSWORD) or "",
            )
        except relays.RelayError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="phidget_server_error",
                translation_placeholders={"host": host, "error": str(err)},
            ) from err

    runtime = PhidgetRuntime(hass, entry, version, server)
    entry.async_on_unload(entry.add_update_listener(runtime.async_entry_updated))
    return runtime
