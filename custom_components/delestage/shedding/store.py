"""What load shedding remembers on disk: the groups of the running periods and their history.

One ``Store`` (``.storage/delestage.shedding``) holds

- ``groups``: per group (the calling automation's entity id), the period in progress or the
  loads still to switch back on after it. A load is written down *before* it is switched off
  (``pending``) and moved to ``loads`` once the call returned, so whatever happens during the
  call (an exception, a cancellation, Home Assistant stopping) the load is switched back on;
- ``periods``: the history of the shed periods (running ones have no end), kept
  ``HISTORY_DAYS`` days so that a whole winter can be reported on.

The file is checked when it is loaded, part by part: a group or a period that does not have this
shape (edited by hand, disk trouble, a future version) is dropped, the rest is kept. The original
file is then set aside under ``delestage.shedding.malformed`` (one error in the log, a repair
issue). The loads named in an unreadable group's ``loads`` / ``pending`` may have been switched
off, so they are kept in an ended group to be switched back on (never strand a load).

The entry written before a load is switched off must really be on disk: ``Store`` logs a failed
write and goes on, so the journal's writes are checked (``JournalWriteError``) and fsync'ed
(atomic writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant, valid_entity_id
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN

STORAGE_KEY: Final = f"{DOMAIN}.shedding"
STORAGE_VERSION: Final = 1
MALFORMED_STORAGE_KEY: Final = f"{STORAGE_KEY}.malformed"
# A winter and then some: the shedding report (issue 16) compares one winter with the last.
HISTORY_DAYS: Final = 400


class MalformedStoreError(ValueError):
    """The stored data does not have the expected shape."""


class JournalWriteError(Exception):
    """The journal could not be written to disk (full or read-only disk, or stopping)."""


def _entity_ids(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(e, str) and "." in e for e in value):
        raise MalformedStoreError(f"{key} is not a list of entity IDs")
    return list(dict.fromkeys(value))


def _entity_ids_in(value: Any) -> list[str]:
    """Every entity ID found in a damaged value (the signal a group follows excepted)."""
    if isinstance(value, str):
        return [value] if valid_entity_id(value) else []
    if isinstance(value, dict):
        return [
            entity_id
            for key, item in value.items()
            if key != "signal"
            for entity_id in _entity_ids_in(item)
        ]
    if isinstance(value, list):
        return [entity_id for item in value for entity_id in _entity_ids_in(item)]
    return []


def _datetime(value: Any, key: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or (parsed := dt_util.parse_datetime(value)) is None:
        raise MalformedStoreError(f"{key} is not a date and time")
    if parsed.tzinfo is None:
        raise MalformedStoreError(f"{key} has no time zone")
    return parsed


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass
class ShedGroup:
    """One group: the period in progress (``active``) or loads left to switch on after it."""

    active: bool = False
    # The loads the automation asked to keep off during the period.
    members: list[str] = field(default_factory=list)
    # Switched off by this group (or possibly: the call was interrupted): switched on at the end.
    loads: list[str] = field(default_factory=list)
    # About to be switched off: written before the call, moved to ``loads`` after it.
    pending: list[str] = field(default_factory=list)
    # Members a person switched on during the period: theirs until the period ends.
    overridden: list[str] = field(default_factory=list)
    started: datetime | None = None
    # The period's upper bound: past it the loads are switched back on whatever the signal says.
    deadline: datetime | None = None
    # The signal entity the automation follows, to tell "signal unavailable" in the repair issue.
    signal: str | None = None
    # Ended by the deadline or as an orphan: later sheds wait for the automation's restore.
    expired: bool = False

    def to_restore(self) -> list[str]:
        """Everything that may have been switched off."""
        return list(dict.fromkeys([*self.loads, *self.pending]))

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {
            "active": self.active,
            "members": list(self.members),
            "loads": list(self.loads),
            "pending": list(self.pending),
            "overridden": list(self.overridden),
            "started": _iso(self.started),
            "deadline": _iso(self.deadline),
            "signal": self.signal,
            "expired": self.expired,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ShedGroup:
        """Restore from the store; raise ``MalformedStoreError`` on anything unexpected."""
        if not isinstance(data, dict):
            raise MalformedStoreError("a group is not an object")
        active, expired = data.get("active", False), data.get("expired", False)
        signal = data.get("signal")
        if not isinstance(active, bool) or not isinstance(expired, bool):
            raise MalformedStoreError("active/expired are not booleans")
        if signal is not None and not isinstance(signal, str):
            raise MalformedStoreError("signal is not an entity ID")
        loads = _entity_ids(data.get("loads"), "loads")
        # "waiting" (version 1.0): loads unavailable at the start, members like the others.
        members = _entity_ids(data.get("members"), "members") or list(
            dict.fromkeys([*loads, *_entity_ids(data.get("waiting"), "waiting")])
        )
        return cls(
            active=active,
            members=members,
            # Interrupted by a restart: the load may be off, so it is switched on at the end.
            loads=list(dict.fromkeys([*loads, *_entity_ids(data.get("pending"), "pending")])),
            overridden=_entity_ids(data.get("overridden"), "overridden"),
            started=_datetime(data.get("started"), "started"),
            deadline=_datetime(data.get("deadline"), "deadline"),
            signal=signal,
            expired=expired,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ShedPeriod:
    """One shed period of one group, finished (``end`` set) or running (``end`` None)."""

    group: str  # the automation's entity id (or the name its caller gave)
    start: datetime
    end: datetime | None
    loads: tuple[str, ...]  # the loads switched off during the period
    # Why it ended: "restored" (the signal), "forgotten" (restore without switching on),
    # "max_duration", "signal_unavailable", "orphaned", "unreadable" (its group could not be
    # read from the store); None while running.
    end_reason: str | None = None
    # The sensor the automation follows (Ecowatt level now, Tempo today...), when it said.
    signal: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {
            "group": self.group,
            "start": self.start.isoformat(),
            "end": _iso(self.end),
            "loads": list(self.loads),
            "end_reason": self.end_reason,
            "signal": self.signal,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ShedPeriod:
        """Restore from the store; raise ``MalformedStoreError`` on anything unexpected."""
        if not isinstance(data, dict) or not isinstance(data.get("group"), str):
            raise MalformedStoreError("a period has no group")
        start = _datetime(data.get("start"), "start")
        if start is None:
            raise MalformedStoreError("a period has no start")
        reason, signal = data.get("end_reason"), data.get("signal")
        if reason is not None and not isinstance(reason, str):
            raise MalformedStoreError("end_reason is not a string")
        if signal is not None and not isinstance(signal, str):
            raise MalformedStoreError("signal is not an entity ID")
        return cls(
            group=data["group"],
            start=start,
            end=_datetime(data.get("end"), "end"),
            loads=tuple(_entity_ids(data.get("loads"), "loads")),
            end_reason=reason,
            signal=signal,
        )


@dataclass
class StoreDamage:
    """What could not be read from the store."""

    errors: list[str] = field(default_factory=list)
    # Loads named by the groups that could not be read: may be off, to be checked.
    unreadable_loads: list[str] = field(default_factory=list)


@dataclass
class ShedState:
    """Everything the store holds."""

    groups: dict[str, ShedGroup] = field(default_factory=dict)
    periods: list[ShedPeriod] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {
            "groups": {name: group.as_dict() for name, group in self.groups.items()},
            "periods": [period.as_dict() for period in self.periods],
        }

    @classmethod
    def from_dict(cls, data: Any) -> tuple[ShedState, StoreDamage]:
        """Restore from the store, keeping every group and period that can be read."""
        damage = StoreDamage()
        if not isinstance(data, dict):
            damage.errors.append("the data is not an object")
            damage.unreadable_loads = list(dict.fromkeys(_entity_ids_in(data)))
            return cls(), damage
        state = cls()
        groups, periods = data.get("groups", {}), data.get("periods", [])
        if isinstance(groups, dict):
            for name, raw in groups.items():
                try:
                    state.groups[str(name)] = ShedGroup.from_dict(raw)
                except (ValueError, TypeError, AttributeError, KeyError) as err:
                    damage.errors.append(f"group {name}: {err}")
                    state.salvage_group(str(name), raw, damage)
        else:
            damage.errors.append("groups is not an object")
            damage.unreadable_loads.extend(_entity_ids_in(groups))
        if isinstance(periods, list):
            for index, raw in enumerate(periods):
                try:
                    state.periods.append(ShedPeriod.from_dict(raw))
                except (ValueError, TypeError, AttributeError, KeyError) as err:
                    damage.errors.append(f"period {index + 1}: {err}")
        else:
            damage.errors.append("periods is not a list")
        damage.unreadable_loads = list(dict.fromkeys(damage.unreadable_loads))
        return state, damage

    def salvage_group(self, name: str, raw: Any, damage: StoreDamage) -> None:
        """Keep what an unreadable group says was switched off, to switch it back on."""
        if not isinstance(raw, dict):
            damage.unreadable_loads.extend(_entity_ids_in(raw))
            return
        switched_off = _entity_ids_in([raw.get("loads"), raw.get("pending")])
        damage.unreadable_loads.extend(
            [*switched_off, *_entity_ids_in([raw.get("members"), raw.get("overridden")])]
        )
        if switched_off:
            self.groups[name] = ShedGroup(loads=switched_off)

    # --- Period history ---

    def running_period(self, group_name: str) -> ShedPeriod | None:
        """Return the running period of a group, if any."""
        for period in reversed(self.periods):
            if period.group == group_name and period.end is None:
                return period
        return None

    def start_period(self, group_name: str, start: datetime) -> None:
        """Open a period for a group (closing a stray running one first)."""
        self.end_period(group_name, start, "restored")
        self.periods.append(ShedPeriod(group=group_name, start=start, end=None, loads=()))

    def set_period_signal(self, group_name: str, signal: str | None) -> None:
        """Record the signal the group's running period follows."""
        if (period := self.running_period(group_name)) is not None and period.signal != signal:
            self.periods[self.periods.index(period)] = replace(period, signal=signal)

    def add_period_load(self, group_name: str, entity_id: str) -> None:
        """Add a load switched off during the group's running period."""
        if (period := self.running_period(group_name)) is None or entity_id in period.loads:
            return
        self.periods[self.periods.index(period)] = replace(period, loads=(*period.loads, entity_id))

    def rename_period_load(self, group_name: str, old: str, new: str | None) -> None:
        """Follow a load renamed (``new``) or removed (None) during the group's running period."""
        if (period := self.running_period(group_name)) is None or old not in period.loads:
            return
        loads = [entity_id for entity_id in period.loads if entity_id != old]
        if new is not None:
            loads.insert(period.loads.index(old), new)
        self.periods[self.periods.index(period)] = replace(
            period, loads=tuple(dict.fromkeys(loads))
        )

    def end_period(self, group_name: str, end: datetime, reason: str) -> None:
        """Close the group's running period."""
        if (period := self.running_period(group_name)) is not None:
            self.periods[self.periods.index(period)] = replace(period, end=end, end_reason=reason)

    def prune(self, now: datetime) -> None:
        """Forget periods that ended more than ``HISTORY_DAYS`` ago."""
        oldest = now - timedelta(days=HISTORY_DAYS)
        self.periods = [p for p in self.periods if p.end is None or p.end >= oldest]


