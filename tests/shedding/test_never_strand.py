"""Never strand a load: faults, cancellations, restarts, orphaned groups, a maximum duration."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.auth.models import User
from homeassistant.core import Context, CoreState, HomeAssistant, ServiceCall
from homeassistant.exceptions import Unauthorized
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.shedding import STORAGE_KEY, async_get_shed_periods
from custom_components.delestage.shedding.store import MALFORMED_STORAGE_KEY

from .conftest import (
    GROUP,
    async_restore as _restore,
    async_set_load,
    async_shed as _shed,
    state_of as _state,
    stored,
)

FAN = "fan.attic"


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def _register_fan(hass: HomeAssistant, turn_off: Any) -> None:
    """A fan whose turn_off is ``turn_off``; its turn_on works."""

    async def _turn_on(call: ServiceCall) -> None:
        hass.states.async_set(FAN, "on", context=call.context)

    hass.services.async_register("fan", "turn_off", turn_off, cv.make_entity_service_schema({}))
    hass.services.async_register("fan", "turn_on", _turn_on, cv.make_entity_service_schema({}))
    hass.states.async_set(FAN, "on")


def _running_period(members: list[str]) -> dict[str, Any]:
    started = dt_util.utcnow() - timedelta(minutes=10)
    return {
        "groups": {
            GROUP: {
                "active": True,
                "members": members,
                "loads": members,
                "started": started.isoformat(),
                "deadline": (started + timedelta(hours=6)).isoformat(),
            }
        }
    }


@pytest.mark.usefixtures("setup_integration")
@pytest.mark.parametrize("error", [RuntimeError("driver bug"), KeyError("state")])
async def test_any_exception_after_the_switch_keeps_the_load(
    hass: HomeAssistant, error: Exception
) -> None:
    """The device switched off, then its driver raised something unexpected."""

    async def _turn_off(call: ServiceCall) -> None:
        hass.states.async_set(FAN, "off", context=call.context)
        raise error

    _register_fan(hass, _turn_off)

    assert await _shed(hass, [FAN]) == []
    assert _state(hass, FAN) == "off"
    assert await _restore(hass) == [FAN]
    assert _state(hass, FAN) == "on"


@pytest.mark.usefixtures("setup_integration")
async def test_cancelled_shed_keeps_the_load_written_before_the_call(
    hass: HomeAssistant, hass_storage: dict[str, Any], loads: tuple[str, ...]
) -> None:
    """The automation is reloaded (or Home Assistant stops) during a slow relay's command."""
    seen_in_store: list[Any] = []
    called = asyncio.Event()

    async def _slow_turn_off(call: ServiceCall) -> None:
        seen_in_store.append(hass_storage[STORAGE_KEY]["data"]["groups"][GROUP]["pending"])
        hass.states.async_set(FAN, "off", context=call.context)
        called.set()
        await asyncio.Event().wait()  # the relay never answers

    _register_fan(hass, _slow_turn_off)
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)

    task = hass.async_create_task(_shed(hass, [FAN, water_heater]))
    await called.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await hass.async_block_till_done()

    assert seen_in_store == [[FAN]]  # on disk before the call
    assert hass_storage[STORAGE_KEY]["data"]["groups"][GROUP]["loads"] == [FAN]
    # The next call of the same period catches up with the load the cancellation skipped.
    assert await _shed(hass, [FAN, water_heater]) == [water_heater]
    assert sorted(await _restore(hass)) == sorted([FAN, water_heater])
    assert _state(hass, FAN) == "on"


async def test_restart_sheds_loads_switched_on_before_delestage_loads(
    hass: HomeAssistant, hass_storage: dict[str, Any], loads: tuple[str, ...]
) -> None:
    """``initial: true`` / restore state switched the loads on before Délestage watched them."""
    water_heater, radiator, _dryer = loads
    hass_storage[STORAGE_KEY] = stored(_running_period([water_heater, radiator]))
    await async_set_load(hass, water_heater, True, by_person=False)
    await async_set_load(hass, radiator, True, by_person=False)

    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert _state(hass, water_heater) == "off"
    assert _state(hass, radiator) == "off"
    # The automation catches up at start: the period is handled, nothing more to do.
    assert await _shed(hass, list(loads)) == []
    assert sorted(await _restore(hass)) == sorted([water_heater, radiator])


