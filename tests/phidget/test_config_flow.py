"""Config flow of the Phidget entry and subentry flow of its relays, with the hardware stand-in."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PASSWORD, CONF_PORT, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from Phidget22._phidget_support import PhidgetSupport
from Phidget22.ErrorCode import ErrorCode
from Phidget22.PhidgetException import PhidgetException
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.const import CONF_ENTRY_TYPE, DOMAIN
from custom_components.delestage.phidget import flow
from custom_components.delestage.phidget.const import (
    CONF_CHANNEL,
    CONF_CONNECTION,
    CONF_FAILSAFE_MS,
    CONF_HUB_PORT,
    CONF_INVERTED,
    CONF_IS_HUB_PORT_DEVICE,
    CONF_SERIAL_NUMBER,
    CONF_STARTUP,
)
from custom_components.delestage.phidget.relays import ChannelAddress

from .conftest import HEATER, PUMP, local_entry, relay_subentry, settle
from .hardware import Hardware

USB_BOARD = ChannelAddress(serial_number=31337, hub_port=-1, is_hub_port_device=False, channel=3)
SERVER = "delestage-192.0.2.10"
RELAY_FORM = {CONF_NAME: "Heater", CONF_INVERTED: False, CONF_STARTUP: "off", CONF_FAILSAFE_MS: 0}


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Discovery and the attach check take fractions of a second with the stand-in."""
    monkeypatch.setattr(flow, "DISCOVERY_SECONDS", 0.05)
    monkeypatch.setattr(flow, "NEW_SERVER_DISCOVERY_SECONDS", 0.05)
    monkeypatch.setattr(flow, "CHECK_TIMEOUT_MS", 50)


@pytest.fixture
def library_missing() -> Generator[None]:
    error = OSError("libphidget22.so.0: cannot open shared object file: No such file or directory")
    with patch.object(PhidgetSupport, "getDll", side_effect=error):
        yield


async def _start(hass: HomeAssistant, connection: str = "local") -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "phidget"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "phidget"
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CONNECTION: connection}
    )


def _options(result: ConfigFlowResult, field: str) -> list[dict[str, str]]:
    schema = result["data_schema"]
    assert schema is not None
    for key, selector in schema.schema.items():
        if key == field:
            return list(selector.config["options"])
    return []


async def test_local_flow_with_discovered_channels(hass: HomeAssistant, hardware: Hardware) -> None:
    hardware.plug(HEATER, state=True)
    hardware.plug(PUMP)
    hardware.plug(USB_BOARD, sku="1014_3", name="PhidgetInterfaceKit 0/0/4", vint=False)

    result = await _start(hass)

    assert result["step_id"] == "phidget_channels"
    assert result["description_placeholders"] == {"count": "3"}
    assert _options(result, "channels") == [
        {
            "value": "31337_-1_3",
            "label": "1014_3 PhidgetInterfaceKit 0/0/4 — serial 31337, channel 3",
        },
        {
            "value": HEATER.key,
            "label": "REL1000 4x Relay Phidget — serial 620001, hub port 2, channel 0",
        },
        {
            "value": PUMP.key,
            "label": "REL1000 4x Relay Phidget — serial 620001, hub port 2, channel 1",
        },
    ]

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"channels": [HEATER.key, "31337_-1_3"], "manual": False}
    )
    assert result["step_id"] == "phidget_relay"
    assert result["description_placeholders"] == {
        "channel": "REL1000 4x Relay Phidget — serial 620001, hub port 2, channel 0"
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], RELAY_FORM)
    assert result["step_id"] == "phidget_relay"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_NAME: " Pool pump ",
            CONF_INVERTED: True,
            CONF_STARTUP: "leave",
            CONF_FAILSAFE_MS: 2000,
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Phidget USB"
    assert result["data"] == {CONF_ENTRY_TYPE: "phidget", CONF_CONNECTION: "local"}
    entry = result["result"]
    assert entry.unique_id == "local"
    subentries = sorted(entry.subentries.values(), key=lambda subentry: subentry.title)
    assert [(s.title, s.subentry_type, s.unique_id, dict(s.data)) for s in subentries] == [
        (
            "Heater",
            "relay",
            HEATER.key,
            {
                CONF_SERIAL_NUMBER: 620001,
                CONF_HUB_PORT: 2,
                CONF_IS_HUB_PORT_DEVICE: False,
                CONF_CHANNEL: 0,
                CONF_NAME: "Heater",
                CONF_INVERTED: False,
                CONF_STARTUP: "off",
                CONF_FAILSAFE_MS: 0,
            },
        ),
        (
            "Pool pump",
            "relay",
            "31337_-1_3",
            {
                CONF_SERIAL_NUMBER: 31337,
                CONF_HUB_PORT: -1,
                CONF_IS_HUB_PORT_DEVICE: False,
                CONF_CHANNEL: 3,
                CONF_NAME: "Pool pump",
                CONF_INVERTED: True,
                CONF_STARTUP: "leave",
                CONF_FAILSAFE_MS: 2000,
            },
        ),
    ]

    # The entry is set up at once: both relays follow their boards.
    await settle(hass, hardware)
    assert hass.states.get("switch.heater").state == "off"  # type: ignore[union-attr]
    assert hass.states.get("switch.pool_pump").state == STATE_ON  # type: ignore[union-attr]
    assert hardware.channels[HEATER].state is False  # start-up "off" applied


