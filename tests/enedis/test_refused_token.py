"""Start-up of Home Assistant with a Linky entry: set-up never waits for the recorder.

The recorder writes nothing before Home Assistant has started, and the start waits for the
entries' set-up: an entry that waited for a statistics import during set-up held the whole
start until its 5-minute timeout ("Waiting for integrations to complete setup").
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import time
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import RecorderInstanceGenerator

from custom_components.delestage.enedis.backfill import STORAGE_VERSION, plan_backfill

from .conftest import make_entry, paris_today
from .fake_enedis import FakeEnedis
from .test_init import hourly_sums

# Far below Home Assistant's start-up timeout; set-up makes four local calls.
SETUP_TIMEOUT = 10


@pytest.fixture
def mock_recorder_before_hass(async_setup_recorder_instance: RecorderInstanceGenerator) -> None:
    """Make the recorder fixtures available to a test that sets up Home Assistant as at boot."""


def saved_progress(entry_id: str, done: int) -> dict[str, Any]:
    """A back-fill progress file as the runner writes it, ``done`` steps done."""
    key = f"delestage.enedis_backfill.{entry_id}"
    return {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {
            "version": STORAGE_VERSION,
            "planned_on": paris_today().isoformat(),
            "production": False,
            "consumption": True,
            "done": done,
            "data_calls": done,
            "daily": {},
            "stopped": {},
            "skipped_kinds": [],
        },
    }


@pytest.mark.parametrize("refused", [True, False], ids=["token_refused", "token_valid"])
@pytest.mark.parametrize("backfill", ["in_progress", "finished"])
async def test_setup_at_start_up_does_not_wait_for_the_recorder(
    async_setup_recorder_instance: RecorderInstanceGenerator,
    hass: HomeAssistant,
    credentials: None,
    hass_storage: dict[str, Any],
    api_url: str,
    gateway: FakeEnedis,
    refused: bool,
    backfill: str,
) -> None:
    hass.set_state(CoreState.not_running)  # as when Home Assistant boots
    await async_setup_recorder_instance(hass)
    gateway.activation = paris_today() - timedelta(days=20)
    saved = {"access_token": "eyJsaved", "expires_at": time.time() + 3 * 3600}
    if not refused:
        gateway.tokens.add(saved["access_token"])
    entry = make_entry(api_url, token=saved)
    steps = plan_backfill(paris_today())
    done = 4 if backfill == "in_progress" else len(steps)  # 4: the daily part is done
    hass_storage[f"delestage.enedis_backfill.{entry.entry_id}"] = saved_progress(
        entry.entry_id, done
    )
    entry.add_to_hass(hass)

    async with asyncio.timeout(SETUP_TIMEOUT):
        assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert gateway.token_calls == (1 if refused else 0)  # a refused token: one new token
    assert entry.data["token"]["access_token"] in gateway.tokens

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done(wait_background_tasks=True)

    progress = entry.runtime_data.backfill_progress
    assert progress.finished
    assert progress.done == len(steps)
    assert gateway.token_calls == (1 if refused else 0)
    # Once started, the week (or the rest of the back-fill) is in the statistics.
    rows = await hourly_sums(hass)
    assert len(rows) >= 24 * 6
    day = paris_today() - timedelta(days=1)
    assert entry.runtime_data.coordinator.data.consumption.day == day
