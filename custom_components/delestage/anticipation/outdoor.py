"""The outdoor temperature pre-heating plans and learns with: a station, else a weather entity.

Decisions:

- **Now and history**: the temperature sensor of a Délestage Météo-France entry (``hub.py``,
  the first station by title: measured, and in the recorder), else the ``temperature``
  attribute of a ``weather`` entity (the first by entity id: ``weather.forecast_home`` of the
  Met.no default set-up is the usual one).
- **Forecast**: the hourly forecast of that ``weather`` entity (``weather.get_forecasts``),
  asked at most every :data:`FORECAST_TTL`; without one, the temperature now, held flat (the
  plans are made again every hour, which absorbs most of the error).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import math
from typing import Any, Final

from homeassistant.components.weather import ATTR_FORECAST_TEMP, ATTR_FORECAST_TIME
from homeassistant.components.weather.const import (
    ATTR_WEATHER_TEMPERATURE,
    DOMAIN as WEATHER_DOMAIN,
    SERVICE_GET_FORECASTS,
    WeatherEntityFeature,
)
from homeassistant.const import ATTR_ENTITY_ID, ATTR_SUPPORTED_FEATURES
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from ..const import LOGGER
from ..hub import get_hub
from .thermal import Outdoor

FORECAST_TTL: Final = timedelta(minutes=30)


def number(value: Any) -> float | None:
    """Return a finite number read from a state or an attribute (None: not one)."""
    try:
        result = float(value)
    except TypeError, ValueError:
        return None
    return result if math.isfinite(result) else None


@dataclass(frozen=True, slots=True)
class OutdoorEntity:
    """Where the outdoor temperature is read: an entity's state, or one of its attributes."""

    entity_id: str
    attribute: str | None = None

    def value(self, state: State | None) -> float | None:
        """Return the temperature in a state of the entity (None: unknown)."""
        if state is None:
            return None
        return number(
            state.state if self.attribute is None else state.attributes.get(self.attribute)
        )


class OutdoorSource:
    """The outdoor temperature now, ahead (forecast) and in the recorder (learning)."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing read yet."""
        self.hass = hass
        self._forecast: tuple[datetime, str, Outdoor | None] | None = None

    def _weather_entity(self) -> str | None:
        ids = sorted(self.hass.states.async_entity_ids(WEATHER_DOMAIN))
        return ids[0] if ids else None

    def entity(self) -> OutdoorEntity | None:
        """Return the entity whose history and state give the outdoor temperature (None: none)."""
        for station in get_hub(self.hass).observation_stations():
            if (entity_id := station.temperature_entity()) is not None:
                return OutdoorEntity(entity_id)
        if (weather := self._weather_entity()) is not None:
            return OutdoorEntity(weather, ATTR_WEATHER_TEMPERATURE)
        return None

    def now(self) -> float | None:
        """Return the outdoor temperature now (°C), or None when nothing says."""
        for station in get_hub(self.hass).observation_stations():
            if (latest := station.latest()) is not None and latest.temperature is not None:
                return latest.temperature
        if (source := self.entity()) is not None:
            return source.value(self.hass.states.get(source.entity_id))
        return None

    async def async_ahead(self, now: datetime) -> Outdoor | None:
        """Return the outdoor temperature from now on: the forecast, else now held flat."""
        current = self.now()
        forecast = await self._async_forecast(now)
        if forecast is not None:
            return forecast
        return None if current is None else Outdoor.constant(current)

    async def _async_forecast(self, now: datetime) -> Outdoor | None:
        weather = self._weather_entity()
        if weather is None:
            return None
        if self._forecast is not None:
            asked, entity_id, cached = self._forecast
            if entity_id == weather and now - asked < FORECAST_TTL:
                return cached
        state = self.hass.states.get(weather)
        features = int(state.attributes.get(ATTR_SUPPORTED_FEATURES, 0)) if state else 0
        forecast = None
        if features & WeatherEntityFeature.FORECAST_HOURLY:
            forecast = await self._async_hourly(weather, now)
        self._forecast = (now, weather, forecast)
        return forecast

    async def _async_hourly(self, weather: str, now: datetime) -> Outdoor | None:
        try:
            response = await self.hass.services.async_call(
                WEATHER_DOMAIN,
                SERVICE_GET_FORECASTS,
                {ATTR_ENTITY_ID: weather, "type": "hourly"},
                blocking=True,
                return_response=True,
            )
        except HomeAssistantError as err:
            LOGGER.debug("Pre-heating: no hourly forecast from %s: %s", weather, err)
            return None
        hours: Any = (response or {}).get(weather)
        forecast = hours.get("forecast") if isinstance(hours, dict) else None
        points = []
        for hour in forecast if isinstance(forecast, list) else []:
            if not isinstance(hour, dict):
                continue
            at = dt_util.parse_datetime(str(hour.get(ATTR_FORECAST_TIME)))
            value = number(hour.get(ATTR_FORECAST_TEMP))
            if at is not None and at.tzinfo is not None and value is not None:
                points.append((at, value))
        current = self.now()
        if current is not None:
            points.append((now, current))
        return Outdoor(points) if points else None
