"""Diagnostics of a config entry, with secrets, tokens and meter ids redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_ENTRY_TYPE, EntryType
from .runtime import DelestageConfigEntry

# Keys redacted wherever they appear, at any depth.
TO_REDACT = {
    "access_token",
    "api_key",
    "api_token",
    "application_id",
    "autorisation_id",
    "client_id",
    "client_secret",
    "password",
    "prm",
    "refresh_token",
    "token",
    "unique_id",
    "usage_point_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: DelestageConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    return async_redact_data(
        {
            "entry": {
                # An Enedis entry's title ends with the last digits of its meter id (PRM).
                "title": REDACTED
                if entry.data.get(CONF_ENTRY_TYPE) == EntryType.ENEDIS
                else entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "runtime": await entry.runtime_data.async_diagnostics(),
        },
        TO_REDACT,
    )
