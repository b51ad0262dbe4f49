"""A home set up by version 1.3 (``main`` before issue 21) runs on this version unchanged.

``fixtures/home_v1_3.json`` holds what that version left behind (``capture_v1_3.py``): its
config entries, every ``delestage`` store, the entity registry's entries, devices and statistic
ids. Loaded here, nothing is migrated, asked again or lost: the same entries, the same entity ids
on the same unique ids, the same stores under the same keys with the data they held.
"""

from __future__ import annotations

import copy
from datetime import datetime
import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.delestage.api.enedis_models import PARIS
from custom_components.delestage.const import DOMAIN
from custom_components.delestage.forecast.store import storage_key
from custom_components.delestage.hub import get_hub
from tests.phidget.conftest import settle
from tests.phidget.hardware import Hardware
from tools.sandbox import SandboxState

from .stack import async_run_home, async_settle, home_ids

FIXTURE = Path(__file__).parent / "fixtures" / "home_v1_3.json"
CAPTURED: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
# What versions after 1.3 add to that home (new features, nothing renamed): the Tempo forecast's
# seven sensors on the RTE device (issue 23) and its Store.
RTE_APP = "sandbox-rte-client"
ADDED_ENTITIES = {f"{RTE_APP}_tempo_forecast_day_{n}" for n in range(1, 8)}
ADDED_STORES = {storage_key(RTE_APP)}

pytestmark = pytest.mark.usefixtures("recorder_mock", "quiet_sql")


def _entries(root: str) -> list[MockConfigEntry]:
    """The captured entries; only the simulator's address (a new port each run) is replaced."""
    entries = []
    for item in CAPTURED["entries"]:
        data = dict(item["data"])
        if "api_base_url" in data:
            data["api_base_url"] = data["api_base_url"].replace(CAPTURED["root"], root)
        entries.append(
            MockConfigEntry(
                domain=DOMAIN,
                entry_id=item["entry_id"],
                title=item["title"],
                unique_id=item["unique_id"],
                version=item["version"],
                minor_version=item["minor_version"],
                data=data,
                options=item["options"],
                subentries_data=[
                    ConfigSubentryData(
                        subentry_id=sub["subentry_id"],
                        subentry_type=sub["subentry_type"],
                        title=sub["title"],
                        unique_id=sub["unique_id"],
                        data=sub["data"],
                    )
                    for sub in item["subentries"]
                ],
            )
        )
    return entries


def _register_entities(hass: HomeAssistant) -> None:
    """The entity registry as the user's Home Assistant keeps it (ids chosen at creation)."""
    registry = er.async_get(hass)
    entries = {item["unique_id"]: item["entry_id"] for item in CAPTURED["entries"]}
    relay_entry = next(i["entry_id"] for i in CAPTURED["entries"] if i["subentries"])
    for item in CAPTURED["entities"]:
        domain, object_id = item["entity_id"].split(".")
        owner = next(
            (entry for unique, entry in entries.items() if item["unique_id"].startswith(unique)),
            relay_entry,
        )
        registry.async_get_or_create(
            domain,
            DOMAIN,
            item["unique_id"],
            suggested_object_id=object_id,
            config_entry=hass.config_entries.async_get_entry(owner),
            disabled_by=er.RegistryEntryDisabler(item["disabled_by"])
            if item["disabled_by"]
            else None,
        )


def _halfhours(store: dict[str, Any]) -> dict[int, float]:
    grid = {}
    for first, values in store["data"]["halfhours"]:
        for index, wh in enumerate(values):
            grid[first + index * 1800] = wh
    return grid


