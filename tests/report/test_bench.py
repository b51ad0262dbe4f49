"""Validation benchmark (script/bench): does the report recover a known shed effect?

60 simulated winter days, 8 shed periods (Tempo red days 06:00-22:00, Ecowatt red and orange
runs of 2-3 h) on random working days, random weather; the simulator's weather-driven household
loses a known power during each period (with a rebound afterwards). Target (issue 16): avoided
energy per period within ±15 % of the truth, median error ≤ 5 %, season total within ±5 %, with
the temperature adjustment; the same without it is printed beside, to measure what it brings.
"""

from __future__ import annotations

from datetime import date
from statistics import median
import time

import pytest

from custom_components.delestage.report.model import ResultStatus, compute_report

from .household import simulate

pytestmark = pytest.mark.bench

SEEDS = range(1, 11)


def _errors(seed: int, rebound: float, *, weather: bool) -> tuple[list[float], float, float]:
    season = simulate(seed, rebound=rebound)
    results = compute_report(
        season.periods, season.consumption, season.temperature if weather else None
    )
    assert [r.status for r in results] == [ResultStatus.OK] * len(season.periods)
    assert all(r.weather_adjusted is weather for r in results)
    errors = []
    for result, truth in zip(results, season.truths, strict=True):
        assert result.avoided_kwh is not None
        errors.append((result.avoided_kwh * 1000 - truth.avoided_wh) / truth.avoided_wh)
    found = sum(r.avoided_kwh or 0.0 for r in results) * 1000
    truth_total = sum(t.avoided_wh for t in season.truths)
    # Rebound: the kWh that came back in the 3 h after the periods, found vs injected.
    rebound_found = sum(r.rebound_kwh or 0.0 for r in results) * 1000
    rebound_error = (rebound_found - sum(t.rebound_wh for t in season.truths)) / truth_total
    return errors, (found - truth_total) / truth_total, rebound_error


@pytest.mark.parametrize("rebound", [0.0, 0.3, 0.6])
def test_report_recovers_injected_sheds(rebound: float) -> None:
    """Per period and season errors, with and without the weather model, over 10 seasons."""
    print(
        f"\nrebound {rebound:.0%}: seed | per-period error median / max | season total error"
        " | rebound error (share of the avoided energy)"
    )
    worst = {True: [0.0, 0.0, 0.0], False: [0.0, 0.0, 0.0]}
    for seed in SEEDS:
        line = [f"  seed {seed:2d}"]
        for weather in (True, False):
            errors, total, rebound_error = _errors(seed, rebound, weather=weather)
            med, top = median(abs(e) for e in errors), max(abs(e) for e in errors)
            figures = worst[weather]
            figures[:] = [max(figures[0], med), max(figures[1], top), max(figures[2], abs(total))]
            label = "weather" if weather else "no weather"
            line.append(
                f"{label}: {med:6.1%} / {top:6.1%} | {total:+6.1%} | rebound {rebound_error:+6.1%}"
            )
        print("   ".join(line))
    for weather in (True, False):
        med, top, total = worst[weather]
        label = "with temperature adjustment" if weather else "without (plain comparable days)"
        print(f"  worst {label}: median {med:.1%}, max {top:.1%}, season {total:.1%}")
    med, top, total = worst[True]
    assert med <= 0.05
    assert top <= 0.15
    assert total <= 0.05


def test_report_run_time_of_a_long_season() -> None:
    """Time of one full recomputation: 150 days of history, 40 shed periods (Tempo + Ecowatt)."""
    season = simulate(11, first=date(2026, 11, 1), days=150, periods=40)
    started = time.perf_counter()
    results = compute_report(season.periods, season.consumption, season.temperature)
    elapsed = time.perf_counter() - started
    assert len(results) == 40
    print(
        f"\nfull recomputation: {len(season.consumption)} hours, {len(results)} periods "
        f"in {elapsed:.2f} s (runs in the executor, not the event loop)"
    )
