"""A relay channel as a ``switch`` entity that follows the hardware."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity

from ..const import DOMAIN, LOGGER
from ..texts import DeviceModel, device_model
from .const import ISSUE_FAILSAFE_TRIPPED, Startup
from .relays import (
    FAILSAFE_EVENT,
    FailsafeTrippedError,
    NotAttachedError,
    PhidgetError,
    RelayChannel,
    RelayError,
)
from .subentry import RelayConfig

MANUFACTURER = "Phidgets Inc."


@dataclass(slots=True)
class RelayStoredData(ExtraStoredData):
    """The last state the relay was known to have, kept across restarts."""

    is_on: bool | None

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the restore-state store."""
        return {"is_on": self.is_on}


class PhidgetRelaySwitch(SwitchEntity, RestoreEntity):
    """A relay: on/off from the board, unavailable while detached.

    ``inverted`` is the wiring: when set, the load is on while the relay is released
    (normally-closed contact), so "on" sets the output False.
    """

    _attr_has_entity_name = True
    _attr_name = None
    _attr_should_poll = False
    _attr_translation_key = "relay"

    def __init__(self, entry_unique_id: str, config: RelayConfig, channel: RelayChannel) -> None:
        """Describe the entity; the channel is opened once it is added to Home Assistant."""
        self._config = config
        self._channel = channel
        self._last_known: bool | None = None
        self._attr_unique_id = f"{entry_unique_id}_{config.address.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, self._attr_unique_id)},
            manufacturer=MANUFACTURER,
            model=device_model(channel.hass, DeviceModel.PHIDGET_RELAY),
            name=config.name,
            serial_number=str(config.address.serial_number),
        )

    @property
    def available(self) -> bool:
        """Available while the channel is attached to its board."""
        return self._channel.attached and self._channel.state is not None

    @property
    def is_on(self) -> bool | None:
        """Whether the load is on, from the output state and the wiring."""
        state = self._channel.state
        if state is None:
            return None
        return state != self._config.inverted

    @property
    def extra_restore_state_data(self) -> RelayStoredData:
        """Keep the last known state, even if the relay is unavailable at shutdown."""
        return RelayStoredData(self._last_known)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The channel address and the failsafe period in force."""
        address = self._config.address
        return {
            "serial_number": address.serial_number,
            "hub_port": address.hub_port,
            "channel": address.channel,
            "inverted": self._config.inverted,
            "failsafe_ms": self._channel.failsafe_armed_ms,
        }

    async def async_added_to_hass(self) -> None:
        """Restore the last known state, then open the channel (it attaches later)."""
        await super().async_added_to_hass()
        if (extra := await self.async_get_last_extra_data()) is not None:
            value = extra.as_dict().get("is_on")
            self._last_known = value if isinstance(value, bool) else None
        self._channel.set_listener(self)
        try:
            await self._channel.async_open()
        except PhidgetError as err:
            LOGGER.error("Could not open Phidget relay %s: %s", self._config.name, err)

    async def async_will_remove_from_hass(self) -> None:
        """Close the channel."""
        self._channel.set_listener(None)
        await self._channel.async_close()

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch the load on."""
        await self._async_switch(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the load off."""
        await self._async_switch(False)

    async def _async_switch(self, on: bool) -> None:
        try:
            await self._channel.async_set_state(on != self._config.inverted)
        except NotAttachedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="relay_not_attached",
                translation_placeholders={"name": self._config.name},
            ) from err
        except FailsafeTrippedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="relay_failsafe",
                translation_placeholders={"name": self._config.name},
            ) from err
        except RelayError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="relay_error",
                translation_placeholders={"name": self._config.name, "error": str(err)},
            ) from err
        ir.async_delete_issue(self.hass, DOMAIN, self._failsafe_issue_id)
        self._async_state_known()

    @property
    def _failsafe_issue_id(self) -> str:
        return f"{ISSUE_FAILSAFE_TRIPPED}_{self._config.subentry_id}"

    @callback
    def _async_state_known(self) -> None:
        if self.is_on is not None:
            self._last_known = self.is_on
        self.async_write_ha_state()

    # --- RelayListener: the channel's events, on the event loop ---

    @callback
    def relay_attached(self, first: bool) -> None:
        """Back (or there for the first time): report the board's state."""
        if first:
            self._async_update_device_model()
            self._async_apply_startup()
        else:
            LOGGER.info("Phidget relay %s is attached again", self._config.name)
        self._async_state_known()

    @callback
    def relay_detached(self) -> None:
        """Unplugged or server lost: unavailable until it attaches again."""
        LOGGER.warning(
            "Phidget relay %s is detached, unavailable until it is back", self._config.name
        )
        self.async_write_ha_state()

    @callback
    def relay_state_changed(self) -> None:
        """Follow a change made by another client of the network server."""
        self._async_state_known()

    @callback
    def relay_error(self, code: int, description: str) -> None:
        """Log board errors; a failsafe trip also raises a repair issue."""
        if code != FAILSAFE_EVENT:
            LOGGER.warning(
                "Phidget relay %s reported: %s (%s)", self._config.name, description, code
            )
            return
        LOGGER.error(
            "Phidget relay %s tripped its failsafe: Home Assistant did not refresh it in time, "
            "the relay was released",
            self._config.name,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._failsafe_issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_FAILSAFE_TRIPPED,
            translation_placeholders={
                "name": self._config.name,
                "failsafe_ms": str(self._channel.failsafe_armed_ms or self._config.failsafe_ms),
            },
        )
        self._async_state_known()

    @callback
    def _async_update_device_model(self) -> None:
        sku, name = self._channel.device_sku, self._channel.device_name
        if not sku or self.device_entry is None:
            return
        dr.async_get(self.hass).async_update_device(
            self.device_entry.id, model=name or sku, model_id=sku
        )

    @callback
    def _async_apply_startup(self) -> None:
        """First attach after set-up: apply the configured start-up behaviour."""
        match self._config.startup:
            case Startup.OFF:
                target: bool | None = False
            case Startup.RESTORE:
                target = self._last_known
            case _:
                target = None
        if target is None or target == self.is_on:
            return
        self.hass.async_create_task(
            self._async_startup_switch(target), f"delestage start-up of {self.entity_id}"
        )

    async def _async_startup_switch(self, on: bool) -> None:
        try:
            await self._async_switch(on)
        except HomeAssistantError as err:
            LOGGER.warning(
                "Start-up state of Phidget relay %s not applied: %s", self._config.name, err
            )
