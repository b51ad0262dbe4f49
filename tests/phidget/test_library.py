"""The wrapper against the real ``phidget22`` library (no board attached)."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from Phidget22._phidget_support import PhidgetSupport
from Phidget22.Devices.DigitalOutput import DigitalOutput
from Phidget22.ErrorCode import ErrorCode
import pytest

from custom_components.delestage.phidget import relays
from custom_components.delestage.phidget.relays import (
    AttachTimeoutError,
    ChannelAddress,
    LibraryMissingError,
    NotAttachedError,
    RelayChannel,
)

NOWHERE = ChannelAddress(serial_number=987654, hub_port=3, is_hub_port_device=False, channel=2)


@pytest.fixture
def library_missing() -> Generator[None]:
    """The loader fails as it does on musl, where the wheel has no libphidget22.so."""
    error = OSError("libphidget22.so.0: cannot open shared object file: No such file or directory")
    with patch.object(PhidgetSupport, "getDll", side_effect=error):
        yield


def test_library_loads_and_reports_its_version() -> None:
    assert relays.load_library().startswith("Phidget22 - Version 1.26 - Built")


def test_timed_out_open_is_our_timeout_error() -> None:
    # How long the wait takes is a benchmark (tests/phidget/test_bench.py), not an assertion:
    # here, the library gets the timeout in milliseconds, as given.
    real = DigitalOutput.openWaitForAttachment
    with (
        patch.object(
            DigitalOutput, "openWaitForAttachment", autospec=True, side_effect=real
        ) as wait,
        pytest.raises(AttachTimeoutError) as err,
    ):
        relays.open_and_wait(NOWHERE, False, 50)

    assert err.value.code == ErrorCode.EPHIDGET_TIMEOUT == 3
    assert err.value.description == "Timed Out"
    assert [call.args[1:] for call in wait.call_args_list] == [(50,)]


async def test_real_channel_opens_without_waiting_and_refuses_commands_until_attached(
    hass: HomeAssistant,
) -> None:
    channel = RelayChannel(hass, NOWHERE, failsafe_ms=1000)

    # "Without waiting": the library's non-blocking open(), never openWaitForAttachment (its
    # duration is a benchmark, tests/phidget/test_bench.py).
    with (
        patch.object(
            DigitalOutput, "open", autospec=True, side_effect=DigitalOutput.open
        ) as opened,
        patch.object(DigitalOutput, "openWaitForAttachment", autospec=True) as waited,
    ):
        await channel.async_open()
    assert opened.call_count == 1
    waited.assert_not_called()
    assert channel.is_open
    assert not channel.attached

    with pytest.raises(NotAttachedError) as err:
        await channel.async_set_state(True)
    assert err.value.code == ErrorCode.EPHIDGET_NOTATTACHED == 52
    assert err.value.description == "Device not Attached"

    await channel.async_close()
    await channel.async_close()  # closing twice is harmless
    assert not channel.is_open
    with pytest.raises(NotAttachedError):
        await channel.async_set_state(False)


async def test_real_manager_discovers_nothing_without_boards(hass: HomeAssistant) -> None:
    assert await relays.async_discover(hass, 0.2) == []


def test_real_network_server_registration() -> None:
    relays.add_server("delestage-test", "127.0.0.1", 5661, "")
    relays.add_server("delestage-test", "127.0.0.1", 5662, "pw")  # replaced, not "Duplicate"
    relays.remove_server("delestage-test")
    relays.remove_server("delestage-test")  # already gone: ignored


def test_missing_library_is_a_clear_error(library_missing: None) -> None:
    with pytest.raises(LibraryMissingError, match=r"libphidget22\.so\.0"):
        relays.load_library()
    with pytest.raises(LibraryMissingError):
        relays.open_and_wait(NOWHERE, False, 50)
    with pytest.raises(LibraryMissingError):
        relays.add_server("delestage-test", "127.0.0.1", 5661, "")


async def test_missing_library_when_opening_or_discovering(
    hass: HomeAssistant, library_missing: None
) -> None:
    with pytest.raises(LibraryMissingError):
        await RelayChannel(hass, NOWHERE).async_open()
    with pytest.raises(LibraryMissingError):
        await relays.async_discover(hass, 0.1)
