"""What a heated room does around a red period: pre-heat, coast, hold a floor, restore.

For one period (an Ecowatt run, a Tempo red day's 06:00-22:00) and one room, the planner
simulates the room (``thermal``) on a 5-minute grid under a few candidate plans and keeps the
cheapest one that holds the comfort floor:

* **coast**: the room stays above the floor with the heating off for the whole period, no
  pre-heat needed;
* **pre-heat and coast**: heating up to ``boost`` above the set point (never above the
  thermostat's maximum; the smallest pre-heat that is enough) just before the period, then off
  for the whole period;
* **pre-heat and hold** (short periods) or **lowered set point** (Tempo red days, periods over
  :data:`LONG_PERIOD`): the full pre-heat, then the set point lowered to the floor, so the
  heating stays off while the room is above it and then only holds it. A 16-hour red day
  cannot be coasted (RC arithmetic: pre-heating buys 0.5-1.5 K), so the pre-heat is the night
  before, in the off-peak hours (:func:`tempo_preheat_from`).

During the period a set-point thermostat is set to the floor plus :data:`HOLD_MARGIN`:
thermostats regulate within a band (``generic_thermostat``: ± 0.3 K), and the floor is the
lowest the room may reach, not the middle of the band. A preset-only heater (pilot wire:
comfort / eco / frost…) cannot be asked for a temperature: each preset stands for the one it
holds (:func:`preset_temperatures`), pre-heating is comfort earlier (never above comfort: the
radiator's own thermostat), and the floor is held by the lowest preset at or above it, or, if
there is none below comfort, by switching to comfort when the room is predicted to reach it.

No Home Assistant import: the Home Assistant side builds :class:`Room` from a climate entity's
attributes and carries the steps out; the benchmark runs this very code on simulated houses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import math
import re
from typing import Final

from ..report.model import PeriodKind, ShedPeriod
from .thermal import Outdoor, ThermalModel

BOOST: Final = 1.5  # K above the set point at most
FLOOR_DROP: Final = 2.0  # K: default floor below the set point
HOLD_MARGIN: Final = 0.5  # K: a thermostat holding the floor is set this much above it
COAST_MARGIN: Final = 0.2  # K: a coast must keep this much above what it must hold
LONG_PERIOD: Final = timedelta(hours=6)
PREHEAT_WINDOW: Final = timedelta(hours=6)  # how early a pre-heat may start (short periods)
TEMPO_NIGHT: Final = timedelta(hours=8)  # the off-peak night before red HP: 22:00 to 06:00
# A pre-heat starts this much earlier than the model says it needs (model error, a thermostat
# slower to react), plus a fixed slack.
PREHEAT_SAFETY: Final = 0.25
PREHEAT_SLACK: Final = timedelta(minutes=10)
STEP: Final = timedelta(minutes=5)
# Preset temperatures when the heater does not say (pilot wire: eco = comfort − 3.5 K,
# frost protection 7 °C; reference/anticipation.md §2).
ECO_DROP: Final = 3.5
FROST: Final = 7.0
_TOLERANCE: Final = 1e-6


class Strategy(StrEnum):
    """How the room goes through the period."""

    NONE = "none"
    COAST = "coast"
    PREHEAT_COAST = "preheat_coast"
    PREHEAT_HOLD = "preheat_hold"
    LOWERED_SET_POINT = "lowered_set_point"


class Phase(StrEnum):
    """What a step asks of the thermostat."""

    PREHEAT = "preheat"  # heat up to the pre-heat target before the period
    COAST = "coast"  # the period: heating off while the room is above the floor
    HOLD = "hold"  # preset heaters: the preset that holds the floor, once it is reached
    RESTORE = "restore"  # the period is over: back to the user's set point or preset


@dataclass(frozen=True, slots=True)
class Room:
    """A thermostat as the planner sees it (from the climate entity's attributes).

    ``set_point`` is the user's set point (for a preset heater, the comfort temperature);
    ``current_target`` what the thermostat holds now, if lower (a night setback, eco).
    ``floor`` is absolute (°C); None means ``set_point − floor_drop``. ``presets`` maps a
    preset-only heater's presets to the temperature each holds (None: a set-point thermostat).
    """

    set_point: float
    boost: float = BOOST
    floor: float | None = None
    floor_drop: float = FLOOR_DROP
    max_temp: float = 35.0
    min_temp: float = 7.0
    step: float = 0.1
    current_target: float | None = None
    presets: Mapping[str, float] | None = None
    comfort_preset: str = "comfort"

    @property
    def comfort_floor(self) -> float:
        """The lowest temperature the room may reach during a period (°C)."""
        floor = self.floor if self.floor is not None else self.set_point - self.floor_drop
        return min(max(floor, self.min_temp), self.set_point)

    @property
    def target_now(self) -> float:
        """The temperature the thermostat holds before any plan."""
        return self.set_point if self.current_target is None else self.current_target


@dataclass(frozen=True, slots=True)
class Step:
    """From ``at`` on, ask the thermostat for ``target`` (or select ``preset``)."""

    at: datetime
    phase: Phase
    target: float
    preset: str | None = None


@dataclass(frozen=True, slots=True)
class RoomPlan:
    """A room's plan for a period and what the model predicts of it.

    Heating figures are in full-power hours (× the heater's kW = kWh). ``learned`` False: the
    plan used the cautious default model ("not learned yet").
    """

    period: ShedPeriod
    strategy: Strategy
    learned: bool
    floor: float
    steps: tuple[Step, ...] = ()
    preheat_start: datetime | None = None
    preheat_target: float | None = None
    boost_capped: bool = False  # the thermostat's maximum (or comfort) limited the pre-heat
    predicted_at_start: float | None = None
    predicted_lowest: float | None = None
    floor_reached_at: datetime | None = None
    heating_hours: float = 0.0  # during the period
    baseline_heating_hours: float = 0.0  # during the period, without a plan
    preheat_hours: float = 0.0  # extra heating before the period, against no plan
    coast_hours: float = 0.0  # heating off from the set point at the period's start
    notes: tuple[str, ...] = field(default=())

    @property
    def avoided_share(self) -> float:
        """Predicted share of the period's heating avoided (0..1)."""
        if self.baseline_heating_hours <= 0.0:
            return 0.0
        return max(0.0, 1.0 - self.heating_hours / self.baseline_heating_hours)

    @property
    def reason(self) -> str:
        """Why this strategy, in one English sentence (logs, attributes, docs)."""
        hours = (self.period.end - self.period.start).total_seconds() / 3600.0
        preheat = (
            f"pre-heated to {self.preheat_target:.1f} °C"
            if self.preheat_target is not None
            else "no pre-heat possible"
        )
        text = {
            Strategy.NONE: "Nothing to do",
            Strategy.COAST: (
                f"The room stays above {self.floor:.1f} °C for the {hours:.0f} h with the "
                "heating off, no pre-heat needed"
            ),
            Strategy.PREHEAT_COAST: (
                f"Once {preheat}, the room goes through the {hours:.0f} h with the heating off"
            ),
            Strategy.PREHEAT_HOLD: (
                f"{preheat[0].upper()}{preheat[1:]}; then heating off until the room reaches "
                f"{self.floor:.1f} °C, which is held to the end"
            ),
            Strategy.LOWERED_SET_POINT: (
                f"{hours:.0f} h is too long to coast: set point lowered to {self.floor:.1f} °C, "
                f"{preheat} in the off-peak hours before"
            ),
        }[self.strategy]
        parts = [text, *self.notes]
        if not self.learned:
            parts.append("model not learned yet: cautious default")
        return "; ".join(parts) + "."


# --------------------------------------------------------------------------- presets

_COMFORT_MINUS = re.compile(r"^comfort[ _]?-\s?([12])$")
_FROST_NAMES: Final = frozenset({"frost", "frost_protection", "hors_gel", "hors-gel", "away"})


def preset_temperatures(
    preset_modes: Iterable[str],
    comfort: float,
    *,
    eco: float | None = None,
    frost: float = FROST,
) -> dict[str, float]:
    """Temperature each known preset holds, for a heater whose comfort holds ``comfort``.

    Pilot-wire orders: ``comfort``; ``comfort_-1`` / ``comfort-1`` / ``comfort_-2`` (1 or 2 K
    less); ``eco`` (comfort − 3.5 K unless given); ``frost`` / ``frost_protection`` /
    ``away`` (Heatzy's hors-gel) at ``frost``. Others (``off``, ``boost``, ``none``, a
    brand's own) are left out: the planner never selects what it cannot predict.
    """
    known: dict[str, float] = {}
    for preset in preset_modes:
        name = preset.lower()
        if name == "comfort":
            known[preset] = comfort
        elif match := _COMFORT_MINUS.match(name):
            known[preset] = comfort - int(match.group(1))
        elif name == "eco":
            known[preset] = comfort - ECO_DROP if eco is None else eco
        elif name in _FROST_NAMES:
            known[preset] = frost
    return known


# --------------------------------------------------------------------------- simulation


@dataclass(frozen=True, slots=True)
class _Settings:
    """The targets of one candidate plan (°C), and when the pre-heat starts."""

    preheat_start: datetime | None
    preheat_target: float | None
    coast_target: float
    hold_target: float  # taken once the room reaches ``latch``
    latch: float


@dataclass(slots=True)
class _Run:
    """A simulated candidate: temperatures and heating before and during the period."""

    at_start: float
    lowest: float
    heating_before: float = 0.0
    heating_during: float = 0.0
    latched_at: datetime | None = None
    first_heat_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Grid:
    """The simulation's steps: start times, lengths (h) and mean outdoor temperatures."""

    times: tuple[datetime, ...]
    hours: tuple[float, ...]
    outdoor: tuple[float, ...]
    first_in_period: int  # index of the first step of the period

    @classmethod
    def build(cls, start: datetime, period: ShedPeriod, outdoor: Outdoor) -> _Grid:
        times: list[datetime] = []
        hours: list[float] = []
        temps: list[float] = []
        first = 0
        moment = start
        while moment < period.end:
            if moment < period.start:
                first = len(times) + 1
            boundary = period.start if moment < period.start else period.end
            following = min(moment + STEP, boundary)
            times.append(moment)
            hours.append((following - moment).total_seconds() / 3600.0)
            temps.append(outdoor.at(moment + (following - moment) / 2))
            moment = following
        return cls(tuple(times), tuple(hours), tuple(temps), first)


class _Simulator:
    """The room on the grid under an ideal thermostat.

    Full power below its target, just what holds the target at it, off above it (the
    ``ThermalModel`` physics, inlined for speed).
    """

    __slots__ = ("_decays", "_gain_rise", "_heater_rise", "grid", "model", "start", "target_now")

    def __init__(self, model: ThermalModel, grid: _Grid, start: float, target_now: float) -> None:
        self.model = model
        self.grid = grid
        self.start = start
        self.target_now = target_now
        self._decays = tuple(math.exp(-hours / model.tau_h) for hours in grid.hours)
        self._heater_rise = model.heating_rate * model.tau_h
        self._gain_rise = model.gain_rate * model.tau_h

    def _step(self, index: int, temperature: float, target: float) -> tuple[float, float]:
        """Duty and temperature at the end of step ``index``."""
        decay = self._decays[index]
        free = self.grid.outdoor[index] + self._gain_rise
        needed = (target - temperature * decay) / (1.0 - decay)
        duty = min(1.0, max(0.0, (needed - free) / self._heater_rise))
        settle = free + duty * self._heater_rise
        return duty, settle + (temperature - settle) * decay

    def holding(self, target: float) -> list[float]:
        """Temperature at each step's start while the thermostat holds ``target``."""
        temperatures = [self.start]
        for index in range(len(self.grid.times)):
            temperatures.append(self._step(index, temperatures[-1], target)[1])
        return temperatures

    def run(self, settings: _Settings) -> _Run:
        """Simulate a candidate plan."""
        grid = self.grid
        temperature = self.start
        run = _Run(at_start=self.start, lowest=math.inf)
        latched = False
        for index, moment in enumerate(grid.times):
            if index < grid.first_in_period:
                preheating = settings.preheat_start is not None and moment >= settings.preheat_start
                target = settings.preheat_target if preheating else None
                duty, temperature = self._step(
                    index, temperature, self.target_now if target is None else target
                )
                run.heating_before += duty * grid.hours[index]
                continue
            if index == grid.first_in_period:
                run.at_start = temperature
            if not latched and temperature <= settings.latch + _TOLERANCE:
                latched = True
                run.latched_at = moment
            target = settings.hold_target if latched else settings.coast_target
            duty, temperature = self._step(index, temperature, target)
            run.heating_during += duty * grid.hours[index]
            run.lowest = min(run.lowest, temperature)
            if duty > 0.0 and run.first_heat_at is None:
                run.first_heat_at = moment
        return run

    def latest_start(
        self, holding: list[float], target: float, earliest: datetime, period_start: datetime
    ) -> datetime:
        """Latest step from which full power reaches ``target`` by the period's start.

        The grid starts at the earliest allowed pre-heat; if no step is late enough to be
        sufficient (or the heater cannot get there), the pre-heat starts at ``earliest``.
        """
        grid = self.grid
        for index in range(grid.first_in_period - 1, -1, -1):
            moment = grid.times[index]
            needed = self.model.heat_hours(holding[index], target, grid.outdoor[index])
            if math.isinf(needed):
                continue
            lead = timedelta(hours=needed * (1.0 + PREHEAT_SAFETY)) + PREHEAT_SLACK
            if moment + lead <= period_start:
                return moment
        return earliest


# --------------------------------------------------------------------------- planning


def tempo_preheat_from(period: ShedPeriod) -> datetime:
    """Start of the off-peak night before a Tempo red day's red hours (22:00, for 06:00)."""
    return period.start - TEMPO_NIGHT


def _round_down(value: float, step: float) -> float:
    return round(math.floor(value / step + _TOLERANCE) * step, 4)


def _round_up(value: float, step: float) -> float:
    return round(math.ceil(value / step - _TOLERANCE) * step, 4)


@dataclass(frozen=True, slots=True)
class _Choices:
    """What a room can be asked: pre-heat candidates and the period's targets/presets."""

    preheats: tuple[float, ...]  # ascending
    capped: bool
    coast_target: float
    hold_target: float
    latch: float
    coast_limit: float  # a coast must stay above this (plus COAST_MARGIN)
    preset_of: Mapping[float, str] = field(default_factory=dict)


def _thermostat_choices(room: Room, floor: float) -> _Choices:
    wanted = room.set_point + room.boost
    top = _round_down(min(wanted, room.max_temp), room.step)
    start = max(room.target_now, room.set_point)
    count = max(0, math.floor((top - start) / room.step + _TOLERANCE))
    preheats = [round(start + room.step * (i + 1), 4) for i in range(count)]
    if room.target_now < room.set_point - _TOLERANCE:
        preheats.insert(0, room.set_point)
    hold = min(max(_round_up(floor + HOLD_MARGIN, room.step), room.min_temp), room.set_point)
    return _Choices(
        tuple(preheats),
        capped=top < wanted - _TOLERANCE,
        coast_target=hold,
        hold_target=hold,
        latch=hold,
        coast_limit=hold,
    )


def _preset_choices(room: Room, presets: Mapping[str, float], floor: float) -> _Choices:
    by_temperature = {temperature: name for name, temperature in sorted(presets.items())}
    comfort = presets.get(room.comfort_preset, room.set_point)
    by_temperature[comfort] = room.comfort_preset
    holding = [t for t in by_temperature if t >= floor - _TOLERANCE]
    hold = min(holding) if holding else comfort
    # Coasting below comfort: the preset that holds the floor if there is one; else the
    # highest below the floor (eco rather than frost: if the switch to the floor's preset came
    # late, the room would still stop at eco).
    below = [t for t in by_temperature if t < floor - _TOLERANCE]
    coast = hold if hold < comfort - _TOLERANCE or not below else max(below)
    preheats = (comfort,) if room.target_now < comfort - _TOLERANCE else ()
    return _Choices(
        preheats,
        capped=room.boost > 0.0,
        coast_target=coast,
        hold_target=hold,
        latch=floor if coast < hold else hold,
        coast_limit=floor,
        preset_of=by_temperature,
    )


def plan_room(
    room: Room,
    model: ThermalModel,
    period: ShedPeriod,
    outdoor: Outdoor,
    *,
    now: datetime,
    temperature: float | None = None,
    preheat_from: datetime | None = None,
    learned: bool = True,
) -> RoomPlan:
    """Plan one room for one period, from ``now`` with the room at ``temperature``.

    A pre-heat starts no earlier than ``preheat_from`` (default: :data:`PREHEAT_WINDOW`
    before the period; Tempo red days: the off-peak night, :func:`tempo_preheat_from`; the end
    of an earlier period, so plans do not overlap) and ends at the period's start.
    ``outdoor`` is the forecast (or the current observation, flat). Re-plan when the room,
    its set point or the forecast change: a plan is cheap (a few milliseconds).
    """
    floor = room.comfort_floor
    if now >= period.end or room.set_point <= floor + _TOLERANCE:
        return RoomPlan(period, Strategy.NONE, learned, floor)
    choices = (
        _thermostat_choices(room, floor)
        if room.presets is None
        else _preset_choices(room, room.presets, floor)
    )
    if preheat_from is None:
        preheat_from = (
            tempo_preheat_from(period)
            if period.kind is PeriodKind.TEMPO_RED
            else period.start - PREHEAT_WINDOW
        )
    earliest = max(now, preheat_from)
    # The simulation starts at the earliest pre-heat; before it the thermostat holds its
    # current target, so a room planned a day ahead starts there at that target.
    sim_start = min(earliest, period.start) if now < period.start else now
    start_temperature = room.target_now
    if temperature is not None and sim_start == now:
        start_temperature = temperature
    simulator = _Simulator(
        model, _Grid.build(sim_start, period, outdoor), start_temperature, room.target_now
    )
    baseline = simulator.run(_Settings(None, None, room.set_point, room.set_point, -math.inf))
    preheats = choices.preheats if now < period.start else ()
    strategy, target, starts, run = _choose(simulator, choices, preheats, earliest, period)
    capped = choices.capped and strategy in (Strategy.PREHEAT_HOLD, Strategy.LOWERED_SET_POINT)
    notes: tuple[str, ...] = ()
    if capped:
        notes = (
            "a preset heater cannot be pre-heated above comfort"
            if room.presets is not None
            else "pre-heat limited by the thermostat's maximum",
        )
    coast = model.coast_hours(room.set_point, floor, outdoor.at(period.start))
    return RoomPlan(
        period=period,
        strategy=strategy,
        learned=learned,
        floor=floor,
        steps=_steps(room, period, choices, preheat_start=starts, preheat_target=target, run=run),
        preheat_start=starts,
        preheat_target=target,
        boost_capped=capped,
        predicted_at_start=round(run.at_start, 2),
        predicted_lowest=round(run.lowest, 2),
        floor_reached_at=run.latched_at if room.presets is not None else run.first_heat_at,
        heating_hours=round(run.heating_during, 3),
        baseline_heating_hours=round(baseline.heating_during, 3),
        preheat_hours=round(max(0.0, run.heating_before - baseline.heating_before), 3),
        coast_hours=round(coast, 2) if math.isfinite(coast) else math.inf,
        notes=notes,
    )


def _choose(
    simulator: _Simulator,
    choices: _Choices,
    preheats: tuple[float, ...],
    earliest: datetime,
    period: ShedPeriod,
) -> tuple[Strategy, float | None, datetime | None, _Run]:
    """Strategy, pre-heat target and start, and the simulated run of the chosen plan."""

    def settings(preheat: float | None, starts: datetime | None) -> _Settings:
        return _Settings(starts, preheat, choices.coast_target, choices.hold_target, choices.latch)

    def coasts(run: _Run) -> bool:
        return run.lowest >= choices.coast_limit + COAST_MARGIN and run.heating_during < 0.01

    without = simulator.run(settings(None, None))
    if coasts(without):
        return Strategy.COAST, None, None, without
    long_period = period.kind is PeriodKind.TEMPO_RED or period.end - period.start > LONG_PERIOD
    strategy = Strategy.LOWERED_SET_POINT if long_period else Strategy.PREHEAT_HOLD
    if not preheats:
        return strategy, None, None, without
    holding = simulator.holding(simulator.target_now)
    runs: dict[int, tuple[datetime, _Run]] = {}

    def candidate(index: int) -> tuple[datetime, _Run]:
        if index not in runs:
            starts = simulator.latest_start(holding, preheats[index], earliest, period.start)
            runs[index] = starts, simulator.run(settings(preheats[index], starts))
        return runs[index]

    # A higher pre-heat never coasts worse: the smallest one that coasts, by bisection; if even
    # the highest does not, the highest (it saves the most during the period).
    best = len(preheats) - 1
    if coasts(candidate(best)[1]):
        strategy = Strategy.PREHEAT_COAST
        low = 0
        while low < best:
            middle = (low + best) // 2
            if coasts(candidate(middle)[1]):
                best = middle
            else:
                low = middle + 1
    starts, run = candidate(best)
    return strategy, preheats[best], starts, run


def _steps(
    room: Room,
    period: ShedPeriod,
    choices: _Choices,
    *,
    preheat_start: datetime | None,
    preheat_target: float | None,
    run: _Run,
) -> tuple[Step, ...]:
    """List the plan's steps: pre-heat, coast (and hold, for a preset heater), restore."""

    def preset(target: float) -> str | None:
        return choices.preset_of.get(target) if room.presets is not None else None

    steps: list[Step] = []
    if preheat_start is not None and preheat_target is not None:
        steps.append(Step(preheat_start, Phase.PREHEAT, preheat_target, preset(preheat_target)))
    steps.append(
        Step(period.start, Phase.COAST, choices.coast_target, preset(choices.coast_target))
    )
    if choices.hold_target != choices.coast_target and run.latched_at is not None:
        steps.append(
            Step(run.latched_at, Phase.HOLD, choices.hold_target, preset(choices.hold_target))
        )
    restore_preset = room.comfort_preset if room.presets is not None else None
    steps.append(Step(period.end, Phase.RESTORE, room.set_point, restore_preset))
    return tuple(steps)
