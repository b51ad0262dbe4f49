"""The Tempo model: probabilities, calendar and stock rules, published days, horizons, inputs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
import json
import math

import pytest

from custom_components.delestage.forecast.model import (
    PARAMETERS_FILE,
    DayForecast,
    DayInputs,
    ForecastInputs,
    Parameters,
    Spread,
    _Forecaster,
    expected_colour,
    forecast,
    load_parameters,
    make_inputs,
    normalisation,
    normalisation_filled,
    season_offset,
    usual_z,
)
from custom_components.delestage.forecast.rules import Colour, day_of_season

PARAMS = load_parameters()


def typical_history(first_day: date, params: Parameters = PARAMS) -> dict[date, float]:
    """A year of net consumption as in the reference year."""
    return {
        first_day - timedelta(days=n): params.reference_net[
            day_of_season(first_day - timedelta(days=n)) - 1
        ]
        for n in range(1, 366)
    }


def inputs_with_z(
    today: date,
    z: float | None,
    colours: dict[date, Colour] | None = None,
    **changes: object,
) -> ForecastInputs:
    """Inputs where RTE's day-before forecast puts tomorrow at normalised level ``z``."""
    history = typical_history(today + timedelta(days=1))
    norm = normalisation(today + timedelta(days=1), history, PARAMS)
    forecasts = {}
    if z is not None:
        net = norm.q40 + z * norm.scale
        forecasts[today + timedelta(days=1)] = DayInputs(
            consumption=net + 3000, wind=2500, solar=500
        )
    values: dict[str, object] = {
        "today": today,
        "colours": colours or {},
        "history": history,
        "forecasts": forecasts,
    }
    values.update(changes)
    return ForecastInputs(**values)  # type: ignore[arg-type]


def season_colours(until: date, reds: int = 0, whites: int = 0) -> dict[date, Colour]:
    """Colours of the season up to ``until``: blue, with ``reds``/``whites`` on early weekdays."""
    colours: dict[date, Colour] = {}
    day = date(until.year if until.month >= 9 else until.year - 1, 9, 1)
    placed_red = placed_white = 0
    while day <= until:
        colour = Colour.BLUE
        if day.month in (11, 12) and day.weekday() < 5 and day.day not in (1, 11, 25):
            if placed_red < reds:
                colour, placed_red = Colour.RED, placed_red + 1
            elif placed_white < whites:
                colour, placed_white = Colour.WHITE, placed_white + 1
        colours[day] = colour
        day += timedelta(days=1)
    return colours


def test_committed_parameters_predate_the_evaluation_seasons() -> None:
    assert date.fromisoformat(PARAMS.calibrated_to) < date(2021, 9, 1)
    raw = json.loads(PARAMETERS_FILE.read_text(encoding="utf-8"))
    assert Parameters.from_dict(raw) == PARAMS
    assert Parameters.from_dict(json.loads(json.dumps(PARAMS.as_dict()))) == PARAMS
    assert len(PARAMS.reference_net) == 366
    assert len(PARAMS.monthly_spread) == 12


@pytest.mark.parametrize(
    "today", [date(2026, 9, 10), date(2026, 11, 20), date(2027, 1, 14), date(2027, 3, 25)]
)
@pytest.mark.parametrize("z", [None, -0.5, 0.8, 1.4, 2.5])
def test_probabilities_sum_to_one(today: date, z: float | None) -> None:
    days = forecast(inputs_with_z(today, z, season_colours(today, reds=5, whites=10)), PARAMS)

    assert [d.day for d in days] == [today + timedelta(days=n) for n in range(1, 8)]
    for day in days:
        values = (day.blue, day.white, day.red)
        assert all(0.0 <= p <= 1.0 for p in values)
        assert math.fsum(values) == pytest.approx(1.0, abs=1e-9)
        assert not day.official


def test_calendar_rules_hold_whatever_the_consumption() -> None:
    today = date(2027, 1, 7)  # Thursday: tomorrow Friday, then the weekend
    days = {d.day: d for d in forecast(inputs_with_z(today, 3.0), PARAMS)}

    friday, saturday, sunday = (days[today + timedelta(days=n)] for n in (1, 2, 3))
    assert friday.red > 0.5
    assert saturday.red == 0.0
    assert saturday.white > 0.0
    assert sunday.red == sunday.white == 0.0
    assert sunday.blue == 1.0

    october = forecast(inputs_with_z(date(2026, 10, 20), 3.0), PARAMS)
    assert all(d.red == 0.0 for d in october)
    armistice = {d.day: d for d in forecast(inputs_with_z(date(2026, 11, 9), 3.0), PARAMS)}
    assert armistice[date(2026, 11, 11)].red == 0.0


