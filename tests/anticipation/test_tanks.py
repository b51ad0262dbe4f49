"""The hot-water tank: heated in the last off-peak hours before the period, off during it.

A ``switch`` on the tank's contactor (a ``template`` switch on a relay) and a
``water_heater`` entity (a test platform behaving like a real one: operation modes, on/off).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.water_heater import WaterHeaterEntity, WaterHeaterEntityFeature
from homeassistant.const import UnitOfTemperature
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockPlatform, mock_platform

from custom_components.delestage.hub import get_hub

from .conftest import (
    DAY,
    PARIS,
    RED_END,
    RED_START,
    async_precondition,
    async_run,
    async_setup_delestage,
    async_setup_home,
)

TANK = "switch.water_tank"
BOILER = "water_heater.boiler"
TEMPO_RED = {
    "start": (DAY + timedelta(hours=6)).isoformat(),
    "end": (DAY + timedelta(hours=22)).isoformat(),
}


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


class Boiler(WaterHeaterEntity):
    """A water heater with eco, performance and off modes (as many real ones offer)."""

    _attr_name = "Boiler"
    _attr_unique_id = "boiler"
    _attr_should_poll = False
    _attr_temperature_unit = UnitOfTemperature.CELSIUS
    _attr_operation_list = ["eco", "performance", "off"]  # noqa: RUF012 - Home Assistant's type
    _attr_supported_features = (
        WaterHeaterEntityFeature.OPERATION_MODE | WaterHeaterEntityFeature.ON_OFF
    )

    def __init__(self) -> None:
        """Start in eco, as the user left it."""
        self._attr_current_operation = "eco"
        self._attr_current_temperature = 55.0

    async def async_set_operation_mode(self, operation_mode: str) -> None:
        """Take the mode."""
        self._attr_current_operation = operation_mode
        self.async_write_ha_state()


async def _setup_boiler(hass: HomeAssistant) -> None:
    async def _setup_platform(
        _hass: HomeAssistant, _config: Any, add: AddEntitiesCallback, _info: Any = None
    ) -> None:
        add([Boiler()])

    mock_platform(hass, "test.water_heater", MockPlatform(async_setup_platform=_setup_platform))
    assert await async_setup_component(hass, "water_heater", {"water_heater": {"platform": "test"}})
    await hass.async_block_till_done()


async def _switch(hass: HomeAssistant, entity_id: str, on: bool) -> None:
    await hass.services.async_call(
        "switch", "turn_on" if on else "turn_off", {"entity_id": entity_id}, blocking=True
    )


@pytest.mark.freeze_time("2026-12-06T12:00:00+01:00")
async def test_tempo_red_day_heats_the_night_before(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Known at noon: heated 22:00-06:00, off 06:00-22:00, then as the user had it (off)."""
    await async_setup_delestage(hass)
    await async_setup_home(hass, thermostats={}, tank=True)
    await _switch(hass, TANK, False)
    response = await async_precondition(hass, water_heater=[TANK], **TEMPO_RED)
    plan = response["water_heaters"][TANK]
    assert plan["reason"] == "last_off_peak"
    assert plan["heat_from"] == datetime(2026, 12, 6, 22, tzinfo=PARIS).isoformat()

    await async_run(hass, freezer, DAY - timedelta(hours=2, minutes=5), [], step=timedelta(hours=1))
    assert _state(hass, TANK) == "off"
    await async_run(hass, freezer, DAY - timedelta(hours=1, minutes=58), [])
    assert _state(hass, TANK) == "on"
    await async_run(hass, freezer, DAY + timedelta(hours=6, minutes=2), [])
    assert _state(hass, TANK) == "off"
    await async_run(
        hass, freezer, DAY + timedelta(hours=21, minutes=55), [], step=timedelta(hours=1)
    )
    assert _state(hass, TANK) == "off"
    await async_run(hass, freezer, DAY + timedelta(hours=22, minutes=2), [])
    assert _state(hass, TANK) == "off"  # the user's setting: it was off


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
async def test_evening_peak_keeps_the_tank_off(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The night's window has passed: kept off 18:00-20:00, then on again."""
    await async_setup_delestage(hass)
    await async_setup_home(hass, thermostats={}, tank=True)
    response = await async_precondition(
        hass, water_heater=[TANK], start=RED_START.isoformat(), end=RED_END.isoformat()
    )
    assert response["water_heaters"][TANK]["reason"] == "window_passed"
    await async_run(hass, freezer, RED_START + timedelta(minutes=2), [], step=timedelta(hours=1))
    assert _state(hass, TANK) == "off"
    await async_run(hass, freezer, RED_END + timedelta(minutes=2), [])
    assert _state(hass, TANK) == "on"


@pytest.mark.freeze_time("2026-12-06T12:00:00+01:00")
async def test_water_heater_entity_and_the_meters_off_peak_hours(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A water heater: performance in the meter's last off-peak window, off, then eco again."""
    await async_setup_delestage(hass)
    await async_setup_home(hass, thermostats={})
    await _setup_boiler(hass)
    # The Linky meter's off-peak hours, as its tariff publishes them (``hub.py``).
    get_hub(hass).register_offpeak("meter", lambda: [(time(1, 30), time(7, 30))])
    response = await async_precondition(hass, water_heater=[BOILER], **TEMPO_RED)
    assert (
        response["water_heaters"][BOILER]["heat_from"]
        == datetime(2026, 12, 7, 1, 30, tzinfo=PARIS).isoformat()
    )

    await async_run(
        hass, freezer, DAY + timedelta(hours=1, minutes=32), [], step=timedelta(hours=1)
    )
    assert _state(hass, BOILER) == "performance"
    await async_run(hass, freezer, DAY + timedelta(hours=6, minutes=2), [])
    assert _state(hass, BOILER) == "off"
    await async_run(
        hass, freezer, DAY + timedelta(hours=22, minutes=2), [], step=timedelta(hours=1)
    )
    assert _state(hass, BOILER) == "eco"


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
async def test_the_user_switching_the_tank_on_wins(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Hot water needed during the period: the user's switch stays on until the end and after."""
    await async_setup_delestage(hass)
    await async_setup_home(hass, thermostats={}, tank=True)
    await async_precondition(
        hass, water_heater=[TANK], start=RED_START.isoformat(), end=RED_END.isoformat()
    )
    await async_run(hass, freezer, RED_START + timedelta(minutes=2), [], step=timedelta(hours=1))
    assert _state(hass, TANK) == "off"
    await _switch(hass, TANK, True)
    await async_run(hass, freezer, RED_START + timedelta(hours=1), [])
    assert _state(hass, TANK) == "on"  # not switched off again
    await async_run(hass, freezer, RED_END + timedelta(minutes=2), [])
    assert _state(hass, TANK) == "on"
