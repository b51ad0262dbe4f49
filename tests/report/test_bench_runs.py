"""Benchmark (script/bench): what a report run costs Home Assistant, cold and in steady state.

A meter with 400 days of history (the report's reach) and 40 shed periods, a Météo-France
station, through the real paths: the ``delestage.shedding_report`` action and the Linky
coordinator's refresh (which reruns the report). Printed: wall time and the process's CPU time
(every thread: event loop, executor, recorder) of the first action call (nothing computed yet),
of a second one (nothing changed), and of a Linky refresh that re-imports the same week.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from datetime import timedelta
import time
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.report.manager import async_get_reports
from custom_components.delestage.shedding.store import ShedPeriod as GroupPeriod
from tests.enedis.fake_enedis import FakeEnedis

from .household import Season, simulate
from .test_init import _seed, _setup

pytestmark = [
    pytest.mark.bench,
    pytest.mark.usefixtures("credentials", "recorder_mock", "quiet_sql"),
]

DAYS = 400
PERIODS = 40


@pytest.fixture
def long_season(gateway: FakeEnedis) -> Season:
    """400 days ending yesterday, 40 shed periods (Tempo red days, Ecowatt runs)."""
    gateway.activation = gateway.today - timedelta(days=20)  # a short back-fill at set-up
    return simulate(21, first=gateway.today - timedelta(days=DAYS), days=DAYS, periods=PERIODS)


@pytest.fixture
def shedding_history(long_season: Season) -> Generator[None]:
    periods = [
        GroupPeriod(group="automation.shedding", start=p.start, end=p.end, loads=("switch.x",))
        for p in long_season.periods
    ]
    with patch(
        "custom_components.delestage.report.manager.async_get_shed_periods",
        side_effect=lambda hass, start, end: list(periods),
    ):
        yield


async def _measure(hass: HomeAssistant, run: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """Wall and CPU seconds of ``run`` and of everything it leaves running."""
    wall, cpu = time.perf_counter(), time.process_time()
    await run()
    await hass.async_block_till_done(wait_background_tasks=True)
    return time.perf_counter() - wall, time.process_time() - cpu


@pytest.mark.usefixtures("shedding_history")
async def test_report_run_cost(hass: HomeAssistant, api_url: str, long_season: Season) -> None:
    entry = await _setup(hass, api_url)
    await _seed(hass, long_season)
    report = async_get_reports(hass)[entry.entry_id]
    coordinator = entry.runtime_data.coordinator

    async def action() -> None:
        await hass.services.async_call(
            DOMAIN, "shedding_report", {}, blocking=True, return_response=True
        )

    figures = {
        "first action call (nothing computed yet)": await _measure(hass, action),
        "second action call (nothing changed)": await _measure(hass, action),
    }
    await _measure(hass, coordinator.async_refresh)  # the simulated week becomes the gateway's
    figures["Linky refresh, same week re-imported"] = await _measure(
        hass, coordinator.async_refresh
    )
    assert len(report.results) == PERIODS
    print(f"\nshedding report: {DAYS} days, {PERIODS} periods, weather-adjusted")
    for label, (wall, cpu) in figures.items():
        print(f"  {label:45s} {wall:6.2f} s wall, {cpu:6.2f} s CPU")
