"""A gateway entry over simulated days: back-fill within budget across restarts (+ benchmark).

A Linky meter with 30 months of history behind Conso API or MyElectricalData (the simulator's
gateways, on a frozen clock moved hour by hour). Home Assistant restarts twice during the
back-fill and then every 5 days. Reported: the peak requests in any 12 h window (Conso API
bans at 100; our budget: back-fill ≤ 40, all ≤ 60 per 12 h), the days to complete 24 months of
load curve (+ 36 months of daily values), and the steady-state requests per day.
The 30-day run is the benchmark (script/bench); a 2-day run with restarts is in the default run.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.delestage.api.enedis_gateways import Source
from custom_components.delestage.enedis.client import DATA_GATEWAYS
from tools.sandbox import SandboxState, create_app
from tools.sandbox.state import SandboxConfig
from tools.sandbox.weather import PARIS

from .test_gateway_setup import entry_for

START = datetime(2026, 11, 2, 7, 0, tzinfo=PARIS)  # a Monday morning
DAYS = 30
RESTART_HOURS = {5, 20, *range(24 * 5, 24 * DAYS, 24 * 5)}


@pytest.fixture
async def simulator(
    socket_enabled: None, freezer: FrozenDateTimeFactory
) -> AsyncGenerator[tuple[SandboxState, str]]:
    freezer.move_to(START)
    state = SandboxState(SandboxConfig(), clock=dt_util.utcnow)
    # No access log: aiohttp's formatter cannot read the frozen clock.
    server = TestServer(create_app(state), access_log=None)
    await server.start_server()
    yield state, str(server.make_url("")).rstrip("/")
    await server.close()


def peak_in_window(times: list[datetime], window: timedelta) -> int:
    best, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - window:
            first += 1
        best = max(best, last - first + 1)
    return best


async def restart(hass: HomeAssistant, entry: MockConfigEntry, freezer: Any) -> None:
    """Stop Home Assistant (stores written) and start it again with the same storage."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    for gateway in hass.data.get(DATA_GATEWAYS, {}).values():
        await gateway.async_flush()  # what Home Assistant's final write does at shutdown
    await hass.async_block_till_done(wait_background_tasks=True)
    hass.data.pop(DATA_GATEWAYS, None)
    assert await hass.config_entries.async_setup(entry.entry_id)
    fast_sleep(entry, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)


def fast_sleep(entry: MockConfigEntry, freezer: Any) -> None:
    """Short waits inside the back-fill move the frozen clock instead of sleeping."""
    if entry.state is not ConfigEntryState.LOADED:
        return

    async def tick(seconds: float) -> None:
        freezer.tick(timedelta(seconds=seconds))

    entry.runtime_data.backfill._sleep = tick


@dataclass
class Run:
    """What a simulated run did."""

    entry: MockConfigEntry
    times: list[datetime]
    finished_at: datetime | None
    restarts: int


async def simulate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: tuple[SandboxState, str],
    source: str,
    days: int,
    restart_hours: set[int],
) -> Run:
    """Set a gateway entry up, then move the clock hour by hour, restarting at those hours."""
    state, root = simulator
    entry = entry_for(source, root)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    fast_sleep(entry, freezer)
    await hass.async_block_till_done(wait_background_tasks=True)

    finished_at: datetime | None = None
    restarts = 0
    for hour in range(1, days * 24 + 1):
        freezer.tick(timedelta(hours=1))
        async_fire_time_changed(hass, dt_util.utcnow())
        await hass.async_block_till_done(wait_background_tasks=True)
        if hour in restart_hours:
            await restart(hass, entry, freezer)
            restarts += 1
        if finished_at is None and entry.runtime_data.backfill_progress.finished:
            finished_at = dt_util.utcnow()
    times = [moment for moment, provider, _ in state.gateway_log if provider == source]
    return Run(entry, times, finished_at, restarts)


