"""Benchmark (script/bench): Tempo split + cost of 2 years of half-hours (35,040 points).

Target (issue 15): ≤ 5 s for the split and cost of 35,040 half-hours, ≤ 1 s for a re-run when
nothing changed (the same readings imported again).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import time

import pytest

from custom_components.delestage.api.enedis_models import PARIS, CurvePoint
from custom_components.delestage.enedis.statistics import build_hourly, reading_intervals
from custom_components.delestage.enedis.tariff import (
    TEMPO_SERIES,
    TariffConfig,
    TariffLedger,
    TariffOption,
    parse_offpeak,
    tempo_day,
    to_halfhours,
)

pytestmark = pytest.mark.bench

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
