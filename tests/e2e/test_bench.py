"""Set-up time of each cloud entry against the simulator over loopback (target ≤ 1 s)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.enedis.fake_enedis import quiet_sql

from .conftest import Sandbox
from .test_enedis import add_meter
from .test_meteofrance import API_KEY, add_station
from .test_rte import add_rte

pytestmark = pytest.mark.bench
__all__ = ["quiet_sql"]


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


@pytest.mark.usefixtures("recorder_mock", "quiet_sql")
async def test_setup_time_linky(
    hass: HomeAssistant,
    sandbox: Sandbox,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
) -> None:
    """Linky entry: reloads with fresh saved data (no call), and cold (its first refresh)."""
    entry = await add_meter(hass, sandbox, hass_client_no_auth)
    await hass.async_block_till_done(wait_background_tasks=True)  # back-fill of the history
    warm = sorted([await timed_setup(hass, entry) for _ in range(5)])
    calls = sandbox.calls("enedis", "/")
    cold = []
    for _ in range(3):
        await asyncio.sleep(1.3)  # an empty pacing window (5 calls / 1.25 s), as after a start
        hass_storage.pop(f"delestage.enedis_linky.{entry.entry_id}", None)
        cold.append(await timed_setup(hass, entry))
    cold.sort()
    print(
        f"set-up of the enedis entry against the simulator: saved data {warm[2] * 1000:.1f} ms"
        f" median (max {warm[-1] * 1000:.1f} ms, 5 reloads, 0 calls); cold first refresh"
        f" {cold[1] * 1000:.1f} ms median (max {cold[-1] * 1000:.1f} ms,"
        f" {(sandbox.calls('enedis', '/') - calls) / 3:.0f} calls each)"
    )
    assert warm[2] < 1.0
    assert cold[1] < 1.0
