"""Enedis end to end: consent page → callback → entry; Linky sensors and Energy statistics
against the simulator's own curve (the oracle); a fault during the back-fill."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
import itertools
from urllib.parse import parse_qs, urlsplit

import aiohttp
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.const import DOMAIN
from tests.enedis.fake_enedis import quiet_sql
from tools.sandbox import linky
from tools.sandbox.state import CONSUMER_PRM
from tools.sandbox.weather import PARIS

from .conftest import Sandbox, entity_ids, start_flow

CALLBACK = "/api/delestage/enedis/callback"
STATISTIC = f"{DOMAIN}:linky_{CONSUMER_PRM}_consumption"
__all__ = ["quiet_sql"]
# quiet_sql: Home Assistant's test plugin logs every SQL statement at INFO (thousands of
# INSERT lines during a back-fill); production logs them at WARNING.
pytestmark = pytest.mark.usefixtures("recorder_mock", "quiet_sql")


async def add_meter(
    hass: HomeAssistant, sandbox: Sandbox, ha: ClientSessionGenerator
) -> ConfigEntry:
    assert await async_setup_component(hass, "application_credentials", {})
    config = sandbox.state.config
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(config.enedis_client_id, config.enedis_client_secret)
    )
    assert await async_setup_component(hass, DOMAIN, {})
    client = await ha()
    config.enedis_redirect_url = str(client.make_url(CALLBACK))
    result = await start_flow(hass, "enedis")
    assert result["type"] is FlowResultType.MENU  # the source comes first
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "enedis_dataconnect"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "consent_duration": "p3y",
            "advanced": {"environment": "production", "api_base_url": f"{sandbox.url}/enedis"},
        },
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    # The customer accepts for the consumer meter on the simulated consent page.
    form = {k: v[0] for k, v in parse_qs(urlsplit(result["url"]).query).items()}
    async with aiohttp.ClientSession() as browser:
        answer = await browser.post(
            f"{sandbox.url}/enedis/dataconnect/v2/oauth2/authorize",
            data={**form, "prm": CONSUMER_PRM, "decision": "accept"},
            allow_redirects=False,
        )
        location = urlsplit(answer.headers["Location"])
    assert (await client.get(f"{location.path}?{location.query}")).status == 200
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def hourly_rows(hass: HomeAssistant) -> list[dict[str, float]]:
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        dt_util.utcnow() - timedelta(days=60),
        None,
        {STATISTIC},
        "hour",
        None,
        {"sum", "state", "change"},
    )
    return list(rows.get(STATISTIC, []))


async def wait_for(hass: HomeAssistant, condition, seconds: float = 30) -> None:
    for _ in range(int(seconds * 10)):
        await hass.async_block_till_done()
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


def expected_kwh(first: date, last: date) -> float:
    """The simulator's energy over local days first..last (its curve: W x 0.5 h)."""
    return sum(p.watts for p in linky.curve(CONSUMER_PRM, first, last)) / 2 / 1000


async def test_statistics_match_the_metered_curve(
    hass: HomeAssistant, sandbox: Sandbox, hass_client_no_auth: ClientSessionGenerator
) -> None:
    today = dt_util.now().astimezone(PARIS).date()
    activation = today - timedelta(days=12)  # a short history: the back-fill is quick
    sandbox.state.meters[CONSUMER_PRM].activation = activation
    last_day = sandbox.state.now().astimezone(PARIS)
    last = today - timedelta(days=1 if last_day.hour >= 8 else 2)

    entry = await add_meter(hass, sandbox, hass_client_no_auth)
    ids = entity_ids(hass, entry)
    if last == today - timedelta(days=1):
        shown = float(hass.states.get(ids["consumption_yesterday"]).state)
        assert shown == pytest.approx(linky.daily_wh(CONSUMER_PRM, last) / 1000, abs=0.001)

    async def imported() -> bool:
        rows = await hourly_rows(hass)
        return (
            bool(rows)
            and dt_util.utc_from_timestamp(rows[0]["start"]).astimezone(PARIS).date() == activation
            and len(rows) >= 24 * ((last - activation).days + 1) - 1
        )

    await wait_for(hass, imported)
    rows = await hourly_rows(hass)
    # Whole hours from local midnight of activation, none twice; the sum is continuous.
    starts = [row["start"] for row in rows]
    assert starts == sorted(set(starts))
    assert all(b - a == 3600 for a, b in itertools.pairwise(starts))
    total = sum(row["change"] for row in rows)
    assert total == pytest.approx(expected_kwh(activation, last), abs=0.01)  # Wh rounding
    assert rows[-1]["sum"] == pytest.approx(total, rel=1e-6)
    # The back-fill stopped at the meter's activation (ADAM-ERR0123), without asking forever.
    assert sandbox.statuses("enedis").get("429", 0) == 0
    assert sandbox.calls("enedis", "/mesure_synchrone_auto/") < 20
