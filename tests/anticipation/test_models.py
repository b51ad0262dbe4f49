"""Each thermostat's model is learned from the recorder; its sensors show it and its plan.

The history is made the way Home Assistant makes it: a ``generic_thermostat`` regulating a
simulated room (known time constant) for days, with a night setback, recorded by the real
recorder; the outdoor temperature is a weather entity's, recorded too.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
import logging
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage.anticipation.store import MALFORMED_STORAGE_KEY, STORAGE_KEY
from custom_components.delestage.const import DOMAIN

from .conftest import (
    DAY,
    PARIS,
    RED_END,
    RED_START,
    async_precondition,
    async_run,
    async_setup_delestage,
    async_setup_home,
    async_setup_rte,
    make_room,
)

LIVING = "climate.living"
TAU_H = 10.0
PERIOD = {"start": RED_START.isoformat(), "end": RED_END.isoformat()}


def _outdoor(at: datetime) -> float:
    """A winter day: 3 °C on average, 4 K warmer in the afternoon than at night."""
    hour = at.astimezone(PARIS).hour + at.minute / 60
    return round(3.0 + 4.0 * math.cos(2 * math.pi * (hour - 15) / 24), 1)


@pytest.fixture(autouse=True)
def quiet_logs() -> Generator[None]:
    """Days of recorded states: no debug line per state and SQL statement (most of the time)."""
    logging.disable(logging.INFO)
    yield
    logging.disable(logging.NOTSET)


async def _live_days(hass: HomeAssistant, freezer: FrozenDateTimeFactory, days: int) -> None:
    """``days`` of the living room with its user: 20 °C by day, 17 °C at night."""
    room = make_room("living", tau_h=TAU_H, outdoor=_outdoor)
    living = (await async_setup_home(hass, simulated={"living": room}))["living"]
    start = datetime.now(PARIS)

    async def schedule(at: datetime) -> None:
        local = at.astimezone(PARIS)
        if local.minute == 0:
            await hass.services.async_call(
                "input_number",
                "set_value",
                {"entity_id": "input_number.outdoor", "value": _outdoor(at)},
                blocking=True,
            )
        if (local.hour, local.minute) in ((6, 0), (23, 0)):
            await hass.services.async_call(
                "climate",
                "set_temperature",
                {"entity_id": LIVING, "temperature": 20.0 if local.hour == 6 else 17.0},
                blocking=True,
            )

    await async_run(
        hass,
        freezer,
        start + timedelta(days=days),
        [living],
        step=timedelta(minutes=10),
        each=schedule,
        timers=False,
    )
    await async_wait_recording_done(hass)


def _sensor(hass: HomeAssistant, key: str) -> Any:
    registry = er.async_get(hass)
    entity_id = next(
        e.entity_id
        for e in registry.entities.values()
        if e.platform == DOMAIN and e.translation_key == key
    )
    state = hass.states.get(entity_id)
    assert state is not None
    return state


@pytest.mark.freeze_time("2026-11-28T12:00:00+01:00")
async def test_learned_from_the_thermostats_history(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    await async_setup_delestage(hass)
    await _live_days(hass, freezer, 8)
    freezer.move_to(DAY + timedelta(hours=12))
    await async_setup_rte(hass, aioclient_mock)

    # First named: learned in the background.
    await async_precondition(hass, entity_id=[LIVING], **PERIOD)
    await hass.async_block_till_done(wait_background_tasks=True)
    response = await async_precondition(hass, entity_id=[LIVING], **PERIOD)
    assert response["rooms"][LIVING]["learned"] is True

    preheat = _sensor(hass, "preheat_start")
    attributes = preheat.attributes
    assert attributes["learned"] is True
    assert attributes["model_status"] == "learned"
    assert attributes["time_constant_h"] == pytest.approx(TAU_H, rel=0.3)
    assert attributes["days_used"] >= 7
    assert attributes["fit_rmse_k"] < 0.3
    assert attributes["thermostat"] == LIVING
    assert attributes["strategy"] == response["rooms"][LIVING]["strategy"]
    assert preheat.state == response["rooms"][LIVING]["preheat_start"]
    coast = _sensor(hass, "coast_duration")
    assert coast.attributes["unit_of_measurement"] == "h"
    # From 20 °C to 18 °C with the heating off, at the outdoor temperature now.
    assert 0.5 < float(coast.state) < 3.0

    # The sensors' device: named after the thermostat, connected via the RTE one.
    device = dr.async_get(hass).async_get(
        er.async_get(hass).async_get(preheat.entity_id).device_id  # type: ignore[union-attr]
    )
    assert device is not None
    assert device.name == "Living"
    assert device.via_device_id is not None


@pytest.mark.freeze_time("2026-12-05T12:00:00+01:00")
async def test_not_learned_yet_with_two_days(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    await async_setup_delestage(hass)
    await _live_days(hass, freezer, 2)
    await async_setup_rte(hass, aioclient_mock)
    await async_precondition(hass, entity_id=[LIVING], **PERIOD)
    await hass.async_block_till_done(wait_background_tasks=True)
    response = await async_precondition(hass, entity_id=[LIVING], **PERIOD)

    assert response["rooms"][LIVING]["learned"] is False
    assert response["rooms"][LIVING]["reason"].endswith("model not learned yet: cautious default.")
    attributes = _sensor(hass, "preheat_start").attributes
    assert attributes["learned"] is False
    assert attributes["model_status"] == "not_enough_history"
    assert 1.5 < attributes["days_used"] < 2.5


@pytest.mark.freeze_time("2026-11-30T12:00:00+01:00")
async def test_unreadable_memory_puts_back_the_usual_set_point(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """The user's set point is unreadable: the one the thermostat held longest comes back."""
    await _live_days(hass, freezer, 1)
    await hass.services.async_call(
        "climate", "set_temperature", {"entity_id": LIVING, "temperature": 18.5}, blocking=True
    )
    await async_wait_recording_done(hass)
    bad = {"rooms": {LIVING: {"periods": [], "run": {"user": "twenty"}}}}
    hass_storage[STORAGE_KEY] = {"version": 1, "minor_version": 1, "key": STORAGE_KEY, "data": bad}

    # Délestage starts and reads its damaged memory.
    await async_setup_delestage(hass)
    await async_run(hass, freezer, datetime.now(PARIS) + timedelta(minutes=2), [])
    state = hass.states.get(LIVING)
    assert state is not None
    assert state.attributes["temperature"] == 20.0
    assert MALFORMED_STORAGE_KEY in hass_storage
