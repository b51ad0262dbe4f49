"""What is written before a load goes off holds: a damaged file, a disk that refuses, a stop."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CoreState, HomeAssistant, ServiceCall
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.shedding import STORAGE_KEY, async_get_shed_periods
from custom_components.delestage.shedding.store import MALFORMED_STORAGE_KEY

from .conftest import GROUP, async_restore, async_set_load, async_shed, state_of, stored

# Taken before the ``hass_storage`` fixture replaces it with an in-memory stand-in.
REAL_WRITE = Store._async_write_data
FAN = "fan.attic"
OTHER_GROUP = "automation.shed_on_tempo_red"
LOGGER = "custom_components.delestage"


@pytest.mark.usefixtures("freezer")
async def test_one_malformed_period_keeps_the_rest(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    issue_registry: ir.IssueRegistry,
    loads: tuple[str, ...],
) -> None:
    """A damaged history entry and a damaged group: the running period goes on, nothing strands."""
    water_heater, radiator, dryer = loads
    now = dt_util.utcnow()
    started = now - timedelta(minutes=10)
    last_week = now - timedelta(days=7)
    data = {
        "groups": {
            GROUP: {
                "active": True,
                "members": [water_heater],
                "loads": [water_heater],
                "started": started.isoformat(),
                "deadline": (started + timedelta(hours=6)).isoformat(),
            },
            # Damaged (hand-edited): its radiator was switched off; the dryer is only a member.
            OTHER_GROUP: {
                "active": "yes",
                "members": [radiator, dryer],
                "loads": [radiator],
                "signal": "sensor.rte_ecowatt_tempo_today",
            },
        },
        "periods": [
            {
                "group": GROUP,
                "start": last_week.isoformat(),
                "end": (last_week + timedelta(hours=2)).isoformat(),
                "loads": [water_heater],
                "end_reason": "restored",
            },
            {"group": OTHER_GROUP, "start": "yesterday evening", "loads": [radiator]},
            {"group": GROUP, "start": started.isoformat(), "end": None, "loads": [water_heater]},
            {"group": OTHER_GROUP, "start": started.isoformat(), "loads": [radiator]},
        ],
    }
    hass_storage[STORAGE_KEY] = stored(data)

    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    # The damaged group's load comes back on; the running period is kept as it was.
    assert state_of(hass, radiator) == "on"
    assert state_of(hass, water_heater) == "off"
    # The damaged group's running period ends now (the report does not count it for ever).
    assert [(p.group, p.start, p.end, p.end_reason) for p in async_get_shed_periods(hass)] == [
        (GROUP, last_week, last_week + timedelta(hours=2), "restored"),
        (GROUP, started, None, None),
        (OTHER_GROUP, started, now, "unreadable"),
    ]
    issue = issue_registry.async_get_issue(DOMAIN, "shedding_store_malformed")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["loads"] == f"{radiator}, {dryer}"
    assert "period 2" in issue.translation_placeholders["error"]
    assert hass_storage[MALFORMED_STORAGE_KEY]["data"]["data"] == data
    # The running period's automation ends it: its load comes back on.
    assert await async_restore(hass) == [water_heater]


async def test_unwritable_journal_leaves_loads_on(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    tmp_path: Path,
    issue_registry: ir.IssueRegistry,
    loads: tuple[str, ...],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The disk refuses the write (full, read-only): ``Store`` only logs; no load goes off."""
    water_heater, radiator, _dryer = loads
    hass.config.config_dir = str(tmp_path)
    in_memory = Store._async_write_data

    async def _write(store: Store[Any], data: dict[str, Any]) -> None:
        # The shedding journal goes to the real disk; the other stores stay in memory.
        await (REAL_WRITE if store.key == STORAGE_KEY else in_memory)(store, data)

    journal = tmp_path / ".storage" / STORAGE_KEY
    journal.mkdir(parents=True)  # a folder where the file should be: every write fails
    with patch.object(Store, "_async_write_data", _write):
        assert await async_setup_component(hass, DOMAIN, {})
        await hass.async_block_till_done()
        await async_set_load(hass, water_heater, True)
        await async_set_load(hass, radiator, True)

        assert await async_shed(hass, [water_heater, radiator]) == []
        assert await async_shed(hass, [water_heater, radiator]) == []  # the automation again

        assert state_of(hass, water_heater) == "on"
        assert state_of(hass, radiator) == "on"
        issue = issue_registry.async_get_issue(DOMAIN, "shedding_journal_unwritable")
        assert issue is not None
        assert issue.translation_placeholders is not None
        assert issue.translation_placeholders["group"] == GROUP
        assert issue.translation_placeholders["loads"] == f"{water_heater}, {radiator}"
        assert "directory" in issue.translation_placeholders["error"]
        errors = [r for r in caplog.records if r.name == LOGGER and r.levelname == "ERROR"]
        assert len(errors) == 1  # once, not at every attempt

        # The disk can be written again: the next call sheds, and the issue goes.
        journal.rmdir()
        assert sorted(await async_shed(hass, [water_heater, radiator])) == [radiator, water_heater]
        assert issue_registry.async_get_issue(DOMAIN, "shedding_journal_unwritable") is None
        on_disk = json.loads(journal.read_text("utf-8"))["data"]["groups"][GROUP]
        assert {*on_disk["loads"], *on_disk["pending"]} == {water_heater, radiator}


async def test_shed_still_running_when_home_assistant_stops(
    hass: HomeAssistant, hass_storage: dict[str, Any], loads: tuple[str, ...]
) -> None:
    """A websocket client's call (Node-RED) is half-way when Home Assistant stops."""
    water_heater = loads[0]
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()
    await async_set_load(hass, water_heater, True)
    called, answer = asyncio.Event(), asyncio.Event()

    async def _slow_turn_off(call: ServiceCall) -> None:
        hass.states.async_set(FAN, "off", context=call.context)
        called.set()
        await answer.wait()  # a slow relay

    hass.services.async_register(
        "fan", "turn_off", _slow_turn_off, cv.make_entity_service_schema({})
    )
    hass.states.async_set(FAN, "on")
    call = hass.async_create_background_task(
        hass.services.async_call(
            DOMAIN,
            "shed_loads",
            {"group": GROUP, "entity_id": [FAN, water_heater]},
            blocking=True,
            return_response=True,
        ),
        "shed_loads from a websocket client",
    )
    await called.wait()

    # Home Assistant stops; while it waits for running tasks, the relay answers: the call goes on.
    hass.set_state(CoreState.stopping)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    answer.set()
    assert await call == {"switched_off": [FAN]}
    hass.set_state(CoreState.final_write)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()

    # What the restart will read holds every load that is off: the fan, not the water heater.
    written = hass_storage[STORAGE_KEY]["data"]["groups"][GROUP]
    assert {*written["loads"], *written["pending"]} == {FAN}
    assert state_of(hass, water_heater) == "on"
