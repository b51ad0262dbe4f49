"""Fit the Tempo model's parameters on past seasons (pure Python, standard library only).

Used by ``tools/tempo_backtest.py`` (on the days before the tested period) and to make the
committed ``parameters.json`` (every season of ``reference/data/tempo/``, 2014-09 to 2021-08).
Python 3.11 syntax, no Home Assistant import (the backtest loads it with a plain ``python3``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
import math
from typing import Any

from .model import (
    WINDOW,
    Parameters,
    climate_terms,
    dot,
    logistic,
    normalisation,
    red_features,
    red_forced,
    white_features,
)
from .rules import ONE_DAY, Colour, Stocks, day_of_season, season_start, stocks_on

# Error of RTE's consumption forecast (MW) beyond its day-before one, by lead 1…9 days. Not in
# the calibration files (they hold day-before forecasts only): an assumption from the growth of
# temperature forecast errors (≈0.6 °C at 1 day to ≈2.5 °C at 9 days on a national mean) times
# the winter sensitivity of French consumption (≈2.4 GW/°C). Only the Home Assistant side,
# which gets RTE's 2-9 day forecasts, uses it; the backtest cannot check it.
CONSUMPTION_ERROR = (0.0, 1300.0, 1900.0, 2500.0, 3100.0, 3600.0, 4200.0, 4700.0, 5200.0)
# Days after the latest known anomaly for which persistence is fitted.
PERSISTENCE_DAYS = 10
# Spread of the season shifts of the red and white curves (logit units), chosen by the
# cross-validated Brier score (docs/tempo-forecast.md): RTE's red choices move more from one
# season to the next than its white ones.
OFFSET_SD_RED = 1.0
OFFSET_SD_WHITE = 0.5
# Prior of "RTE spends its last reds when they fill the days left to place them": Beta(1, 1)
# over seasons (a season's forced days are one decision: spent in 2017 and 2019, not during
# the March 2020 lockdown).
FORCED_PRIOR = (1.0, 1.0)
# Ridge on the logistic weights (keeps a fit with few days finite).
RIDGE = 1e-3
# Months whose anomalies the persistence is fitted on (where colours are decided).
WINTER = (10, 11, 12, 1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class CalibrationDay:
    """One past day: RTE's colour, net consumption and wind + solar, each None when unknown.

    Net consumption is the mean MW of ``ForecastInputs.history``.
    """

    day: date
    colour: Colour | None
    net: float | None
    renewables: float | None = None


class CalibrationError(ValueError):
    """Too few days to fit the parameters."""


def solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Solve a small linear system (Gauss-Jordan with partial pivoting)."""
    size = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) < 1e-12:
            raise CalibrationError("singular system: not enough distinct days")
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [value / lead for value in rows[col]]
        for r in range(size):
            if r != col and rows[r][col] != 0.0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][size] for i in range(size)]


def least_squares(
    xs: Sequence[Sequence[float]], ys: Sequence[float], ridge: float = 1e-6
) -> list[float]:
    """Ordinary least squares with a tiny ridge."""
    size = len(xs[0])
    matrix = [[0.0] * size for _ in range(size)]
    vector = [0.0] * size
    for x, y in zip(xs, ys, strict=True):
        for i in range(size):
            xi = x[i]
            vector[i] += xi * y
            row = matrix[i]
            for j in range(size):
                row[j] += xi * x[j]
    for i in range(size):
        matrix[i][i] += ridge * len(ys)
    return solve(matrix, vector)


def _bernoulli_terms(score: float, outcome: bool, ceiling: float) -> tuple[float, float, float]:
    """Log-likelihood, score and Fisher weight of one outcome when p = ceiling * logistic(score)."""
    s = logistic(score)
    p = min(max(ceiling * s, 1e-12), 1.0 - 1e-12)
    slope = ceiling * s * (1.0 - s)
    loglik = math.log(p) if outcome else math.log(1.0 - p)
    spread = p * (1.0 - p)
    return loglik, (float(outcome) - p) * slope / spread, slope * slope / spread


