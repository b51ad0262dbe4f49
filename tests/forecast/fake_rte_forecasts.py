"""A stand-in for RTE's Consumption and Generation Forecast endpoints on ``aioclient_mock``.

Answers like the real thing (shapes of ``fixtures/``, checked in ``test_api.py``): 200 with a
day of half-hour slots, 400 with RTE's ``{error, error_description}`` body, 401 for a refused
token (the token endpoint is ``FakeRte``'s), 403 when the app is not subscribed, 429 with
``Retry-After``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.delestage.api.rte import (
    DEFAULT_BASE_URL,
    GENERATION_FORECAST_PATH,
    SHORT_TERM_PATH,
    WEEKLY_FORECASTS_PATH,
)

PARIS = ZoneInfo("Europe/Paris")
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    """A JSON sample of ``tests/forecast/fixtures``."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def half_hours(day: date, value: float, step_minutes: int = 30) -> list[tuple[str, str, float]]:
    """Slots of one Paris day (23 or 25 hours on DST days) with a constant value."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), PARIS)
    slots = []
    current = start
    while current < end:
        after = (current.astimezone(ZoneInfo("UTC")) + timedelta(minutes=step_minutes)).astimezone(
            PARIS
        )
        slots.append((current.isoformat(), after.isoformat(), value))
        current = after
    return slots


def short_term_payload(days: dict[str, dict[date, float]], updated: str) -> dict[str, Any]:
    """A ``short_term`` answer: per type, whole days at constant MW."""
    blocks = []
    for kind, by_day in days.items():
        first, last = min(by_day), max(by_day) + timedelta(days=1)
        values = [
            {"start_date": s, "end_date": e, "updated_date": updated, "value": round(v)}
            for day in sorted(by_day)
            for s, e, v in half_hours(day, by_day[day])
        ]
        blocks.append(
            {
                "type": kind,
                "start_date": datetime(
                    first.year, first.month, first.day, tzinfo=PARIS
                ).isoformat(),
                "end_date": datetime(last.year, last.month, last.day, tzinfo=PARIS).isoformat(),
                "values": values,
            }
        )
    return {"short_term": blocks}


def weekly_payload(by_day: dict[date, float], updated: str) -> dict[str, Any]:
    """A ``weekly_forecasts`` answer: one block per day."""
    blocks = []
    for day in sorted(by_day):
        slots = half_hours(day, by_day[day])
        blocks.append(
            {
                "start_date": slots[0][0],
                "end_date": slots[-1][1],
                "updated_date": updated,
                "peak": {
                    "peak_hour": slots[38][0],
                    "value": round(by_day[day] * 1.1),
                    "temperature": 2.5,
                    "temperature_deviation": -2.1,
                },
                "values": [
                    {"start_date": s, "end_date": e, "value": round(v)} for s, e, v in slots
                ],
            }
        )
    return {"weekly_forecasts": blocks}


def generation_payload(production_type: str, day: date, value: float) -> dict[str, Any]:
    """A Generation Forecast v3 answer for one type and day (``load_factor`` on wind)."""
    values: list[dict[str, Any]] = []
    for start, end, power in half_hours(day, value):
        item: dict[str, Any] = {
            "start_date": start,
            "end_date": end,
            "updated_date": f"{(day - timedelta(days=1)).isoformat()}T18:47:40+01:00",
            "value": round(power),
        }
        if production_type.startswith("WIND"):
            item["load_factor"] = round(100 * power / 23_000, 1)
        values.append(item)
    return {
        "forecasts": [
            {
                "type": "D-1",
                "production_type": production_type,
                "start_date": values[0]["start_date"],
                "end_date": values[-1]["end_date"],
                "values": values,
            }
        ]
    }


class FakeRteForecasts:
    """Counts calls; the answer, status and headers of each endpoint can be changed.

    ``answers["generation"]`` may also map a production type to its answer (RTE answers the
    type asked), or to an error status. An app not ``subscribed`` gets 403 everywhere until
    :meth:`subscribe`.
    """

    def __init__(
        self,
        aioclient_mock: AiohttpClientMocker,
        base_url: str = DEFAULT_BASE_URL,
        *,
        subscribed: bool = True,
    ) -> None:
        self.answers: dict[str, Any] = {
            "short_term": fixture("consumption_short_term.json"),
            "weekly": fixture("consumption_weekly_forecasts.json"),
            "generation": fixture("generation_forecast.json"),
        }
        self.status: dict[str, int] = {}
        self.headers: dict[str, dict[str, str]] = {}
        self.bodies: dict[str, Any] = {}
        self.reject_next_tokens = 0
        self.calls: Counter[str] = Counter()
        self.queries: list[dict[str, str]] = []
        for name, path in (
            ("short_term", SHORT_TERM_PATH),
            ("weekly", WEEKLY_FORECASTS_PATH),
            ("generation", GENERATION_FORECAST_PATH),
        ):
            aioclient_mock.get(f"{base_url}{path}", side_effect=self._handler(name))
        if not subscribed:
            for name in ("short_term", "weekly", "generation"):
                self.fail(name, 403)

    def subscribe(self) -> None:
        """The app is subscribed to Consumption and Generation Forecast: answers again."""
        self.status.clear()
        self.bodies.clear()
        self.headers.clear()

    def fail(self, name: str, status: int, body: Any = None, **headers: str) -> None:
        """Answer ``status`` (with RTE's error body unless given) to the next calls of ``name``."""
        self.status[name] = status
        self.bodies[name] = body
        self.headers[name] = headers

    def _handler(self, name: str) -> Any:
        async def handle(method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
            self.calls[name] += 1
            self.queries.append(dict(url.query))
            if self.reject_next_tokens > 0:
                self.reject_next_tokens -= 1
                return _response(method, url, 401, {"error": "invalid_token"})
            status = self.status.get(name, 200)
            if status != 200:
                body = self.bodies.get(name) or _error_body(status)
                return _response(method, url, status, body, self.headers.get(name))
            answer = self.answers[name]
            if name == "generation" and "forecasts" not in answer:
                answer = answer.get(url.query.get("production_type"), {"forecasts": []})
            if isinstance(answer, int):  # a status for this production type (400: not served)
                return _response(method, url, answer, _error_body(answer))
            return _response(method, url, 200, answer)

        return handle


def _error_body(status: int) -> dict[str, str]:
    return {
        400: {"error": "CONSUMPTION_F04", "error_description": "The period is not valid"},
        403: {"error": "access_denied", "error_description": "Not subscribed"},
        429: {"error": "TOO_MANY_REQUESTS", "error_description": "Quota exceeded"},
    }.get(status, {"error": "COMMON_ERROR_T03", "error_description": "Error code unknown"})


def _response(
    method: str, url: URL, status: int, body: Any, headers: dict[str, str] | None = None
) -> AiohttpClientMockResponse:
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return AiohttpClientMockResponse(method, url, status=status, text=text, headers=headers)
