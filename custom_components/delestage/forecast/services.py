"""The ``delestage.tempo_forecast`` action: the next seven days' colour probabilities.

Returns ``{"days": [{date, blue, white, red, most_likely, official}, …]}``, tomorrow first (the
Tempo days after the current one; a Tempo day starts at 06:00). Without ``config_entry_id`` the
first RTE entry with a forecast answers: every RTE app forecasts the same national colours.
It reads the forecast already made: it never calls RTE, so any user may call it.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
import probatio

from ..const import CONF_ENTRY_TYPE, DOMAIN, EntryType
from .coordinator import TempoForecastCoordinator

SERVICE_TEMPO_FORECAST: Final = "tempo_forecast"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
TEMPO_FORECAST_SCHEMA = probatio.Schema({probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string})

# The forecast of each loaded RTE entry subscribed to Tempo, by entry id.
DATA_FORECASTS: HassKey[dict[str, TempoForecastCoordinator]] = HassKey(f"{DOMAIN}_tempo_forecasts")


@callback
def async_get_forecasts(hass: HomeAssistant) -> dict[str, TempoForecastCoordinator]:
    """Return the forecasts of the loaded RTE entries (entry id → coordinator)."""
    return hass.data.setdefault(DATA_FORECASTS, {})


async def _async_tempo_forecast(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    forecasts = async_get_forecasts(hass)
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is not None:
        entry = hass.config_entries.async_get_entry(entry_id)
        if (
            entry is None
            or entry.domain != DOMAIN
            or entry.data.get(CONF_ENTRY_TYPE) != EntryType.RTE
        ):
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="tempo_forecast_entry_not_found"
            )
        candidates = [forecasts[entry_id]] if entry_id in forecasts else []
    else:
        candidates = list(forecasts.values())
    now = dt_util.utcnow()
    for coordinator in candidates:
        if (response := coordinator.response(now)) is not None:
            return response
    raise HomeAssistantError(
        translation_domain=DOMAIN, translation_key="tempo_forecast_unavailable"
    )


@callback
def async_setup_forecast_services(hass: HomeAssistant) -> None:
    """Register the action (read-only: no admin right needed)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_TEMPO_FORECAST,
        _async_tempo_forecast,
        schema=TEMPO_FORECAST_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
