"""The simulator's gateways: Conso API and MyElectricalData (paths, envelopes, quotas, ban).

Their measure answers have the shape of the real captures (``tests/enedis/captures``): Conso
API passes Enedis' JSON through; MyElectricalData rebuilds it without the Enedis-only keys.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from tests.enedis.test_gateways import med_shape
from tests.shape import assert_same_shape, load_json
from tools.sandbox import SandboxState
from tools.sandbox.conso_api import make_token, verify_token
from tools.sandbox.state import CONSUMER_PRM, PRODUCER_PRM

from .conftest import Clock

CAPTURES = "tests/enedis/captures"
DAYS = {"dateDebut": "2026-11-20", "dateFin": "2026-11-22"}


async def conso_token(client: TestClient, *prms: str) -> str:
    response = await client.get("/conso_api/token", params=[("prm", prm) for prm in prms])
    assert response.status == 200
    body = await response.json()
    assert body["prms"] == list(prms)
    return str(body["token"])


async def conso(client: TestClient, kind: str, token: str, **query: str) -> Any:
    return await client.get(
        f"/conso_api/api/{kind}",
        params={"pointId": CONSUMER_PRM, **DAYS, **query},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_conso_api_passes_enedis_answers_through(client: TestClient) -> None:
    token = await conso_token(client, CONSUMER_PRM)
    for kind, capture in (
        ("consommation_quotidienne", "med2026_mesure_consommation_quotidienne.json"),
        ("courbe_de_charge_consommation", "med2026_mesure_courbe_de_charge_consommation.json"),
        ("puissance_conso_max_quotidienne", "med2026_mesure_puissance_conso_max_quotidienne.json"),
    ):
        response = await conso(client, kind, token)
        assert response.status == 200, await response.text()
        body = await response.json()
        assert_same_shape(body, load_json(f"{CAPTURES}/{capture}"))
    curve = await (await conso(client, "courbe_de_charge_consommation", token)).json()
    points = curve["grandeur"][0]["points"]
    assert (points[0]["d"], points[-1]["d"]) == ("2026-11-20 00:30:00", "2026-11-22 00:00:00")


async def test_conso_api_errors(client: TestClient, clock: Clock) -> None:
    token = await conso_token(client, CONSUMER_PRM)
    response = await client.get("/conso_api/api/consommation_quotidienne", params=DAYS)
    assert response.status == 400
    assert (await response.json())["message"].startswith("Le header 'Authorization'")
    response = await conso(client, "consommation_quotidienne", token, pointId=PRODUCER_PRM)
    assert response.status == 401
    response = await conso(client, "consommation_quotidienne", "a.b.c")
    assert response.status == 401
    response = await conso(client, "inconnu", token)
    assert response.status == 400
    assert (await response.json())["message"] == "Paramètres invalides"
    # Enedis' own error, relayed with Enedis' status.
    response = await conso(client, "production_quotidienne", token)
    assert response.status == 400
    body = await response.json()
    assert body["message"] == "The Enedis API returned an error"
    assert body["error"]["code"] == "ADAM-ERR0069"
    response = await client.post("/conso_api/api/consommation_quotidienne")
    assert response.status == 405
    response = await client.options("/conso_api/api/consommation_quotidienne")
    assert response.status == 200
    # An expired token.
    clock.advance(days=1095)
    response = await conso(client, "consommation_quotidienne", token)
    assert response.status == 401


def test_conso_token_signature(state: SandboxState) -> None:
    now = state.now()
    token = make_token("key", [CONSUMER_PRM], now)
    assert verify_token("key", token, now) == [CONSUMER_PRM]
    assert verify_token("other", token, now) is None
    assert verify_token("key", token, now + timedelta(days=1095)) is None
    assert verify_token("key", "nope", now) is None


async def test_conso_api_bans_at_100_requests_in_12_hours(
    client: TestClient, state: SandboxState, clock: Clock
) -> None:
    token = await conso_token(client, CONSUMER_PRM)
    for _ in range(99):
        assert (await conso(client, "consommation_quotidienne", token)).status == 200
    assert not state.gateway_bans
    assert (await conso(client, "consommation_quotidienne", token)).status == 200  # the 100th
    response = await conso(client, "consommation_quotidienne", token)
    assert response.status == 403
    assert "Attention Required! | Cloudflare" in await response.text()
    assert state.gateway_bans
    clock.advance(hours=12, minutes=1)
    assert (await conso(client, "consommation_quotidienne", token)).status == 200


SECRET = {"Authorization": "Bearer sandbox-myelectricaldata-client-secret"}
MED_2026 = {**SECRET, "X-MED-Format": "2026"}
MED_DAYS = {"start": "2026-11-20", "end": "2026-11-22", "use_cache": "true"}


async def med(
    client: TestClient, path: str, headers: dict[str, str] = MED_2026, **query: str
) -> Any:
    return await client.get(f"/myelectricaldata/api{path}", params=query, headers=headers)


async def test_myelectricaldata_envelope_and_2026_shape(client: TestClient) -> None:
    response = await med(client, "/pdl/")
    meters = (await response.json())["data"]
    assert [m["usage_point_id"] for m in meters] == [CONSUMER_PRM, PRODUCER_PRM]
    assert [m["has_production"] for m in meters] == [False, True]
    for path, resource in (
        ("consumption/daily", "consommation_quotidienne"),
        ("consumption/detail", "courbe_de_charge_consommation"),
        ("power", "puissance_conso_max_quotidienne"),
    ):
        response = await med(client, f"/enedis/{path}/{CONSUMER_PRM}", **MED_DAYS)
        assert response.status == 200
        body = await response.json()
        assert body["success"] is True
        assert body["error"] is None
        assert_same_shape(body["data"], med_shape(resource))
    body = await (
        await med(client, f"/enedis/consumption/detail/{CONSUMER_PRM}", **MED_DAYS)
    ).json()
    points = body["data"]["grandeur"][0]["points"]
    # Interval START (the gateway shifted it): midnight to 23:30.
    assert (points[0]["d"], points[-1]["d"]) == ("2026-11-20 00:00:00", "2026-11-21 23:30:00")
    contract = await (await med(client, f"/enedis/contract/{PRODUCER_PRM}")).json()
    assert [c["contract_type"] for c in contract["data"]["situation_contrat"]] == [
        "Contrat GRD-F",
        "Contrat GRD-A",
    ]


async def test_myelectricaldata_v5_without_the_format_header(client: TestClient) -> None:
    response = await med(client, f"/enedis/consumption/daily/{CONSUMER_PRM}", SECRET, **MED_DAYS)
    assert response.headers["Deprecation"] == "true"
    data = (await response.json())["data"]
    assert list(data) == ["meter_reading"]
    assert len(data["meter_reading"]["interval_reading"]) == 2


async def test_myelectricaldata_errors_and_quota(client: TestClient, clock: Clock) -> None:
    response = await med(client, "/pdl/", {})
    assert response.status == 401
    assert await response.json() == {"detail": "Not authenticated"}
    response = await med(client, "/pdl/", {"Authorization": "Bearer wrong"})
    assert response.status == 401
    body = await (await med(client, "/enedis/consumption/daily/11111111111111", **MED_DAYS)).json()
    assert body["error"]["code"] == "ACCESS_DENIED"
    body = await (await med(client, f"/enedis/production/daily/{CONSUMER_PRM}", **MED_DAYS)).json()
    assert (body["success"], body["error"]["code"]) == (False, "ENEDIS_ERROR")
    body = await (
        await med(client, f"/enedis/consumption/daily/{CONSUMER_PRM}", start="x", end="y")
    ).json()
    assert body["error"]["code"] == "INVALID_DATE_FORMAT"
    body = await (
        await med(
            client,
            f"/enedis/consumption/daily/{CONSUMER_PRM}",
            start="2010-01-01",
            end="2010-02-01",
        )
    ).json()
    assert body["error"]["code"] in ("DATE_TOO_OLD", "ADAM-ERR0123")
    # 50 a day without the cache, counted per UTC day (start from a fresh day).
    clock.advance(days=1)
    for _ in range(50):
        body = await (
            await med(client, f"/enedis/power/{CONSUMER_PRM}", **{**MED_DAYS, "use_cache": "false"})
        ).json()
    assert body["success"] is True
    body = await (
        await med(client, f"/enedis/power/{CONSUMER_PRM}", **{**MED_DAYS, "use_cache": "false"})
    ).json()
    assert (body["success"], body["error"]["code"]) == (False, "RATE_LIMIT_EXCEEDED")
    # The cached counter is separate; the next UTC day starts again.
    assert (await (await med(client, f"/enedis/power/{CONSUMER_PRM}", **MED_DAYS)).json())[
        "success"
    ]
    clock.advance(days=1)
    body = await (
        await med(client, f"/enedis/power/{CONSUMER_PRM}", **{**MED_DAYS, "use_cache": "false"})
    ).json()
    assert body["success"] is True
