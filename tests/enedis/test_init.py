"""Set-up of a Linky entry: sensors, statistics, back-fill, token reuse, diagnostics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from typing import Any

from aiohttp import web
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.delestage.const import DOMAIN

from .conftest import make_entry, paris_today, yesterday
from .fake_enedis import PARIS, PRM, FakeEnedis

pytestmark = pytest.mark.usefixtures("credentials")
STAT = f"delestage:linky_{PRM}_consumption"


def entity_id(hass: HomeAssistant, key: str) -> str:
    """The entity id of a Linky sensor, found by its unique id."""
    found = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{PRM}_{key}")
    assert found is not None, key
    return found


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up ``entry``; wait for the back-fill too."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def hourly_sums(hass: HomeAssistant, stat: str = STAT) -> list[dict[str, Any]]:
    """Every hourly row of ``stat``."""
    await async_wait_recording_done(hass)
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2020, 1, 1, tzinfo=UTC),
        None,
        {stat},
        "hour",
        None,
        {"state", "sum"},
    )
    return list(rows.get(stat, []))


@pytest.fixture
def recent_meter(gateway: FakeEnedis) -> FakeEnedis:
    """A meter activated 20 days ago: the back-fill is short."""
    gateway.activation = paris_today() - timedelta(days=20)
    return gateway


@pytest.mark.usefixtures("recorder_mock")
async def test_setup_sensors_statistics_and_backfill(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    entry = make_entry(api_url)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED

    day = yesterday()
    state = hass.states.get(entity_id(hass, "consumption_yesterday"))
    assert float(state.state) == pytest.approx(recent_meter.daily_wh(day) / 1000, abs=1e-3)
    assert state.attributes["unit_of_measurement"] == "kWh"
    assert state.attributes["date"] == day.isoformat()
    assert "state_class" not in state.attributes  # no competing statistics series

    state = hass.states.get(entity_id(hass, "max_power_yesterday"))
    assert state.state == "4680.0"
    assert state.attributes["unit_of_measurement"] == "VA"
    expected_time = datetime(day.year, day.month, day.day, 19, 3, 35, tzinfo=PARIS)
    assert datetime.fromisoformat(state.attributes["time"]) == expected_time

    assert hass.states.get(entity_id(hass, "subscribed_power")).state == "12.0"
    consent = hass.states.get(entity_id(hass, "consent_end"))
    assert datetime.fromisoformat(consent.state) == datetime(2029, 11, 20, tzinfo=PARIS)
    assert er.async_get(hass).async_get(entity_id(hass, "consent_end")).entity_category == (
        "diagnostic"
    )
    assert (
        er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{PRM}_production_yesterday")
        is None
    )

    progress = hass.states.get(entity_id(hass, "backfill_progress"))
    assert progress.state == "100"
    assert progress.attributes["finished"] is True

    # Every day since activation is in the statistics, once, with a continuous sum.
    rows = await hourly_sums(hass)
    expected_kwh = (
        sum(
            recent_meter.daily_wh(recent_meter.activation + timedelta(days=i))
            for i in range((paris_today() - recent_meter.activation).days)
        )
        / 1000
    )
    assert rows[-1]["sum"] == pytest.approx(expected_kwh, rel=1e-6)
    starts = [row["start"] for row in rows]
    assert starts == sorted(set(starts))

    # The token is kept for the next start.
    assert entry.data["token"]["access_token"] in recent_meter.tokens


@pytest.mark.usefixtures("recorder_mock")
async def test_restart_reuses_token_backfill_and_data(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(api_url)
    await setup_entry(hass, entry)
    token_calls, data_calls = recent_meter.token_calls, recent_meter.data_calls
    rows_before = await hourly_sums(hass)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert recent_meter.token_calls == token_calls  # the saved token is still valid
    # The saved data are fresh (next refresh tomorrow morning): no call, no second back-fill.
    assert recent_meter.data_calls == data_calls
    state = hass.states.get(entity_id(hass, "consumption_yesterday"))
    assert float(state.state) == pytest.approx(recent_meter.daily_wh(yesterday()) / 1000, abs=1e-3)
    assert state.attributes["date"] == yesterday().isoformat()
    assert float(hass.states.get(entity_id(hass, "subscribed_power")).state) == 12
    assert hass.states.get(entity_id(hass, "max_power_yesterday")).attributes["time"]
    rows_after = await hourly_sums(hass)
    assert rows_after[-1]["sum"] == pytest.approx(rows_before[-1]["sum"])

    # Saved data whose next refresh has passed: the reload refreshes (daily, curve, max power).
    coordinator = entry.runtime_data.coordinator
    saved = hass_storage[f"delestage.enedis_linky.{entry.entry_id}"]["data"]
    saved["next_refresh"] = (dt_util.utcnow() - timedelta(minutes=1)).isoformat()
    assert coordinator.next_refresh is not None
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert recent_meter.data_calls - data_calls == 3
    # Unreadable saved data: refresh too.
    hass_storage[f"delestage.enedis_linky.{entry.entry_id}"]["data"]["data"] = {}
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert recent_meter.data_calls - data_calls == 3 + 3


@pytest.mark.usefixtures("recorder_mock")
async def test_backfill_resumes_after_a_restart(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    entry = make_entry(api_url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)

    def hit_the_quota() -> None:  # after the first step, Enedis' hourly quota is spent
        if not recent_meter.injected:
            recent_meter.injected.append(
                web.json_response(
                    {"code": "429", "message": "SLA dépassé"},
                    status=429,
                    headers={"Retry-After": "600"},
                )
            )

    stop = entry.runtime_data.async_listen_progress(hit_the_quota)
    await hass.async_block_till_done(wait_background_tasks=True)
    stop()

    progress = hass.states.get(entity_id(hass, "backfill_progress"))
    assert 0 < int(progress.state) < 100
    assert progress.attributes["done"] > 0
    daily_calls = recent_meter.calls_by_resource["consommation_quotidienne"]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # The daily part was done before the restart: only the two refreshes read daily values.
    assert recent_meter.calls_by_resource["consommation_quotidienne"] - daily_calls <= 2

    progress = hass.states.get(entity_id(hass, "backfill_progress"))
    assert progress.state == "100"
    rows = await hourly_sums(hass)
    expected_kwh = (
        sum(
            recent_meter.daily_wh(recent_meter.activation + timedelta(days=i))
            for i in range((paris_today() - recent_meter.activation).days)
        )
        / 1000
    )
    assert rows[-1]["sum"] == pytest.approx(expected_kwh, rel=1e-6)


@pytest.mark.usefixtures("recorder_mock")
async def test_production_meter_has_production_sensor_and_series(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    recent_meter.producer = True
    entry = make_entry(api_url, production=True)
    await setup_entry(hass, entry)

    state = hass.states.get(entity_id(hass, "production_yesterday"))
    assert float(state.state) == pytest.approx(recent_meter.daily_wh(yesterday(), True) / 1000)
    rows = await hourly_sums(hass, f"delestage:linky_{PRM}_production")
    assert rows[-1]["sum"] == pytest.approx(24.0 * 20, rel=1e-6)  # 1 kW all day, 20 days


async def test_recorder_is_required(hass: HomeAssistant, api_url: str) -> None:
    entry = make_entry(api_url)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "recorder" in str(entry.reason)


@pytest.mark.usefixtures("recorder_mock")
async def test_first_refresh_failure_retries_setup(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    recent_meter.injected.append(
        web.json_response({"code": "technical_error", "message": "Erreur technique"}, status=500)
    )
    entry = make_entry(api_url)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.usefixtures("recorder_mock")
async def test_unload(hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis) -> None:
    entry = make_entry(api_url)
    await setup_entry(hass, entry)
    sensor = entity_id(hass, "consumption_yesterday")

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(sensor).state == STATE_UNAVAILABLE


@pytest.mark.usefixtures("recorder_mock")
async def test_diagnostics_redact_the_meter_and_token(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    api_url: str,
    recent_meter: FakeEnedis,
) -> None:
    entry = make_entry(api_url)
    await setup_entry(hass, entry)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    assert PRM not in text
    assert entry.data["token"]["access_token"] not in text
    assert diagnostics["entry"]["data"]["prm"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["consent_end"] == "2029-11-20"
    runtime = diagnostics["runtime"]
    assert runtime["backfill"]["finished"] is True
    assert runtime["newest_consumption_day"] == yesterday().isoformat()
    assert runtime["custom_api_base_url"] is True
    assert runtime["last_update_success"] is True


@pytest.mark.usefixtures("recorder_mock")
async def test_logs_never_show_the_meter(
    hass: HomeAssistant,
    api_url: str,
    recent_meter: FakeEnedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG", logger="custom_components.delestage")
    recent_meter.per_hour = 6
    await setup_entry(hass, make_entry(api_url))
    delestage_logs = [r for r in caplog.records if r.name.startswith("custom_components")]
    assert delestage_logs
    assert not [r for r in delestage_logs if PRM in r.getMessage()]


def _no_data(gateway: FakeEnedis) -> None:
    """The first refresh's two data calls find nothing yet (not an error)."""
    for _ in range(2):
        gateway.injected.append(
            web.json_response({"code": "no_data_found", "message": "Aucune donnée"}, status=404)
        )


