"""The Tempo forecast as a feature of each RTE entry (set up once, through ``hub.py``).

An RTE entry whose app is subscribed to Tempo gets the forecast: seven sensors on the RTE
device, RTE's Consumption (and Generation Forecast) forecasts fetched with the entry's own
client (same token, same quota), the action. Without Tempo the season's colours, hence the
stocks left, are unknown: the feature then stays idle (no entity, no call), like the entry's
own Tempo sensors.

``rules``, ``model`` and ``calibration`` stay pure Python (the backtest tool loads them without
Home Assistant); ``__init__`` stays free of imports for the same reason: this module is the
feature's entry point.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN, LOGGER
from ..hub import RteApp, RteFeature, get_hub
from .coordinator import TempoForecastCoordinator
from .model import Parameters, load_parameters
from .sensor import forecast_sensors
from .services import async_get_forecasts, async_setup_forecast_services
from .store import ForecastStore

DATA_PARAMETERS: HassKey[Parameters] = HassKey(f"{DOMAIN}_tempo_forecast_parameters")


class RteTempoForecast(RteFeature):
    """The forecast of one RTE entry: its sensors, its calls, its diagnostics."""

    key = "tempo_forecast"

    def __init__(self, app: RteApp, coordinator: TempoForecastCoordinator) -> None:
        """Wrap the entry's forecast (restored from the Store)."""
        self.app = app
        self.coordinator = coordinator

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add the seven forecast sensors to the RTE device."""
        if platform is Platform.SENSOR:
            async_add_entities(forecast_sensors(self.coordinator, self.app))

    @callback
    def async_started(self) -> None:
        """Call RTE when due and follow the colours."""
        self.coordinator.async_start()

    async def async_shutdown(self) -> None:
        """Stop; the action no longer sees this entry."""
        forecasts = async_get_forecasts(self.app.hass)
        if forecasts.get(self.app.entry.entry_id) is self.coordinator:
            del forecasts[self.app.entry.entry_id]
        await self.coordinator.async_stop()

    def diagnostics(self) -> dict[str, Any]:
        """State of the calls and of the forecast."""
        return self.coordinator.diagnostics()


class IdleTempoForecast(RteFeature):
    """An RTE entry without Tempo (or without the model's parameters): no forecast."""

    key = "tempo_forecast"

    def __init__(self, reason: str) -> None:
        """Say why."""
        self.reason = reason

    def diagnostics(self) -> dict[str, Any]:
        """Why there is no forecast."""
        return {"active": False, "reason": self.reason}


async def _async_parameters(hass: HomeAssistant) -> Parameters:
    """Return the model's parameters, read once (a file read: in the executor)."""
    if (params := hass.data.get(DATA_PARAMETERS)) is None:
        params = hass.data[DATA_PARAMETERS] = await hass.async_add_executor_job(load_parameters)
    return params


async def _async_attach(app: RteApp) -> RteFeature:
    if app.tempo is None:
        return IdleTempoForecast("the RTE app is not subscribed to Tempo")
    try:
        params = await _async_parameters(app.hass)
    except OSError, ValueError, TypeError, KeyError:
        # A broken installation must not take the RTE entry down with it.
        LOGGER.exception("The Tempo forecast's parameters cannot be read: no forecast")
        return IdleTempoForecast("the model's parameters cannot be read")
    store = ForecastStore(app.hass, str(app.entry.unique_id))
    await store.async_load()
    coordinator = TempoForecastCoordinator(app.hass, app, app.tempo, store, params)
    await coordinator.async_restore()
    async_get_forecasts(app.hass)[app.entry.entry_id] = coordinator
    return RteTempoForecast(app, coordinator)


@callback
def async_setup_forecast(hass: HomeAssistant) -> None:
    """Give every RTE entry its forecast and register the action."""
    get_hub(hass).register_rte_feature(_async_attach)
    async_setup_forecast_services(hass)


async def async_remove_forecast(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Delete the stored forecasts of a removed RTE entry."""
    await ForecastStore(hass, str(entry.unique_id)).async_remove()
