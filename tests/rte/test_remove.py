"""Removing an RTE entry deletes its cache, but never RTE's quota while it still binds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from .conftest import CLIENT_ID, CLIENT_SECRET, STORE_KEY, seed_store
from .fake_rte import FakeRte, load_json
from .test_config_flow import NOW, _form, _frozen, _start

__all__ = ["_frozen"]  # the frozen clock of the flow tests


async def test_removing_the_entry_deletes_its_cache(
    hass: HomeAssistant, hass_storage: dict[str, Any], rte_entry: MockConfigEntry
) -> None:
    seed_store(
        hass_storage,
        signals=load_json("sandbox_signals.json"),
        fetched_at=datetime.fromisoformat("2022-06-03T07:00:00+02:00"),
    )
    rte_entry.add_to_hass(hass)

    await hass.config_entries.async_remove(rte_entry.entry_id)
    await hass.async_block_till_done()

    assert STORE_KEY not in hass_storage


async def _add(hass: HomeAssistant) -> Any:
    result = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    return result["result"]


async def _add_then_remove(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Add the app (one signals call at NOW), remove its entry 5 minutes later."""
    entry = await _add(hass)
    freezer.move_to(NOW + timedelta(minutes=5))
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()


async def test_removed_and_added_again_within_the_quota_makes_no_call(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    hass_storage: dict[str, Any],
) -> None:
    """The user removes the app and adds it back 10 minutes later: no 429, same forecast."""
    await _add_then_remove(hass, freezer)
    assert fake_rte.calls["signals"] == 1
    # What guards the quota stays a while; the token (a secret) does not.
    assert hass_storage[STORE_KEY]["data"]["token"] is None

    freezer.move_to(NOW + timedelta(minutes=10))
    entry = await _add(hass)

    assert entry.state is ConfigEntryState.LOADED
    assert fake_rte.calls["signals"] == 1
    assert fake_rte.rate_limited == 0
    assert hass.states.get("sensor.rte_ecowatt_level_now").state == "red"  # type: ignore[union-attr]

    # Its next call waits for the end of RTE's 15 minutes, then goes through.
    freezer.move_to(NOW + timedelta(minutes=14))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert fake_rte.calls["signals"] == 1
    freezer.move_to(NOW + timedelta(hours=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert fake_rte.calls["signals"] == 2
    assert fake_rte.rate_limited == 0
    assert STORE_KEY in hass_storage  # the new entry's cache outlives the old one's deadline


async def test_removed_app_state_is_deleted_once_the_quota_no_longer_binds(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    fake_rte: FakeRte,
    hass_storage: dict[str, Any],
) -> None:
    await _add_then_remove(hass, freezer)
    assert STORE_KEY in hass_storage

    freezer.move_to(NOW + timedelta(minutes=16))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert STORE_KEY not in hass_storage
    # Added again now, it calls at once (the quota allows it) and is not refused.
    entry = await _add(hass)
    assert entry.state is ConfigEntryState.LOADED
    assert fake_rte.calls["signals"] == 2
    assert fake_rte.rate_limited == 0
