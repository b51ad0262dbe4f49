"""Constants of the Météo-France entry type (config entry data and options keys)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Final

from ..api.meteofrance import Resolution

CONF_AUTH_METHOD: Final = "auth_method"
CONF_API_KEY: Final = "api_key"
CONF_APPLICATION_ID: Final = "application_id"
CONF_STATION_ID: Final = "station_id"
CONF_RESOLUTION: Final = "resolution"  # option

DEFAULT_RESOLUTION: Final = Resolution.HOURLY
MANUFACTURER: Final = "Météo-France"

# An observation older than this is stale: its sensors become unavailable.
STALE_AFTER: Final = {
    Resolution.HOURLY: timedelta(hours=3),
    Resolution.SIX_MINUTES: timedelta(hours=1),
}


class AuthMethod(StrEnum):
    """How the entry authenticates to the portal."""

    API_KEY = "api_key"
    APPLICATION_ID = "application_id"
