"""Météo-France DPObs client: station list and observations of one station.

Plain asyncio + aiohttp, no Home Assistant import. The API answers in SI units (K, Pa, m, J/m²);
the models convert them to the units Home Assistant shows (°C, hPa, cm, W/m², %).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
import csv
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
import io
import math
import re
import time
from typing import Any, Final

import aiohttp

from .auth import AccessToken, ClientCredentialsAuth, split_basic_auth_value
from .errors import (
    ApiAuthError,
    ApiError,
    ApiRateLimitedError,
    ApiResponseError,
)
from .http import MAX_RETRY_AFTER, RawResponse, async_fetch, parse_retry_after, raise_for_status

API_PATH: Final = "/public/DPObs/v1"
DEFAULT_BASE_URL: Final = f"https://public-api.meteofrance.fr{API_PATH}"
DEFAULT_TOKEN_URL: Final = "https://portail-api.meteofrance.fr/token"
# Free tier of the DonneesPubliquesObservation subscription.
CALLS_PER_MINUTE: Final = 50
STATION_ID_PATTERN: Final = re.compile(r"^\d{8}$")
ZERO_CELSIUS_IN_KELVIN: Final = 273.15
_OBSERVATION_META: Final = frozenset(
    {"station_id", "resolution", "validity_time", "reference_time"}
)
_STATION_COLUMNS: Final = ("Id_station", "Nom_usuel", "Latitude", "Longitude")
_WSO2_TIME_FORMATS: Final = ("%Y-%b-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z")


class Resolution(StrEnum):
    """Time step of the observations: one per hour, or one every 6 minutes."""

    HOURLY = "hourly"
    SIX_MINUTES = "six_minutes"

    @property
    def period_seconds(self) -> int:
        """Length of the period one observation covers."""
        return 3600 if self is Resolution.HOURLY else 360

    @property
    def path(self) -> str:
        """Endpoint of this resolution, relative to the base URL."""
        return "/station/horaire" if self is Resolution.HOURLY else "/station/infrahoraire-6m"


class StationNotFoundError(ApiError):
    """No observation for this station: unknown id, closed or silent station (404, empty list)."""


class BadRequestError(ApiError):
    """The API refused the parameters (HTTP 400), e.g. a station id without its leading zero."""


class InvalidApplicationIdError(ApiAuthError):
    """The application id is not the portal's Base64 ``client_id:client_secret`` string."""


def is_station_id(value: str) -> bool:
    """Return True for an 8-digit station id (leading zero kept)."""
    return bool(STATION_ID_PATTERN.match(value))


