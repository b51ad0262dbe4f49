"""Diagnostics of a config entry, with secrets, tokens and meter ids redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .runtime import DelestageConfigEntry

# Keys redacted wherever they appear, at any depth.
TO_REDACT = {
    "access_token",
    "api_key",
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
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "runtime": await entry.runtime_data.async_diagnostics(),
        },
        TO_REDACT,
    )
