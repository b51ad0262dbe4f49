"""A stand-in for RTE's servers on top of ``aioclient_mock``: token, signals, Tempo.

It behaves like the reference describes: tokens of 7199 s, 401 for an unknown or expired
token, 403 when the app is not subscribed, and on production signals one call per 15 minutes
(sliding window) with 429 + ``Retry-After`` in seconds beyond that.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
import json
import math
from pathlib import Path
from typing import Any

from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.delestage.api.rte import (
    DEFAULT_BASE_URL,
    SANDBOX_SIGNALS_PATH,
    SIGNALS_PATH,
    TEMPO_PATH,
    TOKEN_PATH,
)
from tests.forecast.fake_rte_forecasts import FakeRteForecasts

FIXTURES = Path(__file__).parent / "fixtures"
QUOTA = timedelta(minutes=15)


def load_json(name: str) -> Any:
    """A JSON fixture of tests/rte/fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def day_payload(
    day: date,
    levels: dict[int, int] | list[int],
    dvalue: int | None = None,
    message: str = " Pas d’alerte ",
) -> dict[str, Any]:
    """One ``signals`` day, ``jour`` at Paris midnight with its offset."""
    start = datetime(day.year, day.month, day.day, tzinfo=dt_util.get_time_zone("Europe/Paris"))
    hours = dict(enumerate(levels)) if isinstance(levels, list) else levels
    return {
        "GenerationFichier": start.isoformat(),
        "jour": start.isoformat(),
        "dvalue": dvalue if dvalue is not None else max([1, *hours.values()]),
        "message": message,
        "values": [{"pas": pas, "hvalue": level} for pas, level in hours.items()],
    }


def tempo_payload(colors: dict[date, str]) -> dict[str, Any]:
    """A Tempo answer, newest first like RTE's."""
    paris = dt_util.get_time_zone("Europe/Paris")
    values = []
    for day in sorted(colors, reverse=True):
        start = datetime(day.year, day.month, day.day, tzinfo=paris)
        end = start + timedelta(days=1)
        values.append(
            {
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "value": colors[day],
                "updated_date": start.isoformat(),
            }
        )
    return {"tempo_like_calendars": {"start_date": "", "end_date": "", "values": values}}


class FakeRte:
    """Counts every call; its answers can be changed between calls."""

    def __init__(
        self,
        aioclient_mock: AiohttpClientMocker,
        base_url: str = DEFAULT_BASE_URL,
        signals: Any = None,
    ) -> None:
        self.base_url = base_url
        self.signals: Any = signals if signals is not None else load_json("sandbox_signals.json")
        self.signals_text: str | None = None  # raw body override (malformed JSON tests)
        self.signals_status = 200
        self.signals_headers: dict[str, str] = {}
        self.tempo: Any = tempo_payload({})
        self.tempo_status = 200
        self.token_status = 200
        self.enforce_quota = True
        self.reject_next_tokens = 0  # answer 401 to this many data calls
        self.calls: Counter[str] = Counter()
        self.rate_limited = 0
        self.last_signals_call: datetime | None = None
        self._token_serial = 0
        aioclient_mock.post(f"{base_url}{TOKEN_PATH}", side_effect=self._token)
        aioclient_mock.get(f"{base_url}{SIGNALS_PATH}", side_effect=self._signals)
        aioclient_mock.get(f"{base_url}{SANDBOX_SIGNALS_PATH}", side_effect=self._sandbox)
        aioclient_mock.get(f"{base_url}{TEMPO_PATH}", side_effect=self._tempo)
        # Consumption and Generation Forecast (the Tempo forecast's calls): the app of these
        # tests is not subscribed to them unless a test says so (``forecasts.subscribe()``).
        self.forecasts = FakeRteForecasts(aioclient_mock, base_url, subscribed=False)

    @property
    def data_calls(self) -> int:
        """Signals (both environments) and Tempo calls."""
        return self.calls["signals"] + self.calls["sandbox"] + self.calls["tempo"]

    def _response(
        self,
        method: str,
        url: URL,
        status: int = 200,
        body: Any = None,
        text: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> AiohttpClientMockResponse:
        if text is None and body is not None:
            text = json.dumps(body, ensure_ascii=False)
        return AiohttpClientMockResponse(method, url, status=status, text=text, headers=headers)

    async def _token(self, method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        self.calls["token"] += 1
        if self.token_status != 200:
            return self._response(method, url, self.token_status, {"error": "invalid_client"})
        self._token_serial += 1
        return self._response(
            method,
            url,
            body={
                "access_token": f"token-{self._token_serial}",
                "token_type": "Bearer",
                "expires_in": 7199,
            },
        )

    def _unauthorized(self, method: str, url: URL) -> AiohttpClientMockResponse | None:
        if self.reject_next_tokens > 0:
            self.reject_next_tokens -= 1
            return self._response(method, url, 401, {"error": "invalid_token"})
        return None

    async def _signals(self, method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        self.calls["signals"] += 1
        if (refused := self._unauthorized(method, url)) is not None:
            return refused
        now = dt_util.utcnow()
        if self.enforce_quota and self.last_signals_call is not None:
            wait = (self.last_signals_call + QUOTA - now).total_seconds()
            if wait > 0:
                self.rate_limited += 1
                return self._response(
                    method, url, 429, None, "", {"Retry-After": str(math.ceil(wait))}
                )
        self.last_signals_call = now
        return self._signals_answer(method, url)

    async def _sandbox(self, method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        self.calls["sandbox"] += 1
        if (refused := self._unauthorized(method, url)) is not None:
            return refused
        return self._signals_answer(method, url)

    def _signals_answer(self, method: str, url: URL) -> AiohttpClientMockResponse:
        if self.signals_status != 200:
            return self._response(
                method,
                url,
                self.signals_status,
                {"error": "forbidden", "error_description": "no subscription"},
                headers=self.signals_headers,
            )
        return self._response(method, url, body=self.signals, text=self.signals_text)

    async def _tempo(self, method: str, url: URL, data: Any) -> AiohttpClientMockResponse:
        self.calls["tempo"] += 1
        if (refused := self._unauthorized(method, url)) is not None:
            return refused
        if self.tempo_status != 200:
            return self._response(method, url, self.tempo_status, {"error": "forbidden"})
        return self._response(method, url, body=self.tempo)
