"""A relay subentry's data as a typed configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_NAME

from .const import (
    CONF_CHANNEL,
    CONF_FAILSAFE_MS,
    CONF_HUB_PORT,
    CONF_INVERTED,
    CONF_IS_HUB_PORT_DEVICE,
    CONF_SERIAL_NUMBER,
    CONF_STARTUP,
    Startup,
)
from .relays import ChannelAddress


@dataclass(frozen=True, slots=True)
class RelayConfig:
    """One relay channel as the user configured it."""

    subentry_id: str
    name: str
    address: ChannelAddress
    inverted: bool
    startup: Startup
    failsafe_ms: int

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> RelayConfig:
        """Read a relay subentry; options missing from older data take their defaults."""
        data = subentry.data
        return cls(
            subentry_id=subentry.subentry_id,
            name=str(data.get(CONF_NAME) or subentry.title),
            address=address_from_data(data),
            inverted=bool(data.get(CONF_INVERTED, False)),
            startup=Startup(data.get(CONF_STARTUP, Startup.RESTORE)),
            failsafe_ms=int(data.get(CONF_FAILSAFE_MS, 0)),
        )


def address_from_data(data: Mapping[str, Any]) -> ChannelAddress:
    """Read the channel address stored in a subentry's (or a form's) data."""
    return ChannelAddress(
        serial_number=int(data[CONF_SERIAL_NUMBER]),
        hub_port=int(data[CONF_HUB_PORT]),
        is_hub_port_device=bool(data[CONF_IS_HUB_PORT_DEVICE]),
        channel=int(data[CONF_CHANNEL]),
    )


def address_to_data(address: ChannelAddress) -> dict[str, Any]:
    """Return the data keys of a channel address (DESIGN §1)."""
    return {
        CONF_SERIAL_NUMBER: address.serial_number,
        CONF_HUB_PORT: address.hub_port,
        CONF_IS_HUB_PORT_DEVICE: address.is_hub_port_device,
        CONF_CHANNEL: address.channel,
    }
