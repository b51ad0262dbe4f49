"""Backtest of the Tempo forecast on RTE's real seasons, walking forward day by day.

    python -m tools.tempo_backtest --data DIR --start YYYY-MM-DD --end YYYY-MM-DD

Reads every ``rte_daily_*.csv``, ``tempo_*.csv``, ``france_mean_temperature_*.csv`` and
``rte_wind_solar_forecast_d1_*.csv`` of DIR (columns of ``reference/data/tempo/``), then for
each day T from ``start - 7`` forecasts T+1…T+7 with only what was known on the morning of T:
the colours up to T (so the stocks), RTE's day-before forecasts of the days up to T+1
(consumption, wind, solar), the realised values up to T-1. The model is fitted once on the days
before the first T (``start - 7``, so before ``--start`` too); ``--recalibrate-yearly`` fits it
again each 1 September on every day before it (expanding-window cross-validation);
``--leave-one-season-out`` forecasts each season with a fit on every other season of the files
(a stability check, not a forecast: those fits see later seasons). The files hold no forecast
further than the next day: days 2-7 rest on persistence and the calendar, where Home Assistant
also has RTE's 2-9 day forecasts. Prints one JSON object on stdout (per horizon 1…7: accuracy,
precision and recall of red and white, Brier score, reliability) for the model and three
baselines (always blue, RTE's rule with its 2016 fixed normalisation, climatology per calendar
week), every forecaster's announced colour chosen by the model's rule; the calibrations used,
the model's day-1 figures season by season and the missing inputs go to stderr.

Runs with any Python ≥ 3.11, standard library only: the model modules are loaded from their
files, without importing the integration package (whose ``__init__`` imports Home Assistant).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
import csv
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import importlib
import json
import math
from pathlib import Path
import sys
import types
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FORECAST_DIR = REPO / "custom_components" / "delestage" / "forecast"
_PACKAGE = "_delestage_tempo_forecast"
CLIMATOLOGY_FILE = Path(__file__).with_name("tempo_climatology.json")


def load_forecast_modules() -> tuple[types.ModuleType, types.ModuleType, types.ModuleType]:
    """The ``rules``, ``model`` and ``calibration`` modules, without the integration package.

    When the package's own modules are already imported (inside Home Assistant or the test
    suite), they are reused: one copy of each class, and coverage sees the package's names.
    """
    names = ("rules", "model", "calibration")
    real = [sys.modules.get(f"custom_components.delestage.forecast.{name}") for name in names]
    if all(module is not None for module in real):
        return real[0], real[1], real[2]  # type: ignore[return-value]
    if _PACKAGE not in sys.modules:
        package = types.ModuleType(_PACKAGE)
        package.__path__ = [str(FORECAST_DIR)]
        sys.modules[_PACKAGE] = package
    rules_, model_, calibration_ = (importlib.import_module(f"{_PACKAGE}.{name}") for name in names)
    return rules_, model_, calibration_


rules, model, calibration = load_forecast_modules()
Colour = rules.Colour
COLOURS = (Colour.BLUE, Colour.WHITE, Colour.RED)
HORIZONS = range(1, 8)
# The forecasters scored, in the JSON's order.
NAMES = ("model", "always_blue", "rule_2016", "climatology")
ONE_DAY = timedelta(days=1)
# Daily files hold 12 x the day's mean MW (SOURCES.md).
DAILY_FACTOR = 12.0
# Plausible daily means (MW): outside, a value is a hole (a zero not consolidated, a partial day).
CONSUMPTION_RANGE = (25_000.0, 110_000.0)
RENEWABLES_RANGE = (0.0, 80_000.0)
# A realised day farther than this from RTE's forecast of it is partial.
PARTIAL_GAP = 0.25
# Hours needed to average an hourly forecast into a daily one.
MIN_HOURS = 20
# RTE's 2016 fixed normalisation (the baseline).
FIXED_OFFSET, FIXED_SCALE = 46_050.0, 2_160.0


# ----------------------------------------------------------------------------- reading the files


@dataclass(slots=True)
class DayData:
    """What the files say of one day (mean MW), None when missing."""

    colour: Any = None
    consumption: float | None = None
    consumption_forecast: float | None = None
    wind: float | None = None
    solar: float | None = None
    wind_forecast: float | None = None
    solar_forecast: float | None = None
    temperature: float | None = None


@dataclass
class Dataset:
    """Every day of the files, and what had to be ignored."""

    days: dict[date, DayData] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)

    def get(self, day: date) -> DayData:
        """The data of ``day`` (created empty)."""
        return self.days.setdefault(day, DayData())


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _in_range(value: float | None, bounds: tuple[float, float]) -> float | None:
    if value is None or not bounds[0] <= value <= bounds[1]:
        return None
    return value


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def read_data(directory: Path) -> Dataset:
    """Read the four kinds of files of ``directory``; bad rows and values are skipped."""
    data = Dataset()
    for path in sorted(directory.glob("tempo_*.csv")):
        data.files.append(path.name)
        for row in _rows(path):
            day, colour = _date(row.get("Date")), Colour.parse(row.get("tempo_type"))
            if day is None or colour is None:
                data.rejected["tempo rows"] += 1
                continue
            data.get(day).colour = colour
    for path in sorted(directory.glob("rte_daily_*.csv")):
        data.files.append(path.name)
        for row in _rows(path):
            _read_daily_row(data, row)
    for path in sorted(directory.glob("france_mean_temperature_*.csv")):
        data.files.append(path.name)
        for row in _rows(path):
            day, value = _date(row.get("AAAAMMJJ")), _number(row.get("0"))
            if day is None or value is None or not -30.0 <= value <= 45.0:
                data.rejected["temperature rows"] += 1
                continue
            data.get(day).temperature = value
    for path in sorted(directory.glob("rte_wind_solar_forecast_d1_*.csv")):
        data.files.append(path.name)
        _read_hourly_forecasts(data, _rows(path))
    return data


def _read_daily_row(data: Dataset, row: Mapping[str, str]) -> None:
    day = _date(row.get("Date"))
    if day is None:
        data.rejected["daily rows"] += 1
        return
    item = data.get(day)
    if item.colour is None:
        item.colour = Colour.parse(row.get("type_tempo"))

    def mean(column: str, bounds: tuple[float, float]) -> float | None:
        value = _number(row.get(column))
        return _in_range(None if value is None else value / DAILY_FACTOR, bounds)

    forecast = mean("Prévision_J-1", CONSUMPTION_RANGE)
    realised = mean("Consommation", CONSUMPTION_RANGE)
    if realised is not None and forecast is not None and abs(realised / forecast - 1) > PARTIAL_GAP:
        realised = None  # a partial day
    item.consumption_forecast = forecast if forecast is not None else item.consumption_forecast
    item.consumption = realised if realised is not None else item.consumption
    wind, solar = mean("Eolien", RENEWABLES_RANGE), mean("Solaire", RENEWABLES_RANGE)
    item.wind = wind if wind is not None else item.wind
    item.solar = solar if solar is not None else item.solar


def _read_hourly_forecasts(data: Dataset, rows: Iterator[dict[str, str]]) -> None:
    hours: dict[date, list[tuple[float | None, float | None]]] = {}
    for row in rows:
        try:
            start = datetime.fromisoformat(row.get("start_date", "").strip())
        except ValueError:
            data.rejected["wind/solar forecast rows"] += 1
            continue
        wind = _in_range(_number(row.get("EOLIEN_FORECAST_D1")), RENEWABLES_RANGE)
        solar = _in_range(_number(row.get("SOLAR_FORECAST_D1")), RENEWABLES_RANGE)
        hours.setdefault(start.date(), []).append((wind, solar))
    for day, values in hours.items():
        winds = [w for w, _ in values if w is not None]
        solars = [s for _, s in values if s is not None]
        item = data.get(day)
        if len(winds) >= MIN_HOURS:
            item.wind_forecast = math.fsum(winds) / len(winds)
        if len(solars) >= MIN_HOURS:
            item.solar_forecast = math.fsum(solars) / len(solars)
        elif len(winds) >= MIN_HOURS and not solars:
            item.solar_forecast = 0.0  # before 2014-12-16 RTE forecast no solar


# ----------------------------------------------------------------------------- what is known when


def forecast_net(item: DayData) -> float | None:
    """Net consumption of the day as RTE forecast it the day before."""
    if item.consumption_forecast is None or item.wind_forecast is None:
        return None
    return item.consumption_forecast - item.wind_forecast - (item.solar_forecast or 0.0)


def realised_net(item: DayData) -> float | None:
    """Realised net consumption of the day."""
    if item.consumption is None or item.wind is None:
        return None
    return item.consumption - item.wind - (item.solar or 0.0)


@dataclass(frozen=True, slots=True)
class Period:
    """Days from ``first`` to ``last``, both included."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


