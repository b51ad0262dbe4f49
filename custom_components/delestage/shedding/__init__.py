"""Load shedding: switch loads off for a period, then switch back on exactly those.

The shipped blueprints call two actions with a *group* (the calling automation's entity id):

- ``delestage.shed_loads`` switches off the given loads that are on and remembers them; while
  the period runs, a load something else switches on is switched off again (a person's action
  excepted). ``max_duration`` bounds the period;
- ``delestage.restore_loads`` switches back on the loads it remembered, and only those.

Other parts of the integration (the shedding report) read the period history with
``async_get_shed_periods``. The rules are in ``shedder.py``, the persistence in ``store.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.json import JsonValueType
import probatio

from ..const import DOMAIN
from .shedder import DEFAULT_MAX_DURATION, EVENT_LOAD_SHEDDING, LOGBOOK_ACTIONS, LoadShedder
from .store import HISTORY_DAYS, STORAGE_KEY, ShedGroup, ShedPeriod

__all__ = [
    "DATA_SHEDDER",
    "DEFAULT_MAX_DURATION",
    "EVENT_LOAD_SHEDDING",
    "HISTORY_DAYS",
    "LOGBOOK_ACTIONS",
    "STORAGE_KEY",
    "LoadShedder",
    "ShedGroup",
    "ShedPeriod",
    "async_get_shed_periods",
    "async_setup_shedding",
]

SERVICE_SHED_LOADS: Final = "shed_loads"
SERVICE_RESTORE_LOADS: Final = "restore_loads"
ATTR_GROUP: Final = "group"
ATTR_SWITCH_ON: Final = "switch_on"
ATTR_MAX_DURATION: Final = "max_duration"
ATTR_SIGNAL: Final = "signal"

DATA_SHEDDER: HassKey[LoadShedder] = HassKey(f"{DOMAIN}_shedder")

SHED_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_GROUP): cv.string,
        probatio.Required(ATTR_ENTITY_ID): cv.entity_ids,
        probatio.Optional(ATTR_MAX_DURATION, default=DEFAULT_MAX_DURATION): probatio.All(
            cv.positive_time_period, probatio.Range(min=timedelta(minutes=1))
        ),
        probatio.Optional(ATTR_SIGNAL): cv.entity_id,
    }
)
RESTORE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_GROUP): cv.string,
        probatio.Optional(ATTR_SWITCH_ON, default=True): cv.boolean,
    }
)


def async_get_shed_periods(
    hass: HomeAssistant, start: datetime | None = None, end: datetime | None = None
) -> list[ShedPeriod]:
    """Return the shed periods (finished and running) overlapping ``[start, end)``, oldest first.

    Kept ``HISTORY_DAYS`` days and across restarts. Empty before the integration is set up.
    """
    if (shedder := hass.data.get(DATA_SHEDDER)) is None:
        return []
    return [
        period
        for period in shedder.periods()
        if (end is None or period.start < end)
        and (start is None or period.end is None or period.end > start)
    ]


async def async_setup_shedding(hass: HomeAssistant) -> None:
    """Create the shedder and register its actions (admin-only: they switch loads)."""
    shedder = LoadShedder(hass)
    await shedder.async_load()
    hass.data[DATA_SHEDDER] = shedder

    async def _async_shed(call: ServiceCall) -> ServiceResponse:
        switched = await shedder.async_shed(
            call.data[ATTR_GROUP],
            call.data[ATTR_ENTITY_ID],
            max_duration=call.data[ATTR_MAX_DURATION],
            signal=call.data.get(ATTR_SIGNAL),
            context=call.context,
        )
        switched_off: list[JsonValueType] = [*switched]
        return {"switched_off": switched_off}

    async def _async_restore(call: ServiceCall) -> ServiceResponse:
        switched = await shedder.async_restore(
            call.data[ATTR_GROUP], switch_on=call.data[ATTR_SWITCH_ON], context=call.context
        )
        switched_on: list[JsonValueType] = [*switched]
        return {"switched_on": switched_on}

    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_SHED_LOADS,
        _async_shed,
        schema=SHED_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_RESTORE_LOADS,
        _async_restore,
        schema=RESTORE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
