"""RTE end to end: config flow → real HTTP → simulator; entities; each fault and its recovery."""

from __future__ import annotations

from datetime import timedelta
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.delestage.const import DOMAIN

from .conftest import Sandbox, advance_until, entity_ids, start_flow

pytestmark = pytest.mark.usefixtures("short_timeouts")


async def add_rte(hass: HomeAssistant, sandbox: Sandbox) -> ConfigEntry:
    result = await start_flow(hass, "rte")
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "client_id": "sandbox-rte-client",
            "client_secret": "sandbox-rte-secret",
            "environment": "production",
            "advanced": {"api_base_url": f"{sandbox.url}/rte"},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry = hass.config_entries.async_get_entry(result["result"].entry_id)
    assert entry is not None
    return entry


async def test_rte_entities_follow_the_simulated_red_run(
    hass: HomeAssistant, sandbox: Sandbox, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-11-23T15:20:00+00:00")  # 16:20 in Paris
    sandbox.state.red_start = sandbox.state.default_red_start(0)  # red 16:00-19:00 local
    started = time.perf_counter()
    entry = await add_rte(hass, sandbox)
    elapsed = time.perf_counter() - started
    assert entry.state is ConfigEntryState.LOADED
    ids = entity_ids(hass, entry)
    assert hass.states.get(ids["ecowatt_level_now"]).state == "red"
    assert hass.states.get(ids["ecowatt_red_now"]).state == "on"
    assert hass.states.get(ids["ecowatt_alert_now"]).state == "on"
    assert hass.states.get(ids["ecowatt_today"]).state == "red"
    assert hass.states.get(ids["tempo_today"]).state in {"blue", "white", "red"}
    # One production call for flow + set-up (the quota is 1 per 15 min): no 429.
    assert sandbox.calls("rte", "/ecowatt/v5/signals") == 1
    assert "429" not in sandbox.statuses("rte")
    print(f"RTE flow + set-up against the simulator: {elapsed:.3f} s")

    # At 19:00 local the red run ends: the state changes from the cached forecast.
    calls = sandbox.calls("rte", "/signals")
    freezer.move_to(dt_util.parse_datetime("2026-11-23T18:00:02+00:00"))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(ids["ecowatt_level_now"]).state == "orange"
    assert hass.states.get(ids["ecowatt_red_now"]).state == "off"
    assert sandbox.calls("rte", "/signals") <= calls + 1


@pytest.mark.parametrize("kind", ["429", "500", "503", "timeout", "malformed", "401"])
async def test_rte_fault_then_recovery(
    hass: HomeAssistant, sandbox: Sandbox, freezer: FrozenDateTimeFactory, kind: str
) -> None:
    freezer.move_to("2026-11-23T09:20:00+00:00")
    entry = await add_rte(hass, sandbox)
    level = entity_ids(hass, entry)["ecowatt_level_now"]
    assert hass.states.get(level).state not in ("unavailable", "unknown")
    sandbox.fault("rte", kind, count=1, path="/ecowatt/v5/signals")
    before = sandbox.state.stats["rte"].faults_served
    hanging = kind == "timeout"
    await advance_until(
        hass,
        freezer,
        lambda: sandbox.state.stats["rte"].faults_served > before,
        step=timedelta(minutes=10),
        hanging_requests=hanging,
    )
    served_ok = sandbox.statuses("rte").get("200", 0)
    await advance_until(
        hass,
        freezer,
        lambda: (
            sandbox.statuses("rte").get("200", 0) > served_ok
            and hass.states.get(level).state not in ("unavailable", "unknown")
        ),
        step=timedelta(minutes=1) if hanging else timedelta(minutes=10),
        max_steps=200 if hanging else 40,
        hanging_requests=hanging,
    )
    assert entry.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)  # no reauth
    # Never a real 429: every 429 the simulator sent was the injected one.
    assert sandbox.statuses("rte").get("429", 0) == (1 if kind == "429" else 0)