async def test_a_home_of_version_1_3_loads_unchanged(
    hass: HomeAssistant,
    simulator: tuple[SandboxState, str],
    hardware: Hardware,
    hass_storage: dict[str, Any],
) -> None:
    """Entries, entity and device ids, statistic ids and stores of 1.3 are taken as they are."""
    state, root = simulator
    captured = copy.deepcopy(CAPTURED["storage"])
    hass_storage.update(copy.deepcopy(captured))
    entries = _entries(root)
    for entry in entries:
        entry.add_to_hass(hass)
    _register_entities(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done(wait_background_tasks=True)
    await settle(hass, hardware)
    await async_settle(hass)

    for entry, item in zip(entries, CAPTURED["entries"], strict=True):
        assert entry.state is ConfigEntryState.LOADED, entry.title
        assert (entry.version, entry.minor_version) == (item["version"], item["minor_version"])
        assert entry.options == item["options"]
        assert {k: v for k, v in entry.data.items() if k != "api_base_url"} == {
            k: v for k, v in item["data"].items() if k != "api_base_url"
        }
    ids = await home_ids(hass)
    # No entity renamed or dropped; only the later features' are added.
    kept = [e for e in ids["entities"] if e["unique_id"] not in ADDED_ENTITIES]
    assert kept == CAPTURED["entities"]
    assert {e["unique_id"] for e in ids["entities"]} - ADDED_ENTITIES == {
        e["unique_id"] for e in CAPTURED["entities"]
    }
    assert len(ids["entities"]) == len(CAPTURED["entities"]) + len(ADDED_ENTITIES)
    assert ids["devices"] == CAPTURED["devices"]
    # The finished back-fill is not run again: only the daily refresh asks the gateway.
    # (none the day of the capture: its data are still fresh; a later day, a refresh)
    assert len(state.gateway_log) <= 4

    for entry in entries:
        assert await hass.config_entries.async_unload(entry.entry_id)
    assert await async_setup_component(hass, "homeassistant", {})
    hass.bus.async_fire("homeassistant_final_write")
    await hass.async_block_till_done()
    stored = {key: value for key, value in hass_storage.items() if key.startswith(DOMAIN)}
    assert set(stored) == set(captured) | ADDED_STORES  # same keys: nothing renamed
    for key, value in captured.items():
        assert (stored[key]["version"], stored[key]["minor_version"]) == (
            value["version"],
            value["minor_version"],
        )
    backfill = next(k for k in captured if k.startswith(f"{DOMAIN}.enedis_backfill."))
    assert stored[backfill] == captured[backfill]
    tariff = next(k for k in captured if k.startswith(f"{DOMAIN}.enedis_tariff."))
    assert _halfhours(captured[tariff]).items() <= _halfhours(stored[tariff]).items()
    assert stored[tariff]["data"]["fingerprint"] == captured[tariff]["data"]["fingerprint"]
    rte = next(k for k in captured if k.startswith(f"{DOMAIN}.rte_"))
    history = captured[rte]["data"]["tempo_history"]
    assert history.items() <= stored[rte]["data"]["tempo_history"].items()
    # The report's Ecowatt log: past days are final, today and later follow the new forecast.
    signals = f"{DOMAIN}.report_signals"
    today = dt_util.now(PARIS).date()
    past = {
        hour: level
        for hour, level in captured[signals]["data"]["hours"].items()
        if datetime.fromisoformat(hour).astimezone(PARIS).date() < today
    }
    assert past.items() <= stored[signals]["data"]["hours"].items()
    shedding = f"{DOMAIN}.shedding"
    assert captured[shedding]["data"]["periods"] == stored[shedding]["data"]["periods"]
    gateway = f"{DOMAIN}.enedis_gateway.conso_api"
    assert stored[gateway]["data"]["minute"] == captured[gateway]["data"]["minute"]
    spent = stored[gateway]["data"]["budget"]["requests"]
    asked = len(state.gateway_log)
    assert [purpose for _when, purpose in spent][len(spent) - asked :] == ["refresh"] * asked


async def test_a_new_home_gets_the_ids_of_version_1_3(
    hass: HomeAssistant, simulator: tuple[SandboxState, str], hardware: Hardware
) -> None:
    """Set up from scratch, the same home gets the unique ids, devices and statistics of 1.3.

    Entity ids of a new home follow the entity names (translations may rename them); an
    existing home keeps its own (the test above).
    """
    _state, root = simulator
    await async_run_home(hass, root, hardware)
    ids = await home_ids(hass)
    assert [
        (e["unique_id"], e["translation_key"], e["disabled_by"], e["device"])
        for e in sorted(ids["entities"], key=lambda e: e["unique_id"])
        if e["unique_id"] not in ADDED_ENTITIES
    ] == [
        (e["unique_id"], e["translation_key"], e["disabled_by"], e["device"])
        for e in sorted(CAPTURED["entities"], key=lambda e: e["unique_id"])
    ]
    assert {e["unique_id"] for e in ids["entities"]} >= ADDED_ENTITIES
    assert ids["devices"] == CAPTURED["devices"]
    assert ids["statistic_ids"] == CAPTURED["statistic_ids"]
    # The station is published to the features (the report) with its temperature sensor.
    (station,) = get_hub(hass).observation_stations()
    temperature = next(e for e in ids["entities"] if e["unique_id"] == "75114001_temperature")
    assert station.temperature_entity() == temperature["entity_id"]
    assert station.latest() is not None