async def test_nothing_chosen_asks_again(hass: HomeAssistant, hardware: Hardware) -> None:
    hardware.plug(HEATER)
    result = await _start(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"channels": [], "manual": False}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "phidget_channels"
    assert result["errors"] == {"base": "phidget_no_channel_selected"}


async def test_manual_entry_is_checked_by_opening_the_channel(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    result = await _start(hass)
    assert result["step_id"] == "phidget_channels"
    assert result["description_placeholders"] == {"count": "0"}
    assert _options(result, "channels") == []

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"manual": True})
    assert result["step_id"] == "phidget_manual"
    manual = {
        CONF_SERIAL_NUMBER: 620001,
        CONF_HUB_PORT: 2,
        CONF_IS_HUB_PORT_DEVICE: False,
        CONF_CHANNEL: 0,
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], manual)
    assert result["step_id"] == "phidget_manual"
    assert result["errors"] == {"base": "phidget_channel_not_found"}
    assert "openWaitForAttachment" in [name for _, name, _ in hardware.calls]

    hardware.plug(HEATER)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], manual)
    assert result["step_id"] == "phidget_relay"
    assert result["description_placeholders"] == {"channel": "serial 620001, hub port 2, channel 0"}
    assert result["data_schema"]({**RELAY_FORM, CONF_NAME: "x"})  # defaults fill the rest
    result = await hass.config_entries.flow.async_configure(result["flow_id"], RELAY_FORM)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    [subentry] = result["result"].subentries.values()
    assert subentry.unique_id == HEATER.key
    # The check closed its channel again.
    assert not hardware.opened[0].is_open


async def test_manual_hub_port_device_and_a_chosen_channel(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    port_device = ChannelAddress(620001, 4, True, 0)
    hardware.plug(port_device, sku="REL2001", name="Relay")
    hardware.plug(HEATER)
    result = await _start(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"channels": [HEATER.key], "manual": True}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_SERIAL_NUMBER: 620001,
            CONF_HUB_PORT: 4,
            CONF_IS_HUB_PORT_DEVICE: True,
            CONF_CHANNEL: 7,
        },
    )
    assert result["step_id"] == "phidget_relay"
    assert result["description_placeholders"]["channel"].startswith("REL1000")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], RELAY_FORM)
    assert result["description_placeholders"] == {
        "channel": "serial 620001, hub port 4, port device"
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**RELAY_FORM, CONF_NAME: "Boiler"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    keys = {subentry.unique_id for subentry in result["result"].subentries.values()}
    assert keys == {HEATER.key, port_device.key}


async def test_manual_entry_refused_by_the_library(hass: HomeAssistant, hardware: Hardware) -> None:
    def _refuse(self: Any, timeout: int) -> None:
        raise PhidgetException(ErrorCode.EPHIDGET_INVALIDARG)

    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"manual": True})
    with patch("tests.phidget.hardware.FakeDigitalOutput.openWaitForAttachment", _refuse):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_SERIAL_NUMBER: 1,
                CONF_HUB_PORT: -1,
                CONF_IS_HUB_PORT_DEVICE: False,
                CONF_CHANNEL: 0,
            },
        )

    assert result["errors"] == {"base": "phidget_cannot_connect"}