@dataclass(frozen=True, slots=True)
class Station:
    """One row of the station list."""

    station_id: str
    name: str
    latitude: float
    longitude: float
    altitude: float | None = None
    wmo_id: str | None = None
    opened: str | None = None
    pack: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One observation of a station, in Home Assistant units; every measurement may be None."""

    station_id: str
    resolution: Resolution
    validity_time: datetime
    reference_time: datetime | None = None
    temperature: float | None = None  # °C
    dew_point: float | None = None  # °C
    humidity: float | None = None  # %
    pressure: float | None = None  # hPa, reduced to sea level
    station_pressure: float | None = None  # hPa, at the station
    wind_speed: float | None = None  # m/s, 10-minute mean
    wind_gust: float | None = None  # m/s, max instantaneous
    wind_bearing: float | None = None  # degrees
    precipitation: float | None = None  # mm over the period
    visibility: float | None = None  # m
    cloud_coverage: float | None = None  # %
    snow_depth: float | None = None  # cm
    solar_radiation: float | None = None  # W/m², mean over the period
    sunshine_duration: float | None = None  # min over the period

    def as_dict(self) -> dict[str, Any]:
        """Serialise (JSON-safe) for persistence."""
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["resolution"] = self.resolution.value
        data["validity_time"] = self.validity_time.isoformat()
        data["reference_time"] = self.reference_time.isoformat() if self.reference_time else None
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Observation | None:
        """Restore a persisted observation; None when the data is not one."""
        if not isinstance(data, dict):
            return None
        try:
            resolution = Resolution(data["resolution"])
            validity = _parse_time(data["validity_time"])
            station_id = _station_id(data["station_id"])
        except KeyError, ValueError:
            return None
        if validity is None or station_id is None:
            return None
        values = {
            field.name: _number(data, field.name)
            for field in fields(cls)
            if field.name not in _OBSERVATION_META
        }
        return cls(
            station_id=station_id,
            resolution=resolution,
            validity_time=validity,
            reference_time=_parse_time(data.get("reference_time")),
            **values,
        )

    @property
    def period_start(self) -> datetime:
        """Start of the period the accumulated values (precipitation, radiation) cover."""
        return datetime.fromtimestamp(
            self.validity_time.timestamp() - self.resolution.period_seconds, UTC
        )

    @classmethod
    def from_api(cls, record: Mapping[str, Any], resolution: Resolution) -> Observation:
        """Build an observation from one JSON record of the API (SI units)."""
        validity = _parse_time(record.get("validity_time"))
        if validity is None:
            raise ApiResponseError("Observation without a valid validity_time")
        station_id = _station_id(record.get("geo_id_insee"))
        if station_id is None:
            raise ApiResponseError("Observation without a station id (geo_id_insee)")
        hourly = resolution is Resolution.HOURLY
        radiation = _number(record, "ray_glo01")
        return cls(
            station_id=station_id,
            resolution=resolution,
            validity_time=validity,
            reference_time=_parse_time(record.get("reference_time")),
            temperature=kelvin_to_celsius(_number(record, "t")),
            dew_point=kelvin_to_celsius(_number(record, "td")),
            humidity=_number(record, "u"),
            pressure=pascal_to_hectopascal(_number(record, "pmer")),
            station_pressure=pascal_to_hectopascal(_number(record, "pres")),
            wind_speed=_number(record, "ff"),
            wind_gust=_number(record, "fxi" if hourly else "fxi10"),
            wind_bearing=_number(record, "dd"),
            precipitation=_number(record, "rr1" if hourly else "rr_per"),
            visibility=_number(record, "vv"),
            cloud_coverage=octas_to_percent(_number(record, "n")),
            snow_depth=metres_to_centimetres(_number(record, "sss")),
            solar_radiation=energy_to_mean_power(radiation, resolution.period_seconds),
            sunshine_duration=_number(record, "insolh"),
        )


def kelvin_to_celsius(value: float | None) -> float | None:
    """K → °C, rounded to 2 decimals to drop float noise (the API gives 0.1 K at best)."""
    return None if value is None else round(value - ZERO_CELSIUS_IN_KELVIN, 2)


def pascal_to_hectopascal(value: float | None) -> float | None:
    """Pa → hPa."""
    return None if value is None else value / 100


def metres_to_centimetres(value: float | None) -> float | None:
    """M → cm (snow depth)."""
    return None if value is None else round(value * 100, 3)


def octas_to_percent(value: float | None) -> float | None:
    """Cloud cover in octas (0–8) → %; 9 (sky obscured) and other codes → None."""
    if value is None or not 0 <= value <= 8:
        return None
    return value * 12.5


def energy_to_mean_power(value: float | None, period_seconds: int) -> float | None:
    """Energy accumulated over the period (J/m²) → its mean power (W/m²)."""
    return None if value is None else value / period_seconds


def _number(record: Mapping[str, Any], key: str) -> float | None:
    """Return a measurement as float; null, absent, non-finite or non-numeric values are None."""
    value = record.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "."))
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _station_id(value: Any) -> str | None:
    """Return a station id as an 8-digit string, restoring a leading zero lost by a number."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text: str = value.strip()
    if text.isdigit() and len(text) <= 8:
        return text.zfill(8)
    return None


def _parse_time(value: Any) -> datetime | None:
    """ISO 8601 → aware datetime (UTC when the text has no offset), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_station_list(body: bytes) -> list[Station]:
    """Parse the station list CSV (``;``-separated, ISO-8859-1); rows without an id are skipped."""
    text = body.decode("iso-8859-1").lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    columns = [name.strip() for name in reader.fieldnames or ()]
    if not columns:
        return []
    missing = [name for name in _STATION_COLUMNS if name not in columns]
    if missing:
        raise ApiResponseError(f"Station list without the columns {', '.join(missing)}")
    stations: list[Station] = []
    for raw in reader:
        row = {(key or "").strip(): (value or "").strip() for key, value in raw.items()}
        station_id = _station_id(row["Id_station"])
        latitude = _number(row, "Latitude")
        longitude = _number(row, "Longitude")
        if station_id is None or latitude is None or longitude is None:
            continue
        stations.append(
            Station(
                station_id=station_id,
                name=row["Nom_usuel"] or station_id,
                latitude=latitude,
                longitude=longitude,
                altitude=_number(row, "Altitude"),
                wmo_id=row.get("Id_omm") or None,
                opened=row.get("Date_ouverture") or None,
                pack=row.get("Pack") or None,
            )
        )
    return stations


EARTH_RADIUS_KM: Final = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest_stations(
    stations: list[Station], latitude: float, longitude: float, count: int
) -> list[tuple[Station, float]]:
    """Return the ``count`` stations nearest to a point with their distance (km), nearest first."""
    ranked = sorted(
        (
            (station, distance_km(latitude, longitude, station.latitude, station.longitude))
            for station in stations
        ),
        key=lambda pair: (pair[1], pair[0].station_id),
    )
    return ranked[:count]


def parse_observations(data: Any, resolution: Resolution) -> Observation:
    """Pick the latest observation of a JSON answer (a list of records)."""
    if not isinstance(data, list):
        raise ApiResponseError(f"Expected a list of observations, got {type(data).__name__}")
    records = [record for record in data if isinstance(record, dict)]
    if not records:
        raise StationNotFoundError("No observation for this station")
    observations = [Observation.from_api(record, resolution) for record in records]
    return max(observations, key=lambda observation: observation.validity_time)


def throttle_wait(response: RawResponse, now: float) -> float:
    """Seconds to wait after a 429: ``nextAccessTime``, then Retry-After, else the next minute.

    A time already past (clock skew) or a zero wait is no answer: retrying at once would only
    earn another 429, so the next minute (when the 50-call window has moved on) is used. Waits
    are capped like Retry-After (``MAX_RETRY_AFTER``) so that nonsense cannot stop the polling
    for months.
    """
    if (when := _next_access_time(response)) is not None and when > now:
        return min(when - now, MAX_RETRY_AFTER)
    if (
        wait := parse_retry_after(response.headers.get("Retry-After"), now)
    ) is not None and wait > 0:
        return wait
    return 60.0 - now % 60.0


def _next_access_time(response: RawResponse) -> float | None:
    """Return the ``nextAccessTime`` of a WSO2 throttling body, as epoch seconds, if any."""
    try:
        data = response.json()
    except ApiResponseError:
        return None
    if not isinstance(data, dict):
        return None
    fault = data.get("fault")
    value = data.get("nextAccessTime")
    if value is None and isinstance(fault, dict):
        value = fault.get("nextAccessTime")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value / 1000 if value > 1e11 else float(value)  # epoch ms or s
    if not isinstance(value, str):
        return None
    text = value.strip().removesuffix("UTC").strip()
    if (parsed := _parse_time(text.replace(" ", "T", 1))) is not None:
        return parsed.timestamp()
    for fmt in _WSO2_TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).timestamp()
        except ValueError:
            continue
    return None


class CallLimiter:
    """Sliding-window limit on calls (50 per minute per subscription), shared by its users."""

    def __init__(
        self,
        max_calls: int = CALLS_PER_MINUTE,
        period: float = 60.0,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Allow ``max_calls`` per ``period`` seconds; the clock defaults to the event loop's."""
        self._max_calls = max_calls
        self._period = period
        self._clock = clock or _loop_time
        self._sleep = sleep
        self._calls: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def async_acquire(self) -> None:
        """Wait until one more call fits in the window, then count it."""
        async with self._lock:
            while True:
                now = self._clock()
                while self._calls and self._calls[0] <= now - self._period:
                    self._calls.popleft()
                if len(self._calls) < self._max_calls:
                    self._calls.append(now)
                    return
                await self._sleep(self._calls[0] + self._period - now)


