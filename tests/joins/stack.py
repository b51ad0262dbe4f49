"""A whole home against the simulator: RTE, a Linky meter (Conso API), a station, relays.

One real local server (``tools.sandbox``) answers for every provider, so the entry types and
the features built on them run together as they do in a user's Home Assistant; only the relay
hardware is the stand-in of ``tests/phidget``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import list_statistic_ids
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.delestage.const import DOMAIN
from tests.enedis.test_gateway_setup import entry_for
from tests.phidget.conftest import HEATER, local_entry, relay_subentry, settle
from tests.phidget.hardware import Hardware
from tests.shedding.conftest import async_restore, async_set_load, async_setup_loads, async_shed
from tests.tariff.test_entry import PRICES

RTE_CLIENT_ID = "sandbox-rte-client"
STATION_ID = "75114001"
TEMPO_OPTIONS: dict[str, Any] = {"tariff": "tempo", "prices": PRICES, "subscription": 15.5}


def rte_entry(root: str) -> MockConfigEntry:
    """The RTE entry the config flow makes for the simulator's app (Ecowatt and Tempo)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="RTE Ecowatt",
        unique_id=RTE_CLIENT_ID,
        version=1,
        minor_version=3,
        data={
            "entry_type": "rte",
            "client_id": RTE_CLIENT_ID,
            "client_secret": "sandbox-rte-secret",
            "environment": "production",
            "api_base_url": f"{root}/rte",
        },
    )


def station_entry(root: str) -> MockConfigEntry:
    """The Météo-France entry of the simulator's station (API key)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Paris-Montsouris",
        unique_id=STATION_ID,
        version=1,
        minor_version=3,
        data={
            "entry_type": "meteofrance",
            "auth_method": "api_key",
            "api_key": "sandbox-meteofrance-key",
            "station_id": STATION_ID,
            "api_base_url": f"{root}/meteofrance/public/DPObs/v1",
        },
        options={"resolution": "hourly"},
    )


def linky_entry(root: str) -> MockConfigEntry:
    """The simulator's consumer meter through Conso API (as the gateway flow makes it)."""
    return entry_for("conso_api", root)


def add_with_options(
    hass: HomeAssistant, entry: MockConfigEntry, options: dict[str, Any]
) -> MockConfigEntry:
    """Add ``entry`` to Home Assistant with its options saved (as the options flow leaves them)."""
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options)
    return entry


def relay_entry() -> MockConfigEntry:
    """A local Phidget board with one relay (the heater)."""
    return local_entry(relay_subentry(HEATER, "Heater"))


async def async_settle(hass: HomeAssistant, seconds: float = 70.0) -> None:
    """Let background work and delayed timers run (tariff start, report's first run, saves)."""
    await hass.async_block_till_done(wait_background_tasks=True)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def async_run_home(hass: HomeAssistant, root: str, hardware: Hardware) -> list[ConfigEntry]:
    """Set up the whole home, let it run its first hours of work, shed and restore a load.

    Returns the entries: RTE, the station, the relays, the Linky meter (Tempo tariff).
    """
    entries: list[ConfigEntry] = [rte_entry(root), station_entry(root), relay_entry()]
    for entry in entries:
        entry.add_to_hass(hass)
    entries.append(add_with_options(hass, linky_entry(root), TEMPO_OPTIONS))
    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done(wait_background_tasks=True)
    await settle(hass, hardware)
    await async_settle(hass)
    await async_setup_loads(hass)
    await async_set_load(hass, "switch.water_heater", True)
    assert await async_shed(hass, ["switch.water_heater"]) == ["switch.water_heater"]
    assert await async_restore(hass) == ["switch.water_heater"]
    await async_settle(hass)
    return entries


async def home_ids(hass: HomeAssistant) -> dict[str, Any]:
    """What users and their dashboards refer to: entity ids, unique ids, devices, statistics."""
    entities = sorted(
        (
            {
                "entity_id": entry.entity_id,
                "unique_id": entry.unique_id,
                "translation_key": entry.translation_key,
                "disabled_by": entry.disabled_by,
                "device": _device_key(hass, entry.device_id),
            }
            for entry in er.async_get(hass).entities.values()
            if entry.platform == DOMAIN
        ),
        key=lambda item: str(item["entity_id"]),
    )
    devices = sorted(
        sorted(f"{domain}:{ident}" for domain, ident in device.identifiers)[0]
        for device in dr.async_get(hass).devices
        if any(domain == DOMAIN for domain, _ in device.identifiers)
    )
    listed = await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    statistic_ids = sorted(
        item["statistic_id"] for item in listed if item["statistic_id"].startswith(f"{DOMAIN}:")
    )
    return {"entities": entities, "devices": devices, "statistic_ids": statistic_ids}


def _device_key(hass: HomeAssistant, device_id: str | None) -> str | None:
    device = dr.async_get(hass).async_get(device_id) if device_id else None
    if device is None:
        return None
    return sorted(f"{domain}:{ident}" for domain, ident in device.identifiers)[0]
