"""The simulator's state file: what a restart keeps (a red run set through /_control, meter
switches, consents) and what it does not (faults, counters)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
import json
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
import pytest

from tools.sandbox import SandboxState, create_app
from tools.sandbox.persist import SandboxStore
from tools.sandbox.state import CONSUMER_PRM, PRODUCER_PRM

from .conftest import Clock, basic

type Restart = Callable[[], tuple[SandboxState, web.Application]]


@pytest.fixture
def store(tmp_path: Path) -> SandboxStore:
    return SandboxStore(tmp_path / "sandbox_state.json")


@pytest.fixture
def restart(clock: Clock, store: SandboxStore) -> Restart:
    """A new simulator process: fresh state and app, then the saved state."""

    def start() -> tuple[SandboxState, web.Application]:
        state = SandboxState(clock=clock)
        app = create_app(state)  # with its standing consents, as at each start
        store.load(state)
        return state, app

    return start


@pytest.fixture
async def client(
    state: SandboxState, store: SandboxStore, socket_enabled: None
) -> AsyncGenerator[TestClient]:
    """The simulator with its state file."""
    store.attach(state)
    async with TestClient(TestServer(create_app(state))) as test_client:
        yield test_client


async def test_a_red_run_set_through_control_survives_a_restart(
    client: TestClient, state: SandboxState, clock: Clock, restart: Restart
) -> None:
    answer = await client.post("/_control/rte/red", json={"in_hours": 0, "hours": 2})
    red_run = await answer.json()
    clock.advance(minutes=40)  # the restart happens during the red run

    again, app = restart()

    assert again.red_start == state.red_start
    assert again.red_hours == 2
    async with TestClient(TestServer(app)) as restarted:
        assert (await (await restarted.get("/_control")).json())["red_run"] == red_run


async def test_a_red_run_never_moved_follows_each_start(
    client: TestClient, state: SandboxState, clock: Clock, restart: Restart
) -> None:
    await client.post(f"/_control/enedis/meters/{PRODUCER_PRM}", json={"consent": False})
    clock.advance(hours=30)

    again, _ = restart()

    assert again.red_start == again.default_red_start()  # anchored on this start, not saved
    assert again.red_start != state.red_start
    assert again.meters[PRODUCER_PRM].consent is False
    assert again.meters[CONSUMER_PRM].consent is True


async def test_a_consent_given_on_the_page_is_known_after_a_restart(
    client: TestClient, state: SandboxState, restart: Restart
) -> None:
    query = {
        "client_id": state.config.enedis_client_id,
        "response_type": "code",
        "duration": "P1Y",
        "state": "abc",
        "redirect_uri": "http://ha.local/cb",
        "prm": CONSUMER_PRM,
        "decision": "accept",
    }
    answer = await client.post(
        "/enedis/dataconnect/v2/oauth2/authorize", data=query, allow_redirects=False
    )
    autorisation_id = int(answer.headers["Location"].split("autorisation_id=")[1].split("&")[0])

    again, app = restart()
    async with TestClient(TestServer(app)) as restarted:
        token = await restarted.post(
            "/enedis/oauth2/v3/token",
            data={"grant_type": "client_credentials"},
            headers=basic("sandbox-enedis-client", "sandbox-enedis-secret"),
        )
        bearer = (await token.json())["access_token"]
        services = await restarted.post(
            "/enedis/subscribed_services/v1/",
            json={"autorisationId": autorisation_id},
            headers={"Authorization": f"Bearer {bearer}"},
        )
        assert services.status == 200
        assert (await services.json())["serviceSouscrit"][0]["pointId"] == CONSUMER_PRM
    assert again.next_autorisation_id == state.next_autorisation_id


async def test_faults_and_counters_are_not_kept(
    client: TestClient, store: SandboxStore, restart: Restart
) -> None:
    await client.post("/_control/faults", json={"provider": "rte", "kind": "500"})
    await client.post("/_control/rte/red", json={"in_hours": 1})

    again, _ = restart()

    assert again.faults["rte"] == []
    assert again.stats["rte"].calls == 0
    assert set(json.loads(store.path.read_text())) == {
        "version",
        "red_run",
        "meters",
        "consents",
        "next_autorisation_id",
    }


@pytest.mark.parametrize("content", ["{", '{"version": 99}', '{"version": 1, "red_run": {}}'])
def test_an_unreadable_file_starts_afresh(
    store: SandboxStore, clock: Clock, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    store.path.write_text(content)
    state = SandboxState(clock=clock)
    red_start = state.red_start

    assert store.load(state) is False
    assert state.red_start == red_start
    assert not state.red_set
    assert str(store.path) in caplog.text


def test_no_file_yet(store: SandboxStore, clock: Clock) -> None:
    assert store.load(SandboxState(clock=clock)) is False
