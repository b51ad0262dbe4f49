"""Load shedding: switch loads off for a period, then switch back on exactly those.

The shipped blueprints call two actions with a *group* (the calling automation's entity id):

- ``delestage.shed_loads`` switches off the given loads that are on, once per period, and
  remembers them;
- ``delestage.restore_loads`` switches back on the loads it remembered, and only those.

What a group remembers is persisted (``Store``), so a Home Assistant restart in the middle of a
period neither forgets loads (left off for ever) nor re-sheds them. A load the user switches back
on during the period is dropped from the group: the user took over, and the end of the period
does not touch it, even if the user switched it off again meanwhile. A load that is unavailable
when the period ends is switched on when it comes back, unless a new period has started; one
that comes back on by itself during the period (power cut, reboot) is switched off again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event,
    EventStateChangedData,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    State,
    SupportsResponse,
    callback,
    split_entity_id,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.json import JsonValueType
import probatio

from .const import DOMAIN, LOGGER

SERVICE_SHED_LOADS: Final = "shed_loads"
SERVICE_RESTORE_LOADS: Final = "restore_loads"
ATTR_GROUP: Final = "group"
ATTR_SWITCH_ON: Final = "switch_on"

STORAGE_KEY: Final = f"{DOMAIN}.shedding"
STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 1.0

DATA_SHEDDER: HassKey[LoadShedder] = HassKey(f"{DOMAIN}_shedder")

_NOT_THERE = (STATE_UNAVAILABLE, STATE_UNKNOWN)


def _is_running(state: State | None) -> bool:
    """Whether a load is on: ``on`` for a switch, a mode (``heat``, ``eco``...) for others."""
    return state is not None and state.state not in (STATE_OFF, *_NOT_THERE)


SHED_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_GROUP): cv.string,
        probatio.Required(ATTR_ENTITY_ID): cv.entity_ids,
    }
)
RESTORE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_GROUP): cv.string,
        probatio.Optional(ATTR_SWITCH_ON, default=True): cv.boolean,
    }
)


@dataclass
class ShedGroup:
    """What one automation has switched off, and the loads that were not there to switch."""

    active: bool = False
    loads: list[str] = field(default_factory=list)
    # Loads unavailable when the period started: shed if they come back on during it.
    waiting: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {"active": self.active, "loads": list(self.loads), "waiting": list(self.waiting)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShedGroup:
        """Restore from the store."""
        return cls(
            bool(data.get("active")),
            [str(e) for e in data.get("loads", [])],
            [str(e) for e in data.get("waiting", [])],
        )


class LoadShedder:
    """Sheds and restores loads per group; persists and watches what it switched off."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the shedder; call ``async_load`` before use."""
        self.hass = hass
        self.groups: dict[str, ShedGroup] = {}
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        # Contexts of our own switch commands, to tell them from the user's.
        self._own_contexts: deque[str] = deque(maxlen=256)
        self._unsub_track: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        """Load the groups remembered before a restart and watch their loads."""
        stored = await self._store.async_load() or {}
        self.groups = {
            name: ShedGroup.from_dict(data) for name, data in stored.get("groups", {}).items()
        }
        self._async_watch()

    @callback
    def async_unload(self) -> None:
        """Stop watching loads."""
        if self._unsub_track is not None:
            self._unsub_track()
            self._unsub_track = None

    async def async_shed(self, group_name: str, entity_ids: list[str]) -> list[str]:
        """Switch off the loads that are on, once per period; return those switched off."""
        for entity_id in entity_ids:
            if not self.hass.services.has_service(split_entity_id(entity_id)[0], SERVICE_TURN_OFF):
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="load_cannot_switch",
                    translation_placeholders={"entity_id": entity_id},
                )
        group = self.groups.setdefault(group_name, ShedGroup())
        if group.active:
            # This period is already handled: a load the user switched back on stays on.
            return []
        group.active = True
        group.waiting = [
            entity_id
            for entity_id in entity_ids
            if entity_id not in group.loads  # still away since the last period: already shed
            and ((state := self.hass.states.get(entity_id)) is None or state.state in _NOT_THERE)
        ]
        candidates = [
            entity_id
            for entity_id in entity_ids
            if entity_id not in group.loads and _is_running(self.hass.states.get(entity_id))
        ]
        switched = await self._async_switch(SERVICE_TURN_OFF, candidates)
        group.loads.extend(switched)
        self._async_changed()
        if switched:
            LOGGER.info("Load shedding (%s): switched off %s", group_name, ", ".join(switched))
        return switched

    async def async_restore(self, group_name: str, *, switch_on: bool = True) -> list[str]:
        """End the period: switch back on the loads this group switched off.

        With ``switch_on`` False the period ends and the loads are forgotten, left off.
        """
        if (group := self.groups.get(group_name)) is None:
            return []
        group.active = False
        group.waiting.clear()
        if not switch_on:
            del self.groups[group_name]
            self._async_changed()
            return []
        ready = [
            entity_id
            for entity_id in group.loads
            if (state := self.hass.states.get(entity_id)) is not None and state.state == STATE_OFF
        ]
        switched = await self._async_switch(SERVICE_TURN_ON, ready)
        # Loads that are unavailable now (or refused) are switched on when they come back;
        # loads already running again need nothing more and are forgotten.
        group.loads = [
            entity_id
            for entity_id in group.loads
            if entity_id not in switched and not _is_running(self.hass.states.get(entity_id))
        ]
        if not group.loads:
            self.groups.pop(group_name, None)
        self._async_changed()
        if switched:
            LOGGER.info("Load shedding (%s): switched back on %s", group_name, ", ".join(switched))
        return switched

    async def _async_switch(self, service: str, entity_ids: list[str]) -> list[str]:
        """Send ``service`` to each load; return those that accepted it."""
        done: list[str] = []
        for entity_id in entity_ids:
            context = Context()
            self._own_contexts.append(context.id)
            try:
                await self.hass.services.async_call(
                    split_entity_id(entity_id)[0],
                    service,
                    {ATTR_ENTITY_ID: entity_id},
                    blocking=True,
                    context=context,
                )
            except HomeAssistantError as err:
                LOGGER.warning("Load shedding: %s failed for %s: %s", service, entity_id, err)
                continue
            done.append(entity_id)
        return done

    @callback
    def _async_changed(self) -> None:
        """Persist the groups and watch the loads they hold."""
        self._store.async_delay_save(
            lambda: {"groups": {name: g.as_dict() for name, g in self.groups.items()}},
            SAVE_DELAY,
        )
        self._async_watch()

    @callback
    def _async_watch(self) -> None:
        self.async_unload()
        watched = {
            entity_id
            for group in self.groups.values()
            for entity_id in (*group.loads, *group.waiting)
        }
        if watched:
            self._unsub_track = async_track_state_change_event(
                self.hass, sorted(watched), self._async_load_changed
            )

    @callback
    def _async_load_changed(self, event: Event[EventStateChangedData]) -> None:
        """Follow a remembered load that changed for another reason than our commands.

        Switched on by hand: the user took over, it is dropped. Back from unavailable: during
        the period, on again by itself (power cut, reboot) it is switched off again; after the
        period, off it is switched back on, on it needs nothing more and is dropped. A load
        that was unavailable when the period started is shed if it comes back on during it.
        """
        old_state, new_state = event.data["old_state"], event.data["new_state"]
        if new_state is None or new_state.context.id in self._own_contexts:
            return
        entity_id = event.data["entity_id"]
        came_back = old_state is None or old_state.state in _NOT_THERE
        running = _is_running(new_state)
        for name, group in list(self.groups.items()):
            if entity_id in group.waiting and new_state.state not in _NOT_THERE:
                group.waiting.remove(entity_id)
                if running and group.active and entity_id not in group.loads:
                    group.loads.append(entity_id)
                    self.hass.async_create_task(self._async_shed_again(name, entity_id))
                self._async_changed()
                continue
            if entity_id not in group.loads:
                continue
            if came_back and group.active:
                if running:
                    self.hass.async_create_task(self._async_shed_again(name, entity_id))
                continue
            if came_back and new_state.state == STATE_OFF:
                self.hass.async_create_task(self._async_restore_late(name, entity_id))
                continue
            if running and came_back:
                LOGGER.info("Load shedding (%s): %s came back on by itself", name, entity_id)
            elif running and not _is_running(old_state):
                LOGGER.info("Load shedding (%s): %s switched on by hand", name, entity_id)
            else:
                continue
            group.loads.remove(entity_id)
            if not group.loads and not group.active:
                self.groups.pop(name, None)
            self._async_changed()

    async def _async_shed_again(self, group_name: str, entity_id: str) -> None:
        """Switch off a remembered load that came back on during the period."""
        group = self.groups.get(group_name)
        if group is None or not group.active or entity_id not in group.loads:
            return
        if await self._async_switch(SERVICE_TURN_OFF, [entity_id]):
            LOGGER.info("Load shedding (%s): switched off again %s", group_name, entity_id)

    async def _async_restore_late(self, group_name: str, entity_id: str) -> None:
        """Switch on a load that was unavailable when its period ended."""
        group = self.groups.get(group_name)
        if group is None or group.active or entity_id not in group.loads:
            return
        switched = await self._async_switch(SERVICE_TURN_ON, [entity_id])
        if switched and entity_id in group.loads:
            group.loads.remove(entity_id)
            if not group.loads:
                self.groups.pop(group_name, None)
            self._async_changed()
            LOGGER.info("Load shedding (%s): switched back on %s", group_name, entity_id)


async def async_setup_shedding(hass: HomeAssistant) -> None:
    """Create the shedder and register its actions."""
    shedder = LoadShedder(hass)
    await shedder.async_load()
    hass.data[DATA_SHEDDER] = shedder

    async def _async_shed(call: ServiceCall) -> ServiceResponse:
        switched = await shedder.async_shed(call.data[ATTR_GROUP], call.data[ATTR_ENTITY_ID])
        switched_off: list[JsonValueType] = [*switched]
        return {"switched_off": switched_off}

    async def _async_restore(call: ServiceCall) -> ServiceResponse:
        switched = await shedder.async_restore(
            call.data[ATTR_GROUP], switch_on=call.data[ATTR_SWITCH_ON]
        )
        switched_on: list[JsonValueType] = [*switched]
        return {"switched_on": switched_on}

    hass.services.async_register(
        DOMAIN,
        SERVICE_SHED_LOADS,
        _async_shed,
        schema=SHED_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RESTORE_LOADS,
        _async_restore,
        schema=RESTORE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
