"""Carries the plans out: pre-heat, coast, hold the floor, restore; whatever happens meanwhile.

Rules (DESIGN §2 "Pre-heating", the same never-strand rules as load shedding):

- **Periods.** ``delestage.precondition`` names thermostats (and tanks) and a period. Each
  entity keeps the periods asked for it; a call of a group (the calling automation) replaces
  that group's periods not over yet (RTE revised the run), and overlapping periods merge (a
  red Ecowatt run on a Tempo red day). ``delestage.cancel_precondition`` drops a group's.
- **Plans.** Until its first step, a room's plan is made again every :data:`REPLAN` and when
  what it depends on changes (the period, the set point, the model). From the first command
  on, the plan is frozen (a restart goes on with it).
- **Record and restore.** The user's setting is written to disk *before* the first command
  (the journal: a failed write leaves the thermostat as it is, with a repair issue). After the
  period it is put back, unless the user or another automation set the thermostat meanwhile
  (a change Délestage did not make, seen while the thermostat answered): theirs wins, the room
  is released and nothing is restored. A thermostat unavailable at the end is restored when it
  comes back; a failed command is tried again every :data:`TICK`.
- **Restarts and faults.** When Home Assistant stops, every thermostat and tank Délestage
  changed is put back to the user's setting (a device keeps its set point while Home Assistant
  is down: it must not stay at the pre-heat or the floor for as long); at the start the step in
  effect is asked again, or, after the period, nothing more. An unreadable store is set aside;
  what it names is put back to the user's setting when that can be read, else to the setting
  the thermostat held longest in the recorder over the last :data:`USUAL_DAYS` days.
- **Logbook.** Each command is preceded, in its context, by a logbook entry on the entity
  saying what Délestage does and why (load shedding's texts, ``logbook_message``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import math
from typing import Any, Final
from zoneinfo import ZoneInfo

from homeassistant.components.climate.const import DOMAIN as CLIMATE_DOMAIN
from homeassistant.components.recorder import history
from homeassistant.const import (
    ATTR_DOMAIN,
    ATTR_ENTITY_ID,
    ATTR_NAME,
    EVENT_HOMEASSISTANT_STOP,
    EVENT_LOGBOOK_ENTRY,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_change,
    async_track_time_interval,
)
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.start import async_at_started
from homeassistant.loader import async_get_loaded_integration
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER
from ..hub import get_hub
from ..report.model import PeriodKind, ShedPeriod
from ..texts import LOGBOOK_MESSAGE, cached_text
from .history import async_learn
from .hot_water import HotWaterPlan
from .outdoor import OutdoorSource
from .planner import RoomPlan, plan_room
from .repairs import (
    async_clear_journal_unwritable,
    async_raise_journal_unwritable,
    async_raise_store_malformed,
)
from .store import (
    Claim,
    JournalWriteError,
    LearnedModel,
    PreheatState,
    PreheatStore,
    Record,
    Run,
    Setting,
    StepRecord,
)
from .tanks import BACK, commands as tank_commands, heating_mode, mode_of, tank_plan, tank_steps
from .thermal import DEFAULT_MODEL
from .thermostats import (
    available,
    climate_call,
    matches,
    preset_only,
    room_of,
    room_temperature,
    setting_of,
    steps_of,
)

TICK: Final = timedelta(minutes=1)
REPLAN: Final = timedelta(hours=1)
# Learning: once a day, at night (outside the red hours), and for a thermostat first named.
LEARN_AT: Final = (3, 17)
USUAL_DAYS: Final = 7
# A period of at least this, starting at 06:00, is a Tempo red day (its pre-heat is the night).
TEMPO_MIN: Final = timedelta(hours=12)
# What a thermostat's coast duration is shown as at most (a room that never reaches its floor).
COAST_SHOWN_MAX: Final = 48.0
STOP_TIMEOUT: Final = 10.0  # seconds to put everything back when Home Assistant stops

# Logbook actions (``selector.logbook_message`` texts; ``{load}`` and ``{target}``).
ACTIONS: Final = (
    "preheat",
    "coast",
    "hold",
    "restore",
    "restore_late",
    "restore_stop",
    "tank_heat",
    "tank_off",
    "tank_back",
)


@dataclass(frozen=True, slots=True)
class RoomView:
    """What the sensors show of a thermostat: its plan (or why none) and its model."""

    plan: RoomPlan | None
    reason: str | None
    model: LearnedModel | None
    coast_hours: float | None


def period_of(claim: Claim, zone: ZoneInfo) -> ShedPeriod:
    """Return the planner's period: a Tempo red day (06:00, 12 h or more), else an Ecowatt run."""
    local = claim.start.astimezone(zone)
    tempo = (local.hour, local.minute) == (6, 0) and claim.end - claim.start >= TEMPO_MIN
    kind = PeriodKind.TEMPO_RED if tempo else PeriodKind.ECOWATT_RED
    return ShedPeriod(claim.start, claim.end, kind)


