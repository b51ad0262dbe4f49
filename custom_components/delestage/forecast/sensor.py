"""Sensors of the Tempo forecast: the colour to expect on each of the next seven days.

One sensor per day ahead (``tempo_forecast_day_1`` = tomorrow's Tempo day … ``_day_7``), on the
RTE device. State: ``blue``, ``white`` or ``red``, the colour to expect (the model's
``most_likely``: the likeliest once red is weighted); attributes: the date
and the three probabilities (0-1, adding up to 1), and ``official`` when RTE has published the
colour (its probability is then 1). Unavailable while RTE's consumption forecasts are missing or
more than two days old; unknown for a day the forecast does not hold yet (a second after 06:00).
The attributes are short: all of them are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from ..api.rte_models import tempo_day
from ..hub import RteApp
from .coordinator import TempoForecastCoordinator, day_response
from .model import HORIZON, DayForecast

STATES = ["blue", "white", "red"]


@dataclass(frozen=True, kw_only=True)
class TempoForecastDescription(SensorEntityDescription):
    """The forecast of the Tempo day ``days_ahead`` days after the current one."""

    days_ahead: int


DESCRIPTIONS: tuple[TempoForecastDescription, ...] = tuple(
    TempoForecastDescription(
        key=f"tempo_forecast_day_{days_ahead}",
        translation_key=f"tempo_forecast_day_{days_ahead}",
        device_class=SensorDeviceClass.ENUM,
        options=STATES,
        days_ahead=days_ahead,
    )
    for days_ahead in range(1, HORIZON + 1)
)


class TempoForecastSensor(CoordinatorEntity[TempoForecastCoordinator], SensorEntity):
    """The forecast of one day ahead."""

    _attr_has_entity_name = True
    entity_description: TempoForecastDescription

    def __init__(
        self,
        coordinator: TempoForecastCoordinator,
        app: RteApp,
        description: TempoForecastDescription,
    ) -> None:
        """Name the sensor after its day and put it on the RTE device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{app.entry.unique_id}_{description.key}"
        self._attr_device_info = app.device_info

    def _day(self) -> DayForecast | None:
        data = self.coordinator.data
        if data is None:
            return None
        wanted = tempo_day(dt_util.utcnow()) + timedelta(days=self.entity_description.days_ahead)
        return data.day(wanted)

    @property
    def available(self) -> bool:
        """Available while there is a forecast (made of RTE forecasts at most two days old)."""
        return self.coordinator.data is not None

    @property
    def native_value(self) -> str | None:
        """The colour to expect (the model's ``most_likely``)."""
        day = self._day()
        return None if day is None else str(day.most_likely)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The date, the three probabilities and whether RTE has published the colour."""
        day = self._day()
        if day is None:
            return None
        response = day_response(day)
        return {
            "date": response["date"],
            "probability_blue": response["blue"],
            "probability_white": response["white"],
            "probability_red": response["red"],
            "official": response["official"],
        }


def forecast_sensors(
    coordinator: TempoForecastCoordinator, app: RteApp
) -> list[TempoForecastSensor]:
    """Return the seven sensors of an RTE entry's forecast."""
    return [TempoForecastSensor(coordinator, app, description) for description in DESCRIPTIONS]
