"""A restart reuses the persisted observation and token: no call until the next publication."""

from __future__ import annotations

from pathlib import Path
import stat
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.delestage.api.auth import AccessToken
from custom_components.delestage.api.meteofrance import Observation, Resolution
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.meteofrance.store import StationStore

from .conftest import FIXTURE_NOW, station_entry
from .fake_dpobs import APPLICATION_ID, FakeDpobs, fixture_json

pytestmark = pytest.mark.freeze_time(FIXTURE_NOW)


def storage_key(entry: MockConfigEntry) -> str:
    return f"{DOMAIN}.meteofrance_{entry.entry_id}"


def stored(observation: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "minor_version": 1,
        "key": "x",
        "data": {"observation": observation, **extra},
    }


def cached_observation(
    validity_time: str = "2026-11-23T15:00:00Z", **changes: Any
) -> dict[str, Any]:
    record = {**fixture_json("horaire_75114001.json")[0], "validity_time": validity_time, **changes}
    return Observation.from_api(record, Resolution.HOURLY).as_dict()


async def flush_store(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(10)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_reload_makes_no_call_while_the_observation_is_current(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    dpobs_url: str,
    fake_dpobs: FakeDpobs,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = station_entry(dpobs_url)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await flush_store(hass, freezer)
    saved = hass_storage[storage_key(entry)]["data"]["observation"]
    assert saved["station_id"] == "75114001"
    assert saved["temperature"] == pytest.approx(8.3)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert len(fake_dpobs.data_requests) == 1  # only the first set-up's call
    state = hass.states.get("sensor.paris_montsouris_temperature")
    assert state is not None
    assert float(state.state) == pytest.approx(8.3)
    # The next poll is still the next publication.
    freezer.move_to("2026-11-23T16:11:01+00:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(fake_dpobs.data_requests) == 2


@pytest.mark.parametrize(
    "observation",
    [
        pytest.param(cached_observation("2026-11-23T14:00:00Z", t=200.0), id="older"),
        pytest.param({**cached_observation(), "station_id": "01014002"}, id="other-station"),
        pytest.param({**cached_observation(), "resolution": "six_minutes"}, id="other-resolution"),
        pytest.param({**cached_observation(), "validity_time": "soon"}, id="bad-time"),
        pytest.param({**cached_observation(), "resolution": "daily"}, id="bad-resolution"),
        pytest.param({"temperature": 1}, id="incomplete"),
        pytest.param("junk", id="junk"),
    ],
)
async def test_unusable_cache_means_a_call(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    dpobs_url: str,
    fake_dpobs: FakeDpobs,
    observation: Any,
) -> None:
    entry = station_entry(dpobs_url)
    hass_storage[storage_key(entry)] = stored(observation)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert len(fake_dpobs.data_requests) == 1
    state = hass.states.get("sensor.paris_montsouris_temperature")
    assert state is not None
    assert float(state.state) == pytest.approx(8.3)


async def test_restored_observation_keeps_nulls(
    hass: HomeAssistant, hass_storage: dict[str, Any], dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    entry = station_entry(dpobs_url)
    hass_storage[storage_key(entry)] = stored(cached_observation(pmer=None))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert fake_dpobs.data_requests == []
    state = hass.states.get("sensor.paris_montsouris_sea_level_pressure")
    assert state is not None
    assert state.state == "unknown"


async def test_token_reused_after_restart_for_the_same_application(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    dpobs_url: str,
    fake_dpobs: FakeDpobs,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = station_entry(dpobs_url, auth_method="application_id", application_id=APPLICATION_ID)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await flush_store(hass, freezer)
    saved = hass_storage[storage_key(entry)]["data"]
    assert saved["token"]["access_token"] in fake_dpobs.valid_tokens
    assert fake_dpobs.token_requests == 1

    # Restart half an hour later without the observation: one data call, same token.
    await hass.config_entries.async_unload(entry.entry_id)
    freezer.move_to("2026-11-23T15:40:00+00:00")
    hass_storage[storage_key(entry)]["data"]["observation"] = None
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert fake_dpobs.token_requests == 1
    assert len(fake_dpobs.data_requests) == 2


async def test_token_of_other_credentials_not_reused(
    hass: HomeAssistant, hass_storage: dict[str, Any], dpobs_url: str, fake_dpobs: FakeDpobs
) -> None:
    entry = station_entry(dpobs_url, auth_method="application_id", application_id=APPLICATION_ID)
    far_future = 4102444800.0  # 2100-01-01
    fake_dpobs.valid_tokens.add("old-token")
    hass_storage[storage_key(entry)] = stored(
        None, token={"access_token": "old-token", "expires_at": far_future}, token_owner="other"
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert fake_dpobs.token_requests == 1
    assert fake_dpobs.data_requests[-1][1]["Authorization"] != "Bearer old-token"


async def test_the_token_file_is_private(
    hass: HomeAssistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache holds a bearer token: written readable by its owner only, like RTE's."""
    monkeypatch.setattr(hass.config, "config_dir", str(tmp_path))
    store = StationStore(hass, "entry1")
    store.save_token(AccessToken("eyJ0b2tlbi1", 1e10), "digest")

    # What the delayed save writes, through Home Assistant's own file writer.
    await hass.async_add_executor_job(
        store._store._write_data,
        {"version": 1, "minor_version": 1, "key": "k", "data_func": store._data},
    )

    path = tmp_path / ".storage" / f"{DOMAIN}.meteofrance_entry1"
    assert "eyJ0b2tlbi1" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
