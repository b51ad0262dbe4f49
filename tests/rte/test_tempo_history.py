"""Past Tempo colours for the Linky tariff split: one ranged call, cached, never repeated."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.rte.runtime import RteRuntime

from .conftest import STORE_KEY
from .fake_rte import FakeRte, tempo_payload

NOW = "2026-12-04T12:00:00+01:00"


def days(start: date, count: int) -> list[date]:
    """``count`` days from ``start``."""
    return [start + timedelta(days=i) for i in range(count)]


@pytest.mark.freeze_time(NOW)
async def test_past_colours_one_call_then_cache(
    hass: HomeAssistant,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    year = days(date(2025, 12, 1), 368)  # up to yesterday
    colors = {d: ("BLUE", "WHITE", "RED")[d.toordinal() % 3] for d in year}
    colors.pop(date(2026, 1, 10))  # RTE's gap: no colour that day
    rte_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(rte_entry.entry_id)
    await hass.async_block_till_done()
    runtime = rte_entry.runtime_data
    assert isinstance(runtime, RteRuntime)
    fake_rte.tempo = tempo_payload(colors)
    before = fake_rte.calls["tempo"]

    found = await runtime.tempo_history.async_colors(year)
    assert found == colors
    # 368 days: two ranged calls (at most 365 days each), never one per day.
    assert fake_rte.calls["tempo"] - before == 2

    # Known days (and the gap, remembered as None) are never asked again.
    again = await runtime.tempo_history.async_colors([*year, date(2026, 1, 10)])
    assert again == colors
    assert fake_rte.calls["tempo"] - before == 2
    # Today and later belong to the daily Tempo call: not asked here.
    assert await runtime.tempo_history.async_colors([date(2026, 12, 5)]) == {}
    assert fake_rte.calls["tempo"] - before == 2

    # Persisted with the RTE cache: a restart asks nothing either.
    await hass.config_entries.async_unload(rte_entry.entry_id)
    history = hass_storage[STORE_KEY]["data"]["tempo_history"]
    assert history["2026-01-10"] is None
    assert history["2026-12-03"] == colors[date(2026, 12, 3)]
    assert len(history) == 368


@pytest.mark.freeze_time(NOW)
async def test_failed_history_call_waits_before_asking_again(
    hass: HomeAssistant, fake_rte: FakeRte, rte_entry: MockConfigEntry
) -> None:
    rte_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(rte_entry.entry_id)
    await hass.async_block_till_done()
    runtime = rte_entry.runtime_data
    assert isinstance(runtime, RteRuntime)
    fake_rte.tempo_status = 500
    before = fake_rte.calls["tempo"]
    assert await runtime.tempo_history.async_colors([date(2026, 11, 1)]) == {}
    assert await runtime.tempo_history.async_colors([date(2026, 11, 1)]) == {}
    assert fake_rte.calls["tempo"] - before == 1


@pytest.mark.freeze_time(NOW)
async def test_past_days_of_the_daily_call_are_kept(
    hass: HomeAssistant,
    fake_rte: FakeRte,
    rte_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    daily = {date(2026, 12, 3): "RED", date(2026, 12, 4): "BLUE", date(2026, 12, 5): "WHITE"}
    fake_rte.tempo = tempo_payload(daily)
    rte_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(rte_entry.entry_id)
    await hass.async_block_till_done()
    runtime = rte_entry.runtime_data
    assert isinstance(runtime, RteRuntime)
    before = fake_rte.calls["tempo"]
    assert await runtime.tempo_history.async_colors(daily) == daily  # no history call
    assert fake_rte.calls["tempo"] == before
    await hass.config_entries.async_unload(rte_entry.entry_id)
    # Yesterday is past: kept for good; today and tomorrow stay the daily call's.
    assert hass_storage[STORE_KEY]["data"]["tempo_history"] == {"2026-12-03": "RED"}
