"""Repair issues of the Tempo forecast: the RTE subscription the app is missing."""

from __future__ import annotations

from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..api.rte import RteApi
from ..issues import async_clear_entry_issue, async_raise_entry_issue

ISSUES: Final = {
    RteApi.CONSUMPTION: "tempo_forecast_consumption_not_subscribed",
    RteApi.GENERATION_FORECAST: "tempo_forecast_generation_not_subscribed",
}
CATALOG_URLS: Final = {
    RteApi.CONSUMPTION: "https://data.rte-france.com/catalog/-/api/consumption/Consumption/v1.2",
    RteApi.GENERATION_FORECAST: (
        "https://data.rte-france.com/catalog/-/api/generation/Generation-Forecast/v3.0"
    ),
}


@callback
def async_raise_not_subscribed(hass: HomeAssistant, entry: ConfigEntry, api: RteApi) -> None:
    """RTE answered 403: the app is not subscribed to ``api``."""
    async_raise_entry_issue(
        hass,
        entry,
        ISSUES[api],
        ir.IssueSeverity.WARNING,
        placeholders={"url": CATALOG_URLS[api]},
        learn_more_url=CATALOG_URLS[api],
    )


@callback
def async_clear_not_subscribed(hass: HomeAssistant, entry: ConfigEntry, api: RteApi) -> None:
    """Delete the issue: ``api`` answered."""
    async_clear_entry_issue(hass, entry, ISSUES[api])
