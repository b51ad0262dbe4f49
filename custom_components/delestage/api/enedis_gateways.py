"""Linky data through the households' gateways: Conso API and MyElectricalData (v2).

Both gateways hold a Data Connect contract and hand each customer a personal token; they serve
the same Enedis 2026 measures. :class:`GatewayClient` is a :class:`~.linky_client.LinkyClient`,
the one client interface the Home Assistant pipeline uses whatever the source (coordinator,
back-fill, statistics, repairs); each gateway is a *transport* that only knows its paths,
headers, envelope and errors, and hands the 2026 JSON to the Data Connect parsers.
Facts: ``reference/enedis-gateways.md``.

Every request passes the source's :class:`~.budget.RequestBudget` first (one place), carries an
identifying ``User-Agent`` in its own headers, and a quota or ban answer blocks the budget until
the gateway's window has passed.

Plain asyncio + aiohttp; no Home Assistant import.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
import json
import logging
from typing import Any

import aiohttp

from .budget import (
    BANNED,
    CONSO_API_POLICY,
    MYELECTRICALDATA_POLICY,
    BudgetPolicy,
    GatewayQuotaError,
    RequestBudget,
    epoch_now,
)
from .enedis_errors import (
    EnedisBeforeActivationError,
    EnedisBeyondHistoryError,
    EnedisError,
    EnedisNoConsentError,
    EnedisNoDataError,
    EnedisRequestError,
    EnedisTechnicalError,
    error_code,
    error_for_response,
    redact,
)
from .enedis_models import (
    Contract,
    parse_contract,
)
from .errors import ApiConnectionError, ApiResponseError
from .http import RawResponse, async_fetch, parse_retry_after
from .linky_client import (
    CURVE,
    DAILY,
    MAX_POWER,
    PRODUCTION_CURVE,
    PRODUCTION_DAILY,
    LinkyClient,
    check_prm,
    label,
)

_LOGGER = logging.getLogger(__name__)

# Same as manifest.json's "version" (a test keeps them equal): gateways ask clients to identify.
VERSION = "0.1.0"
USER_AGENT = f"delestage/{VERSION} (Home Assistant; +https://github.com/delestage/delestage)"

CONSO_API_URL = "https://conso.boris.sh/api"
MYELECTRICALDATA_URL = "https://www.v2.myelectricaldata.fr/api"


class Source(StrEnum):
    """Where a Linky entry gets its data (entry data ``source``)."""

    DATACONNECT = "dataconnect"
    CONSO_API = "conso_api"
    MYELECTRICALDATA = "myelectricaldata"


POLICIES: dict[Source, BudgetPolicy] = {
    Source.CONSO_API: CONSO_API_POLICY,
    Source.MYELECTRICALDATA: MYELECTRICALDATA_POLICY,
}


class GatewayTokenError(EnedisNoConsentError):
    """The gateway refused the user's token/secret (wrong, expired, revoked): reauth."""


@dataclass(frozen=True, slots=True)
class GatewayMeter:
    """A meter the user's gateway token gives access to."""

    prm: str
    production: bool = False
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ConsoToken:
    """What a Conso API token says about itself (read without the gateway's secret)."""

    prms: tuple[str, ...]
    expires: datetime | None

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the token's ``exp`` has passed."""
        now = now or datetime.now(UTC)
        return self.expires is not None and self.expires <= now


def decode_conso_token(token: str) -> ConsoToken:
    """Read ``sub`` (list of PRMs) and ``exp`` of a Conso API JWT; ValueError when not one.

    The signature (HS256, the gateway's secret) is the gateway's business: the claims only
    drive the pick list and the consent end; the gateway still checks every call.
    """
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError as err:
        raise ValueError("unreadable JWT payload") from err
    if not isinstance(claims, dict):
        raise ValueError("unreadable JWT payload")  # noqa: TRY004 - a ValueError to the caller
    sub = claims.get("sub")
    prms = [sub] if isinstance(sub, str) else sub
    if not isinstance(prms, list) or not prms:
        raise ValueError("JWT without PRMs")
    found = tuple(dict.fromkeys(str(prm).strip() for prm in prms))
    if not all(len(prm) == 14 and prm.isdigit() for prm in found):
        raise ValueError("JWT with a bad PRM")
    exp = claims.get("exp")
    expires = (
        datetime.fromtimestamp(exp, UTC)
        if isinstance(exp, int | float) and not isinstance(exp, bool)
        else None
    )
    return ConsoToken(found, expires)


def _is_html(response: RawResponse) -> bool:
    content_type = response.headers.get("Content-Type", "")
    return "html" in content_type.lower() or response.body.lstrip()[:1] == b"<"


