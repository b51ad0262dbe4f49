"""No room is left at the pre-heat or at the floor after its period, whatever happens.

A restart in the middle of the period, Home Assistant stopping, the user (or another
automation) setting the thermostat meanwhile, a thermostat unavailable when the period ends,
the memory unreadable: the same never-strand rules as load shedding (DESIGN §4).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Context, CoreState, HomeAssistant
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    async_test_home_assistant,
)

from custom_components.delestage.anticipation.store import MALFORMED_STORAGE_KEY, STORAGE_KEY
from custom_components.delestage.const import DOMAIN

from .conftest import (
    DAY,
    RED_END,
    RED_START,
    async_precondition,
    async_run,
    async_setup_delestage,
    async_setup_home,
    make_room,
    target_of,
)

LIVING = "climate.living"
BEDROOM = "climate.bedroom"
PERIOD = {"start": RED_START.isoformat(), "end": RED_END.isoformat()}


async def _person(hass: HomeAssistant) -> Context:
    user = await hass.auth.async_create_user("Person", group_ids=["system-admin"])
    return Context(user_id=user.id)


async def _set_temperature(hass: HomeAssistant, value: float, context: Context) -> None:
    await hass.services.async_call(
        "climate",
        "set_temperature",
        {"entity_id": LIVING, "temperature": value},
        blocking=True,
        context=context,
    )
    await hass.async_block_till_done()


@pytest.mark.freeze_time("2026-12-07T15:00:00+01:00")
async def test_restart_in_the_middle_of_the_period(
    hass: HomeAssistant, hass_storage: dict[str, Any], freezer: FrozenDateTimeFactory
) -> None:
    """Stopping puts the set point back; the restart asks for the floor again, then restores."""
    room = make_room("living")
    async with async_test_home_assistant() as before:
        before.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        await async_setup_delestage(before)
        living = (await async_setup_home(before, simulated={"living": room}))["living"]
        await async_precondition(before, entity_id=[LIVING], **PERIOD)
        await async_run(before, freezer, RED_START + timedelta(minutes=40), [living])
        assert target_of(before, LIVING) == 18.5

        # Home Assistant stops mid-period: the thermostat is put back to the user's 20 °C (a
        # device keeps its set point while Home Assistant is down), the run is kept on disk.
        before.set_state(CoreState.stopping)
        before.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
        await before.async_block_till_done()
        assert target_of(before, LIVING) == 20.0
        before.set_state(CoreState.final_write)
        before.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
        await before.async_block_till_done()
        await before.async_stop(force=True)
    run = hass_storage[STORAGE_KEY]["data"]["rooms"][LIVING]["run"]
    assert run["user"]["temperature"] == 20.0
    assert run["suspended"] is True

    # 20 minutes later Home Assistant starts again: the period goes on.
    freezer.tick(timedelta(minutes=20))
    hass.set_state(CoreState.not_running)
    await async_setup_delestage(hass)
    living = (await async_setup_home(hass, simulated={"living": room}))["living"]
    # Minutes pass while other integrations still set up: nothing is changed before the start.
    freezer.tick(timedelta(minutes=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert target_of(hass, LIVING) == 20.0
    await hass.async_start()
    await hass.async_block_till_done()
    assert target_of(hass, LIVING) == 18.5

    await async_run(hass, freezer, RED_END + timedelta(minutes=2), [living])
    assert target_of(hass, LIVING) == 20.0
    assert living.lowest(RED_START + timedelta(hours=1), RED_END) >= 18.0
    assert hass_storage[STORAGE_KEY]["data"]["rooms"][LIVING]["run"] is None


@pytest.mark.freeze_time("2026-12-07T15:00:00+01:00")
async def test_someone_elses_setting_wins(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The user sets 21 °C during the period: theirs, not coasted, not restored."""
    await async_setup_delestage(hass)
    living = (await async_setup_home(hass))["living"]
    await async_precondition(hass, entity_id=[LIVING], **PERIOD)
    await async_run(hass, freezer, RED_START + timedelta(minutes=30), [living])
    assert target_of(hass, LIVING) == 18.5

    await _set_temperature(hass, 21.0, await _person(hass))
    await async_run(hass, freezer, RED_START + timedelta(hours=1), [living])
    assert target_of(hass, LIVING) == 21.0  # not set back to the floor
    await async_run(hass, freezer, RED_END + timedelta(minutes=5), [living])
    assert target_of(hass, LIVING) == 21.0  # not "restored" to 20 °C either


