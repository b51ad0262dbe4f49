"""Enedis Data Connect 2026 client: consent resolution, Linky measures, contract.

Plain asyncio + aiohttp; no Home Assistant import. One client per Data Connect app
(``client_id``); share its :class:`RateLimiter` between every meter of that app, since
Enedis counts the quota per application.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from enum import StrEnum
import logging
import time
from typing import Any

import aiohttp

from .auth import AccessToken, ClientCredentialsAuth
from .enedis_errors import (
    EnedisBeforeActivationError,
    EnedisBeforeConsentError,
    EnedisBeyondHistoryError,
    EnedisCurveNotActivatedError,
    EnedisError,
    EnedisHistoryLimitError,
    EnedisMovedError,
    EnedisNoConsentError,
    EnedisNoDataError,
    EnedisNotSubscribedError,
    EnedisRateLimitedError,
    EnedisRequestError,
    EnedisTechnicalError,
    EnedisWrongDirectionError,
    error_for_response,
    redact,
)
from .enedis_models import (
    PARIS,
    Consent,
    Contract,
    CurvePoint,
    DailyReadings,
    DailyValue,
    LoadCurve,
    MaxPower,
    SubscribedService,
    consent_from_services,
    parse_contract,
    parse_offpeak_hours,
    parse_subscribed_services,
)
from .errors import ApiAuthError, ApiConnectionError, ApiResponseError
from .http import RawResponse, async_fetch
from .linky_client import MAX_CURVE_DAYS, MAX_DAILY_DAYS, LinkyClient, check_prm, label

_LOGGER = logging.getLogger(__name__)


class EnedisEnvironment(StrEnum):
    """Which Enedis gateway to use."""

    PRODUCTION = "production"
    SANDBOX = "sandbox"


BASE_URLS: dict[EnedisEnvironment, str] = {
    EnedisEnvironment.PRODUCTION: "https://gw.ext.prod.api.enedis.fr",
    EnedisEnvironment.SANDBOX: "https://gw.ext.prod-sandbox.api.enedis.fr",
}
TOKEN_PATH = "/oauth2/v3/token"
SUBSCRIBED_SERVICES_PATH = "/subscribed_services/v1/"
MEASURE_PATH = "/mesure_synchrone_auto/v2/"
CONTRACT_PATH = "/situation_contrat_auto/v1/"
METERING_PATH = "/comptage_auto/v1/"

# History Enedis keeps (reference §8): load curve 24 months + 15 days, daily 36 months + 15 days.
CURVE_HISTORY_DAYS = 731
DAILY_HISTORY_DAYS = 1096

# Pacing (reference §9): 5 calls/s, and 1000 calls/h per API on mesure_synchrone_auto/v2.
CALLS_PER_SECOND = 5
CALLS_PER_HOUR = 1000
# The gateway counts on arrival: keep 5 calls within 1.25 s so network jitter never makes 6/s.
SECOND_WINDOW = 1.25
# Enedis issues 3.5 h tokens; renew five minutes early.
TOKEN_LIFETIME = 12600.0
TOKEN_MARGIN = 300.0


class RateLimiter:
    """Pace calls: ``per_second`` per second (waits) and ``per_hour`` per hour (refuses).

    At most ``per_second`` calls in any ``window`` (a second plus a margin for network
    jitter; waits), and at most
    ``per_hour`` in any hour (raises :class:`EnedisRateLimitedError` with the wait instead of
    sleeping for minutes). Share one per Data Connect app.

    Calls are counted on the clock the wait runs on: the running event loop's
    (``loop.time()``, what ``asyncio.sleep`` uses), looked up at each call, not a clock bound
    at import. With two clocks, a loop whose time is frozen or jumps (tests, suspend) would
    never see the slot free up.
    """

    def __init__(
        self,
        per_second: int = CALLS_PER_SECOND,
        per_hour: int = CALLS_PER_HOUR,
        *,
        window: float = SECOND_WINDOW,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        """Set the limits; ``clock``/``sleep`` (both or neither) are injectable for tests."""
        self.per_second = per_second
        self.per_hour = per_hour
        self.window = window
        self._clock = clock or _loop_time
        self._sleep = sleep or asyncio.sleep
        self._second: deque[float] = deque()
        self._hour: deque[float] = deque()
        self._lock = asyncio.Lock()

    @property
    def calls_last_hour(self) -> int:
        """Calls made in the last hour."""
        self._forget(self._clock())
        return len(self._hour)

    def hourly_wait(self) -> float:
        """Seconds until one more call fits in the hourly budget (0 when it fits now)."""
        now = self._clock()
        self._forget(now)
        if len(self._hour) < self.per_hour:
            return 0.0
        return max(0.0, self._hour[0] + 3600.0 - now)

    def _forget(self, now: float) -> None:
        while self._second and self._second[0] <= now - self.window:
            self._second.popleft()
        while self._hour and self._hour[0] <= now - 3600.0:
            self._hour.popleft()

    async def acquire(self) -> None:
        """Wait for a slot in the current second; raise when the hourly budget is spent."""
        async with self._lock:
            if (wait := self.hourly_wait()) > 0:
                raise EnedisRateLimitedError("Hourly call budget spent", wait)
            while True:
                now = self._clock()
                self._forget(now)
                if len(self._second) < self.per_second:
                    break
                await self._sleep(self._second[0] + self.window - now)
            self._second.append(now)
            self._hour.append(now)


def _loop_time() -> float:
    """Return the running event loop's time (the clock ``asyncio.sleep`` waits on)."""
    return asyncio.get_running_loop().time()


