"""Removing a Linky entry deletes its back-fill progress and its saved data."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.const import DOMAIN


async def test_removing_the_entry_deletes_its_backfill_progress(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, unique_id="12345678901234", data={"entry_type": "enedis"}
    )
    entry.add_to_hass(hass)
    keys = [
        f"{DOMAIN}.enedis_backfill.{entry.entry_id}",
        f"{DOMAIN}.enedis_linky.{entry.entry_id}",
        f"{DOMAIN}.enedis_tariff.{entry.entry_id}",  # the tariff split's half-hours and price logs
    ]
    for key in keys:
        hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {"done": []}}

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert not [key for key in keys if key in hass_storage]
