"""End-to-end fixtures: the simulator on loopback, real HTTP from the integration's clients.

The simulator's clock is Home Assistant's (``dt_util.utcnow``), so the ``freezer`` moves both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.delestage.api import http as api_http
from custom_components.delestage.const import DOMAIN
from tools.sandbox import SandboxState, create_app
from tools.sandbox.state import Fault


@dataclass
class Sandbox:
    """The running simulator: its base URL and state."""

    url: str
    state: SandboxState

    def fault(self, provider: str, kind: str, count: int = 1, path: str | None = None) -> None:
        """Serve ``kind`` to the next ``count`` matching calls."""
        self.state.add_fault(provider, Fault(kind, count, path, retry_after=60, delay=5))

    def calls(self, provider: str, path_part: str) -> int:
        """Calls received on the paths containing ``path_part``."""
        stats = self.state.stats[provider].by_path
        return sum(n for path, n in stats.items() if path_part in path)

    def statuses(self, provider: str) -> dict[str, int]:
        """Answers sent by status."""
        return dict(self.state.stats[provider].by_status)


@pytest.fixture
async def sandbox(socket_enabled: None) -> AsyncGenerator[Sandbox]:
    """The simulator on 127.0.0.1 (a real socket), sharing Home Assistant's clock."""
    state = SandboxState(clock=lambda: dt_util.utcnow())  # noqa: PLW0108 - late binding: frozen time
    server = TestServer(create_app(state), host="127.0.0.1", access_log=None)
    await server.start_server()
    try:
        yield Sandbox(str(server.make_url("")).rstrip("/"), state)
    finally:
        await server.close()


@pytest.fixture
def short_timeouts() -> Generator[None]:
    """Client requests time out after 1 s (instead of 30 s) so timeout faults stay quick."""
    defaults = dict(api_http.async_fetch.__kwdefaults__ or {})
    with patch.object(
        api_http.async_fetch,
        "__kwdefaults__",
        {**defaults, "timeout": aiohttp.ClientTimeout(total=1)},
    ):
        yield


async def start_flow(hass: HomeAssistant, entry_type: str) -> dict[str, Any]:
    """Open the Délestage flow (advanced options shown) and pick an entry type in the menu."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "user", "show_advanced_options": True}
    )
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": entry_type}
    )


def entity_ids(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, str]:
    """Entity ids of an entry, by the key after its unique id (``<unique_id>_<key>``)."""
    registry = er.async_get(hass)
    prefix = f"{entry.unique_id}_"
    return {
        e.unique_id.removeprefix(prefix): e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }


async def advance_until(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    done: Callable[[], bool],
    *,
    step: timedelta,
    max_steps: int = 40,
    hanging_requests: bool = False,
) -> int:
    """Move the clock by ``step`` until ``done()``; return how many steps it took.

    With ``hanging_requests`` (a timeout fault), no waiting for tasks: a request that waits
    for its timeout only ends when a later step moves the frozen clock past it.
    """
    for steps in range(1, max_steps + 1):
        freezer.tick(step)
        async_fire_time_changed(hass)
        if hanging_requests:
            for _ in range(100):
                await asyncio.sleep(0)
        else:
            await hass.async_block_till_done(wait_background_tasks=True)
        if done():
            return steps
    raise AssertionError(f"Condition not met after {max_steps} steps of {step}")
