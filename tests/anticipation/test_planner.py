"""The planner's decisions: coast, pre-heat, lowered set point, caps, floor, presets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.delestage.anticipation.planner import (
    BOOST,
    COAST_MARGIN,
    HOLD_MARGIN,
    Phase,
    Room,
    RoomPlan,
    Step,
    Strategy,
    plan_room,
    preset_temperatures,
    tempo_preheat_from,
)
from custom_components.delestage.anticipation.thermal import Outdoor, ThermalModel
from custom_components.delestage.report.model import PeriodKind, ShedPeriod, tempo_red_period

NOW = datetime(2027, 1, 11, 11, tzinfo=UTC)  # noon in Paris, the day before
PEAK = ShedPeriod(  # 18:00-20:00 Paris
    datetime(2027, 1, 12, 17, tzinfo=UTC),
    datetime(2027, 1, 12, 19, tzinfo=UTC),
    PeriodKind.ECOWATT_RED,
)
RED_DAY = tempo_red_period(date(2027, 1, 12))  # 06:00-22:00 Paris
FREEZING = Outdoor.constant(0.0)
SLOW = ThermalModel(tau_h=80.0, heating_rate=0.6, gain_rate=0.05)
MEDIUM = ThermalModel(tau_h=20.0, heating_rate=2.0, gain_rate=0.1)
FAST = ThermalModel(tau_h=10.0, heating_rate=4.0, gain_rate=0.1)


def _plan(room: Room, model: ThermalModel, period: ShedPeriod = PEAK, **kwargs: object) -> RoomPlan:
    return plan_room(room, model, period, FREEZING, now=NOW, **kwargs)  # type: ignore[arg-type]


def _phases(plan: RoomPlan) -> list[Phase]:
    return [step.phase for step in plan.steps]


def test_a_slow_room_coasts_a_short_peak_without_pre_heat() -> None:
    plan = _plan(Room(20.0), SLOW)
    assert plan.strategy is Strategy.COAST
    assert plan.preheat_start is None
    assert plan.steps == (
        Step(PEAK.start, Phase.COAST, 18.0 + HOLD_MARGIN),
        Step(PEAK.end, Phase.RESTORE, 20.0),
    )
    assert plan.heating_hours == 0.0
    assert plan.baseline_heating_hours > 0.0
    assert plan.avoided_share == 1.0
    assert plan.predicted_lowest is not None
    assert plan.predicted_lowest >= 18.0 + HOLD_MARGIN
    assert "no pre-heat needed" in plan.reason


def test_a_medium_room_pre_heats_just_enough_to_coast() -> None:
    plan = _plan(Room(20.0), MEDIUM)
    assert plan.strategy is Strategy.PREHEAT_COAST
    assert plan.preheat_target is not None
    assert plan.preheat_start is not None
    assert 20.0 < plan.preheat_target <= 20.0 + BOOST
    assert PEAK.start - timedelta(hours=6) <= plan.preheat_start < PEAK.start
    assert _phases(plan) == [Phase.PREHEAT, Phase.COAST, Phase.RESTORE]
    assert plan.steps[0] == Step(plan.preheat_start, Phase.PREHEAT, plan.preheat_target)
    assert plan.heating_hours == 0.0
    assert plan.predicted_at_start == pytest.approx(plan.preheat_target, abs=0.05)
    assert plan.predicted_lowest is not None
    assert plan.predicted_lowest >= 18.0 + HOLD_MARGIN + COAST_MARGIN
    # Just enough: with 0.1 K less the room would come within the margin of its hold target.
    smaller = _plan(Room(20.0, boost=round(plan.preheat_target - 20.0 - 0.1, 1)), MEDIUM)
    assert smaller.strategy is Strategy.PREHEAT_HOLD
    assert smaller.predicted_lowest is not None
    assert smaller.predicted_lowest < 18.0 + HOLD_MARGIN + COAST_MARGIN


def test_a_fast_room_pre_heats_fully_then_holds_the_floor() -> None:
    plan = _plan(Room(20.0), FAST)
    assert plan.strategy is Strategy.PREHEAT_HOLD
    assert plan.preheat_target == 20.0 + BOOST
    assert plan.floor_reached_at is not None
    assert PEAK.start < plan.floor_reached_at < PEAK.end
    assert plan.predicted_lowest is not None
    assert plan.predicted_lowest >= plan.floor
    assert 0.0 < plan.heating_hours < plan.baseline_heating_hours
    assert plan.steps[1] == Step(PEAK.start, Phase.COAST, 18.5)


def test_a_tempo_red_day_is_a_lowered_set_point_pre_heated_in_the_night() -> None:
    plan = _plan(Room(20.0), MEDIUM, RED_DAY)
    assert plan.strategy is Strategy.LOWERED_SET_POINT
    assert plan.preheat_target == 21.5
    assert plan.preheat_start is not None
    # In the off-peak night 22:00-06:00 before the red hours, not earlier.
    assert tempo_preheat_from(RED_DAY) == RED_DAY.start - timedelta(hours=8)
    assert tempo_preheat_from(RED_DAY) <= plan.preheat_start < RED_DAY.start
    assert plan.steps[1] == Step(RED_DAY.start, Phase.COAST, 18.5)
    assert plan.steps[-1] == Step(RED_DAY.end, Phase.RESTORE, 20.0)
    assert plan.predicted_lowest is not None
    assert plan.predicted_lowest >= plan.floor
    assert 0.0 < plan.avoided_share < 1.0
    assert plan.preheat_hours > 0.0
    assert "too long to coast" in plan.reason


def test_the_same_room_coasts_a_peak_but_not_a_red_day() -> None:
    """The strategy follows the period's length: 2 h coasted, 16 h lowered."""
    room = Room(20.0)
    assert _plan(room, MEDIUM, PEAK).strategy is Strategy.PREHEAT_COAST
    assert _plan(room, MEDIUM, RED_DAY).strategy is Strategy.LOWERED_SET_POINT


