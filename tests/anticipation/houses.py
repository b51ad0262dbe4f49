"""Simulated houses for the pre-heating benchmark and tests: the truth the planner is run on.

Each house has rooms of known time constant and heater power (``tools/sandbox/rooms.py``), a
user schedule (20 °C, with or without a 17 °C night setback) and a ``generic_thermostat``
on each room. A case is a house on a winter day (one of :data:`WEATHERS`): 14 days of
thermostat-driven history (sensor noise, a window opened, a manual override, a recorder outage)
are learned, then a period of that day is run under three policies on the same weather:

* ``none``: nothing done, the schedule runs;
* ``shed``: today's shedding, the heater switched off for the whole period;
* ``plan``: the planner with the learned models, re-planned every hour until the period as the
  Home Assistant side does, its steps given to the thermostat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
import random
import time as clock

from custom_components.delestage.anticipation.learning import (
    Fit,
    RoomSample,
    heating_state,
    learn,
)
from custom_components.delestage.anticipation.planner import Phase, Room as PlannedRoom, plan_room
from custom_components.delestage.anticipation.thermal import Outdoor
from custom_components.delestage.report.model import PeriodKind, ShedPeriod, tempo_red_period
from tools.sandbox import rooms, weather

PARIS = weather.PARIS
HOUR = timedelta(hours=1)
HISTORY_DAYS = 14
REBOUND = timedelta(hours=3)
DAY_SET_POINT = 20.0
NIGHT_SET_POINT = 17.0
FLOOR_DROP = 2.0
FLOOR = DAY_SET_POINT - FLOOR_DROP
# Tempo prices, €/kWh (2025-11, reference/anticipation.md §1): the red day's HP, and the
# off-peak hours priced at red HC, the dearest HC (the night before a red day is billed at the
# previous day's colour, white or red: red is the cautious choice). The afternoon before the
# red day is billed at a white day's HP.
RED_HP = 0.65
HC = 0.15
WHITE_HP = 0.17


@dataclass(frozen=True, slots=True)
class House:
    """Rooms (name, τ h, heater kW, oversize) and whether the user sets back at night."""

    name: str
    rooms: tuple[tuple[str, float, float, float], ...]
    night_setback: bool
    gains_kw: float = 0.1
    solar_m2: float = 0.5


HOUSES: tuple[House, ...] = (
    House("1970s flat, convectors", (("living", 10, 1.5, 1.3), ("bedroom", 12, 1.0, 1.5)), False),
    House(
        "uninsulated house",
        (("living", 14, 2.5, 1.4), ("bedroom", 16, 1.5, 1.6), ("office", 11, 1.0, 1.3)),
        True,
        gains_kw=0.15,
    ),
    House("1980s house", (("living", 20, 2.0, 1.5), ("bedroom", 25, 1.5, 1.8)), True),
    House(
        "1990s house",
        (("living", 30, 2.0, 1.6), ("bedroom", 35, 1.0, 1.4), ("kitchen", 28, 1.5, 2.0)),
        False,
        solar_m2=0.8,
    ),
    House("RT2005 house", (("living", 45, 2.0, 1.8), ("bedroom", 50, 1.0, 1.5)), True),
    House("RT2012 house", (("living", 60, 1.5, 2.0), ("bedroom", 70, 1.0, 1.6)), False),
    House("stone house, thick walls", (("living", 80, 3.0, 1.5), ("bedroom", 75, 2.0, 1.7)), True),
    House("RT2012 concrete flat", (("living", 65, 1.0, 1.5), ("bedroom", 80, 1.0, 2.0)), False),
)


@dataclass(frozen=True, slots=True)
class WeatherCase:
    """A winter day (the period's) and how much colder than the sandbox's average season."""

    name: str
    day: date
    offset_k: float


WEATHERS: tuple[WeatherCase, ...] = (
    WeatherCase("mild", date(2026, 12, 9), 0.0),
    WeatherCase("cold", date(2027, 1, 13), -4.0),
    WeatherCase("cold spell", date(2027, 1, 27), -7.0),
    WeatherCase("chilly", date(2027, 2, 10), -2.0),
)


def schedule(house: House) -> Callable[[datetime], float]:
    """The user's set point over the day."""

    def target(at: datetime) -> float:
        hour = at.astimezone(PARIS).hour
        if house.night_setback and (hour >= 23 or hour < 6):
            return NIGHT_SET_POINT
        return DAY_SET_POINT

    return target


def periods(day: date) -> dict[str, ShedPeriod]:
    """The periods of a day: Ecowatt 2 h (morning, evening), 4 h, and Tempo's red hours."""

    def local(hour: int) -> datetime:
        return datetime.combine(day, time(hour), PARIS).astimezone(UTC)

    return {
        "ecowatt 2 h 08-10": ShedPeriod(local(8), local(10), PeriodKind.ECOWATT_RED),
        "ecowatt 2 h 18-20": ShedPeriod(local(18), local(20), PeriodKind.ECOWATT_RED),
        "ecowatt 4 h 17-21": ShedPeriod(local(17), local(21), PeriodKind.ECOWATT_RED),
        "tempo red 06-22": tempo_red_period(day),
    }


@dataclass(slots=True)
class RoomCase:
    """One room of a house on a weather case, with its learned model."""

    spec: rooms.RoomSpec
    weather: rooms.Weather
    start_state: rooms.Room
    thermostat_on: bool
    fit: Fit
    outdoor: Outdoor
    seed: int


def _disturbances(rng: random.Random, start: datetime) -> tuple[rooms.Disturbance, ...]:
    """A window opened twice, a recorder outage: what a real history has."""
    found: list[rooms.Disturbance] = []
    for _ in range(2):
        opened = start + timedelta(days=rng.randrange(HISTORY_DAYS), hours=rng.uniform(7, 9))
        found.append(rooms.Disturbance(opened, opened + timedelta(minutes=20), 0.3))
    down = start + timedelta(days=rng.randrange(HISTORY_DAYS), hours=rng.uniform(0, 20))
    found.append(rooms.Disturbance(down, down + timedelta(hours=4), recorder_down=True))
    return tuple(found)


def learn_room(
    house: House, index: int, case: WeatherCase, seed: int, days: int = HISTORY_DAYS
) -> RoomCase:
    """Run ``days`` of history up to noon the day before the period and learn the room."""
    name, tau, heater_kw, oversize = house.rooms[index]
    spec = rooms.sized_room(
        f"{house.name} {name}",
        tau,
        heater_kw,
        oversize=oversize,
        gains_kw=house.gains_kw,
        solar_m2=house.solar_m2,
    )
    weather = rooms.Weather(case.offset_k)
    rng = random.Random(seed)
    plan_time = datetime.combine(case.day - timedelta(days=1), time(12), PARIS).astimezone(UTC)
    start = plan_time - timedelta(days=days)
    room = rooms.Room(spec, weather, DAY_SET_POINT)
    thermostat = rooms.GenericThermostat(DAY_SET_POINT)
    user = schedule(house)
    override_day = start + timedelta(days=rng.randrange(days), hours=19)

    def targets(at: datetime) -> float:
        if override_day <= at < override_day + 2 * HOUR:
            return 22.0  # the user wanted it warmer one evening
        return user(at)

    trace = rooms.run(
        room,
        thermostat,
        start,
        plan_time,
        targets=targets,
        sensor=rooms.Sensor(rng),
        disturbances=_disturbances(rng, start),
    )
    samples = [
        RoomSample(row.at, row.temperature, heating_state(row.hvac_action)) for row in trace.rows
    ]
    # The outdoor series as a Météo-France entry records it: one value per hour.
    hours = int((case.day - start.date()).days * 24 + 48)
    outdoor = Outdoor(
        (start + HOUR * i, round(weather.outdoor_c(start + HOUR * i), 1)) for i in range(hours)
    )
    fit = learn(samples, outdoor)
    return RoomCase(spec, weather, replace(room), thermostat.heater_on, fit, outdoor, seed)


@dataclass(slots=True)
class Outcome:
    """What a policy did to a room around a period (truth)."""

    red_kwh: float
    after_kwh: float
    cost_eur: float
    degree_minutes: float
    lowest: float
    plan_ms: list[float] = field(default_factory=list)  # processor time of each plan
    strategy: str = ""


def price(at: datetime, period: ShedPeriod) -> float:
    """€/kWh at a time around a period (the period's day is a Tempo red day)."""
    local = at.astimezone(PARIS)
    red_day = period.start.astimezone(PARIS).date()
    if local.hour >= 22 or local.hour < 6:
        return HC
    return RED_HP if local.date() == red_day else WHITE_HP


def run_policy(
    house: House, case: RoomCase, period: ShedPeriod, policy: str, plan_from: datetime
) -> Outcome:
    """Run one room from ``plan_from`` to 3 h after the period under a policy."""
    room = replace(case.start_state)
    thermostat = rooms.GenericThermostat(DAY_SET_POINT, heater_on=case.thermostat_on)
    user = schedule(house)
    end = period.end + REBOUND
    outcome = Outcome(0.0, 0.0, 0.0, 0.0, 99.0)
    steps: list[tuple[datetime, float]] = []
    sensor = rooms.Sensor(random.Random(case.seed + 1))
    forced_off: Callable[[datetime], bool] | None = None
    if policy == "shed":
        forced_off = lambda at: period.start <= at < period.end  # noqa: E731

    def targets(at: datetime) -> float:
        value = user(at)
        for moment, target in steps:
            if moment <= at:
                value = target
        return value if at < period.end else user(at)

    trace = rooms.Trace(plan_from)
    moment = plan_from
    while moment < end:
        following = min(moment + HOUR, end)
        if policy == "plan" and moment <= period.start:
            steps = _replan(house, case, period, room, moment, outcome)
        rooms.run(
            room,
            thermostat,
            moment,
            following,
            targets=targets,
            sensor=sensor,
            forced_off=forced_off,
            trace=trace,
        )
        moment = following
    for minute, (energy, temperature) in enumerate(
        zip(trace.energy_kwh, trace.temperatures, strict=True)
    ):
        at = plan_from + timedelta(minutes=minute)
        outcome.cost_eur += energy * price(at, period)
        if period.start <= at < period.end:
            outcome.red_kwh += energy
        elif at >= period.end:
            outcome.after_kwh += energy
        if at >= period.start:
            # The floor is 2 K under what the user wants then: after the period, a night
            # setback to 17 °C is the user's choice, not a miss.
            floor = min(FLOOR, user(at) - FLOOR_DROP)
            outcome.degree_minutes += max(0.0, floor - temperature)
        if period.start <= at < period.end:
            outcome.lowest = min(outcome.lowest, temperature)
    return outcome


def _replan(
    house: House,
    case: RoomCase,
    period: ShedPeriod,
    room: rooms.Room,
    now: datetime,
    outcome: Outcome,
) -> list[tuple[datetime, float]]:
    """Plan again at ``now`` (the Home Assistant side re-plans every hour): steps to apply."""
    planned = PlannedRoom(DAY_SET_POINT, current_target=schedule(house)(now))
    reading = round(room.temperature, 1)
    # Processor time, not wall time: the machine is shared, a preempted plan is not slower.
    started = clock.process_time()
    plan = plan_room(
        planned,
        case.fit.model,
        period,
        case.outdoor,
        now=now,
        temperature=reading,
        learned=case.fit.learned,
    )
    outcome.plan_ms.append((clock.process_time() - started) * 1000)
    outcome.strategy = outcome.strategy or plan.strategy.value  # decided the day before
    return [(step.at, step.target) for step in plan.steps if step.phase is not Phase.RESTORE]
