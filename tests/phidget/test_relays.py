"""The relay channel wrapper on its own, with the hardware stand-in: edge cases of the library."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from Phidget22.ErrorCode import ErrorCode
from Phidget22.PhidgetException import PhidgetException
import pytest

from custom_components.delestage.phidget import relays
from custom_components.delestage.phidget.const import Startup
from custom_components.delestage.phidget.relays import (
    ChannelAddress,
    NotAttachedError,
    RelayChannel,
    RelayError,
)

from .conftest import HEATER, PUMP, settle
from .hardware import Hardware

STAND_IN = "tests.phidget.hardware.FakeDigitalOutput"


def _raise(code: int) -> Any:
    def _fail(*args: Any) -> None:
        raise PhidgetException(code)

    return _fail


class Recorder:
    """A listener that writes down the events it receives."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def relay_attached(self, first: bool) -> None:
        self.events.append(("attached", first))

    def relay_detached(self) -> None:
        self.events.append(("detached",))

    def relay_state_changed(self) -> None:
        self.events.append(("state",))

    def relay_error(self, code: int, description: str) -> None:
        self.events.append(("error", code))


async def _open(
    hass: HomeAssistant, hardware: Hardware, address: ChannelAddress = HEATER, **kwargs: Any
) -> tuple[RelayChannel, Recorder]:
    channel = RelayChannel(hass, address, **kwargs)
    recorder = Recorder()
    channel.set_listener(recorder)
    await channel.async_open()
    await settle(hass, hardware)
    return channel, recorder


async def test_events_of_a_closed_channel_are_ignored(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER)
    channel, recorder = await _open(hass, hardware)
    fake = hardware.opened[0]
    await channel.async_close()
    await settle(hass, hardware)
    recorder.events.clear()

    fake.is_open = True  # the library still delivers queued events after close()
    fake.attach(hardware.channels[HEATER])
    fake.fire_error(4101, "Over temperature")
    fake.change_state_remotely(True)
    await settle(hass, hardware)

    assert recorder.events == []
    assert not channel.attached


async def test_property_changes_other_than_state_or_unreadable_are_ignored(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER)
    channel, recorder = await _open(hass, hardware)
    fake = hardware.opened[0]
    recorder.events.clear()

    handler = fake.handlers["property"]
    assert handler is not None
    fake.dispatcher.post(lambda: handler(fake, "DutyCycle"))
    fake.change_state_remotely(False)  # unchanged: nothing to report
    await settle(hass, hardware)
    with patch(f"{STAND_IN}.getState", _raise(ErrorCode.EPHIDGET_NOTATTACHED)):
        fake.change_state_remotely(True)
        await settle(hass, hardware)

    assert recorder.events == []
    assert channel.state is False
    await channel.async_close()