def test_a_very_slow_room_coasts_even_a_red_day() -> None:
    plan = _plan(Room(20.0), ThermalModel(tau_h=150.0, heating_rate=0.5, gain_rate=0.05), RED_DAY)
    assert plan.strategy in (Strategy.COAST, Strategy.PREHEAT_COAST)
    assert plan.heating_hours == 0.0


def test_boost_never_above_the_thermostat_maximum() -> None:
    plan = _plan(Room(20.0, max_temp=21.0), FAST)
    assert plan.preheat_target == 21.0
    assert plan.boost_capped
    assert "thermostat's maximum" in plan.reason
    steps = [step for step in plan.steps if step.phase is Phase.PREHEAT]
    assert steps == [Step(plan.preheat_start, Phase.PREHEAT, 21.0)]  # type: ignore[arg-type]


def test_no_pre_heat_when_the_set_point_is_the_maximum() -> None:
    plan = _plan(Room(20.0, max_temp=20.0), FAST)
    assert plan.strategy is Strategy.PREHEAT_HOLD
    assert plan.preheat_target is None
    assert _phases(plan) == [Phase.COAST, Phase.RESTORE]
    assert "no pre-heat possible" in plan.reason.lower()


def test_boost_follows_the_thermostat_step() -> None:
    plan = _plan(Room(19.0, boost=1.3, step=0.5), FAST)
    assert plan.preheat_target == 20.0  # 20.3 rounded down to the 0.5 step
    assert plan.steps[1].target == 17.5  # floor 17.0 + 0.5, on the step


def test_an_absolute_floor_and_its_hold_target() -> None:
    plan = _plan(Room(20.0, floor=16.0), FAST)
    assert plan.floor == 16.0
    assert plan.steps[1] == Step(PEAK.start, Phase.COAST, 16.5)
    # A floor above the set point means nothing to do.
    assert _plan(Room(18.0, floor=19.0), FAST).strategy is Strategy.NONE


def test_a_night_setback_is_brought_back_before_a_morning_red_day() -> None:
    plan = _plan(Room(20.0, current_target=17.0), MEDIUM, RED_DAY, temperature=17.0)
    assert plan.preheat_target == 21.5
    assert plan.predicted_at_start == pytest.approx(21.5, abs=0.05)
    # The earlier the room starts from 17 °C, the earlier the pre-heat.
    from_twenty = _plan(Room(20.0), MEDIUM, RED_DAY)
    assert plan.preheat_start is not None
    assert from_twenty.preheat_start is not None
    assert plan.preheat_start < from_twenty.preheat_start


def test_pre_heat_starts_no_earlier_than_allowed() -> None:
    allowed = PEAK.start - timedelta(minutes=30)
    plan = _plan(Room(20.0), FAST, preheat_from=allowed)
    assert plan.preheat_start == allowed
    assert plan.predicted_at_start is not None
    assert plan.predicted_at_start < 21.5  # half an hour is not enough for 1.5 K


def test_a_colder_forecast_asks_for_more() -> None:
    mild = plan_room(Room(20.0), MEDIUM, PEAK, Outdoor.constant(12.0), now=NOW)
    assert mild.strategy is Strategy.COAST
    forecast = Outdoor([(PEAK.start - timedelta(hours=6), 10.0), (PEAK.start, -5.0)])
    cold = plan_room(Room(20.0), MEDIUM, PEAK, forecast, now=NOW)
    assert cold.strategy is not Strategy.COAST
    assert cold.coast_hours < mild.coast_hours


