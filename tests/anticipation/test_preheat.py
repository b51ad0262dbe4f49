"""A room pre-heats before a red period, coasts, holds its floor and gets its set point back.

Through the public interface only: ``delestage.precondition`` on a ``generic_thermostat``
driving a relay over a simulated room (``conftest.py``), time moving on minute by minute.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from .conftest import (
    DAY,
    RED_END,
    RED_START,
    async_precondition,
    async_run,
    async_setup_delestage,
    async_setup_home,
    target_of,
)

LIVING = "climate.living"


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
async def test_preheat_coast_hold_restore(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await async_setup_delestage(hass)
    living = (await async_setup_home(hass))["living"]
    await async_run(hass, freezer, DAY + timedelta(hours=13), [living])

    response = await async_precondition(
        hass, entity_id=[LIVING], start=RED_START.isoformat(), end=RED_END.isoformat()
    )
    plan = response["rooms"][LIVING]
    # A fast room (τ 10 h) at 2 °C outside cannot coast 2 h from 20 °C above 18 °C: pre-heat.
    assert plan["strategy"] in ("preheat_coast", "preheat_hold"), plan
    assert plan["learned"] is False  # no history: the cautious default
    preheat_start = dt_util.parse_datetime(plan["preheat_start"])
    assert preheat_start is not None
    assert DAY + timedelta(hours=13) < preheat_start < RED_START

    await async_run(hass, freezer, preheat_start - timedelta(minutes=5), [living])
    assert target_of(hass, LIVING) == 20.0
    await async_run(hass, freezer, preheat_start + timedelta(minutes=5), [living])
    assert target_of(hass, LIVING) == plan["preheat_target"] > 20.0

    await async_run(hass, freezer, RED_START + timedelta(minutes=5), [living])
    assert target_of(hass, LIVING) == 18.5  # the floor (18 °C) + 0.5 K
    await async_run(hass, freezer, RED_END - timedelta(minutes=5), [living])
    # The room stays above the floor; the heater was off most of the period.
    assert living.lowest(RED_START, RED_END) >= 18.0
    assert living.heating_share(RED_START, RED_END) < 0.5

    await async_run(hass, freezer, RED_END + timedelta(minutes=5), [living])
    assert target_of(hass, LIVING) == 20.0
