"""Fixtures of the Météo-France tests: a fake DPObs server on a local port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.const import CONF_API_BASE_URL, CONF_ENTRY_TYPE, DOMAIN

from .fake_dpobs import API_KEY, FakeDpobs, serve

# Time of the fixtures: the 15:00 UTC hourly observation, published at 15:10.
FIXTURE_NOW = "2026-11-23T15:11:30+00:00"


@pytest.fixture
def fake_dpobs() -> FakeDpobs:
    """The fake API's state."""
    return FakeDpobs()


@pytest.fixture
async def dpobs_url(fake_dpobs: FakeDpobs, socket_enabled: None) -> AsyncIterator[str]:
    """Base URL of the running fake API (a real local server, so sockets are allowed)."""
    async with serve(fake_dpobs) as url:
        yield url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session for the API client tests."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def station_entry(
    base_url: str | None,
    station_id: str = "75114001",
    title: str = "Paris-Montsouris",
    resolution: str = "hourly",
    **credentials: str,
) -> MockConfigEntry:
    """A Météo-France entry as the config flow creates it."""
    data = {
        CONF_ENTRY_TYPE: "meteofrance",
        "auth_method": "api_key",
        "api_key": API_KEY,
        "station_id": station_id,
    }
    if credentials:
        data.pop("api_key")
        data.update(credentials)
    if base_url is not None:
        data[CONF_API_BASE_URL] = base_url
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=station_id,
        data=data,
        options={"resolution": resolution},
    )
