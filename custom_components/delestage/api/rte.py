"""Client of the RTE open APIs: OAuth2 token, Ecowatt v5 signals, Tempo calendars.

Plain asyncio + aiohttp with an injected session; no Home Assistant import. The client makes
exactly the calls it is asked for: quota pacing (1 signals call / 15 min on production) is the
caller's job, which also persists tokens (``on_token``) and restores them (``auth.restore``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time as dt_time
from enum import StrEnum
import time
from typing import Final

import aiohttp

from .auth import AccessToken, ClientCredentialsAuth, split_basic_auth_value
from .errors import ApiAuthError, ApiError, ApiForbiddenError
from .http import RawResponse, async_fetch, raise_for_status
from .rte_forecast_models import (
    GenerationForecast,
    ShortTermConsumption,
    WeeklyConsumption,
    parse_generation,
    parse_short_term,
    parse_weekly,
)
from .rte_models import PARIS, EcowattForecast, TempoCalendar, parse_signals, parse_tempo

DEFAULT_BASE_URL: Final = "https://digital.iservices.rte-france.com"
TOKEN_PATH: Final = "/token/oauth/"
SIGNALS_PATH: Final = "/open_api/ecowatt/v5/signals"
SANDBOX_SIGNALS_PATH: Final = "/open_api/ecowatt/v5/sandbox/signals"
TEMPO_PATH: Final = "/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"
SHORT_TERM_PATH: Final = "/open_api/consumption/v1/short_term"
WEEKLY_FORECASTS_PATH: Final = "/open_api/consumption/v1/weekly_forecasts"
GENERATION_FORECAST_PATH: Final = "/open_api/generation_forecast/v3/forecasts"

# RTE tokens live ~2 h (expires_in 7199); renew two minutes before.
TOKEN_LIFETIME: Final = 7200.0
TOKEN_MARGIN: Final = 120.0


class Environment(StrEnum):
    """Which Ecowatt endpoint to read: the real one (rate limited) or the frozen sandbox."""

    PRODUCTION = "production"
    SANDBOX = "sandbox"


class RteApi(StrEnum):
    """The RTE APIs this client uses; each needs its own subscription on the portal."""

    ECOWATT = "ecowatt"
    TEMPO = "tempo"
    CONSUMPTION = "consumption"
    GENERATION_FORECAST = "generation_forecast"


class RteNotSubscribedError(ApiForbiddenError):
    """403: the app is not subscribed to this API, or to another version of it (v4 key on v5)."""

    def __init__(self, message: str, api: RteApi) -> None:
        """Keep which API refused."""
        super().__init__(message)
        self.api = api


class RteRequestError(ApiError):
    """400/404: RTE refused the parameters (dates out of range, a type it does not serve).

    ``code`` is RTE's ``error`` field when it sent one.
    """

    def __init__(self, message: str, status: int, code: str | None = None) -> None:
        """Keep the status and RTE's error code."""
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True, slots=True)
class RteCredentials:
    """Client id and secret of an application of the RTE data portal."""

    client_id: str
    client_secret: str

    @classmethod
    def from_basic_auth(cls, value: str) -> RteCredentials | None:
        """Decode the portal's ready-made Base64 string ("Copier en base 64"), or None."""
        pair = split_basic_auth_value(value)
        return None if pair is None else cls(*pair)


def normalize_base_url(base_url: str | None) -> str:
    """Return the API base URL without trailing slash; the official servers when None or empty."""
    return (base_url or DEFAULT_BASE_URL).rstrip("/")


