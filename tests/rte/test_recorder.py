"""The long ``forecast`` attribute is kept out of the recorder."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from .fake_rte import FakeRte

LEVEL = "sensor.rte_ecowatt_level_now"


async def test_forecast_attribute_is_not_recorded(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
) -> None:
    start = datetime(2022, 6, 3, 8, 20, tzinfo=dt_util.get_time_zone("Europe/Paris"))
    freezer.move_to(start)
    rte_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(rte_entry.entry_id)
    await hass.async_block_till_done()
    await async_wait_recording_done(hass)

    live = hass.states.get(LEVEL)
    assert live is not None
    assert "forecast" in live.attributes

    history = await recorder_mock.async_add_executor_job(
        get_significant_states, hass, start - timedelta(minutes=1), None, [LEVEL]
    )
    recorded = history[LEVEL]
    assert recorded
    assert all("forecast" not in state.attributes for state in recorded)  # type: ignore[union-attr]
    assert recorded[-1].state == "red"  # type: ignore[union-attr]
