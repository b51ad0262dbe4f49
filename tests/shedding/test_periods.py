"""The period history read by the shedding report: ``async_get_shed_periods``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from custom_components.delestage.const import DOMAIN
from custom_components.delestage.shedding import (
    HISTORY_DAYS,
    STORAGE_KEY,
    ShedPeriod,
    async_get_shed_periods,
)

from .conftest import async_set_load, stored

GROUP = "automation.shed_on_red"


async def _call(hass: HomeAssistant, service: str, **data: Any) -> None:
    await hass.services.async_call(
        DOMAIN, service, {"group": GROUP, **data}, blocking=True, return_response=True
    )
    await hass.async_block_till_done()


async def test_periods_are_recorded_kept_and_filtered(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loads: tuple[str, ...],
    freezer: FrozenDateTimeFactory,
) -> None:
    assert async_get_shed_periods(hass) == []  # not set up yet
    old = dt_util.utcnow() - timedelta(days=HISTORY_DAYS + 1)
    last_winter = dt_util.utcnow() - timedelta(days=300)
    hass_storage[STORAGE_KEY] = stored(
        {
            "groups": {},
            "periods": [
                {
                    "group": GROUP,
                    "start": (old - timedelta(hours=2)).isoformat(),
                    "end": old.isoformat(),
                    "loads": [loads[0]],
                    "end_reason": "restored",
                },
                {
                    "group": GROUP,
                    "start": last_winter.isoformat(),
                    "end": (last_winter + timedelta(hours=2)).isoformat(),
                    "loads": [loads[1]],
                    "end_reason": "restored",
                },
            ],
        }
    )
    assert await async_setup_component(hass, DOMAIN, {})
    water_heater, radiator, _dryer = loads
    await async_set_load(hass, water_heater, True)
    await async_set_load(hass, radiator, True)

    start = dt_util.utcnow()
    await _call(hass, "shed_loads", entity_id=list(loads))
    running = async_get_shed_periods(hass)[-1]
    assert running == ShedPeriod(
        group=GROUP, start=start, end=None, loads=(water_heater, radiator), end_reason=None
    )

    freezer.tick(timedelta(hours=2))
    await _call(hass, "restore_loads")
    periods = async_get_shed_periods(hass)
    # The period older than the history is forgotten; last winter's is kept.
    assert [(p.start, p.end, p.loads, p.end_reason) for p in periods] == [
        (last_winter, last_winter + timedelta(hours=2), (radiator,), "restored"),
        (start, start + timedelta(hours=2), (water_heater, radiator), "restored"),
    ]
    assert async_get_shed_periods(hass, start=start + timedelta(hours=1)) == periods[1:]
    assert async_get_shed_periods(hass, end=start) == periods[:1]
    assert hass_storage[STORAGE_KEY]["data"]["periods"][-1]["end_reason"] == "restored"
