"""The shed_loads / restore_loads actions: what they switch, what they remember, what they leave."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.shedding import STORAGE_KEY

from .conftest import (
    GROUP,
    async_restore as _restore,
    async_set_load,
    async_shed as _shed,
    stored,
)


def _on(hass: HomeAssistant, entity_id: str) -> bool:
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state == "on"


async def _relay(hass: HomeAssistant, state: str) -> None:
    """The water heater's relay changes by itself (drops off the bus, reboots...)."""
    hass.states.async_set("input_boolean.water_heater_relay", state)
    await hass.async_block_till_done()


@pytest.mark.usefixtures("setup_integration")
async def test_sheds_loads_that_are_on_and_restores_exactly_those(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    water_heater, radiator, dryer = loads
    await async_set_load(hass, water_heater, True)
    await async_set_load(hass, radiator, True)

    assert sorted(await _shed(hass, loads)) == sorted([water_heater, radiator])
    assert not any(_on(hass, load) for load in loads)

    assert sorted(await _restore(hass)) == sorted([water_heater, radiator])
    assert _on(hass, water_heater)
    assert _on(hass, radiator)
    assert not _on(hass, dryer)  # it was off before the period: it stays off


@pytest.mark.usefixtures("setup_integration")
async def test_user_override_during_the_period_holds(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    water_heater, radiator, _dryer = loads
    for load in (water_heater, radiator):
        await async_set_load(hass, load, True)
    await _shed(hass, loads)

    # The user needs the water heater now, then turns the radiator on and off again.
    await async_set_load(hass, water_heater, True)
    await async_set_load(hass, radiator, True)
    await async_set_load(hass, radiator, False)

    # The automation fires again within the same period (e.g. after a restart): no re-shedding.
    assert await _shed(hass, loads) == []
    assert _on(hass, water_heater)

    # End of the period: nothing to switch on, the user took both over.
    assert await _restore(hass) == []
    assert _on(hass, water_heater)
    assert not _on(hass, radiator)


@pytest.mark.usefixtures("setup_integration")
async def test_restore_without_switching_on_forgets_the_loads(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)
    await _shed(hass, [water_heater])

    assert await _restore(hass, switch_on=False) == []
    assert not _on(hass, water_heater)
    # A new period sheds again from scratch.
    await async_set_load(hass, water_heater, True)
    assert await _shed(hass, [water_heater]) == [water_heater]


@pytest.mark.usefixtures("setup_integration")
async def test_restore_of_an_unknown_group_does_nothing(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    assert await _restore(hass) == []


@pytest.mark.usefixtures("setup_integration")
async def test_unavailable_load_is_switched_on_when_it_comes_back(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)
    await _shed(hass, [water_heater])

    # The relay drops off the bus before the period ends.
    hass.states.async_set("input_boolean.water_heater_relay", "unavailable")
    await hass.async_block_till_done()
    assert hass.states.get(water_heater).state == "unavailable"  # type: ignore[union-attr]
    assert await _restore(hass) == []

    # It comes back, off: the period is over, so it is switched back on.
    hass.states.async_set("input_boolean.water_heater_relay", "off")
    await hass.async_block_till_done()
    assert _on(hass, water_heater)


async def test_groups_survive_a_restart(
    hass: HomeAssistant, hass_storage: dict[str, Any], loads: tuple[str, ...]
) -> None:
    """What was shed before a restart is restored after it; a person's override is kept."""
    water_heater, radiator, _dryer = loads
    started = dt_util.utcnow() - timedelta(minutes=30)
    hass_storage[STORAGE_KEY] = stored(
        {
            "groups": {
                GROUP: {
                    "active": True,
                    "members": [water_heater, radiator],
                    "loads": [water_heater],
                    "overridden": [radiator],
                    "started": started.isoformat(),
                    "deadline": (started + timedelta(hours=6)).isoformat(),
                }
            }
        }
    )
    await async_set_load(hass, radiator, True)  # the person switched it on before the restart
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert await _shed(hass, loads) == []  # the period was already handled
    assert _on(hass, radiator)
    assert await _restore(hass) == [water_heater]
    assert _on(hass, water_heater)


async def test_store_of_version_1_0_is_read(
    hass: HomeAssistant, hass_storage: dict[str, Any], loads: tuple[str, ...]
) -> None:
    """A store written before members, deadlines and history existed still restores its loads."""
    water_heater = loads[0]
    hass_storage[STORAGE_KEY] = stored(
        {"groups": {GROUP: {"active": True, "loads": [water_heater], "waiting": []}}}
    )
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert await _restore(hass) == [water_heater]
    assert _on(hass, water_heater)


@pytest.mark.usefixtures("setup_integration")
async def test_remembered_loads_are_saved(
    hass: HomeAssistant, hass_storage: dict[str, Any], loads: tuple[str, ...]
) -> None:
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)
    await _shed(hass, [water_heater])
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))
    await hass.async_block_till_done()

    data = hass_storage[STORAGE_KEY]["data"]
    group = data["groups"][GROUP]
    assert group["active"] is True
    assert group["loads"] == [water_heater]
    assert group["pending"] == []
    assert group["members"] == [water_heater]
    assert dt_util.parse_datetime(group["deadline"]) - dt_util.parse_datetime(  # type: ignore[operator]
        group["started"]
    ) == timedelta(hours=6)
    assert [(p["group"], p["end"], p["loads"]) for p in data["periods"]] == [
        (GROUP, None, [water_heater])
    ]


