"""Benchmark (script/bench): Tempo split + cost of 2 years of half-hours (35,040 points).

Target (issue 15): ≤ 5 s for the split and cost of 35,040 half-hours, ≤ 1 s for a re-run when
nothing changed (the same readings imported again).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import time
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.delestage.api.enedis_models import PARIS, CurvePoint
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis.statistics import build_hourly, reading_intervals
from custom_components.delestage.tariff.manager import TariffManager
from custom_components.delestage.tariff.model import (
    TEMPO_SERIES,
    TariffConfig,
    TariffLedger,
    TariffOption,
    parse_offpeak,
    tempo_day,
    to_halfhours,
)
from tests.enedis.fake_enedis import PRM, quiet_sql
from tests.enedis.test_bench import LoopLag

pytestmark = pytest.mark.bench
__all__ = ["quiet_sql"]

PRICES = {s: 0.1 + 0.01 * i for i, s in enumerate(TEMPO_SERIES)}


def two_years() -> list[CurvePoint]:
    """35,040 half-hour points (730 days, DST days included)."""
    start = datetime(2024, 12, 1, tzinfo=PARIS).astimezone(UTC)
    return [
        CurvePoint(
            start + timedelta(minutes=30 * (i + 1)),
            start + timedelta(minutes=30 * i),
            500 + (i * 37) % 2500,
        )
        for i in range(35_040)
    ]


def test_bench_tempo_split_two_years() -> None:
    points = two_years()
    colors = {}
    day = tempo_day(points[0].start) - timedelta(days=1)
    while day <= tempo_day(points[-1].end):
        colors[day] = ("blue", "blue", "white", "blue", "red", "blue", "blue")[day.toordinal() % 7]
        day += timedelta(days=1)
    price = lambda key, _hour: PRICES[key]  # noqa: E731

    began = time.perf_counter()
    ledger = TariffLedger(
        TariffConfig(TariffOption.TEMPO, parse_offpeak("HC (22H00-6H00)"), PRICES, 16.0)
    )
    ledger.add_halfhours(to_halfhours(reading_intervals(points)))
    ledger.set_colors(colors)
    results = ledger.compute(price)
    first = time.perf_counter() - began

    began = time.perf_counter()
    unchanged = ledger.add_halfhours(to_halfhours(reading_intervals(points)))
    again = ledger.compute(price)
    rerun = time.perf_counter() - began

    assert len(results) == 17_520
    assert unchanged == 0
    assert again == {}
    hourly = build_hourly(points)
    worst = max(
        abs(sum(results[int(h.timestamp())].parts[s] for s in TEMPO_SERIES) - wh)
        for h, wh in hourly.items()
    )
    assert worst < 1e-6
    print(
        f"\nTempo split + cost of 35,040 half-hours: {first:.3f} s; re-run unchanged: "
        f"{rerun:.3f} s; worst |Σ parts − total| = {worst:.2e} Wh; "
        f"cost {sum(r.cost for r in results.values()):.2f} €"
    )
    assert first <= 5.0
    assert rerun <= 1.0


class _Colors:
    def __init__(self, colors: dict[Any, str]) -> None:
        self.colors = colors

    async def async_colors(self, days: Any) -> dict[Any, str]:
        return {d: self.colors[d] for d in days if d in self.colors}


@pytest.mark.usefixtures("recorder_mock", "quiet_sql")
async def test_bench_tempo_statistics_two_years(hass: HomeAssistant) -> None:
    """The same through Home Assistant: 2 years into the 9 recorder series, then a re-run."""
    points = two_years()
    colors = {}
    day = tempo_day(points[0].start) - timedelta(days=1)
    while day <= tempo_day(points[-1].end):
        colors[day] = ("BLUE", "BLUE", "WHITE", "BLUE", "RED", "BLUE", "BLUE")[day.toordinal() % 7]
        day += timedelta(days=1)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=PRM,
        data={"entry_type": "enedis", "prm": PRM},
        options={"tariff": "tempo", "prices": PRICES, "subscription": 16.0},
    )
    entry.add_to_hass(hass)
    manager = TariffManager(hass, entry, PRM, object())
    await manager.async_load()
    intervals = reading_intervals(points)
    with (
        patch.object(TariffManager, "_tempo_history", lambda _self: _Colors(colors)),
        LoopLag() as lag,
    ):
        began = time.perf_counter()
        await manager.async_consumption_imported(intervals)
        await manager.async_process()
        await async_wait_recording_done(hass)
        first = time.perf_counter() - began
        rows = manager.rows_written

        began = time.perf_counter()
        await manager.async_consumption_imported(intervals)
        await manager.async_process()
        rerun = time.perf_counter() - began
    assert rows == 9 * 17_520
    assert manager.rows_written == rows  # the re-run wrote nothing
    print(
        f"\nThrough Home Assistant: 2 years split + cost + 9 series × 17,520 rows written in "
        f"{first:.2f} s; re-run with the same readings {rerun:.3f} s (0 rows); event loop "
        f"held at most {lag.worst * 1000:.0f} ms"
    )
    await manager.async_stop()