class JournalStore(Store[dict[str, Any]]):
    """A ``Store`` that remembers whether its last write reached the disk.

    ``Store`` logs a failed write (full or read-only disk) and returns as if it had written; a
    journal must know, to leave a load (or a thermostat) as it is rather than change it
    unrecorded. ``_async_write_data`` is the one step every write (immediate, delayed, final)
    goes through. Also used by pre-heating (``anticipation/store.py``).
    """

    write_error: Exception | None = None
    writes: int = 0

    async def _async_write_data(self, data: dict[str, Any]) -> None:
        try:
            await super()._async_write_data(data)
        except Exception as err:
            self.write_error = err
            raise
        finally:
            self.writes += 1
        self.write_error = None

    async def async_write_checked(self, data: dict[str, Any], *, closed: bool = False) -> None:
        """Write now and make sure it reached the disk; raise ``JournalWriteError`` if not."""
        writes = self.writes
        if not closed:
            await self.async_save(data)
        if self.writes == writes:
            # Closed, or deferred by Store to the final write (stopping): not "before the call".
            raise JournalWriteError("not written: Home Assistant is stopping")
        if (error := self.write_error) is not None:
            raise JournalWriteError(str(error)) from error


class ShedStore:
    """Loads, validates and saves ``ShedState``."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the store."""
        # Atomic writes (fsync): "written before the switch-off" must survive a power cut too.
        self._store = JournalStore(hass, STORAGE_VERSION, STORAGE_KEY, atomic_writes=True)
        self._malformed: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, MALFORMED_STORAGE_KEY)
        # Set when Home Assistant stops: commands still running then write nothing more.
        self.closed = False

    async def async_load(self) -> tuple[ShedState, StoreDamage]:
        """Return the stored state (what could be read of it) and what could not be read."""
        raw = await self._store.async_load()
        if raw is None:
            return ShedState(), StoreDamage()
        state, damage = ShedState.from_dict(raw)
        if damage.errors:
            # Kept as it was for whoever wants to look at it; what could be read goes on.
            await self._malformed.async_save({"data": raw, "error": "; ".join(damage.errors)})
            await self._store.async_save(state.as_dict())
        return state, damage

    async def async_save(self, state: ShedState) -> None:
        """Write now (best effort: a failure is logged by ``Store``)."""
        if not self.closed:
            await self._store.async_save(state.as_dict())

    async def async_write_journal(self, state: ShedState) -> None:
        """Write now and make sure it reached the disk; raise ``JournalWriteError`` if not."""
        await self._store.async_write_checked(state.as_dict(), closed=self.closed)

    def async_delay_save(self, state: ShedState) -> None:
        """Write soon (from a callback)."""
        if not self.closed:
            self._store.async_delay_save(state.as_dict, 0)
