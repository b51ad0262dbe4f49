"""A Linky entry fed by a gateway goes through the same pipeline as Data Connect.

Against the simulator's gateways: the same sensors and ``delestage:linky_<prm>_*`` statistics,
the back-fill within the source's budget, reauth on a refused secret, a repair issue on a quota
or ban answer, the daily schedule at the persisted minute, and the migration of old entries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestServer
from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.delestage.api.budget import Purpose
from custom_components.delestage.api.enedis_gateways import Source
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.diagnostics import async_get_config_entry_diagnostics
from custom_components.delestage.enedis.client import (
    DATA_GATEWAYS,
    GatewayState,
    async_gateway_state,
)
from tests.enedis.conftest import open_linky_options
from tools.sandbox import SandboxState, create_app
from tools.sandbox.conso_api import make_token
from tools.sandbox.linky import daily_wh
from tools.sandbox.state import CONSUMER_PRM, Fault, SandboxConfig
from tools.sandbox.weather import PARIS

CONFIG = SandboxConfig()


def paris_today() -> date:
    return datetime.now(PARIS).date()


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncGenerator[tuple[SandboxState, str]]:
    """The simulator; the consumer meter was activated 20 days ago (short back-fill)."""
    state = SandboxState(SandboxConfig())
    state.meters[CONSUMER_PRM].activation = paris_today() - timedelta(days=20)
    server = TestServer(create_app(state))
    await server.start_server()
    yield state, str(server.make_url("")).rstrip("/")
    await server.close()


def entry_for(source: str, root: str, secret: str | None = None) -> MockConfigEntry:
    url = f"{root}/conso_api/api" if source == "conso_api" else f"{root}/myelectricaldata/api"
    if secret is None:
        secret = (
            make_token(CONFIG.conso_api_secret, [CONSUMER_PRM], datetime.now(UTC))
            if source == "conso_api"
            else CONFIG.med_client_secret
        )
    return MockConfigEntry(
        domain=DOMAIN,
        title="Linky …9012",
        unique_id=CONSUMER_PRM,
        version=1,
        minor_version=3,
        data={
            "entry_type": "enedis",
            "source": source,
            "prm": CONSUMER_PRM,
            "api_token": secret,
            # As the flow stores it: Conso API's token says when it ends, MyElectricalData's
            # secret does not.
            "consent_end": (
                (paris_today() + timedelta(days=900)).isoformat() if source == "conso_api" else None
            ),
            "production": False,
            "api_base_url": url,
        },
    )


async def hourly_rows(hass: HomeAssistant, stat: str) -> list[dict[str, Any]]:
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2020, 1, 1, tzinfo=UTC),
        None,
        {stat},
        "hour",
        None,
        {"sum"},
    )
    return list(rows.get(stat, []))


@pytest.mark.usefixtures("recorder_mock")
@pytest.mark.parametrize("source", ["conso_api", "myelectricaldata"])
async def test_same_sensors_and_statistics_whatever_the_gateway(
    hass: HomeAssistant, simulator: tuple[SandboxState, str], source: str
) -> None:
    state, root = simulator
    entry = entry_for(source, root)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED

    registry = er.async_get(hass)
    sensor = registry.async_get_entity_id("sensor", DOMAIN, f"{CONSUMER_PRM}_consumption_yesterday")
    assert sensor is not None
    yesterday = paris_today() - timedelta(days=1)
    value = hass.states.get(sensor)
    # The simulator publishes yesterday from 08:00 (Paris); before that the day before.
    assert float(value.state) * 1000 in (
        pytest.approx(daily_wh(CONSUMER_PRM, yesterday), abs=0.5),
        pytest.approx(daily_wh(CONSUMER_PRM, yesterday - timedelta(days=1)), abs=0.5),
    )
    power = registry.async_get_entity_id("sensor", DOMAIN, f"{CONSUMER_PRM}_subscribed_power")
    if source == "myelectricaldata":
        assert hass.states.get(power).state == "9.0"
    else:  # Conso API offers no contract: no sensor that would never be known
        assert power is None
    consent = registry.async_get_entity_id("sensor", DOMAIN, f"{CONSUMER_PRM}_consent_end")
    if source == "conso_api":
        end = dt_util.parse_datetime(hass.states.get(consent).state)
        assert end.astimezone(PARIS).date() == date.fromisoformat(entry.data["consent_end"])
    else:  # MyElectricalData does not tell when the consent ends: no sensor for ever unknown
        assert consent is None
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert device.model == {"conso_api": "Linky (Conso API)"}.get(
        source, "Linky (MyElectricalData)"
    )
    progress = registry.async_get_entity_id("sensor", DOMAIN, f"{CONSUMER_PRM}_backfill_progress")
    assert hass.states.get(progress).state == "100"

    # The same statistics ids, the history since activation, hour by hour.
    rows = await hourly_rows(hass, f"delestage:linky_{CONSUMER_PRM}_consumption")
    assert rows
    first = datetime.fromtimestamp(rows[0]["start"], UTC).astimezone(PARIS)
    assert first.date() == state.meters[CONSUMER_PRM].activation
    starts = [row["start"] for row in rows]
    assert starts == sorted(set(starts))

    gateway = hass.data[DATA_GATEWAYS][Source(source)]
    calls = state.stats[source].calls
    assert 0 < gateway.budget.used() == calls
    assert gateway.budget.used(Purpose.BACKFILL) <= gateway.budget.policy.backfill
    assert gateway.budget.used() <= gateway.budget.policy.total

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["entry"]["data"]["api_token"] == "**REDACTED**"
    assert diagnostics["runtime"]["source"] == source
    assert diagnostics["runtime"]["gateway_budget"]["used"] == calls
    assert diagnostics["runtime"]["token_requests"] == 0

    # A restart: the budget and the minute come back from storage (no new draw).
    minute = gateway.minute
    assert await hass.config_entries.async_unload(entry.entry_id)
    await gateway.async_flush()  # what Home Assistant's final write does at shutdown
    await hass.async_block_till_done()
    hass.data.pop(DATA_GATEWAYS)
    restored = await async_gateway_state(hass, Source(source))
    assert restored.minute == minute
    assert restored.budget.used() == calls
    # Set up again before the next daily slot: the saved values, and not one request.
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(sensor).state == value.state
    assert state.stats[source].calls == calls
    next_refresh = entry.runtime_data.coordinator.next_refresh
    assert next_refresh is not None
    assert next_refresh > dt_util.utcnow()


@pytest.mark.usefixtures("recorder_mock")
@pytest.mark.parametrize("source", ["conso_api", "myelectricaldata"])
async def test_refused_secret_starts_reauth(
    hass: HomeAssistant, simulator: tuple[SandboxState, str], source: str
) -> None:
    _, root = simulator
    bad = (
        make_token("forged", [CONSUMER_PRM], datetime.now(UTC))
        if source == "conso_api"
        else "wrong"
    )
    entry = entry_for(source, root, bad)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert flows[0]["step_id"] == "reauth_enedis_gateway"


@pytest.mark.usefixtures("recorder_mock")
async def test_quota_answer_raises_a_repair_issue_and_stops_requests(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    state, root = simulator
    state.add_fault("myelectricaldata", Fault("429", 1))  # RATE_LIMIT_EXCEEDED, HTTP 200
    entry = entry_for("myelectricaldata", root)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"enedis_gateway_rate_limited_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders["gateway"] == "MyElectricalData"
    calls = state.stats["myelectricaldata"].calls
    assert calls == 1
    gateway = hass.data[DATA_GATEWAYS][Source.MYELECTRICALDATA]
    assert gateway.budget.blocked_until is not None


@pytest.mark.usefixtures("recorder_mock")
async def test_conso_api_ban_raises_its_own_issue(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    state, root = simulator
    state.config.conso_api_ban_threshold = 1  # another tool of the home made 99 requests
    entry = entry_for("conso_api", root)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"enedis_gateway_banned_{entry.entry_id}")
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    assert entry.state is ConfigEntryState.SETUP_RETRY
    before = state.stats["conso_api"].calls
    assert state.stats["conso_api"].by_status["403"] == 1
    # Set-up retries, but nothing more is sent to the gateway during the ban.
    for minutes in (10, 30, 90, 300):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=minutes))
        await hass.async_block_till_done(wait_background_tasks=True)
    assert state.stats["conso_api"].calls == before


def _saved_gateway(hass_storage: dict[str, Any], source: Source, budget: dict[str, Any]) -> None:
    hass_storage[f"{DOMAIN}.enedis_gateway.{source}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.enedis_gateway.{source}",
        "data": {"budget": budget, "minute": 42},
    }


async def test_saved_budget_from_a_clock_years_ahead(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A Pi without a real-time clock saved times 5 years ahead: blocked a day at most."""
    ahead = dt_util.utcnow().timestamp() + 5 * 365 * 86400
    _saved_gateway(
        hass_storage,
        Source.CONSO_API,
        {
            "requests": [[ahead, "refresh"]] * 59 + [[float("nan"), "refresh"]],
            "blocked_until": ahead,
            "block_reason": "banned",
        },
    )

    gateway = await async_gateway_state(hass, Source.CONSO_API)

    assert gateway.minute == 42
    assert gateway.budget.used() == 59
    assert 0 < gateway.budget.wait(Purpose.REFRESH) <= 86400


