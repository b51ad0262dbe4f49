"""Anticipation: pre-heat rooms and the hot-water tank before a red period, coast through it.

Pure Python (no Home Assistant): ``thermal`` (the room model), ``learning`` (the model fitted
on a thermostat's history), ``planner`` (what each room does around a period) and
``hot_water`` (when the tank heats). The Home Assistant side: ``history`` (the recorder read
and the fit, in the executor), ``outdoor``, ``thermostats`` and ``tanks`` (the entities as the
plans see them), ``store`` (what is kept on disk), ``manager`` (the plans carried out, never
stranding a room), ``sensor`` (per-thermostat sensors) and this module: the actions
``delestage.precondition`` and ``delestage.cancel_precondition``, and the sensors' place on
the RTE entry (``hub.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import (
    CALLBACK_TYPE,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.json import JsonValueType
import probatio

from ..const import DOMAIN
from ..hub import RteApp, RteFeature, get_hub
from .manager import ACTIONS, Preconditioner
from .sensor import SENSORS, PreheatSensor, room_key, thermostat_device
from .store import Claim

__all__ = [
    "ACTIONS",
    "DATA_PRECONDITIONER",
    "Preconditioner",
    "async_remove_device",
    "async_setup_anticipation",
]

SERVICE_PRECONDITION: Final = "precondition"
SERVICE_CANCEL: Final = "cancel_precondition"
ATTR_WATER_HEATER: Final = "water_heater"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_BOOST: Final = "boost"
ATTR_FLOOR: Final = "floor"
ATTR_GROUP: Final = "group"
TANK_DOMAINS: Final = ("water_heater", "switch", "input_boolean")

DATA_PRECONDITIONER: HassKey[Preconditioner] = HassKey(f"{DOMAIN}_preconditioner")

PRECONDITION_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_ENTITY_ID, default=[]): cv.entities_domain("climate"),
        probatio.Optional(ATTR_WATER_HEATER, default=[]): cv.entities_domain(list(TANK_DOMAINS)),
        probatio.Required(ATTR_START): cv.datetime,
        probatio.Required(ATTR_END): cv.datetime,
        probatio.Optional(ATTR_BOOST): probatio.All(
            probatio.Coerce(float), probatio.Range(min=0.0, max=5.0)
        ),
        probatio.Optional(ATTR_FLOOR): probatio.All(
            probatio.Coerce(float), probatio.Range(min=0.5, max=30.0)
        ),
        probatio.Optional(ATTR_GROUP, default=""): cv.string,
    }
)
CANCEL_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_ENTITY_ID): cv.entity_ids,
        probatio.Optional(ATTR_GROUP, default=""): cv.string,
    }
)


def _aware(value: datetime) -> datetime:
    """Return an aware UTC time (one without a zone is Home Assistant's local time)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(value)


def _claim(data: dict[str, Any]) -> Claim:
    start, end = _aware(data[ATTR_START]), _aware(data[ATTR_END])
    placeholders = {"start": start.isoformat(), "end": end.isoformat()}
    if end <= start:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="precondition_reversed",
            translation_placeholders=placeholders,
        )
    if end <= dt_util.utcnow():
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="precondition_over",
            translation_placeholders=placeholders,
        )
    if not data[ATTR_ENTITY_ID] and not data[ATTR_WATER_HEATER]:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="precondition_nothing"
        )
    return Claim(start, end, (data[ATTR_GROUP],))


class PreheatPart(RteFeature):
    """Pre-heating's sensors on an RTE entry (the first one set up hosts them)."""

    key = "preheating"

    def __init__(self, signal: RteApp, manager: Preconditioner) -> None:
        """Attached to an RTE entry; its sensors are added when the sensor platform sets up."""
        self.signal = signal
        self.manager = manager
        self._unsubs: list[CALLBACK_TYPE] = []
        self._added: set[str] = set()

    @property
    def _host(self) -> str:
        unique_id = self.signal.entry.unique_id
        assert unique_id is not None
        return unique_id

    def async_add_platform_entities(
        self, platform: Platform, async_add_entities: AddConfigEntryEntitiesCallback
    ) -> None:
        """Add each known thermostat's sensors, and those of thermostats named later."""
        if platform is not Platform.SENSOR or self.manager.host not in (None, self):
            return
        self.manager.host = self
        hass = self.signal.hass
        # The RTE device first: the thermostats' devices are connected via it.
        rte_device = dr.async_get(hass).async_get_or_create(
            config_entry_id=self.signal.entry.entry_id, **self.signal.device_info
        )

        @callback
        def _add(entity_id: str) -> None:
            key = room_key(hass, entity_id)
            if key in self._added:
                return
            self._added.add(key)
            device = thermostat_device(hass, self._host, key, entity_id, rte_device.id)
            async_add_entities(
                [
                    PreheatSensor(self.manager, key, d, host=self._host, device_info=device)
                    for d in SENSORS
                ]
            )

        for entity_id in self.manager.room_ids():
            _add(entity_id)
        self._unsubs.append(self.manager.listen_rooms(_add))

    async def async_shutdown(self) -> None:
        """Release the sensors: the RTE entry unloads (another one may host them)."""
        while self._unsubs:
            self._unsubs.pop()()
        if self.manager.host is self:
            self.manager.host = None

    def diagnostics(self) -> dict[str, Any]:
        """Return the rooms, tanks, models and plans."""
        return self.manager.diagnostics()


async def async_remove_device(hass: HomeAssistant, device: dr.DeviceEntry) -> bool:
    """Let the user delete a thermostat's pre-heating device (not during its period).

    The thermostat is forgotten with its model; named again by a call, it comes back.
    """
    manager = hass.data.get(DATA_PRECONDITIONER)
    keys = [
        key.split("_preheat_", 1)[1]
        for domain, key in device.identifiers
        if domain == DOMAIN and "_preheat_" in key
    ]
    if manager is None or not keys:
        return False
    entity_id = er.async_resolve_entity_id(er.async_get(hass), keys[0]) or keys[0]
    return await manager.async_forget(entity_id)


async def async_setup_anticipation(hass: HomeAssistant) -> None:
    """Create the manager, register the actions (admin-only) and the sensors' place."""
    manager = Preconditioner(hass)
    await manager.async_load()
    hass.data[DATA_PRECONDITIONER] = manager

    async def _async_attach(signal: RteApp) -> RteFeature:
        return PreheatPart(signal, manager)

    get_hub(hass).register_rte_feature(_async_attach)

    async def _async_precondition(call: ServiceCall) -> ServiceResponse:
        claim = _claim(dict(call.data))
        return await manager.async_precondition(
            list(call.data[ATTR_ENTITY_ID]),
            list(call.data[ATTR_WATER_HEATER]),
            claim,
            boost=call.data.get(ATTR_BOOST),
            floor=call.data.get(ATTR_FLOOR),
            context=call.context,
        )

    async def _async_cancel(call: ServiceCall) -> ServiceResponse:
        entity_ids = call.data.get(ATTR_ENTITY_ID)
        cancelled: list[JsonValueType] = [
            *await manager.async_cancel(
                None if entity_ids is None else list(entity_ids),
                call.data[ATTR_GROUP],
                call.context,
            )
        ]
        return {"cancelled": cancelled}

    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_PRECONDITION,
        _async_precondition,
        schema=PRECONDITION_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_CANCEL,
        _async_cancel,
        schema=CANCEL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