def logistic_fit(
    xs: Sequence[Sequence[float]],
    ys: Sequence[bool],
    ceiling: float = 1.0,
    ridge: float = RIDGE,
    start: Sequence[float] | None = None,
) -> tuple[list[float], float]:
    """Logistic regression with P = ceiling * logistic(w.x), by Fisher scoring.

    Returns the weights and the log-likelihood.
    """
    size = len(xs[0])
    weights = list(start) if start is not None else [0.0] * size
    loglik = -math.inf
    for _ in range(60):
        gradient = [-ridge * w for w in weights]
        hessian = [[ridge if i == j else 0.0 for j in range(size)] for i in range(size)]
        loglik = 0.0
        for x, y in zip(xs, ys, strict=True):
            term, residual, weight = _bernoulli_terms(dot(weights, x), y, ceiling)
            loglik += term
            for i in range(size):
                gradient[i] += residual * x[i]
                row = hessian[i]
                wi = weight * x[i]
                for j in range(size):
                    row[j] += wi * x[j]
        step = solve(hessian, gradient)
        weights = [w + s for w, s in zip(weights, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return weights, loglik


def fisher_covariance(
    xs: Sequence[Sequence[float]],
    weights: Sequence[float],
    ceiling: float = 1.0,
    ridge: float = RIDGE,
) -> list[list[float]]:
    """Covariance of fitted weights: the inverse of the Fisher information at ``weights``.

    The forecast integrates it (few past days: flatter curves, e.g. a fit on two seasons).
    """
    size = len(weights)
    information = [[ridge if i == j else 0.0 for j in range(size)] for i in range(size)]
    for x in xs:
        weight = _bernoulli_terms(dot(weights, x), True, ceiling)[2]
        for i in range(size):
            wi = weight * x[i]
            row = information[i]
            for j in range(size):
                row[j] += wi * x[j]
    columns = [solve(information, [float(i == j) for i in range(size)]) for j in range(size)]
    return [[columns[j][i] for j in range(size)] for i in range(size)]


def capped_logistic_fit(
    xs: Sequence[Sequence[float]], ys: Sequence[bool]
) -> tuple[list[float], float]:
    """Return the weights and ceiling (1, 0.98, … 0.7) of the most likely capped curve.

    A ceiling below 1 is RTE declining a colour on days far above its threshold (keeping
    reds for a colder week, the March 2020 lockdown): a plain logistic would call them certain.
    The likelihood has one peak along the ceiling: the search stops once past it.
    """
    weights, loglik = logistic_fit(xs, ys)
    best = (1.0, weights, loglik)
    for step in range(1, 16):
        ceiling = 1.0 - 0.02 * step
        weights, loglik = logistic_fit(xs, ys, ceiling, start=weights)
        if loglik <= best[2]:
            break
        best = (ceiling, weights, loglik)
    return best[1], best[0]


def _reference_year(days: Sequence[CalibrationDay]) -> list[float]:
    """Net consumption by day of season from the latest year with it (mean where missing)."""
    values: list[float | None] = [None] * 366
    for item in sorted(days, key=lambda d: d.day, reverse=True)[: WINDOW + 1]:
        if item.net is not None and values[day_of_season(item.day) - 1] is None:
            values[day_of_season(item.day) - 1] = item.net
    known = [v for v in values if v is not None]
    if len(known) < WINDOW // 2:
        raise CalibrationError(f"only {len(known)} days of net consumption in the last year")
    # Holes: the nearest known day before (wrapping round the year).
    filled: list[float] = []
    for index in range(366):
        back = 0
        value = values[index]
        while value is None:
            back += 1
            value = values[index - back]
        filled.append(value)
    return filled


def _fill_from_other_years(history: Mapping[date, float]) -> dict[date, float]:
    """Fill each hole of the history (and the year before it) from the nearest year.

    The quantiles of the first season then come from its own year, not from the reference
    year (the latest), whose consumption may differ by several GW.
    """
    complete = dict(history)
    first, last = min(history), max(history)
    day = first - timedelta(days=WINDOW)
    while day <= last:
        if day not in complete:
            for years in (1, -1, 2, -2, 3, -3):
                other = history.get(day + timedelta(days=364 * years))  # same weekday
                if other is not None:
                    complete[day] = other
                    break
        day += ONE_DAY
    return complete


def calibrate(days: Sequence[CalibrationDay]) -> Parameters:
    """Fit every parameter on ``days`` (past days, any order, holes allowed)."""
    ordered = sorted(days, key=lambda d: d.day)
    if not ordered:
        raise CalibrationError("no day to calibrate on")
    history = {d.day: d.net for d in ordered if d.net is not None}
    colours = {d.day: d.colour for d in ordered if d.colour is not None}
    draft = Parameters(
        calibrated_from=ordered[0].day.isoformat(),
        calibrated_to=ordered[-1].day.isoformat(),
        red=(),
        white=(),
        red_ceiling=1.0,
        white_ceiling=1.0,
        red_forced=0.0,
        offset_sd_red=OFFSET_SD_RED,
        offset_sd_white=OFFSET_SD_WHITE,
        climate=(),
        persistence=(),
        anomaly_sd=0.0,
        monthly_spread=(),
        reference_net=tuple(_reference_year(ordered)),
        renewables_mean=(),
        renewables_change_sd=(),
        consumption_error=CONSUMPTION_ERROR,
    )
    complete = _fill_from_other_years(history)
    z = {day: normalisation(day, complete, draft).z(net) for day, net in history.items()}
    climate = least_squares([climate_terms(day) for day in z], list(z.values()))
    anomaly = {day: value - dot(climate, climate_terms(day)) for day, value in z.items()}
    persistence, anomaly_sd = _persistence(anomaly)
    decisions = _decisions(z, colours)
    renewables_mean, renewables_change_sd = _renewables(ordered)
    return Parameters(
        **{
            **draft.as_dict(),
            **decisions,
            "climate": tuple(climate),
            "persistence": tuple(persistence),
            "anomaly_sd": anomaly_sd,
            "monthly_spread": tuple(_monthly_spread(anomaly, anomaly_sd)),
            "reference_net": draft.reference_net,
            "renewables_mean": tuple(renewables_mean),
            "renewables_change_sd": tuple(renewables_change_sd),
            "consumption_error": CONSUMPTION_ERROR,
        }
    )


def _monthly_spread(anomaly: Mapping[date, float], anomaly_sd: float) -> list[float]:
    """Spread of the anomaly by month, relative to the winter's (cold months vary more)."""
    factors: list[float] = []
    for month in range(1, 13):
        values = [a for day, a in anomaly.items() if day.month == month]
        rms = math.sqrt(math.fsum(a * a for a in values) / len(values)) if values else anomaly_sd
        factors.append(rms / anomaly_sd)
    return factors


def _persistence(anomaly: Mapping[date, float]) -> tuple[list[tuple[float, float]], float]:
    """Damping and spread of the anomaly k days later (k = 1…10), regression through 0.

    The spread is kept non-decreasing with k (sampling noise can make a later lag look
    tighter), so the model's probabilities widen with the horizon.
    """
    winter = [a for day, a in anomaly.items() if day.month in WINTER]
    values = winter if len(winter) >= 30 else list(anomaly.values())
    anomaly_sd = math.sqrt(math.fsum(a * a for a in values) / len(values))
    result: list[tuple[float, float]] = []
    for gap in range(1, PERSISTENCE_DAYS + 1):
        pairs = [
            (a, later)
            for day, a in anomaly.items()
            if (later := anomaly.get(day + timedelta(days=gap))) is not None
            and (day + timedelta(days=gap)).month in WINTER
        ]
        if len(pairs) < 30:
            result.append((0.0, anomaly_sd))
            continue
        damping = math.fsum(a * b for a, b in pairs) / max(
            math.fsum(a * a for a, _ in pairs), 1e-12
        )
        spread = math.sqrt(math.fsum((b - damping * a) ** 2 for a, b in pairs) / len(pairs))
        # What is known never makes a later day more certain: the spread only grows.
        result.append((damping, max(spread, result[-1][1] if result else 0.0)))
    return result, anomaly_sd


def _decisions(z: Mapping[date, float], colours: Mapping[date, Colour]) -> dict[str, Any]:
    """Fit the red and white curves (weights, ceiling, covariance) and the forced-red share."""
    red_x: list[list[float]] = []
    red_y: list[bool] = []
    white_x: list[list[float]] = []
    white_y: list[bool] = []
    # Forced days by season: (days, red days).
    forced: dict[date, list[int]] = {}
    if not colours:
        raise CalibrationError("no Tempo colour to calibrate on")
    day = min(colours)
    stocks: Stocks = stocks_on(day, colours)
    last = max(colours)
    while day <= last:
        if day.month == 9 and day.day == 1:
            stocks = stocks_on(day, colours)
        colour = colours.get(day)
        value = z.get(day)
        if colour is not None and value is not None:
            if red_forced(day, stocks):
                counts = forced.setdefault(season_start(day), [0, 0])
                counts[0] += 1
                counts[1] += colour is Colour.RED
            elif stocks.red_allowed(day):
                red_x.append(red_features(value, day, stocks))
                red_y.append(colour is Colour.RED)
            if stocks.white_allowed(day) and colour is not Colour.RED:
                white_x.append(white_features(value, day, stocks))
                white_y.append(colour is Colour.WHITE)
        stocks = stocks.after(day, colour or Colour.BLUE)
        day += ONE_DAY
    if sum(red_y) < 5 or sum(white_y) < 5:
        raise CalibrationError("fewer than 5 red or white days with net consumption")
    red, red_ceiling = capped_logistic_fit(red_x, red_y)
    white, white_ceiling = capped_logistic_fit(white_x, white_y)
    return {
        "red": tuple(red),
        "red_ceiling": red_ceiling,
        "red_covariance": _rows(fisher_covariance(red_x, red, red_ceiling)),
        "white": tuple(white),
        "white_ceiling": white_ceiling,
        "white_covariance": _rows(fisher_covariance(white_x, white, white_ceiling)),
        "red_forced": spent_share(list(forced.values())),
    }


def spent_share(seasons: Sequence[Sequence[int]]) -> float:
    """Probability that a day that must be red is red, from ``(forced days, red ones)`` by season.

    A season's forced days are one decision (RTE spends its last reds or not): each season
    counts once, by the share of its forced days that were red, over a Beta prior.
    """
    alpha, beta = FORCED_PRIOR
    spent = math.fsum(red_days / days for days, red_days in seasons if days)
    return (spent + alpha) / (sum(1 for days, _ in seasons if days) + alpha + beta)


def _rows(matrix: Sequence[Sequence[float]]) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(row) for row in matrix)


def _renewables(days: Sequence[CalibrationDay]) -> tuple[list[float], list[float]]:
    """Mean wind + solar by month, and the spread of its change over 1…10 days (last 2 years)."""
    recent = {d.day: d.renewables for d in days[-2 * WINDOW :] if d.renewables is not None}
    by_month: list[list[float]] = [[] for _ in range(12)]
    for day, value in recent.items():
        by_month[day.month - 1].append(value)
    overall = math.fsum(recent.values()) / len(recent) if recent else 0.0
    means = [math.fsum(v) / len(v) if v else overall for v in by_month]
    spreads: list[float] = []
    for gap in range(1, PERSISTENCE_DAYS + 1):
        changes = [
            later - value
            for day, value in recent.items()
            if (later := recent.get(day + timedelta(days=gap))) is not None
        ]
        spread = math.sqrt(math.fsum(c * c for c in changes) / len(changes)) if changes else 0.0
        spreads.append(max(spread, spreads[-1] if spreads else 0.0))
    return means, spreads