class GatewayClient(LinkyClient):
    """The Linky client of a gateway source; subclasses are the transports.

    Same methods and counters as :class:`~.enedis.EnedisClient`. The history back-fill marks
    its requests with :data:`~.budget.REQUEST_PURPOSE` so the budget keeps room for the refresh.
    """

    source: Source
    default_url: str

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        budget: RequestBudget | None = None,
        base_url: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Prepare the client; nothing is sent until the first call."""
        super().__init__()
        self._session = session
        self._token = token
        self.base_url = (base_url or self.default_url).rstrip("/")
        self.budget = budget or RequestBudget(POLICIES[self.source], clock=clock)
        self._clock = clock or epoch_now

    async def async_get_meters(self) -> tuple[GatewayMeter, ...]:
        """Return the meters the token covers (one cheap call, or none)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ plumbing

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    async def _async_get(
        self, path: str, what: str, params: dict[str, str] | None = None
    ) -> RawResponse:
        """Send one budgeted GET; returns the raw answer (errors mapped by the transport)."""
        self.budget.acquire()
        self.data_calls += 1
        try:
            return await async_fetch(
                self._session,
                "GET",
                f"{self.base_url}{path}",
                headers=self._headers(),
                params=params,
            )
        except ApiConnectionError as err:
            raise ApiConnectionError(f"{what}: {redact(str(err))}") from err

    def _quota(
        self, what: str, reason: str, wait: float | None, *, banned: bool
    ) -> GatewayQuotaError:
        wait = self.budget.block(reason, wait)
        _LOGGER.warning(
            "%s refused by %s (%s): no request to it for %.1f h",
            what,
            self.source,
            reason,
            wait / 3600,
        )
        return GatewayQuotaError(f"{what}: {reason}", wait, reason, banned=banned)


class ConsoApiClient(GatewayClient):
    """Conso API (conso.boris.sh): Enedis 2026 JSON passed through; errors wrap Enedis' body."""

    source = Source.CONSO_API
    default_url = CONSO_API_URL
    has_contract = False  # its types are the measures only (reference §1.2)

    def __init__(self, session: aiohttp.ClientSession, token: str, **kwargs: Any) -> None:
        """Keep the token; its claims (PRMs, end) are read once."""
        super().__init__(session, token, **kwargs)
        try:
            self.claims: ConsoToken | None = decode_conso_token(token)
        except ValueError:
            self.claims = None

    async def async_get_meters(self) -> tuple[GatewayMeter, ...]:
        """Return the PRMs of the token's ``sub`` (no call); GatewayTokenError when unreadable."""
        if self.claims is None:
            raise GatewayTokenError("This is not a Conso API token")
        return tuple(GatewayMeter(prm) for prm in self.claims.prms)

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
        what = label(resource)
        response = await self._async_get(f"/{resource}", what, params | (extra or {}))
        if 200 <= response.status < 300:
            if not response.body.strip():
                raise EnedisTechnicalError(f"{what}: empty answer", response.status)
            return response.json_object()
        raise self._error(response, what)

    def _error(self, response: RawResponse, what: str) -> EnedisError:
        status = response.status
        if status == 403 and _is_html(response):
            # Cloudflare "Attention Required!": the IP is on the gateway's block list.
            return self._quota(what, BANNED, None, banned=True)
        try:
            body = json.loads(response.body)
        except ValueError:
            body = None
        inner: Any = body.get("error") if isinstance(body, dict) else None
        if isinstance(inner, dict | str) and inner:
            # "The Enedis API returned an error": Enedis' own body, with Enedis' status.
            raw = inner if isinstance(inner, str) else json.dumps(inner)
            response = RawResponse(status, response.headers, raw.encode())
        if status == 429:
            code, _ = error_code(response)
            return self._quota(
                what,
                f"HTTP 429{f' {code}' if code else ''}",
                parse_retry_after(response.headers.get("Retry-After")),
                banned=False,
            )
        if status == 401:
            return GatewayTokenError(f"{what}: Conso API refused the token (HTTP 401)")
        return error_for_response(response, what)


# MyElectricalData's error codes (``error.code`` of its envelope).
_MED_ERRORS: dict[str, type[EnedisError]] = {
    "ACCESS_DENIED": GatewayTokenError,
    "NO_DATA": EnedisNoDataError,
    "DATE_TOO_OLD": EnedisBeyondHistoryError,
    "ADAM-ERR0123": EnedisBeforeActivationError,
    "INVALID_DATE_RANGE": EnedisRequestError,
    "INVALID_DATE_FORMAT": EnedisRequestError,
    "ENEDIS_UNAVAILABLE": EnedisTechnicalError,
    "INTERNAL_ERROR": EnedisTechnicalError,
}
_MED_PATHS: dict[str, str] = {
    DAILY: "/enedis/consumption/daily/",
    CURVE: "/enedis/consumption/detail/",
    MAX_POWER: "/enedis/power/",  # the gateway adds mesuresPas=P1D&grandeurPhysique=PMA
    PRODUCTION_DAILY: "/enedis/production/daily/",
    PRODUCTION_CURVE: "/enedis/production/detail/",
}