def test_a_published_day_is_certain_and_spends_its_stock() -> None:
    today = date(2027, 2, 8)  # Monday
    colours = season_colours(today, reds=21)
    before = forecast(inputs_with_z(today, 2.5, colours), PARAMS)
    assert before[1].red > 0.0  # Wednesday may be red: one red left

    published = {**colours, today + timedelta(days=1): Colour.RED}
    after = forecast(inputs_with_z(today, 2.5, published), PARAMS)

    assert after[0] == DayForecast(today + timedelta(days=1), 0.0, 0.0, 1.0, official=True)
    assert after[0].most_likely is Colour.RED
    assert all(day.red == 0.0 for day in after[1:])  # the last red is spent


def test_no_red_left_no_red() -> None:
    today = date(2027, 1, 11)
    days = forecast(inputs_with_z(today, 3.0, season_colours(today, reds=22)), PARAMS)
    assert all(day.red == 0.0 for day in days)
    assert days[0].white > 0.9


def test_reds_that_must_be_spent_are_likely_red() -> None:
    today = date(2027, 3, 30)  # Tuesday: only Wednesday 31 March is left for the last red
    days = forecast(inputs_with_z(today, -1.0, season_colours(today, reds=21)), PARAMS)

    assert days[0].red == pytest.approx(PARAMS.red_forced)
    assert days[1].red == 0.0  # April


def test_probabilities_widen_with_the_horizon() -> None:
    target = date(2027, 1, 18)  # a Monday
    near = forecast(inputs_with_z(target - timedelta(days=1), 2.2), PARAMS)[0]
    far = forecast(inputs_with_z(target - timedelta(days=7), 2.2), PARAMS)[6]
    unknown = forecast(inputs_with_z(target - timedelta(days=7), None, history={}), PARAMS)[6]

    assert near.day == far.day == target
    assert near.red > far.red > unknown.red
    # The spread of the whole week grows: day 1 is the most certain weekday.
    week = forecast(inputs_with_z(target - timedelta(days=1), 2.2), PARAMS)
    certainty = [max(d.blue, d.white, d.red) for d in week if d.day.weekday() < 5]
    assert certainty[0] == max(certainty)


def test_rte_forecasts_beyond_tomorrow_are_used() -> None:
    today = date(2027, 1, 12)
    base = inputs_with_z(today, 0.5)
    norm = normalisation(today + timedelta(days=1), base.history, PARAMS)
    cold = dict(base.forecasts)
    cold[today + timedelta(days=3)] = DayInputs(consumption=norm.q40 + 2.8 * norm.scale, lead=3)
    warm = dict(base.forecasts)
    warm[today + timedelta(days=3)] = DayInputs(consumption=norm.q40 - 1.0 * norm.scale, lead=3)

    plain = forecast(base, PARAMS)[2]
    colder = forecast(replace(base, forecasts=cold), PARAMS)[2]
    warmer = forecast(replace(base, forecasts=warm), PARAMS)[2]

    assert colder.red > plain.red > warmer.red


def test_this_seasons_colours_shift_the_curves() -> None:
    """RTE kept whites on days our rule calls red: the season's shift lowers red odds."""
    today = date(2027, 1, 20)
    base = inputs_with_z(today, 1.9)
    history = dict(base.history)
    strict = season_colours(today, whites=20)
    for day, colour in strict.items():
        if colour is Colour.WHITE:
            norm = normalisation(today + timedelta(days=1), history, PARAMS)
            history[day] = norm.q40 + 2.4 * norm.scale  # far above the red threshold
    neutral = forecast(replace(base, colours=strict), PARAMS)[0]
    shifted = forecast(replace(base, colours=strict, history=history), PARAMS)[0]

    assert shifted.red < neutral.red


def test_holes_in_the_inputs_are_filled() -> None:
    today = date(2027, 1, 12)
    full = inputs_with_z(today, 1.0)
    holes = {d: v for d, v in full.history.items() if d.day % 3}
    holes[today - timedelta(days=2)] = float("nan")
    tomorrow = today + timedelta(days=1)
    no_wind = {tomorrow: replace(full.forecasts[tomorrow], wind=None, solar=None)}

    assert normalisation_filled(replace(full, history=holes), PARAMS) > 100
    for inputs in (
        replace(full, history=holes),
        replace(full, forecasts=no_wind),
        replace(full, history={}, forecasts={}),
    ):
        days = forecast(inputs, PARAMS)
        assert all(math.fsum((d.blue, d.white, d.red)) == pytest.approx(1.0) for d in days)


def test_forecast_is_deterministic() -> None:
    inputs = inputs_with_z(date(2027, 2, 2), 1.3, season_colours(date(2027, 2, 2), 10, 20))
    assert forecast(inputs, PARAMS) == forecast(inputs, PARAMS)


def test_day_forecast_dict_and_most_likely() -> None:
    day = DayForecast(date(2027, 1, 5), 0.3, 0.3, 0.4)
    assert day.most_likely is Colour.RED
    assert day.probability(Colour.RED) == 0.4
    assert day.as_dict() == {
        "date": "2027-01-05",
        "blue": 0.3,
        "white": 0.3,
        "red": 0.4,
        "most_likely": "red",
        "official": False,
    }
    assert DayForecast(date(2027, 1, 5), 0.5, 0.3, 0.2).most_likely is Colour.BLUE
    assert DayForecast(date(2027, 1, 5), 0.4, 0.4, 0.2).most_likely is Colour.BLUE  # ties: milder
    assert DayForecast(date(2027, 1, 5), 0.2, 0.5, 0.3).most_likely is Colour.WHITE


