"""The load shedder: switches loads off for a period, then back on exactly those, whatever happens.

Rules (DESIGN §4, README "Load shedding"):

- A load is written to disk as "about to be switched off" *before* the call, and as "off" after
  it, in a ``finally``: an exception of any kind, a cancellation (automation reloaded, Home
  Assistant stopping) or a crash never loses it. The end of the period switches on everything
  that may have been switched off.
- While a period runs, a member of the group that something other than a person switches on
  (start-up restore, ``initial: true``, a power cut, another integration) is switched off
  again; a person's action (a context with a ``user_id``) is respected until the period ends.
  Members already on when the store is loaded, and commands that failed because the load's
  integration was not set up yet, are caught up on start-up, when an action is registered and
  every ``TICK``.
- Each period has a deadline (its maximum duration, given by the automation): past it, or when
  the group's automation is disabled, removed or renamed for ``ORPHAN_GRACE``, the loads are
  switched back on and a repair issue says why. Later sheds of that group wait until its
  automation ends the period (``restore_loads``).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.const import (
    ATTR_DOMAIN,
    ATTR_ENTITY_ID,
    ATTR_SERVICE,
    EVENT_HOMEASSISTANT_STOP,
    EVENT_SERVICE_REGISTERED,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    CoreState,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
    split_entity_id,
)
from homeassistant.exceptions import ServiceNotFound, ServiceValidationError
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.helpers.start import async_at_started
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from .repairs import (
    ISSUE_MAX_DURATION,
    ISSUE_ORPHANED_GROUP,
    ISSUE_SIGNAL_UNAVAILABLE,
    async_clear_group_issues,
    async_raise_group_issue,
    async_raise_store_malformed,
)
from .store import ShedGroup, ShedPeriod, ShedState, ShedStore

# Longest real Ecowatt red run: RTE's red ("coupures possibles") signals of winter 2022-23 were
# issued for the morning (08:00-13:00) and evening (18:00-20:00) peaks, at most 5 consecutive
# hours; 6 h covers that with an hour to spare. Without a max_duration, an action call gets this.
DEFAULT_MAX_DURATION: Final = timedelta(hours=6)
# How often deadlines, orphans and failed commands are looked at.
TICK: Final = timedelta(minutes=1)
# An automation missing or off for this long (not a reload) no longer looks after its group.
ORPHAN_GRACE: Final = timedelta(minutes=2)
# An ended group kept to ignore the sheds of its still-red automation is forgotten after this.
EXPIRED_KEPT: Final = timedelta(hours=24)
# Domains whose turn_off may not be registered yet at start-up (integrations load concurrently).
SWITCHABLE_DOMAINS: Final = frozenset(
    {"switch", "input_boolean", "light", "fan", "climate", "water_heater"}
)

_NOT_THERE = (STATE_UNAVAILABLE, STATE_UNKNOWN)


def is_running(state: State | None) -> bool:
    """Whether a load is on: ``on`` for a switch, a mode (``heat``, ``eco``...) for others."""
    return state is not None and state.state not in (STATE_OFF, *_NOT_THERE)


class LoadShedder:
    """Sheds and restores loads per group; persists and watches what it switched off."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the shedder; call ``async_load`` before use."""
        self.hass = hass
        self.state = ShedState()
        self._store = ShedStore(hass)
        # Contexts of our own switch commands, to tell them from everyone else's.
        self._own_contexts: deque[str] = deque(maxlen=512)
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # The context of the call that started each running period: parent of our commands.
        self._parents: dict[str, str] = {}
        self._orphan_since: dict[str, datetime] = {}
        self._unsub_track: CALLBACK_TYPE | None = None
        self._unsubs: list[CALLBACK_TYPE] = []
        self._unsub_stop: CALLBACK_TYPE | None = None

    @property
    def groups(self) -> dict[str, ShedGroup]:
        """The groups by name."""
        return self.state.groups

    async def async_load(self) -> None:
        """Load the groups remembered before a restart, watch their loads, catch up."""
        state, error = await self._store.async_load()
        if error is not None:
            LOGGER.error(
                "Load shedding: %s was malformed (%s); set aside as %s.malformed, starting afresh",
                self._store_path(),
                error,
                self._store_path(),
            )
            async_raise_store_malformed(self.hass, error)
        self.state.groups, self.state.periods = state.groups, state.periods
        now = dt_util.utcnow()
        self.state.prune(now)
        for group in self.groups.values():
            if group.active and group.deadline is None:
                # Written by version 1.0, without a bound: the bound starts now.
                group.started = group.started or now
                group.deadline = group.started + DEFAULT_MAX_DURATION
        self._async_watch()
        # Live as long as Home Assistant: the actions are registered once, in async_setup.
        self._unsubs = [
            async_track_time_interval(
                self.hass,
                self._async_tick,
                TICK,
                name="delestage load shedding",
                cancel_on_shutdown=True,
            ),
            self.hass.bus.async_listen(EVENT_SERVICE_REGISTERED, self._async_service_registered),
            async_at_started(self.hass, self._async_started),
        ]
        self._unsub_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_stop
        )
        self._async_catch_up(dt_util.utcnow())

    @staticmethod
    def _store_path() -> str:
        return ".storage/delestage.shedding"

    async def async_stop(self) -> None:
        """Write the state one last time and stop watching (Home Assistant stops)."""
        if self._unsub_stop is not None:
            self._unsub_stop()
        await self._async_stop(None)

    async def _async_stop(self, _event: Event | None) -> None:
        self._unsub_stop = None
        self._async_unwatch()
        while self._unsubs:
            self._unsubs.pop()()
        await self._store.async_save(self.state)
        self._store.closed = True

    def periods(self) -> list[ShedPeriod]:
        """Return the period history, oldest first."""
        return list(self.state.periods)

    # --- Actions ---

    def _check_switchable(self, entity_ids: Iterable[str]) -> None:
        for entity_id in entity_ids:
            domain = split_entity_id(entity_id)[0]
            if domain not in SWITCHABLE_DOMAINS and not self.hass.services.has_service(
                domain, SERVICE_TURN_OFF
            ):
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="load_cannot_switch",
                    translation_placeholders={"entity_id": entity_id},
                )

    async def async_shed(
        self,
        group_name: str,
        entity_ids: list[str],
        *,
        max_duration: timedelta = DEFAULT_MAX_DURATION,
        signal: str | None = None,
        context: Context | None = None,
    ) -> list[str]:
        """Start (or confirm) the group's period: switch off the members that are on."""
        self._check_switchable(entity_ids)
        async with self._locks[group_name]:
            group = self.groups.get(group_name)
            if group is not None and group.expired:
                # Ended by its deadline or as an orphan: the automation must end it first.
                return []
            now = dt_util.utcnow()
            if group is None or not group.active:
                group = self.groups.setdefault(group_name, ShedGroup())
                group.active = True
                group.started = now
                group.deadline = None
                group.overridden = []
                self.state.start_period(group_name, now)
            if context is not None:
                # The latest run of the automation: parent of the commands from now on.
                self._parents[group_name] = context.id
            group.members = list(dict.fromkeys(entity_ids))
            group.started = group.started or now
            # A later call of the same period may extend the bound, never shorten it (the
            # Tempo blueprint counts its bound from now, not from the period's start).
            deadline = group.started + max_duration
            if group.deadline is None or deadline > group.deadline:
                group.deadline = deadline
            group.signal = signal
            self.state.set_period_signal(group_name, signal)
            self._async_watch()
            switched = await self._async_enforce(group_name, group)
        if switched:
            LOGGER.info("Load shedding (%s): switched off %s", group_name, ", ".join(switched))
        return switched

    async def async_restore(
        self, group_name: str, *, switch_on: bool = True, context: Context | None = None
    ) -> list[str]:
        """End the period: switch back on the loads this group switched off.

        With ``switch_on`` False the period ends and the loads are forgotten, left off.
        """
        async with self._locks[group_name]:
            if (group := self.groups.get(group_name)) is None:
                return []
            if group.expired:
                # Délestage already ended this period; the automation now agrees.
                group.expired = False
                switch_on = switch_on and bool(group.loads)
                if not switch_on:
                    self.groups.pop(group_name, None)
                    await self._async_save()
                    return []
            elif group.active:
                # Its automation ends periods by itself again: earlier issues are stale.
                async_clear_group_issues(self.hass, group_name)
            parent = context.id if context is not None else None
            switched = await self._async_end(
                group_name, group, "restored" if switch_on else "forgotten", switch_on, parent
            )
        if switched:
            LOGGER.info("Load shedding (%s): switched back on %s", group_name, ", ".join(switched))
        return switched

    # --- Switching ---

    async def _async_enforce(self, group_name: str, group: ShedGroup) -> list[str]:
        """Switch off the members that are on and not a person's (lock held)."""
        candidates = [
            entity_id
            for entity_id in group.members
            if entity_id not in group.overridden and is_running(self.hass.states.get(entity_id))
        ]
        return await self._async_switch_off(group_name, group, candidates)

    async def _async_switch_off(
        self, group_name: str, group: ShedGroup, entity_ids: list[str]
    ) -> list[str]:
        """Switch loads off, writing each down before the call (lock held)."""
        done: list[str] = []
        for entity_id in entity_ids:
            group.pending.append(entity_id)
            await self._async_save()
            outcome = "interrupted"  # cancelled, or a BaseException: the load may be off
            try:
                await self._async_call(SERVICE_TURN_OFF, entity_id, self._parents.get(group_name))
                outcome = "off"
            except ServiceNotFound as err:
                # Its integration is not set up yet (start-up): retried when its actions appear.
                LOGGER.debug(
                    "Load shedding (%s): %s not switched off yet: %s", group_name, entity_id, err
                )
                outcome = "failed"
            except Exception as err:  # a device's fault, of any kind, must not lose the list
                LOGGER.warning(
                    "Load shedding (%s): switching off %s failed: %s", group_name, entity_id, err
                )
                outcome = "failed"
            finally:
                group.pending.remove(entity_id)
                if outcome != "failed" or not is_running(self.hass.states.get(entity_id)):
                    if entity_id not in group.loads:
                        group.loads.append(entity_id)
                    self.state.add_period_load(group_name, entity_id)
                self._store.async_delay_save(self.state)
                self._async_watch()
            if outcome == "off":
                done.append(entity_id)
        return done

    async def _async_switch_on(
        self, group_name: str, group: ShedGroup, parent: str | None, only: str | None = None
    ) -> list[str]:
        """Switch back on the group's loads that are off (lock held); keep the others."""
        ready = [
            entity_id
            for entity_id in group.to_restore()
            if (only is None or entity_id == only)
            and (state := self.hass.states.get(entity_id)) is not None
            and state.state == STATE_OFF
        ]
        done: list[str] = []
        for entity_id in ready:
            try:
                await self._async_call(SERVICE_TURN_ON, entity_id, parent)
            except Exception as err:
                LOGGER.warning(
                    "Load shedding (%s): switching on %s failed: %s", group_name, entity_id, err
                )
                continue
            done.append(entity_id)
        # Loads unavailable now (or refused) are switched on when they come back (or at a
        # tick); loads already running again need nothing more and are forgotten.
        group.loads = [
            entity_id
            for entity_id in group.to_restore()
            if entity_id not in done and not is_running(self.hass.states.get(entity_id))
        ]
        if not group.loads and not group.active and not group.expired:
            self.groups.pop(group_name, None)
        await self._async_save()
        return done

    async def _async_call(self, service: str, entity_id: str, parent: str | None) -> None:
        # The calling context as parent: the logbook shows "triggered by automation ...".
        context = Context(parent_id=parent)
        self._own_contexts.append(context.id)
        await self.hass.services.async_call(
            split_entity_id(entity_id)[0],
            service,
            {ATTR_ENTITY_ID: entity_id},
            blocking=True,
            context=context,
        )

    async def _async_end(
        self,
        group_name: str,
        group: ShedGroup,
        reason: str,
        switch_on: bool,
        parent: str | None,
    ) -> list[str]:
        """End the group's period (lock held)."""
        if group.active:
            self.state.end_period(group_name, dt_util.utcnow(), reason)
        group.active = False
        group.members = []
        group.overridden = []
        self._parents.pop(group_name, None)
        self._orphan_since.pop(group_name, None)
        if not switch_on:
            self.groups.pop(group_name, None)
            await self._async_save()
            return []
        await self._async_save()
        return await self._async_switch_on(group_name, group, parent)

    async def _async_save(self) -> None:
        await self._store.async_save(self.state)
        self._async_watch()

    # --- Deadlines, orphans, catching up ---

    @callback
    def _async_tick(self, _now: datetime) -> None:
        self._async_catch_up(dt_util.utcnow())

    @callback
    def _async_started(self, _hass: HomeAssistant) -> None:
        self._async_catch_up(dt_util.utcnow())

    @callback
    def _async_service_registered(self, event: Event[Any]) -> None:
        if event.data[ATTR_SERVICE] in (SERVICE_TURN_OFF, SERVICE_TURN_ON) and any(
            split_entity_id(entity_id)[0] == event.data[ATTR_DOMAIN]
            for group in self.groups.values()
            for entity_id in (*group.members, *group.loads)
        ):
            self._async_catch_up(dt_util.utcnow())

    @callback
    def _async_catch_up(self, now: datetime) -> None:
        """Look at every group: deadline, orphan, members on again, loads left off."""
        for name, group in list(self.groups.items()):
            if group.active:
                if (reason := self._end_reason(name, group, now)) is not None:
                    self._async_task(self._async_expire(name, reason), name)
                elif any(
                    entity_id not in group.overridden
                    and is_running(self.hass.states.get(entity_id))
                    for entity_id in group.members
                ):
                    self._async_task(self._async_enforce_locked(name), name)
            elif any(
                (state := self.hass.states.get(entity_id)) is not None and state.state == STATE_OFF
                for entity_id in group.loads
            ):
                self._async_task(self._async_restore_late(name, None), name)
            elif (
                group.expired
                and not group.loads
                and (group.deadline is None or now >= group.deadline + EXPIRED_KEPT)
            ):
                self.groups.pop(name, None)
                self._store.async_delay_save(self.state)

    def _end_reason(self, name: str, group: ShedGroup, now: datetime) -> str | None:
        if group.deadline is not None and now >= group.deadline:
            signal = self.hass.states.get(group.signal) if group.signal else None
            if group.signal and (signal is None or signal.state in _NOT_THERE):
                return ISSUE_SIGNAL_UNAVAILABLE
            return ISSUE_MAX_DURATION
        if not name.startswith("automation.") or self.hass.state is not CoreState.running:
            return None
        automation = self.hass.states.get(name)
        # Off (turned off), gone (removed, disabled, renamed) or unavailable (broken config).
        if automation is not None and automation.state not in (STATE_OFF, STATE_UNAVAILABLE):
            self._orphan_since.pop(name, None)
            return None
        since = self._orphan_since.setdefault(name, now)
        return ISSUE_ORPHANED_GROUP if now - since >= ORPHAN_GRACE else None

    @callback
    def _async_task(self, coro: Any, name: str) -> None:
        self.hass.async_create_task(coro, f"delestage load shedding {name}", eager_start=False)

    async def _async_expire(self, group_name: str, reason: str) -> None:
        """Switch the loads back on: the deadline passed or the automation is gone."""
        async with self._locks[group_name]:
            group = self.groups.get(group_name)
            now = dt_util.utcnow()
            if (
                group is None
                or not group.active
                or self._end_reason(group_name, group, now) != reason
            ):
                return
            loads = group.to_restore()
            hours = (
                (group.deadline - group.started).total_seconds() / 3600
                if group.deadline and group.started
                else None
            )
            group.expired = True
            switched = await self._async_end(group_name, group, reason, True, None)
        LOGGER.warning(
            "Load shedding (%s): period ended by Délestage (%s); switched back on %s",
            group_name,
            reason,
            ", ".join(switched) or "nothing yet",
        )
        async_raise_group_issue(
            self.hass, reason, group_name, loads, hours=hours, signal=group.signal
        )

    async def _async_enforce_locked(self, group_name: str, entity_id: str | None = None) -> None:
        """Switch off again members that something other than a person switched on."""
        async with self._locks[group_name]:
            group = self.groups.get(group_name)
            if group is None or not group.active:
                return
            if entity_id is None:
                switched = await self._async_enforce(group_name, group)
            elif (
                entity_id in group.members
                and entity_id not in group.overridden
                and is_running(self.hass.states.get(entity_id))
            ):
                switched = await self._async_switch_off(group_name, group, [entity_id])
            else:
                return
        if switched:
            LOGGER.info(
                "Load shedding (%s): switched off again %s", group_name, ", ".join(switched)
            )

    async def _async_restore_late(self, group_name: str, entity_id: str | None) -> None:
        """Switch on loads that were unavailable (or refused) when their period ended."""
        async with self._locks[group_name]:
            group = self.groups.get(group_name)
            if group is None or group.active:
                return
            switched = await self._async_switch_on(group_name, group, None, entity_id)
        if switched:
            LOGGER.info("Load shedding (%s): switched back on %s", group_name, ", ".join(switched))

    # --- Watching loads ---

    @callback
    def _async_unwatch(self) -> None:
        if self._unsub_track is not None:
            self._unsub_track()
            self._unsub_track = None

    @callback
    def _async_watch(self) -> None:
        self._async_unwatch()
        watched = {
            entity_id
            for group in self.groups.values()
            for entity_id in (*group.members, *group.loads, *group.pending)
        }
        if watched:
            self._unsub_track = async_track_state_change_event(
                self.hass, sorted(watched), self._async_load_changed
            )

    @callback
    def _async_load_changed(self, event: Event[EventStateChangedData]) -> None:
        """Follow a load that changed for another reason than our commands.

        During a period: a member switched on by a person is theirs (dropped until the period
        ends); switched on by anything else (start-up, power cut, another integration) it is
        switched off again. After the period: a remembered load back from unavailable, off, is
        switched on; one running again needs nothing more and is forgotten.
        """
        old_state, new_state = event.data["old_state"], event.data["new_state"]
        if new_state is None or new_state.context.id in self._own_contexts:
            return
        entity_id = event.data["entity_id"]
        came_back = old_state is None or old_state.state in _NOT_THERE
        running = is_running(new_state)
        changed = False
        for name, group in list(self.groups.items()):
            if group.active:
                if not running or entity_id not in group.members or entity_id in group.overridden:
                    continue
                if new_state.context.user_id is not None:
                    LOGGER.info("Load shedding (%s): %s switched on by a person", name, entity_id)
                    group.overridden.append(entity_id)
                    if entity_id in group.loads:
                        group.loads.remove(entity_id)
                    changed = True
                else:
                    self._async_task(self._async_enforce_locked(name, entity_id), name)
                continue
            if entity_id not in group.loads:
                continue
            if came_back and new_state.state == STATE_OFF:
                self._async_task(self._async_restore_late(name, entity_id), name)
            elif running:
                group.loads.remove(entity_id)
                if not group.loads and not group.expired:
                    self.groups.pop(name, None)
                changed = True
        if changed:
            self._store.async_delay_save(self.state)
            self._async_watch()
