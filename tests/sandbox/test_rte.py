"""The RTE simulator against the facts of shared/reference/rte.md."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aiohttp.test_utils import TestClient

from tools.sandbox import SandboxState

from .conftest import Clock, basic, bearer

SIGNALS = "/rte/open_api/ecowatt/v5/signals"
SANDBOX = "/rte/open_api/ecowatt/v5/sandbox/signals"
TEMPO = "/rte/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"


async def test_token_client_credentials(client: TestClient) -> None:
    for path, data in (
        ("/rte/token/oauth/", None),
        ("/rte/token/oauth", {"grant_type": "client_credentials"}),
    ):
        response = await client.post(
            path, data=data, headers=basic("sandbox-rte-client", "sandbox-rte-secret")
        )
        assert response.status == 200
        body = await response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 7199
        assert body["access_token"]


async def test_token_refuses_bad_credentials(client: TestClient) -> None:
    response = await client.post("/rte/token/oauth/", headers=basic("sandbox-rte-client", "wrong"))
    assert response.status == 401
    assert (await response.json())["error"] == "invalid_client"
    assert (await client.post("/rte/token/oauth/")).status == 401
    bad_base64 = await client.post("/rte/token/oauth/", headers={"Authorization": "Basic %%%"})
    assert bad_base64.status == 401
    other_grant = await client.post(
        "/rte/token/oauth/",
        data={"grant_type": "password"},
        headers=basic("sandbox-rte-client", "sandbox-rte-secret"),
    )
    assert other_grant.status == 400


async def test_expired_and_unknown_tokens_get_401(client: TestClient, clock: Clock) -> None:
    headers = await bearer(client, "rte")
    assert (await client.get(SANDBOX, headers=headers)).status == 200
    clock.advance(seconds=7199)
    response = await client.get(SANDBOX, headers=headers)
    assert response.status == 401
    assert (await response.json())["error"] == "invalid_token"
    unknown = await client.get(SANDBOX, headers={"Authorization": "Bearer nope"})
    assert unknown.status == 401


async def test_signals_four_local_days_with_offsets(client: TestClient) -> None:
    response = await client.get(SIGNALS, headers=await bearer(client, "rte"))
    assert response.status == 200
    signals = (await response.json())["signals"]
    assert [s["jour"] for s in signals] == [
        "2026-11-23T00:00:00+01:00",
        "2026-11-24T00:00:00+01:00",
        "2026-11-25T00:00:00+01:00",
        "2026-11-26T00:00:00+01:00",
    ]
    for day in signals:
        assert [v["pas"] for v in day["values"]] == list(range(24))
        assert day["dvalue"] == max(1, *(v["hvalue"] for v in day["values"]))
        assert day["GenerationFichier"] == "2026-11-22T23:00:00+01:00"
        assert day["message"].strip()


async def test_signals_red_run_two_hours_ahead(client: TestClient) -> None:
    """Now is 16:20 Paris: red 18:00-21:00, orange an hour before and two after."""
    signals = await (await client.get(SIGNALS, headers=await bearer(client, "rte"))).json()
    today = {v["pas"]: v["hvalue"] for v in signals["signals"][0]["values"]}
    assert [today[h] for h in range(16, 24)] == [1, 2, 3, 3, 3, 2, 2, 1]
    assert today[3] == 0  # a low-carbon night hour
    assert signals["signals"][0]["dvalue"] == 3
    assert "très tendue" in signals["signals"][0]["message"]


async def test_signals_summer_offset_and_before_publication(
    client: TestClient, clock: Clock
) -> None:
    clock.now = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)  # 07:00 in Paris, before publication
    signals = await (await client.get(SIGNALS, headers=await bearer(client, "rte"))).json()
    days = [s["jour"] for s in signals["signals"]]
    assert days[0] == "2026-07-14T00:00:00+02:00"  # still yesterday first
    assert "2026-07-18T00:00:00+02:00" not in days  # so D+3 is missing


async def test_production_quota_429_with_retry_after(client: TestClient, clock: Clock) -> None:
    headers = await bearer(client, "rte")
    assert (await client.get(SIGNALS, headers=headers)).status == 200
    clock.advance(minutes=5)
    throttled = await client.get(SIGNALS, headers=headers)
    assert throttled.status == 429
    assert throttled.headers["Retry-After"] == "600"
    clock.advance(minutes=9, seconds=59)
    assert (await client.get(SIGNALS, headers=headers)).status == 429  # a 429 does not reset it
    clock.advance(seconds=1)
    assert (await client.get(SIGNALS, headers=headers)).status == 200


async def test_sandbox_is_frozen_and_unlimited(client: TestClient) -> None:
    headers = await bearer(client, "rte")
    for _ in range(3):
        response = await client.get(SANDBOX, headers=headers)
        assert response.status == 200
    signals = (await response.json())["signals"]
    assert [s["jour"][:10] for s in signals] == [
        "2022-06-06",
        "2022-06-04",
        "2022-06-05",
        "2022-06-03",
    ]
    assert signals[3]["values"][0]["pas"] == 7
    assert signals[0]["message"] == " Pas d’alerte "


async def test_live_sandbox_follows_the_red_control(
    client: TestClient, state: SandboxState
) -> None:
    """script/develop: the sandbox path serves the red run set by the control, every call."""
    state.config.rte_live_sandbox = True
    headers = await bearer(client, "rte")
    moved = await client.post("/_control/rte/red", json={"in_hours": 0, "hours": 1})
    assert moved.status == 200
    for _ in range(3):
        response = await client.get(SANDBOX, headers=headers)
        assert response.status == 200
    today = (await response.json())["signals"][0]
    # 16:00 Paris is red now; 15:00 the orange hour before it.
    assert [v["hvalue"] for v in today["values"] if v["pas"] in (15, 16, 17)] == [2, 3, 2]

    await client.post("/_control/rte/red", json={"in_hours": 0, "hours": 0})
    today = (await (await client.get(SANDBOX, headers=headers)).json())["signals"][0]
    assert 3 not in [v["hvalue"] for v in today["values"]]


async def test_subscriptions_give_403(client: TestClient) -> None:
    ecowatt_only = await bearer(client, "rte", "sandbox-rte-ecowatt-only")
    query = {"start_date": "2026-11-20T00:00:00+01:00", "end_date": "2026-11-25T00:00:00+01:00"}
    assert (await client.get(TEMPO, params=query, headers=ecowatt_only)).status == 403
    v4_key = await bearer(client, "rte", "sandbox-rte-v4")
    assert (await client.get(SIGNALS, headers=v4_key)).status == 403
    v5_key = await bearer(client, "rte")
    assert (await client.get("/rte/open_api/ecowatt/v4/signals", headers=v5_key)).status == 403


async def test_tempo_newest_first_tomorrow_after_publication(
    client: TestClient, clock: Clock
) -> None:
    headers = await bearer(client, "rte")
    query = {"start_date": "2026-11-20T00:00:00+01:00", "end_date": "2026-11-26T00:00:00+01:00"}
    values = (await (await client.get(TEMPO, params=query, headers=headers)).json())[
        "tempo_like_calendars"
    ]["values"]
    starts = [v["start_date"] for v in values]
    assert starts[0] == "2026-11-24T00:00:00+01:00"  # 16:20: tomorrow is published
    assert starts[-1] == "2026-11-20T00:00:00+01:00"
    assert starts == sorted(starts, reverse=True)
    assert all(v["value"] in {"BLUE", "WHITE", "RED"} for v in values)
    assert values[-1]["end_date"] == "2026-11-21T00:00:00+01:00"
    by_day = {date.fromisoformat(v["start_date"][:10]): v["value"] for v in values}
    assert by_day[date(2026, 11, 22)] == "BLUE"  # a Sunday
    clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    early = await (await client.get(TEMPO, params=query, headers=headers)).json()
    assert early["tempo_like_calendars"]["values"][0]["start_date"].startswith("2026-11-23")


async def test_tempo_parameters_and_xml(client: TestClient) -> None:
    headers = await bearer(client, "rte")
    assert (await client.get(TEMPO, headers=headers)).status == 400
    too_long = {"start_date": "2024-11-20T00:00:00+01:00", "end_date": "2026-11-26T00:00:00+01:00"}
    assert (await client.get(TEMPO, params=too_long, headers=headers)).status == 400
    # A '+' sent unencoded arrives as a space: still understood.
    raw = f"{TEMPO}?start_date=2026-11-22T00:00:00+01:00&end_date=2026-11-23T00:00:00+01:00"
    assert (await client.get(raw, headers=headers)).status == 200
    xml = await client.get(
        raw, headers={"Authorization": headers["Authorization"], "Accept": "*/*"}
    )
    assert xml.content_type == "application/xml"
    assert "<Couleur>BLEU</Couleur>" in await xml.text()


async def test_red_run_can_be_moved(client: TestClient, state: SandboxState) -> None:
    moved = await client.post("/_control/rte/red", json={"in_hours": 0, "hours": 1})
    assert moved.status == 200
    assert state.red_start == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    signals = await (await client.get(SIGNALS, headers=await bearer(client, "rte"))).json()
    assert signals["signals"][0]["values"][16]["hvalue"] == 3
    assert (await client.post("/_control/rte/red", json={"in_hours": "x"})).status == 400
