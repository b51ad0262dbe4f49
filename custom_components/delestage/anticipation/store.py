"""What pre-heating remembers on disk: the periods asked for, what it changed, the models.

One ``Store`` (``.storage/delestage.anticipation``) holds

- ``rooms``: per thermostat, the periods asked for it (each with the groups that asked), the
  boost and floor of the last call, and the **run** of the period in progress: the user's
  setting (set point, preset, mode) written *before* the first command, what Délestage asked
  last, and the plan's steps (frozen once the first one is carried out, so a restart goes on
  with the same plan). A thermostat someone else set meanwhile is ``released``: its setting
  is theirs and nothing is restored;
- ``tanks``: the same for the water heaters;
- ``models``: the model learned for each thermostat (a restart plans with it at once).

Like the load-shedding journal (``shedding/store.py``, whose checked writer it uses), the file
is read part by part: a room or a tank that does not have this shape is dropped, the rest is
kept, the original is set aside under ``delestage.anticipation.malformed`` and the entity ids
it names are salvaged, to be put back to what the user had (never strand a room).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from homeassistant.core import HomeAssistant, valid_entity_id
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..shedding.store import JournalStore, JournalWriteError, MalformedStoreError
from .learning import FitStatus
from .planner import Phase
from .thermal import ThermalModel

STORAGE_KEY: Final = f"{DOMAIN}.anticipation"
STORAGE_VERSION: Final = 1
MALFORMED_STORAGE_KEY: Final = f"{STORAGE_KEY}.malformed"

__all__ = [
    "MALFORMED_STORAGE_KEY",
    "STORAGE_KEY",
    "Claim",
    "JournalWriteError",
    "LearnedModel",
    "PreheatState",
    "PreheatStore",
    "Record",
    "Run",
    "Setting",
    "StepRecord",
    "StoreDamage",
]


def _datetime(value: Any, key: str) -> datetime:
    if not isinstance(value, str) or (parsed := dt_util.parse_datetime(value)) is None:
        raise MalformedStoreError(f"{key} is not a date and time")
    if parsed.tzinfo is None:
        raise MalformedStoreError(f"{key} has no time zone")
    return parsed


def _number(value: Any, key: str, *, optional: bool = True) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedStoreError(f"{key} is not a number")
    return float(value)


def _text(value: Any, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise MalformedStoreError(f"{key} is not a text")
    return value


def _flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise MalformedStoreError(f"{key} is not a boolean")
    return value


def _object(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedStoreError(f"{key} is not an object")
    return value


@dataclass(frozen=True, slots=True)
class Setting:
    """What a thermostat or a tank is set to.

    A thermostat: its set point (``temperature``), ``preset`` and HVAC ``mode``. A tank: its
    ``mode`` (``on`` / ``off`` for a switch, the operation mode of a water heater).
    """

    temperature: float | None = None
    preset: str | None = None
    mode: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {"temperature": self.temperature, "preset": self.preset, "mode": self.mode}

    @classmethod
    def from_dict(cls, data: Any) -> Setting:
        """Restore from the store; raise ``MalformedStoreError`` on anything unexpected."""
        data = _object(data, "setting")
        return cls(
            _number(data.get("temperature"), "temperature"),
            _text(data.get("preset"), "preset"),
            _text(data.get("mode"), "mode"),
        )


@dataclass(frozen=True, slots=True)
class Claim:
    """A period asked for, and the groups (calling automations) that asked for it."""

    start: datetime
    end: datetime
    groups: tuple[str, ...] = ("",)

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "groups": [*self.groups],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Claim:
        """Restore from the store."""
        data = _object(data, "period")
        groups = data.get("groups", [""])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise MalformedStoreError("groups is not a list of names")
        start, end = _datetime(data.get("start"), "start"), _datetime(data.get("end"), "end")
        if end <= start:
            raise MalformedStoreError("a period ends before it starts")
        return cls(start, end, tuple(dict.fromkeys(groups)) or ("",))


@dataclass(frozen=True, slots=True)
class StepRecord:
    """From ``at`` on, the setting a step asks for (``phase``: a planner phase or a tank's)."""

    at: datetime
    phase: str
    setting: Setting

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {"at": self.at.isoformat(), "phase": self.phase, "setting": self.setting.as_dict()}

    @classmethod
    def from_dict(cls, data: Any) -> StepRecord:
        """Restore from the store."""
        data = _object(data, "step")
        phase = _text(data.get("phase"), "phase")
        if not phase:
            raise MalformedStoreError("a step has no phase")
        return cls(_datetime(data.get("at"), "at"), phase, Setting.from_dict(data.get("setting")))


@dataclass(slots=True)
class Run:
    """What Délestage did to one thermostat or tank for the period in progress."""

    start: datetime
    end: datetime
    user: Setting  # written before the first command: what is restored after the period
    steps: list[StepRecord] = field(default_factory=list)
    applied: Setting | None = None  # what Délestage asked last (None: nothing yet)
    phase: str | None = None
    released: bool = False  # someone else set it meanwhile: theirs, nothing restored
    # Put back to the user's setting when Home Assistant stopped; the step is asked again.
    suspended: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "user": self.user.as_dict(),
            "steps": [step.as_dict() for step in self.steps],
            "applied": None if self.applied is None else self.applied.as_dict(),
            "phase": self.phase,
            "released": self.released,
            "suspended": self.suspended,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Run:
        """Restore from the store."""
        data = _object(data, "run")
        steps = data.get("steps", [])
        if not isinstance(steps, list):
            raise MalformedStoreError("steps is not a list")
        applied = data.get("applied")
        return cls(
            start=_datetime(data.get("start"), "start"),
            end=_datetime(data.get("end"), "end"),
            user=Setting.from_dict(data.get("user")),
            steps=[StepRecord.from_dict(step) for step in steps],
            applied=None if applied is None else Setting.from_dict(applied),
            phase=_text(data.get("phase"), "phase"),
            released=_flag(data.get("released", False), "released"),
            suspended=_flag(data.get("suspended", False), "suspended"),
        )

    def step_at(self, now: datetime) -> StepRecord | None:
        """Return the step in effect at ``now`` (None: the first has not come yet)."""
        current = None
        for step in self.steps:
            if step.at <= now:
                current = step
        return current


@dataclass(slots=True)
class Record:
    """One thermostat or tank: the periods asked for it, its settings and its run."""

    claims: list[Claim] = field(default_factory=list)
    boost: float | None = None
    floor: float | None = None  # as given: °C, or K below the set point (see services)
    run: Run | None = None

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {
            "periods": [claim.as_dict() for claim in self.claims],
            "boost": self.boost,
            "floor": self.floor,
            "run": None if self.run is None else self.run.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Record:
        """Restore from the store."""
        data = _object(data, "record")
        claims = data.get("periods", [])
        if not isinstance(claims, list):
            raise MalformedStoreError("periods is not a list")
        run = data.get("run")
        return cls(
            claims=sorted((Claim.from_dict(c) for c in claims), key=lambda c: c.start),
            boost=_number(data.get("boost"), "boost"),
            floor=_number(data.get("floor"), "floor"),
            run=None if run is None else Run.from_dict(run),
        )


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """The last fit of a thermostat's history (what the sensors show, what plans use)."""

    status: FitStatus
    fitted: ThermalModel | None
    rmse_k: float | None
    days_used: float
    learned_at: datetime
    comfort: float | None = None  # a preset heater's comfort temperature, seen in its history

    @property
    def learned(self) -> bool:
        """Whether plans use the fitted model."""
        return self.status is FitStatus.LEARNED and self.fitted is not None

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        fitted = self.fitted
        return {
            "status": self.status.value,
            "tau_h": None if fitted is None else fitted.tau_h,
            "heating_rate": None if fitted is None else fitted.heating_rate,
            "gain_rate": None if fitted is None else fitted.gain_rate,
            "rmse_k": self.rmse_k,
            "days_used": self.days_used,
            "learned_at": self.learned_at.isoformat(),
            "comfort": self.comfort,
        }

    @classmethod
    def from_dict(cls, data: Any) -> LearnedModel:
        """Restore from the store."""
        data = _object(data, "model")
        try:
            status = FitStatus(data.get("status"))
        except ValueError as err:
            raise MalformedStoreError("unknown fit status") from err
        tau = _number(data.get("tau_h"), "tau_h")
        rate = _number(data.get("heating_rate"), "heating_rate")
        gain = _number(data.get("gain_rate"), "gain_rate")
        fitted = None
        if tau is not None and rate is not None and tau > 0:
            fitted = ThermalModel(tau, rate, gain or 0.0)
        days = _number(data.get("days_used"), "days_used", optional=False)
        assert days is not None
        return cls(
            status,
            fitted,
            _number(data.get("rmse_k"), "rmse_k"),
            days,
            _datetime(data.get("learned_at"), "learned_at"),
            _number(data.get("comfort"), "comfort"),
        )


@dataclass
class StoreDamage:
    """What could not be read from the store."""

    errors: list[str] = field(default_factory=list)
    # Thermostats and tanks named by parts that could not be read: maybe left changed.
    rooms: list[str] = field(default_factory=list)
    tanks: list[str] = field(default_factory=list)


def _entity_ids_in(value: Any) -> list[str]:
    """Every entity id found in a damaged value."""
    if isinstance(value, str):
        return [value] if valid_entity_id(value) else []
    if isinstance(value, dict):
        return [e for key, item in value.items() for e in _entity_ids_in([key, item])]
    if isinstance(value, list):
        return [entity_id for item in value for entity_id in _entity_ids_in(item)]
    return []


def _salvage_run(raw: Any, now: datetime) -> Run | None:
    """Return what can be read of a damaged record's run: its user's setting, if readable."""
    if not isinstance(raw, dict) or not isinstance(run := raw.get("run"), dict):
        return None
    try:
        user = Setting.from_dict(run.get("user"))
    except MalformedStoreError:
        return None
    # The period is unknown: it ended (the setting is put back at once).
    return Run(start=now, end=now, user=user, applied=Setting(), phase=Phase.RESTORE.value)


@dataclass
class PreheatState:
    """Everything the store holds."""

    rooms: dict[str, Record] = field(default_factory=dict)
    tanks: dict[str, Record] = field(default_factory=dict)
    models: dict[str, LearnedModel] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Serialise for the store."""
        return {
            "rooms": {entity_id: record.as_dict() for entity_id, record in self.rooms.items()},
            "tanks": {entity_id: record.as_dict() for entity_id, record in self.tanks.items()},
            "models": {entity_id: model.as_dict() for entity_id, model in self.models.items()},
        }

    @classmethod
    def from_dict(cls, data: Any, now: datetime) -> tuple[PreheatState, StoreDamage]:
        """Restore from the store, keeping every record that can be read."""
        damage = StoreDamage()
        state = cls()
        if not isinstance(data, dict):
            damage.errors.append("the data is not an object")
            damage.rooms = [e for e in _entity_ids_in(data) if e.startswith("climate.")]
            damage.tanks = [e for e in _entity_ids_in(data) if not e.startswith("climate.")]
            return state, damage
        for key, records, damaged in (
            ("rooms", state.rooms, damage.rooms),
            ("tanks", state.tanks, damage.tanks),
        ):
            raw_records = data.get(key, {})
            if not isinstance(raw_records, dict):
                damage.errors.append(f"{key} is not an object")
                damaged.extend(_entity_ids_in(raw_records))
                continue
            for entity_id, raw in raw_records.items():
                try:
                    if not valid_entity_id(entity_id):
                        raise MalformedStoreError("not an entity id")  # noqa: TRY301
                    records[entity_id] = Record.from_dict(raw)
                except (MalformedStoreError, TypeError, AttributeError, KeyError) as err:
                    damage.errors.append(f"{entity_id}: {err}")
                    for found in _entity_ids_in([entity_id, raw]):
                        damaged.append(found)
                        if (run := _salvage_run(raw, now)) is not None and found == entity_id:
                            records[found] = Record(run=run)
        models = data.get("models", {})
        if isinstance(models, dict):
            for entity_id, raw in models.items():
                try:
                    state.models[entity_id] = LearnedModel.from_dict(raw)
                except (MalformedStoreError, TypeError, AttributeError, KeyError) as err:
                    # A model is learned again: nothing to put back.
                    damage.errors.append(f"model of {entity_id}: {err}")
        else:
            damage.errors.append("models is not an object")
        damage.rooms = list(dict.fromkeys(damage.rooms))
        damage.tanks = list(dict.fromkeys(damage.tanks))
        return state, damage


class PreheatStore:
    """Loads, validates and saves :class:`PreheatState`; checked writes before commands."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Create the store (atomic writes: what is written before a command must last)."""
        self._store = JournalStore(hass, STORAGE_VERSION, STORAGE_KEY, atomic_writes=True)
        self._malformed: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, MALFORMED_STORAGE_KEY)
        self.closed = False
        # What the file holds (read or written last): an unchanged state is not written again,
        # and a home that never uses pre-heating gets no file.
        self._written: dict[str, Any] = PreheatState().as_dict()

    async def async_load(self, now: datetime) -> tuple[PreheatState, StoreDamage]:
        """Return the stored state (what could be read of it) and what could not be read."""
        raw = await self._store.async_load()
        if raw is None:
            return PreheatState(), StoreDamage()
        state, damage = PreheatState.from_dict(raw, now)
        self._written = state.as_dict()
        if damage.errors:
            await self._malformed.async_save({"data": raw, "error": "; ".join(damage.errors)})
            await self._store.async_save(self._written)
        return state, damage

    async def async_write_journal(self, state: PreheatState) -> None:
        """Write now and make sure it reached the disk; raise ``JournalWriteError`` if not."""
        data = state.as_dict()
        await self._store.async_write_checked(data, closed=self.closed)
        self._written = data

    async def async_save(self, state: PreheatState) -> None:
        """Write now, if anything changed (best effort: a failure is logged by ``Store``)."""
        if (data := state.as_dict()) != self._written and not self.closed:
            self._written = data
            await self._store.async_save(data)

    def async_delay_save(self, state: PreheatState) -> None:
        """Write soon, if anything changed (from a callback)."""
        if (data := state.as_dict()) != self._written and not self.closed:
            self._written = data
            self._store.async_delay_save(lambda: data, 1)