@pytest.mark.usefixtures("setup_integration")
async def test_entity_without_off_action_is_rejected(hass: HomeAssistant) -> None:
    hass.states.async_set("sensor.temperature", "20")

    with pytest.raises(ServiceValidationError) as excinfo:
        await _shed(hass, ["sensor.temperature"])

    assert excinfo.value.translation_key == "load_cannot_switch"


@pytest.mark.usefixtures("setup_integration")
async def test_failing_load_is_not_remembered(
    hass: HomeAssistant, loads: tuple[str, ...], caplog: pytest.LogCaptureFixture
) -> None:
    async def _broken(call: ServiceCall) -> None:
        raise HomeAssistantError("relay not responding")

    hass.services.async_register("fan", "turn_off", _broken)
    hass.services.async_register("fan", "turn_on", _broken)
    hass.states.async_set("fan.attic", "on")
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)

    assert await _shed(hass, ["fan.attic", water_heater]) == [water_heater]
    assert "relay not responding" in caplog.text
    assert await _restore(hass) == [water_heater]


@pytest.mark.usefixtures("setup_integration")
async def test_loads_whose_on_state_is_not_on_are_shed_and_restored(
    hass: HomeAssistant,
) -> None:
    """A water heater in "eco" or a heating climate is running: it is shed like a switch."""
    modes = {"water_heater.boiler": "eco", "climate.living_room": "heat"}

    def _register(domain: str) -> None:
        async def _turn_off(call: ServiceCall) -> None:
            for entity_id in call.data["entity_id"]:
                hass.states.async_set(entity_id, "off", context=call.context)

        async def _turn_on(call: ServiceCall) -> None:
            for entity_id in call.data["entity_id"]:
                hass.states.async_set(entity_id, modes[entity_id], context=call.context)

        hass.services.async_register(
            domain, "turn_off", _turn_off, schema=cv.make_entity_service_schema({})
        )
        hass.services.async_register(
            domain, "turn_on", _turn_on, schema=cv.make_entity_service_schema({})
        )

    for entity_id, mode in modes.items():
        _register(entity_id.split(".")[0])
        hass.states.async_set(entity_id, mode)

    assert sorted(await _shed(hass, list(modes))) == sorted(modes)
    assert hass.states.get("water_heater.boiler").state == "off"  # type: ignore[union-attr]
    assert hass.states.get("climate.living_room").state == "off"  # type: ignore[union-attr]

    assert sorted(await _restore(hass)) == sorted(modes)
    assert hass.states.get("water_heater.boiler").state == "eco"  # type: ignore[union-attr]
    assert hass.states.get("climate.living_room").state == "heat"  # type: ignore[union-attr]


@pytest.mark.usefixtures("setup_integration")
async def test_load_back_on_by_itself_after_the_period_is_forgotten(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    """A load back on by itself is done: a later reconnection must not switch it on again."""
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)
    await _shed(hass, [water_heater])

    # The relay is offline when the period ends, then comes back on (its power-on default).
    await _relay(hass, "unavailable")
    assert await _restore(hass) == []
    await _relay(hass, "on")

    # In the evening the user switches it off; later the relay drops off the bus and comes back.
    await async_set_load(hass, water_heater, False)
    await _relay(hass, "unavailable")
    await _relay(hass, "off")

    assert not _on(hass, water_heater)


@pytest.mark.usefixtures("setup_integration")
async def test_load_back_on_by_itself_during_the_period_is_shed_again(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    """A power cut during a red period: the relay comes back on by itself, not by the user."""
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)
    await _shed(hass, [water_heater])

    await _relay(hass, "unavailable")
    await _relay(hass, "on")
    assert not _on(hass, water_heater)

    # It is still remembered: the end of the period switches it back on.
    assert await _restore(hass) == [water_heater]
    assert _on(hass, water_heater)


@pytest.mark.usefixtures("setup_integration")
async def test_load_unavailable_at_the_start_is_shed_when_it_comes_back_on(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    """Home Assistant just started and the relay board is not attached yet when red begins."""
    water_heater, radiator, _dryer = loads
    await async_set_load(hass, water_heater, True)
    await async_set_load(hass, radiator, True)
    await _relay(hass, "unavailable")
    hass.states.async_set("input_boolean.radiator_relay", "unavailable")
    await hass.async_block_till_done()

    assert await _shed(hass, loads) == []

    # The water heater's relay attaches, on: it is switched off and remembered.
    await _relay(hass, "on")
    assert not _on(hass, water_heater)
    # The radiator's relay attaches off; the user then wants it on: theirs.
    hass.states.async_set("input_boolean.radiator_relay", "off")
    await hass.async_block_till_done()
    await async_set_load(hass, radiator, True)
    assert _on(hass, radiator)

    assert await _restore(hass) == [water_heater]
    assert _on(hass, water_heater)
    assert _on(hass, radiator)


@pytest.mark.usefixtures("setup_integration")
async def test_load_still_unavailable_from_the_last_period_is_shed_in_the_next(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)
    await _shed(hass, [water_heater])
    await _relay(hass, "unavailable")
    assert await _restore(hass) == []

    # A new period starts while the relay is still away; it then comes back on.
    assert await _shed(hass, [water_heater]) == []
    await _relay(hass, "on")

    assert not _on(hass, water_heater)
    assert await _restore(hass) == [water_heater]
