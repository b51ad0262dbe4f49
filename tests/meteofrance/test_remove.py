"""Removing a station entry deletes its cache."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.const import DOMAIN


async def test_removing_the_entry_deletes_its_cache(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    entry = MockConfigEntry(domain=DOMAIN, unique_id="07149001", data={"entry_type": "meteofrance"})
    entry.add_to_hass(hass)
    key = f"{DOMAIN}.meteofrance_{entry.entry_id}"
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {}}

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage
