"""Fixtures of the simulator tests: a controllable clock and a client of the simulator."""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient, TestServer
import pytest

from tools.sandbox import SandboxState, create_app


@dataclass
class Clock:
    """A clock the tests move by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    """Monday 2026-11-23 16:20 in Paris (15:20 UTC)."""
    return Clock(datetime(2026, 11, 23, 15, 20, tzinfo=UTC))


@pytest.fixture
def state(clock: Clock) -> SandboxState:
    return SandboxState(clock=clock)


@pytest.fixture
async def client(state: SandboxState, socket_enabled: None) -> AsyncGenerator[TestClient]:
    """A client of the simulator over loopback (the server needs a real socket)."""
    async with TestClient(TestServer(create_app(state))) as test_client:
        yield test_client


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


async def bearer(client: TestClient, provider: str, client_id: str | None = None) -> dict[str, str]:
    """Authorization header with a fresh token of a provider's demo account."""
    if provider == "rte":
        response = await client.post(
            "/rte/token/oauth/",
            headers=basic(client_id or "sandbox-rte-client", "sandbox-rte-secret"),
        )
    elif provider == "enedis":
        response = await client.post(
            "/enedis/oauth2/v3/token",
            data={"grant_type": "client_credentials"},
            headers=basic("sandbox-enedis-client", "sandbox-enedis-secret"),
        )
    else:
        response = await client.post(
            "/meteofrance/token",
            data={"grant_type": "client_credentials"},
            headers=basic("sandbox-meteofrance-app", "sandbox-meteofrance-secret"),
        )
    assert response.status == 200
    token = (await response.json())["access_token"]
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}
