"""Config flow steps of the Phidget entry, and the subentry flow of its relay channels.

Connection first (USB, or a Phidget network server), then the relay channels: those the
library's Manager reports within a few seconds, or one typed in by its address (checked by
opening it). Each channel becomes a ``relay`` subentry with its name, wiring and options.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryData,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import probatio

from ..const import CONF_ENTRY_TYPE, EntryType
from . import relays
from .const import (
    ANY_HUB_PORT,
    CONF_CHANNEL,
    CONF_CONNECTION,
    CONF_FAILSAFE_MS,
    CONF_HUB_PORT,
    CONF_INVERTED,
    CONF_IS_HUB_PORT_DEVICE,
    CONF_SERIAL_NUMBER,
    CONF_STARTUP,
    DEFAULT_PORT,
    SUBENTRY_RELAY,
    Connection,
    Startup,
)
from .relays import ChannelAddress, DiscoveredChannel, server_name
from .subentry import address_from_data, address_to_data

# How long the Manager listens for channels (longer when a new network server must connect
# first), and how long a typed-in channel may take to attach.
DISCOVERY_SECONDS = 3.0
NEW_SERVER_DISCOVERY_SECONDS = 5.0
CHECK_TIMEOUT_MS = 5000
MAX_FAILSAFE_MS = 60000

CONF_CHANNELS = "channels"  # form field: the discovered channels chosen
CONF_MANUAL = "manual"  # form field: also type a channel in by its address
ABORT_LIBRARY_MISSING = "phidget_library_missing"


def _where(address: ChannelAddress) -> str:
    where = [f"serial {address.serial_number}"]
    if address.hub_port != ANY_HUB_PORT:
        where.append(f"hub port {address.hub_port}")
    where.append("port device" if address.is_hub_port_device else f"channel {address.channel}")
    return ", ".join(where)


def channel_label(channel: DiscoveredChannel) -> str:
    """Describe a discovered channel for a picker."""
    return f"{channel.device_sku} {channel.device_name} — {_where(channel.address)}"


def _is_remote(data: Mapping[str, Any]) -> bool:
    return bool(data[CONF_CONNECTION] == Connection.NETWORK)


def no_board_error(remote: bool) -> str:
    """Form error when discovery found no board: what to check differs for USB and a server."""
    return "phidget_no_board_network" if remote else "phidget_no_board_usb"


def default_name(channel: DiscoveredChannel | None, address: ChannelAddress) -> str:
    """Suggest a name for a new relay."""
    device = channel.device_sku if channel is not None else "Phidget"
    return f"{device} relay {address.channel}"


async def async_library_available(hass: HomeAssistant) -> bool:
    """Tell whether the native library loads (the check itself blocks: executor)."""
    try:
        await hass.async_add_executor_job(relays.load_library)
    except relays.LibraryMissingError:
        return False
    return True


@asynccontextmanager
async def _async_server(hass: HomeAssistant, data: Mapping[str, Any]) -> AsyncIterator[bool]:
    """Register the entry's network server (if any) for the time of a discovery or a check.

    Yields whether the channels are remote.
    """
    if not _is_remote(data):
        yield False
        return
    name = server_name(data[CONF_HOST])
    await hass.async_add_executor_job(
        relays.add_server, name, data[CONF_HOST], data[CONF_PORT], data.get(CONF_PASSWORD) or ""
    )
    try:
        yield True
    finally:
        await hass.async_add_executor_job(relays.remove_server, name)


def _picker_schema(
    found: list[DiscoveredChannel], *, multiple: bool, field: str
) -> probatio.Schema:
    fields: dict[Any, Any] = {}
    if found:
        selector = SelectSelector(
            SelectSelectorConfig(
                options=[
                    SelectOptionDict(value=channel.address.key, label=channel_label(channel))
                    for channel in found
                ],
                multiple=multiple,
                mode=SelectSelectorMode.LIST,
            )
        )
        fields[probatio.Optional(field, default=[] if multiple else probatio.UNDEFINED)] = selector
    fields[probatio.Required(CONF_MANUAL, default=not found)] = BooleanSelector()
    return probatio.Schema(fields)


def _int_box(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX)
    )


MANUAL_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_SERIAL_NUMBER): _int_box(1, 2**31 - 1),
        probatio.Required(CONF_HUB_PORT, default=ANY_HUB_PORT): _int_box(ANY_HUB_PORT, 15),
        probatio.Required(CONF_IS_HUB_PORT_DEVICE, default=False): BooleanSelector(),
        probatio.Required(CONF_CHANNEL, default=0): _int_box(0, 63),
    }
)


def relay_schema(defaults: Mapping[str, Any]) -> probatio.Schema:
    """Return the form of a relay's name, wiring and options."""
    return probatio.Schema(
        {
            probatio.Required(CONF_NAME, default=defaults[CONF_NAME]): TextSelector(),
            probatio.Required(
                CONF_INVERTED, default=defaults.get(CONF_INVERTED, False)
            ): BooleanSelector(),
            probatio.Required(
                CONF_STARTUP, default=defaults.get(CONF_STARTUP, Startup.RESTORE)
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[startup.value for startup in Startup],
                    translation_key="phidget_startup",
                    mode=SelectSelectorMode.LIST,
                )
            ),
            probatio.Required(
                CONF_FAILSAFE_MS, default=defaults.get(CONF_FAILSAFE_MS, 0)
            ): NumberSelector(
                NumberSelectorConfig(
                    min=0,
                    max=MAX_FAILSAFE_MS,
                    step=100,
                    unit_of_measurement="ms",
                    mode=NumberSelectorMode.BOX,
                )
            ),
        }
    )


