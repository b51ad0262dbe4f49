"""Fixtures of the Météo-France tests: a fake DPObs server on a local port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from .fake_dpobs import FakeDpobs, serve


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
