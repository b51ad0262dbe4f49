"""Benchmarks (script/bench): Linky back-fill against a simulated API, and a 2-year import.

Targets (DESIGN §5): back-fill of 24 months curve + 36 months daily in ≤ 115 data calls, paced
within quota; import of 17,520 hourly rows in ≤ 5 s, idempotent, sum continuous.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
import time

import aiohttp
from aiohttp.test_utils import TestServer
from homeassistant.core import HomeAssistant
import pytest

from custom_components.delestage.api.enedis import EnedisClient
from custom_components.delestage.enedis.backfill import BackfillRunner, backfill_store
from custom_components.delestage.enedis.statistics import async_import_hourly

from .fake_enedis import (
    CLIENT_ID,
    CLIENT_SECRET,
    PRM,
    FakeEnedis,
    base_url,
    fake,
    fake_server,
    quiet_sql,
)
from .test_statistics import check_continuous, read_rows

__all__ = ["fake", "fake_server", "quiet_sql"]

pytestmark = [pytest.mark.bench, pytest.mark.usefixtures("quiet_sql")]


class LoopLag:
    """Measures the longest time the event loop was held (a 5 ms ticker's worst delay)."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - before - 0.005)

    def __enter__(self) -> LoopLag:
        asyncio.get_running_loop().slow_callback_duration = 0.03  # debug mode names them
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


@pytest.mark.usefixtures("recorder_mock")
async def test_bench_import_two_years(hass: HomeAssistant) -> None:
    """17,520 hourly rows: first import, then an identical re-import (idempotent)."""
    start = datetime(2024, 11, 23, tzinfo=UTC)
    hourly = {start + timedelta(hours=h): 300.0 + (h % 24) * 25.0 + (h % 7) for h in range(17520)}
    began = time.perf_counter()
    with LoopLag() as lag:
        result = await async_import_hourly(hass, PRM, "consumption", hourly)
        rows = await read_rows(hass)
    first = time.perf_counter() - began
    began = time.perf_counter()
    again = await async_import_hourly(hass, PRM, "consumption", hourly)
    rows_again = await read_rows(hass)
    second = time.perf_counter() - began
    assert result.rows == len(rows) == len(rows_again) == 17520
    assert again.sum_shift_kwh == pytest.approx(0, abs=1e-6)
    check_continuous(rows_again)
    assert rows_again[-1]["sum"] == pytest.approx(sum(hourly.values()) / 1000)
    assert [r["sum"] for r in rows] == pytest.approx([r["sum"] for r in rows_again])
    print(
        f"\nBENCH enedis import 17,520 rows: first {first:.2f} s, re-import {second:.2f} s "
        f"(target ≤ 5 s), sums unchanged, continuous; event loop held ≤ {lag.worst * 1000:.0f} ms"
    )
    assert first <= 5.0


@pytest.mark.usefixtures("recorder_mock")
async def test_bench_backfill(
    hass: HomeAssistant, fake: FakeEnedis, fake_server: TestServer
) -> None:
    """Full history: 36 months daily + 24 months curve, real pacing (5/s), fake quota checks."""
    today = date(2026, 11, 23)
    fake.today = today
    for day in range(1200):  # the fake server runs in this loop: compute its answers before
        fake.daily_wh(today - timedelta(days=day))
    async with aiohttp.ClientSession() as session:
        client = EnedisClient(session, CLIENT_ID, CLIENT_SECRET, base_url=base_url(fake_server))
        runner = BackfillRunner(hass, client, PRM, backfill_store(hass, "bench"), today=today)
        began = time.perf_counter()
        with LoopLag() as lag:
            progress = await runner.async_run()
        wall = time.perf_counter() - began
    rows = await read_rows(hass)
    check_continuous(rows)
    assert progress.finished
    assert fake.data_calls == progress.data_calls
    oldest = date(2023, 11, 23)
    expected = sum(fake.daily_wh(oldest + timedelta(days=i)) for i in range((today - oldest).days))
    assert rows[-1]["sum"] == pytest.approx(expected / 1000, rel=1e-9)
    by = fake.calls_by_resource
    print(
        f"\nBENCH enedis back-fill: {fake.data_calls} data calls ({by}), "
        f"{fake.token_calls} token call(s), {wall:.1f} s wall, at most "
        f"{fake.max_in_one_second} calls in any second, {fake.throttled} × 429, "
        f"{len(rows)} hourly rows from {oldest} (sum {rows[-1]['sum']:.1f} kWh = simulated "
        f"total); event loop held ≤ {lag.worst * 1000:.0f} ms"
    )
    assert fake.data_calls <= 115
    assert fake.max_in_one_second <= 5
    assert fake.throttled == 0
    assert fake.token_calls == 1
