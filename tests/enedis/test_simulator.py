"""End to end against the local simulator (tools/sandbox): consent page → callback → entry."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from urllib.parse import urlparse

import aiohttp
from aiohttp.test_utils import TestServer
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.const import DOMAIN
from tools.sandbox import SandboxState, create_app
from tools.sandbox.state import SandboxConfig

from .conftest import CALLBACK


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncGenerator[tuple[SandboxState, str]]:
    """The simulator on localhost; its DataHub redirect URL is set by the test."""
    state = SandboxState(SandboxConfig())
    server = TestServer(create_app(state))
    await server.start_server()
    yield state, str(server.make_url("/enedis")).rstrip("/")
    await server.close()


@pytest.mark.usefixtures("recorder_mock")
async def test_consent_and_setup_against_the_simulator(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    simulator: tuple[SandboxState, str],
) -> None:
    state, enedis_url = simulator
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass,
        DOMAIN,
        ClientCredential(state.config.enedis_client_id, state.config.enedis_client_secret),
    )
    assert await async_setup_component(hass, DOMAIN, {})  # serves the redirect URL
    ha_client = await hass_client_no_auth()
    state.config.enedis_redirect_url = str(ha_client.make_url(CALLBACK))

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis_dataconnect"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "consent_duration": "p1y",
            "advanced": {"environment": "sandbox", "api_base_url": enedis_url},
        },
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP

    # The customer accepts on the (simulated) Enedis page, which redirects the browser to HA.
    async with aiohttp.ClientSession() as browser:
        page = await browser.get(result["url"])
        assert page.status == 200
        query = dict(page.url.query)
        decision = await browser.post(
            result["url"].split("?")[0],
            data={**query, "decision": "accept"},
            allow_redirects=False,
        )
        assert decision.status == 302
        location = urlparse(decision.headers["Location"])
    assert location.path == CALLBACK
    response = await ha_client.get(f"{location.path}?{location.query}")
    assert response.status == 200

    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    prm = entry.unique_id
    assert prm in state.meters

    await hass.async_block_till_done()  # the new entry is set up right away
    assert entry.state is ConfigEntryState.LOADED
    sensor = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{prm}_subscribed_power")
    assert sensor is not None
    assert float(hass.states.get(sensor).state) > 0

    # A reload works (its duration is a benchmark: tests/e2e/test_bench.py, script/bench).
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)
