"""The DPObs client against a fake server that answers like the real one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import math
from unittest.mock import patch

import aiohttp
from aiohttp import web
import pytest

from custom_components.delestage.api.errors import (
    ApiAuthError,
    ApiConnectionError,
    ApiForbiddenError,
    ApiRateLimitedError,
    ApiResponseError,
    ApiServerError,
)
from custom_components.delestage.api.meteofrance import (
    BadRequestError,
    CallLimiter,
    InvalidApplicationIdError,
    MeteoFranceClient,
    Observation,
    Resolution,
    StationNotFoundError,
    distance_km,
    nearest_stations,
    parse_observations,
    parse_station_list,
)

from .fake_dpobs import API_KEY, APPLICATION_ID, FakeDpobs, invalid_jwt, throttled, xml_fault

PARIS_TIME = datetime(2026, 11, 23, 16, 30, 45, tzinfo=UTC).timestamp()


def key_client(session: aiohttp.ClientSession, url: str, key: str = API_KEY) -> MeteoFranceClient:
    return MeteoFranceClient(session, api_key=key, base_url=url, clock=lambda: PARIS_TIME)


def app_client(
    session: aiohttp.ClientSession, url: str, app_id: str = APPLICATION_ID
) -> MeteoFranceClient:
    return MeteoFranceClient(session, application_id=app_id, base_url=url)


async def test_hourly_observation_converted_to_home_assistant_units(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    client = key_client(session, dpobs_url)

    obs = await client.async_get_observation("75114001", Resolution.HOURLY)

    path, headers, query = fake_dpobs.requests[-1]
    assert path == "/public/DPObs/v1/station/horaire"
    assert headers["apikey"] == API_KEY
    assert "Authorization" not in headers
    assert query == {"id_station": "75114001", "format": "json"}
    assert obs.station_id == "75114001"
    assert obs.validity_time == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert obs.period_start == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert obs.reference_time == datetime(2026, 11, 23, 15, 10, 12, tzinfo=UTC)
    assert obs.temperature == pytest.approx(8.3)  # 281.45 K
    assert obs.dew_point == pytest.approx(4.0)  # 277.15 K
    assert obs.humidity == 74
    assert obs.pressure == pytest.approx(1012.5)  # 101250 Pa
    assert obs.station_pressure == pytest.approx(1003.2)  # 100320 Pa
    assert obs.wind_speed == pytest.approx(3.6)  # m/s, HA converts for display
    assert obs.wind_gust == pytest.approx(7.9)  # fxi, the hour's max gust
    assert obs.wind_bearing == 230
    assert obs.precipitation == pytest.approx(0.2)  # rr1
    assert obs.visibility == 20000
    assert obs.cloud_coverage == pytest.approx(75.0)  # 6 octas of 8
    assert obs.snow_depth == 0
    assert obs.solar_radiation == pytest.approx(150.0)  # 540 kJ/m² over 3600 s
    assert obs.sunshine_duration == 0
    assert client.calls == 1


async def test_station_with_leading_zero_and_missing_instruments(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    obs = await key_client(session, dpobs_url).async_get_observation("01014002", Resolution.HOURLY)

    assert fake_dpobs.requests[-1][2]["id_station"] == "01014002"
    assert obs.station_id == "01014002"
    assert obs.temperature == 0.0  # 273.15 K
    assert obs.dew_point == pytest.approx(-2.1)  # 271.05 K
    assert obs.snow_depth == pytest.approx(12.0)  # 0.12 m
    assert obs.precipitation == 0.0  # a real zero stays zero
    # Nulls stay None, never 0.
    assert obs.pressure is None
    assert obs.station_pressure is None
    assert obs.visibility is None
    assert obs.cloud_coverage is None
    assert obs.solar_radiation is None
    assert obs.sunshine_duration is None


async def test_six_minute_observation(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    obs = await key_client(session, dpobs_url).async_get_observation(
        "01014002", Resolution.SIX_MINUTES
    )

    assert fake_dpobs.requests[-1][0] == "/public/DPObs/v1/station/infrahoraire-6m"
    assert obs.resolution is Resolution.SIX_MINUTES
    assert obs.validity_time == datetime(2026, 11, 23, 15, 18, tzinfo=UTC)
    assert obs.period_start == datetime(2026, 11, 23, 15, 12, tzinfo=UTC)
    assert obs.precipitation == pytest.approx(0.2)  # rr_per
    assert obs.wind_gust == pytest.approx(2.9)  # fxi10
    assert obs.solar_radiation == pytest.approx(100.0)  # 36 kJ/m² over 360 s
    assert obs.temperature == pytest.approx(-0.2)  # 272.95 K
    assert obs.cloud_coverage is None  # no "n" in 6-minute data


async def test_observation_at_a_date(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    at = datetime(2026, 11, 23, 17, 0, tzinfo=datetime.now().astimezone().tzinfo)
    await key_client(session, dpobs_url).async_get_observation(
        "75114001", Resolution.HOURLY, at=at.astimezone(UTC)
    )

    assert fake_dpobs.requests[-1][2]["date"] == at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_station_list_latin1(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    stations = await key_client(session, dpobs_url).async_get_stations()

    assert fake_dpobs.requests[-1][0] == "/public/DPObs/v1/liste-stations"
    by_id = {station.station_id: station for station in stations}
    # Rows without a position or an id are skipped.
    assert sorted(by_id) == [
        "01014002",
        "01089001",
        "06088001",
        "13054001",
        "75114001",
        "78621001",
        "92046001",
        "95088001",
    ]
    assert by_id["01089001"].name == "AMBÉRIEU"
    assert by_id["92046001"].name == "CHÂTILLON"
    assert by_id["92046001"].wmo_id is None
    assert by_id["92046001"].pack == "ETENDU"
    assert by_id["75114001"].latitude == pytest.approx(48.821667)
    assert by_id["75114001"].altitude == 75
    assert by_id["75114001"].wmo_id == "07156"
    assert by_id["75114001"].opened == "1872-01-01"


def test_station_list_edge_cases() -> None:
    header = "Id_station;Id_omm;Nom_usuel;Latitude;Longitude;Altitude;Date_ouverture;Pack\r\n"
    assert parse_station_list(header.encode("iso-8859-1")) == []
    assert parse_station_list(b"") == []
    # A lost leading zero and French decimal commas are repaired.
    body = "\ufeff" + header + "1014002;;ARBENT;46,278;5,669;;;\r\n"
    [station] = parse_station_list(body.encode("utf-8").decode("utf-8").encode("latin-1", "ignore"))
    assert station.station_id == "01014002"
    assert station.latitude == pytest.approx(46.278)
    assert station.altitude is None
    with pytest.raises(ApiResponseError, match="Latitude"):
        parse_station_list(b"Id_station;Nom_usuel;Longitude\r\n01014002;X;5\r\n")


def test_distance_and_nearest() -> None:
    # One degree of longitude on the equator: 2πR / 360.
    assert distance_km(0, 0, 0, 1) == pytest.approx(2 * math.pi * 6371.0088 / 360)
    assert distance_km(48.8, 2.3, 48.8, 2.3) == 0
    body = (
        "Id_station;Id_omm;Nom_usuel;Latitude;Longitude;Altitude;Date_ouverture;Pack\r\n"
        "75114001;07156;PARIS-MONTSOURIS;48.821667;2.337833;75;;\r\n"
        "06088001;07690;NICE;43.648833;7.209000;2;;\r\n"
        "78621001;07149;TRAPPES;48.774333;2.009833;168;;\r\n"
    )
    stations = parse_station_list(body.encode("latin-1"))
    ranked = nearest_stations(stations, 48.8566, 2.3522, 2)  # Paris, Hôtel de Ville

    assert [station.name for station, _ in ranked] == ["PARIS-MONTSOURIS", "TRAPPES"]
    # 0.034933° of latitude (3.884 km) and 0.014367° of longitude at 48.84° N (1.051 km).
    assert ranked[0][1] == pytest.approx(math.hypot(3.884, 1.051), abs=0.01)


def test_parse_observations_payload_shapes() -> None:
    record = {"geo_id_insee": 1014002, "validity_time": "2026-11-23T15:00:00Z", "t": "273,65"}
    newer = {**record, "validity_time": "2026-11-23T16:00:00", "t": True, "n": 9}

    obs = parse_observations([record, "junk", newer], Resolution.HOURLY)

    assert obs.station_id == "01014002"
    assert obs.validity_time == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # latest, naive = UTC
    assert obs.temperature is None  # a boolean is not a temperature
    assert obs.cloud_coverage is None  # 9 octas = sky obscured
    assert parse_observations([record], Resolution.HOURLY).temperature == pytest.approx(0.5)
    assert (
        Observation.from_api({**record, "t": float("nan")}, Resolution.HOURLY).temperature is None
    )
    assert Observation.from_api({**record, "t": "n/a"}, Resolution.HOURLY).temperature is None

    with pytest.raises(StationNotFoundError):
        parse_observations([], Resolution.HOURLY)
    with pytest.raises(ApiResponseError, match="list"):
        parse_observations({"features": []}, Resolution.HOURLY)
    with pytest.raises(ApiResponseError, match="validity_time"):
        parse_observations([{**record, "validity_time": "yesterday"}], Resolution.HOURLY)
    with pytest.raises(ApiResponseError, match="station id"):
        parse_observations([{**record, "geo_id_insee": None}], Resolution.HOURLY)
    with pytest.raises(ApiResponseError, match="station id"):
        parse_observations([{**record, "geo_id_insee": "ABC"}], Resolution.HOURLY)


async def test_application_id_token_reused_and_renewed_after_401(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    client = app_client(session, dpobs_url)

    await client.async_get_observation("75114001", Resolution.HOURLY)
    await client.async_get_observation("75114001", Resolution.HOURLY)

    assert fake_dpobs.token_requests == 1
    token_path, token_headers, _ = fake_dpobs.requests[0]
    assert token_path == "/token"  # the server's root, like portail-api.meteofrance.fr/token
    assert token_headers["Authorization"] == f"Basic {APPLICATION_ID}"
    headers = fake_dpobs.data_requests[-1][1]
    assert headers["Authorization"].startswith("Bearer ")
    assert "apikey" not in headers

    fake_dpobs.expire_tokens()  # the hour is over: the next call gets 401 "Invalid JWT token"
    obs = await client.async_get_observation("75114001", Resolution.HOURLY)

    assert obs.station_id == "75114001"
    assert fake_dpobs.token_requests == 2
    assert len(fake_dpobs.data_requests) == 4  # 2 + the refused one + its retry
    assert client.token_auth is not None
    assert client.token_auth.token_requests == 2


async def test_application_id_persistent_401_retried_once(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    client = app_client(session, dpobs_url)
    fake_dpobs.faults.extend([invalid_jwt, invalid_jwt, invalid_jwt])

    with pytest.raises(ApiAuthError, match="401"):
        await client.async_get_observation("75114001", Resolution.HOURLY)

    assert len(fake_dpobs.data_requests) == 2
    assert fake_dpobs.token_requests == 2


async def test_bad_application_ids(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    with pytest.raises(InvalidApplicationIdError):
        app_client(session, dpobs_url, "not base64 at all!")
    import base64

    wrong = base64.b64encode(b"someone:else").decode()
    with pytest.raises(ApiAuthError, match="Token request refused"):
        await app_client(session, dpobs_url, wrong).async_get_stations()
    assert fake_dpobs.data_requests == []


async def test_wrong_api_key(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    client = key_client(session, dpobs_url, "revoked-key")

    with pytest.raises(ApiAuthError, match="401"):
        await client.async_get_stations()
    assert len(fake_dpobs.data_requests) == 1  # no retry with an API key


def test_exactly_one_credential() -> None:
    session = aiohttp.ClientSession.__new__(aiohttp.ClientSession)
    with pytest.raises(ValueError, match="either"):
        MeteoFranceClient(session)
    with pytest.raises(ValueError, match="either"):
        MeteoFranceClient(session, api_key="k", application_id=APPLICATION_ID)


def _json_error(status: int, body: object) -> Callable[[], web.Response]:
    return lambda: web.json_response(body, status=status)


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        (_json_error(403, {"message": "Forbidden"}), ApiForbiddenError, "403"),
        (lambda: xml_fault(404, "Not found"), StationNotFoundError, "404"),
        (lambda: xml_fault(400, "date future"), BadRequestError, "400"),
        (_json_error(500, {"message": "Internal Server Error"}), ApiServerError, "500"),
        (lambda: web.Response(status=502, text="Bad gateway"), ApiServerError, "502"),
        (lambda: web.Response(status=503), ApiServerError, "503"),
        (lambda: web.Response(status=200, text="<html>"), ApiResponseError, "Malformed"),
        (_json_error(200, {"code": "x"}), ApiResponseError, "list"),
        (_json_error(200, []), StationNotFoundError, "No observation"),
    ],
)
async def test_errors_are_typed(
    session: aiohttp.ClientSession,
    dpobs_url: str,
    fake_dpobs: FakeDpobs,
    fault: Callable[[], web.Response],
    error: type[Exception],
    match: str,
) -> None:
    fake_dpobs.faults.append(fault)

    with pytest.raises(error, match=match):
        await key_client(session, dpobs_url).async_get_observation("75114001", Resolution.HOURLY)


async def test_server_error_keeps_status(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    fake_dpobs.faults.append(lambda: web.Response(status=504))
    with pytest.raises(ApiServerError) as err:
        await key_client(session, dpobs_url).async_get_stations()
    assert err.value.status == 504


@pytest.mark.parametrize(
    ("fault", "wait"),
    [
        # WSO2 text date, 15 s after the client's clock (16:30:45).
        (lambda: throttled("2026-Nov-23 16:31:00+0000 UTC", "99"), 15.0),
        (lambda: throttled("2026-11-23T16:32:00Z"), 75.0),
        (lambda: throttled(str(1795105920000)), None),  # unparseable text → Retry-After/minute
        (
            lambda: web.json_response(
                {"fault": {"code": 900802, "nextAccessTime": int((PARIS_TIME + 20) * 1000)}},
                status=429,
            ),
            20.0,
        ),
        (
            lambda: web.json_response({"fault": {"nextAccessTime": PARIS_TIME + 5}}, status=429),
            5.0,
        ),
        (lambda: web.Response(status=429, headers={"Retry-After": "30"}), 30.0),
        (lambda: web.Response(status=429, text="throttled"), 15.0),  # until the next minute
        (lambda: web.json_response(["throttled"], status=429), 15.0),
    ],
)
async def test_rate_limited_wait(
    session: aiohttp.ClientSession,
    dpobs_url: str,
    fake_dpobs: FakeDpobs,
    fault: Callable[[], web.Response],
    wait: float | None,
) -> None:
    fake_dpobs.faults.append(fault)

    with pytest.raises(ApiRateLimitedError) as err:
        await key_client(session, dpobs_url).async_get_observation("75114001", Resolution.HOURLY)

    assert err.value.retry_after == pytest.approx(15.0 if wait is None else wait)


async def test_station_id_checked_before_any_call(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    with pytest.raises(BadRequestError, match="8-digit"):
        await key_client(session, dpobs_url).async_get_observation("1014002", Resolution.HOURLY)
    assert fake_dpobs.requests == []


@pytest.mark.usefixtures("socket_enabled")
async def test_connection_error(session: aiohttp.ClientSession) -> None:
    client = key_client(session, "http://127.0.0.1:9/public/DPObs/v1")
    with pytest.raises(ApiConnectionError):
        await client.async_get_stations()


class _FakeClock:
    """A clock and an ``asyncio.sleep`` stand-in that advances it and records each wait."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_call_limiter_waits_for_the_window() -> None:
    clock = _FakeClock(1000.0)
    limiter = CallLimiter(3, 60.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await limiter.async_acquire()
        clock.now += 1
    assert clock.slept == []

    await limiter.async_acquire()  # 4th call within the minute: wait for the 1st to leave

    assert clock.slept == [pytest.approx(57.0)]
    assert clock.now == pytest.approx(1060.0)


async def test_call_limiter_waits_on_the_event_loop_clock() -> None:
    """Its default clock is the event loop's, the one ``asyncio.sleep`` uses (frozen in tests).

    The loop's clock is replaced for the test, so no wall-clock duration is asserted.
    """
    import asyncio

    clock = _FakeClock(5000.0)
    limiter = CallLimiter(1, 0.05, sleep=clock.sleep)
    with patch.object(asyncio.get_running_loop(), "time", clock):
        await limiter.async_acquire()
        clock.now += 0.01
        await limiter.async_acquire()

    assert clock.slept == [pytest.approx(0.04)]
