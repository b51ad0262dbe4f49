"""From RTE's answers to daily records, and from the records to the model's inputs (pure).

Records (``store.DayRecord``) hold, per Paris day, RTE's newest consumption forecast with the
day it was made, and the day-ahead wind and solar. The model (``model.make_inputs``) gets:

- **coming days** (after the Tempo day of the forecast): RTE's consumption forecast with its
  lead (1 = made the day before), wind and solar where known;
- **history** (that day and before): the net consumption (consumption minus wind and solar)
  as RTE forecast it, mostly the day before, which is what RTE's own rule uses. For a day
  without wind and solar (no Generation Forecast subscription, a failed call) the month's usual
  wind and solar are taken off (the guess the model makes for such coming days too, so past and
  coming days are normalised alike). Days never recorded (before the installation, Home
  Assistant stopped) are filled by the model from its reference year.

Pure Python, no Home Assistant import.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from ..api.rte_forecast_models import (
    DailyMean,
    GenerationForecast,
    ShortTermConsumption,
    WeeklyConsumption,
)
from ..api.rte_models import PARIS
from .model import ForecastInputs, Parameters, make_inputs
from .store import DayRecord, ForecastData

# Curves of the short_term answer used, with their lead in days.
SHORT_TERM_LEADS = {"D-1": 1, "D-2": 2}
WIND_TYPES = ("WIND_ONSHORE", "WIND_OFFSHORE")
SOLAR_TYPE = "SOLAR"
# Wind and solar of past days are passed along this far back (the model carries the latest
# known values to the coming days without any).
RENEWABLES_BACK = 3


def _keep_consumption(record: DayRecord, mean: DailyMean, issued: date) -> None:
    """Store a consumption forecast unless the record holds a more recent one."""
    if not mean.complete:
        return
    if record.issued is None or issued >= record.issued:
        record.consumption, record.issued = mean.mean, issued


def record_short_term(data: ForecastData, answer: ShortTermConsumption) -> None:
    """Keep the ``D-2`` then ``D-1`` daily means (the shorter lead wins for a day)."""
    for kind, lead in sorted(SHORT_TERM_LEADS.items(), key=lambda item: -item[1]):
        if (series := answer.get(kind)) is None:
            continue
        for day, mean in series.daily_means().items():
            _keep_consumption(data.record(day), mean, day - timedelta(days=lead))


def record_weekly(data: ForecastData, answer: WeeklyConsumption, fetched: datetime) -> None:
    """Keep each day's weekly forecast, made on its ``updated_date`` (else the fetch day)."""
    for day, forecast in answer.days.items():
        if (mean := forecast.mean) is None:
            continue
        made = forecast.updated or fetched
        issued = min(made.astimezone(PARIS).date(), day - timedelta(days=1))
        _keep_consumption(data.record(day), mean, issued)


def _complete_mean(
    answers: Mapping[str, GenerationForecast], production_type: str, day: date
) -> float | None:
    answer = answers.get(production_type)
    mean = None if answer is None else answer.daily_means(production_type).get(day)
    return mean.mean if mean is not None and mean.complete else None


def record_generation(
    data: ForecastData, answers: Mapping[str, GenerationForecast], day: date
) -> bool:
    """Keep ``day``'s wind (onshore + offshore) and solar; whether the wind is known.

    Offshore wind (a tenth of the wind capacity) counts as none when RTE gave none for it.
    """
    record = data.record(day)
    onshore = _complete_mean(answers, WIND_TYPES[0], day)
    if onshore is not None:
        record.wind = onshore + (_complete_mean(answers, WIND_TYPES[1], day) or 0.0)
    if (solar := _complete_mean(answers, SOLAR_TYPE, day)) is not None:
        record.solar = solar
    return onshore is not None


def net_consumption(day: date, record: DayRecord, params: Parameters) -> float | None:
    """Consumption minus wind and solar (the month's usual ones when unknown), MW."""
    if record.consumption is None:
        return None
    if record.wind is not None:
        return record.consumption - record.wind - (record.solar or 0.0)
    return record.consumption - params.renewables_mean[day.month - 1]


def model_inputs(
    today: date,
    data: ForecastData,
    colours: Mapping[date, object],
    params: Parameters,
) -> ForecastInputs:
    """Return the model's inputs on Tempo day ``today`` from the records and colours."""
    history: dict[date, float] = {}
    consumption: dict[date, tuple[float, int]] = {}
    wind: dict[date, float] = {}
    solar: dict[date, float] = {}
    first_renewables = today - timedelta(days=RENEWABLES_BACK)
    for day, record in data.days.items():
        if day <= today:
            if (net := net_consumption(day, record, params)) is not None:
                history[day] = net
        elif record.consumption is not None and record.issued is not None:
            consumption[day] = (record.consumption, max(1, (day - record.issued).days))
        if day >= first_renewables and record.wind is not None:
            wind[day] = record.wind
            if record.solar is not None:
                solar[day] = record.solar
    return make_inputs(
        today, colours=colours, history=history, consumption=consumption, wind=wind, solar=solar
    )