class KnownOn(Mapping[date, Any]):
    """A day → value table seen from day ``today``: days after it hidden, and ``today``'s only
    when known that morning (``early``)."""

    def __init__(self, late: Mapping[date, Any], early: Mapping[date, Any], today: date) -> None:
        self._late, self._early, self.today = late, early, today

    def __getitem__(self, day: date) -> Any:
        if day > self.today:
            raise KeyError(day)
        if day == self.today:
            return self._early[day]
        if day in self._early:
            return self._early[day]
        return self._late[day]

    def __iter__(self) -> Iterator[date]:
        return (d for d in sorted({*self._late, *self._early}) if d in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, day: object) -> bool:
        try:
            self[day]  # type: ignore[index]
        except KeyError:
            return False
        return True


@dataclass
class Views:
    """The dataset as the model reads it."""

    colours: dict[date, Any]
    forecast_net: dict[date, float]
    realised_net: dict[date, float]
    renewables: dict[date, float]

    @classmethod
    def of(cls, data: Dataset) -> Views:
        colours = {d: i.colour for d, i in data.days.items() if i.colour is not None}
        fc = {d: v for d, i in data.days.items() if (v := forecast_net(i)) is not None}
        real = {d: v for d, i in data.days.items() if (v := realised_net(i)) is not None}
        ren: dict[date, float] = {}
        for d, i in data.days.items():
            if i.wind_forecast is not None:
                ren[d] = i.wind_forecast + (i.solar_forecast or 0.0)
            elif i.wind is not None:
                ren[d] = i.wind + (i.solar or 0.0)
        return cls(colours, fc, real, ren)

    def inputs(self, data: Dataset, today: date) -> Any:
        """The model's inputs on the morning of ``today``."""
        tomorrow = today + ONE_DAY
        item = data.days.get(tomorrow)
        forecasts = {}
        if item is not None and (
            item.consumption_forecast is not None or item.wind_forecast is not None
        ):
            forecasts[tomorrow] = model.DayInputs(
                consumption=item.consumption_forecast,
                wind=item.wind_forecast,
                solar=item.solar_forecast if item.wind_forecast is not None else None,
                lead=1,
            )
        return model.ForecastInputs(
            today=today,
            colours=KnownOn(self.colours, self.colours, today),
            history=KnownOn(self.realised_net, self.forecast_net, today),
            forecasts=forecasts,
        )

    def calibration_days(self, before: date, leave_out: Period | None = None) -> list[Any]:
        """Every day before ``before`` (and outside ``leave_out``), for calibration."""
        days = sorted(
            d
            for d in {*self.colours, *self.forecast_net, *self.realised_net}
            if d < before and (leave_out is None or d not in leave_out)
        )
        return [
            calibration.CalibrationDay(
                day=d,
                colour=self.colours.get(d),
                net=self.forecast_net.get(d, self.realised_net.get(d)),
                renewables=self.renewables.get(d),
            )
            for d in days
        ]


