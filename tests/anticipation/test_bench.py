"""Pre-heating measured on truth (script/bench): simulated houses, three policies, same weather.

8 houses (rooms of τ 10-80 h, heaters of 1-3 kW, ``houses.HOUSES``) × 4 winter days
(``houses.WEATHERS``). For each house × day the rooms learn 14 days of thermostat history, then
each period of the day (Ecowatt 2 h morning and evening, 4 h evening, Tempo red 06:00-22:00) is
run with no action, with today's shedding (heater off for the whole period) and with the
planner. Targets (issue 22, DESIGN §5): 2-hour peak ≥ 80 % of the red-hour heating kWh avoided
and no minute below the floor in ≥ 90 % of house × weather cases; Tempo red day ≥ 30 % avoided
with the floor held and a net € saving; τ within ± 25 % after 14 days; plan ≤ 100 ms per room.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from statistics import fmean, median

import pytest

from .houses import (
    HOUSES,
    PARIS,
    WEATHERS,
    House,
    Outcome,
    RoomCase,
    learn_room,
    periods,
    run_policy,
)

pytestmark = pytest.mark.bench

POLICIES = ("none", "shed", "plan")


@dataclass(slots=True)
class Totals:
    """A policy's figures over every house × weather case of one kind of period."""

    red_kwh: float = 0.0
    extra_after_kwh: float = 0.0
    cost_eur: float = 0.0
    cases_held: int = 0
    cases: int = 0
    degree_minutes: float = 0.0
    lowest: float = 99.0
    lows: list[float] = field(default_factory=list)


def _house_cases() -> list[tuple[House, int, list[RoomCase]]]:
    found = []
    for number, house in enumerate(HOUSES):
        for day, case in enumerate(WEATHERS):
            seed = 1000 * number + 10 * day
            learned = [
                learn_room(house, index, case, seed + index) for index in range(len(house.rooms))
            ]
            found.append((house, day, learned))
    return found


def test_preheating_on_simulated_houses() -> None:
    """Print the targets' table and check it."""
    cases = _house_cases()
    print("\nLearned models (14 days of history):")
    errors: list[float] = []
    for _house, day, learned in cases:
        for room in learned:
            assert room.fit.fitted is not None, room.fit.status
            error = room.fit.fitted.tau_h / room.spec.tau_h - 1.0
            errors.append(error)
            print(
                f"  {room.spec.name:38s} {WEATHERS[day].name:10s} τ {room.spec.tau_h:5.1f} h → "
                f"{room.fit.fitted.tau_h:5.1f} h ({error:+4.0%}) rate "
                f"{room.spec.heating_rate:4.2f} → {room.fit.fitted.heating_rate:4.2f} K/h "
                f"rmse {room.fit.rmse_k:.2f} K {room.fit.days_used:4.1f} d {room.fit.status}"
            )
    within = sum(abs(e) <= 0.25 for e in errors) / len(errors)
    print(
        f"τ within ±25 %: {within:.0%} of {len(errors)} rooms; median |error| "
        f"{median(abs(e) for e in errors):.0%}, worst {max(errors, key=abs):+.0%}"
    )
    plan_ms: list[float] = []
    summary: dict[str, dict[str, Totals]] = {}
    # (period, house) → red-hour kWh and € of no action and of the plan, over the weathers.
    by_house: dict[tuple[str, str], list[float]] = {}
    for label in periods(WEATHERS[0].day):
        totals = {policy: Totals() for policy in POLICIES}
        strategies: dict[str, int] = {}
        for house, day, learned in cases:
            period = periods(WEATHERS[day].day)[label]
            plan_from = datetime.combine(
                WEATHERS[day].day - timedelta(days=1), time(12), PARIS
            ).astimezone(UTC)
            outcomes: dict[str, list[Outcome]] = {
                policy: [run_policy(house, room, period, policy, plan_from) for room in learned]
                for policy in POLICIES
            }
            figures = by_house.setdefault((label, house.name), [0.0, 0.0, 0.0, 0.0])
            for index, policy in enumerate(("none", "plan")):
                figures[index] += sum(o.red_kwh for o in outcomes[policy])
                figures[2 + index] += sum(o.cost_eur for o in outcomes[policy])
            for outcome in outcomes["plan"]:
                plan_ms.extend(outcome.plan_ms)
                strategies[outcome.strategy] = strategies.get(outcome.strategy, 0) + 1
            for policy, found in outcomes.items():
                total = totals[policy]
                total.cases += 1
                total.red_kwh += sum(o.red_kwh for o in found)
                total.extra_after_kwh += sum(
                    o.after_kwh - n.after_kwh for o, n in zip(found, outcomes["none"], strict=True)
                )
                total.cost_eur += sum(o.cost_eur for o in found)
                total.degree_minutes += sum(o.degree_minutes for o in found)
                low = min(o.lowest for o in found)
                total.lows.append(low)
                total.lowest = min(total.lowest, low)
                total.cases_held += all(o.degree_minutes == 0.0 for o in found)
        summary[label] = totals
        _print_period(label, totals, strategies)
    _print_houses(by_house)
    print(
        f"plan time per room (processor time): mean {fmean(plan_ms):.1f} ms, "
        f"max {max(plan_ms):.1f} ms over {len(plan_ms)} plans"
    )
    for label in ("ecowatt 2 h 08-10", "ecowatt 2 h 18-20"):
        none, plan = summary[label]["none"], summary[label]["plan"]
        assert 1 - plan.red_kwh / none.red_kwh >= 0.80
        assert plan.cases_held >= 0.9 * plan.cases
    none, plan = summary["tempo red 06-22"]["none"], summary["tempo red 06-22"]["plan"]
    assert 1 - plan.red_kwh / none.red_kwh >= 0.30
    assert plan.cases_held == plan.cases
    assert plan.cost_eur < none.cost_eur
    assert within >= 0.9
    assert max(plan_ms) <= 100.0


