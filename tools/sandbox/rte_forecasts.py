"""RTE Consumption (v1) and Generation Forecast (v3) endpoints, consistent with the Tempo colours.

Mounted on the RTE sub-application (``/rte``), same token and subscriptions as Ecowatt/Tempo:
``consumption`` and ``generation_forecast`` in an app's ``apis``. Answers have the shapes of
``tests/forecast/fixtures`` (checked by ``tests/sandbox/test_rte_forecasts.py``).

The national consumption of a day follows the simulated weather (``weather.temperature_c``)
and its Tempo colour (``rte.tempo_colour``): a red day is a cold, still, high-consumption day,
so a forecast fed by this simulator sees the colours coming. Publication, as far as known
(``reference/rte-forecast.md``): ``short_term`` D-1 = tomorrow and D-2 = the day after, both
from 07:00; ``weekly_forecasts`` = days 3 to 9 ahead; Generation Forecast v3 wants a ``type``
and a range that matches it (D-1 = tomorrow midnight to midnight), D-2/D-3 refused with 400
(the pessimistic side of the reference's conflict).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
import hashlib
import math
from typing import Any

from aiohttp import web

from .errors import json_response, rte_error
from .rte import RteApi, local_midnight, parse_rte_datetime, tempo_colour
from .state import SandboxState
from .weather import PARIS, temperature_c

SHORT_TERM = "/open_api/consumption/v1/short_term"
WEEKLY = "/open_api/consumption/v1/weekly_forecasts"
GENERATION = "/open_api/generation_forecast/v3/forecasts"
SHORT_TERM_TYPES = ("REALISED", "ID", "D-1", "D-2")
PRODUCTION_TYPES = ("SOLAR", "WIND_ONSHORE", "WIND_OFFSHORE")
# Installed capacity (MW), roughly France in 2025.
WIND_CAPACITY = {"WIND_ONSHORE": 23_000.0, "WIND_OFFSHORE": 1_500.0}
SOLAR_CAPACITY = 22_000.0
# Forecasts are issued in the morning (short_term D-1 / D-2, weekly) at this hour.
ISSUE_HOUR = 7
COLOUR_BOOST = {"RED": 9_000.0, "WHITE": 4_500.0, "BLUE": 0.0}
HALF_HOUR = timedelta(minutes=30)


def _noise(key: str) -> float:
    """A stable number in [-1, 1] for a key (same answer on every call)."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0x7FFFFFFF - 1.0


def daily_temperature(day: date) -> float:
    """Mean temperature of a day in the simulated weather (°C)."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=PARIS)
    return sum(temperature_c(noon + timedelta(hours=h)) for h in range(-12, 12, 3)) / 8


def consumption_mean(day: date) -> float:
    """Mean national consumption of a day (MW): heating, weekday and the day's Tempo colour."""
    mean = 50_000.0 + 2_000.0 * max(0.0, 16.0 - daily_temperature(day))
    if day.weekday() == 5:
        mean *= 0.93
    elif day.weekday() == 6:
        mean *= 0.90
    if day.month in (11, 12, 1, 2, 3):
        mean += COLOUR_BOOST[tempo_colour(day)]
    return mean


def consumption_at(start: datetime) -> float:
    """Consumption of the half hour starting at ``start``: the day's mean shaped by the hour."""
    local = start.astimezone(PARIS)
    hour = local.hour + local.minute / 60
    shape = (
        1.0
        + 0.10 * math.cos(2 * math.pi * (hour - 19) / 24)
        - 0.08 * math.cos(2 * math.pi * (hour - 4) / 12)
    )
    return consumption_mean(local.date()) * shape


def wind_load_factor(day: date) -> float:
    """Daily wind load factor (0-1): slow weather systems, calm on red days."""
    ordinal = day.toordinal()
    value = 0.26 + 0.14 * math.sin(2 * math.pi * ordinal / 5.3) + 0.05 * _noise(f"wind{day}")
    if tempo_colour(day) == "RED" and day.month in (11, 12, 1, 2, 3):
        value *= 0.5
    return min(0.85, max(0.03, value))


