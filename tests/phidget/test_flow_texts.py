"""What the Phidget flows tell a user who is stuck: a set-up already open, no board found."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from ..translations import lookup
from .conftest import HEATER, settle
from .hardware import Hardware
from .test_config_flow import SERVER, _loaded, _quick, _start, _start_relay

__all__ = ["_quick"]  # the autouse fixture that shortens discovery

WHAT_TO_CHECK = {
    "en": ("cable", "USB", "/dev/bus/usb", "udev"),
    "fr": ("câble", "USB", "/dev/bus/usb", "udev"),
}
SERVER_CHECKS = {
    "en": ("Phidget Network Server", "5661", "password", "firewall"),
    "fr": ("serveur réseau Phidget", "5661", "mot de passe", "pare-feu"),
}


async def test_second_usb_set_up_while_one_is_open(hass: HomeAssistant, hardware: Hardware) -> None:
    """The second window gets Home Assistant's "already_in_progress", with our en + fr text."""
    hardware.plug(HEATER)
    first = await _start(hass)
    assert first["step_id"] == "phidget_channels"

    second = await _start(hass)

    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"
    assert "another window" in lookup("en", "config.abort.already_in_progress")
    assert "autre fenêtre" in lookup("fr", "config.abort.already_in_progress")


async def test_no_usb_board_says_what_to_check(hass: HomeAssistant, hardware: Hardware) -> None:
    result = await _start(hass)

    assert result["step_id"] == "phidget_channels"
    assert result["errors"] == {"base": "phidget_no_board_usb"}
    for language, words in WHAT_TO_CHECK.items():
        text = lookup(language, "config.error.phidget_no_board_usb")
        assert all(word in text for word in words), language


async def test_no_board_on_the_server_says_what_to_check(
    hass: HomeAssistant, hardware: Hardware
) -> None:
    hardware.plug(HEATER)  # on this computer, not on the server
    result = await _start(hass, "network")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "192.0.2.10", CONF_PORT: 5661, CONF_PASSWORD: ""}
    )

    assert result["step_id"] == "phidget_channels"
    assert result["errors"] == {"base": "phidget_no_board_network"}
    for language, words in SERVER_CHECKS.items():
        text = lookup(language, "config.error.phidget_no_board_network")
        assert all(word in text for word in words), language


async def test_a_board_found_shows_no_error(hass: HomeAssistant, hardware: Hardware) -> None:
    hardware.plug(HEATER, server=SERVER)
    result = await _start(hass, "network")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "192.0.2.10", CONF_PORT: 5661, CONF_PASSWORD: ""}
    )

    assert result["errors"] == {}


@pytest.mark.parametrize(
    ("still_plugged", "errors"), [(False, {"base": "phidget_no_board_usb"}), (True, {})]
)
async def test_adding_a_relay_when_no_board_answers(
    hass: HomeAssistant, hardware: Hardware, still_plugged: bool, errors: dict[str, str]
) -> None:
    """No board at all: what to check. Every board found already added: no error, just 0."""
    hardware.plug(HEATER)
    entry = await _loaded(hass, hardware)
    if not still_plugged:
        hardware.unplug(HEATER)
        await settle(hass, hardware)

    result = await _start_relay(hass, entry)

    assert result["step_id"] == "user"
    assert result["errors"] == errors
    assert result["description_placeholders"] == {"count": "0"}
    for language in WHAT_TO_CHECK:
        assert lookup(language, "config_subentries.relay.error.phidget_no_board_usb")