def _merge(claims: Iterable[Claim]) -> list[Claim]:
    """Sort and merge overlapping periods (touching ones stay apart)."""
    merged: list[Claim] = []
    for claim in sorted(claims, key=lambda c: (c.start, c.end)):
        if merged and claim.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Claim(
                last.start,
                max(last.end, claim.end),
                tuple(dict.fromkeys([*last.groups, *claim.groups])),
            )
        else:
            merged.append(claim)
    return merged


def _without_group(claims: Iterable[Claim], group: str, now: datetime) -> list[Claim]:
    """Drop a group from the periods not over yet; a period nobody asks for any more goes."""
    kept = []
    for claim in claims:
        groups = claim.groups
        if claim.end > now:
            groups = tuple(g for g in groups if g != group)
        if groups:
            kept.append(replace(claim, groups=groups))
    return kept


class Preconditioner:
    """Plans and carries out pre-heating per thermostat and tank; persists what it changed."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the manager; call :meth:`async_load` before use."""
        self.hass = hass
        self.state = PreheatState()
        self._store = PreheatStore(hass)
        self.outdoor = OutdoorSource(hass)
        self._lock = asyncio.Lock()
        self._own_contexts: deque[str] = deque(maxlen=512)
        self._plans: dict[str, tuple[tuple[Any, ...], datetime, RoomPlan | str]] = {}
        self.tank_plans: dict[str, HotWaterPlan] = {}
        self._listeners: list[CALLBACK_TYPE] = []
        self._room_listeners: list[Callable[[str], None]] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._unsub_track: CALLBACK_TYPE | None = None
        self._unsub_stop: CALLBACK_TYPE | None = None
        self._journal_failing = False
        self._waiting: set[str] = set()  # unavailable at the end of their period (logged once)
        self._learning: set[str] = set()
        # The RTE entry's part that shows the sensors (``__init__.py``: the first one set up).
        self.host: object | None = None

    # ------------------------------------------------------------------ life cycle

    @property
    def zone(self) -> ZoneInfo:
        """Home Assistant's time zone (French periods are local times)."""
        zone = dt_util.get_default_time_zone()
        return zone if isinstance(zone, ZoneInfo) else ZoneInfo("Europe/Paris")

    async def async_load(self) -> None:
        """Read the store, put back what an unreadable part named, start watching."""
        now = dt_util.utcnow()
        self.state, damage = await self._store.async_load(now)
        if damage.errors:
            error = "; ".join(damage.errors)
            named = [*damage.rooms, *damage.tanks]
            LOGGER.error(
                "Pre-heating: .storage/%s was malformed (%s); set aside, kept what could be "
                "read; thermostats and tanks it named are put back to the user's setting: %s",
                "delestage.anticipation",
                error,
                ", ".join(named) or "none",
            )
            async_raise_store_malformed(self.hass, error, named)
            await self._async_salvage(damage.rooms, damage.tanks, now)
        self._unsubs = [
            async_track_time_interval(
                self.hass,
                self._async_tick,
                TICK,
                name="delestage pre-heating",
                cancel_on_shutdown=True,
            ),
            async_track_time_change(
                self.hass, self._async_learn_daily, hour=LEARN_AT[0], minute=LEARN_AT[1], second=0
            ),
            self.hass.bus.async_listen(
                er.EVENT_ENTITY_REGISTRY_UPDATED, self._async_registry_updated
            ),
            async_at_started(self.hass, self._async_started),
        ]
        self._unsub_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_stopping
        )
        self._async_watch()

    async def _async_salvage(self, rooms: list[str], tanks: list[str], now: datetime) -> None:
        """Give the entities an unreadable part named a run that ends now: they are put back.

        A run whose user's setting could be read was salvaged with it; for the others, the
        setting each held longest in the recorder over the last days.
        """
        for entity_id, records in (
            *((e, self.state.rooms) for e in rooms),
            *((e, self.state.tanks) for e in tanks),
        ):
            record = records.setdefault(entity_id, Record())
            if record.run is not None:
                continue
            usual = await self._async_usual_setting(entity_id, now)
            if usual is not None:
                record.run = Run(start=now, end=now, user=usual, applied=Setting())
        await self._store.async_save(self.state)

    async def _async_usual_setting(self, entity_id: str, now: datetime) -> Setting | None:
        """Return the setting an entity held longest over the last days, from the recorder."""
        start = now - timedelta(days=USUAL_DAYS)
        try:
            found = await get_instance(self.hass).async_add_executor_job(
                history.state_changes_during_period, self.hass, start, now, entity_id
            )
        except Exception as err:
            LOGGER.warning("Pre-heating: no history of %s to put it back: %s", entity_id, err)
            return None
        held: dict[Setting, float] = {}
        states = [s for s in found.get(entity_id, []) if available(s)]
        for state, following in zip(states, [*states[1:], None], strict=True):
            until = following.last_updated if following is not None else now
            setting = self._setting_of(state)
            if setting is not None:
                held[setting] = (
                    held.get(setting, 0.0) + (until - state.last_updated).total_seconds()
                )
        return max(held, key=held.__getitem__) if held else None

    def _setting_of(self, state: State) -> Setting | None:
        if state.entity_id.startswith(f"{CLIMATE_DOMAIN}."):
            setting = setting_of(state)
            return Setting(setting.temperature, setting.preset, None)
        return Setting(mode=mode_of(state))

    @callback
    def _async_started(self, _hass: HomeAssistant) -> None:
        self.hass.async_create_task(self._async_evaluate(), "delestage pre-heating start")
        self.hass.async_create_background_task(
            self._async_learn_all(), "delestage pre-heating learning"
        )

    async def _async_stopping(self, _event: Event) -> None:
        """Put every thermostat and tank Délestage changed back, then write the store."""
        self._unsub_stop = None
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await self._async_suspend_all()
        except TimeoutError:
            LOGGER.warning("Pre-heating: not everything was put back before Home Assistant stopped")
        await self.async_stop()

    async def _async_suspend_all(self) -> None:
        async with self._lock:
            for entity_id, record, is_room in self._records():
                run = record.run
                if run is None or run.released or run.applied is None or run.suspended:
                    continue
                state = self.hass.states.get(entity_id)
                if available(state) and state is not None:
                    await self._async_put_back(entity_id, run, state, is_room, "restore_stop")
                run.applied = run.user
                run.suspended = True

    async def async_stop(self) -> None:
        """Stop watching and write the store one last time."""
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        self._async_unwatch()
        while self._unsubs:
            self._unsubs.pop()()
        await self._store.async_save(self.state)
        self._store.closed = True

    # ------------------------------------------------------------------ listeners (sensors)

    @callback
    def listen_rooms(self, listener: Callable[[str], None]) -> CALLBACK_TYPE:
        """Call ``listener(entity_id)`` when a thermostat is first named (new sensors)."""
        self._room_listeners.append(listener)
        return lambda: self._room_listeners.remove(listener)

    @callback
    def listen(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` after each change of a plan or a model."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    # ------------------------------------------------------------------ actions

    async def async_precondition(
        self,
        rooms: list[str],
        tanks: list[str],
        claim: Claim,
        *,
        boost: float | None,
        floor: float | None,
        context: Context | None,
    ) -> dict[str, Any]:
        """Add a period for these thermostats and tanks; plan and act now if due."""
        group = claim.groups[0]
        now = dt_util.utcnow()
        new_rooms = [e for e in rooms if e not in self.state.rooms]
        async with self._lock:
            for entity_id, records in (
                *((e, self.state.rooms) for e in rooms),
                *((e, self.state.tanks) for e in tanks),
            ):
                record = records.setdefault(entity_id, Record())
                record.claims = _merge([*_without_group(record.claims, group, now), claim])
                if entity_id in rooms:
                    record.boost, record.floor = boost, floor
                    self._plans.pop(entity_id, None)
            await self._store.async_save(self.state)
            self._async_watch()
        for entity_id in new_rooms:
            for listener in list(self._room_listeners):
                listener(entity_id)
            self._async_learn_soon(entity_id)
        await self._async_evaluate(context)
        return {
            "rooms": {e: self._describe(e) for e in rooms},
            "water_heaters": {e: self._describe_tank(e) for e in tanks},
        }

    async def async_cancel(
        self, entity_ids: list[str] | None, group: str, context: Context | None
    ) -> list[str]:
        """Drop the group's periods (of these entities); put back what is running now."""
        now = dt_util.utcnow()
        changed = []
        async with self._lock:
            for entity_id, record, _ in self._records():
                if entity_ids is not None and entity_id not in entity_ids:
                    continue
                claims = _without_group(record.claims, group, now)
                if claims != record.claims:
                    record.claims = claims
                    self._plans.pop(entity_id, None)
                    changed.append(entity_id)
            if changed:
                await self._store.async_save(self.state)
        if changed:
            await self._async_evaluate(context)
        return changed

    # ------------------------------------------------------------------ evaluation

    def _records(self) -> list[tuple[str, Record, bool]]:
        return [
            *((e, r, True) for e, r in self.state.rooms.items()),
            *((e, r, False) for e, r in self.state.tanks.items()),
        ]

    @callback
    def _async_tick(self, _now: datetime) -> None:
        # Before Home Assistant runs, the start-up evaluation (``_async_started``) comes first:
        # thermostats are still being set up, and their own state restore must not be raced.
        if self.hass.is_running:
            self.hass.async_create_task(self._async_evaluate(), "delestage pre-heating tick")

    async def _async_evaluate(self, context: Context | None = None) -> None:
        """Bring every thermostat and tank to what its plan asks now."""
        async with self._lock:
            now = dt_util.utcnow()
            for entity_id, record, is_room in self._records():
                try:
                    if is_room:
                        await self._async_room(entity_id, record, now, context)
                    else:
                        await self._async_tank(entity_id, record, now, context)
                except JournalWriteError as err:
                    self._async_journal_failed([entity_id], err)
            self._store.async_delay_save(self.state)
            self._async_watch()
        self._notify()

    def _current_claim(self, record: Record, now: datetime) -> Claim | None:
        record.claims = [c for c in record.claims if c.end > now]
        return record.claims[0] if record.claims else None

    async def _async_end_run_if_over(
        self, entity_id: str, record: Record, now: datetime, is_room: bool
    ) -> bool:
        """End the run if its period is over or no longer asked for; False: try again later."""
        claim = self._current_claim(record, now)
        run = record.run
        if run is not None and (now >= run.end or claim is None or claim.start >= run.end):
            return await self._async_end_run(entity_id, record, now, is_room)
        return True

    async def _async_end_run(
        self, entity_id: str, record: Record, now: datetime, is_room: bool
    ) -> bool:
        """End the run whose period is over or no longer asked for; False: try again later."""
        run = record.run
        assert run is not None
        if not run.released and run.applied is not None:
            state = self.hass.states.get(entity_id)
            if not available(state) or state is None:
                if entity_id not in self._waiting and self.hass.is_running:
                    self._waiting.add(entity_id)
                    LOGGER.warning(
                        "Pre-heating: %s is unavailable at the end of its period; it is put "
                        "back to the user's setting when it answers again",
                        entity_id,
                    )
                return False
            action = "restore_late" if entity_id in self._waiting else "restore"
            if not await self._async_put_back(entity_id, run, state, is_room, action):
                return False
        self._waiting.discard(entity_id)
        record.run = None
        self._plans.pop(entity_id, None)
        await self._store.async_save(self.state)
        return True

    async def _async_room(
        self, entity_id: str, record: Record, now: datetime, context: Context | None
    ) -> None:
        if not await self._async_end_run_if_over(entity_id, record, now, True):
            return
        claim = self._current_claim(record, now)
        state = self.hass.states.get(entity_id)
        if claim is None:
            self._plans.pop(entity_id, None)
            return
        if state is None:
            return
        if record.run is None:
            plan = await self._async_plan(entity_id, record, claim, state, user=None, now=now)
            if isinstance(plan, str):
                return
            steps = steps_of(plan.steps, preset=preset_only(state))
            step = _step_at(steps, now)
            if step is None or not available(state) or self.hass.is_stopping:
                return
            record.run = Run(start=claim.start, end=claim.end, user=setting_of(state), steps=steps)
            await self._async_write_journal([entity_id], record)
        run = record.run
        assert run is not None
        if entity_id not in self._plans:
            # After a restart: the plan being carried out, for the sensors (its steps are kept).
            await self._async_plan(entity_id, record, claim, state, user=run.user, now=now)
        if (claim.start, claim.end) != (run.start, run.end):
            # The period was revised (merged, extended): planned again from now, same user.
            run.start, run.end = claim.start, claim.end
            self._plans.pop(entity_id, None)
            plan = await self._async_plan(entity_id, record, claim, state, user=run.user, now=now)
            if not isinstance(plan, str):
                # From now on: the new plan's step in effect now (a period moved to a start
                # already past is in its coast at once), then its later steps.
                steps = steps_of(plan.steps, preset=preset_only(state))
                current = [step for step in steps if step.at <= now][-1:]
                run.steps = current + [step for step in steps if step.at > now] or run.steps
        if run.released or (step := run.step_at(now)) is None or not available(state):
            return
        if not matches(state, step.setting) or run.suspended:
            await self._async_ask(entity_id, run, step, state, context)

    async def _async_ask(
        self,
        entity_id: str,
        run: Run,
        step: StepRecord,
        state: State,
        context: Context | None,
    ) -> None:
        """Ask a thermostat for a step's setting (recorded first; a failure is retried)."""
        run.applied, run.phase, run.suspended = step.setting, step.phase, False
        if matches(state, step.setting):
            return
        service, data, target = climate_call(state, step.setting)
        await self._async_command(
            entity_id,
            (CLIMATE_DOMAIN, service, {ATTR_ENTITY_ID: entity_id, **data}),
            action=step.phase,
            target=target,
            context=context,
        )

    async def _async_put_back(
        self, entity_id: str, run: Run, state: State, is_room: bool, action: str
    ) -> bool:
        """Put the user's setting back; False when the command failed."""
        user = run.user
        if is_room:
            if matches(state, user) or (user.temperature is None and user.preset is None):
                return True
            service, data, target = climate_call(state, user)
            return await self._async_command(
                entity_id,
                (CLIMATE_DOMAIN, service, {ATTR_ENTITY_ID: entity_id, **data}),
                action=action,
                target=target,
                context=None,
            )
        if user.mode is None or mode_of(state) == user.mode:
            return True
        return await self._async_tank_command(
            entity_id, state, user.mode, "tank_back" if action == "restore" else action, None
        )

    # ------------------------------------------------------------------ tanks

    async def _async_tank(
        self, entity_id: str, record: Record, now: datetime, context: Context | None
    ) -> None:
        if not await self._async_end_run_if_over(entity_id, record, now, False):
            return
        claim = self._current_claim(record, now)
        state = self.hass.states.get(entity_id)
        if claim is None or state is None:
            self.tank_plans.pop(entity_id, None)
            return
        period = period_of(claim, self.zone)
        if record.run is None or (claim.start, claim.end) != (record.run.start, record.run.end):
            ranges = get_hub(self.hass).offpeak_ranges()
            plan = tank_plan(period, ranges, self.zone, now)
            self.tank_plans[entity_id] = plan
            user = record.run.user if record.run is not None else Setting(mode=mode_of(state))
            steps = tank_steps(plan, heating_mode(state, user))
            if record.run is None:
                if _step_at(steps, now) is None or not available(state) or self.hass.is_stopping:
                    return
                record.run = Run(start=claim.start, end=claim.end, user=user, steps=steps)
                await self._async_write_journal([entity_id], record)
            else:
                record.run.start, record.run.end, record.run.steps = claim.start, claim.end, steps
        run = record.run
        assert run is not None
        if run.released or (step := run.step_at(now)) is None or not available(state):
            return
        wanted = run.user if step.phase == BACK else step.setting
        if wanted.mode is None:
            return
        if mode_of(state) != wanted.mode or run.suspended:
            run.applied, run.phase, run.suspended = wanted, step.phase, False
            if mode_of(state) != wanted.mode:
                action = {"heat": "tank_heat", "off": "tank_off"}.get(step.phase, "tank_back")
                await self._async_tank_command(entity_id, state, wanted.mode, action, context)
        else:
            run.applied, run.phase = wanted, step.phase

    async def _async_tank_command(
        self, entity_id: str, state: State, mode: str, action: str, context: Context | None
    ) -> bool:
        ok = True
        for call in tank_commands(state, mode):
            done = await self._async_command(
                entity_id, call, action=action, target=mode, context=context
            )
            ok = ok and done
        return ok

    # ------------------------------------------------------------------ commands

    async def _async_write_journal(self, entity_ids: list[str], record: Record) -> None:
        """Write the user's setting before the first command; undo the run if it fails."""
        try:
            await self._store.async_write_journal(self.state)
        except JournalWriteError:
            record.run = None
            raise
        if self._journal_failing:
            LOGGER.info("Pre-heating: .storage/delestage.anticipation is written again")
            self._journal_failing = False
            async_clear_journal_unwritable(self.hass)

    @callback
    def _async_journal_failed(self, entity_ids: list[str], err: JournalWriteError) -> None:
        if not self._journal_failing:
            LOGGER.error(
                "Pre-heating: .storage/delestage.anticipation could not be written (%s); %s "
                "left as set: a thermostat changed unrecorded could stay changed after a restart",
                err,
                ", ".join(entity_ids),
            )
        self._journal_failing = True
        async_raise_journal_unwritable(self.hass, entity_ids, str(err))

    async def _async_command(
        self,
        entity_id: str,
        call: tuple[str, str, dict[str, Any]],
        *,
        action: str,
        target: str,
        context: Context | None,
    ) -> bool:
        """Send one command in a context of Délestage's own (or the caller's); log a failure."""
        if context is None:
            context = Context()
        domain, service, data = call
        self._own_contexts.append(context.id)
        self._async_log(entity_id, action, target, context)
        try:
            await self.hass.services.async_call(
                domain, service, data, blocking=True, context=context
            )
        except Exception as err:
            LOGGER.warning("Pre-heating: %s.%s on %s failed: %s", domain, service, entity_id, err)
            return False
        LOGGER.info("Pre-heating: %s %s (%s)", entity_id, action, target)
        return True

    @callback
    def _async_log(self, entity_id: str, action: str, target: str, context: Context) -> None:
        """Say in the entity's logbook what Délestage does and why, in the server's language.

        A ``logbook_entry`` event, fired in the command's context before it: the thermostat's
        logbook shows it (a set point is an attribute: its change has no line of its own; the
        load-shedding event would only show in Délestage's), and a tank switched by the command
        reads "via Délestage". The texts are load shedding's (``logbook_message``).
        """
        text = cached_text(self.hass, LOGBOOK_MESSAGE, action) or "{load}: {target}"
        self.hass.bus.async_fire(
            EVENT_LOGBOOK_ENTRY,
            {
                ATTR_NAME: async_get_loaded_integration(self.hass, DOMAIN).name,
                "message": text.replace("{load}", entity_id).replace("{target}", target),
                ATTR_DOMAIN: DOMAIN,
                ATTR_ENTITY_ID: entity_id,
            },
            context=context,
        )

    # ------------------------------------------------------------------ planning

    async def _async_plan(
        self,
        entity_id: str,
        record: Record,
        claim: Claim,
        state: State,
        *,
        user: Setting | None,
        now: datetime,
    ) -> RoomPlan | str:
        """Return the room's plan for a period (cached until :data:`REPLAN` or a change)."""
        model = self.state.models.get(entity_id)
        key = (
            claim.start,
            claim.end,
            record.boost,
            record.floor,
            user or setting_of(state),
            None if model is None else model.learned_at,
        )
        if (cached := self._plans.get(entity_id)) is not None:
            cached_key, planned_at, plan = cached
            if cached_key == key and now - planned_at < REPLAN:
                return plan
        result = await self._async_make_plan(state, record, claim, user=user, model=model, now=now)
        # No plan (the outdoor temperature not known yet at start-up…): tried again next time.
        self._plans[entity_id] = (
            key,
            now if isinstance(result, RoomPlan) else now - REPLAN,
            result,
        )
        return result

    async def _async_make_plan(
        self,
        state: State,
        record: Record,
        claim: Claim,
        *,
        user: Setting | None,
        model: LearnedModel | None,
        now: datetime,
    ) -> RoomPlan | str:
        room = room_of(
            state,
            user=user,
            boost=record.boost,
            floor=record.floor,
            learned_comfort=None if model is None else model.comfort,
        )
        if isinstance(room, str):
            return room
        outdoor = await self.outdoor.async_ahead(now)
        if outdoor is None:
            return "no outdoor temperature (a Météo-France entry or a weather entity)"
        learned = model is not None and model.learned and model.fitted is not None
        return plan_room(
            room,
            model.fitted if learned and model is not None and model.fitted else DEFAULT_MODEL,
            period_of(claim, self.zone),
            outdoor,
            now=now,
            temperature=room_temperature(state),
            learned=learned,
        )

    # ------------------------------------------------------------------ learning

    @callback
    def _async_learn_daily(self, _now: datetime) -> None:
        self.hass.async_create_background_task(
            self._async_learn_all(), "delestage pre-heating learning"
        )

    @callback
    def _async_learn_soon(self, entity_id: str) -> None:
        self.hass.async_create_background_task(
            self.async_learn(entity_id), f"delestage pre-heating learning {entity_id}"
        )

    async def _async_learn_all(self) -> None:
        for entity_id in list(self.state.rooms):
            await self.async_learn(entity_id)

    async def async_learn(self, entity_id: str) -> None:
        """Learn a thermostat's model from its recorder history (off the event loop)."""
        if entity_id in self._learning or "recorder" not in self.hass.config.components:
            return
        self._learning.add(entity_id)
        try:
            model = await async_learn(self.hass, entity_id, self.outdoor.entity(), dt_util.utcnow())
        except Exception:
            LOGGER.exception("Pre-heating: learning %s failed", entity_id)
            return
        finally:
            self._learning.discard(entity_id)
        self.state.models[entity_id] = model
        self._plans.pop(entity_id, None)
        LOGGER.debug("Pre-heating: %s learned: %s", entity_id, model)
        self._store.async_delay_save(self.state)
        self._notify()

    async def async_forget(self, entity_id: str) -> bool:
        """Forget a thermostat (its device deleted); refused while Délestage has changed it."""
        async with self._lock:
            record = self.state.rooms.get(entity_id)
            if record is not None and record.run is not None:
                return False
            self.state.rooms.pop(entity_id, None)
            self.state.models.pop(entity_id, None)
            self._plans.pop(entity_id, None)
            await self._store.async_save(self.state)
            self._async_watch()
        return True

    # ------------------------------------------------------------------ what the sensors show

    def room_ids(self) -> list[str]:
        """Return the thermostats pre-heating knows (named by a call, or in the store)."""
        return list(self.state.rooms)

    def view(self, entity_id: str) -> RoomView:
        """Return what a thermostat's sensors show now."""
        record = self.state.rooms.get(entity_id)
        model = self.state.models.get(entity_id)
        cached = self._plans.get(entity_id)
        plan = cached[2] if cached is not None else None
        return RoomView(
            plan=plan if isinstance(plan, RoomPlan) else None,
            reason=plan if isinstance(plan, str) else None,
            model=model,
            coast_hours=self._coast_hours(entity_id, record, model),
        )

    def _coast_hours(
        self, entity_id: str, record: Record | None, model: LearnedModel | None
    ) -> float | None:
        """Hours the room coasts from its set point to its floor at the outdoor temperature now."""
        state = self.hass.states.get(entity_id)
        outdoor = self.outdoor.now()
        if state is None or outdoor is None or record is None:
            return None
        user = record.run.user if record.run is not None else None
        room = room_of(
            state,
            user=user,
            boost=record.boost,
            floor=record.floor,
            learned_comfort=None if model is None else model.comfort,
        )
        if isinstance(room, str):
            return None
        thermal = (
            model.fitted if model is not None and model.learned and model.fitted else DEFAULT_MODEL
        )
        hours = thermal.coast_hours(room.set_point, room.comfort_floor, outdoor)
        return round(min(hours, COAST_SHOWN_MAX), 2) if not math.isnan(hours) else None

    def _describe(self, entity_id: str) -> dict[str, Any]:
        view = self.view(entity_id)
        if view.plan is None:
            return {"strategy": "none", "reason": view.reason or "no period ahead"}
        plan = view.plan
        return {
            "strategy": plan.strategy.value,
            "reason": plan.reason,
            "preheat_start": None if plan.preheat_start is None else plan.preheat_start.isoformat(),
            "preheat_target": plan.preheat_target,
            "floor": plan.floor,
            "predicted_lowest": plan.predicted_lowest,
            "learned": plan.learned,
        }

    def _describe_tank(self, entity_id: str) -> dict[str, Any]:
        plan = self.tank_plans.get(entity_id)
        if plan is None:
            return {"reason": "no period ahead"}
        return {
            "reason": plan.reason.value,
            "heat_from": None if plan.heat_from is None else plan.heat_from.isoformat(),
            "heat_until": None if plan.heat_until is None else plan.heat_until.isoformat(),
            "off_from": plan.off_from.isoformat(),
            "off_until": plan.off_until.isoformat(),
        }

    def diagnostics(self) -> dict[str, Any]:
        """Return the rooms, tanks and models (no secret in them)."""
        data = self.state.as_dict()
        data["plans"] = {e: self._describe(e) for e in self.state.rooms}
        return data

    # ------------------------------------------------------------------ watching

    @callback
    def _async_unwatch(self) -> None:
        if self._unsub_track is not None:
            self._unsub_track()
            self._unsub_track = None

    @callback
    def _async_watch(self) -> None:
        self._async_unwatch()
        watched = sorted(e for e, r, _ in self._records() if r.run is not None or r.claims)
        if watched:
            self._unsub_track = async_track_state_change_event(
                self.hass, watched, self._async_changed
            )

    @callback
    def _async_changed(self, event: Event[EventStateChangedData]) -> None:
        """Follow a thermostat or tank: someone else's setting wins; one back is caught up."""
        entity_id = event.data["entity_id"]
        old, new = event.data["old_state"], event.data["new_state"]
        record = self.state.rooms.get(entity_id) or self.state.tanks.get(entity_id)
        if record is None or new is None:
            return
        run = record.run
        came_back = not available(old)
        if (
            run is not None
            and not run.released
            and not run.suspended
            and run.applied is not None
            and run.applied != Setting()
            and not came_back
            and available(new)
            and new.context.id not in self._own_contexts
            and old is not None
            and self._holds(old, run.applied)
            and not self._holds(new, run.applied)
        ):
            LOGGER.info(
                "Pre-heating: %s was set by someone else during its period: theirs, left as set",
                entity_id,
            )
            run.released = True
            self._store.async_delay_save(self.state)
            self._notify()
            return
        if came_back and available(new) and self.hass.is_running:
            self.hass.async_create_task(
                self._async_evaluate(), f"delestage pre-heating {entity_id} back"
            )

    @staticmethod
    def _holds(state: State, setting: Setting) -> bool:
        if state.entity_id.startswith(f"{CLIMATE_DOMAIN}."):
            return matches(state, setting)
        return setting.mode is None or mode_of(state) == setting.mode

    @callback
    def _async_registry_updated(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        """Follow a thermostat or tank renamed; forget one removed."""
        data = event.data
        if data["action"] == "update" and "old_entity_id" in data:
            old, new = data["old_entity_id"], data["entity_id"]
        elif data["action"] == "remove":
            old, new = data["entity_id"], None
        else:
            return
        for records in (self.state.rooms, self.state.tanks):
            if (record := records.pop(old, None)) is not None and new is not None:
                records[new] = record
        if (model := self.state.models.pop(old, None)) is not None and new is not None:
            self.state.models[new] = model
        self._plans.pop(old, None)
        self._store.async_delay_save(self.state)
        self._async_watch()


def _step_at(steps: list[StepRecord], now: datetime) -> StepRecord | None:
    current = None
    for step in steps:
        if step.at <= now:
            current = step
    return current
