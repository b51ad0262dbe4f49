"""Tempo colour probabilities for the next days, from what RTE has published.

How RTE chooses (``reference/rte-forecast.md`` §3): the day's net consumption (consumption minus
wind and solar, RTE's own day-before forecast) is normalised by the 40 % and 80 % quantiles of
the last 365 days, ``z = (net - Q40) / (Q80 - Q40)``, and compared with two thresholds that fall
with the day of the season ``j`` and the stocks left: red above ``3.15 - 0.010 j - 0.031 red``,
else white above ``4 - 0.015 j - 0.026 (white + red)``, within the calendar rules (``rules``).

The model follows that rule with probabilities:

1. ``z`` of each coming day: exact for a day RTE forecast the day before; for a day further
   away, RTE's consumption forecast when given (with an error growing with its lead), else the
   season's usual ``z`` for that date and weekday plus the latest known anomaly, damped with
   the distance (persistence, fitted on past seasons).
2. For a known ``z``, two logistic curves fitted on past seasons around the two margins give
   P(red) and P(white | not red); this season's colours so far shift both curves (RTE's own
   normalisation differs a little from ours, season by season). A day where the reds left
   equal the days left to place them is red with a fitted probability (RTE spends its stock).
3. The uncertainty of ``z`` is integrated (quantile quadrature) and the stocks are carried
   from day to day over every way the coming days can turn out, so the calendar and stock
   rules hold exactly. A colour RTE has published is certain.

Pure Python, standard library only, no Home Assistant import, Python 3.11 syntax: the
backtest tool (``tools/tempo_backtest.py``) loads it with a plain ``python3``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
import json
import math
from pathlib import Path
from statistics import NormalDist
from typing import Any

from .rules import (
    ONE_DAY,
    RED_DAYS,
    WHITE_DAYS,
    Colour,
    Stocks,
    day_of_season,
    is_public_holiday,
    red_days_left,
    season_start,
    stocks_on,
)

PARAMETERS_FILE = Path(__file__).with_name("parameters.json")
HORIZON = 7
# Days of net consumption behind the quantiles (RTE: the last 365 days).
WINDOW = 365
# Quantiles of that window behind the normalisation (RTE: 40 % and 80 %).
LOW_SHARE, HIGH_SHARE = 0.4, 0.8
YEAR = 365.25
# Quantile nodes over which an uncertain z is integrated (equal weights).
NODES = 24
_STANDARD_NODES = tuple(NormalDist().inv_cdf((i + 0.5) / NODES) for i in range(NODES))
# Weight of red when choosing the colour to announce: a red day announced white costs a
# household more (nothing prepared) than a white day announced red. With 1.2, a day that can
# only be white or red is announced red from 45.5 %. Chosen once by cross-validation
# (docs/tempo-forecast.md), not refitted per season.
RED_WEIGHT = 1.2
# Coefficients of RTE's published thresholds (2016 method).
RED_THRESHOLD = (3.15, 0.010, 0.031)
WHITE_THRESHOLD = (4.0, 0.015, 0.026)


def red_threshold(season_day: int, red_left: int) -> float:
    """RTE's red threshold on normalised net consumption."""
    base, per_day, per_red = RED_THRESHOLD
    return base - per_day * season_day - per_red * red_left


def white_threshold(season_day: int, white_left: int, red_left: int) -> float:
    """RTE's white-or-red threshold on normalised net consumption."""
    base, per_day, per_stock = WHITE_THRESHOLD
    return base - per_day * season_day - per_stock * (white_left + red_left)


def red_features(z: float, day: date, stocks: Stocks) -> list[float]:
    """Return the red curve's inputs: margin over the threshold, weekday, pace of reds left."""
    weekday = day.weekday()
    days_left = red_days_left(day)
    return [
        1.0,
        z - red_threshold(day_of_season(day), stocks.red),
        float(weekday == 0),
        float(weekday == 4),
        stocks.red / days_left if days_left else 0.0,
    ]