async def test_local_connection_only_once(hass: HomeAssistant, hardware: Hardware) -> None:
    local_entry().add_to_hass(hass)

    result = await _start(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_network_flow_discovers_through_the_server(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER, server=SERVER)
    hardware.plug(PUMP)  # a local board: not on this server

    result = await _start(hass, "network")
    assert result["step_id"] == "phidget_network"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: " 192.0.2.10 ", CONF_PORT: 5661, CONF_PASSWORD: "s3cret"}
    )

    assert result["step_id"] == "phidget_channels"
    assert [option["value"] for option in _options(result, "channels")] == [HEATER.key]
    assert hardware.servers == {}  # registered for the discovery only

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"channels": [HEATER.key], "manual": False}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], RELAY_FORM)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Phidget 192.0.2.10"
    assert result["result"].unique_id == "192.0.2.10"
    assert result["data"] == {
        CONF_ENTRY_TYPE: "phidget",
        CONF_CONNECTION: "network",
        CONF_HOST: "192.0.2.10",
        CONF_PORT: 5661,
        CONF_PASSWORD: "s3cret",
    }
    await settle(hass, hardware)
    assert hardware.servers == {SERVER: ("192.0.2.10", 5661, "s3cret")}


async def test_network_manual_check_uses_the_server(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER, server=SERVER)
    result = await _start(hass, "network")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "192.0.2.10", CONF_PORT: 5661}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"manual": True})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_SERIAL_NUMBER: 620001,
            CONF_HUB_PORT: 2,
            CONF_IS_HUB_PORT_DEVICE: False,
            CONF_CHANNEL: 0,
        },
    )

    assert result["step_id"] == "phidget_relay"
    assert (None, "setIsRemote", (True,)) in hardware.calls
    assert hardware.servers == {}


async def test_same_server_only_once(hass: HomeAssistant, hardware: Hardware) -> None:
    MockConfigEntry(
        domain=DOMAIN, unique_id="192.0.2.10", data={CONF_ENTRY_TYPE: "phidget"}
    ).add_to_hass(hass)
    result = await _start(hass, "network")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "192.0.2.10", CONF_PORT: 5661}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_missing_library_aborts_the_flow(
    hass: HomeAssistant, hardware: Hardware, library_missing: None
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "phidget"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "phidget_library_missing"


def _network_entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Phidget 192.0.2.10",
        unique_id="192.0.2.10",
        data={
            CONF_ENTRY_TYPE: "phidget",
            CONF_CONNECTION: "network",
            CONF_HOST: "192.0.2.10",
            CONF_PORT: 5661,
            CONF_PASSWORD: "old",
        },
        subentries_data=[relay_subentry(HEATER, "Heater")],
    )


async def test_reconfigure_network_server(hass: HomeAssistant, hardware: Hardware) -> None:
    entry = _network_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, hardware)

    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_phidget"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "phidget.local", CONF_PORT: 5662, CONF_PASSWORD: "new"}
    )
    await hass.async_block_till_done()
    await settle(hass, hardware)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == "phidget.local"
    assert entry.title == "Phidget phidget.local"
    assert entry.data[CONF_PASSWORD] == "new"
    # Reloaded with the new server, the old one forgotten.
    assert hardware.servers == {"delestage-phidget.local": ("phidget.local", 5662, "new")}


async def test_reconfigure_to_a_server_already_added(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    entry = _network_entry()
    entry.add_to_hass(hass)
    MockConfigEntry(
        domain=DOMAIN, unique_id="other", data={CONF_ENTRY_TYPE: "phidget"}
    ).add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "other", CONF_PORT: 5661}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_local_entry_has_nothing_to_reconfigure(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    entry = local_entry()
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_not_supported"


# --- Subentry flow: one more relay, or a relay's settings ---


async def _loaded(hass: HomeAssistant, hardware: Hardware) -> MockConfigEntry:
    entry = local_entry(relay_subentry(HEATER, "Heater"))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, hardware)
    return entry


async def _start_relay(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, "relay"), context={"source": SOURCE_USER}
    )


