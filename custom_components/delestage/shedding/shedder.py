"""The load shedder: switches loads off for a period, then back on exactly those, whatever happens.

Rules (DESIGN §4, docs/load-shedding.md):

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
- A load renamed in the entity registry is followed (the group switches the new ID back on);
  a removed one is dropped with a repair issue naming it when it was still off (removed during
  the restore after its switch-on: no issue, and a load removed before its turn is not counted
  as switched on). A load that vanished while Home Assistant was stopped (a YAML entity renamed
  or deleted: no registry event) is treated the same once Home Assistant has started and
  ``VANISHED_GRACE`` has passed with the load in neither the entity registry nor the state
  machine (entities appear one by one during start-up, and a platform may retry).
- Nothing is switched off unrecorded: once Home Assistant stops (the journal is closed) or when
  the journal cannot be written (full or read-only disk), the load is left on, with a repair
  issue in the second case.
- The logbook names who switched a load: commands sent during an action call carry the
  caller's context (an automation's run: "by automation …", as for its own actions); those
  Délestage sends by itself (switching a load off again, ending a period) carry a context whose
  origin is a ``delestage_load_shedding`` event, described in ``logbook.py`` ("via Délestage
  (automation)"), with the automation's last run as parent.
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
    HassJob,
    HomeAssistant,
    State,
    callback,
    split_entity_id,
)
from homeassistant.exceptions import ServiceNotFound, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import (
    async_call_later,
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
    async_clear_journal_unwritable,
    async_raise_group_issue,
    async_raise_journal_unwritable,
    async_raise_load_removed,
    async_raise_store_malformed,
)
from .store import JournalWriteError, ShedGroup, ShedPeriod, ShedState, ShedStore

# Longest real Ecowatt red run: RTE's red ("coupures possibles") signals of winter 2022-23 were
# issued for the morning (08:00-13:00) and evening (18:00-20:00) peaks, at most 5 consecutive
# hours; 6 h covers that with an hour to spare. Without a max_duration, an action call gets this.
DEFAULT_MAX_DURATION: Final = timedelta(hours=6)
# How often deadlines, orphans and failed commands are looked at.
TICK: Final = timedelta(minutes=1)
# An automation missing or off for this long (not a reload) no longer looks after its group.
ORPHAN_GRACE: Final = timedelta(minutes=2)
# After start-up, a load in neither the entity registry nor the state machine for this long is
# gone (a platform not ready at start-up retries after 30 s, then 60 s...).
VANISHED_GRACE: Final = timedelta(minutes=5)
# An ended group kept to ignore the sheds of its still-red automation is forgotten after this.
EXPIRED_KEPT: Final = timedelta(hours=24)
# Domains whose turn_off may not be registered yet at start-up (integrations load concurrently).
SWITCHABLE_DOMAINS: Final = frozenset(
    {"switch", "input_boolean", "light", "fan", "climate", "water_heater"}
)

_NOT_THERE = (STATE_UNAVAILABLE, STATE_UNKNOWN)

# Fired, in the command's context, before each command Délestage sends: the logbook's description
# of who switched the load (``logbook.py``). Data: ``group``, ``name`` (the group's name then),
# ``load`` and ``action`` (one of ``LOGBOOK_ACTIONS``).
EVENT_LOAD_SHEDDING: Final = f"{DOMAIN}_load_shedding"
ACTION_OFF: Final = "off"  # at the automation's call
ACTION_OFF_AGAIN: Final = "off_again"  # switched on during the period by something else
ACTION_ON: Final = "on"  # at the automation's call
ACTION_ON_LATER: Final = "on_later"  # unavailable (or refused) at the end, back now
LOGBOOK_ACTIONS: Final = (
    ACTION_OFF,
    ACTION_OFF_AGAIN,
    ACTION_ON,
    ACTION_ON_LATER,
    # Ended by Délestage: "on_" and the reason (the repair issue's key).
    *(f"on_{key}" for key in (ISSUE_MAX_DURATION, ISSUE_SIGNAL_UNAVAILABLE, ISSUE_ORPHANED_GROUP)),
)


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
        # The load of each switch-off command in progress, followed if it is renamed (None:
        # removed) while the command runs.
        self._in_flight: list[list[str | None]] = []
        self._journal_failing = False

    @property
    def groups(self) -> dict[str, ShedGroup]:
        """The groups by name."""
        return self.state.groups

    async def async_load(self) -> None:
        """Load the groups remembered before a restart, watch their loads, catch up."""
        state, damage = await self._store.async_load()
        now = dt_util.utcnow()
        if damage.errors:
            error = "; ".join(damage.errors)
            LOGGER.error(
                "Load shedding: %s was malformed (%s); set aside as %s.malformed, kept what "
                "could be read; loads of unreadable groups: %s",
                self._store_path(),
                error,
                self._store_path(),
                ", ".join(damage.unreadable_loads) or "none",
            )
            async_raise_store_malformed(self.hass, error, damage.unreadable_loads)
        self.state.groups, self.state.periods = state.groups, state.periods
        self.state.prune(now)
        for name, group in self.groups.items():
            if not group.active and self.state.running_period(name) is not None:
                # Its group could not be read (or was ended without its period): it ends now.
                self.state.end_period(name, now, "unreadable")
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
            self.hass.bus.async_listen(
                er.EVENT_ENTITY_REGISTRY_UPDATED, self._async_registry_updated
            ),
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
            switched = await self._async_enforce(group_name, group, ACTION_OFF, context)
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
            switched = await self._async_end(
                group_name, group, "restored" if switch_on else "forgotten", switch_on, context
            )
        if switched:
            LOGGER.info("Load shedding (%s): switched back on %s", group_name, ", ".join(switched))
        return switched

    # --- Switching ---

    async def _async_enforce(
        self, group_name: str, group: ShedGroup, action: str, context: Context | None
    ) -> list[str]:
        """Switch off the members that are on and not a person's (lock held)."""
        candidates = [
            entity_id
            for entity_id in group.members
            if entity_id not in group.overridden and is_running(self.hass.states.get(entity_id))
        ]
        return await self._async_switch_off(group_name, group, candidates, action, context)

    async def _async_switch_off(
        self,
        group_name: str,
        group: ShedGroup,
        entity_ids: list[str],
        action: str,
        context: Context | None,
    ) -> list[str]:
        """Switch loads off, writing each down before the call (lock held)."""
        done: list[str] = []
        for index, entity_id in enumerate(entity_ids):
            if self._store.closed or self.hass.is_stopping:
                # The journal was written for the last time (or is only written at the final
                # write): a load switched off now could stay off after the restart.
                LOGGER.info(
                    "Load shedding (%s): Home Assistant is stopping; %s not switched off",
                    group_name,
                    ", ".join(entity_ids[index:]),
                )
                break
            group.pending.append(entity_id)
            try:
                await self._store.async_write_journal(self.state)
            except JournalWriteError as err:
                group.pending.remove(entity_id)
                self._async_journal_failed(group_name, entity_ids[index:], err)
                break
            self._async_journal_written()
            self._async_watch()
            load: list[str | None] = [entity_id]
            self._in_flight.append(load)
            outcome = "interrupted"  # cancelled, or a BaseException: the load may be off
            try:
                await self._async_command(group_name, SERVICE_TURN_OFF, entity_id, action, context)
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
                self._in_flight.remove(load)
                # Renamed while the command ran: the registry handler renamed ``pending``.
                if (current := load[0]) is not None:
                    if current in group.pending:
                        group.pending.remove(current)
                    if outcome != "failed" or not is_running(self.hass.states.get(current)):
                        if current not in group.loads:
                            group.loads.append(current)
                        self.state.add_period_load(group_name, current)
                self._store.async_delay_save(self.state)
                self._async_watch()
            if outcome == "off" and load[0] is not None:
                done.append(load[0])
        return done

    @callback
    def _async_journal_failed(
        self, group_name: str, entity_ids: list[str], err: JournalWriteError
    ) -> None:
        """Leave loads on whose journal entry could not be written; say why (once in the log)."""
        if not self._journal_failing:
            LOGGER.error(
                "Load shedding (%s): %s could not be written (%s); %s left on: a load switched "
                "off unrecorded could stay off after a restart",
                group_name,
                self._store_path(),
                err,
                ", ".join(entity_ids),
            )
        self._journal_failing = True
        async_raise_journal_unwritable(self.hass, group_name, entity_ids, str(err))

    @callback
    def _async_journal_written(self) -> None:
        if self._journal_failing:
            LOGGER.info("Load shedding: %s is written again", self._store_path())
            self._journal_failing = False
            async_clear_journal_unwritable(self.hass)

    async def _async_switch_on(
        self,
        group_name: str,
        group: ShedGroup,
        action: str,
        context: Context | None,
        only: str | None = None,
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
            if entity_id not in group.to_restore():
                continue  # removed (or renamed: switched on at the next look) meanwhile
            try:
                await self._async_command(group_name, SERVICE_TURN_ON, entity_id, action, context)
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

    async def _async_command(
        self,
        group_name: str,
        service: str,
        entity_id: str,
        action: str,
        context: Context | None,
    ) -> None:
        """Send one command, under the caller's context or one of Délestage's own.

        The caller's context (an automation's run) makes the logbook say "by automation …", as
        for the automation's own actions. Délestage's own context has the period's last run as
        parent and starts with a ``delestage_load_shedding`` event: the logbook's "via Délestage
        (automation)".
        """
        if context is None:
            context = Context(parent_id=self._parents.get(group_name))
        self._own_contexts.append(context.id)
        self.hass.bus.async_fire(
            EVENT_LOAD_SHEDDING,
            {
                "group": group_name,
                "name": state.name if (state := self.hass.states.get(group_name)) else group_name,
                "load": entity_id,
                "action": action,
            },
            context=context,
        )
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
        context: Context | None,
    ) -> list[str]:
        """End the group's period (lock held)."""
        if group.active:
            self.state.end_period(group_name, dt_util.utcnow(), reason)
        group.active = False
        group.members = []
        group.overridden = []
        self._orphan_since.pop(group_name, None)
        if not switch_on:
            self._parents.pop(group_name, None)
            self.groups.pop(group_name, None)
            await self._async_save()
            return []
        await self._async_save()
        action = ACTION_ON if reason == "restored" else f"on_{reason}"
        switched = await self._async_switch_on(group_name, group, action, context)
        self._parents.pop(group_name, None)
        return switched

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
        if self.groups:  # loads remembered from before the start (later ones are followed live)
            self._unsubs.append(
                async_call_later(
                    self.hass,
                    VANISHED_GRACE,
                    HassJob(self._async_drop_vanished, cancel_on_shutdown=True),
                )
            )

    @callback
    def _async_drop_vanished(self, _now: datetime) -> None:
        """Drop the loads gone while Home Assistant was stopped, as if removed from the registry."""
        registry = er.async_get(self.hass)
        vanished = {
            entity_id
            for group in self.groups.values()
            for entity_id in (*group.members, *group.loads, *group.pending, *group.overridden)
            if self.hass.states.get(entity_id) is None and registry.async_get(entity_id) is None
        }
        for entity_id in sorted(vanished):
            LOGGER.warning(
                "Load shedding: %s no longer exists (renamed or deleted while Home Assistant "
                "was stopped); dropped",
                entity_id,
            )
            self._async_move(entity_id, None)

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
                switched = await self._async_enforce(group_name, group, ACTION_OFF_AGAIN, None)
            elif (
                entity_id in group.members
                and entity_id not in group.overridden
                and is_running(self.hass.states.get(entity_id))
            ):
                switched = await self._async_switch_off(
                    group_name, group, [entity_id], ACTION_OFF_AGAIN, None
                )
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
            switched = await self._async_switch_on(
                group_name, group, ACTION_ON_LATER, None, entity_id
            )
        if switched:
            LOGGER.info("Load shedding (%s): switched back on %s", group_name, ", ".join(switched))

    # --- Renamed and removed loads ---

    @callback
    def _async_registry_updated(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        """Follow a load renamed in the entity registry; drop a removed one."""
        data = event.data
        if data["action"] == "update" and "old_entity_id" in data:
            self._async_move(data["old_entity_id"], data["entity_id"])
        elif data["action"] == "remove":
            self._async_move(data["entity_id"], None)

    @callback
    def _async_move(self, old: str, new: str | None) -> None:
        """Rename a load in every group (``new``), or drop it (None) with a repair issue."""
        for load in self._in_flight:
            if load[0] == old:
                load[0] = new
        changed = False
        for name, group in list(self.groups.items()):
            lists = (group.members, group.loads, group.pending, group.overridden)
            if not any(old in entity_ids for entity_ids in lists):
                continue
            changed = True
            # Already back on (removed during the restore): nothing is left off.
            switched_off = old in group.to_restore() and not is_running(self.hass.states.get(old))
            for entity_ids in lists:
                _move(entity_ids, old, new)
            self.state.rename_period_load(name, old, new)
            if new is not None:
                LOGGER.info("Load shedding (%s): %s renamed %s, followed", name, old, new)
            elif switched_off:
                LOGGER.warning(
                    "Load shedding (%s): %s was removed while switched off; it cannot be "
                    "switched back on",
                    name,
                    old,
                )
                async_raise_load_removed(self.hass, name, old)
            if not group.active and not group.expired and not group.to_restore():
                self.groups.pop(name, None)
        if changed:
            self._store.async_delay_save(self.state)
            self._async_watch()

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
                # Back from unavailable (or re-added after a rename, with its last context): the
                # device says so, not a person.
                if new_state.context.user_id is not None and not came_back:
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


def _move(entity_ids: list[str], old: str, new: str | None) -> None:
    """Replace ``old`` by ``new`` in place (remove it if ``new`` is None or already there)."""
    if old not in entity_ids:
        return
    index = entity_ids.index(old)
    if new is None or new in entity_ids:
        del entity_ids[index]
    else:
        entity_ids[index] = new