def test_a_period_under_way_is_planned_from_the_room_as_it_is() -> None:
    now = PEAK.start + timedelta(minutes=30)
    plan = plan_room(Room(20.0), FAST, PEAK, FREEZING, now=now, temperature=19.0)
    assert plan.preheat_start is None
    assert plan.strategy is Strategy.PREHEAT_HOLD
    assert plan.floor_reached_at is not None
    assert now < plan.floor_reached_at < PEAK.end
    warm = plan_room(Room(20.0), SLOW, PEAK, FREEZING, now=now, temperature=21.0)
    assert warm.strategy is Strategy.COAST


def test_a_period_over_needs_nothing() -> None:
    plan = plan_room(Room(20.0), FAST, PEAK, FREEZING, now=PEAK.end)
    assert plan.strategy is Strategy.NONE
    assert plan.steps == ()
    assert plan.avoided_share == 0.0
    assert plan.reason == "Nothing to do."


def test_the_plan_says_when_the_model_is_not_learned_yet() -> None:
    plan = _plan(Room(20.0), MEDIUM, learned=False)
    assert not plan.learned
    assert plan.reason.endswith("model not learned yet: cautious default.")


def test_preset_temperatures_of_pilot_wire_heaters() -> None:
    presets = preset_temperatures(
        ["comfort", "comfort-1", "comfort_-2", "eco", "away", "frost_protection", "boost", "off"],
        19.5,
    )
    assert presets == {
        "comfort": 19.5,
        "comfort-1": 18.5,
        "comfort_-2": 17.5,
        "eco": 16.0,
        "away": 7.0,
        "frost_protection": 7.0,
    }
    assert preset_temperatures(["eco"], 20.0, eco=15.0) == {"eco": 15.0}


def test_a_preset_heater_coasts_on_eco_then_holds_on_comfort() -> None:
    presets = preset_temperatures(["comfort", "eco", "away"], 19.0)
    plan = _plan(Room(19.0, presets=presets), FAST, RED_DAY)
    assert plan.strategy is Strategy.LOWERED_SET_POINT
    assert plan.preheat_start is None  # already at comfort: nothing above it
    assert plan.boost_capped
    assert "cannot be pre-heated above comfort" in plan.reason
    coast, hold, restore = plan.steps
    assert (coast.phase, coast.preset, coast.at) == (Phase.COAST, "eco", RED_DAY.start)
    assert (hold.phase, hold.preset) == (Phase.HOLD, "comfort")
    assert hold.at == plan.floor_reached_at
    assert RED_DAY.start < hold.at < RED_DAY.end
    assert (restore.phase, restore.preset, restore.at) == (Phase.RESTORE, "comfort", RED_DAY.end)


def test_a_preset_heater_with_comfort_minus_two_holds_the_floor_itself() -> None:
    presets = preset_temperatures(["comfort", "comfort_-1", "comfort_-2", "eco"], 19.0)
    plan = _plan(Room(19.0, presets=presets), FAST, RED_DAY)
    assert [(step.phase, step.preset) for step in plan.steps] == [
        (Phase.COAST, "comfort_-2"),
        (Phase.RESTORE, "comfort"),
    ]


def test_a_preset_heater_on_eco_is_back_on_comfort_before_the_period() -> None:
    presets = preset_temperatures(["comfort", "eco"], 19.0)
    plan = _plan(
        Room(19.0, presets=presets, current_target=15.5), MEDIUM, RED_DAY, temperature=15.5
    )
    assert plan.steps[0].phase is Phase.PREHEAT
    assert plan.steps[0].preset == "comfort"
    assert plan.predicted_at_start == pytest.approx(19.0, abs=0.05)
    assert tempo_preheat_from(RED_DAY) <= plan.steps[0].at < RED_DAY.start


def test_a_preset_heater_that_coasts_stays_on_eco() -> None:
    presets = preset_temperatures(["comfort", "eco"], 19.0)
    plan = _plan(Room(19.0, presets=presets), SLOW)
    assert plan.strategy is Strategy.COAST
    assert [step.preset for step in plan.steps] == ["eco", "comfort"]


def test_a_heater_too_weak_for_the_boost_starts_as_early_as_allowed() -> None:
    """Full power settles at 0 + (2 + 0.1) × 10 = 21 °C: 21.5 °C cannot be reached."""
    weak = ThermalModel(tau_h=10.0, heating_rate=2.0, gain_rate=0.1)
    plan = _plan(Room(20.0), weak)
    assert plan.preheat_target == 21.5
    assert plan.preheat_start == PEAK.start - timedelta(hours=6)
    assert plan.predicted_at_start is not None
    assert plan.predicted_at_start < 21.0