@pytest.mark.usefixtures("recorder_mock")
@pytest.mark.parametrize(
    ("status", "code", "issue"),
    [
        (403, "ADAM-DC-0007", "enedis_meter_moved"),
        (403, "900908", "enedis_api_not_subscribed"),
        (403, "ADAM-DC-0008", None),
    ],
)
async def test_backfill_errors_that_need_the_user(
    hass: HomeAssistant,
    api_url: str,
    recent_meter: FakeEnedis,
    status: int,
    code: str,
    issue: str | None,
) -> None:
    _no_data(recent_meter)
    recent_meter.injected.append(web.json_response({"code": code, "message": "x"}, status=status))
    entry = make_entry(api_url)
    await setup_entry(hass, entry)

    assert hass.states.get(entity_id(hass, "backfill_progress")).state == "0"
    if issue is None:  # no consent: reauth
        flows = hass.config_entries.flow.async_progress()
        assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    else:
        assert ir.async_get(hass).async_get_issue(DOMAIN, f"{issue}_{entry.entry_id}")


@pytest.mark.usefixtures("recorder_mock")
async def test_backfill_pauses_on_technical_errors_and_resumes(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    _no_data(recent_meter)
    recent_meter.injected.append(
        web.json_response({"code": "technical_error", "message": "x"}, status=500)
    )
    entry = make_entry(api_url)
    await setup_entry(hass, entry)
    assert hass.states.get(entity_id(hass, "backfill_progress")).state == "0"

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=31))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(entity_id(hass, "backfill_progress")).state == "100"
    # Once the back-fill is done, the refresh imports and shows yesterday.
    state = hass.states.get(entity_id(hass, "consumption_yesterday"))
    assert state.attributes["date"] == yesterday().isoformat()


