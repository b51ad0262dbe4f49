"""Learning a room's model from its thermostat's history: recovers the truth, refuses garbage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import math
import random

import pytest

from custom_components.delestage.anticipation.learning import (
    MIN_DAYS,
    Fit,
    FitStatus,
    RoomSample,
    heating_state,
    learn,
)
from custom_components.delestage.anticipation.thermal import DEFAULT_MODEL, Outdoor

T0 = datetime(2027, 1, 4, tzinfo=UTC)


def outdoor_c(hours: float) -> float:
    """A winter outdoor temperature: a day/night swing and a slow weather system."""
    return 3.0 + 4.0 * math.cos(2 * math.pi * (hours - 15) / 24) + 3.0 * math.sin(hours / 40)


def outdoor_series(days: float) -> Outdoor:
    """Hourly readings, as a Météo-France entry records them."""
    return Outdoor((T0 + timedelta(hours=h), outdoor_c(h)) for h in range(int(days * 24) + 2))


@dataclass(frozen=True)
class Truth:
    """A room's real parameters (K/h rates, h time constant)."""

    tau_h: float
    heating_rate: float
    gain_rate: float = 0.1


def history(
    truth: Truth,
    days: float,
    *,
    seed: int = 1,
    noise: float = 0.03,
    gaps: tuple[tuple[float, float], ...] = (),
    setback: bool = True,
) -> list[RoomSample]:
    """A thermostat-driven room written as Home Assistant records it.

    Exact 1R1C minute by minute (written here, not with the code under test), a relay
    switched at ± 0.3 K around 20 °C (17 °C at night with ``setback``), a 0.1 °C sensor with
    noise, one row per change; ``gaps`` (start h, length h) are recorder outages: an
    unavailable row, then nothing.
    """
    rng = random.Random(seed)
    temperature, heating, last = 20.0, False, None
    rows: list[RoomSample] = []
    decay = math.exp(-1 / 60 / truth.tau_h)
    for minute in range(int(days * 24 * 60)):
        hours = minute / 60
        hour_of_day = hours % 24
        target = 17.0 if setback and (hour_of_day >= 23 or hour_of_day < 6) else 20.0
        reading = round(temperature + rng.gauss(0, noise), 1)
        if heating and reading >= target + 0.3:
            heating = False
        elif not heating and reading <= target - 0.3:
            heating = True
        down = any(start <= hours < start + length for start, length in gaps)
        state = (None, None) if down else (reading, heating)
        if state != last:
            rows.append(RoomSample(T0 + timedelta(minutes=minute), *state))
            last = state
        settle = outdoor_c(hours) + (truth.heating_rate * heating + truth.gain_rate) * truth.tau_h
        temperature = settle + (temperature - settle) * decay
    return rows


@pytest.mark.parametrize(
    ("truth", "setback"),
    [
        (Truth(12.0, 3.0), True),
        (Truth(30.0, 1.5), False),
        (Truth(70.0, 0.6, 0.05), True),
    ],
)
def test_recovers_the_time_constant_with_noise_and_gaps(truth: Truth, setback: bool) -> None:
    samples = history(truth, 10, gaps=((50.0, 5.0), (200.0, 2.5)), setback=setback)
    fit = learn(samples, outdoor_series(10))
    assert fit.status is FitStatus.LEARNED
    assert fit.fitted is not None
    assert fit.model is fit.fitted
    assert fit.fitted.tau_h == pytest.approx(truth.tau_h, rel=0.2)
    assert fit.fitted.heating_rate == pytest.approx(truth.heating_rate, rel=0.2)
    assert fit.rmse_k is not None
    assert fit.rmse_k < 0.2
    # The outages are not used: 10 days minus 7.5 h (and the short pieces around them).
    assert 9.0 < fit.days_used < 10.0 - 7.5 / 24


def test_unavailable_rows_cut_the_history() -> None:
    """A reading before an outage is not carried across it: the outage hours are not used."""
    truth = Truth(20.0, 2.0)
    whole = learn(history(truth, 3), outdoor_series(3))
    cut = learn(history(truth, 3, gaps=((30.0, 2.0),)), outdoor_series(3))
    assert cut.days_used < whole.days_used - 1.9 / 24


def test_not_learned_before_seven_days_but_the_fit_is_reported() -> None:
    fit = learn(history(Truth(20.0, 2.0), 4), outdoor_series(4))
    assert fit.status is FitStatus.NOT_ENOUGH_HISTORY
    assert not fit.learned
    assert fit.model == DEFAULT_MODEL
    assert fit.fitted is not None
    assert fit.fitted.tau_h == pytest.approx(20.0, rel=0.3)
    assert fit.days_used < MIN_DAYS


