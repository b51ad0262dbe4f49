"""Removing an RTE entry deletes its cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import STORE_KEY, seed_store
from .fake_rte import load_json


async def test_removing_the_entry_deletes_its_cache(
    hass: HomeAssistant, hass_storage: dict[str, Any], rte_entry: MockConfigEntry
) -> None:
    seed_store(
        hass_storage,
        signals=load_json("sandbox_signals.json"),
        fetched_at=datetime.fromisoformat("2022-06-03T08:00:00+02:00"),
    )
    rte_entry.add_to_hass(hass)

    await hass.config_entries.async_remove(rte_entry.entry_id)
    await hass.async_block_till_done()

    assert STORE_KEY not in hass_storage