@pytest.mark.usefixtures("recorder_mock")
async def test_backfill_without_load_curve_raises_the_issue(
    hass: HomeAssistant, api_url: str, recent_meter: FakeEnedis
) -> None:
    recent_meter.curve_enabled = False
    entry = make_entry(api_url)
    await setup_entry(hass, entry)

    assert hass.states.get(entity_id(hass, "backfill_progress")).state == "100"
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"enedis_curve_not_activated_{entry.entry_id}"
    )
    rows = await hourly_sums(hass)  # daily values, spread over the hours
    expected_kwh = (
        sum(
            recent_meter.daily_wh(recent_meter.activation + timedelta(days=i))
            for i in range((paris_today() - recent_meter.activation).days)
        )
        / 1000
    )
    assert rows[-1]["sum"] == pytest.approx(expected_kwh, rel=1e-6)


@pytest.mark.usefixtures("recorder_mock")
async def test_entry_of_another_implementation_is_an_error(
    hass: HomeAssistant, api_url: str
) -> None:
    from homeassistant.helpers.config_entry_oauth2_flow import (
        LocalOAuth2Implementation,
        async_register_implementation,
    )

    async_register_implementation(
        hass,
        DOMAIN,
        LocalOAuth2Implementation(hass, "other", "id", "secret", "https://a", "https://b"),
    )
    entry = make_entry(api_url, auth_implementation="other")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR


@pytest.mark.usefixtures("recorder_mock")
async def test_backfill_survives_any_exception_with_backoff(
    hass: HomeAssistant,
    api_url: str,
    recent_meter: FakeEnedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A parser blow-up (recursion) pauses the step, logged once, retried with back-off."""
    failures = [2]
    deep = b"[" * 200_000 + b"]" * 200_000  # json.loads: RecursionError, not an ApiError

    def blow_up(resource: str, _query: dict[str, str]) -> web.Response | None:
        if resource.startswith("courbe") and failures[0]:
            failures[0] -= 1
            return web.Response(body=deep, content_type="application/json")
        return None

    recent_meter.hook = blow_up  # the first refresh asks no curve: only the back-fill does
    entry = make_entry(api_url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    runtime = entry.runtime_data
    assert not runtime.backfill_progress.finished
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "back-fill" in r.message]
    assert len(errors) == 1

    # Second failure after 30 min; the next try waits 60 min (back-off), and is not logged.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=31))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert failures == [0]
    assert not runtime.backfill_progress.finished
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=45))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert not runtime.backfill_progress.finished
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=61))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert runtime.backfill_progress.finished
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "back-fill" in r.message]
    assert len(errors) == 1
    assert await hourly_sums(hass)