class EnedisClient(LinkyClient):
    """Client of the Enedis Data Connect 2026 APIs for one Data Connect app.

    Tokens are ``client_credentials`` (app-wide, 3.5 h), reused until five minutes before they
    expire; ``on_token`` hears of every new token so the owner can persist it, and
    :meth:`restore_token` puts it back after a restart. A 401 answer drops the token and the
    call is retried once with a new one. Calls are paced by ``limiter``.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        client_id: str,
        client_secret: str,
        *,
        environment: EnedisEnvironment | str = EnedisEnvironment.PRODUCTION,
        base_url: str | None = None,
        on_token: Callable[[AccessToken], None] | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        """Prepare the client; nothing is sent until the first call."""
        self._session = session
        self.environment = EnedisEnvironment(environment)
        self.base_url = (base_url or BASE_URLS[self.environment]).rstrip("/")
        self.limiter = limiter or RateLimiter()
        self.auth = ClientCredentialsAuth(
            session,
            f"{self.base_url}{TOKEN_PATH}",
            client_id,
            client_secret,
            default_lifetime=TOKEN_LIFETIME,
            expiry_margin=TOKEN_MARGIN,
            on_token=on_token,
        )
        super().__init__()

    # ------------------------------------------------------------------ token

    @property
    def token(self) -> AccessToken | None:
        """The cached token (to persist), valid or not."""
        return self.auth.token

    @property
    def token_requests(self) -> int:
        """How many token calls this client made."""
        return self.auth.token_requests

    def restore_token(self, token: AccessToken | None) -> None:
        """Reuse a token persisted before a restart (ignored when expired)."""
        self.auth.restore(token)

    # ------------------------------------------------------------------ consent

    async def async_get_subscribed_services(
        self, autorisation_id: str | int
    ) -> tuple[SubscribedService, ...]:
        """Return the services (PRM, dates) a v2 consent ``autorisation_id`` gives access to."""
        try:
            body: Any = int(autorisation_id)
        except TypeError, ValueError:
            body = str(autorisation_id)
        data = await self._async_call(
            "POST",
            SUBSCRIBED_SERVICES_PATH,
            "Subscribed services",
            json={
                "autorisationId": body,
                "autorisation": True,
                "comptage": False,
                "serviceType": "ACCES",
            },
        )
        return parse_subscribed_services(data)

    async def async_get_consent(self, autorisation_id: str | int) -> Consent:
        """Resolve a v2 consent: its PRM, end date and direction (consumption/production)."""
        return consent_from_services(await self.async_get_subscribed_services(autorisation_id))

    # ------------------------------------------------------------------ measures

    async def async_get_contract(self, prm: str) -> Contract:
        """Return the supply contract (subscribed power) from ``situation_contrat_auto``."""
        check_prm(prm)
        # The real answer is a top-level JSON array of contracts (captures in shared/reference).
        return parse_contract(
            (await self._async_send("GET", f"{CONTRACT_PATH}{prm}", "Contract")).json()
        )

    async def async_get_offpeak_hours(self, prm: str) -> str | None:
        """Return the meter's off-peak hours (``relais.plageHeuresCreuses`` of ``comptage_auto``).

        ``"HC (22H00-6H00)"`` or several ranges; None when the meter has none. An app not
        subscribed to ``comptage_auto`` gets :class:`EnedisNotSubscribedError` (403 900908).
        """
        check_prm(prm)
        return parse_offpeak_hours(
            await self._async_call("GET", f"{METERING_PATH}{prm}", "Metering")
        )

    # ------------------------------------------------------------------ plumbing

    async def _async_measure(
        self,
        resource: str,
        prm: str,
        start: date,
        end: date,
        *,
        extra: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        check_prm(prm)
        params = {"pointId": prm, "dateDebut": start.isoformat(), "dateFin": end.isoformat()}
        if extra:
            params.update(extra)
        return await self._async_call(
            "GET", f"{MEASURE_PATH}{resource}", label(resource), params=params
        )

    async def _async_call(self, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
        """Send one paced, authenticated call and decode its JSON object."""
        return (await self._async_send(method, path, what, **kwargs)).json_object()

    async def _async_send(self, method: str, path: str, what: str, **kwargs: Any) -> RawResponse:
        """Send one paced, authenticated call; 401 → new token and one retry; 2xx answer."""
        for attempt in (1, 2):
            token = await self.auth.async_get_token()
            await self.limiter.acquire()
            self.data_calls += 1
            try:
                response = await async_fetch(
                    self._session,
                    method,
                    f"{self.base_url}{path}",
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    **kwargs,
                )
            except ApiConnectionError as err:
                raise ApiConnectionError(f"{what}: {redact(str(err))}") from err
            if response.status == 401 and attempt == 1:
                _LOGGER.debug("%s: token refused (HTTP 401), fetching a new one", what)
                self.auth.invalidate(token)
                continue
            if response.status == 401:
                raise ApiAuthError(f"{what}: token refused twice (HTTP 401)")
            if not 200 <= response.status < 300:
                raise error_for_response(response, what)
            if not response.body.strip():
                # v5 once answered an expired token with an empty body (reference §4).
                raise EnedisTechnicalError(f"{what}: empty answer", response.status)
            return response
        raise AssertionError("unreachable")  # pragma: no cover


def today_in_paris(now: float | None = None) -> date:
    """Today's date in Europe/Paris (Enedis' calendar)."""
    return datetime.fromtimestamp(time.time() if now is None else now, PARIS).date()


__all__ = [
    "BASE_URLS",
    "CURVE_HISTORY_DAYS",
    "DAILY_HISTORY_DAYS",
    "MAX_CURVE_DAYS",
    "MAX_DAILY_DAYS",
    "PARIS",
    "AccessToken",
    "ApiAuthError",
    "ApiResponseError",
    "Consent",
    "Contract",
    "CurvePoint",
    "DailyReadings",
    "DailyValue",
    "EnedisBeforeActivationError",
    "EnedisBeforeConsentError",
    "EnedisBeyondHistoryError",
    "EnedisClient",
    "EnedisCurveNotActivatedError",
    "EnedisEnvironment",
    "EnedisError",
    "EnedisHistoryLimitError",
    "EnedisMovedError",
    "EnedisNoConsentError",
    "EnedisNoDataError",
    "EnedisNotSubscribedError",
    "EnedisRateLimitedError",
    "EnedisRequestError",
    "EnedisTechnicalError",
    "EnedisWrongDirectionError",
    "LoadCurve",
    "MaxPower",
    "RateLimiter",
    "SubscribedService",
]