async def test_restart_sheds_loads_set_up_after_delestage(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """An input_boolean with ``initial: true`` set up after Délestage."""
    load = "input_boolean.radiateurs"
    hass_storage[STORAGE_KEY] = stored(_running_period([load]))
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"radiateurs": {"initial": True}}}
    )
    await hass.async_block_till_done()

    assert _state(hass, load) == "off"
    assert await _restore(hass) == [load]
    assert _state(hass, load) == "on"


async def test_restart_sheds_loads_whose_action_appears_after_their_entity(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """The load's entity is on before its turn_off action exists: the command is retried."""
    hass_storage[STORAGE_KEY] = stored(_running_period([FAN]))
    hass.states.async_set(FAN, "on")
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert _state(hass, FAN) == "on"  # fan.turn_off does not exist yet

    async def _turn_off(call: ServiceCall) -> None:
        hass.states.async_set(FAN, "off", context=call.context)

    _register_fan(hass, _turn_off)
    hass.states.async_set(FAN, "on")
    await hass.async_block_till_done()

    assert _state(hass, FAN) == "off"
    assert await _restore(hass) == [FAN]
    assert _state(hass, FAN) == "on"


async def test_loads_gone_while_home_assistant_was_stopped_are_named_once_started(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    loads: tuple[str, ...],
) -> None:
    """A YAML load renamed while stopped: a repair names it once Home Assistant has started.

    Entities appear one by one while Home Assistant starts: nothing is decided before it has
    started, and a load that shows up a little later (a platform retrying) is kept.
    """
    water_heater = loads[0]
    gone, yaml_only, late = "switch.old_radiator", "switch.yaml_fan", "switch.slow_relay"
    members = [water_heater, gone, yaml_only, late]
    hass_storage[STORAGE_KEY] = stored(_running_period(members))
    hass.states.async_set(GROUP, "on")  # its automation, still there
    hass.states.async_set(yaml_only, "off")  # no unique id: in the state machine only
    hass.set_state(CoreState.not_running)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    def removed_issues() -> set[str]:
        return {
            issue.translation_placeholders["load"]
            for issue in issue_registry.issues.values()
            if issue.translation_key == "shedding_load_removed" and issue.translation_placeholders
        }

    await _tick(hass, freezer, timedelta(minutes=10))
    assert removed_issues() == set()  # still starting
    await hass.async_start()
    await hass.async_block_till_done()
    assert removed_issues() == set()
    await _tick(hass, freezer, timedelta(seconds=30))
    hass.states.async_set(late, "off")  # its platform's first retry
    await _tick(hass, freezer, timedelta(minutes=10))

    assert removed_issues() == {gone}
    issue = issue_registry.async_get_issue(DOMAIN, f"shedding_load_removed_{gone}")
    assert issue is not None
    assert issue.translation_placeholders == {"group": GROUP, "load": gone}
    await _tick(hass, freezer, timedelta(seconds=1))  # the delayed write
    written = hass_storage[STORAGE_KEY]["data"]["groups"][GROUP]
    assert written["members"] == written["loads"] == [water_heater, yaml_only, late]
    assert gone not in await _restore(hass)
    assert _state(hass, water_heater) == "on"


@pytest.mark.usefixtures("setup_integration")
async def test_only_a_person_overrides_the_period(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    water_heater, radiator, dryer = loads
    await async_set_load(hass, water_heater, True)
    await async_set_load(hass, radiator, True)
    assert sorted(await _shed(hass, list(loads))) == sorted([water_heater, radiator])

    # Another integration switches the radiator and the dryer on: switched off again.
    await async_set_load(hass, radiator, True, by_person=False)
    await async_set_load(hass, dryer, True, by_person=False)
    assert _state(hass, radiator) == "off"
    assert _state(hass, dryer) == "off"

    # A person wants hot water: theirs, also when the automation calls again.
    await async_set_load(hass, water_heater, True)
    assert await _shed(hass, list(loads)) == []
    assert _state(hass, water_heater) == "on"

    # The dryer was off at the start but switched off by the shedding: it is switched on too.
    assert sorted(await _restore(hass)) == sorted([radiator, dryer])


@pytest.mark.usefixtures("setup_integration")
async def test_commands_carry_the_calling_context(
    hass: HomeAssistant, loads: tuple[str, ...]
) -> None:
    """During the call, the caller's own context; later, Délestage's, child of the last run.

    What the logbook makes of them is in ``test_logbook.py``.
    """
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)
    automation_run = Context()

    await _shed(hass, [water_heater], context=automation_run)
    state = hass.states.get(water_heater)
    assert state is not None
    assert state.context.id == automation_run.id

    # Switched on again by something else: switched off again, still under the period's run.
    await async_set_load(hass, water_heater, True, by_person=False)
    state = hass.states.get(water_heater)
    assert state is not None
    assert state.state == "off"
    assert state.context.parent_id == automation_run.id

    # The automation runs again (after a restart): its new run is the parent from then on.
    next_run = Context()
    await _shed(hass, [water_heater], context=next_run)
    await async_set_load(hass, water_heater, True, by_person=False)
    state = hass.states.get(water_heater)
    assert state is not None
    assert state.state == "off"
    assert state.context.parent_id == next_run.id


@pytest.mark.usefixtures("setup_integration")
@pytest.mark.parametrize(
    ("signal_state", "issue"),
    [("red", "shedding_max_duration"), ("unavailable", "shedding_signal_unavailable")],
)
async def test_loads_come_back_after_the_maximum_duration(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    loads: tuple[str, ...],
    signal_state: str,
    issue: str,
) -> None:
    water_heater = loads[0]
    signal = "sensor.rte_ecowatt_level_now"
    hass.states.async_set(signal, "red")
    await async_set_load(hass, water_heater, True)
    await _shed(hass, [water_heater], max_duration={"hours": 2}, signal=signal)
    hass.states.async_set(signal, signal_state)

    await _tick(hass, freezer, timedelta(hours=1, minutes=59))
    assert _state(hass, water_heater) == "off"
    await _tick(hass, freezer, timedelta(minutes=2))
    assert _state(hass, water_heater) == "on"

    registered = issue_registry.async_get_issue(DOMAIN, f"{issue}_{GROUP}")
    assert registered is not None
    assert registered.translation_placeholders == {
        "group": GROUP,
        "loads": water_heater,
        "hours": "2",
        "signal": signal,
    }
    assert async_get_shed_periods(hass)[-1].end_reason == issue

    # The automation, still seeing red, calls again: the period is over for it too.
    assert await _shed(hass, [water_heater]) == []
    assert _state(hass, water_heater) == "on"
    # Its restore ends the period; the next period sheds again.
    assert await _restore(hass) == []
    assert await _shed(hass, [water_heater]) == [water_heater]
    assert issue_registry.async_get_issue(DOMAIN, f"{issue}_{GROUP}") is not None
    # Ended by its automation this time: the issue is stale and goes.
    assert await _restore(hass) == [water_heater]
    assert issue_registry.async_get_issue(DOMAIN, f"{issue}_{GROUP}") is None


@pytest.mark.usefixtures("setup_integration")
@pytest.mark.parametrize("gone", ["off", "unavailable", "removed"])
async def test_orphaned_group_is_restored_with_an_issue(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    loads: tuple[str, ...],
    gone: str,
) -> None:
    """The automation is disabled, removed or renamed in the middle of a period."""
    water_heater, radiator, _dryer = loads
    hass.states.async_set(GROUP, "on")
    await async_set_load(hass, water_heater, True)
    await async_set_load(hass, radiator, True)
    await _shed(hass, list(loads))

    # An automation reload: gone for a moment only.
    hass.states.async_remove(GROUP)
    await _tick(hass, freezer, timedelta(minutes=1))
    hass.states.async_set(GROUP, "on")
    await _tick(hass, freezer, timedelta(minutes=2))
    assert _state(hass, water_heater) == "off"

    if gone != "removed":
        hass.states.async_set(GROUP, gone)
    else:
        hass.states.async_remove(GROUP)
    await _tick(hass, freezer, timedelta(minutes=1))
    assert _state(hass, water_heater) == "off"
    await _tick(hass, freezer, timedelta(minutes=2))

    assert _state(hass, water_heater) == "on"
    assert _state(hass, radiator) == "on"
    registered = issue_registry.async_get_issue(DOMAIN, f"shedding_orphaned_group_{GROUP}")
    assert registered is not None
    assert registered.translation_placeholders is not None
    assert registered.translation_placeholders["loads"] == f"{water_heater}, {radiator}"

    # Nobody will end that period: after a day the group is forgotten.
    await _tick(hass, freezer, timedelta(hours=30))
    await _tick(hass, freezer, timedelta(seconds=1))  # the delayed write
    assert GROUP not in hass_storage[STORAGE_KEY]["data"]["groups"]


@pytest.mark.usefixtures("setup_integration")
async def test_failed_restore_is_retried(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    attempts: list[str] = []

    async def _turn_off(call: ServiceCall) -> None:
        hass.states.async_set(FAN, "off", context=call.context)

    async def _flaky_turn_on(call: ServiceCall) -> None:
        attempts.append(FAN)
        if len(attempts) == 1:
            raise TimeoutError("relay busy")
        hass.states.async_set(FAN, "on", context=call.context)

    _register_fan(hass, _turn_off)
    hass.services.async_register("fan", "turn_on", _flaky_turn_on)
    await _shed(hass, [FAN])

    assert await _restore(hass) == []
    assert _state(hass, FAN) == "off"
    await _tick(hass, freezer, timedelta(minutes=1))
    assert _state(hass, FAN) == "on"
    assert attempts == [FAN, FAN]


async def test_malformed_store_is_set_aside(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    loads: tuple[str, ...],
    caplog: pytest.LogCaptureFixture,
) -> None:
    water_heater = loads[0]
    bad = {"groups": {GROUP: {"active": "yes", "loads": water_heater}}}
    hass_storage[STORAGE_KEY] = stored(bad)

    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert [
        r.levelname
        for r in caplog.records
        if r.name == "custom_components.delestage" and r.levelname != "INFO"
    ] == ["ERROR"]
    issue = issue_registry.async_get_issue(DOMAIN, "shedding_store_malformed")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["loads"] == water_heater
    assert hass_storage[MALFORMED_STORAGE_KEY]["data"]["data"] == bad
    # The unreadable group said the water heater was switched off: it is switched back on.
    assert _state(hass, water_heater) == "on"
    # Shedding works from scratch.
    assert await _shed(hass, [water_heater]) == [water_heater]


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"groups": []},
        {"groups": {GROUP: []}},
        {"groups": {GROUP: {"signal": 3}}},
        {"groups": {GROUP: {"started": "yesterday"}}},
        {"groups": {GROUP: {"started": "2026-12-07T18:00:00"}}},
        {"periods": [{"group": GROUP}]},
        {"periods": [{"group": GROUP, "start": "2026-12-07T18:00:00+01:00", "end_reason": 1}]},
        {"periods": [{"group": GROUP, "start": "2026-12-07T18:00:00+01:00", "signal": 1}]},
        {"groups": {GROUP: {"started": "2026-13-45T18:00:00+01:00"}}},
    ],
)
async def test_each_malformation_is_caught(
    hass: HomeAssistant, hass_storage: dict[str, Any], data: Any
) -> None:
    hass_storage[STORAGE_KEY] = stored(data)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    assert MALFORMED_STORAGE_KEY in hass_storage


@pytest.mark.usefixtures("setup_integration")
@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("shed_loads", {"group": GROUP, "entity_id": ["switch.water_heater"]}),
        ("restore_loads", {"group": GROUP}),
        (
            "linky_import_history",
            {"config_entry_id": "x", "start": "2026-01-01", "end": "2026-01-02"},
        ),
    ],
)
async def test_actions_are_admin_only(
    hass: HomeAssistant, hass_read_only_user: User, service: str, data: dict[str, Any]
) -> None:
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            service,
            data,
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
