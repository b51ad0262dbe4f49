"""Edge rules of the DPObs client that the first tests left open (issue 13 §6 mutants).

Each case is one a user would notice: a fully overcast sky shown as unknown, a station without
coordinates offered in the list, a throttled poll retried at once, a token used past its life.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import math
from typing import Any

import aiohttp
import pytest

from custom_components.delestage.api.errors import ApiResponseError
from custom_components.delestage.api.http import RawResponse
from custom_components.delestage.api.meteofrance import (
    CallLimiter,
    MeteoFranceClient,
    Observation,
    Resolution,
    Station,
    energy_to_mean_power,
    is_station_id,
    kelvin_to_celsius,
    metres_to_centimetres,
    nearest_stations,
    octas_to_percent,
    parse_station_list,
    pascal_to_hectopascal,
    throttle_wait,
)

from .fake_dpobs import API_KEY, APPLICATION_ID, FakeDpobs

RECORD = {"geo_id_insee": "75114001", "validity_time": "2026-11-23T15:00:00Z"}


@pytest.mark.parametrize(
    ("octas", "percent"),
    [
        (0, 0.0),  # clear sky
        (1, 12.5),
        (4, 50.0),
        (8, 100.0),  # fully overcast: 100 %, not unknown
        (9, None),  # sky obscured (fog)
        (-1, None),
        (8.5, None),
        (None, None),
    ],
)
def test_cloud_cover(octas: float | None, percent: float | None) -> None:
    assert octas_to_percent(octas) == percent
    obs = Observation.from_api({**RECORD, "n": octas}, Resolution.HOURLY)
    assert obs.cloud_coverage == percent


def test_unit_conversions() -> None:
    assert kelvin_to_celsius(273.15) == 0.0
    assert kelvin_to_celsius(300.004) == 26.85  # rounded to 2 decimals
    assert kelvin_to_celsius(None) is None
    assert pascal_to_hectopascal(101325) == 1013.25
    assert pascal_to_hectopascal(None) is None
    assert metres_to_centimetres(0.1234) == 12.34
    assert metres_to_centimetres(None) is None
    assert energy_to_mean_power(3600.0, 3600) == 1.0
    assert energy_to_mean_power(720.0, 360) == 2.0
    assert energy_to_mean_power(None, 360) is None
    assert Resolution.HOURLY.period_seconds == 3600
    assert Resolution.SIX_MINUTES.period_seconds == 360


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12, 12.0),
        (0, 0.0),
        ("12,5", 12.5),
        (" 3.5 ", 3.5),
        ("", None),
        (True, None),
        (False, None),
        (math.inf, None),
        ([1], None),
    ],
)
def test_measurement_values(value: Any, expected: float | None) -> None:
    assert Observation.from_api({**RECORD, "u": value}, Resolution.HOURLY).humidity == expected


@pytest.mark.parametrize(
    ("value", "station_id"),
    [
        ("75114001", "75114001"),
        (" 01014002 ", "01014002"),
        (1014002, "01014002"),
        ("123456789", None),
        (True, None),
        (1.5, None),
        ("7511400A", None),
    ],
)
def test_station_ids(value: Any, station_id: str | None) -> None:
    record = {**RECORD, "geo_id_insee": value}
    if station_id is None:
        with pytest.raises(ApiResponseError, match="station id"):
            Observation.from_api(record, Resolution.HOURLY)
    else:
        assert Observation.from_api(record, Resolution.HOURLY).station_id == station_id
    assert is_station_id("75114001")
    assert not is_station_id("7511400")
    assert not is_station_id("751140011")


def test_times_without_offset_are_utc_and_empty_ones_none() -> None:
    obs = Observation.from_api(
        {**RECORD, "validity_time": "2026-11-23T15:00:00", "reference_time": ""},
        Resolution.SIX_MINUTES,
    )
    assert obs.validity_time == datetime(2026, 11, 23, 15, tzinfo=UTC)
    assert obs.reference_time is None
    assert obs.period_start == datetime(2026, 11, 23, 14, 54, tzinfo=UTC)


def test_observation_round_trip_and_broken_data() -> None:
    obs = Observation.from_api(
        {**RECORD, "t": 281.45, "reference_time": "2026-11-23T15:10:00Z"}, Resolution.HOURLY
    )
    data = obs.as_dict()
    assert data["resolution"] == "hourly"
    assert data["validity_time"] == "2026-11-23T15:00:00+00:00"
    assert data["reference_time"] == "2026-11-23T15:10:00+00:00"
    assert Observation.from_dict(data) == obs
    without_reference = Observation.from_dict({**data, "reference_time": None})
    assert without_reference is not None
    assert without_reference.reference_time is None
    assert without_reference.temperature == pytest.approx(8.3)
    hot = Observation.from_dict({**data, "temperature": "hot"})
    assert hot is not None
    assert hot.temperature is None
    for broken in (
        None,
        [],
        {**data, "resolution": "daily"},
        {**data, "validity_time": "soon"},
        {**data, "station_id": "x"},
        {key: value for key, value in data.items() if key != "station_id"},
    ):
        assert Observation.from_dict(broken) is None


HEADER = "Id_station;Id_omm;Nom_usuel;Latitude;Longitude;Altitude;Date_ouverture;Pack\r\n"


def test_station_rows_without_coordinates_are_skipped() -> None:
    body = (
        HEADER + "75114001;07156;PARIS-MONTSOURIS;48.821667;2.337833;75;1872-01-01;RADOME\r\n"
        "01014002;;;46.278;;;;\r\n"  # no longitude
        "01089001;;AMBERIEU;;5.33;;;\r\n"  # no latitude
        ";;NO ID;45.0;5.0;;;\r\n"
        "06088001;;;43.648833;7.209;;;\r\n"  # no name: its id
    )

    stations = parse_station_list(body.encode("iso-8859-1"))

    assert [s.station_id for s in stations] == ["75114001", "06088001"]
    paris, nice = stations
    assert paris == Station("75114001", "PARIS-MONTSOURIS", 48.821667, 2.337833, 75.0, "07156",
                            "1872-01-01", "RADOME")  # fmt: skip
    assert nice.name == "06088001"
    assert (nice.wmo_id, nice.opened, nice.pack, nice.altitude) == (None, None, None, None)


def test_nearest_stations_ties_and_count() -> None:
    a = Station("00000002", "B", 45.0, 5.0)
    b = Station("00000001", "A", 45.0, 5.0)
    c = Station("00000003", "C", 46.0, 5.0)

    ranked = nearest_stations([a, c, b], 45.0, 5.0, 2)

    assert [s.station_id for s, _ in ranked] == ["00000001", "00000002"]
    assert ranked[0][1] == 0.0
    assert len(nearest_stations([a, b, c], 45, 5, 5)) == 3
    # Antipodes: the haversine term reaches 1 (rounding may exceed it): half the circumference.
    [(_, far)] = nearest_stations([Station("00000004", "X", -45.0, -175.0)], 45.0, 5.0, 1)
    assert far == pytest.approx(math.pi * 6371.0088)


NOW = datetime(2026, 11, 23, 16, 30, 45, tzinfo=UTC).timestamp()


def _throttled(body: object, headers: dict[str, str] | None = None) -> RawResponse:
    import json

    return RawResponse(429, headers or {}, json.dumps(body).encode())


@pytest.mark.parametrize(
    ("body", "wait"),
    [
        ({"nextAccessTime": NOW + 30}, 30.0),  # epoch seconds
        ({"nextAccessTime": (NOW + 30) * 1000}, 30.0),  # epoch milliseconds
        ({"fault": {"nextAccessTime": NOW + 7}}, 7.0),
        ({"nextAccessTime": NOW + 9, "fault": {"nextAccessTime": NOW + 99}}, 9.0),
        ({"nextAccessTime": True}, 15.0),
        ({"nextAccessTime": " 2026-11-23 16:31:05 UTC "}, 20.0),
        ({"nextAccessTime": "2026-11-23 16:31:05+0000"}, 20.0),
        ({"nextAccessTime": "later"}, 15.0),
        ({"fault": "busy"}, 15.0),
        ({"nextAccessTime": NOW}, 15.0),  # now: not a wait
    ],
)
def test_throttle_wait(body: object, wait: float) -> None:
    assert throttle_wait(_throttled(body), NOW) == pytest.approx(wait)


def test_throttle_wait_on_the_minute() -> None:
    minute = datetime(2026, 11, 23, 16, 31, tzinfo=UTC).timestamp()
    assert throttle_wait(_throttled({}), minute) == 60.0
    assert throttle_wait(_throttled({}, {"retry-after": "12"}), minute) == 12.0
    assert throttle_wait(_throttled({}, {"retry-after": "1"}), minute) == 1.0


async def test_call_limiter_boundaries() -> None:
    now = 0.0
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        nonlocal now
        if len(slept) > 10:
            raise AssertionError("the limiter keeps sleeping")
        slept.append(seconds)
        now += seconds

    limiter = CallLimiter(2, 60.0, clock=lambda: now, sleep=fake_sleep)
    await limiter.async_acquire()  # t=0
    now = 10.0
    await limiter.async_acquire()  # t=10: the 2nd call of the window
    assert slept == []
    now = 60.0
    await limiter.async_acquire()  # the t=0 call has just left the window
    assert slept == []
    await limiter.async_acquire()  # full (10, 60): wait for t=10 to leave, at t=70
    assert slept == [10.0]
    assert now == 70.0


async def test_token_renewed_two_minutes_before_it_expires(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    now = datetime(2026, 11, 23, 16, tzinfo=UTC).timestamp()
    client = MeteoFranceClient(
        session, application_id=APPLICATION_ID, base_url=dpobs_url + "/", clock=lambda: now
    )

    await client.async_get_observation("75114001", Resolution.HOURLY)
    now += timedelta(minutes=57, seconds=59).total_seconds()
    await client.async_get_observation("75114001", Resolution.HOURLY)
    assert fake_dpobs.token_requests == 1
    now += 2
    await client.async_get_observation("75114001", Resolution.HOURLY)

    assert fake_dpobs.token_requests == 2
    assert client.calls == 3
    assert [path for path, _, _ in fake_dpobs.data_requests] == [
        "/public/DPObs/v1/station/horaire"
    ] * 3  # the trailing "/" of the base URL is not doubled


async def test_the_default_limit_is_fifty_calls_a_minute() -> None:
    """The free tier's quota: the 51st call of a minute waits, the 50th does not."""
    now = 0.0
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        nonlocal now
        slept.append(seconds)
        now += seconds

    limiter = CallLimiter(clock=lambda: now, sleep=fake_sleep)
    for _ in range(50):
        await limiter.async_acquire()
    assert slept == []
    await limiter.async_acquire()
    assert slept == [60.0]


