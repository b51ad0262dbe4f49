"""Relay switches driven by the hardware stand-in: attach, detach, switching, failsafe, unload."""

from __future__ import annotations

import time
from typing import Any
from unittest.mock import patch

from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PASSWORD,
    CONF_PORT,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.delestage.const import CONF_ENTRY_TYPE, DOMAIN
from custom_components.delestage.phidget.const import CONF_CONNECTION, CONF_INVERTED

from .conftest import HEATER, PUMP, local_entry, relay_subentry, settle
from .hardware import Hardware

HEATER_ID = "switch.heater"
PUMP_ID = "switch.pump"


async def _setup(hass: HomeAssistant, entry: MockConfigEntry, hardware: Hardware) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass, hardware)


async def _switch(hass: HomeAssistant, hardware: Hardware, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    await settle(hass, hardware)


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_state_follows_attach_detach_and_reattach(
    hass: HomeAssistant, hardware: Hardware, caplog: pytest.LogCaptureFixture
) -> None:
    hardware.plug(HEATER, state=True)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater")), hardware)

    assert _state(hass, HEATER_ID) == STATE_ON
    # Opened without blocking: open(), never openWaitForAttachment, matching a local channel.
    names = [name for _, name, _ in hardware.calls]
    assert "open" in names
    assert "openWaitForAttachment" not in names
    assert (None, "setHubPort", (2,)) in hardware.calls
    assert (None, "setIsLocal", (True,)) in hardware.calls

    hardware.unplug(HEATER)
    await settle(hass, hardware)
    assert _state(hass, HEATER_ID) == STATE_UNAVAILABLE

    hardware.plug(HEATER, state=False)
    await settle(hass, hardware)
    assert _state(hass, HEATER_ID) == STATE_OFF
    # Logged once when it went away, once when it came back.
    assert caplog.text.count("Phidget relay Heater is detached") == 1
    assert caplog.text.count("Phidget relay Heater is attached again") == 1


async def test_board_plugged_in_after_setup_attaches(
    hass: HomeAssistant, hardware: Hardware, device_registry: dr.DeviceRegistry
) -> None:
    entry = local_entry(relay_subentry(HEATER, "Heater"))
    await _setup(hass, entry, hardware)

    assert entry.state is ConfigEntryState.LOADED
    assert _state(hass, HEATER_ID) == STATE_UNAVAILABLE

    hardware.plug(HEATER, sku="REL1101", name="16x Isolated Solid State Relay Phidget")
    await settle(hass, hardware)

    assert _state(hass, HEATER_ID) == STATE_OFF
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, f"local_{HEATER.key}"), entry.entry_id
    )
    assert device is not None
    assert device.name == "Heater"
    assert device.model_id == "REL1101"
    assert device.model == "16x Isolated Solid State Relay Phidget"
    assert device.manufacturer == "Phidgets Inc."
    assert device.serial_number == "620001"
    entity = er.async_get(hass).async_get(HEATER_ID)
    assert entity is not None
    assert entity.unique_id == f"local_{HEATER.key}"
    assert entity.translation_key == "relay"
    assert entity.device_id == device.id
    assert entity.config_subentry_id == next(iter(entry.subentries))
    assert (device.config_entry_id, device.config_subentry_id) == (
        entry.entry_id,
        entity.config_subentry_id,
    )


async def test_switching_sets_the_output(hass: HomeAssistant, hardware: Hardware) -> None:
    board = hardware.plug(HEATER)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater")), hardware)

    await _switch(hass, hardware, SERVICE_TURN_ON, HEATER_ID)
    assert board.state is True
    assert _state(hass, HEATER_ID) == STATE_ON

    await _switch(hass, hardware, SERVICE_TURN_OFF, HEATER_ID)
    assert board.state is False
    assert _state(hass, HEATER_ID) == STATE_OFF


async def test_inverted_wiring(hass: HomeAssistant, hardware: Hardware) -> None:
    """Normally-closed wiring: the load is on while the relay is released."""
    board = hardware.plug(HEATER, state=False)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater", inverted=True)), hardware)

    assert _state(hass, HEATER_ID) == STATE_ON

    await _switch(hass, hardware, SERVICE_TURN_OFF, HEATER_ID)
    assert board.state is True
    assert _state(hass, HEATER_ID) == STATE_OFF
    assert hass.states.get(HEATER_ID).attributes[CONF_INVERTED] is True  # type: ignore[union-attr]


async def test_switching_a_detached_relay_fails_clearly(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater")), hardware)
    # Unplugged, and the library has not delivered the detach event yet.
    hardware.opened[0].board = None

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: HEATER_ID}, blocking=True
        )
    assert err.value.translation_key == "relay_not_attached"
    assert err.value.translation_placeholders == {"name": "Heater"}


