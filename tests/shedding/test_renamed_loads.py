"""A load renamed or removed in the entity registry during a period is followed, never stranded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.shedding import STORAGE_KEY, async_get_shed_periods

from .conftest import GROUP, async_restore, async_set_load, async_shed, state_of

RENAMED = "switch.chauffe_eau"


async def _written(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> dict[str, Any]:
    """The groups as a restart would read them (after the delayed write)."""
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    groups: dict[str, Any] = hass_storage[STORAGE_KEY]["data"]["groups"]
    return groups


@pytest.fixture
async def shed(hass: HomeAssistant, setup_integration: None, loads: tuple[str, ...]) -> None:
    """A period: the water heater and the radiator were on and are switched off."""
    water_heater, radiator, _dryer = loads
    await async_set_load(hass, water_heater, True)
    await async_set_load(hass, radiator, True)
    assert sorted(await async_shed(hass, loads)) == sorted([water_heater, radiator])


@pytest.mark.usefixtures("shed")
async def test_load_renamed_during_a_period_is_switched_back_on(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    loads: tuple[str, ...],
) -> None:
    water_heater, radiator, _dryer = loads

    entity_registry.async_update_entity(water_heater, new_entity_id=RENAMED)
    await hass.async_block_till_done()

    assert state_of(hass, RENAMED) == "off"
    written = (await _written(hass, freezer, hass_storage))[GROUP]
    assert written["loads"] == [RENAMED, radiator]
    assert async_get_shed_periods(hass)[-1].loads == (RENAMED, radiator)
    # The automation still names the old ID (until it is edited): the end switches the new one on.
    assert await async_shed(hass, loads) == []
    assert sorted(await async_restore(hass)) == sorted([radiator, RENAMED])
    assert state_of(hass, RENAMED) == "on"


@pytest.mark.usefixtures("setup_integration")
async def test_load_renamed_while_its_command_runs(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    loads: tuple[str, ...],
) -> None:
    """Renamed between the journal entry and the end of its switch-off command."""
    water_heater = loads[0]
    await async_set_load(hass, water_heater, True)

    @callback
    def _rename_on_command(event: Event) -> None:
        if event.data["service_data"].get("entity_id") == water_heater:
            entity_registry.async_update_entity(water_heater, new_entity_id=RENAMED)

    unsub = hass.bus.async_listen("call_service", _rename_on_command)
    await async_shed(hass, [water_heater])
    unsub()
    await hass.async_block_till_done()

    assert state_of(hass, RENAMED) == "off"
    written = (await _written(hass, freezer, hass_storage))[GROUP]
    assert (written["loads"], written["pending"]) == ([RENAMED], [])
    assert await async_restore(hass) == [RENAMED]
    assert state_of(hass, RENAMED) == "on"


@pytest.mark.usefixtures("shed")
async def test_load_removed_during_a_period_is_dropped_with_an_issue(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    issue_registry: ir.IssueRegistry,
    loads: tuple[str, ...],
) -> None:
    water_heater, radiator, dryer = loads

    entity_registry.async_remove(radiator)
    entity_registry.async_remove(dryer)  # a member it had not switched off: no issue
    await hass.async_block_till_done()

    issue = issue_registry.async_get_issue(DOMAIN, f"shedding_load_removed_{radiator}")
    assert issue is not None
    assert issue.translation_placeholders == {"group": GROUP, "load": radiator}
    assert issue_registry.async_get_issue(DOMAIN, f"shedding_load_removed_{dryer}") is None
    written = (await _written(hass, freezer, hass_storage))[GROUP]
    assert (written["members"], written["loads"]) == ([water_heater], [water_heater])
    assert await async_restore(hass) == [water_heater]
    # Nothing is left waiting for a load that will never come back.
    assert GROUP not in await _written(hass, freezer, hass_storage)


@pytest.mark.usefixtures("shed")
async def test_load_removed_while_the_period_ends(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    issue_registry: ir.IssueRegistry,
    loads: tuple[str, ...],
) -> None:
    """Removed during the restore: one already back on raises no issue, one still off does."""
    water_heater, radiator, _dryer = loads

    @callback
    def _remove_once_on(event: Event) -> None:
        new_state = event.data["new_state"]
        if event.data["entity_id"] == water_heater and new_state and new_state.state == "on":
            # Switched back on, then removed; the radiator, still off, is removed too.
            entity_registry.async_remove(water_heater)
            entity_registry.async_remove(radiator)

    unsub = hass.bus.async_listen("state_changed", _remove_once_on)
    switched_on = await async_restore(hass)
    unsub()
    await hass.async_block_till_done()

    assert switched_on == [water_heater]
    assert issue_registry.async_get_issue(DOMAIN, f"shedding_load_removed_{radiator}") is not None
    assert issue_registry.async_get_issue(DOMAIN, f"shedding_load_removed_{water_heater}") is None
    assert GROUP not in await _written(hass, freezer, hass_storage)
