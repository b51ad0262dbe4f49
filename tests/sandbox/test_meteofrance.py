"""The Météo-France simulator against the facts of shared/reference/meteofrance.md."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp.test_utils import TestClient
import pytest

from .conftest import Clock, basic, bearer

BASE = "/meteofrance/public/DPObs/v1"
KEY = {"apikey": "sandbox-meteofrance-key"}


async def test_station_list_latin1_csv(client: TestClient) -> None:
    response = await client.get(f"{BASE}/liste-stations", headers=KEY)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; charset=ISO-8859-1"
    raw = await response.read()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    lines = raw.decode("iso-8859-1").splitlines()
    assert lines[0] == "Id_station;Id_omm;Nom_usuel;Latitude;Longitude;Altitude;Date_ouverture;Pack"
    ids = [line.split(";")[0] for line in lines[1:]]
    assert "01014002" in ids  # leading zero kept
    assert any("BESANÇON" in line for line in lines)


async def test_api_key_and_token_auth(client: TestClient, clock: Clock) -> None:
    wrong = await client.get(f"{BASE}/liste-stations", headers={"apikey": "nope"})
    assert wrong.status == 401
    assert "Invalid JWT token" in (await wrong.json())["description"]
    headers = await bearer(client, "meteofrance")
    assert (await client.get(f"{BASE}/liste-stations", headers=headers)).status == 200
    clock.advance(seconds=3600)
    assert (await client.get(f"{BASE}/liste-stations", headers=headers)).status == 401
    refused = await client.post(
        "/meteofrance/token", data={"grant_type": "client_credentials"}, headers=basic("a", "b")
    )
    assert refused.status == 401
    no_grant = await client.post("/meteofrance/token", headers=basic("a", "b"))
    assert no_grant.status == 400


async def test_hourly_observation_si_units(client: TestClient) -> None:
    response = await client.get(
        f"{BASE}/station/horaire", params={"id_station": "75114001", "format": "json"}, headers=KEY
    )
    records = await response.json()
    assert len(records) == 1
    obs = records[0]
    assert obs["geo_id_insee"] == "75114001"
    assert obs["validity_time"] == "2026-11-23T15:00:00Z"  # now 15:20Z, published at HH:10
    assert 250 < obs["t"] < 310  # kelvin
    assert 90_000 < obs["pmer"] < 110_000  # pascal
    assert obs["pres"] < obs["pmer"]
    assert 0 <= obs["u"] <= 100
    assert obs["ray_glo01"] >= 0
    assert "rr1" in obs
    assert "rr_per" not in obs
    early = await client.get(
        f"{BASE}/station/horaire", params={"id_station": "75114001"}, headers=KEY
    )
    assert early.status == 200


async def test_six_minute_observation(client: TestClient, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 23, 15, 20, 30, tzinfo=UTC)
    response = await client.get(
        f"{BASE}/station/infrahoraire-6m", params={"id_station": "75114001"}, headers=KEY
    )
    obs = (await response.json())[0]
    assert obs["validity_time"] == "2026-11-23T15:12:00Z"
    assert "rr_per" in obs
    assert "rr1" not in obs


async def test_nulls_by_station(client: TestClient) -> None:
    radome = (
        await (
            await client.get(
                f"{BASE}/station/horaire", params={"id_station": "01014002"}, headers=KEY
            )
        ).json()
    )[0]
    assert radome["pres"] is None
    assert radome["pmer"] is None
    assert radome["t"] is not None
    other = (
        await (
            await client.get(
                f"{BASE}/station/horaire", params={"id_station": "90035001"}, headers=KEY
            )
        ).json()
    )[0]
    assert other["insolh"] is None
    assert other["ray_glo01"] is None


async def test_parameters(client: TestClient) -> None:
    path = f"{BASE}/station/horaire"
    dropped_zero = await client.get(path, params={"id_station": "1014002"}, headers=KEY)
    assert dropped_zero.status == 400
    assert "sémantiquement incorrect" in await dropped_zero.text()
    unknown = await client.get(path, params={"id_station": "12345678"}, headers=KEY)
    assert await unknown.json() == []
    future = await client.get(
        path, params={"id_station": "75114001", "date": "2026-11-24T00:00:00Z"}, headers=KEY
    )
    assert future.status == 400
    bad_date = await client.get(
        path, params={"id_station": "75114001", "date": "hier"}, headers=KEY
    )
    assert bad_date.status == 400
    old = await client.get(
        path, params={"id_station": "75114001", "date": "2026-11-01T00:00:00Z"}, headers=KEY
    )
    assert (await old.json())[0]["validity_time"] == "2026-11-22T16:00:00Z"  # oldest of 24 h
    nearest = await client.get(
        path, params={"id_station": "75114001", "date": "2026-11-23T08:20:00Z"}, headers=KEY
    )
    assert (await nearest.json())[0]["validity_time"] == "2026-11-23T08:00:00Z"


async def test_csv_and_geojson_formats(client: TestClient) -> None:
    path = f"{BASE}/station/horaire"
    csv = await client.get(path, params={"id_station": "01014002", "format": "csv"}, headers=KEY)
    header, row = (await csv.text()).splitlines()
    columns = dict(zip(header.split(";"), row.split(";"), strict=True))
    assert columns["geo_id_insee"] == "01014002"
    assert columns["pres"] == ""
    empty = await client.get(path, params={"id_station": "12345678", "format": "csv"}, headers=KEY)
    assert len((await empty.text()).splitlines()) == 1  # header only
    geo = await client.get(
        path, params={"id_station": "75114001", "format": "geojson"}, headers=KEY
    )
    feature = (await geo.json())[0]
    assert feature["geometry"]["coordinates"] == [2.3378, 48.8217]


async def test_quota_50_per_minute(client: TestClient, clock: Clock) -> None:
    path = f"{BASE}/liste-stations"
    for _ in range(50):
        assert (await client.get(path, headers=KEY)).status == 200
    throttled = await client.get(path, headers=KEY)
    assert throttled.status == 429
    body = await throttled.json()
    assert body["code"] == "900804"
    assert body["nextAccessTime"] == "2026-Nov-23 15:21:00+0000 UTC"
    clock.advance(minutes=1)
    assert (await client.get(path, headers=KEY)).status == 200
