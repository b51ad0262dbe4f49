"""Set-up of an RTE entry against the fake RTE: first call, cache, restarts."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .fake_rte import FakeRte

SANDBOX_MORNING = "2022-06-03T08:00:00+02:00"


@pytest.mark.freeze_time(SANDBOX_MORNING)
async def test_first_setup_calls_once_and_shows_the_sandbox_day(
    hass: HomeAssistant, fake_rte: FakeRte, rte_entry: MockConfigEntry
) -> None:
    rte_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(rte_entry.entry_id)
    await hass.async_block_till_done()

    assert rte_entry.state is ConfigEntryState.LOADED
    assert fake_rte.calls["token"] == 1
    assert fake_rte.calls["signals"] == 1
    assert hass.states.get("sensor.rte_ecowatt_level_now").state == "red"
    assert hass.states.get("sensor.rte_ecowatt_today").state == "red"
    assert hass.states.get("sensor.rte_ecowatt_tomorrow").state == "red"
    assert hass.states.get("sensor.rte_ecowatt_in_2_days").state == "orange"
    assert hass.states.get("sensor.rte_ecowatt_in_3_days").state == "green"
    assert hass.states.get("binary_sensor.rte_ecowatt_red_now").state == "on"
    assert hass.states.get("calendar.rte_ecowatt_alerts").state == "on"