# ----------------------------------------------------------------------------- baselines


def rule_2016(views: Views, inputs: Any) -> list[tuple[float, float, float]]:
    """RTE's rule with its fixed 2016 normalisation; the latest known net consumption repeated."""
    today = inputs.today
    latest = None
    for back in range(-1, 30):
        day = today - timedelta(days=back)
        value = views.forecast_net.get(day) if back <= 0 else inputs.history.get(day)
        if value is not None:
            latest = value
            break
    stocks = rules.stocks_on(today + ONE_DAY, inputs.colours)
    result = []
    for h in HORIZONS:
        day = today + timedelta(days=h)
        colour = Colour.BLUE
        if latest is not None:
            z = (latest - FIXED_OFFSET) / FIXED_SCALE
            season_day = rules.day_of_season(day)
            if z > model.red_threshold(season_day, stocks.red) and stocks.red_allowed(day):
                colour = Colour.RED
            elif z > model.white_threshold(
                season_day, stocks.white, stocks.red
            ) and stocks.white_allowed(day):
                colour = Colour.WHITE
        stocks = stocks.after(day, colour)
        result.append(tuple(float(colour is c) for c in COLOURS))
    return result


def week_of(day: date) -> int:
    """Calendar (ISO) week number."""
    return day.isocalendar()[1]


