"""A hot-water tank: a ``water_heater`` entity, or a ``switch`` on the tank's contactor.

The plan (``hot_water.py``) heats in the last off-peak window before the period and keeps the
tank off during it. What that asks of the entity:

- a ``switch``: ``on`` to heat, ``off`` during the period, then back to what it was;
- a ``water_heater``: to heat, ``performance`` (or ``high_demand``) when it offers one, the
  whole tank at once, else the user's own mode when it heats, else the first of
  :data:`HEATING_MODES` it offers; switched on first when it is off; during the period ``off``
  (the operation mode, else ``water_heater.turn_off``); then back to the user's mode.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from homeassistant.components.water_heater import ATTR_OPERATION_LIST
from homeassistant.components.water_heater.const import (
    ATTR_OPERATION_MODE,
    DOMAIN as WATER_HEATER_DOMAIN,
    SERVICE_SET_OPERATION_MODE,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import State, split_entity_id

from ..report.model import ShedPeriod
from .hot_water import HotWaterPlan, daily_windows, plan_hot_water
from .store import Setting, StepRecord

# Modes that heat the whole tank at once, preferred for the window before the period.
FULL_HEAT_MODES: Final = ("performance", "high_demand")
HEATING_MODES: Final = ("electric", "heat_pump", "eco", "gas")
# Without off-peak hours from a Linky meter's tariff: the usual French night (and Tempo's).
DEFAULT_OFFPEAK: Final = ((time(22), time(6)),)
HEAT: Final = "heat"
KEEP_OFF: Final = "off"
BACK: Final = "back"  # between the window and the period: the user's own setting


def is_water_heater(entity_id: str) -> bool:
    """Whether a tank is a ``water_heater`` entity (else a switch)."""
    return split_entity_id(entity_id)[0] == WATER_HEATER_DOMAIN


def mode_of(state: State) -> str:
    """Return what the tank is set to: ``on`` / ``off``, or a water heater's operation mode."""
    if is_water_heater(state.entity_id):
        mode = state.attributes.get(ATTR_OPERATION_MODE)
        return mode if isinstance(mode, str) else state.state
    return state.state


def heating_mode(state: State, user: Setting) -> str:
    """Return the mode that heats: ``on``; a full-heat mode; the user's own; one that heats."""
    if not is_water_heater(state.entity_id):
        return STATE_ON
    offered = state.attributes.get(ATTR_OPERATION_LIST) or []
    if (full := next((mode for mode in FULL_HEAT_MODES if mode in offered), None)) is not None:
        return full
    if user.mode not in (None, STATE_OFF):
        assert user.mode is not None
        return user.mode
    return next((mode for mode in HEATING_MODES if mode in offered), STATE_ON)


def commands(state: State, mode: str) -> list[tuple[str, str, dict[str, str]]]:
    """(domain, service, data) calls that put the tank in ``mode``."""
    entity_id = state.entity_id
    target = {ATTR_ENTITY_ID: entity_id}
    if not is_water_heater(entity_id):
        service = SERVICE_TURN_ON if mode == STATE_ON else SERVICE_TURN_OFF
        return [(split_entity_id(entity_id)[0], service, target)]
    offered = state.attributes.get(ATTR_OPERATION_LIST) or []
    if mode == STATE_OFF and STATE_OFF not in offered:
        return [(WATER_HEATER_DOMAIN, SERVICE_TURN_OFF, target)]
    calls: list[tuple[str, str, dict[str, str]]] = []
    if state.state == STATE_OFF and mode != STATE_OFF and STATE_OFF not in offered:
        calls.append((WATER_HEATER_DOMAIN, SERVICE_TURN_ON, target))
    if mode in offered:
        calls.append(
            (WATER_HEATER_DOMAIN, SERVICE_SET_OPERATION_MODE, {**target, ATTR_OPERATION_MODE: mode})
        )
    elif mode == STATE_ON:
        calls.append((WATER_HEATER_DOMAIN, SERVICE_TURN_ON, target))
    return calls


def tank_plan(
    period: ShedPeriod,
    ranges: list[tuple[time, time]],
    zone: ZoneInfo,
    now: datetime,
) -> HotWaterPlan:
    """Return the tank's plan for a period, from the off-peak ranges (the usual night if none)."""
    local = period.start.astimezone(zone).date()
    # The windows of the period's day and of the two before (LOOKBACK is a day).
    windows = daily_windows(ranges or DEFAULT_OFFPEAK, local - timedelta(days=2), local, zone)
    return plan_hot_water(period, windows, now=now)


def tank_steps(plan: HotWaterPlan, heat: str) -> list[StepRecord]:
    """Return the plan's steps: heat in the window, the user's setting until the period, off."""
    steps = []
    if plan.heat_from is not None and plan.heat_until is not None:
        steps.append(StepRecord(plan.heat_from, HEAT, Setting(mode=heat)))
        if plan.heat_until < plan.off_from:
            steps.append(StepRecord(plan.heat_until, BACK, Setting()))
    if plan.off_from < plan.off_until:
        steps.append(StepRecord(plan.off_from, KEEP_OFF, Setting(mode=STATE_OFF)))
    return steps
