"""Per thermostat: the next pre-heat start and how long the room can coast, with its model.

Where they live (decision, docs/pre-heating.md "Entities"): entities need a config entry and
a device. They are added to the **RTE entry**, the one that gives the periods (``hub.py``: a
signal feature; the first RTE entry set up when there are several), each thermostat with a
device of its own named after it, in the thermostat's area and connected via the RTE device.
A thermostat's device therefore sits in its room, next to the thermostat, while its life (set
up, unloaded, diagnostics) follows the RTE entry. Devices stay keyed by the thermostat's
registry id, so a renamed thermostat keeps them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.device_registry import DeviceInfo

from ..const import DOMAIN
from ..texts import DeviceModel, device_model
from .manager import Preconditioner, RoomView


def _model_attributes(view: RoomView) -> dict[str, Any]:
    model = view.model
    fitted = None if model is None else model.fitted
    return {
        "learned": model is not None and model.learned,
        "model_status": "not_enough_history" if model is None else model.status.value,
        "time_constant_h": None if fitted is None else round(fitted.tau_h, 1),
        "heating_rate_k_per_h": None if fitted is None else round(fitted.heating_rate, 2),
        "free_gains_k_per_h": None if fitted is None else round(fitted.gain_rate, 3),
        "fit_rmse_k": None if model is None or model.rmse_k is None else round(model.rmse_k, 3),
        "days_used": None if model is None else model.days_used,
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _plan_attributes(view: RoomView) -> dict[str, Any]:
    plan = view.plan
    if plan is None:
        return {"strategy": "none", "reason": view.reason or "no period ahead"}
    return {
        "period_start": _iso(plan.period.start),
        "period_end": _iso(plan.period.end),
        "strategy": plan.strategy.value,
        "reason": plan.reason,
        "preheat_target": plan.preheat_target,
        "floor": plan.floor,
        "predicted_at_start": plan.predicted_at_start,
        "predicted_lowest": plan.predicted_lowest,
        "avoided_share": round(plan.avoided_share, 2),
    }


@dataclass(frozen=True, kw_only=True)
class PreheatSensorDescription(SensorEntityDescription):
    """A per-thermostat sensor: its value and attributes from the room's view."""

    value_fn: Callable[[RoomView], datetime | float | None]
    attributes_fn: Callable[[RoomView], dict[str, Any]]


SENSORS: tuple[PreheatSensorDescription, ...] = (
    PreheatSensorDescription(
        key="preheat_start",
        translation_key="preheat_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda view: None if view.plan is None else view.plan.preheat_start,
        attributes_fn=lambda view: {**_plan_attributes(view), **_model_attributes(view)},
    ),
    PreheatSensorDescription(
        key="coast_duration",
        translation_key="coast_duration",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.HOURS,
        suggested_display_precision=1,
        value_fn=lambda view: view.coast_hours,
        attributes_fn=_model_attributes,
    ),
)


def thermostat_device(
    hass: HomeAssistant, host: str, key: str, entity_id: str, via_device_id: str | None
) -> DeviceInfo:
    """Return the device of a thermostat's sensors: its name and area, connected via the RTE one."""
    registry = er.async_get(hass)
    state = hass.states.get(entity_id)
    name = state.name if state is not None else entity_id
    area = None
    if (entry := registry.async_get(entity_id)) is not None:
        name = entry.name or entry.original_name or name
        area_id = entry.area_id
        if area_id is None and entry.device_id is not None:
            device = dr.async_get(hass).async_get(entry.device_id)
            area_id = None if device is None else device.area_id
        if area_id is not None and (found := ar.async_get(hass).async_get_area(area_id)):
            area = found.name
    info = DeviceInfo(
        identifiers={(DOMAIN, f"{host}_preheat_{key}")},
        manufacturer="Délestage",
        model=device_model(hass, DeviceModel.PREHEAT),
        name=name,
    )
    if area is not None:
        info["suggested_area"] = area
    if via_device_id is not None:
        info["via_device_id"] = via_device_id
    return info


def room_key(hass: HomeAssistant, entity_id: str) -> str:
    """Return a thermostat's key: its registry id (kept across renames), else its entity id."""
    entry = er.async_get(hass).async_get(entity_id)
    return entry.id if entry is not None else entity_id


class PreheatSensor(SensorEntity):
    """One of a thermostat's pre-heating sensors."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _unrecorded_attributes = frozenset({"reason"})
    entity_description: PreheatSensorDescription

    def __init__(
        self,
        manager: Preconditioner,
        key: str,
        description: PreheatSensorDescription,
        *,
        host: str,
        device_info: DeviceInfo,
    ) -> None:
        """Create a sensor of the thermostat ``key`` (registry id or entity id)."""
        self.manager = manager
        self.entity_description = description
        self._key = key
        self._attr_unique_id = f"{host}_preheat_{key}_{description.key}"
        self._attr_device_info = device_info

    @property
    def room(self) -> str | None:
        """The thermostat's entity id now (it may have been renamed)."""
        return er.async_resolve_entity_id(er.async_get(self.hass), self._key)

    async def async_added_to_hass(self) -> None:
        """Follow the plans and models."""
        self.async_on_remove(self.manager.listen(self._async_refresh))
        self._async_refresh(write=False)

    @callback
    def _async_refresh(self, *, write: bool = True) -> None:
        room = self.room
        view = self.manager.view(room) if room is not None else RoomView(None, None, None, None)
        self._attr_native_value = self.entity_description.value_fn(view)
        self._attr_extra_state_attributes = {
            "thermostat": room,
            **self.entity_description.attributes_fn(view),
        }
        if write:
            self.async_write_ha_state()