def white_features(z: float, day: date, stocks: Stocks) -> list[float]:
    """Return the white curve's inputs: margin over the white threshold and the weekday."""
    weekday = day.weekday()
    return [
        1.0,
        z - white_threshold(day_of_season(day), stocks.white, stocks.red),
        float(weekday == 0),
        float(weekday == 4),
        float(weekday == 5),
    ]


def red_forced(day: date, stocks: Stocks) -> bool:
    """Whether the reds left fill every day left to place them (RTE must spend them)."""
    return stocks.red_allowed(day) and stocks.red >= red_days_left(day)


def climate_terms(day: date) -> list[float]:
    """Return the inputs of a date's usual ``z``: yearly harmonics, weekday, holidays."""
    angle = 2 * math.pi * day_of_season(day) / YEAR
    weekday = day.weekday()
    christmas = (day.month == 12 and day.day >= 21) or (day.month == 1 and day.day <= 3)
    return [
        1.0,
        math.cos(angle),
        math.sin(angle),
        math.cos(2 * angle),
        math.sin(2 * angle),
        math.cos(3 * angle),
        math.sin(3 * angle),
        float(weekday == 0),
        float(weekday == 4),
        float(weekday == 5),
        float(weekday == 6),
        float(is_public_holiday(day)),
        float(christmas),
    ]