@pytest.mark.freeze_time("2026-12-07T15:00:00+01:00")
async def test_another_automation_wins_during_the_preheat(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A schedule sets 19 °C while the room pre-heats: the room is its own again."""
    await async_setup_delestage(hass)
    living = (await async_setup_home(hass))["living"]
    await async_precondition(hass, entity_id=[LIVING], **PERIOD)
    await async_run(hass, freezer, RED_START - timedelta(minutes=10), [living])
    assert target_of(hass, LIVING) > 20.0  # pre-heating

    await _set_temperature(hass, 19.0, Context())  # an automation: no user
    await async_run(hass, freezer, RED_END + timedelta(minutes=5), [living])
    assert target_of(hass, LIVING) == 19.0


@pytest.mark.freeze_time("2026-12-07T15:00:00+01:00")
async def test_unavailable_when_the_period_ends(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A heater offline at the end of the period gets its preset back when it answers again."""
    await async_setup_delestage(hass)
    bedroom = (await async_setup_home(hass, thermostats={}, preset_heaters={"bedroom": "comfort"}))[
        "bedroom"
    ]
    await async_precondition(hass, entity_id=[BEDROOM], **PERIOD)
    await async_run(hass, freezer, RED_START + timedelta(minutes=5), [bedroom])
    assert target_of(hass, BEDROOM) == "eco"

    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.bedroom_online"}, blocking=True
    )
    await async_run(hass, freezer, RED_END + timedelta(minutes=30), [bedroom])
    state = hass.states.get(BEDROOM)
    assert state is not None
    assert state.state == "unavailable"
    assert "unavailable at the end of its period" in caplog.text

    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.bedroom_online"}, blocking=True
    )
    await hass.async_block_till_done()
    assert target_of(hass, BEDROOM) == "comfort"


@pytest.mark.freeze_time("2026-12-07T21:00:00+01:00")
async def test_unreadable_memory_puts_back_what_it_can_read(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A damaged record still says the user had 20 °C: the room left at 18.5 °C gets it back."""
    bad = {
        "rooms": {
            LIVING: {
                "periods": "18:00-20:00",
                "run": {"start": "yesterday", "user": {"temperature": 20.0, "mode": "heat"}},
            }
        },
        "models": {LIVING: {"status": "learned", "tau_h": "ten"}},
    }
    hass_storage[STORAGE_KEY] = {"version": 1, "minor_version": 1, "key": STORAGE_KEY, "data": bad}
    await async_setup_delestage(hass)
    await async_setup_home(hass, thermostats={"living": 18.5})  # left at the floor
    await hass.async_block_till_done()
    await async_run(hass, freezer, DAY + timedelta(hours=21, minutes=2), [])

    assert target_of(hass, LIVING) == 20.0
    issue = issue_registry.async_get_issue(DOMAIN, "preheat_store_malformed")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["entities"] == LIVING
    assert hass_storage[MALFORMED_STORAGE_KEY]["data"]["data"] == bad
    assert hass_storage[STORAGE_KEY]["data"]["rooms"][LIVING]["run"] is None


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"rooms": []},
        {"rooms": {LIVING: []}},
        {"rooms": {"not an entity": {}}},
        {"rooms": {LIVING: {"periods": [{"start": "2026-12-07T18:00:00+01:00"}]}}},
        {
            "rooms": {
                LIVING: {"periods": [{"start": RED_END.isoformat(), "end": RED_START.isoformat()}]}
            }
        },
        {"rooms": {LIVING: {"periods": [], "boost": "high"}}},
        {"rooms": {LIVING: {"run": {"start": "2026-12-07T18:00:00"}}}},
        {"rooms": {LIVING: {"periods": [{**PERIOD, "groups": [1]}]}}},
        {"tanks": {"switch.tank": {"run": {"user": {"mode": 1}}}}},
        {"models": []},
        {"models": {LIVING: {"status": "guessed"}}},
    ],
)
async def test_each_malformation_is_caught(
    hass: HomeAssistant, hass_storage: dict[str, Any], data: Any
) -> None:
    hass_storage[STORAGE_KEY] = {"version": 1, "minor_version": 1, "key": STORAGE_KEY, "data": data}
    await async_setup_delestage(hass)
    assert MALFORMED_STORAGE_KEY in hass_storage


async def test_actions_are_admin_only(hass: HomeAssistant, hass_read_only_user: Any) -> None:
    await async_setup_delestage(hass)
    for service, data in (
        ("precondition", {"entity_id": [LIVING], **PERIOD}),
        ("cancel_precondition", {}),
    ):
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                DOMAIN,
                service,
                data,
                blocking=True,
                return_response=True,
                context=Context(user_id=hass_read_only_user.id),
            )