class MeteoFranceClient:
    """DPObs client authenticated by an API key or an application id (OAuth2 token)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_key: str | None = None,
        application_id: str | None = None,
        base_url: str | None = None,
        token_url: str | None = None,
        limiter: CallLimiter | None = None,
        clock: Callable[[], float] | None = None,
        on_token: Callable[[AccessToken], None] | None = None,
    ) -> None:
        """Use exactly one of ``api_key`` and ``application_id``; ``clock`` gives epoch seconds."""
        if (api_key is None) == (application_id is None):
            raise ValueError("Give either an API key or an application id")
        self._session = session
        self._base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._limiter = limiter or CallLimiter()
        self._clock = clock or _wall_clock
        self._api_key = api_key.strip() if api_key is not None else None
        self._token_auth: ClientCredentialsAuth | None = None
        if application_id is not None:
            credentials = split_basic_auth_value(application_id)
            if credentials is None:
                raise InvalidApplicationIdError("The application id is not valid Base64")
            if token_url is None:
                token_url = _token_url(self._base_url) if base_url else DEFAULT_TOKEN_URL
            self._token_auth = ClientCredentialsAuth(
                session,
                token_url,
                *credentials,
                clock=self._clock,
                on_token=on_token,
                expiry_margin=120.0,
            )
        self.calls = 0

    @property
    def token_auth(self) -> ClientCredentialsAuth | None:
        """The token cache when authenticated by application id."""
        return self._token_auth

    async def async_get_stations(self) -> list[Station]:
        """Return every station of the list."""
        response = await self._async_get("/liste-stations", {}, "Station list")
        return parse_station_list(response.body)

    async def async_get_observation(
        self, station_id: str, resolution: Resolution, at: datetime | None = None
    ) -> Observation:
        """Return the latest observation of a station (or the one nearest ``at``)."""
        if not is_station_id(station_id):
            raise BadRequestError(f"Not an 8-digit station id: {station_id!r}")
        params = {"id_station": station_id, "format": "json"}
        if at is not None:
            params["date"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        response = await self._async_get(resolution.path, params, "Observation")
        return parse_observations(response.json(), resolution)

    async def _async_get(self, path: str, params: dict[str, str], what: str) -> RawResponse:
        """GET with authentication; with a token, a 401 gets a new token and one retry."""
        retried = False
        while True:
            headers, token = await self._async_auth_headers()
            await self._limiter.async_acquire()
            self.calls += 1
            # Never follow a redirect: aiohttp would forward the ``apikey`` header (it only
            # drops Authorization) to whatever host the redirect names.
            response = await async_fetch(
                self._session,
                "GET",
                f"{self._base_url}{path}",
                params=params,
                headers=headers,
                allow_redirects=False,
            )
            if response.status == 401 and self._token_auth is not None and not retried:
                # Expired token ("Invalid JWT token"): fetch a new one, once.
                self._token_auth.invalidate(token)
                retried = True
                continue
            _raise_for_status(response, what, self._clock())
            return response

    async def _async_auth_headers(self) -> tuple[dict[str, str], str | None]:
        if self._token_auth is None:
            assert self._api_key is not None
            return {"apikey": self._api_key, "Accept": "*/*"}, None
        token = await self._token_auth.async_get_token()
        return {"Authorization": f"Bearer {token}", "Accept": "*/*"}, token


def _loop_time() -> float:
    """Return the running event loop's clock, the one ``asyncio.sleep`` waits on."""
    return asyncio.get_running_loop().time()


def _wall_clock() -> float:
    """Return the current epoch time (looked up at each call, so test clocks apply)."""
    return time.time()


def _token_url(base_url: str) -> str:
    """Token endpoint of another server (simulator): its root, as on the portal, + ``/token``."""
    return f"{base_url.removesuffix(API_PATH)}/token"


def _raise_for_status(response: RawResponse, what: str, now: float) -> None:
    """Map DPObs statuses to typed errors (400, 404 and 429 have their own)."""
    status = response.status
    if status == 400:
        raise BadRequestError(f"{what}: request refused (HTTP 400)")
    if status == 404:
        raise StationNotFoundError(f"{what}: no data (HTTP 404)")
    if status == 429:
        raise ApiRateLimitedError(f"{what}: rate limited (HTTP 429)", throttle_wait(response, now))
    raise_for_status(response, what)


__all__ = [
    "ApiError",
    "BadRequestError",
    "CallLimiter",
    "InvalidApplicationIdError",
    "MeteoFranceClient",
    "Observation",
    "Resolution",
    "Station",
    "StationNotFoundError",
    "distance_km",
    "nearest_stations",
]