def generation_at(production_type: str, start: datetime) -> tuple[float, float | None]:
    """Power (MW) and load factor (%) of one production type over the half hour at ``start``."""
    local = start.astimezone(PARIS)
    if production_type == "SOLAR":
        hour = local.hour + local.minute / 60
        length = 8.5 + 3.5 * math.cos(2 * math.pi * (local.timetuple().tm_yday - 172) / 365.25)
        share = max(0.0, math.cos(math.pi * (hour - 13.5) / length))
        return round(SOLAR_CAPACITY * 0.55 * share), None
    factor = wind_load_factor(local.date())
    if production_type == "WIND_OFFSHORE":
        factor = min(0.95, factor * 1.35)
    return round(WIND_CAPACITY[production_type] * factor), round(100 * factor, 1)


def _slots(first: date, days: int) -> Iterator[tuple[datetime, datetime]]:
    """Half-hour slots (Paris offsets) from midnight of ``first`` over ``days`` local days."""
    start = local_midnight(first)
    end = local_midnight(first + timedelta(days=days))
    while start < end:
        after = (start + HALF_HOUR).astimezone(PARIS)
        yield start.astimezone(PARIS), after
        start = after


def _stamp(day: date, hour: int = ISSUE_HOUR) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS).isoformat()


class RteForecastApi:
    """Handlers of the Consumption and Generation Forecast endpoints."""

    def __init__(self, state: SandboxState) -> None:
        """Bind to the simulator state (and the RTE token checks)."""
        self.state = state
        self.rte = RteApi(state)

    def _today(self) -> tuple[date, bool]:
        """Today in Paris, and whether the morning forecasts are out."""
        now = self.state.now().astimezone(PARIS)
        return now.date(), now.hour >= ISSUE_HOUR

    def _range(self, request: web.Request) -> tuple[date, date] | web.Response | None:
        """The ``start_date``/``end_date`` range as Paris days, None when absent."""
        raw_start, raw_end = request.query.get("start_date"), request.query.get("end_date")
        if raw_start is None and raw_end is None:
            return None
        start, end = parse_rte_datetime(raw_start), parse_rte_datetime(raw_end)
        if start is None or end is None or end <= start:
            return rte_error(
                400,
                "CONSUMPTION_F02",
                "The start_date and end_date parameters must both be given, in the "
                "YYYY-MM-DDThh:mm:sszzzzzz format, with end_date after start_date",
            )
        first = start.astimezone(PARIS).date()
        last = (end - timedelta(seconds=1)).astimezone(PARIS).date()
        return first, last + timedelta(days=1)

    async def short_term(self, request: web.Request) -> web.Response:
        """``GET …/consumption/v1/short_term?type=D-1,D-2[&start_date&end_date]``."""
        client_id = self.rte._authorize(request, "consumption")
        if isinstance(client_id, web.Response):
            return client_id
        kinds = [k.strip().upper() for k in request.query.get("type", "").split(",") if k.strip()]
        if any(kind not in SHORT_TERM_TYPES for kind in kinds):
            return rte_error(400, "CONSUMPTION_F01", "The type parameter is invalid")
        span = self._range(request)
        if isinstance(span, web.Response):
            return span
        today, issued = self._today()
        blocks = []
        for kind in kinds or list(SHORT_TERM_TYPES):
            if (block := self._short_term_block(kind, today, issued, span)) is not None:
                blocks.append(block)
        return json_response(200, {"short_term": blocks})

    def _short_term_block(
        self, kind: str, today: date, issued: bool, span: tuple[date, date] | None
    ) -> dict[str, Any] | None:
        lead = {"D-1": 1, "D-2": 2}.get(kind, 0)
        if span is None:
            first = today + timedelta(days=lead)
            last = first + timedelta(days=1)
        else:
            first, last = span
        now = self.state.now()
        values = []
        day = first
        while day < last:
            issue_day = day - timedelta(days=lead)
            published = issue_day < today or (issue_day == today and (issued or lead == 0))
            if published:
                for start, end in _slots(day, 1):
                    if kind == "REALISED" and end > now:  # only finished slots
                        break
                    values.append(
                        {
                            "start_date": start.isoformat(),
                            "end_date": end.isoformat(),
                            "updated_date": _stamp(issue_day) if lead else end.isoformat(),
                            "value": round(consumption_at(start) * (1 + 0.01 * lead)),
                        }
                    )
            day += timedelta(days=1)
        if not values:
            return None
        return {
            "type": kind,
            "start_date": local_midnight(first).astimezone(PARIS).isoformat(),
            "end_date": local_midnight(last).astimezone(PARIS).isoformat(),
            "values": values,
        }

    async def weekly(self, request: web.Request) -> web.Response:
        """``GET …/consumption/v1/weekly_forecasts``: one block per day, 3 to 9 days ahead."""
        client_id = self.rte._authorize(request, "consumption")
        if isinstance(client_id, web.Response):
            return client_id
        span = self._range(request)
        if isinstance(span, web.Response):
            return span
        today, issued = self._today()
        issue_day = today if issued else today - timedelta(days=1)
        first, last = issue_day + timedelta(days=3), issue_day + timedelta(days=10)
        if span is not None:
            first, last = max(first, span[0]), min(last, span[1])
        blocks = []
        day = first
        while day < last:
            values = [
                {
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "value": round(consumption_at(start)),
                }
                for start, end in _slots(day, 1)
            ]
            peak = max(values, key=lambda v: v["value"])
            temperature = daily_temperature(day)
            normal = 12.0 - 7.5 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 20) / 365.25)
            blocks.append(
                {
                    "start_date": local_midnight(day).astimezone(PARIS).isoformat(),
                    "end_date": local_midnight(day + timedelta(days=1))
                    .astimezone(PARIS)
                    .isoformat(),
                    "updated_date": _stamp(issue_day, 10),
                    "peak": {
                        "peak_hour": peak["start_date"],
                        "value": peak["value"],
                        "temperature": round(temperature, 1),
                        "temperature_deviation": round(temperature - normal, 1),
                    },
                    "values": values,
                }
            )
            day += timedelta(days=1)
        return json_response(200, {"weekly_forecasts": blocks})

    async def generation(self, request: web.Request) -> web.Response:
        """``GET …/generation_forecast/v3/forecasts``: production_type, type, start/end dates."""
        client_id = self.rte._authorize(request, "generation_forecast")
        if isinstance(client_id, web.Response):
            return client_id
        production_type = request.query.get("production_type", "").upper()
        kind = request.query.get("type", "").upper()
        if production_type not in PRODUCTION_TYPES or not kind:
            return rte_error(
                400,
                "GENERATION_FORECAST_F01",
                "The production_type and type parameters are mandatory",
            )
        if kind != "D-1":
            return rte_error(
                400, "GENERATION_FORECAST_F04", f"The type {kind} is not available for this request"
            )
        today, _issued = self._today()
        tomorrow = today + timedelta(days=1)
        span = self._range(request)
        if isinstance(span, web.Response):
            return span
        if span != (tomorrow, tomorrow + timedelta(days=1)):
            return rte_error(
                400,
                "GENERATION_FORECAST_F05",
                "For the D-1 type the period must be the next day, from midnight to midnight",
            )
        values = []
        for start, end in _slots(tomorrow, 1):
            power, factor = generation_at(production_type, start)
            value: dict[str, Any] = {
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "updated_date": _stamp(today, 18),
                "value": power,
            }
            if factor is not None:
                value["load_factor"] = factor
            values.append(value)
        return json_response(
            200,
            {
                "forecasts": [
                    {
                        "type": kind,
                        "production_type": production_type,
                        "start_date": local_midnight(tomorrow).astimezone(PARIS).isoformat(),
                        "end_date": local_midnight(tomorrow + timedelta(days=1))
                        .astimezone(PARIS)
                        .isoformat(),
                        "values": values,
                    }
                ]
            },
        )


def add_routes(app: web.Application, state: SandboxState) -> None:
    """Add the Consumption and Generation Forecast routes to the RTE sub-application."""
    api = RteForecastApi(state)
    app.router.add_get(SHORT_TERM, api.short_term)
    app.router.add_get(WEEKLY, api.weekly)
    app.router.add_get(GENERATION, api.generation)
