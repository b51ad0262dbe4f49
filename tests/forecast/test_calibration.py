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
    fisher_covariance,
    least_squares,
    logistic_fit,
    solve,
    spent_share,
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


def test_covariance_of_a_fitted_share() -> None:
    """One weight, the log-odds of a share: its variance is 1 / (n p (1 - p))."""
    xs = [[1.0]] * 200
    ys = [True] * 50 + [False] * 150
    weights, _ = logistic_fit(xs, ys, ridge=0.0)
    assert logistic(weights[0]) == pytest.approx(0.25)
    [[variance]] = fisher_covariance(xs, weights, ridge=0.0)
    assert variance == pytest.approx(1 / (200 * 0.25 * 0.75))
    # Fewer days, less certain weights.
    fewer, _ = logistic_fit(xs[:40], ys[:10] + ys[50:80], ridge=0.0)
    assert fisher_covariance(xs[:40], fewer, ridge=0.0)[0][0] > variance


def test_covariance_matches_the_spread_of_refits() -> None:
    """Refitting on fresh samples scatters the slope as the covariance says."""
    slopes = []
    for seed in range(40):
        xs, ys = _bernoulli([-0.5, 1.5], 1.0, 300, seed=100 + seed)
        slopes.append(logistic_fit(xs, ys)[0][1])
    xs, ys = _bernoulli([-0.5, 1.5], 1.0, 300, seed=99)
    weights, _ = logistic_fit(xs, ys)
    predicted = math.sqrt(fisher_covariance(xs, weights)[1][1])
    mean = math.fsum(slopes) / len(slopes)
    observed = math.sqrt(math.fsum((s - mean) ** 2 for s in slopes) / (len(slopes) - 1))
    assert observed == pytest.approx(predicted, rel=0.35)


def test_forced_reds_count_once_per_season() -> None:
    """Spent in two seasons, not in a third (its four forced days count as one season)."""
    assert spent_share([(3, 3), (2, 2), (4, 0)]) == pytest.approx((2 + 1) / (3 + 2))
    assert spent_share([]) == 0.5  # the prior alone
    assert spent_share([(0, 0)]) == 0.5


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
    for weights, covariance in (
        (params.red, params.red_covariance),
        (params.white, params.white_covariance),
    ):
        assert len(covariance) == len(weights)
        assert all(covariance[i][i] > 0 for i in range(len(weights)))
        assert covariance[0][1] == pytest.approx(covariance[1][0])
    assert 0.0 < params.red_forced < 1.0
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