def relay_data(address: ChannelAddress, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return a relay subentry's data from its address and the relay form."""
    return {
        **address_to_data(address),
        CONF_NAME: str(user_input[CONF_NAME]).strip(),
        CONF_INVERTED: bool(user_input[CONF_INVERTED]),
        CONF_STARTUP: str(user_input[CONF_STARTUP]),
        CONF_FAILSAFE_MS: int(user_input[CONF_FAILSAFE_MS]),
    }


def manual_address(user_input: Mapping[str, Any]) -> ChannelAddress:
    """Read the manual form; a hub port device always uses channel 0 of its port."""
    address = address_from_data(user_input)
    if address.is_hub_port_device:
        return ChannelAddress(address.serial_number, address.hub_port, True, 0)
    return address


async def async_check_channel(
    hass: HomeAssistant, data: Mapping[str, Any], address: ChannelAddress
) -> str | None:
    """Open a typed-in channel once; return a form error, or None when it attached."""
    try:
        async with _async_server(hass, data) as remote:
            await hass.async_add_executor_job(
                relays.open_and_wait, address, remote, CHECK_TIMEOUT_MS
            )
    except relays.AttachTimeoutError:
        return "phidget_channel_not_found"
    except relays.RelayError:
        return "phidget_cannot_connect"
    return None


class PhidgetFlowMixin(ConfigFlow):
    """Steps that add a Phidget connection and its relays, and reconfigure the server."""

    _ph_data: dict[str, Any]
    _ph_found: dict[str, DiscoveredChannel]
    _ph_queue: list[tuple[ChannelAddress, DiscoveredChannel | None]]
    _ph_subentries: list[ConfigSubentryData]

    async def async_step_phidget(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose USB or a network server; abort if the native library is missing."""
        if not await async_library_available(self.hass):
            return self.async_abort(reason=ABORT_LIBRARY_MISSING)
        if user_input is None:
            return self.async_show_form(
                step_id="phidget",
                data_schema=probatio.Schema(
                    {
                        probatio.Required(CONF_CONNECTION, default=Connection.LOCAL): (
                            SelectSelector(
                                SelectSelectorConfig(
                                    options=[connection.value for connection in Connection],
                                    translation_key="phidget_connection",
                                    mode=SelectSelectorMode.LIST,
                                )
                            )
                        )
                    }
                ),
            )
        self._ph_subentries = []
        if user_input[CONF_CONNECTION] == Connection.NETWORK:
            return await self.async_step_phidget_network()
        await self.async_set_unique_id(Connection.LOCAL.value)
        self._abort_if_unique_id_configured()
        self._ph_data = {CONF_ENTRY_TYPE: EntryType.PHIDGET, CONF_CONNECTION: Connection.LOCAL}
        return await self.async_step_phidget_channels()

    async def async_step_phidget_network(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Give the network server's address and password."""
        if user_input is not None:
            host = str(user_input[CONF_HOST]).strip()
            await self.async_set_unique_id(host)
            self._abort_if_unique_id_configured()
            self._ph_data = {
                CONF_ENTRY_TYPE: EntryType.PHIDGET,
                CONF_CONNECTION: Connection.NETWORK,
                **_server_data(user_input),
            }
            return await self.async_step_phidget_channels()
        return self.async_show_form(step_id="phidget_network", data_schema=_server_schema({}))

    async def async_step_phidget_channels(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick among the channels found, and/or go on to type one in."""
        errors: dict[str, str] = {}
        if user_input is None:
            async with _async_server(self.hass, self._ph_data) as remote:
                seconds = NEW_SERVER_DISCOVERY_SECONDS if remote else DISCOVERY_SECONDS
                found = await relays.async_discover(self.hass, seconds, remote=remote)
            self._ph_found = {channel.address.key: channel for channel in found}
            if not found:
                errors["base"] = no_board_error(remote)
        else:
            chosen = [self._ph_found[key] for key in user_input.get(CONF_CHANNELS, [])]
            self._ph_queue = [(channel.address, channel) for channel in chosen]
            if user_input[CONF_MANUAL]:
                return await self.async_step_phidget_manual()
            if self._ph_queue:
                return await self.async_step_phidget_relay()
            errors["base"] = "phidget_no_channel_selected"
        return self.async_show_form(
            step_id="phidget_channels",
            data_schema=_picker_schema(
                list(self._ph_found.values()), multiple=True, field=CONF_CHANNELS
            ),
            description_placeholders={"count": str(len(self._ph_found))},
            errors=errors,
        )

    async def async_step_phidget_manual(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Type a channel in by its address; it must attach to be accepted."""
        errors: dict[str, str] = {}
        if user_input is not None:
            address = manual_address(user_input)
            error = await async_check_channel(self.hass, self._ph_data, address)
            if error is None:
                if all(queued != address for queued, _ in self._ph_queue):
                    self._ph_queue.append((address, None))
                return await self.async_step_phidget_relay()
            errors["base"] = error
        return self.async_show_form(
            step_id="phidget_manual",
            data_schema=self.add_suggested_values_to_schema(MANUAL_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_phidget_relay(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name each chosen relay and set its wiring and options; then create the entry."""
        address, channel = self._ph_queue[0]
        if user_input is not None:
            data = relay_data(address, user_input)
            self._ph_subentries.append(
                ConfigSubentryData(
                    data=data,
                    subentry_type=SUBENTRY_RELAY,
                    title=data[CONF_NAME],
                    unique_id=address.key,
                )
            )
            self._ph_queue.pop(0)
            if not self._ph_queue:
                return self.async_create_entry(
                    title=_entry_title(self._ph_data),
                    data=self._ph_data,
                    subentries=self._ph_subentries,
                )
            address, channel = self._ph_queue[0]
        return self.async_show_form(
            step_id="phidget_relay",
            data_schema=relay_schema({CONF_NAME: default_name(channel, address)}),
            description_placeholders={"channel": _describe(address, channel)},
        )

    async def async_step_reconfigure_phidget(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the network server's address, port or password."""
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_CONNECTION] != Connection.NETWORK:
            return self.async_abort(reason="reconfigure_not_supported")
        if user_input is not None:
            host = str(user_input[CONF_HOST]).strip()
            if host != entry.unique_id:
                await self.async_set_unique_id(host)
                self._abort_if_unique_id_configured()
            # The entry's update listener reloads it with the new server.
            return self.async_update_and_abort(
                entry,
                unique_id=host,
                title=_entry_title({CONF_HOST: host}),
                data_updates=_server_data(user_input),
            )
        return self.async_show_form(
            step_id="reconfigure_phidget", data_schema=_server_schema(entry.data)
        )


def _server_schema(defaults: Mapping[str, Any]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(CONF_HOST, default=defaults.get(CONF_HOST, probatio.UNDEFINED)): (
                TextSelector()
            ),
            probatio.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): (
                _int_box(1, 65535)
            ),
            probatio.Optional(CONF_PASSWORD, default=defaults.get(CONF_PASSWORD, "")): (
                TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
            ),
        }
    )


def _server_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    return {
        CONF_HOST: str(user_input[CONF_HOST]).strip(),
        CONF_PORT: int(user_input[CONF_PORT]),
        CONF_PASSWORD: str(user_input.get(CONF_PASSWORD) or ""),
    }


def _entry_title(data: Mapping[str, Any]) -> str:
    host = data.get(CONF_HOST)
    return f"Phidget {host}" if host else "Phidget USB"


def _describe(address: ChannelAddress, channel: DiscoveredChannel | None) -> str:
    return channel_label(channel) if channel is not None else _where(address)


class RelaySubentryFlow(ConfigSubentryFlow):
    """Add one more relay channel to a Phidget entry, or change a relay's settings."""

    _found: dict[str, DiscoveredChannel]
    _address: ChannelAddress
    _channel: DiscoveredChannel | None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Pick a channel found on the entry's connection, or go on to type one in."""
        entry = self._get_entry()
        if not await async_library_available(self.hass):
            return self.async_abort(reason=ABORT_LIBRARY_MISSING)
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="phidget_entry_not_loaded")
        errors: dict[str, str] = {}
        if user_input is None:
            configured = {subentry.unique_id for subentry in entry.subentries.values()}
            found = await relays.async_discover(
                self.hass, DISCOVERY_SECONDS, remote=_is_remote(entry.data)
            )
            self._found = {
                channel.address.key: channel
                for channel in found
                if channel.address.key not in configured
            }
            if not found:  # nothing at all (not: every channel found is already added)
                errors["base"] = no_board_error(_is_remote(entry.data))
        elif user_input[CONF_MANUAL]:
            return await self.async_step_manual()
        elif (key := user_input.get(CONF_CHANNEL)) in self._found:
            self._channel = self._found[key]
            self._address = self._channel.address
            return await self.async_step_relay()
        else:
            errors["base"] = "phidget_no_channel_selected"
        return self.async_show_form(
            step_id="user",
            data_schema=_picker_schema(
                list(self._found.values()), multiple=False, field=CONF_CHANNEL
            ),
            description_placeholders={"count": str(len(self._found))},
            errors=errors,
        )

    async def async_step_manual(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Type a channel in by its address; it must attach to be accepted."""
        errors: dict[str, str] = {}
        if user_input is not None:
            address = manual_address(user_input)
            entry = self._get_entry()
            if any(subentry.unique_id == address.key for subentry in entry.subentries.values()):
                return self.async_abort(reason="already_configured")
            error = await self._async_check(address)
            if error is None:
                self._address, self._channel = address, None
                return await self.async_step_relay()
            errors["base"] = error
        return self.async_show_form(
            step_id="manual",
            data_schema=self.add_suggested_values_to_schema(MANUAL_SCHEMA, user_input),
            errors=errors,
        )

    async def _async_check(self, address: ChannelAddress) -> str | None:
        # The loaded entry has its network server registered already.
        remote = _is_remote(self._get_entry().data)
        try:
            await self.hass.async_add_executor_job(
                relays.open_and_wait, address, remote, CHECK_TIMEOUT_MS
            )
        except relays.AttachTimeoutError:
            return "phidget_channel_not_found"
        except relays.RelayError:
            return "phidget_cannot_connect"
        return None

    async def async_step_relay(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Name the relay and set its wiring and options."""
        if user_input is not None:
            data = relay_data(self._address, user_input)
            return self.async_create_entry(
                title=data[CONF_NAME], data=data, unique_id=self._address.key
            )
        return self.async_show_form(
            step_id="relay",
            data_schema=relay_schema({CONF_NAME: default_name(self._channel, self._address)}),
            description_placeholders={"channel": _describe(self._address, self._channel)},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a relay's name, wiring or options (the entry then reloads)."""
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        if user_input is not None:
            data = relay_data(address_from_data(subentry.data), user_input)
            return self.async_update_and_abort(entry, subentry, title=data[CONF_NAME], data=data)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=relay_schema({CONF_NAME: subentry.title, **subentry.data}),
            description_placeholders={"channel": _describe(address_from_data(subentry.data), None)},
        )