async def test_unavailable_relay_is_not_switched(hass: HomeAssistant, hardware: Hardware) -> None:
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater")), hardware)

    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: HEATER_ID}, blocking=True
    )

    assert "setState" not in [name for _, name, _ in hardware.calls]
    assert _state(hass, HEATER_ID) == STATE_UNAVAILABLE


async def test_other_library_errors_are_reported(hass: HomeAssistant, hardware: Hardware) -> None:
    from Phidget22.ErrorCode import ErrorCode
    from Phidget22.PhidgetException import PhidgetException

    hardware.plug(HEATER)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater")), hardware)
    channel = hardware.opened[0]

    def _busy(state: bool) -> None:
        raise PhidgetException(ErrorCode.EPHIDGET_BUSY)

    with patch.object(channel, "setState", _busy), pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: HEATER_ID}, blocking=True
        )
    assert err.value.translation_key == "relay_error"
    assert "error 9" in err.value.translation_placeholders["error"]
    assert _state(hass, HEATER_ID) == STATE_OFF


async def test_change_by_another_network_client_is_followed(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater")), hardware)

    hardware.opened[0].change_state_remotely(True)
    await settle(hass, hardware)

    assert _state(hass, HEATER_ID) == STATE_ON


async def test_failsafe_is_fed_then_trips_when_home_assistant_stalls(
    hass: HomeAssistant, hardware: Hardware, issue_registry: ir.IssueRegistry
) -> None:
    board = hardware.plug(HEATER)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater", failsafe_ms=1000)), hardware)
    await _switch(hass, hardware, SERVICE_TURN_ON, HEATER_ID)
    assert (HEATER, "enableFailsafe", (1000,)) in hardware.calls

    # While the loop runs, resetFailsafe() keeps the relay on well past the period.
    for _ in range(15):
        await hass.async_add_executor_job(time.sleep, 0.1)
        await hass.async_block_till_done()
    assert board.state is True
    assert sum(name == "resetFailsafe" for _, name, _ in hardware.calls) >= 3

    # The event loop stalls: nobody feeds the board, which releases the relay.
    time.sleep(1.5)  # noqa: ASYNC251 - blocking the loop on purpose
    await settle(hass, hardware)

    issue = issue_registry.async_get_issue(DOMAIN, f"relay_failsafe_tripped_{_subentry_id(hass)}")
    assert issue is not None
    assert issue.translation_key == "relay_failsafe_tripped"

    # The channel was reopened: the relay is set back to what Home Assistant last commanded,
    # and the switch shows the hardware.
    assert board.state is True
    assert _state(hass, HEATER_ID) == STATE_ON
    assert [args for _, name, args in hardware.calls if name == "setState"][-1] == (True,)
    # Controllable again; the next command clears the issue.
    await _switch(hass, hardware, SERVICE_TURN_OFF, HEATER_ID)
    assert board.state is False
    assert _state(hass, HEATER_ID) == STATE_OFF
    assert issue_registry.async_get_issue(DOMAIN, issue.issue_id) is None


async def test_failsafe_period_is_kept_within_the_board_range(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater", failsafe_ms=100)), hardware)

    assert (HEATER, "enableFailsafe", (500,)) in hardware.calls
    assert hass.states.get(HEATER_ID).attributes["failsafe_ms"] == 500  # type: ignore[union-attr]


async def test_failsafe_not_supported_leaves_the_relay_usable(
    hass: HomeAssistant, hardware: Hardware, caplog: pytest.LogCaptureFixture
) -> None:
    from Phidget22.ErrorCode import ErrorCode
    from Phidget22.PhidgetException import PhidgetException

    def _unsupported(self: Any, ms: int) -> None:
        raise PhidgetException(ErrorCode.EPHIDGET_UNSUPPORTED)

    hardware.plug(HEATER)
    with patch("tests.phidget.hardware.FakeDigitalOutput.enableFailsafe", _unsupported):
        await _setup(
            hass, local_entry(relay_subentry(HEATER, "Heater", failsafe_ms=1000)), hardware
        )

    assert "Could not arm the failsafe" in caplog.text
    assert _state(hass, HEATER_ID) == STATE_OFF
    await _switch(hass, hardware, SERVICE_TURN_ON, HEATER_ID)
    assert _state(hass, HEATER_ID) == STATE_ON


async def test_switching_in_failsafe_state_fails_clearly(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater")), hardware)
    hardware.opened[0].failsafe_tripped = True

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            SWITCH_DOMAIN, SERVICE_TURN_ON, {ATTR_ENTITY_ID: HEATER_ID}, blocking=True
        )
    assert err.value.translation_key == "relay_failsafe"


async def test_board_error_events_are_logged(
    hass: HomeAssistant, hardware: Hardware, caplog: pytest.LogCaptureFixture
) -> None:
    hardware.plug(HEATER)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater")), hardware)

    hardware.opened[0].fire_error(4101, "Over temperature")
    await settle(hass, hardware)

    assert "Phidget relay Heater reported: Over temperature (4101)" in caplog.text
    assert _state(hass, HEATER_ID) == STATE_OFF


@pytest.mark.parametrize(
    ("startup", "stored", "board_before", "board_after"),
    [
        ("restore", True, False, True),
        ("restore", False, True, False),
        ("restore", None, True, True),
        ("off", None, True, False),
        ("leave", False, True, True),
    ],
)
async def test_startup_behaviour(
    hass: HomeAssistant,
    hardware: Hardware,
    startup: str,
    stored: bool | None,
    board_before: bool,
    board_after: bool,
) -> None:
    if stored is not None:
        mock_restore_cache_with_extra_data(
            hass, [(State(HEATER_ID, STATE_UNAVAILABLE), {"is_on": stored})]
        )
    board = hardware.plug(HEATER, state=board_before)

    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater", startup=startup)), hardware)

    assert board.state is board_after
    assert _state(hass, HEATER_ID) == (STATE_ON if board_after else STATE_OFF)


async def test_startup_behaviour_only_on_first_attach(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    """After a re-plug the relay reports what the board says; nothing is forced."""
    board = hardware.plug(HEATER, state=True)
    await _setup(hass, local_entry(relay_subentry(HEATER, "Heater", startup="off")), hardware)
    assert board.state is False

    hardware.unplug(HEATER)
    hardware.plug(HEATER, state=True)
    await settle(hass, hardware)

    assert board.state is True
    assert _state(hass, HEATER_ID) == STATE_ON


async def test_startup_failure_is_logged(
    hass: HomeAssistant, hardware: Hardware, caplog: pytest.LogCaptureFixture
) -> None:
    hardware.plug(HEATER, state=True)
    with patch("tests.phidget.hardware.FakeDigitalOutput.setState", _refuse_state):
        await _setup(hass, local_entry(relay_subentry(HEATER, "Heater", startup="off")), hardware)

    assert "Start-up state of Phidget relay Heater not applied" in caplog.text
    assert _state(hass, HEATER_ID) == STATE_ON


def _refuse_state(self: Any, state: bool) -> None:
    from Phidget22.ErrorCode import ErrorCode
    from Phidget22.PhidgetException import PhidgetException

    raise PhidgetException(ErrorCode.EPHIDGET_NOTATTACHED)


async def test_restored_state_survives_an_unavailable_shutdown(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    """The stored extra data keeps the last known state even if the relay was detached."""
    board = hardware.plug(HEATER)
    entry = local_entry(relay_subentry(HEATER, "Heater", startup="restore"))
    await _setup(hass, entry, hardware)
    await _switch(hass, hardware, SERVICE_TURN_ON, HEATER_ID)
    hardware.unplug(HEATER)
    await settle(hass, hardware)

    entity = hass.data["entity_components"][SWITCH_DOMAIN].get_entity(HEATER_ID)
    assert entity.extra_restore_state_data.as_dict() == {"is_on": True}
    assert board.state is True


async def test_unload_closes_every_channel(hass: HomeAssistant, hardware: Hardware) -> None:
    heater, pump = hardware.plug(HEATER, state=True), hardware.plug(PUMP, state=True)
    entry = local_entry(relay_subentry(HEATER, "Heater"), relay_subentry(PUMP, "Pump"))
    await _setup(hass, entry, hardware)
    assert _state(hass, PUMP_ID) == STATE_ON

    assert await hass.config_entries.async_unload(entry.entry_id)
    await settle(hass, hardware)

    assert entry.state is ConfigEntryState.NOT_LOADED
    assert [channel.is_open for channel in hardware.opened] == [False, False]
    assert (heater.state, pump.state) == (False, False)  # the boards release closed channels
    assert _state(hass, HEATER_ID) == STATE_UNAVAILABLE


async def test_network_server_added_on_load_and_removed_on_unload(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    server = "delestage-192.0.2.10"
    hardware.plug(HEATER, server=server, state=True)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="192.0.2.10",
        data={
            CONF_ENTRY_TYPE: "phidget",
            CONF_CONNECTION: "network",
            CONF_HOST: "192.0.2.10",
            CONF_PORT: 5661,
            CONF_PASSWORD: "s3cret",
        },
        subentries_data=[relay_subentry(HEATER, "Heater")],
    )
    hardware.servers[server] = ("stale", 1, "")  # left over: replaced, not an error
    await _setup(hass, entry, hardware)

    assert hardware.servers == {server: ("192.0.2.10", 5661, "s3cret")}
    assert (None, "setIsRemote", (True,)) in hardware.calls
    assert _state(hass, HEATER_ID) == STATE_ON

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert hardware.servers == {}


async def test_network_server_refused_is_retried(hass: HomeAssistant, hardware: Hardware) -> None:
    from Phidget22.ErrorCode import ErrorCode
    from Phidget22.PhidgetException import PhidgetException

    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="bad host",
        data={
            CONF_ENTRY_TYPE: "phidget",
            CONF_CONNECTION: "network",
            CONF_HOST: "bad host",
            CONF_PORT: 5661,
            CONF_PASSWORD: "",
        },
    )

    def _invalid(*args: Any) -> None:
        raise PhidgetException(ErrorCode.EPHIDGET_INVALIDARG)

    with patch("tests.phidget.hardware.FakeNet.addServer", _invalid):
        entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(entry.entry_id)

    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_missing_native_library_raises_a_repair_issue(
    hass: HomeAssistant,
    hardware: Hardware,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from Phidget22._phidget_support import PhidgetSupport

    entry = local_entry(relay_subentry(HEATER, "Heater"))
    entry.add_to_hass(hass)
    with patch.object(
        PhidgetSupport,
        "getDll",
        side_effect=OSError("libphidget22.so.0: cannot open shared object file"),
    ):
        assert not await hass.config_entries.async_setup(entry.entry_id)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue = issue_registry.async_get_issue(DOMAIN, "phidget_library_missing")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    # One clear log line; no OSError traceback from the library (nor from a channel's __del__).
    assert "OSError" not in caplog.text
    assert "Exception ignored" not in caplog.text

    # Once the library is there, set-up succeeds and the issue goes away.
    assert await hass.config_entries.async_reload(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, "phidget_library_missing") is None


def _subentry_id(hass: HomeAssistant) -> str:
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    return next(iter(entry.subentries))


async def test_relay_subentry_added_later_gets_its_switch_without_reload(
    hass: HomeAssistant, hardware: Hardware, entity_registry: er.EntityRegistry
) -> None:
    hardware.plug(HEATER, state=True)
    hardware.plug(PUMP, state=True)
    entry = local_entry(relay_subentry(HEATER, "Heater"))
    await _setup(hass, entry, hardware)
    heater_channel = hardware.opened[0]

    subentry_data = relay_subentry(PUMP, "Pump")
    hass.config_entries.async_add_subentry(entry, ConfigSubentry(**subentry_data))
    await settle(hass, hardware)

    assert _state(hass, PUMP_ID) == STATE_ON
    assert heater_channel.is_open  # not reloaded
    pump_entity = entity_registry.async_get(PUMP_ID)
    assert pump_entity is not None
    assert pump_entity.config_subentry_id is not None

    # Removing it removes its switch and closes its channel, the other one stays.
    hass.config_entries.async_remove_subentry(entry, pump_entity.config_subentry_id)
    await settle(hass, hardware)
    assert hass.states.get(PUMP_ID) is None
    assert not hardware.opened[1].is_open
    assert heater_channel.is_open


async def test_changed_relay_subentry_reloads_the_entry(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER, state=True)
    entry = local_entry(relay_subentry(HEATER, "Heater"))
    await _setup(hass, entry, hardware)
    subentry = next(iter(entry.subentries.values()))

    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, CONF_INVERTED: True}
    )
    await hass.async_block_till_done()
    await settle(hass, hardware)

    assert not hardware.opened[0].is_open
    assert hardware.opened[1].is_open
    # Closing released the relay ("leave as is" start-up): wired normally closed, the load is on.
    assert hardware.channels[HEATER].state is False
    assert _state(hass, HEATER_ID) == STATE_ON


async def test_diagnostics(hass: HomeAssistant, hardware: Hardware, hass_client: Any) -> None:
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    hardware.plug(HEATER, state=True)
    entry = local_entry(relay_subentry(HEATER, "Heater"))
    await _setup(hass, entry, hardware)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    runtime = diagnostics["runtime"]
    assert runtime["library_version"].startswith("Phidget22 - Version 1.26")
    assert runtime["connection"] == "local"
    assert runtime["channels"] == {
        "Heater": {
            "address": HEATER.key,
            "open": True,
            "attached": True,
            "state": True,
            "device": "REL1000",
            "failsafe_ms": None,
        }
    }