async def test_entries_set_up_together_share_one_load_of_the_budget(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A second entry or flow starting during the load waits for it: it sees the saved ban."""
    until = dt_util.utcnow().timestamp() + 3600
    _saved_gateway(
        hass_storage,
        Source.CONSO_API,
        {"requests": [[until - 7200, "refresh"]], "blocked_until": until, "block_reason": "banned"},
    )

    async def first_request() -> float | None:
        gateway = await async_gateway_state(hass, Source.CONSO_API)
        blocked = gateway.budget.blocked_until
        if blocked is None:  # the ban was not read yet: this request would be sent
            gateway.budget.acquire()
        return blocked

    # Reading the file yields to the event loop on a real disk; the test storage does not.
    mocked_load = Store._async_load

    async def disk_load(store: Store[Any]) -> Any:
        await asyncio.sleep(0)
        return await mocked_load(store)

    with patch.object(Store, "_async_load", disk_load):
        first, second = await asyncio.gather(first_request(), first_request())

    assert first == second == until
    gateway = hass.data[DATA_GATEWAYS][Source.CONSO_API]
    assert gateway.budget.used() == 1  # the saved request, none lost, none sent


def test_daily_slot_at_the_persisted_minute(hass: HomeAssistant) -> None:
    gateway = GatewayState(hass, Source.CONSO_API)
    gateway.minute = 154  # 08:34
    at = lambda *args: datetime(*args, tzinfo=PARIS)  # noqa: E731
    # Complete: tomorrow morning at 08:34.
    assert gateway.next_refresh(at(2026, 12, 4, 9, 0), complete=True) == at(2026, 12, 5, 8, 34)
    # Not published yet: this morning's slot, then the afternoon retry at 16:34, then tomorrow.
    assert gateway.next_refresh(at(2026, 12, 4, 5, 0), complete=False) == at(2026, 12, 4, 8, 34)
    assert gateway.next_refresh(at(2026, 12, 4, 8, 35), complete=False) == at(2026, 12, 4, 16, 34)
    assert gateway.next_refresh(at(2026, 12, 4, 17, 0), complete=False) == at(2026, 12, 5, 8, 34)
    # DST: the slot stays at 08:34 Paris wall time.
    assert gateway.next_refresh(at(2026, 3, 28, 9, 0), complete=True) == at(2026, 3, 29, 8, 34)


async def test_migration_names_the_source(hass: HomeAssistant) -> None:
    old = MockConfigEntry(
        domain=DOMAIN,
        unique_id="12345678901234",
        version=1,
        minor_version=1,
        data={"entry_type": "enedis", "prm": "12345678901234", "auth_implementation": "x"},
    )
    other = MockConfigEntry(
        domain=DOMAIN, unique_id="rte", version=1, minor_version=1, data={"entry_type": "rte"}
    )
    for entry in (old, other):
        entry.add_to_hass(hass)
    from custom_components.delestage import async_migrate_entry

    assert await async_migrate_entry(hass, old)
    assert old.data["source"] == "dataconnect"
    assert old.minor_version == 3
    assert await async_migrate_entry(hass, other)
    assert "source" not in other.data
    assert other.minor_version == 3


@pytest.mark.usefixtures("recorder_mock")
async def test_quota_answer_during_the_backfill(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    """The set-up refresh works; the back-fill's curve request gets the quota answer."""
    state, root = simulator
    state.add_fault("myelectricaldata", Fault("429", 1, path="/consumption/detail/"))
    entry = entry_for("myelectricaldata", root)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    assert not entry.runtime_data.backfill_progress.finished
    issue_id = f"enedis_gateway_rate_limited_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    calls = state.stats["myelectricaldata"].calls
    # Nothing is sent until the gateway's day is over; then the issue goes away.
    await entry.runtime_data.coordinator.async_refresh()
    assert state.stats["myelectricaldata"].calls == calls
    hass.data[DATA_GATEWAYS][Source.MYELECTRICALDATA].budget.blocked_until = None
    await entry.runtime_data.coordinator.async_refresh()
    assert state.stats["myelectricaldata"].calls > calls
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.usefixtures("recorder_mock")
async def test_transient_failure_waits_for_the_next_slot(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    state, root = simulator
    entry = entry_for("conso_api", root)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = entry.runtime_data.coordinator
    state.add_fault("conso_api", Fault("500", 1))
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    # Not within the hour as with Data Connect: the gateway is asked again at its next slot.
    now = dt_util.utcnow()
    slot = hass.data[DATA_GATEWAYS][Source.CONSO_API].next_refresh(now, complete=False)
    assert coordinator._retry() == pytest.approx(max((slot - now).total_seconds(), 3600), abs=2)


@pytest.mark.usefixtures("recorder_mock")
async def test_tariff_period_of_a_gateway_meter_comes_from_the_tariff(
    hass: HomeAssistant, simulator: tuple[SandboxState, str]
) -> None:
    """No meter off-peak hours behind a gateway: the tariff's, or Tempo's, with their source."""
    _, root = simulator
    entry = entry_for("myelectricaldata", root)
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    # What an older version left: two sensors that could never have a value here.
    for key in ("consent_end", "tariff_period_now"):
        registry.async_get_or_create("sensor", DOMAIN, f"{CONSUMER_PRM}_{key}", config_entry=entry)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    def period() -> State | None:
        entity_id = registry.async_get_entity_id(
            "sensor", DOMAIN, f"{CONSUMER_PRM}_tariff_period_now"
        )
        return None if entity_id is None else hass.states.get(entity_id)

    assert registry.async_get_entity_id("sensor", DOMAIN, f"{CONSUMER_PRM}_consent_end") is None
    assert period() is None  # base tariff: no off-peak hours at all

    async def choose(*steps: dict[str, Any]) -> None:
        result = await open_linky_options(hass, entry, "enedis_tariff")
        for answer in steps:
            result = await hass.config_entries.options.async_configure(result["flow_id"], answer)
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done(wait_background_tasks=True)

    def offpeak_now(ranges: list[tuple[int, int]]) -> str:
        now = dt_util.now(PARIS)
        minute = now.hour * 60 + now.minute
        inside = any(a <= minute < b if a < b else minute >= a or minute < b for a, b in ranges)
        return "hc" if inside else "hp"

    # Tempo: the form proposes Tempo's hours (the meter's are unknown); they are Tempo's.
    prices = {c: {"price_hp": 0.2, "price_hc": 0.1} for c in ("blue", "white", "red")}
    await choose({"tariff": "tempo"}, {"offpeak_hours": "22:00-06:00"}, prices)
    state = period()
    assert state is not None
    assert state.state == offpeak_now([(22 * 60, 6 * 60)])
    assert state.attributes["source"] == "tempo"
    assert state.attributes["offpeak_hours"] == ["22:00-06:00"]

    # HP/HC with the contract's hours typed in the options.
    await choose(
        {"tariff": "hp_hc"}, {"offpeak_hours": "1h30-7h30"}, {"price_hp": 0.2, "price_hc": 0.1}
    )
    state = period()
    assert state is not None
    assert state.state == offpeak_now([(90, 450)])
    assert state.attributes["source"] == "tariff"
    assert state.attributes["offpeak_hours"] == ["01:30-07:30"]

    # Back to base: no period any more (rather than a sensor unavailable for ever).
    await choose({"tariff": "base"}, {"price_base": 0.2})
    assert period() is None
