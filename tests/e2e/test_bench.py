"""Set-up time of each cloud entry against the simulator over loopback (target ≤ 1 s)."""

from __future__ import annotations

import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
import pytest

from .conftest import Sandbox
from .test_meteofrance import API_KEY, add_station
from .test_rte import add_rte

pytestmark = pytest.mark.bench


async def timed_setup(hass: HomeAssistant, entry: ConfigEntry) -> float:
    assert await hass.config_entries.async_unload(entry.entry_id)
    started = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    return time.perf_counter() - started


async def test_setup_time_rte_and_meteofrance(hass: HomeAssistant, sandbox: Sandbox) -> None:
    rte = await add_rte(hass, sandbox)
    station = await add_station(hass, sandbox, "75114001", API_KEY)
    figures = {"rte": await timed_setup(hass, rte), "meteofrance": await timed_setup(hass, station)}
    for name, seconds in figures.items():
        print(f"set-up of the {name} entry against the simulator: {seconds * 1000:.1f} ms")
        assert seconds < 1.0