async def test_add_a_discovered_relay_later(hass: HomeAssistant, hardware: Hardware) -> None:
    hardware.plug(HEATER)
    hardware.plug(PUMP, state=True)
    entry = await _loaded(hass, hardware)

    result = await _start_relay(hass, entry)

    assert result["step_id"] == "user"
    assert [option["value"] for option in _options(result, "channel")] == [PUMP.key]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"channel": PUMP.key, "manual": False}
    )
    assert result["step_id"] == "relay"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Pump", CONF_INVERTED: False, CONF_STARTUP: "leave", CONF_FAILSAFE_MS: 0},
    )
    await settle(hass, hardware)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(entry.subentries) == 2
    assert hass.states.get("switch.pump").state == STATE_ON  # type: ignore[union-attr]


async def test_add_a_relay_by_its_address(hass: HomeAssistant, hardware: Hardware) -> None:
    hardware.plug(HEATER)
    entry = await _loaded(hass, hardware)
    result = await _start_relay(hass, entry)
    assert result["description_placeholders"] == {"count": "0"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"manual": False}
    )
    assert result["errors"] == {"base": "phidget_no_channel_selected"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"manual": True}
    )
    pump = {
        CONF_SERIAL_NUMBER: 620001,
        CONF_HUB_PORT: 2,
        CONF_IS_HUB_PORT_DEVICE: False,
        CONF_CHANNEL: 1,
    }
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], pump)
    assert result["errors"] == {"base": "phidget_channel_not_found"}

    hardware.plug(PUMP)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], pump)
    assert result["step_id"] == "relay"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**RELAY_FORM, CONF_NAME: "Pump"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await settle(hass, hardware)
    assert hass.states.get("switch.pump") is not None


async def test_adding_a_relay_twice_aborts(hass: HomeAssistant, hardware: Hardware) -> None:
    entry = await _loaded(hass, hardware)
    result = await _start_relay(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"manual": True}
    )

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_SERIAL_NUMBER: 620001,
            CONF_HUB_PORT: 2,
            CONF_IS_HUB_PORT_DEVICE: False,
            CONF_CHANNEL: 0,
        },
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_manual_relay_refused_by_the_library(hass: HomeAssistant, hardware: Hardware) -> None:
    def _refuse(self: Any, timeout: int) -> None:
        raise PhidgetException(ErrorCode.EPHIDGET_INVALIDARG)

    entry = await _loaded(hass, hardware)
    result = await _start_relay(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"manual": True}
    )
    with patch("tests.phidget.hardware.FakeDigitalOutput.openWaitForAttachment", _refuse):
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {
                CONF_SERIAL_NUMBER: 9,
                CONF_HUB_PORT: -1,
                CONF_IS_HUB_PORT_DEVICE: False,
                CONF_CHANNEL: 0,
            },
        )

    assert result["errors"] == {"base": "phidget_cannot_connect"}


async def test_adding_a_relay_needs_a_loaded_entry(hass: HomeAssistant, hardware: Hardware) -> None:
    entry = local_entry()
    entry.add_to_hass(hass)

    result = await _start_relay(hass, entry)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "phidget_entry_not_loaded"


async def test_adding_a_relay_without_the_library(hass: HomeAssistant, hardware: Hardware) -> None:
    entry = await _loaded(hass, hardware)

    with patch.object(PhidgetSupport, "getDll", side_effect=OSError("libphidget22.so.0")):
        result = await _start_relay(hass, entry)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "phidget_library_missing"


async def test_change_a_relay_settings(hass: HomeAssistant, hardware: Hardware) -> None:
    hardware.plug(HEATER, state=True)
    entry = await _loaded(hass, hardware)
    subentry_id = next(iter(entry.subentries))
    assert hass.states.get("switch.heater").state == STATE_ON  # type: ignore[union-attr]

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {"channel": "serial 620001, hub port 2, channel 0"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {CONF_NAME: "Heater", CONF_INVERTED: True, CONF_STARTUP: "restore", CONF_FAILSAFE_MS: 1500},
    )
    await hass.async_block_till_done()
    await settle(hass, hardware)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data[CONF_INVERTED] is True
    # Reloaded: the new channel arms the failsafe, and start-up "restore" brings the load back on.
    assert (HEATER, "enableFailsafe", (1500,)) in hardware.calls
    assert hass.states.get("switch.heater").state == STATE_ON  # type: ignore[union-attr]
    assert hardware.channels[HEATER].state is False  # on = released, wired normally closed