class MyElectricalDataClient(GatewayClient):
    """MyElectricalData v2: ``{success, data, error}`` envelope, 2026 format on request, cache on.

    ``X-MED-Format: 2026`` asks for the Data Connect 2026 shape (without it the gateway converts
    to v5); ``use_cache=true`` serves from the gateway's cache and gives a 20 times larger quota.
    Business errors come back with HTTP 200 and ``success: false``. Load-curve ``d`` is already
    the interval START (the gateway shifted it).
    """

    source = Source.MYELECTRICALDATA
    default_url = MYELECTRICALDATA_URL
    curve_at_start = True

    def _headers(self) -> dict[str, str]:
        return {**super()._headers(), "X-MED-Format": "2026"}

    async def async_get_meters(self) -> tuple[GatewayMeter, ...]:
        """Return the account's meters (``GET /pdl/``): validates the secret with one cheap call."""
        data = await self._async_call("/pdl/", "Meters", None)
        if not isinstance(data, list):
            raise ApiResponseError("Meter list is not a list")
        meters: list[GatewayMeter] = []
        for item in data:
            if not isinstance(item, dict) or item.get("is_active") is False:
                continue
            prm = str(item.get("usage_point_id") or "")
            if len(prm) == 14 and prm.isdigit():
                name = item.get("name")
                meters.append(
                    GatewayMeter(
                        prm,
                        production=bool(item.get("has_production")),
                        name=name if isinstance(name, str) and name else None,
                    )
                )
        return tuple(meters)

    async def async_get_contract(self, prm: str) -> Contract:
        """Return ``situation_contrat`` (+ synthesis) of the meter, from the gateway's cache."""
        check_prm(prm)
        data = await self._async_call(f"/enedis/contract/{prm}", "Contract", {"use_cache": "true"})
        return parse_contract(data if isinstance(data, dict) else {"situation_contrat": data})

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
        params = {"start": start.isoformat(), "end": end.isoformat(), "use_cache": "true"}
        what = label(resource)
        data = await self._async_call(f"{_MED_PATHS[resource]}{prm}", what, params)
        if not isinstance(data, dict):
            raise ApiResponseError(f"{what}: no measure in the answer")
        return data

    async def _async_call(self, path: str, what: str, params: dict[str, str] | None) -> Any:
        response = await self._async_get(path, what, params)
        status = response.status
        if status in (401, 403):
            raise GatewayTokenError(f"{what}: MyElectricalData refused the secret (HTTP {status})")
        if status == 429:
            raise self._quota(
                what,
                "HTTP 429",
                parse_retry_after(response.headers.get("Retry-After")),
                banned=False,
            )
        try:
            envelope = response.json_object()
        except ApiResponseError:
            if status >= 500:
                raise EnedisTechnicalError(f"{what}: HTTP {status}", status) from None
            raise
        if envelope.get("success") is True:
            return envelope.get("data")
        raw_error: Any = envelope.get("error")
        error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
        code = str(error.get("code") or (f"HTTP {status}" if status >= 400 else "UNKNOWN"))
        message = redact(str(error.get("message") or ""))[:200]
        text = f"{what}: {code}" + (f" ({message})" if message else "")
        if code == "RATE_LIMIT_EXCEEDED":
            raise self._quota(what, code, _until_utc_midnight(self._clock()), banned=False)
        if code == "ENEDIS_ERROR":
            # The message is Enedis' error: map its code the Data Connect way.
            enedis_body = {"error": message.split(" ")[0].strip(":"), "error_description": message}
            inner = RawResponse(
                status if status >= 400 else 502, response.headers, json.dumps(enedis_body).encode()
            )
            raise error_for_response(inner, what)
        cls = _MED_ERRORS.get(code, EnedisTechnicalError)
        if cls is EnedisTechnicalError:  # unknown codes too: retry later, never a loop
            raise EnedisTechnicalError(text, status, code)
        raise cls(text, code)


def _until_utc_midnight(now: float) -> float:
    """Seconds until MyElectricalData's daily counter resets (UTC midnight), plus 5 minutes."""
    moment = datetime.fromtimestamp(now, UTC)
    midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), UTC)
    return (midnight - moment).total_seconds() + 300.0


GATEWAYS: dict[Source, type[GatewayClient]] = {
    Source.CONSO_API: ConsoApiClient,
    Source.MYELECTRICALDATA: MyElectricalDataClient,
}
