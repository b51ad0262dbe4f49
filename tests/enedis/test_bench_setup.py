"""Benchmark: set-up time of a Linky entry and the calls of a day (``script/bench``)."""

from __future__ import annotations

from datetime import timedelta
import time

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest

from .conftest import make_entry, paris_today
from .fake_enedis import FakeEnedis

pytestmark = [pytest.mark.bench, pytest.mark.usefixtures("credentials", "recorder_mock")]


async def test_bench_setup_and_daily_calls(
    hass: HomeAssistant, api_url: str, gateway: FakeEnedis
) -> None:
    gateway.activation = paris_today() - timedelta(days=20)
    entry = make_entry(api_url)
    entry.add_to_hass(hass)

    started = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    setup_seconds = time.perf_counter() - started
    assert entry.state is ConfigEntryState.LOADED
    await hass.async_block_till_done(wait_background_tasks=True)

    # One complete daily refresh (what a normal day costs once yesterday is published).
    calls, tokens = gateway.data_calls, gateway.token_calls
    entry.runtime_data.coordinator._contract_day = None  # a new day: the contract too
    await entry.runtime_data.coordinator.async_refresh()
    daily_calls = gateway.data_calls - calls
    contract_calls = 1

    print(
        f"\nLinky entry set-up (first refresh, back-fill in background): {setup_seconds:.3f} s"
        f"\nLinky calls per complete day: {daily_calls} measure + {contract_calls} contract"
        f" (+ {gateway.token_calls - tokens} token; a token lasts 3.5 h)"
    )
    assert setup_seconds <= 1.0
    assert daily_calls == 3
