"""The whole path on a simulated room: its thermostat's history → learned model → plan → run.

One room of the benchmark's house set (``houses.py``): a fast, poorly insulated living room
on a cold day. The learned time constant is compared with the simulator's R·C, and the plan is
carried out by the room's ``generic_thermostat`` on the same weather as no action and today's
shedding (the full table over every house is ``test_bench.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from .houses import HOUSES, PARIS, WEATHERS, RoomCase, learn_room, periods, run_policy

FLAT = HOUSES[0]  # 1970s flat, convectors: the living room has τ = 10 h
COLD = WEATHERS[1]


@pytest.fixture(scope="module")
def living_room() -> RoomCase:
    """14 days of the living room's thermostat history, learned."""
    return learn_room(FLAT, 0, COLD, seed=7)


def test_learns_the_simulated_time_constant(living_room: RoomCase) -> None:
    fit = living_room.fit
    assert fit.learned
    assert fit.fitted is not None
    assert fit.fitted.tau_h == pytest.approx(living_room.spec.tau_h, rel=0.25)
    assert fit.fitted.heating_rate == pytest.approx(living_room.spec.heating_rate, rel=0.25)
    # A 4-hour recorder outage and two open windows were in the history; 13-14 days remain.
    assert 12.5 < fit.days_used < 14.0


def test_the_plan_keeps_a_fast_room_warm_through_an_evening_peak(living_room: RoomCase) -> None:
    period = periods(COLD.day)["ecowatt 2 h 18-20"]
    start = datetime.combine(COLD.day - timedelta(days=1), time(12), PARIS).astimezone(UTC)
    none, shed, plan = (
        run_policy(FLAT, living_room, period, policy, start) for policy in ("none", "shed", "plan")
    )
    assert plan.strategy == "preheat_hold"
    # Today's shedding avoids everything but lets the room fall below the floor…
    assert shed.red_kwh == 0.0
    assert shed.degree_minutes > 0.0
    # …the plan avoids most of it and the room never goes below the floor.
    assert plan.red_kwh <= 0.5 * none.red_kwh
    assert plan.degree_minutes == 0.0
    assert plan.lowest >= 18.0