def test_what_the_model_cannot_explain_is_left_out() -> None:
    """Sun on the thermostat (+3 K for 40 min on four days), a window (−2 K): dropped.

    Fitted on everything, these readings pull τ 25 % off and fail the error check.
    """
    samples = history(Truth(25.0, 2.0), 8)

    def disturbance(sample: RoomSample) -> float:
        hours = (sample.at - T0).total_seconds() / 3600
        day, hour = divmod(hours, 24)
        if day in (1, 3, 5, 6) and 12 <= hour < 12 + 40 / 60:
            return 3.0
        if day == 2 and 8 <= hour < 8.5:
            return -2.0
        return 0.0

    disturbed = [
        RoomSample(s.at, s.temperature + disturbance(s), s.heating)
        if s.temperature is not None
        else s
        for s in samples
    ]
    fit = learn(disturbed, outdoor_series(8))
    assert fit.learned
    assert fit.chunks_dropped >= 5
    assert fit.fitted is not None
    assert fit.fitted.tau_h == pytest.approx(25.0, rel=0.05)
    assert fit.rmse_k is not None
    assert fit.rmse_k < 0.1


def _status(samples: list[RoomSample], days: float = 10) -> Fit:
    return learn(samples, outdoor_series(days))


def test_refuses_random_readings() -> None:
    rng = random.Random(3)
    samples = [
        RoomSample(
            T0 + timedelta(minutes=10 * i), round(rng.uniform(12, 26), 1), rng.random() < 0.4
        )
        for i in range(10 * 144)
    ]
    fit = _status(samples)
    assert not fit.learned
    assert fit.status in (FitStatus.POOR_FIT, FitStatus.IMPLAUSIBLE)
    assert fit.model == DEFAULT_MODEL


def test_refuses_a_room_warming_with_the_heater_off() -> None:
    """The readings rise while the heater is said to be off: not a room this model explains."""
    samples = []
    for i in range(10 * 144):
        heating = (i // 6) % 2 == 0  # one hour on, one hour off
        temperature = 19.0 + 0.5 * math.sin(i / 7.0) - (0.4 if heating else 0.0)
        samples.append(RoomSample(T0 + timedelta(minutes=10 * i), round(temperature, 1), heating))
    fit = _status(samples)
    assert fit.status in (FitStatus.POOR_FIT, FitStatus.IMPLAUSIBLE)


def test_refuses_a_stuck_sensor() -> None:
    samples = [
        RoomSample(T0 + timedelta(minutes=10 * i), 19.5, (i // 3) % 2 == 0) for i in range(10 * 144)
    ]
    assert not _status(samples).learned


def test_needs_both_heating_and_cooling() -> None:
    never_on = [
        RoomSample(T0 + timedelta(minutes=10 * i), 19.0 - i * 0.001, False) for i in range(10 * 144)
    ]
    assert _status(never_on).status is FitStatus.NO_HEATING_SEEN
    always_on = [
        RoomSample(T0 + timedelta(minutes=10 * i), 19.0 + i * 0.001, True) for i in range(10 * 144)
    ]
    assert _status(always_on).status is FitStatus.NO_COOLING_SEEN


def test_unknown_heater_state_and_bad_readings_are_not_used() -> None:
    unknown = [
        RoomSample(T0 + timedelta(minutes=10 * i), 19.0 + (i % 5) * 0.1, None)
        for i in range(10 * 144)
    ]
    assert _status(unknown).status is FitStatus.NOT_ENOUGH_HISTORY
    broken = [
        RoomSample(T0 + timedelta(minutes=10 * i), value, i % 2 == 0)
        for i, value in enumerate([math.nan, 85.0, -40.0] * 480)
    ]
    fit = _status(broken)
    assert fit.status is FitStatus.NOT_ENOUGH_HISTORY
    assert fit.days_used == 0.0


def test_no_outdoor_temperature_no_learning() -> None:
    samples = history(Truth(20.0, 2.0), 8)
    far_away = Outdoor([(T0 - timedelta(days=30), 5.0)])
    assert learn(samples, far_away).status is FitStatus.NOT_ENOUGH_HISTORY


@pytest.mark.parametrize(
    ("action", "mode", "expected"),
    [
        ("heating", "heat", True),
        ("preheating", "heat", True),
        ("idle", "heat", False),
        ("off", "off", False),
        (None, "off", False),
        (None, "heat", None),
        ("cooling", "cool", None),
        ("fan", "fan_only", None),
    ],
)
def test_heating_state_from_hvac_action(
    action: str | None, mode: str | None, expected: bool | None
) -> None:
    assert heating_state(action, mode) is expected


def test_duplicate_rows_are_harmless() -> None:
    samples = history(Truth(20.0, 2.0), 8)
    doubled = [s for sample in samples for s in (sample, sample)]
    fit = learn(doubled, outdoor_series(8))
    assert fit.learned
    assert fit.fitted == learn(samples, outdoor_series(8)).fitted


def test_refuses_a_sensor_too_noisy_to_predict() -> None:
    fit = learn(history(Truth(20.0, 2.0), 8, noise=0.2), outdoor_series(8))
    assert fit.status is FitStatus.POOR_FIT
    assert fit.rmse_k is not None
    assert fit.rmse_k > 0.3