@pytest.mark.parametrize(
    ("white", "red", "expected"),
    [
        (0.53, 0.45, Colour.RED),  # red wins from 45.5 % when blue is out of the question
        (0.56, 0.44, Colour.WHITE),
        (0.50, 0.50, Colour.RED),
    ],
)
def test_a_likely_red_is_announced_before_it_is_the_likeliest(
    white: float, red: float, expected: Colour
) -> None:
    """A red day announced white costs more than the reverse (red weighted by RED_WEIGHT)."""
    day = DayForecast(date(2027, 1, 5), 1.0 - white - red, white, red)
    assert day.most_likely is expected
    assert day.as_dict()["most_likely"] == str(expected)
    assert expected_colour(day.blue, day.white, day.red) is expected


def test_uncertain_curves_give_less_extreme_probabilities() -> None:
    """The weights' covariance is integrated: a shaky fit is not certain far from threshold."""
    inputs = inputs_with_z(date(2027, 1, 12), 2.5)
    size = len(PARAMS.red)
    shaky = replace(
        PARAMS,
        red_covariance=tuple(
            tuple(4.0 if i == j else 0.0 for j in range(size)) for i in range(size)
        ),
    )
    certain = replace(PARAMS, red_covariance=(), white_covariance=())

    assert forecast(inputs, shaky)[0].red < forecast(inputs, PARAMS)[0].red
    assert forecast(inputs, PARAMS)[0].red <= forecast(inputs, certain)[0].red
    assert forecast(inputs, shaky)[0].red > 0.5


def test_parameters_without_covariances_still_load() -> None:
    """A parameters file written before the covariances were fitted stays readable."""
    raw = PARAMS.as_dict()
    del raw["red_covariance"], raw["white_covariance"]
    older = Parameters.from_dict(raw)
    assert older.red_covariance == older.white_covariance == ()
    assert len(forecast(inputs_with_z(date(2027, 1, 12), 1.0), older)) == 7


def test_season_offset_follows_the_outcomes() -> None:
    surprising_reds = [(-1.0, True)] * 10
    assert season_offset(surprising_reds, 1.0).mean > 0.5
    assert season_offset([(-1.0, False)] * 10, 1.0).mean < 0.0
    assert season_offset(surprising_reds, 0.0).mean == 0.0
    empty = season_offset([], 1.0)
    assert empty.mean == 0.0
    assert empty.variance == pytest.approx(1.0)


def test_inputs_from_plain_tables() -> None:
    today = date(2027, 1, 12)
    tomorrow, later = today + timedelta(days=1), today + timedelta(days=4)
    inputs = make_inputs(
        today,
        colours={today: "ROUGE", tomorrow: "WHITE", later: "unknown"},
        history={today: 60_000.0},
        consumption={tomorrow: (72_000.0, 1), later: (70_000.0, 4)},
        wind={tomorrow: 3_000.0},
        solar={tomorrow: 800.0},
    )

    assert inputs.colours == {today: Colour.RED, tomorrow: Colour.WHITE}
    assert inputs.forecasts[tomorrow] == DayInputs(72_000.0, 3_000.0, 800.0, 1)
    assert inputs.forecasts[later] == DayInputs(70_000.0, None, None, 4)
    assert inputs.forecasts[tomorrow].renewables == 3_800.0
    days = forecast(inputs, PARAMS)
    assert days[0].official
    assert days[0].most_likely is Colour.WHITE
    assert make_inputs(today) == ForecastInputs(today)


def test_flat_or_stale_history_still_forecasts() -> None:
    today = date(2027, 1, 12)
    flat = {today - timedelta(days=n): 55_000.0 for n in range(365)}
    norm = normalisation(today + timedelta(days=1), flat, PARAMS)
    assert norm.scale == 1.0  # a sane scale instead of a division by zero
    stale = {today - timedelta(days=n): 60_000.0 for n in range(9, 365)}
    for history in (flat, stale):
        days = forecast(ForecastInputs(today, history=history), PARAMS)
        assert all(math.fsum((d.blue, d.white, d.red)) == pytest.approx(1.0) for d in days)
    # Beyond the fitted lags the last news is forgotten: the season's usual level and spread.
    run = _Forecaster(ForecastInputs(today, history=stale), PARAMS)
    far = today + timedelta(days=7)
    assert run.spread(far) == Spread(
        usual_z(far, PARAMS), PARAMS.anomaly_sd * PARAMS.monthly_spread[far.month - 1]
    )
    assert run.spread(today + timedelta(days=1)).sd < run.spread(far).sd