def climatology_of(table: Mapping[int, tuple[float, float, float]], day: date) -> Any:
    """Climatology of a day's week (week 53, rare, borrows week 52's; no data: blue)."""
    week = week_of(day)
    return table.get(week) or table.get(week - 1) or (1.0, 0.0, 0.0)


def climatology_table(
    colours: Mapping[date, Any], before: date, leave_out: Period | None = None
) -> dict[int, tuple[float, float, float]]:
    """Share of each colour by calendar week, over the days before ``before`` (outside
    ``leave_out``)."""
    counts: dict[int, Counter[Any]] = {}
    for day, colour in colours.items():
        if day < before and (leave_out is None or day not in leave_out):
            counts.setdefault(week_of(day), Counter())[colour] += 1
    table = {}
    for week, counter in counts.items():
        total = sum(counter.values())
        table[week] = tuple(counter[c] / total for c in COLOURS)
    return table


# ----------------------------------------------------------------------------- scores


@dataclass
class Score:
    """Forecasts at one horizon, against what RTE published."""

    forecasts: list[tuple[tuple[float, float, float], int]] = field(default_factory=list)

    def add(self, probabilities: Sequence[float], actual: Any) -> None:
        total = sum(probabilities)
        normalised = tuple(p / total for p in probabilities) if total > 0 else (1.0, 0.0, 0.0)
        self.forecasts.append((normalised, COLOURS.index(actual)))  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, Any]:
        days = len(self.forecasts)
        picks = [(_expected(p), actual) for p, actual in self.forecasts]
        result: dict[str, Any] = {
            "days": days,
            "accuracy": _ratio(sum(pick == actual for pick, actual in picks), days),
        }
        for index, name in ((1, "white"), (2, "red")):
            hits = sum(pick == actual == index for pick, actual in picks)
            result[f"{name}_precision"] = _ratio(hits, sum(pick == index for pick, _ in picks))
            result[f"{name}_recall"] = _ratio(hits, sum(actual == index for _, actual in picks))
        result["brier"] = _ratio(
            math.fsum(
                sum((p[i] - (actual == i)) ** 2 for i in range(3)) for p, actual in self.forecasts
            ),
            days,
        )
        result["reliability"] = self.reliability()
        return result

    def reliability(self) -> list[dict[str, Any]]:
        """Observed frequency per 10 % bin of the red and white probabilities, pooled."""
        bins = [[0, 0] for _ in range(10)]
        for p, actual in self.forecasts:
            for index in (1, 2):
                slot = min(int(p[index] * 10 + 1e-9), 9)
                bins[slot][0] += 1
                bins[slot][1] += actual == index
        return [
            {
                "from": round(i / 10, 1),
                "to": round((i + 1) / 10, 1),
                "forecasts": count,
                "observed": _ratio(hits, count),
            }
            for i, (count, hits) in enumerate(bins)
        ]


def _expected(p: Sequence[float]) -> int:
    """Index of the colour a forecast announces (the model's rule, for every forecaster)."""
    return COLOURS.index(model.expected_colour(p[0], p[1], p[2]))


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 4)


# ----------------------------------------------------------------------------- the walk


@dataclass
class Calibrated:
    """Parameters and the climatology of one calibration."""

    params: Any
    climatology: dict[int, tuple[float, float, float]]
    source: str


def calibrate(views: Views, before: date, log: Callable[[str], None]) -> Calibrated:
    """Fit on the days before ``before``; the shipped parameters when the files hold too few."""
    climatology = climatology_table(views.colours, before)
    try:
        params = calibration.calibrate(views.calibration_days(before))
        source = f"fitted on {params.calibrated_from}…{params.calibrated_to}"
    except calibration.CalibrationError as err:
        params = model.load_parameters()
        if date.fromisoformat(params.calibrated_to) >= before:
            raise SystemExit(
                f"Cannot calibrate on the days before {before} ({err}), and the shipped "
                f"parameters were fitted up to {params.calibrated_to}: "
                "give files with earlier seasons"
            ) from err
        source = f"shipped parameters ({params.calibrated_from}…{params.calibrated_to}): {err}"
    if not climatology:
        climatology = shipped_climatology()
        source += "; climatology of the shipped seasons (no colour before the period)"
    log(f"calibration before {before}: {source}")
    return Calibrated(params, climatology, source)