async def test_attach_with_unreadable_state_stays_unknown(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    """Unplugged again while attaching: the state cannot be read, the relay is not available."""
    from custom_components.delestage.phidget.subentry import RelayConfig
    from custom_components.delestage.phidget.switch import PhidgetRelaySwitch

    hardware.plug(HEATER)
    with patch(f"{STAND_IN}.getState", _raise(ErrorCode.EPHIDGET_NOTATTACHED)):
        channel, recorder = await _open(hass, hardware)

    assert recorder.events == [("attached", True)]
    assert channel.attached
    assert channel.state is None
    assert channel.device_sku is None
    config = RelayConfig("id", "Heater", HEATER, False, Startup.LEAVE, 0)
    switch = PhidgetRelaySwitch("local", config, channel)
    assert switch.is_on is None
    assert not switch.available
    await channel.async_close()


async def test_library_refusing_the_handlers_is_an_error(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    channel = RelayChannel(hass, HEATER)
    with (
        patch(f"{STAND_IN}.setOnAttachHandler", _raise(ErrorCode.EPHIDGET_UNEXPECTED)),
        pytest.raises(RelayError) as err,
    ):
        await channel.async_open()

    assert err.value.code == ErrorCode.EPHIDGET_UNEXPECTED


async def test_entity_stays_unavailable_when_its_channel_cannot_open(
    hass: HomeAssistant, hardware: Hardware, caplog: pytest.LogCaptureFixture
) -> None:
    from .conftest import local_entry, relay_subentry

    hardware.plug(HEATER)
    entry = local_entry(relay_subentry(HEATER, "Heater"))
    entry.add_to_hass(hass)
    with patch(f"{STAND_IN}.open", _raise(ErrorCode.EPHIDGET_BUSY)):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await settle(hass, hardware)

    assert "Could not open Phidget relay Heater" in caplog.text
    assert hass.states.get("switch.heater").state == "unavailable"  # type: ignore[union-attr]


async def test_close_errors_are_not_fatal(hass: HomeAssistant, hardware: Hardware) -> None:
    hardware.plug(HEATER)
    channel, _ = await _open(hass, hardware)

    with patch(f"{STAND_IN}.close", _raise(ErrorCode.EPHIDGET_UNEXPECTED)):
        await channel.async_close()

    assert not channel.is_open
    assert not channel.attached


async def test_failed_reopen_after_a_failsafe_trip_is_logged(
    hass: HomeAssistant, hardware: Hardware, caplog: pytest.LogCaptureFixture
) -> None:
    hardware.plug(HEATER)
    channel, recorder = await _open(hass, hardware, failsafe_ms=1000)

    with patch(f"{STAND_IN}.open", _raise(ErrorCode.EPHIDGET_BUSY)):
        hardware.opened[0].fire_error(4108, "Failsafe procedure initiated.")
        await settle(hass, hardware)

    assert ("error", 4108) in recorder.events
    assert "Could not reopen Phidget channel" in caplog.text
    assert not channel.attached
    with pytest.raises(NotAttachedError):
        await channel.async_set_state(True)
    await channel.async_close()


async def test_no_reopen_once_closed(hass: HomeAssistant, hardware: Hardware) -> None:
    hardware.plug(HEATER)
    channel, _ = await _open(hass, hardware)

    channel._closed = True  # closed while the trip was being handled
    await channel._async_reopen()

    assert len(hardware.opened) == 1


async def test_failsafe_resets_do_not_pile_up_and_survive_errors(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER)
    channel, _ = await _open(hass, hardware)
    resets = [name for _, name, _ in hardware.calls if name == "resetFailsafe"]

    # No failsafe armed on the stand-in: reset is refused, which is only logged.
    with patch(f"{STAND_IN}.resetFailsafe", _raise(ErrorCode.EPHIDGET_UNSUPPORTED)):
        await channel._async_reset_failsafe(None)
    channel._resetting = True
    await channel._async_reset_failsafe(None)  # the previous one is still running: skipped

    assert [name for _, name, _ in hardware.calls if name == "resetFailsafe"] == resets
    await channel.async_close()


async def test_discovery_keeps_digital_outputs_of_the_asked_connection(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER, server="delestage-a")
    hardware.plug(PUMP, server="delestage-b")
    hardware.plug(ChannelAddress(5, -1, False, 0), vint=False)

    found = await relays.async_discover(hass, 0.05, remote=True)
    assert [channel.address for channel in found] == [HEATER, PUMP]

    local = await relays.async_discover(hass, 0.05)
    assert [channel.address for channel in local] == [ChannelAddress(5, -1, False, 0)]


async def test_discovery_skips_channels_it_cannot_read(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER)
    with patch(
        "tests.phidget.hardware.FakeChannelInfo.getDeviceSKU",
        _raise(ErrorCode.EPHIDGET_NOTATTACHED),
    ):
        assert await relays.async_discover(hass, 0.05) == []


async def test_discovery_manager_errors(hass: HomeAssistant, hardware: Hardware) -> None:
    with (
        patch("tests.phidget.hardware.FakeManager.open", _raise(ErrorCode.EPHIDGET_UNEXPECTED)),
        pytest.raises(RelayError),
    ):
        await relays.async_discover(hass, 0.05)

    hardware.plug(HEATER)
    with patch("tests.phidget.hardware.FakeManager.close", _raise(ErrorCode.EPHIDGET_UNEXPECTED)):
        found = await relays.async_discover(hass, 0.05)
    assert [channel.address for channel in found] == [HEATER]


def test_removing_a_server_the_library_refuses_is_only_logged() -> None:
    with patch.object(relays.Net, "removeServer", _raise(ErrorCode.EPHIDGET_INVALIDARG)):
        relays.remove_server("delestage-x")


@pytest.mark.parametrize(
    ("language", "model"), [("en", "Relay channel"), ("fr", "Canal de relais")]
)
async def test_entity_of_an_unreadable_channel_keeps_its_default_model(
    hass: HomeAssistant, hardware: Hardware, language: str, model: str
) -> None:
    hass.config.language = language
    from homeassistant.helpers import device_registry as dr

    from custom_components.delestage.const import DOMAIN

    from .conftest import local_entry, relay_subentry

    hardware.plug(HEATER)
    entry = local_entry(relay_subentry(HEATER, "Heater"))
    entry.add_to_hass(hass)
    with patch(f"{STAND_IN}.getState", _raise(ErrorCode.EPHIDGET_NOTATTACHED)):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await settle(hass, hardware)

    assert hass.states.get("switch.heater").state == "unavailable"  # type: ignore[union-attr]
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"local_{HEATER.key}"), entry.entry_id
    )
    assert device is not None
    assert device.model == model  # in the server's language


async def test_library_calls_on_the_event_loop_would_be_caught(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    """The guard every test relies on: a library call on the loop thread is recorded."""
    hardware.plug(HEATER)
    channel, _ = await _open(hass, hardware)
    await channel.async_set_state(True)
    assert hardware.loop_calls == []  # everything above ran in the executor or library threads

    hardware.opened[0].getState()  # called straight from the event loop

    assert hardware.loop_calls == ["getState"]
    hardware.loop_calls.clear()
    await channel.async_close()
