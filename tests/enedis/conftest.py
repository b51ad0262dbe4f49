"""Fixtures of the Home Assistant side Enedis tests: app credentials, fake gateway, entries.

The gateway fixtures are named ``gateway`` / ``gateway_server`` (``fake_enedis.py`` has its own
``fake`` / ``fake_server`` for the client tests, with a fixed date and Enedis' throttling).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiohttp.test_utils import TestServer
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import ConfigEntry, ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.api.enedis import RateLimiter
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.enedis.client import DATA_LIMITERS

from .fake_enedis import CLIENT_ID, CLIENT_SECRET, PARIS, PRM, FakeEnedis, base_url

AUTH_DOMAIN = "enedis_app"
CALLBACK = "/api/delestage/enedis/callback"


def paris_today() -> date:
    """Today in Paris (what the integration calls today)."""
    return datetime.now(PARIS).date()


@pytest.fixture
def gateway() -> FakeEnedis:
    """The fake gateway's state: today is the real today; no throttling (pacing is ours)."""
    return FakeEnedis(today=paris_today(), per_second=None)


@pytest.fixture
async def gateway_server(gateway: FakeEnedis, socket_enabled: None) -> Any:
    """The fake gateway on localhost."""
    server = TestServer(gateway.app())
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
def api_url(gateway_server: TestServer) -> str:
    """Base URL of the fake gateway (what the user types in the flow's advanced section)."""
    return base_url(gateway_server)


@pytest.fixture
async def credentials(hass: HomeAssistant) -> None:
    """The user's Data Connect app in application credentials, and fast pacing for tests."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET, "My app"), AUTH_DOMAIN
    )
    hass.data[DATA_LIMITERS] = {CLIENT_ID: RateLimiter(per_second=1000, per_hour=100_000)}


def consent_state(url: str) -> str:
    """The ``state`` of a consent URL."""
    return parse_qs(urlparse(url).query)["state"][0]


def make_entry(api_url: str, **data: Any) -> MockConfigEntry:
    """An Enedis entry as the flow creates it (``prm=`` changes its unique id too)."""
    prm = data.get("prm", PRM)
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Linky …{prm[-4:]}",
        unique_id=prm,
        data={
            "entry_type": "enedis",
            "auth_implementation": AUTH_DOMAIN,
            "token": None,
            "prm": PRM,
            "autorisation_id": "123",
            "consent_end": "2029-11-20",
            "consent_duration": "p3y",
            "environment": "production",
            "production": False,
            "api_base_url": api_url,
            **data,
        },
    )


def yesterday() -> date:
    """The newest day Enedis publishes."""
    return paris_today() - timedelta(days=1)


async def open_linky_options(
    hass: HomeAssistant, entry: ConfigEntry, step: str
) -> ConfigFlowResult:
    """Open the entry's options (a menu) and choose ``step`` (enedis_tariff, enedis_import_file)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )
