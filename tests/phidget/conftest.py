"""Fixtures of the Phidget tests: the hardware stand-ins and a configured entry."""

from __future__ import annotations

from collections.abc import Generator
import threading
from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.const import CONF_ENTRY_TYPE, DOMAIN
from custom_components.delestage.phidget import relays
from custom_components.delestage.phidget.const import (
    CONF_CONNECTION,
    CONF_FAILSAFE_MS,
    CONF_INVERTED,
    CONF_STARTUP,
    SUBENTRY_RELAY,
)
from custom_components.delestage.phidget.relays import ChannelAddress
from custom_components.delestage.phidget.subentry import address_to_data

from .hardware import FakeDigitalOutput, FakeManager, FakeNet, Hardware

HEATER = ChannelAddress(serial_number=620001, hub_port=2, is_hub_port_device=False, channel=0)
PUMP = ChannelAddress(serial_number=620001, hub_port=2, is_hub_port_device=False, channel=1)


@pytest.fixture
def hardware(monkeypatch: pytest.MonkeyPatch) -> Generator[Hardware]:
    """The library's channel, manager and network classes replaced by the stand-ins."""
    world = Hardware(loop_thread=threading.get_ident())
    attrs = {"hardware": world}
    monkeypatch.setattr(
        relays, "DIGITAL_OUTPUT_FACTORY", type("DigitalOutput", (FakeDigitalOutput,), attrs)
    )
    monkeypatch.setattr(relays, "MANAGER_FACTORY", type("Manager", (FakeManager,), attrs))
    monkeypatch.setattr(relays, "Net", type("Net", (FakeNet,), attrs))
    yield world
    world.stop()
    assert world.loop_calls == [], "library calls ran on the event loop"


async def settle(hass: HomeAssistant, hardware: Hardware) -> None:
    """Wait until every dispatch thread has run its queued handlers, then for the loop."""
    for _ in range(3):
        for channel in list(hardware.opened):
            done = threading.Event()
            channel.dispatcher.post(done.set)
            await hass.async_add_executor_job(done.wait, 2)
        await hass.async_block_till_done(wait_background_tasks=True)


def relay_subentry(address: ChannelAddress, name: str, **options: Any) -> ConfigSubentryData:
    """A relay subentry as the config flow stores it."""
    data = {
        **address_to_data(address),
        CONF_NAME: name,
        CONF_INVERTED: options.pop("inverted", False),
        CONF_STARTUP: options.pop("startup", "leave"),
        CONF_FAILSAFE_MS: options.pop("failsafe_ms", 0),
    }
    return ConfigSubentryData(
        data=data, subentry_type=SUBENTRY_RELAY, title=name, unique_id=address.key
    )


def local_entry(*subentries: ConfigSubentryData) -> MockConfigEntry:
    """A local (USB) Phidget entry with these relays."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Phidget (USB)",
        unique_id="local",
        data={CONF_ENTRY_TYPE: "phidget", CONF_CONNECTION: "local"},
        subentries_data=list(subentries),
    )
