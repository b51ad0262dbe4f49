"""A room pre-heats before a red period, coasts, holds its floor and gets its set point back.

Through the public interface only: ``delestage.precondition`` on a ``generic_thermostat``
driving a relay over a simulated room (``conftest.py``), time moving on minute by minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest

from custom_components.delestage.const import DOMAIN

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
BEDROOM = "climate.bedroom"


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


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
async def test_preset_heater_comfort_earlier_eco_during_back_to_eco(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A pilot-wire heater left in eco: comfort before the period, eco in it, eco after."""
    await async_setup_delestage(hass)
    bedroom = (await async_setup_home(hass, thermostats={}, preset_heaters={"bedroom": "eco"}))[
        "bedroom"
    ]
    await async_run(hass, freezer, DAY + timedelta(hours=13), [bedroom])
    response = await async_precondition(
        hass, entity_id=[BEDROOM], start=RED_START.isoformat(), end=RED_END.isoformat()
    )
    plan = response["rooms"][BEDROOM]
    assert plan["strategy"] in ("preheat_coast", "preheat_hold"), plan
    # Comfort, never more: a radiator keeps its own thermostat. This one reports no temperature
    # and has no history yet: comfort is taken as 19 °C, the floor as 17 °C.
    assert plan["preheat_target"] == 19.0
    assert plan["floor"] == 17.0
    orders: list[tuple[datetime, str]] = []

    async def record(at: datetime) -> None:
        orders.append((at, target_of(hass, BEDROOM)))

    await async_run(hass, freezer, RED_END + timedelta(minutes=5), [bedroom], each=record)
    # Planned again every hour as the room cooled in eco: comfort a while before the period
    # (the first plan said from {preheat_start}), eco at its start, comfort once the room
    # reaches its floor, the user's eco after it.
    comfort_from = next(at for at, order in orders if order == "comfort")
    assert comfort_from <= dt_util.parse_datetime(plan["preheat_start"])  # type: ignore[operator]
    assert RED_START - timedelta(hours=6) <= comfort_from < RED_START - timedelta(minutes=15)
    assert {order for at, order in orders if comfort_from <= at < RED_START} == {"comfort"}
    in_period = [order for at, order in orders if RED_START < at < RED_END]
    assert in_period[0] == "eco"
    assert bedroom.lowest(RED_START, RED_END) >= 17.0 - 0.3
    assert target_of(hass, BEDROOM) == "eco"  # what the user had


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
async def test_groups_replace_their_periods_and_cancel_them(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """RTE revises the run; another automation asks for the same room; one cancels."""
    await async_setup_delestage(hass)
    living = (await async_setup_home(hass))["living"]
    ecowatt, tempo = "automation.ecowatt", "automation.tempo"
    await async_precondition(
        hass,
        entity_id=[LIVING],
        start=(RED_START - timedelta(hours=1)).isoformat(),
        end=RED_END.isoformat(),
        group=ecowatt,
    )
    # The run is revised to 18:00-20:00: the group's earlier period goes.
    response = await async_precondition(
        hass,
        entity_id=[LIVING],
        start=RED_START.isoformat(),
        end=RED_END.isoformat(),
        group=ecowatt,
    )
    assert response["rooms"][LIVING]["preheat_start"] is not None
    # A second automation asks for a longer period over the same hours: merged.
    await async_precondition(
        hass,
        entity_id=[LIVING],
        start=RED_START.isoformat(),
        end=(RED_END + timedelta(hours=1)).isoformat(),
        group=tempo,
    )
    await async_run(hass, freezer, RED_START + timedelta(minutes=5), [living])
    assert target_of(hass, LIVING) == 18.5

    # The Ecowatt automation cancels: the other still asks, the room keeps coasting.
    response = await hass.services.async_call(
        DOMAIN, "cancel_precondition", {"group": ecowatt}, blocking=True, return_response=True
    )
    assert response == {"cancelled": [LIVING]}
    await async_run(hass, freezer, RED_START + timedelta(minutes=10), [living])
    assert target_of(hass, LIVING) == 18.5
    # The other cancels too: its set point comes back at once.
    await hass.services.async_call(
        DOMAIN, "cancel_precondition", {"group": tempo, "entity_id": [LIVING]}, blocking=True
    )
    await hass.async_block_till_done()
    assert target_of(hass, LIVING) == 20.0


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
async def test_a_run_moved_earlier_while_pre_heating_coasts_at_once(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """RTE moves the red run earlier, to a start already past: the pre-heat ends, the coast starts.

    The demo's join: its red run set "now" through the simulator while the room was being
    pre-heated for the run announced later.
    """
    await async_setup_delestage(hass)
    living = (await async_setup_home(hass))["living"]
    later = RED_START + timedelta(hours=1)
    await async_precondition(
        hass,
        entity_id=[LIVING],
        start=later.isoformat(),
        end=(later + timedelta(hours=3)).isoformat(),
        group="automation.ecowatt",
    )
    await async_run(hass, freezer, RED_START - timedelta(minutes=5), [living])
    assert target_of(hass, LIVING) == 21.5  # pre-heating for the run announced at 19:00
    await async_run(hass, freezer, RED_START + timedelta(minutes=20), [living])
    # RTE now says 18:00-20:00: the call comes 20 minutes into it.
    await async_precondition(
        hass,
        entity_id=[LIVING],
        start=RED_START.isoformat(),
        end=RED_END.isoformat(),
        group="automation.ecowatt",
    )
    await hass.async_block_till_done()
    assert target_of(hass, LIVING) == 18.5
    await async_run(hass, freezer, RED_END + timedelta(minutes=2), [living])
    assert target_of(hass, LIVING) == 20.0


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"start": RED_END.isoformat(), "end": RED_START.isoformat()}, "precondition_reversed"),
        (
            {
                "start": (DAY - timedelta(hours=3)).isoformat(),
                "end": (DAY - timedelta(hours=1)).isoformat(),
            },
            "precondition_over",
        ),
        (
            {"start": RED_START.isoformat(), "end": RED_END.isoformat(), "entity_id": []},
            "precondition_nothing",
        ),
    ],
)
async def test_bad_periods_are_refused(hass: HomeAssistant, data: dict[str, Any], key: str) -> None:
    await async_setup_delestage(hass)
    with pytest.raises(ServiceValidationError) as refused:
        await hass.services.async_call(
            DOMAIN, "precondition", {"entity_id": [LIVING], **data}, blocking=True
        )
    assert refused.value.translation_key == key


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
async def test_a_local_time_without_zone_is_home_assistants(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """``start: "2026-12-07 18:00"`` (as a UI date picker gives) is 18:00 in Paris."""
    await async_setup_delestage(hass)
    living = (await async_setup_home(hass))["living"]
    await async_precondition(
        hass, entity_id=[LIVING], start="2026-12-07 18:00:00", end="2026-12-07 20:00:00"
    )
    await async_run(hass, freezer, RED_START + timedelta(minutes=5), [living])
    assert target_of(hass, LIVING) == 18.5