def calibrate_without(views: Views, season: Period, log: Callable[[str], None]) -> Calibrated:
    """Fit on every day but ``season`` and the week before it (leave-one-season-out)."""
    left_out = Period(calibration_cutoff(season.first), season.last)
    try:
        params = calibration.calibrate(views.calibration_days(date.max, left_out))
    except calibration.CalibrationError as err:
        raise SystemExit(
            f"Cannot calibrate without {season.first}…{season.last} ({err}): "
            "leaving a season out needs other seasons in the files"
        ) from err
    climatology = climatology_table(views.colours, date.max, left_out) or shipped_climatology()
    source = (
        f"fitted on {params.calibrated_from}…{params.calibrated_to} "
        f"without {left_out.first}…{left_out.last}"
    )
    log(f"calibration for the season {season.first}…{season.last}: {source}")
    return Calibrated(params, climatology, source)


def shipped_climatology() -> dict[int, tuple[float, float, float]]:
    """The climatology of the seasons the shipped parameters were fitted on."""
    data = json.loads(CLIMATOLOGY_FILE.read_text(encoding="utf-8"))
    return {int(week): (shares[0], shares[1], shares[2]) for week, shares in data.items()}


def missing_inputs(data: Dataset, start: date, end: date) -> dict[str, int]:
    """Inputs missing over the days the forecasts were made from (start - 7 … end)."""
    counts: Counter[str] = Counter()
    day = start - timedelta(days=7)
    while day <= end:
        item = data.days.get(day) or DayData()
        counts["colour"] += item.colour is None
        counts["consumption"] += item.consumption is None
        counts["consumption_forecast_d1"] += item.consumption_forecast is None
        counts["wind"] += item.wind is None
        counts["wind_forecast_d1"] += item.wind_forecast is None
        counts["solar_forecast_d1"] += item.solar_forecast is None
        counts["temperature"] += item.temperature is None
        day += ONE_DAY
    return dict(counts)


def calibration_cutoff(start: date) -> date:
    """The first forecast is made 7 days before ``start``: the fit uses only days before it."""
    return start - timedelta(days=len(HORIZONS))


def season_of(day: date) -> Period:
    """The Tempo season (1 September - 31 August) holding ``day``."""
    first = rules.season_start(day)
    return Period(first, date(first.year + 1, 8, 31))


@dataclass
class Walk:
    """The forecasts of a run and their scores: per forecaster and horizon, day 1 by season."""

    data: Dataset
    views: Views
    scores: dict[str, dict[int, Score]]
    seasons: dict[date, Score] = field(default_factory=dict)
    most_filled: int = 0

    def run(
        self,
        days: Period,
        scored: Period,
        current: Calibrated,
        *,
        refit: Callable[[date], Calibrated | None] = lambda _: None,
    ) -> None:
        """Forecast on each morning of ``days`` (``refit`` may fit again that morning); score
        the forecasts of the days in ``scored``."""
        data, views = self.data, self.views
        today = days.first
        while today <= days.last:
            current = refit(today) or current
            inputs = views.inputs(data, today)
            self.most_filled = max(
                self.most_filled, model.normalisation_filled(inputs, current.params)
            )
            predictions = {
                "model": [(d.blue, d.white, d.red) for d in model.forecast(inputs, current.params)],
                "always_blue": [(1.0, 0.0, 0.0)] * len(HORIZONS),
                "rule_2016": rule_2016(views, inputs),
                "climatology": [
                    climatology_of(current.climatology, today + timedelta(days=h)) for h in HORIZONS
                ],
            }
            for h in HORIZONS:
                day = today + timedelta(days=h)
                actual = views.colours.get(day)
                if actual is None or day not in scored:
                    continue
                for name in NAMES:
                    self.scores[name][h].add(predictions[name][h - 1], actual)
                if h == 1:
                    self.seasons.setdefault(rules.season_start(day), Score()).add(
                        predictions["model"][0], actual
                    )
            today += ONE_DAY


