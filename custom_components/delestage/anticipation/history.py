"""A thermostat's model, learned from the recorder (``learning.py`` on its history).

Read in the recorder's executor: every recorded state of the thermostat over the last
:data:`HISTORY` (``current_temperature``, ``hvac_action``, ``hvac_mode``, the preset) and of
the outdoor temperature (``outdoor.py``); fitted in the executor, once a day (and when a
thermostat is first named). A preset heater's comfort temperature is the median reading while
it was in comfort and idle over the last :data:`COMFORT_DAYS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any, Final

from homeassistant.components.climate.const import ATTR_HVAC_ACTION, ATTR_PRESET_MODE
from homeassistant.components.recorder import history
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.recorder import get_instance

from .learning import RoomSample, heating_state, learn
from .outdoor import OutdoorEntity
from .store import LearnedModel
from .thermal import Outdoor
from .thermostats import COMFORT, available, room_temperature

HISTORY: Final = timedelta(days=14)
COMFORT_DAYS: Final = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class RoomHistory:
    """What the recorder holds of a thermostat and of the outdoor temperature."""

    samples: list[RoomSample]
    outdoor: list[tuple[datetime, float]]
    comfort_readings: list[float]


def _states(hass: HomeAssistant, entity_id: str, start: datetime, end: datetime) -> list[State]:
    found = history.get_significant_states(
        hass,
        start,
        end,
        [entity_id],
        include_start_time_state=True,
        significant_changes_only=False,
        minimal_response=False,
        no_attributes=False,
    ).get(entity_id, [])
    return [state for state in found if isinstance(state, State)]


def read_history(
    hass: HomeAssistant, entity_id: str, outdoor: OutdoorEntity, start: datetime, end: datetime
) -> RoomHistory:
    """Read the thermostat's and the outdoor temperature's history (recorder executor)."""
    samples = []
    comfort = []
    comfort_from = end - COMFORT_DAYS
    for state in _states(hass, entity_id, start, end):
        temperature = room_temperature(state) if available(state) else None
        action: Any = state.attributes.get(ATTR_HVAC_ACTION)
        heating = heating_state(action if isinstance(action, str) else None, state.state)
        at = state.last_updated
        samples.append(RoomSample(at, temperature, heating))
        preset = state.attributes.get(ATTR_PRESET_MODE)
        if (
            at >= comfort_from
            and temperature is not None
            and isinstance(preset, str)
            and preset.lower() == COMFORT
            and heating is False
        ):
            comfort.append(temperature)
    points = [
        (state.last_updated, value)
        for state in _states(hass, outdoor.entity_id, start, end)
        if (value := outdoor.value(state)) is not None
    ]
    return RoomHistory(samples, points, comfort)


def fit_history(found: RoomHistory, now: datetime) -> LearnedModel:
    """Learn the model from a history (executor: about a second for 14 days)."""
    comfort = round(median(found.comfort_readings), 1) if found.comfort_readings else None
    if not found.outdoor:
        fit = learn((), Outdoor.constant(0.0))
    else:
        fit = learn(found.samples, Outdoor(found.outdoor))
    return LearnedModel(fit.status, fit.fitted, fit.rmse_k, round(fit.days_used, 2), now, comfort)


async def async_learn(
    hass: HomeAssistant, entity_id: str, outdoor: OutdoorEntity | None, now: datetime
) -> LearnedModel:
    """Learn a thermostat's model from the recorder (its reads and the fit off the loop)."""
    if outdoor is None:
        return fit_history(RoomHistory([], [], []), now)
    found = await get_instance(hass).async_add_executor_job(
        read_history, hass, entity_id, outdoor, now - HISTORY, now
    )
    return await hass.async_add_executor_job(fit_history, found, now)