@pytest.mark.usefixtures("recorder_mock")
@pytest.mark.parametrize("source", ["conso_api", "myelectricaldata"])
async def test_backfill_within_budget_over_restarts(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: tuple[SandboxState, str],
    source: str,
) -> None:
    """2 days, 4 restarts (3 while the back-fill waits for the budget): never over it."""
    state, _ = simulator
    run = await simulate(hass, freezer, simulator, source, 2, {5, 14, 20, 30})
    assert run.entry.state is ConfigEntryState.LOADED
    assert run.finished_at is not None
    gateway = hass.data[DATA_GATEWAYS][Source(source)]
    if source == "conso_api":
        assert peak_in_window(run.times, timedelta(hours=12)) <= 60
        assert not state.gateway_bans
        # 109 back-fill requests at most 40 per 12 h: three windows.
        assert run.finished_at - START.astimezone(UTC) >= timedelta(hours=24)
    else:
        assert peak_in_window(run.times, timedelta(hours=24)) <= 200
    assert gateway.budget.peak <= gateway.budget.policy.total
    assert state.stats[source].by_status.get("429", 0) == 0


@pytest.mark.bench
@pytest.mark.usefixtures("recorder_mock")
@pytest.mark.parametrize("source", ["conso_api", "myelectricaldata"])
async def test_bench_gateway_backfill_30_days(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: tuple[SandboxState, str],
    source: str,
) -> None:
    """30 days, 7 restarts: figures for the closing notes."""
    state, _ = simulator
    run = await simulate(hass, freezer, simulator, source, DAYS, RESTART_HOURS)
    entry, times, finished_at, restarts = run.entry, run.times, run.finished_at, run.restarts
    assert entry.state is ConfigEntryState.LOADED
    assert finished_at is not None

    peak_12h = peak_in_window(times, timedelta(hours=12))
    peak_24h = peak_in_window(times, timedelta(hours=24))
    days_to_finish = (finished_at - START.astimezone(UTC)).total_seconds() / 86400
    last_week = [t for t in times if t >= dt_util.utcnow() - timedelta(days=7)]
    hours = sorted({t.astimezone(PARIS).strftime("%H:%M") for t in last_week})
    progress = entry.runtime_data.backfill_progress
    print(
        f"\nBENCH gateway {source}: {len(times)} requests in {DAYS} days with {restarts} restarts; "
        f"peak {peak_12h} in any 12 h, {peak_24h} in any 24 h; back-fill (24 months curve + 36 "
        f"months daily) finished after {days_to_finish:.2f} days in {progress.data_calls} "
        f"data calls; steady state {len(last_week) / 7:.1f} requests/day at {hours} (Paris); "
        f"{state.stats[source].by_status.get('403', 0)} × 403, "
        f"{state.stats[source].by_status.get('429', 0)} × 429"
    )
    assert progress.curve_available
    if source == "conso_api":
        assert peak_12h <= 60  # never near the ban (100 in 12 h)
        assert not state.gateway_bans
    else:
        assert peak_24h <= 200  # a fifth of MyElectricalData's 1000 a day with cache
    # One try a day (daily + curve + max power, + contract at MyElectricalData), a second one in
    # the afternoon when the morning slot came before Enedis published (the simulator: 08:00),
    # and one at a restart that is not the same day as the last try.
    week_restarts = sum(1 for h in RESTART_HOURS if h > (DAYS - 7) * 24)
    per_try = 4 if source == "myelectricaldata" else 3
    tries = {t.replace(minute=0, second=0, microsecond=0) for t in last_week}
    assert len(tries) <= 2 * 7 + week_restarts
    assert len(last_week) <= len(tries) * per_try
    # The slot's minute (06:00-10:00, retry 14:00-18:00) as seen by hourly ticks: at the next hour.
    assert all("06:00" <= hour <= "10:00" or "14:00" <= hour <= "18:00" for hour in hours)