def logistic(x: float) -> float:
    """1 / (1 + e^-x), without overflow."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def dot(weights: Sequence[float], values: Sequence[float]) -> float:
    """Scalar product."""
    return math.fsum(w * v for w, v in zip(weights, values, strict=True))


def quantile(ordered: Sequence[float], share: float) -> float:
    """Quantile of sorted values with linear interpolation (numpy's default)."""
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Parameters:
    """Everything calibrated on past seasons (``parameters.json``), see ``calibration``."""

    calibrated_from: str
    calibrated_to: str
    red: tuple[float, ...]
    white: tuple[float, ...]
    # Highest probability of each curve (RTE sometimes declines a colour far above threshold).
    red_ceiling: float
    white_ceiling: float
    red_forced: float
    offset_sd_red: float
    offset_sd_white: float
    climate: tuple[float, ...]
    # (damping, spread) of the z anomaly 1, 2, … days after the latest known one.
    persistence: tuple[tuple[float, float], ...]
    anomaly_sd: float
    # Spread of the anomaly by month (January first), relative to ``anomaly_sd`` (winter's).
    monthly_spread: tuple[float, ...]
    # Net consumption (mean MW) by day of season: fills the quantile window's holes.
    reference_net: tuple[float, ...]
    # Wind + solar (mean MW) by month, and the spread of its change over 1, 2, … days.
    renewables_mean: tuple[float, ...]
    renewables_change_sd: tuple[float, ...]
    # Error (MW) of RTE's consumption forecast by lead 1, 2, … days, beyond the day-before one.
    consumption_error: tuple[float, ...] = field(default=())
    # Covariance of the curves' weights (their uncertainty is integrated; empty: none).
    red_covariance: tuple[tuple[float, ...], ...] = field(default=())
    white_covariance: tuple[tuple[float, ...], ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Parameters:
        """Read the JSON form back."""
        values = dict(data)
        for key in ("persistence", "red_covariance", "white_covariance"):
            values[key] = tuple(tuple(row) for row in values.get(key, ()))
        for key in (
            "red",
            "white",
            "climate",
            "monthly_spread",
            "reference_net",
            "renewables_mean",
            "renewables_change_sd",
            "consumption_error",
        ):
            values[key] = tuple(values.get(key, ()))
        return cls(**values)


def load_parameters(path: Path | None = None) -> Parameters:
    """Read the committed parameters (blocking file read: run it in an executor)."""
    source = path or PARAMETERS_FILE
    return Parameters.from_dict(json.loads(source.read_text(encoding="utf-8")))


@dataclass(frozen=True, slots=True)
class DayInputs:
    """RTE's forecasts for one day (daily means, MW); ``lead`` days between issue and day."""

    consumption: float | None = None
    wind: float | None = None
    solar: float | None = None
    lead: int = 1

    @property
    def renewables(self) -> float | None:
        """Wind plus solar, when the wind is known (solar alone is small and seasonal)."""
        if self.wind is None:
            return None
        return self.wind + (self.solar or 0.0)


@dataclass(frozen=True)
class ForecastInputs:
    """What is known on ``today`` (the Tempo day the forecast is made, before RTE publishes).

    ``colours``: RTE's published colours (this season's give the stocks; a coming day
    already published is certain). ``history``: net consumption (mean MW, consumption minus
    wind and solar) of past days, as RTE forecast it the day before or as realised; it sets
    the normalisation and the latest anomaly. ``forecasts``: RTE's forecasts for coming days.
    """

    today: date
    colours: Mapping[date, Colour] = field(default_factory=dict)
    history: Mapping[date, float] = field(default_factory=dict)
    forecasts: Mapping[date, DayInputs] = field(default_factory=dict)


def make_inputs(
    today: date,
    *,
    colours: Mapping[date, object] | None = None,
    history: Mapping[date, float] | None = None,
    consumption: Mapping[date, tuple[float, int]] | None = None,
    wind: Mapping[date, float] | None = None,
    solar: Mapping[date, float] | None = None,
) -> ForecastInputs:
    """Build the inputs from plain tables, as a caller holding RTE's answers has them.

    ``colours``: RTE's colours by day (``BLUE``, ``white``, ``ROUGE``… anything else is
    ignored); ``history``: past net consumption (mean MW); ``consumption``: RTE's forecast
    daily means (MW) with their lead in days (1 = made the day before); ``wind``/``solar``:
    forecast daily means (MW, onshore + offshore for the wind).
    """
    parsed = {day: c for day, value in (colours or {}).items() if (c := Colour.parse(value))}
    consumption, wind, solar = consumption or {}, wind or {}, solar or {}
    forecasts = {
        day: DayInputs(
            consumption=consumption[day][0] if day in consumption else None,
            wind=wind.get(day),
            solar=solar.get(day),
            lead=consumption[day][1] if day in consumption else 1,
        )
        for day in {*consumption, *wind}
    }
    return ForecastInputs(today, parsed, dict(history or {}), forecasts)


def expected_colour(blue: float, white: float, red: float) -> Colour:
    """Return the colour to announce: the likeliest once red is weighted by ``RED_WEIGHT``.

    Ties go to the milder colour (blue, then white). Used by the entities, the action and the
    backtest alike, so the scores measure what users see.
    """
    weighted_red = red * RED_WEIGHT
    best = max(blue, white, weighted_red)
    if blue == best:
        return Colour.BLUE
    return Colour.WHITE if white == best else Colour.RED


@dataclass(frozen=True, slots=True)
class DayForecast:
    """Probabilities of one day's colour; ``official`` when RTE has published it."""

    day: date
    blue: float
    white: float
    red: float
    official: bool = False

    @property
    def most_likely(self) -> Colour:
        """The colour to expect (``expected_colour``: red weighted by ``RED_WEIGHT``)."""
        return expected_colour(self.blue, self.white, self.red)

    def probability(self, colour: Colour) -> float:
        """Probability of ``colour``."""
        return {Colour.BLUE: self.blue, Colour.WHITE: self.white, Colour.RED: self.red}[colour]

    def as_dict(self) -> dict[str, Any]:
        """Return the action's form: ``{date, blue, white, red, most_likely, official}``."""
        return {
            "date": self.day.isoformat(),
            "blue": round(self.blue, 4),
            "white": round(self.white, 4),
            "red": round(self.red, 4),
            "most_likely": str(self.most_likely),
            "official": self.official,
        }


@dataclass(frozen=True, slots=True)
class Normalisation:
    """The 40 % and 80 % quantiles of the window; ``filled`` days came from the reference year."""

    q40: float
    q80: float
    filled: int

    def z(self, net: float) -> float:
        """Normalised net consumption."""
        return (net - self.q40) / (self.q80 - self.q40)

    @property
    def scale(self) -> float:
        """MW per unit of z."""
        return self.q80 - self.q40


def normalisation(
    first_day: date, history: Mapping[date, float], params: Parameters
) -> Normalisation:
    """Quantiles of the 365 days before ``first_day``, holes filled from the reference year."""
    values: list[float] = []
    filled = 0
    for back in range(1, WINDOW + 1):
        day = first_day - timedelta(days=back)
        net = history.get(day)
        if net is None or not math.isfinite(net):
            net = params.reference_net[day_of_season(day) - 1]
            filled += 1
        values.append(net)
    values.sort()
    q40, q80 = quantile(values, LOW_SHARE), quantile(values, HIGH_SHARE)
    if q80 - q40 < 1.0:  # degenerate history: keep a sane scale
        q80 = q40 + 1.0
    return Normalisation(q40, q80, filled)


@dataclass(frozen=True, slots=True)
class Spread:
    """A normal distribution of z."""

    mean: float
    sd: float

    def nodes(self) -> Sequence[float]:
        """Values standing for the distribution, equal weights."""
        if self.sd <= 1e-9:
            return (self.mean,)
        return [self.mean + self.sd * node for node in _STANDARD_NODES]


def usual_z(day: date, params: Parameters) -> float:
    """Return the season's usual normalised net consumption for that date and weekday."""
    return dot(params.climate, climate_terms(day))


class _Forecaster:
    """One forecast run: the normalisation, the anomalies, the season's offsets."""

    def __init__(self, inputs: ForecastInputs, params: Parameters) -> None:
        self.inputs = inputs
        self.params = params
        self.first_day = inputs.today + ONE_DAY
        self.norm = normalisation(self.first_day, inputs.history, params)
        self.anchor = self._anchor()
        self.offsets = self._season_offsets()

    def net_forecast(self, day: date) -> tuple[float, float] | None:
        """RTE's forecast net consumption of ``day`` and its extra error (MW), or None."""
        given = self.inputs.forecasts.get(day)
        if given is None or given.consumption is None:
            return None
        error = self._consumption_error(given.lead)
        renewables = given.renewables
        if renewables is None:
            renewables, spread = self._renewables_guess(day)
            error = math.hypot(error, spread)
        return given.consumption - renewables, error

    def _consumption_error(self, lead: int) -> float:
        errors = self.params.consumption_error
        if lead <= 1 or not errors:
            return 0.0
        return errors[min(lead, len(errors)) - 1]

    def _renewables_guess(self, day: date) -> tuple[float, float]:
        """Wind + solar of a day RTE gave none for: the latest known, else the month's mean."""
        changes = self.params.renewables_change_sd
        for back in range(1, len(changes) + 1):
            given = self.inputs.forecasts.get(day - timedelta(days=back))
            if given is not None and given.renewables is not None:
                return given.renewables, changes[back - 1]
        return self.params.renewables_mean[day.month - 1], changes[-1]

    def _anchor(self) -> tuple[date, float] | None:
        """Return the latest day with a known net consumption, and its anomaly."""
        persistence = len(self.params.persistence)
        for back in range(-1, persistence):
            day = self.inputs.today - timedelta(days=back)
            forecast = self.net_forecast(day) if back < 1 else None
            if forecast is not None and forecast[1] == 0.0:
                net: float | None = forecast[0]
            else:
                net = self.inputs.history.get(day)
            if net is not None and math.isfinite(net):
                return day, self.norm.z(net) - usual_z(day, self.params)
        return None

    def spread(self, day: date) -> Spread:
        """Distribution of ``z`` on ``day``."""
        usual = usual_z(day, self.params)
        persisted = self._persisted(day, usual)
        forecast = self.net_forecast(day)
        if forecast is None:
            return persisted
        given = Spread(self.norm.z(forecast[0]), forecast[1] / self.norm.scale)
        if given.sd == 0.0 or given.sd >= persisted.sd:
            return given
        # Both guesses: weigh them by their precision (RTE's forecast dominates when close).
        w_given, w_persisted = 1 / given.sd**2, 1 / persisted.sd**2
        mean = (given.mean * w_given + persisted.mean * w_persisted) / (w_given + w_persisted)
        return Spread(mean, (w_given + w_persisted) ** -0.5)

    def _persisted(self, day: date, usual: float) -> Spread:
        params = self.params
        month = params.monthly_spread[day.month - 1]
        if self.anchor is None:
            return Spread(usual, params.anomaly_sd * month)
        anchor_day, anomaly = self.anchor
        gap = (day - anchor_day).days
        if gap <= 0:
            return Spread(usual + anomaly, 0.0)
        if gap > len(params.persistence):
            return Spread(usual, params.anomaly_sd * month)
        damping, spread = params.persistence[gap - 1]
        return Spread(usual + damping * anomaly, spread * month)

    def _season_offsets(self) -> tuple[Offset, Offset]:
        """Shifts of the red and white curves that fit this season's colours so far."""
        params, inputs = self.params, self.inputs
        red_rows: list[tuple[float, bool]] = []
        white_rows: list[tuple[float, bool]] = []
        day = season_start(self.first_day)
        stocks = Stocks(RED_DAYS, WHITE_DAYS)
        while day < self.first_day:
            colour = inputs.colours.get(day)
            net = inputs.history.get(day)
            if colour is not None and net is not None and math.isfinite(net):
                z = self.norm.z(net)
                if stocks.red_allowed(day) and not red_forced(day, stocks):
                    score = dot(params.red, red_features(z, day, stocks))
                    red_rows.append((score, colour is Colour.RED))
                if stocks.white_allowed(day) and colour is not Colour.RED:
                    score = dot(params.white, white_features(z, day, stocks))
                    white_rows.append((score, colour is Colour.WHITE))
            stocks = stocks.after(day, colour or Colour.BLUE)
            day += ONE_DAY
        return (
            season_offset(red_rows, params.offset_sd_red, params.red_ceiling),
            season_offset(white_rows, params.offset_sd_white, params.white_ceiling),
        )

    def probabilities(
        self, day: date, stocks: Stocks, nodes: Sequence[float]
    ) -> tuple[float, float, float]:
        """P(blue), P(white), P(red) of ``day`` from these stocks and the z nodes."""
        params = self.params
        red_offset, white_offset = self.offsets
        forced = red_forced(day, stocks)
        red_ok = stocks.red_allowed(day) and not forced
        white_ok = stocks.white_allowed(day)
        red_curve = _Curve(
            params.red, red_features(0.0, day, stocks), red_offset, params.red_covariance
        )
        white_curve = _Curve(
            params.white, white_features(0.0, day, stocks), white_offset, params.white_covariance
        )
        red = white = 0.0
        for z in nodes:
            p_red = params.red_forced if forced else 0.0
            if red_ok:
                p_red = params.red_ceiling * red_curve.probability(z)
            if white_ok:
                white += (1.0 - p_red) * params.white_ceiling * white_curve.probability(z)
            red += p_red
        red /= len(nodes)
        white /= len(nodes)
        return max(0.0, 1.0 - red - white), white, red

    def run(self, days: int) -> list[DayForecast]:
        """Forecasts of the ``days`` days after today, stocks carried over every outcome."""
        colours = self.inputs.colours
        states: dict[Stocks, float] = {stocks_on(self.first_day, colours): 1.0}
        results: list[DayForecast] = []
        for offset in range(days):
            day = self.first_day + timedelta(days=offset)
            published = colours.get(day)
            if published is not None:
                results.append(
                    DayForecast(
                        day,
                        float(published is Colour.BLUE),
                        float(published is Colour.WHITE),
                        float(published is Colour.RED),
                        official=True,
                    )
                )
                states = _merge((s.after(day, published), p) for s, p in states.items())
                continue
            nodes = self.spread(day).nodes()
            blue = white = red = 0.0
            following: list[tuple[Stocks, float]] = []
            for stocks, weight in states.items():
                p_blue, p_white, p_red = self.probabilities(day, stocks, nodes)
                blue += weight * p_blue
                white += weight * p_white
                red += weight * p_red
                for colour, p in (
                    (Colour.BLUE, p_blue),
                    (Colour.WHITE, p_white),
                    (Colour.RED, p_red),
                ):
                    if p > 0.0:
                        following.append((stocks.after(day, colour), weight * p))
            states = _merge(following)
            total = blue + white + red
            results.append(DayForecast(day, blue / total, white / total, red / total))
        return results


def _merge(items: Any) -> dict[Stocks, float]:
    merged: dict[Stocks, float] = {}
    for stocks, weight in items:
        merged[stocks] = merged.get(stocks, 0.0) + weight
    return merged


@dataclass(frozen=True, slots=True)
class Offset:
    """Shift of a logistic curve for this season: most probable value and its variance."""

    mean: float
    variance: float


class _Curve:
    """One curve at z, the uncertainty of its score integrated (probit approximation).

    The score is ``w.x + offset``: the features ``x`` depend on z only through the margin
    (index 1), so the score's mean is a line in z and its variance (weights' covariance plus
    the offset's variance) a parabola; each z then costs one logistic.
    """

    def __init__(
        self,
        weights: Sequence[float],
        features: Sequence[float],
        offset: Offset,
        covariance: Sequence[Sequence[float]],
    ) -> None:
        self.base = dot(weights, features) + offset.mean
        self.slope = weights[1]
        self.var0 = offset.variance
        self.var1 = self.var2 = 0.0
        if covariance:
            row = [dot(line, features) for line in covariance]
            self.var0 += dot(features, row)
            self.var1 = 2.0 * row[1]
            self.var2 = covariance[1][1]

    def probability(self, z: float) -> float:
        """P at z: logistic of the mean score, flattened by its variance (MacKay 1992)."""
        variance = max(self.var0 + z * (self.var1 + z * self.var2), 0.0)
        return logistic((self.base + self.slope * z) / math.sqrt(1.0 + math.pi * variance / 8.0))


def season_offset(
    rows: Sequence[tuple[float, bool]], prior_sd: float, ceiling: float = 1.0, steps: int = 12
) -> Offset:
    """Posterior (Laplace) of the shift of a curve ``ceiling * logistic(score)``.

    ``rows``: (score, outcome) of the season's days so far; prior N(0, ``prior_sd``²).
    """
    if prior_sd <= 0:
        return Offset(0.0, 0.0)
    offset = 0.0
    precision = 1.0 / prior_sd**2
    information = precision
    for _ in range(steps):
        gradient = -offset * precision
        information = precision
        for score, outcome in rows:
            s = logistic(score + offset)
            p = min(max(ceiling * s, 1e-12), 1.0 - 1e-12)
            slope = ceiling * s * (1.0 - s)
            gradient += (float(outcome) - p) * slope / (p * (1.0 - p))
            information += slope * slope / (p * (1.0 - p))
        step = gradient / information
        offset += step
        if abs(step) < 1e-6:
            break
    return Offset(offset, 1.0 / information)


def forecast(inputs: ForecastInputs, params: Parameters, days: int = HORIZON) -> list[DayForecast]:
    """Probabilities of the colours of the ``days`` days after ``inputs.today``."""
    return _Forecaster(inputs, params).run(days)


def normalisation_filled(inputs: ForecastInputs, params: Parameters) -> int:
    """How many of the 365 days behind the quantiles had no net consumption (diagnostics)."""
    return normalisation(inputs.today + ONE_DAY, inputs.history, params).filled
