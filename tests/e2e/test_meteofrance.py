"""Météo-France end to end: config flow → real HTTP → simulator; converted units; faults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.delestage.const import DOMAIN
from tools.sandbox.meteofrance import BY_ID, observation

from .conftest import Sandbox, advance_until, entity_ids, start_flow

pytestmark = pytest.mark.usefixtures("short_timeouts")


async def add_station(
    hass: HomeAssistant, sandbox: Sandbox, station_id: str, credential: dict[str, str]
) -> ConfigEntry:
    result = await start_flow(hass, "meteofrance")
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**credential, "advanced": {"api_base_url": f"{sandbox.url}/meteofrance/public/DPObs/v1"}},
    )
    assert result["type"] is FlowResultType.FORM, result
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"station_id": station_id}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    await hass.async_block_till_done()
    entry = hass.config_entries.async_get_entry(result["result"].entry_id)
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED
    return entry


API_KEY = {"auth_method": "api_key", "credential": "sandbox-meteofrance-key"}


async def test_station_values_in_home_assistant_units(
    hass: HomeAssistant, sandbox: Sandbox, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-11-23T15:20:00+00:00")
    entry = await add_station(hass, sandbox, "75114001", API_KEY)
    ids = entity_ids(hass, entry)
    # The simulator's own record for the hour the integration must have shown.
    record = observation(BY_ID["75114001"], datetime(2026, 11, 23, 15, tzinfo=UTC), hourly=True)
    temperature = float(hass.states.get(ids["temperature"]).state)
    assert temperature == pytest.approx(record["t"] - 273.15, abs=0.05)
    pressure = float(hass.states.get(ids["pressure"]).state)
    assert pressure == pytest.approx(record["pmer"] / 100, abs=0.05)
    assert sandbox.calls("meteofrance", "/station/") >= 1


async def test_station_without_pressure_and_application_id(
    hass: HomeAssistant, sandbox: Sandbox, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-11-23T15:20:00+00:00")
    app_id = sandbox.state.config.meteofrance_application_id
    entry = await add_station(
        hass, sandbox, "01014002", {"auth_method": "application_id", "credential": app_id}
    )
    ids = entity_ids(hass, entry)
    after_setup = sandbox.calls("meteofrance", "/token")
    assert after_setup >= 1
    # The token (valid 1 h) is reused by the next hourly poll, at 16:12 UTC.
    polls = sandbox.calls("meteofrance", "/station/")
    await advance_until(
        hass,
        freezer,
        lambda: sandbox.calls("meteofrance", "/station/") > polls,
        step=timedelta(minutes=2),
    )
    assert sandbox.calls("meteofrance", "/token") == after_setup
    # pres/pmer are null at this RADOME station: never shown as 0.
    pressure = ids.get("pressure")
    if pressure is not None:
        assert hass.states.get(pressure).state in ("unknown", "unavailable")
    # An expired token: a new one is fetched, the data keeps coming.
    sandbox.state.expire_tokens("meteofrance")
    before = sandbox.calls("meteofrance", "/token")
    await advance_until(
        hass,
        freezer,
        lambda: sandbox.calls("meteofrance", "/token") > before,
        step=timedelta(minutes=10),
    )
    assert hass.states.get(ids["temperature"]).state not in ("unknown", "unavailable")


@pytest.mark.parametrize("kind", ["429", "500", "timeout", "malformed"])
async def test_meteofrance_fault_then_recovery(
    hass: HomeAssistant, sandbox: Sandbox, freezer: FrozenDateTimeFactory, kind: str
) -> None:
    freezer.move_to("2026-11-23T15:20:00+00:00")
    entry = await add_station(hass, sandbox, "75114001", API_KEY)
    temperature = entity_ids(hass, entry)["temperature"]
    sandbox.fault("meteofrance", kind, path="/station/")
    hanging = kind == "timeout"
    await advance_until(
        hass,
        freezer,
        lambda: sandbox.state.stats["meteofrance"].faults_served == 1,
        step=timedelta(minutes=5),
        hanging_requests=hanging,
    )
    ok = sandbox.statuses("meteofrance").get("200", 0)
    await advance_until(
        hass,
        freezer,
        lambda: (
            sandbox.statuses("meteofrance").get("200", 0) > ok
            and hass.states.get(temperature).state not in ("unknown", "unavailable")
        ),
        step=timedelta(minutes=1) if hanging else timedelta(minutes=5),
        max_steps=200 if hanging else 40,
        hanging_requests=hanging,
    )
    assert entry.state is ConfigEntryState.LOADED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_api_key_refused_asks_for_reauth(
    hass: HomeAssistant, sandbox: Sandbox, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-11-23T15:20:00+00:00")
    entry = await add_station(hass, sandbox, "75114001", API_KEY)
    sandbox.state.config.meteofrance_api_key = "a-new-key"  # the old one was revoked
    await advance_until(
        hass,
        freezer,
        lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)),
        step=timedelta(minutes=10),
    )
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flows[0]["context"]["source"] == "reauth"
    assert flows[0]["context"]["entry_id"] == entry.entry_id
