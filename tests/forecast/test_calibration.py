"""Fitting the Tempo model on past seasons (pure Python): solvers and what they recover."""

from __future__ import annotations

from datetime import date
import math
import random

import pytest

from custom_components.delestage.forecast.calibration import (
    CalibrationDay,
    CalibrationError,
    calibrate,
    capped_logistic_fit,
    least_squares,
    logistic_fit,
    solve,
)
from custom_components.delestage.forecast.model import logistic

from .synthetic import seasons


def test_least_squares_recovers_exact_coefficients() -> None:
    xs = [[1.0, x, x * x] for x in range(-5, 6)]
    ys = [2.0 - 3.0 * x + 0.5 * x * x for _, x, _ in xs]
    assert least_squares(xs, ys, ridge=0.0) == pytest.approx([2.0, -3.0, 0.5])


def test_singular_systems_are_refused() -> None:
    with pytest.raises(CalibrationError):
        solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0])


def _bernoulli(
    weights: list[float], ceiling: float, n: int, seed: int
) -> tuple[list[list[float]], list[bool]]:
    rng = random.Random(seed)
    xs = [[1.0, rng.uniform(-3, 3)] for _ in range(n)]
    ys = [rng.random() < ceiling * logistic(weights[0] + weights[1] * x[1]) for x in xs]
    return xs, ys


def test_logistic_fit_recovers_the_curve() -> None:
    xs, ys = _bernoulli([-0.5, 2.0], 1.0, 4000, seed=1)
    weights, loglik = logistic_fit(xs, ys)
    assert weights == pytest.approx([-0.5, 2.0], abs=0.2)
    assert loglik < 0


def test_a_ceiling_is_found_when_outcomes_stop_short_of_certain() -> None:
    xs, ys = _bernoulli([0.0, 3.0], 0.8, 2000, seed=2)
    weights, ceiling = capped_logistic_fit(xs, ys)
    assert ceiling == pytest.approx(0.8, abs=0.05)
    assert weights[1] == pytest.approx(3.0, abs=0.8)

    plain_xs, plain_ys = _bernoulli([0.0, 3.0], 1.0, 1500, seed=3)
    assert capped_logistic_fit(plain_xs, plain_ys)[1] == 1.0


def test_calibration_on_synthetic_seasons() -> None:
    days = seasons(date(2016, 9, 1), date(2018, 8, 31), seed=5)
    params = calibrate(
        [
            CalibrationDay(
                day, item.colour, item.forecast - item.wind_forecast - item.solar, item.wind
            )
            for day, item in days.items()
        ]
    )

    assert (params.calibrated_from, params.calibrated_to) == ("2016-09-01", "2018-08-31")
    assert params.red[1] > 5  # P(red) rises with the margin over RTE's threshold
    assert params.white[1] > 5
    dampings = [damping for damping, _ in params.persistence]
    spreads = [spread for _, spread in params.persistence]
    assert dampings[0] > 0.5
    assert dampings[:5] == sorted(dampings[:5], reverse=True)  # AR(1) weather: damped with lag
    assert spreads == sorted(spreads)
    assert all(spread < params.anomaly_sd * 1.05 for spread in spreads)
    # Winter days vary more than summer days.
    assert params.monthly_spread[0] > params.monthly_spread[6]
    assert len(params.reference_net) == 366
    assert params.renewables_mean[0] == pytest.approx(
        sum(i.wind for d, i in days.items() if d.month == 1) / 62, rel=0.01
    )
    assert all(math.isfinite(v) for v in params.climate)


def _days(first: date, last: date, *, colours: bool = True) -> list[CalibrationDay]:
    return [
        CalibrationDay(day, item.colour if colours else None, item.consumption, None)
        for day, item in seasons(first, last, seed=5).items()
    ]


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ([], "no day"),
        (_days(date(2016, 9, 1), date(2016, 10, 15)), "only 45 days of net consumption"),
        (_days(date(2016, 9, 1), date(2017, 3, 31), colours=False), "no Tempo colour"),
        # Spring to autumn: too few winter days for every lag (persistence falls back), no red.
        (_days(date(2016, 4, 25), date(2016, 10, 25)), "fewer than 5 red or white days"),
    ],
)
def test_too_few_days_is_a_calibration_error(days: list[CalibrationDay], message: str) -> None:
    with pytest.raises(CalibrationError, match=message):
        calibrate(days)
