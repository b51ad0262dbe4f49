"""The Enedis simulator against the facts of shared/reference/enedis.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from statistics import mean
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient
import pytest

from tests.enedis.fake_enedis import (
    CAPTURE_FILES,
    CONTRACT_CONSUMER,
    CONTRACT_SELF_CONSUMPTION,
    capture,
)
from tests.shape import assert_same_shape
from tools.sandbox import SandboxState
from tools.sandbox.state import CONSUMER_PRM, PRODUCER_PRM
from tools.sandbox.weather import PARIS

from .conftest import Clock, basic, bearer

MEASURE = "/enedis/mesure_synchrone_auto/v2/"
AUTHORIZE = "/enedis/dataconnect/v2/oauth2/authorize"
CONSENT_QUERY = {
    "client_id": "sandbox-enedis-client",
    "response_type": "code",
    "state": "abc123",
    "duration": "P3Y",
    "redirect_uri": "http://127.0.0.1:8123/api/delestage/enedis/callback",
}


async def get(client: TestClient, resource: str, prm: str, start: str, end: str, **extra: str):
    headers = await bearer(client, "enedis")
    params = {"pointId": prm, "dateDebut": start, "dateFin": end, **extra}
    return await client.get(MEASURE + resource, params=params, headers=headers)


async def test_token_basic_or_form(client: TestClient) -> None:
    form = await client.post(
        "/enedis/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-enedis-client",
            "client_secret": "sandbox-enedis-secret",
        },
    )
    body = await form.json()
    assert form.status == 200
    assert body["expires_in"] == 12600
    assert body["token_type"] == "Bearer"
    await bearer(client, "enedis")  # Basic works too
    no_grant = await client.post(
        "/enedis/oauth2/v3/token", headers=basic("sandbox-enedis-client", "sandbox-enedis-secret")
    )
    assert no_grant.status == 400
    wrong = await client.post(
        "/enedis/oauth2/v3/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!"},
    )
    assert wrong.status == 401


async def test_expired_token_fault_body(client: TestClient, clock: Clock) -> None:
    headers = await bearer(client, "enedis")
    clock.advance(seconds=12600)
    response = await client.get(
        f"/enedis/situation_contrat_auto/v1/{CONSUMER_PRM}", headers=headers
    )
    assert response.status == 401
    assert (await response.json())["fault"]["code"] == 900901


async def test_consent_page_redirects_with_autorisation_id(
    client: TestClient, state: SandboxState
) -> None:
    page = await client.get(AUTHORIZE, params=CONSENT_QUERY)
    assert page.status == 200
    text = await page.text()
    assert 'id="accept"' in text
    assert CONSUMER_PRM in text
    answer = await client.post(
        AUTHORIZE,
        data={**CONSENT_QUERY, "prm": PRODUCER_PRM, "decision": "accept"},
        allow_redirects=False,
    )
    assert answer.status == 302
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/api/delestage/enedis/callback"
    query = parse_qs(location.query)
    assert query["state"] == ["abc123"]
    assert "code" not in query
    autorisation_id = int(query["autorisation_id"][0])
    services = await client.post(
        "/enedis/subscribed_services/v1/",
        json={"autorisationId": autorisation_id, "autorisation": True, "serviceType": "ACCES"},
        headers=await bearer(client, "enedis"),
    )
    body = await services.json()
    assert {s["pointId"] for s in body["serviceSouscrit"]} == {PRODUCER_PRM}
    assert body["serviceSouscrit"][0]["dateFin"] == "2029-11-22"  # 3 years (1095 days) later
    assert body["serviceSouscrit"][0]["injection"] is True
    assert body["nbTotalServices"] == len(body["serviceSouscrit"])


async def test_consent_refused_and_bad_requests(client: TestClient, state: SandboxState) -> None:
    refused = await client.post(
        AUTHORIZE, data={**CONSENT_QUERY, "decision": "refuse"}, allow_redirects=False
    )
    assert parse_qs(urlsplit(refused.headers["Location"]).query)["error"] == ["access_denied"]
    for change, reason in (
        ({"duration": ""}, "missing_parameter"),
        ({"duration": "P4Y"}, "maximum_duration_exceeded"),
        ({"duration": "3 ans"}, "invalid_duration_format"),
        ({"state": "x" * 101}, "100"),
        ({"client_id": "other"}, "client_id"),
    ):
        response = await client.get(AUTHORIZE, params={**CONSENT_QUERY, **change})
        assert response.status == 400
        assert reason in (await response.json())["error_description"]
    without_redirect = {k: v for k, v in CONSENT_QUERY.items() if k != "redirect_uri"}
    no_target = await client.post(AUTHORIZE, data={**without_redirect, "decision": "accept"})
    assert no_target.status == 400
    bad_form = await client.post(AUTHORIZE, data={"decision": "accept"})
    assert bad_form.status == 400
    state.config.enedis_redirect_url = "http://declared.example/cb"
    declared = await client.post(
        AUTHORIZE, data={**without_redirect, "decision": "accept"}, allow_redirects=False
    )
    assert declared.headers["Location"].startswith("http://declared.example/cb?autorisation_id=")


async def test_subscribed_services_errors(client: TestClient) -> None:
    headers = await bearer(client, "enedis")
    assert (await client.post("/enedis/subscribed_services/v1", json={})).status == 401
    bad = await client.post("/enedis/subscribed_services/v1", json={}, headers=headers)
    assert bad.status == 400
    unknown = await client.post(
        "/enedis/subscribed_services/v1", json={"autorisationId": 1}, headers=headers
    )
    assert unknown.status == 404


async def test_daily_consumption_shape_and_units(client: TestClient) -> None:
    response = await get(
        client, "consommation_quotidienne", CONSUMER_PRM, "2026-11-16", "2026-11-23"
    )
    assert response.status == 200
    body = await response.json()
    assert body["idPrm"] == CONSUMER_PRM
    assert body["periode"] == {"dateDebut": "2026-11-16", "dateFin": "2026-11-23"}
    assert body["pas"] == "P1D"
    grandeur = body["grandeur"][0]
    assert (grandeur["grandeurPhysique"], grandeur["unite"]) == ("EA", "Wh")
    assert next(p["d"] for p in grandeur["points"]) == "2026-11-16"
    assert len(grandeur["points"]) == 7
    assert all(isinstance(p["v"], str) and 5_000 < int(p["v"]) < 80_000 for p in grandeur["points"])


async def test_daily_equals_curve_energy(client: TestClient) -> None:
    daily = await (
        await get(client, "consommation_quotidienne", CONSUMER_PRM, "2026-11-20", "2026-11-21")
    ).json()
    curve = await (
        await get(client, "courbe_de_charge_consommation", CONSUMER_PRM, "2026-11-20", "2026-11-21")
    ).json()
    watts = [int(p["v"]) for p in curve["grandeur"][0]["points"]]
    assert int(daily["grandeur"][0]["points"][0]["v"]) == round(sum(watts) / 2)


async def test_curve_interval_ends_local_time(client: TestClient) -> None:
    body = await (
        await get(client, "courbe_de_charge_consommation", CONSUMER_PRM, "2026-11-20", "2026-11-22")
    ).json()
    assert body["modeCalcul"] == "MESURE"
    grandeur = body["grandeur"][0]
    assert (grandeur["grandeurPhysique"], grandeur["unite"]) == ("PA", "W")
    points = grandeur["points"]
    assert len(points) == 96
    assert points[0]["d"] == "2026-11-20 00:30:00"
    assert points[-1]["d"] == "2026-11-22 00:00:00"
    assert {p["p"] for p in points} == {"PT30M"}


async def test_curve_dst_days(client: TestClient, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    spring = await (
        await get(client, "courbe_de_charge_consommation", CONSUMER_PRM, "2026-03-29", "2026-03-30")
    ).json()
    ends = [p["d"][11:] for p in spring["grandeur"][0]["points"]]
    assert len(ends) == 46
    assert "02:00:00" not in ends
    assert "02:30:00" not in ends
    autumn = await (
        await get(client, "courbe_de_charge_consommation", CONSUMER_PRM, "2026-10-25", "2026-10-26")
    ).json()
    ends = [p["d"][11:] for p in autumn["grandeur"][0]["points"]]
    assert len(ends) == 50
    assert ends.count("02:00:00") == 2
    assert ends.count("02:30:00") == 2
    assert ends.count("03:00:00") == 1


async def test_curve_weekday_morning_and_heating(client: TestClient) -> None:
    week = await (
        await get(client, "courbe_de_charge_consommation", CONSUMER_PRM, "2026-11-16", "2026-11-23")
    ).json()
    by_end = {p["d"]: int(p["v"]) for p in week["grandeur"][0]["points"]}
    weekday_lunches = [by_end[f"2026-11-{d} 13:00:00"] for d in (16, 17, 18, 19, 20)]
    weekend_lunches = [by_end[f"2026-11-{d} 13:00:00"] for d in (21, 22)]
    assert min(weekend_lunches) > max(weekday_lunches)  # at home, cooking, heating on
    winter = await (
        await get(client, "consommation_quotidienne", CONSUMER_PRM, "2026-01-05", "2026-02-05")
    ).json()
    summer = await (
        await get(client, "consommation_quotidienne", CONSUMER_PRM, "2026-07-05", "2026-08-05")
    ).json()
    winter_mean = mean(int(p["v"]) for p in winter["grandeur"][0]["points"])
    summer_mean = mean(int(p["v"]) for p in summer["grandeur"][0]["points"])
    assert winter_mean > 1.5 * summer_mean  # electric heating


async def test_production_and_max_power(client: TestClient) -> None:
    prod = await (
        await get(client, "courbe_de_charge_production", PRODUCER_PRM, "2026-06-20", "2026-06-21")
    ).json()
    by_end = {p["d"][11:]: int(p["v"]) for p in prod["grandeur"][0]["points"]}
    assert by_end["02:00:00"] == 0
    assert by_end["14:00:00"] > 0
    assert prod["grandeur"][0]["grandeurMetier"] == "PROD"
    daily_prod = await get(
        client, "production_quotidienne", PRODUCER_PRM, "2026-06-20", "2026-06-21"
    )
    assert daily_prod.status == 200
    no_params = await get(
        client, "puissance_conso_max_quotidienne", CONSUMER_PRM, "2026-11-20", "2026-11-21"
    )
    assert no_params.status == 400
    response = await get(
        client,
        "puissance_conso_max_quotidienne",
        CONSUMER_PRM,
        "2026-11-20",
        "2026-11-22",
        mesuresPas="P1D",
        grandeurPhysique="PMA",
    )
    grandeur = (await response.json())["grandeur"][0]
    assert (grandeur["grandeurPhysique"], grandeur["unite"]) == ("PMA", "VA")
    assert [p["d"][:10] for p in grandeur["points"]] == ["2026-11-20", "2026-11-21"]
    assert all(len(p["d"]) == 19 and int(p["v"]) < 9000 * 1.2 for p in grandeur["points"])


async def test_measure_errors(client: TestClient, state: SandboxState) -> None:
    activation = state.meters[CONSUMER_PRM].activation
    cases = [
        (
            "courbe_de_charge_consommation",
            CONSUMER_PRM,
            "2026-11-01",
            "2026-11-09",
            400,
            "ADAM-DC-0015",
        ),
        (
            "consommation_quotidienne",
            CONSUMER_PRM,
            "2026-11-20",
            "2026-11-24",
            400,
            "invalid_request",
        ),
        (
            "consommation_quotidienne",
            CONSUMER_PRM,
            "2026-11-20",
            "2026-11-20",
            400,
            "invalid_request",
        ),
        ("consommation_quotidienne", "123", "2026-11-20", "2026-11-21", 400, "invalid_request"),
        ("production_quotidienne", CONSUMER_PRM, "2026-11-20", "2026-11-21", 400, "ADAM-ERR0069"),
        (
            "courbe_de_charge_consommation",
            CONSUMER_PRM,
            "2024-06-01",
            "2024-06-08",
            400,
            "ADAM-ERR0125",
        ),
        ("consommation_quotidienne", CONSUMER_PRM, "2023-01-01", "2023-02-01", 400, "ADAM-ERR0125"),
        (
            "consommation_quotidienne",
            CONSUMER_PRM,
            str(activation - timedelta(days=30)),
            str(activation),
            400,
            "ADAM-ERR0123",
        ),
        (
            "consommation_quotidienne",
            "99999999999999",
            "2026-11-20",
            "2026-11-21",
            403,
            "ADAM-DC-0008",
        ),
        ("index_inconnu", CONSUMER_PRM, "2026-11-20", "2026-11-21", 404, "not_found"),
    ]
    for resource, prm, start, end, status, code in cases:
        response = await get(client, resource, prm, start, end)
        assert response.status == status, (resource, start)
        assert (await response.json())["code"] == code
    straddling = await (
        await get(
            client,
            "consommation_quotidienne",
            CONSUMER_PRM,
            str(activation - timedelta(days=3)),
            str(activation + timedelta(days=2)),
        )
    ).json()
    assert [p["d"] for p in straddling["grandeur"][0]["points"]] == [
        str(activation),
        str(activation + timedelta(days=1)),
    ]


async def test_yesterday_published_in_the_morning(client: TestClient, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Paris
    early = await get(client, "consommation_quotidienne", CONSUMER_PRM, "2026-11-22", "2026-11-23")
    assert early.status == 404
    assert (await early.json())["code"] == "no_data_found"
    clock.now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00
    assert (
        await get(client, "consommation_quotidienne", CONSUMER_PRM, "2026-11-22", "2026-11-23")
    ).status == 200


async def test_contract_and_consent_states(client: TestClient) -> None:
    headers = await bearer(client, "enedis")
    contract = await client.get(
        f"/enedis/situation_contrat_auto/v1/{PRODUCER_PRM}", headers=headers
    )
    contracts = await contract.json()  # a top-level array, like the real answer
    assert contracts[0]["subscribed_power"] == {"unit": "kVA", "value": "12"}
    assert [c["contract_type"] for c in contracts] == ["Contrat GRD-F", "Contrat GRD-A"]
    query_prm = await client.get(
        "/enedis/situation_contrat_auto/v1", params={"prm": PRODUCER_PRM}, headers=headers
    )
    assert query_prm.status == 500
    revoke = await client.post(f"/_control/enedis/meters/{CONSUMER_PRM}", json={"consent": False})
    assert revoke.status == 200
    revoked = await client.get(f"/enedis/situation_contrat_auto/v1/{CONSUMER_PRM}", headers=headers)
    assert (await revoked.json())["code"] == "ADAM-DC-0008"
    await client.post(
        f"/_control/enedis/meters/{CONSUMER_PRM}", json={"consent": True, "holder": False}
    )
    moved = await get(client, "consommation_quotidienne", CONSUMER_PRM, "2026-11-20", "2026-11-21")
    assert (await moved.json())["code"] == "ADAM-DC-0007"
    assert (await client.post("/_control/enedis/meters/1", json={})).status == 404


async def test_metering_gives_the_off_peak_hours(client: TestClient) -> None:
    """``comptage_auto/v1/{prm}``: ``relais.plageHeuresCreuses`` (enedis.md §5; no capture)."""
    headers = await bearer(client, "enedis")
    answer = await client.get(f"/enedis/comptage_auto/v1/{CONSUMER_PRM}", headers=headers)
    assert answer.status == 200
    assert (await answer.json())["relais"] == {"plageHeuresCreuses": "HC (22H00-6H00)"}
    unknown = await client.get("/enedis/comptage_auto/v1/00000000000000", headers=headers)
    assert unknown.status >= 400
    no_token = await client.get(f"/enedis/comptage_auto/v1/{CONSUMER_PRM}")
    assert no_token.status == 401


async def test_every_answer_has_the_shape_of_the_real_capture(client: TestClient) -> None:
    """Measures and contracts: the keys and types of the real answers, at every level."""
    for resource, name in CAPTURE_FILES.items():
        prm = PRODUCER_PRM if "production" in resource else CONSUMER_PRM
        extra = {"mesuresPas": "P1D", "grandeurPhysique": "PMA"} if "max" in resource else {}
        answer = await get(client, resource, prm, "2026-11-15", "2026-11-22", **extra)
        assert answer.status == 200, resource
        assert_same_shape(await answer.json(), capture(name))
    headers = await bearer(client, "enedis")
    consumer = await client.get(
        f"/enedis/situation_contrat_auto/v1/{CONSUMER_PRM}", headers=headers
    )
    assert_same_shape(await consumer.json(), capture(CONTRACT_CONSUMER))
    producer = await client.get(
        f"/enedis/situation_contrat_auto/v1/{PRODUCER_PRM}", headers=headers
    )
    assert_same_shape(
        await producer.json(), capture(CONTRACT_CONSUMER) + capture(CONTRACT_SELF_CONSUMPTION)
    )


@pytest.mark.parametrize(
    ("paris_time", "hour", "last"),
    [
        # Enedis (08:00): yesterday from 08:00 on, the day before until then.
        ("2026-12-08T00:30:00+01:00", 8, "2026-12-06"),
        ("2026-12-08T07:59:00+01:00", 8, "2026-12-06"),
        ("2026-12-08T08:00:00+01:00", 8, "2026-12-07"),
        # The demo's simulator (0): each day once it has ended.
        ("2026-12-07T23:59:00+01:00", 0, "2026-12-06"),
        ("2026-12-08T00:00:00+01:00", 0, "2026-12-07"),
        ("2026-12-08T00:30:00+01:00", 0, "2026-12-07"),
        ("2026-12-01T00:30:00+01:00", 0, "2026-11-30"),
        # Summer time: 00:30 in Paris is still the previous day in UTC.
        ("2026-07-15T00:30:00+02:00", 0, "2026-07-14"),
    ],
)
async def test_the_newest_day_served_follows_the_publication_hour(
    client: TestClient, state: SandboxState, clock: Clock, paris_time: str, hour: int, last: str
) -> None:
    clock.now = datetime.fromisoformat(paris_time).astimezone(UTC)
    state.config.enedis_publication_hour = hour
    newest = date.fromisoformat(last)

    assert state.last_linky_day() == newest
    described = await (await client.get("/_control")).json()
    assert described["linky"] == {"publication_hour": hour, "last_published_day": last}
    assert datetime.fromisoformat(described["now"]) == clock.now
    # What the API serves: up to that day (asked up to today), and nothing of the next one.
    today = str(clock.now.astimezone(PARIS).date())
    week_before = str(newest - timedelta(days=6))
    answer = await get(client, "consommation_quotidienne", CONSUMER_PRM, week_before, today)
    assert [p["d"] for p in (await answer.json())["grandeur"][0]["points"]][-1] == last
    following = str(newest + timedelta(days=1))
    if following < today:
        nothing = await get(client, "consommation_quotidienne", CONSUMER_PRM, following, today)
        assert nothing.status == 404