def backtest(
    data: Dataset,
    start: date,
    end: date,
    *,
    recalibrate_yearly: bool = False,
    leave_one_season_out: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Walk from ``start - 7`` to ``end``; scores per model and horizon.

    ``leave_one_season_out``: each season is forecast by a model fitted on every other season
    of the files (a stability check: those fits see later seasons, unlike a real forecast).
    """
    views = Views.of(data)
    walk = Walk(data, views, {name: {h: Score() for h in HORIZONS} for name in NAMES})
    first_run = calibration_cutoff(start)
    if leave_one_season_out:
        season = season_of(start)
        while season.first <= end:
            scored = Period(max(season.first, start), min(season.last, end))
            runs = Period(calibration_cutoff(scored.first), scored.last - ONE_DAY)
            walk.run(runs, scored, calibrate_without(views, season, log))
            season = season_of(season.last + ONE_DAY)
    else:

        def yearly(today: date) -> Calibrated | None:
            if recalibrate_yearly and today.month == 9 and today.day == 1 and today > first_run:
                return calibrate(views, today, log)  # what is known on the morning of 1 September
            return None

        runs = Period(first_run, end - ONE_DAY)
        current = calibrate(views, first_run, log)
        walk.run(runs, Period(start, end), current, refit=yearly)
    for first, score in sorted(walk.seasons.items()):
        log(f"day 1, season {first.year}-{(first.year + 1) % 100:02d}: " + season_line(score))
    missing = missing_inputs(data, start, end)
    # Days of a 365-day normalisation window taken from the reference year (the worst forecast).
    missing["normalisation_window_days_filled"] = walk.most_filled
    log("missing inputs: " + json.dumps(missing, sort_keys=True))
    if data.rejected:
        log("rejected rows: " + json.dumps(dict(data.rejected), sort_keys=True))
    return {name: {str(h): walk.scores[name][h].as_dict() for h in HORIZONS} for name in NAMES}


def season_line(score: Score) -> str:
    """One season's day-1 figures, for the report on stderr."""
    result = score.as_dict()

    def pct(key: str) -> str:
        value = result[key]
        return "-" if value is None else f"{100 * value:.1f} %"

    return (
        f"{result['days']} days, accuracy {pct('accuracy')}, red precision "
        f"{pct('red_precision')} recall {pct('red_recall')}, white precision "
        f"{pct('white_precision')} recall {pct('white_recall')}, Brier {result['brier']:.3f}"
    )


def _write_json(path: Path, data: Any, indent: int | None = None) -> None:
    path.write_text(json.dumps(data, indent=indent) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.tempo_backtest", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", type=Path, required=True, help="folder of the CSV files")
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first day scored")
    parser.add_argument("--end", type=date.fromisoformat, required=True, help="last day scored")
    parser.add_argument(
        "--recalibrate-yearly",
        action="store_true",
        help="fit again at each 1 September on every day before it (expanding window)",
    )
    parser.add_argument(
        "--leave-one-season-out",
        action="store_true",
        help="forecast each season with a model fitted on every other season (stability check)",
    )
    parser.add_argument(
        "--save-parameters", type=Path, help="write the parameters fitted before --start (JSON)"
    )
    parser.add_argument(
        "--save-climatology", type=Path, help="write the climatology of the days before --start"
    )
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    if not args.data.is_dir():
        parser.error(f"{args.data} is not a folder")
    if args.end < args.start:
        parser.error("--end is before --start")
    if args.recalibrate_yearly and args.leave_one_season_out:
        parser.error("--recalibrate-yearly and --leave-one-season-out exclude each other")
    data = read_data(args.data)
    if not data.files:
        parser.error(f"no rte_daily_*.csv, tempo_*.csv, … file in {args.data}")
    log("files: " + ", ".join(data.files))
    if args.save_parameters or args.save_climatology:
        views = Views.of(data)
        if args.save_parameters:
            params = calibration.calibrate(views.calibration_days(calibration_cutoff(args.start)))
            _write_json(args.save_parameters, params.as_dict(), indent=1)
        if args.save_climatology:
            table = climatology_table(views.colours, calibration_cutoff(args.start))
            _write_json(
                args.save_climatology,
                {
                    str(week): [round(s, 4) for s in shares]
                    for week, shares in sorted(table.items())
                },
            )
        log(f"fitted on the days before {calibration_cutoff(args.start)} and written")
    result = backtest(
        data,
        args.start,
        args.end,
        recalibrate_yearly=args.recalibrate_yearly,
        leave_one_season_out=args.leave_one_season_out,
        log=log,
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
