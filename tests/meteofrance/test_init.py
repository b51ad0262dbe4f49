"""Set-up of a station entry, its polling schedule, its sensors and what happens on errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_fire_time_changed_exact,
)

from custom_components.delestage.const import DOMAIN

from .conftest import FIXTURE_NOW, station_entry
from .fake_dpobs import APPLICATION_ID, FakeDpobs, invalid_jwt, throttled, xml_fault

pytestmark = pytest.mark.freeze_time(FIXTURE_NOW)


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def sensor_state(hass: HomeAssistant, key: str, station: str = "75114001") -> State:
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{station}_{key}")
    assert entity_id is not None, key
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


async def advance_to(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: str) -> None:
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_sensors_show_the_observation_in_home_assistant_units(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert float(sensor_state(hass, "temperature").state) == pytest.approx(8.3)
    assert sensor_state(hass, "temperature").attributes["unit_of_measurement"] == "°C"
    assert float(sensor_state(hass, "dew_point").state) == pytest.approx(4.0)
    assert sensor_state(hass, "humidity").state == "74.0"
    assert float(sensor_state(hass, "pressure").state) == pytest.approx(1012.5)
    assert sensor_state(hass, "pressure").attributes["unit_of_measurement"] == "hPa"
    wind = sensor_state(hass, "wind_speed")
    assert wind.attributes["unit_of_measurement"] == "km/h"
    assert float(wind.state) == pytest.approx(3.6 * 3.6, abs=0.01)
    assert float(sensor_state(hass, "wind_gust").state) == pytest.approx(7.9 * 3.6, abs=0.01)
    assert float(sensor_state(hass, "wind_bearing").state) == 230
    rain = sensor_state(hass, "precipitation")
    assert float(rain.state) == pytest.approx(0.2)
    assert rain.attributes["state_class"] == "total"
    assert rain.attributes["last_reset"] == "2026-11-23T14:00:00+00:00"
    assert float(sensor_state(hass, "cloud_coverage").state) == 75
    assert sensor_state(hass, "observation_time").state == "2026-11-23T15:00:00+00:00"
    # Rarely useful sensors exist but are disabled.
    registry = er.async_get(hass)
    for key in ("station_pressure", "visibility", "snow_depth", "solar_radiation"):
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"75114001_{key}")
        assert entity_id is not None
        entity = registry.async_get(entity_id)
        assert entity is not None
        assert entity.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        assert hass.states.get(entity_id) is None
    assert len(fake_dpobs.data_requests) == 1


@pytest.mark.parametrize(
    ("language", "model"), [("en", "Observation station"), ("fr", "Station d'observation")]
)
async def test_device_model_in_the_server_language(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, language: str, model: str
) -> None:
    hass.config.language = language
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)

    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert device.model == model


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_null_fields_make_only_their_sensor_unknown(
    hass: HomeAssistant, dpobs_url: str
) -> None:
    await setup_entry(hass, station_entry(dpobs_url, "01014002", "Arbent"))

    for key in ("pressure", "station_pressure", "visibility", "cloud_coverage", "solar_radiation"):
        assert sensor_state(hass, key, "01014002").state == STATE_UNKNOWN, key
    assert float(sensor_state(hass, "temperature", "01014002").state) == 0.0
    assert float(sensor_state(hass, "snow_depth", "01014002").state) == pytest.approx(12.0)
    assert float(sensor_state(hass, "precipitation", "01014002").state) == 0.0


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_six_minute_resolution(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-11-23T15:25:40+00:00")
    await setup_entry(hass, station_entry(dpobs_url, "01014002", "Arbent", "six_minutes"))

    assert fake_dpobs.data_requests[-1][0].endswith("/station/infrahoraire-6m")
    rain = sensor_state(hass, "precipitation", "01014002")
    assert float(rain.state) == pytest.approx(0.2)
    assert rain.attributes["last_reset"] == "2026-11-23T15:12:00+00:00"
    assert float(sensor_state(hass, "solar_radiation", "01014002").state) == 100
    # Next slot: 15:24 observation published ~15:30, polled at 15:31:30.
    await advance_to(hass, freezer, "2026-11-23T15:31:00+00:00")
    assert len(fake_dpobs.data_requests) == 1
    await advance_to(hass, freezer, "2026-11-23T15:31:31+00:00")
    assert len(fake_dpobs.data_requests) == 2


async def test_polls_after_each_hourly_publication(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, station_entry(dpobs_url))

    await advance_to(hass, freezer, "2026-11-23T16:10:30+00:00")
    assert len(fake_dpobs.data_requests) == 1  # nothing between publications

    fake_dpobs.set_hourly("75114001", validity_time="2026-11-23T16:00:00Z", t=283.15)
    await advance_to(hass, freezer, "2026-11-23T16:11:01+00:00")

    assert len(fake_dpobs.data_requests) == 2
    assert float(sensor_state(hass, "temperature").state) == pytest.approx(10.0)
    assert sensor_state(hass, "observation_time").state == "2026-11-23T16:00:00+00:00"


async def fire_refresh_timer_at(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: str
) -> None:
    """Fire the pending timers while the wall clock reads ``when`` (a timer early or late)."""
    freezer.move_to(when)
    async_fire_time_changed_exact(hass, fire_all=True)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize(
    "fired_at",
    [
        "2026-11-23T16:10:59.080000+00:00",  # issue 13: 8 polls before 16:11:00
        "2026-11-23T16:10:59.990000+00:00",
        "2026-11-23T16:09:30+00:00",
        "2026-11-23T16:11:00.300000+00:00",
        "2026-11-23T16:11:04+00:00",  # late
    ],
)
async def test_one_poll_per_planned_time_whatever_the_timer_jitter(
    hass: HomeAssistant,
    dpobs_url: str,
    fake_dpobs: FakeDpobs,
    freezer: FrozenDateTimeFactory,
    fired_at: str,
) -> None:
    """The refresh timer firing a little early (or late) makes one poll, not a burst."""
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]
    fake_dpobs.set_hourly("75114001", validity_time="2026-11-23T16:00:00Z", t=283.15)

    await fire_refresh_timer_at(hass, freezer, fired_at)
    assert len(fake_dpobs.data_requests) == 2
    assert float(sensor_state(hass, "temperature").state) == pytest.approx(10.0)
    # The next poll is the next hour's, counted from the planned 16:11:00.
    assert dt_util.utcnow() + coordinator.update_interval == datetime(
        2026, 11, 23, 17, 11, tzinfo=UTC
    )

    for second in range(1, 5):
        await advance_to(hass, freezer, f"2026-11-23T16:11:0{second}+00:00")
    await advance_to(hass, freezer, "2026-11-23T17:10:58+00:00")
    assert len(fake_dpobs.data_requests) == 2
    await advance_to(hass, freezer, "2026-11-23T17:11:01+00:00")
    assert len(fake_dpobs.data_requests) == 3


async def test_early_timer_during_a_late_publication_waits_for_the_next_retry(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    """Each planned look for a late observation is one poll, even when the timer is early."""
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]

    await fire_refresh_timer_at(hass, freezer, "2026-11-23T16:10:59.500000+00:00")
    assert len(fake_dpobs.data_requests) == 2  # 16:00 not out yet
    assert dt_util.utcnow() + coordinator.update_interval == datetime(
        2026, 11, 23, 16, 16, tzinfo=UTC
    )
    await fire_refresh_timer_at(hass, freezer, "2026-11-23T16:15:59.500000+00:00")
    assert len(fake_dpobs.data_requests) == 3
    assert dt_util.utcnow() + coordinator.update_interval == datetime(
        2026, 11, 23, 16, 21, tzinfo=UTC
    )


async def test_manual_refresh_long_before_the_planned_time_keeps_that_poll(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]

    freezer.move_to("2026-11-23T15:40:00+00:00")
    await coordinator.async_refresh()
    assert len(fake_dpobs.data_requests) == 2
    assert dt_util.utcnow() + coordinator.update_interval == datetime(
        2026, 11, 23, 16, 11, tzinfo=UTC
    )


async def test_late_publication_is_looked_for_again(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, station_entry(dpobs_url))

    await advance_to(hass, freezer, "2026-11-23T16:11:01+00:00")  # still the 15:00 observation
    assert len(fake_dpobs.data_requests) == 2
    fake_dpobs.set_hourly("75114001", validity_time="2026-11-23T16:00:00Z", t=283.15)
    await advance_to(hass, freezer, "2026-11-23T16:16:02+00:00")

    assert len(fake_dpobs.data_requests) == 3
    assert float(sensor_state(hass, "temperature").state) == pytest.approx(10.0)


async def test_transient_error_keeps_last_data_then_stale_then_back(
    hass: HomeAssistant,
    dpobs_url: str,
    fake_dpobs: FakeDpobs,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_entry(hass, station_entry(dpobs_url))
    fake_dpobs.faults.extend([lambda: web.Response(status=503)] * 40)

    await advance_to(hass, freezer, "2026-11-23T16:11:01+00:00")
    assert len(fake_dpobs.data_requests) == 2
    assert float(sensor_state(hass, "temperature").state) == pytest.approx(8.3)  # kept
    await advance_to(hass, freezer, "2026-11-23T16:16:02+00:00")  # retried 5 min later
    assert len(fake_dpobs.data_requests) == 3
    assert caplog.text.count("Error fetching Météo-France station 75114001 data") == 1

    # Three hours after its validity time the 15:00 observation is stale.
    await advance_to(hass, freezer, "2026-11-23T17:59:00+00:00")
    assert sensor_state(hass, "temperature").state != STATE_UNAVAILABLE
    await advance_to(hass, freezer, "2026-11-23T18:00:01+00:00")
    assert sensor_state(hass, "temperature").state == STATE_UNAVAILABLE
    assert sensor_state(hass, "wind_speed").state == STATE_UNAVAILABLE
    # The observation time stays, to tell how old the last data is.
    assert sensor_state(hass, "observation_time").state == "2026-11-23T15:00:00+00:00"

    fake_dpobs.faults.clear()
    fake_dpobs.set_hourly("75114001", validity_time="2026-11-23T18:00:00Z", t=280.15)
    await advance_to(hass, freezer, "2026-11-23T18:11:02+00:00")
    assert float(sensor_state(hass, "temperature").state) == pytest.approx(7.0)
    assert "Fetching Météo-France station 75114001 data recovered" in caplog.text
    assert "Météo-France station 75114001 reports again" in caplog.text


async def test_rate_limit_honours_next_access_time(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, station_entry(dpobs_url))
    fake_dpobs.faults.append(lambda: throttled("2026-Nov-23 16:14:00+0000 UTC"))

    await advance_to(hass, freezer, "2026-11-23T16:11:01+00:00")
    assert len(fake_dpobs.data_requests) == 2
    await advance_to(hass, freezer, "2026-11-23T16:13:50+00:00")
    assert len(fake_dpobs.data_requests) == 2
    await advance_to(hass, freezer, "2026-11-23T16:14:01+00:00")
    assert len(fake_dpobs.data_requests) == 3


async def test_rate_limit_without_time_waits_a_minute(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator  # type: ignore[attr-defined]

    with pytest.MonkeyPatch.context() as patch:
        # A 429 with no time at all (not even the minute rule of the client).
        from custom_components.delestage.api.errors import ApiRateLimitedError

        async def throttled_call(*_: Any) -> None:
            raise ApiRateLimitedError("throttled", None)

        patch.setattr(coordinator.client, "async_get_observation", throttled_call)
        await advance_to(hass, freezer, "2026-11-23T16:11:01+00:00")
    assert coordinator.last_update_success is False
    assert coordinator._retry_after is None  # consumed when the retry was scheduled
    await advance_to(hass, freezer, "2026-11-23T16:11:58+00:00")
    assert len(fake_dpobs.data_requests) == 1
    await advance_to(hass, freezer, "2026-11-23T16:12:02+00:00")
    assert len(fake_dpobs.data_requests) == 2
    assert coordinator.last_update_success is True


async def test_revoked_key_starts_reauth(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)
    fake_dpobs.faults.append(invalid_jwt)

    await advance_to(hass, freezer, "2026-11-23T16:11:01+00:00")

    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == entry.entry_id


async def test_not_subscribed_at_setup_is_an_auth_failure(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    fake_dpobs.faults.append(lambda: web.json_response({"message": "Forbidden"}, status=403))
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "DonneesPubliquesObservation" in entry.reason
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress()
    )


async def test_invalid_application_id_is_an_auth_failure(
    hass: HomeAssistant, dpobs_url: str
) -> None:
    entry = station_entry(dpobs_url, auth_method="application_id", application_id="%%%")
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress()
    )


async def test_application_id_entry(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    entry = station_entry(dpobs_url, auth_method="application_id", application_id=APPLICATION_ID)
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert fake_dpobs.token_requests == 1
    assert fake_dpobs.data_requests[-1][1]["Authorization"].startswith("Bearer ")


async def test_unknown_station_at_setup_retries(hass: HomeAssistant, dpobs_url: str) -> None:
    entry = station_entry(dpobs_url, "99999999", "Nowhere")
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_silent_station_keeps_last_observation(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)
    fake_dpobs.faults.append(lambda: web.json_response([]))

    await advance_to(hass, freezer, "2026-11-23T16:11:01+00:00")

    assert entry.runtime_data.coordinator.last_update_success  # type: ignore[attr-defined]
    assert float(sensor_state(hass, "temperature").state) == pytest.approx(8.3)


async def test_rejected_station_raises_a_repair_issue(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)
    fake_dpobs.faults.append(lambda: xml_fault(400, "Identifiant station sémantiquement incorrect"))
    issue_id = f"meteofrance_station_rejected_{entry.entry_id}"

    await advance_to(hass, freezer, "2026-11-23T16:11:01+00:00")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"station_id": "75114001", "title": "Paris-Montsouris"}

    fake_dpobs.set_hourly("75114001", validity_time="2026-11-23T17:00:00Z")
    await advance_to(hass, freezer, "2026-11-23T17:11:01+00:00")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_observation_never_goes_back_in_time(
    hass: HomeAssistant, dpobs_url: str, fake_dpobs: FakeDpobs, freezer: FrozenDateTimeFactory
) -> None:
    await setup_entry(hass, station_entry(dpobs_url))
    fake_dpobs.set_hourly("75114001", validity_time="2026-11-23T14:00:00Z", t=200.0)

    await advance_to(hass, freezer, "2026-11-23T16:11:01+00:00")

    assert float(sensor_state(hass, "temperature").state) == pytest.approx(8.3)


async def test_unload(hass: HomeAssistant, dpobs_url: str) -> None:
    entry = station_entry(dpobs_url)
    await setup_entry(hass, entry)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.NOT_LOADED
    assert sensor_state(hass, "temperature").state == STATE_UNAVAILABLE


async def test_official_servers_by_default(hass: HomeAssistant, aioclient_mock: Any) -> None:
    body = __import__("pathlib").Path(__file__).parent / "fixtures" / "horaire_75114001.json"
    aioclient_mock.get(
        "https://public-api.meteofrance.fr/public/DPObs/v1/station/horaire",
        text=body.read_text(),
    )
    entry = station_entry(None)
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert aioclient_mock.call_count == 1
    assert float(sensor_state(hass, "temperature").state) == pytest.approx(8.3)


async def test_entries_with_the_same_key_share_one_call_limiter(
    hass: HomeAssistant, dpobs_url: str
) -> None:
    first = station_entry(dpobs_url)
    second = station_entry(dpobs_url, "01014002", "Arbent")
    await setup_entry(hass, first)
    await setup_entry(hass, second)

    first_client = first.runtime_data.coordinator.client  # type: ignore[attr-defined]
    second_client = second.runtime_data.coordinator.client  # type: ignore[attr-defined]
    assert first_client._limiter is second_client._limiter