def _print_houses(by_house: dict[tuple[str, str], list[float]]) -> None:
    labels = list(dict.fromkeys(label for label, _ in by_house))
    print("\nPer house, the plan against no action (red-hour kWh avoided; € saved per day):")
    print("  house | rooms (τ h / kW) | " + " | ".join(labels))
    for number, house in enumerate(HOUSES):
        rooms = ", ".join(f"{tau:g}/{kw:g}" for _, tau, kw, _ in house.rooms)
        cells = []
        for label in labels:
            none_kwh, plan_kwh, none_eur, plan_eur = by_house[label, house.name]
            avoided = 1 - plan_kwh / none_kwh if none_kwh else 0.0
            cells.append(f"{avoided:4.0%} {(none_eur - plan_eur) / len(WEATHERS):+5.2f} €")
        setback = " (night 17 °C)" if house.night_setback else ""
        print(f"  {number + 1} {house.name}{setback} | {rooms} | " + " | ".join(cells))


def _print_period(label: str, totals: dict[str, Totals], strategies: dict[str, int]) -> None:
    none = totals["none"]
    print(f"\n{label} ({none.cases} house × weather cases; plan strategies {strategies})")
    print(
        "  policy | red-hour kWh | avoided | cases floor held | degree-min below floor"
        " | lowest °C (mean of cases) | rebound kWh (3 h after, vs none) | € (Tempo) | € saved"
    )
    for policy, total in totals.items():
        avoided = 1 - total.red_kwh / none.red_kwh if none.red_kwh else 0.0
        print(
            f"  {policy:6s} | {total.red_kwh:12.1f} | {avoided:7.0%} | "
            f"{total.cases_held:3d}/{total.cases:<3d} ({total.cases_held / total.cases:4.0%}) | "
            f"{total.degree_minutes:10.0f} | {total.lowest:5.1f} ({fmean(total.lows):4.1f}) | "
            f"{total.extra_after_kwh:+8.1f} | {total.cost_eur:8.2f} | "
            f"{none.cost_eur - total.cost_eur:+7.2f}"
        )