class RteClient:
    """Token and data calls of one RTE application.

    On a 401 from a data call the token is dropped, a new one fetched and the call retried once.
    Errors: ApiAuthError (credentials refused), RteNotSubscribedError (403),
    ApiRateLimitedError (429, ``retry_after``), ApiServerError (5xx), ApiResponseError
    (bad payload), ApiConnectionError (network).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: RteCredentials,
        *,
        environment: Environment = Environment.PRODUCTION,
        base_url: str | None = None,
        clock: Callable[[], float] | None = None,
        on_token: Callable[[AccessToken], None] | None = None,
    ) -> None:
        """Prepare the client; nothing is sent until a method is called."""
        self._session = session
        self.environment = environment
        self.base_url = normalize_base_url(base_url)
        self.auth = ClientCredentialsAuth(
            session,
            self.token_url,
            credentials.client_id,
            credentials.client_secret,
            default_lifetime=TOKEN_LIFETIME,
            expiry_margin=TOKEN_MARGIN,
            clock=clock if clock is not None else _wall_clock,
            on_token=on_token,
        )
        self.signal_requests = 0
        self.tempo_requests = 0
        self.consumption_requests = 0
        self.generation_requests = 0

    @property
    def token_url(self) -> str:
        """Where tokens come from."""
        return f"{self.base_url}{TOKEN_PATH}"

    @property
    def signals_url(self) -> str:
        """The Ecowatt v5 signals URL of the chosen environment."""
        path = SANDBOX_SIGNALS_PATH if self.environment is Environment.SANDBOX else SIGNALS_PATH
        return f"{self.base_url}{path}"

    @property
    def tempo_url(self) -> str:
        """The Tempo calendars URL."""
        return f"{self.base_url}{TEMPO_PATH}"

    async def async_validate_credentials(self) -> None:
        """Fetch a token (or reuse a fresh one): proves the credentials, not the subscriptions."""
        await self.auth.async_get_token()

    async def async_get_signals(self) -> EcowattForecast:
        """Read the Ecowatt v5 signals (4 days, hour by hour)."""
        self.signal_requests += 1
        response = await self._async_get(self.signals_url)
        self._raise_for_status(response, RteApi.ECOWATT, "Ecowatt signals")
        return parse_signals(response.json())

    async def async_get_tempo(self, start: date, end: date) -> TempoCalendar:
        """Read the Tempo colours of the days from ``start`` to ``end`` (exclusive)."""
        self.tempo_requests += 1
        response = await self._async_get(
            self.tempo_url,
            params={"start_date": _rte_date(start), "end_date": _rte_date(end)},
        )
        self._raise_for_status(response, RteApi.TEMPO, "Tempo calendar")
        return parse_tempo(response.json())

    async def async_get_short_term(
        self,
        kinds: Iterable[str] = ("D-1", "D-2"),
        start: date | None = None,
        end: date | None = None,
    ) -> ShortTermConsumption:
        """Read Consumption ``short_term`` curves (``REALISED``, ``ID``, ``D-1``, ``D-2``).

        Without dates RTE answers its current window; with them, the days ``start`` to
        ``end`` (exclusive).
        """
        self.consumption_requests += 1
        response = await self._async_get(
            f"{self.base_url}{SHORT_TERM_PATH}",
            params={"type": ",".join(kinds), **_date_params(start, end)},
        )
        self._raise_for_status(response, RteApi.CONSUMPTION, "Consumption short_term")
        return parse_short_term(response.json())

    async def async_get_weekly_forecasts(
        self, start: date | None = None, end: date | None = None
    ) -> WeeklyConsumption:
        """Read Consumption ``weekly_forecasts`` (one forecast per day, D-3…D-9)."""
        self.consumption_requests += 1
        response = await self._async_get(
            f"{self.base_url}{WEEKLY_FORECASTS_PATH}", params=_date_params(start, end) or None
        )
        self._raise_for_status(response, RteApi.CONSUMPTION, "Consumption weekly_forecasts")
        return parse_weekly(response.json())

    async def async_get_generation_forecast(
        self, production_type: str, kind: str, start: date, end: date
    ) -> GenerationForecast:
        """Read Generation Forecast v3 curves of one production type (``SOLAR``…) and kind.

        v3 wants the range to match the kind: ``D-1`` = tomorrow, midnight to midnight.
        """
        self.generation_requests += 1
        response = await self._async_get(
            f"{self.base_url}{GENERATION_FORECAST_PATH}",
            params={"production_type": production_type, "type": kind, **_date_params(start, end)},
        )
        self._raise_for_status(response, RteApi.GENERATION_FORECAST, "Generation forecast")
        return parse_generation(response.json())

    async def _async_get(self, url: str, params: dict[str, str] | None = None) -> RawResponse:
        """GET with the bearer token; on 401 get a new token and try once more."""
        response: RawResponse | None = None
        for _attempt in range(2):
            token = await self.auth.async_get_token()
            response = await async_fetch(
                self._session,
                "GET",
                url,
                params=params,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            if response.status != 401:
                return response
            self.auth.invalidate(token)
        assert response is not None
        raise ApiAuthError("RTE refused a fresh token (HTTP 401)")

    @staticmethod
    def _raise_for_status(response: RawResponse, api: RteApi, what: str) -> None:
        if response.status == 403:
            raise RteNotSubscribedError(
                f"{what}: forbidden (HTTP 403): the app is not subscribed to this API or version",
                api,
            )
        if response.status in (400, 404):
            code, description = _error_fields(response)
            raise RteRequestError(
                f"{what}: request refused (HTTP {response.status}){description}",
                response.status,
                code,
            )
        raise_for_status(response, what)


def _wall_clock() -> float:
    """Seconds since the epoch, looked up at each call (so test clocks apply)."""
    return time.time()


def _rte_date(day: date) -> str:
    """Local midnight with its offset, as RTE wants it: ``2026-01-15T00:00:00+01:00``."""
    return datetime.combine(day, dt_time(0), PARIS).isoformat()


def _date_params(start: date | None, end: date | None) -> dict[str, str]:
    """``start_date``/``end_date`` when both are given (RTE wants both or none)."""
    if start is None or end is None:
        return {}
    return {"start_date": _rte_date(start), "end_date": _rte_date(end)}


def _error_fields(response: RawResponse) -> tuple[str | None, str]:
    """RTE's ``error`` code and a short ``: description`` of an error answer."""
    try:
        data = response.json_object()
    except ApiError:
        return None, ""
    code, description = data.get("error"), data.get("error_description")
    return (
        code if isinstance(code, str) else None,
        f": {description[:200]}" if isinstance(description, str) and description else "",
    )


__all__ = [
    "DEFAULT_BASE_URL",
    "Environment",
    "RteApi",
    "RteClient",
    "RteCredentials",
    "RteNotSubscribedError",
    "RteRequestError",
    "normalize_base_url",
]
