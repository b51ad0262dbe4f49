"""Faults, counters and switches of /_control, shaped like each provider's own answers."""

from __future__ import annotations

import json
from unittest.mock import patch

from aiohttp.test_utils import TestClient, TestServer
import pytest

from tools.sandbox import SandboxState, create_app
from tools.sandbox.__main__ import main
from tools.sandbox.app import STATE
from tools.sandbox.state import CONSUMER_PRM

from .conftest import Clock, bearer

SANDBOX = "/rte/open_api/ecowatt/v5/sandbox/signals"
STATIONS = "/meteofrance/public/DPObs/v1/liste-stations"
CONTRACT = f"/enedis/situation_contrat_auto/v1/{CONSUMER_PRM}"
KEY = {"apikey": "sandbox-meteofrance-key"}


async def fault(client: TestClient, **body: object) -> None:
    response = await client.post("/_control/faults", json=body)
    assert response.status == 201


async def test_index_describes_base_urls_and_accounts(client: TestClient) -> None:
    for path in ("/", "/_control"):
        body = await (await client.get(path)).json()
        assert body["base_urls"]["rte"].endswith("/rte")
        assert body["base_urls"]["meteofrance"].endswith("/meteofrance/public/DPObs/v1")
        assert "sandbox-rte-client" in body["accounts"]["rte"]


async def test_429_fault_then_recovery(client: TestClient) -> None:
    headers = await bearer(client, "rte")
    await fault(client, provider="rte", kind="429", count=2, retry_after=30)
    for _ in range(2):
        response = await client.get(SANDBOX, headers=headers)
        assert response.status == 429
        assert response.headers["Retry-After"] == "30"
    assert (await client.get(SANDBOX, headers=headers)).status == 200
    enedis_headers = await bearer(client, "enedis")
    await fault(client, provider="enedis", kind="429")
    enedis = await client.get(CONTRACT, headers=enedis_headers)
    assert (await enedis.json())["message"] == "SLA dépassé"
    await fault(client, provider="meteofrance", kind="429")
    assert (await (await client.get(STATIONS, headers=KEY)).json())["code"] == "900804"


async def test_server_errors_like_the_providers(client: TestClient) -> None:
    await fault(client, provider="rte", kind="500")
    body = await (await client.get(SANDBOX)).json()
    assert body["error"] == "COMMON_ERROR_T03"
    await fault(client, provider="enedis", kind="503")
    response = await client.get(CONTRACT)
    assert response.status == 503
    assert (await response.json())["code"] == "ADAM-DC-0500"
    await fault(client, provider="meteofrance", kind="500")
    assert (await client.get(STATIONS, headers=KEY)).status == 500


async def test_malformed_timeout_and_401(client: TestClient) -> None:
    headers = await bearer(client, "rte")
    await fault(client, provider="rte", kind="malformed")
    cut = await client.get(SANDBOX, headers=headers)
    assert cut.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(await cut.read())
    await fault(client, provider="rte", kind="timeout", delay=0.01)
    assert (await client.get(SANDBOX, headers=headers)).status == 504
    for provider, path in (("rte", SANDBOX), ("enedis", CONTRACT), ("meteofrance", STATIONS)):
        await fault(client, provider=provider, kind="401")
        assert (await client.get(path, headers=KEY | headers)).status == 401


async def test_fault_path_filter_and_stats(client: TestClient) -> None:
    headers = await bearer(client, "rte")
    await fault(client, provider="rte", kind="500", path="/tempo")
    assert (await client.get(SANDBOX, headers=headers)).status == 200
    pending = await (await client.get("/_control/faults")).json()
    assert pending["rte"][0]["remaining"] == 1
    stats = await (await client.get("/_control/stats")).json()
    assert stats["rte"]["calls"] == 2
    assert stats["rte"]["by_path"] == {
        "/token/oauth/": 1,
        "/open_api/ecowatt/v5/sandbox/signals": 1,
    }
    assert stats["rte"]["by_status"] == {"200": 2}
    assert stats["enedis"]["calls"] == 0
    cleared = await (await client.delete("/_control/faults")).json()
    assert cleared["rte"] == []


async def test_bad_control_requests(client: TestClient) -> None:
    assert (
        await client.post("/_control/faults", json={"provider": "x", "kind": "429"})
    ).status == 400
    assert (
        await client.post("/_control/faults", json={"provider": "rte", "kind": "429", "count": "a"})
    ).status == 400
    assert (
        await client.post("/_control/faults", json={"provider": "rte", "kind": "429", "count": 0})
    ).status == 400
    assert (await client.post("/_control/faults", data="nope")).status == 400
    assert (await client.post("/_control/faults", json=[1])).status == 400
    assert (await client.post("/_control/tokens/expire", json={"provider": "x"})).status == 400


async def test_expire_tokens_and_reset(client: TestClient, state: SandboxState) -> None:
    headers = await bearer(client, "rte")
    expired = await (await client.post("/_control/tokens/expire", json={"provider": "rte"})).json()
    assert expired == {"expired": 1}
    assert (await client.get(SANDBOX, headers=headers)).status == 401
    await client.post("/_control/tokens/expire")
    await fault(client, provider="rte", kind="500")
    assert (await client.post("/_control/reset")).status == 200
    assert state.faults["rte"] == []
    assert state.tokens == {}
    assert (await (await client.get("/_control/stats")).json())["rte"]["calls"] == 0


def test_main_serves_with_the_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with patch("tools.sandbox.__main__.web.run_app") as run_app:
        main(["--port", "9999", "--red-in-hours", "5", "--enedis-redirect-url", "http://x/cb"])
    assert run_app.call_args.kwargs["port"] == 9999
    assert '"rte": "http://127.0.0.1:9999/rte"' in capsys.readouterr().out


async def test_tokens_survive_a_restart_of_the_simulator(client: TestClient, clock: Clock) -> None:
    headers = await bearer(client, "rte")
    restarted = SandboxState(clock=clock)
    async with TestClient(TestServer(create_app(restarted))) as again:
        assert (await again.get(SANDBOX, headers=headers)).status == 200
        forged = {"Authorization": headers["Authorization"][:-3] + "abc"}
        assert (await again.get(SANDBOX, headers=forged)).status == 401
        assert (await again.get(SANDBOX, headers={"Authorization": "Bearer x.y"})).status == 401
        await again.post("/_control/tokens/expire", json={"provider": "rte"})
        assert (await again.get(SANDBOX, headers=headers)).status == 401
    clock.advance(seconds=7200)
    fresh = SandboxState(clock=clock)
    async with TestClient(TestServer(create_app(fresh))) as later:
        assert (await later.get(SANDBOX, headers=headers)).status == 401  # expired meanwhile


def test_main_takes_the_publication_hour_of_linky_data() -> None:
    with patch("tools.sandbox.__main__.web.run_app") as run_app:
        main(["--enedis-publication-hour", "0"])
        main([])
    demo, default = (call.args[0][STATE] for call in run_app.call_args_list)
    assert demo.config.enedis_publication_hour == 0
    assert default.config.enedis_publication_hour == 8  # as Enedis: yesterday from 08:00 on
    with pytest.raises(SystemExit):
        main(["--enedis-publication-hour", "24"])
