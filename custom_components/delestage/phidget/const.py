"""Keys and defaults of Phidget entries and their relay subentries (DESIGN §1)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

# Entry data: connection, and for a network server host, port, password (homeassistant.const).
CONF_CONNECTION: Final = "connection"
DEFAULT_PORT: Final = 5661

# Relay subentries: type and data keys.
SUBENTRY_RELAY: Final = "relay"
CONF_SERIAL_NUMBER: Final = "serial_number"
CONF_HUB_PORT: Final = "hub_port"
CONF_IS_HUB_PORT_DEVICE: Final = "is_hub_port_device"
CONF_CHANNEL: Final = "channel"
CONF_INVERTED: Final = "inverted"
CONF_STARTUP: Final = "startup"
CONF_FAILSAFE_MS: Final = "failsafe_ms"

# A hub port of -1 matches any port: USB boards (1014, 1017) are not on a VINT hub.
ANY_HUB_PORT: Final = -1

ISSUE_LIBRARY_MISSING: Final = "phidget_library_missing"
ISSUE_FAILSAFE_TRIPPED: Final = "relay_failsafe_tripped"


class Connection(StrEnum):
    """How Home Assistant reaches the Phidget boards."""

    LOCAL = "local"
    NETWORK = "network"


class Startup(StrEnum):
    """What a relay does when Home Assistant starts (its first attach after set-up)."""

    RESTORE = "restore"
    OFF = "off"
    LEAVE = "leave"
