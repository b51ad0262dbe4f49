"""The 1R1C room model and the outdoor series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math

import pytest

from custom_components.delestage.anticipation.thermal import DEFAULT_MODEL, Outdoor, ThermalModel

MODEL = ThermalModel(tau_h=20.0, heating_rate=2.0, gain_rate=0.1)
T0 = datetime(2027, 1, 12, tzinfo=UTC)


def _euler(model: ThermalModel, start: float, outdoor: float, duty: float, hours: float) -> float:
    """The differential equation integrated by small steps (independent of ``step``)."""
    temperature, steps = start, 20000
    for _ in range(steps):
        slope = (outdoor - temperature) / model.tau_h + duty * model.heating_rate
        temperature += (slope + model.gain_rate) * hours / steps
    return temperature


@pytest.mark.parametrize(("duty", "hours"), [(0.0, 3.0), (1.0, 2.0), (0.4, 10.0)])
def test_step_solves_the_equation(duty: float, hours: float) -> None:
    assert MODEL.step(19.0, 2.0, duty, hours) == pytest.approx(
        _euler(MODEL, 19.0, 2.0, duty, hours), abs=1e-3
    )


def test_equilibrium_is_outdoor_plus_heater_and_gains() -> None:
    # 20 h × (0.5 × 2 + 0.1) K/h = 22 K above the outdoor temperature.
    assert MODEL.equilibrium(0.0, 0.5) == pytest.approx(22.0)
    assert MODEL.step(22.0, 0.0, 0.5, 5.0) == pytest.approx(22.0)


def test_coast_and_heat_hours_match_the_trajectory() -> None:
    coast = MODEL.coast_hours(21.0, 18.0, 0.0)
    assert MODEL.step(21.0, 0.0, 0.0, coast) == pytest.approx(18.0)
    heat = MODEL.heat_hours(18.0, 21.0, 0.0)
    assert MODEL.step(18.0, 0.0, 1.0, heat) == pytest.approx(21.0)


def test_coast_and_heat_limits() -> None:
    assert MODEL.coast_hours(18.0, 19.0, 0.0) == 0.0
    # Free gains alone keep the room at 0 + 0.1 × 20 = 2 °C: it never cools to 1 °C.
    assert MODEL.coast_hours(20.0, 1.0, 0.0) == math.inf
    assert MODEL.heat_hours(21.0, 20.0, 0.0) == 0.0
    # Full power settles at 0 + (2 + 0.1) × 20 = 42 °C: 45 °C is out of reach.
    assert MODEL.heat_hours(20.0, 45.0, 0.0) == math.inf


def test_duty_to_reach_is_what_an_ideal_thermostat_does() -> None:
    below = MODEL.duty_to_reach(15.0, 20.0, 0.0, 0.25)
    assert below == 1.0
    above = MODEL.duty_to_reach(21.0, 20.0, 0.0, 0.25)
    assert above == 0.0
    holding = MODEL.duty_to_reach(20.0, 20.0, 0.0, 0.25)
    assert 0.0 < holding < 1.0
    assert MODEL.step(20.0, 0.0, holding, 0.25) == pytest.approx(20.0)


def test_default_model_is_cautious() -> None:
    """Until learned: a room that cools fast and heats slowly (never promises too much)."""
    assert DEFAULT_MODEL.tau_h <= 12.0
    assert DEFAULT_MODEL.heating_rate <= 3.0
    assert DEFAULT_MODEL.gain_rate == 0.0


def test_outdoor_interpolates_and_holds_beyond_its_points() -> None:
    outdoor = Outdoor(
        [(T0 + timedelta(hours=2), 4.0), (T0, 0.0), (T0 + timedelta(hours=3), math.nan)]
    )
    assert outdoor.at(T0 + timedelta(hours=1)) == pytest.approx(2.0)
    assert outdoor.at(T0 - timedelta(days=1)) == 0.0
    assert outdoor.at(T0 + timedelta(days=1)) == 4.0
    assert Outdoor.constant(-3.0).at(T0) == -3.0


def test_outdoor_covers_only_near_known_points() -> None:
    outdoor = Outdoor([(T0, 0.0), (T0 + timedelta(hours=10), 1.0)])
    gap = timedelta(hours=3)
    assert outdoor.covers(T0.timestamp(), gap)
    assert not outdoor.covers((T0 + timedelta(hours=5)).timestamp(), gap)
    assert not outdoor.covers((T0 - timedelta(hours=1)).timestamp(), gap)


def test_outdoor_needs_a_value() -> None:
    with pytest.raises(ValueError, match="no outdoor temperature"):
        Outdoor([(T0, math.nan)])
