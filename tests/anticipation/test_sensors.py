"""Each thermostat's sensors: on the RTE entry, a device per thermostat, in its area.

They appear when a thermostat is first named, are there again after a restart (the store
names the thermostat), follow the plan, and their device can be deleted by the user.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import AiohttpClientMocker

from custom_components.delestage import async_remove_config_entry_device
from custom_components.delestage.anticipation.store import STORAGE_KEY
from custom_components.delestage.const import DOMAIN

from .conftest import (
    RED_END,
    RED_START,
    async_precondition,
    async_run,
    async_setup_delestage,
    async_setup_home,
    async_setup_rte,
)

LIVING = "climate.living"
PERIOD = {"start": RED_START.isoformat(), "end": RED_END.isoformat()}


def _sensors(hass: HomeAssistant) -> dict[str, Any]:
    registry = er.async_get(hass)
    return {
        entry.translation_key: hass.states.get(entry.entity_id)
        for entry in registry.entities.values()
        if entry.platform == DOMAIN and entry.translation_key in ("preheat_start", "coast_duration")
    }


async def _remove_device(hass: HomeAssistant, device: dr.DeviceEntry) -> bool:
    """What Home Assistant asks the integration when the user deletes the device."""
    entry = hass.config_entries.async_get_entry(device.config_entry_id or "")
    assert entry is not None
    return await async_remove_config_entry_device(hass, entry, device)


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
async def test_sensors_of_a_thermostat_named_later(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    await async_setup_delestage(hass)
    living = (await async_setup_home(hass))["living"]
    area = ar.async_get(hass).async_create("Salon")
    er.async_get(hass).async_update_entity(LIVING, area_id=area.id)
    rte = await async_setup_rte(hass, aioclient_mock)
    assert _sensors(hass) == {}

    response = await async_precondition(hass, entity_id=[LIVING], **PERIOD)
    sensors = _sensors(hass)
    assert set(sensors) == {"preheat_start", "coast_duration"}
    assert sensors["preheat_start"].state == response["rooms"][LIVING]["preheat_start"]
    assert sensors["preheat_start"].attributes["strategy"] == response["rooms"][LIVING]["strategy"]
    assert dt_util.parse_datetime(sensors["preheat_start"].attributes["period_end"]) == RED_END
    assert float(sensors["coast_duration"].state) > 0
    entry = er.async_get(hass).async_get(sensors["preheat_start"].entity_id)
    assert entry is not None
    assert entry.config_entry_id == rte.entry_id
    device = dr.async_get(hass).async_get(entry.device_id or "")
    assert device is not None
    assert device.area_id == area.id  # in the thermostat's room

    # During the period the device cannot be deleted: the thermostat waits for its set point.
    await async_run(hass, freezer, RED_START + timedelta(minutes=5), [living])
    assert not await _remove_device(hass, device)
    await async_run(hass, freezer, RED_END + timedelta(minutes=5), [living])
    assert _sensors(hass)["preheat_start"].state == "unknown"  # no period ahead
    assert await _remove_device(hass, device)
    assert LIVING not in hass.data[f"{DOMAIN}_preconditioner"].room_ids()


@pytest.mark.freeze_time("2026-12-07T12:00:00+01:00")
async def test_sensors_back_after_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    aioclient_mock: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The store names the thermostat: its sensors are set up with the RTE entry."""
    hass_storage[STORAGE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORAGE_KEY,
        "data": {
            "rooms": {LIVING: {"periods": [{**PERIOD, "groups": ["automation.red"]}]}},
            "models": {
                LIVING: {
                    "status": "learned",
                    "tau_h": 30.0,
                    "heating_rate": 1.5,
                    "gain_rate": 0.01,
                    "rmse_k": 0.08,
                    "days_used": 13.5,
                    "learned_at": "2026-12-07T03:17:00+01:00",
                }
            },
        },
    }
    await async_setup_delestage(hass)
    await async_setup_home(hass)
    await async_setup_rte(hass, aioclient_mock)
    await async_run(hass, freezer, RED_START - timedelta(hours=5), [])  # the next ticks plan

    preheat = _sensors(hass)["preheat_start"]
    assert preheat.attributes["learned"] is True
    assert preheat.attributes["time_constant_h"] == 30.0
    assert preheat.attributes["days_used"] == 13.5
    # A slow room (30 h) coasts two hours from 20 °C above 18 °C: no pre-heat needed.
    assert preheat.attributes["strategy"] == "coast", preheat.attributes
    assert preheat.state == "unknown"
