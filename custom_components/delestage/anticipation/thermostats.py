"""A ``climate`` entity as the planner sees it, and what a plan's steps ask of it.

Two kinds of heaters (DESIGN §2 "Pre-heating"):

- **set-point thermostats** (``generic_thermostat``, a TRV, Versatile Thermostat…): the plan
  sets ``temperature``; limits from ``min_temp`` / ``max_temp``, the step from
  ``target_temp_step`` (0.5 K when it does not say, as the frontend's own step);
- **preset-only heaters** (pilot wire: Heatzy, a NodOn module, two relays…), without the
  target-temperature feature: the plan picks presets. A preset stands for the temperature it
  holds (``planner.preset_temperatures``) from the comfort temperature, which is the heater's
  ``temperature`` attribute when it reports one, else the room's median temperature in
  comfort over the last days of its history, else :data:`DEFAULT_COMFORT`.

The floor of a call is a temperature (°C) above :data:`FLOOR_RELATIVE_MAX`, else a drop (K)
below the set point: ``floor: 18`` and ``floor: 2`` both mean 18 °C for a 20 °C set point.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.climate.const import (
    ATTR_CURRENT_TEMPERATURE,
    ATTR_MAX_TEMP,
    ATTR_MIN_TEMP,
    ATTR_PRESET_MODE,
    ATTR_PRESET_MODES,
    ATTR_TARGET_TEMP_STEP,
    SERVICE_SET_PRESET_MODE,
    SERVICE_SET_TEMPERATURE,
    ClimateEntityFeature,
    HVACMode,
)
from homeassistant.const import (
    ATTR_SUPPORTED_FEATURES,
    ATTR_TEMPERATURE,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import State

from .outdoor import number
from .planner import BOOST, FLOOR_DROP, Phase, Room, Step, preset_temperatures
from .store import Setting, StepRecord

# A floor up to this is a drop below the set point (K); above, a temperature (°C): nobody
# wants a room at 6 °C, and nobody lets it drop by 7 K.
FLOOR_RELATIVE_MAX: Final = 6.0
DEFAULT_COMFORT: Final = 19.0  # °C: the French recommendation, when nothing says better
DEFAULT_STEP: Final = 0.5
COMFORT: Final = "comfort"

NOT_THERE: Final = (STATE_UNAVAILABLE, STATE_UNKNOWN)


def available(state: State | None) -> bool:
    """Whether an entity is there and answering."""
    return state is not None and state.state not in NOT_THERE


def preset_only(state: State) -> bool:
    """Whether a climate entity takes presets but no temperature (a pilot-wire heater)."""
    features = int(state.attributes.get(ATTR_SUPPORTED_FEATURES, 0))
    return not features & ClimateEntityFeature.TARGET_TEMPERATURE and bool(
        features & ClimateEntityFeature.PRESET_MODE
    )


def setting_of(state: State) -> Setting:
    """Return what a thermostat is set to now."""
    preset = state.attributes.get(ATTR_PRESET_MODE)
    return Setting(
        temperature=None if preset_only(state) else number(state.attributes.get(ATTR_TEMPERATURE)),
        preset=preset if isinstance(preset, str) else None,
        mode=state.state,
    )


def step_of(state: State) -> float:
    """Return the thermostat's set-point step (K)."""
    step = number(state.attributes.get(ATTR_TARGET_TEMP_STEP))
    return step if step is not None and step > 0 else DEFAULT_STEP


def matches(state: State, wanted: Setting) -> bool:
    """Whether the thermostat holds ``wanted`` (within half its step: devices round)."""
    current = setting_of(state)
    if current.mode == HVACMode.OFF and wanted.mode != HVACMode.OFF:
        return False
    if wanted.preset is not None and wanted.temperature is None:
        return current.preset == wanted.preset
    if wanted.temperature is None or current.temperature is None:
        return wanted.temperature == current.temperature
    return abs(current.temperature - wanted.temperature) <= step_of(state) / 2 + 0.01


def comfort_preset(state: State) -> str | None:
    """Return the heater's comfort preset, as it spells it (None: it has none)."""
    presets = state.attributes.get(ATTR_PRESET_MODES) or []
    return next((p for p in presets if isinstance(p, str) and p.lower() == COMFORT), None)


def floor_of(floor: float | None) -> tuple[float | None, float]:
    """Return the floor of a call as the planner takes it: (absolute °C or None, drop in K)."""
    if floor is None:
        return None, FLOOR_DROP
    if floor <= FLOOR_RELATIVE_MAX:
        return None, floor
    return floor, FLOOR_DROP


def room_of(
    state: State,
    *,
    user: Setting | None,
    boost: float | None,
    floor: float | None,
    learned_comfort: float | None,
) -> Room | str:
    """Return the planner's view of a thermostat; a text saying why not when it cannot be planned.

    ``user`` is the setting recorded before Délestage changed anything (its set point is the
    user's, not the pre-heat Délestage asked); None: the thermostat's setting now.
    """
    if not available(state):
        return "the thermostat is unavailable"
    now = setting_of(state)
    if now.mode == HVACMode.OFF:
        return "the thermostat is off"
    absolute, drop = floor_of(floor)
    attributes = state.attributes
    min_temp = number(attributes.get(ATTR_MIN_TEMP)) or 7.0
    max_temp = number(attributes.get(ATTR_MAX_TEMP)) or 35.0
    boost = BOOST if boost is None else boost
    reference = user or now
    if not preset_only(state):
        if reference.temperature is None:
            return "the thermostat has no set point"
        return Room(
            set_point=reference.temperature,
            boost=boost,
            floor=absolute,
            floor_drop=drop,
            step=step_of(state),
            min_temp=min_temp,
            max_temp=max_temp,
        )
    comfort_name = comfort_preset(state)
    if comfort_name is None:
        return "the heater has no comfort preset"
    comfort = number(attributes.get(ATTR_TEMPERATURE)) or learned_comfort or DEFAULT_COMFORT
    presets = preset_temperatures(attributes.get(ATTR_PRESET_MODES) or [], comfort)
    held = presets.get(reference.preset or "", comfort)
    return Room(
        set_point=comfort,
        boost=boost,
        floor=absolute,
        floor_drop=drop,
        current_target=held if held < comfort else None,
        presets=presets,
        comfort_preset=comfort_name,
        min_temp=min_temp,
        max_temp=max_temp,
    )


def steps_of(steps: tuple[Step, ...], *, preset: bool) -> list[StepRecord]:
    """Return the plan's steps as settings to ask (the restore is the user's own, not a step)."""
    records = []
    for step in steps:
        if step.phase is Phase.RESTORE:
            continue
        setting = (
            Setting(preset=step.preset)
            if preset and step.preset is not None
            else Setting(temperature=step.target)
        )
        records.append(StepRecord(step.at, step.phase.value, setting))
    return records


def climate_call(state: State, setting: Setting) -> tuple[str, dict[str, Any], str]:
    """Return the action, its data and the logbook's text that ask a thermostat for a setting."""
    if setting.preset is not None and (preset_only(state) or setting.temperature is None):
        return SERVICE_SET_PRESET_MODE, {ATTR_PRESET_MODE: setting.preset}, setting.preset
    return (
        SERVICE_SET_TEMPERATURE,
        {ATTR_TEMPERATURE: setting.temperature},
        f"{setting.temperature} °C",
    )


def room_temperature(state: State) -> float | None:
    """Return the room's temperature as the thermostat reads it."""
    return number(state.attributes.get(ATTR_CURRENT_TEMPERATURE))