async def test_every_call_goes_through_the_shared_limiter(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    acquired: list[int] = []

    class CountingLimiter(CallLimiter):
        async def async_acquire(self) -> None:
            acquired.append(len(fake_dpobs.requests))
            await super().async_acquire()

    client = MeteoFranceClient(
        session, application_id=APPLICATION_ID, base_url=dpobs_url, limiter=CountingLimiter()
    )
    await client.async_get_stations()
    await client.async_get_observation("75114001", Resolution.HOURLY)

    # Before each data call (the token call is not a DPObs call), never after.
    assert acquired == [1, 2]


@pytest.mark.parametrize("value", [12345, None, "", "23/11/2026 15:00"])
def test_an_observation_needs_a_validity_time(value: object) -> None:
    with pytest.raises(ApiResponseError, match="validity_time"):
        Observation.from_api({**RECORD, "validity_time": value}, Resolution.HOURLY)


def test_snow_depth_keeps_a_tenth_of_a_millimetre_at_most() -> None:
    assert metres_to_centimetres(0.123456) == 12.346
    assert metres_to_centimetres(0.07) == 7.0  # no float noise (7.000000000000001)


async def test_observation_date_is_sent_in_utc(
    session: aiohttp.ClientSession, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    from zoneinfo import ZoneInfo

    at = datetime(2026, 11, 23, 17, 0, tzinfo=ZoneInfo("Europe/Paris"))
    client = MeteoFranceClient(session, api_key=API_KEY, base_url=dpobs_url)

    await client.async_get_observation("75114001", Resolution.HOURLY, at=at)

    assert fake_dpobs.requests[-1][2]["date"] == "2026-11-23T16:00:00Z"
