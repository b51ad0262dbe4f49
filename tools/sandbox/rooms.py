"""Simulated heated rooms: known R, C and heater power on the simulated weather.

The ground truth of the pre-heating benchmark and of the demo's thermostats. A room is one
thermal mass (1R1C): ``C·dT/dt = (T_out − T)/R + P·u + gains``, with the outdoor temperature
and the sun of ``weather.py`` (plus an offset for colder or milder spells), internal gains that
follow a household's day (people, cooking, appliances) and the sun through the windows.
:class:`GenericThermostat` regulates like Home Assistant's ``generic_thermostat`` (a relay
switched around the target with cold/hot tolerances, on the readings of a 0.1 °C sensor), and
:func:`run` drives a room with it minute by minute, writing the rows Home Assistant's recorder
would keep (a row whenever the reading, the target or the heater state changes).

Nothing here imports the integration: the truth stays independent of the code it measures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
import math
import random

from . import weather

MINUTE = timedelta(minutes=1)
_CACHE_STEP = 300  # seconds: the weather is looked up every 5 minutes and held in between


@dataclass(frozen=True, slots=True)
class RoomSpec:
    """A room's physics: time constant (h), capacity (kWh/K), heater (kW), gains (kW)."""

    name: str
    tau_h: float
    c_kwh_per_k: float
    heater_kw: float
    gains_kw: float = 0.1  # mean internal gains
    solar_m2: float = 0.5  # effective glazing: kW gained per kW/m² of sun on the façade

    @property
    def r_k_per_kw(self) -> float:
        """Thermal resistance to the outside (K/kW)."""
        return self.tau_h / self.c_kwh_per_k

    @property
    def heating_rate(self) -> float:
        """What the heater adds at full power (K/h), before losses."""
        return self.heater_kw / self.c_kwh_per_k


def sized_room(
    name: str,
    tau_h: float,
    heater_kw: float,
    *,
    oversize: float = 1.5,
    design_outdoor: float = -7.0,
    set_point: float = 20.0,
    gains_kw: float = 0.1,
    solar_m2: float = 0.5,
) -> RoomSpec:
    """A room whose heater is ``oversize`` times the loss at the design outdoor temperature.

    That is how French heating is sized (the loss at the coldest usual day, plus a margin), and
    it fixes R from the heater power; C follows from τ.
    """
    resistance = (set_point - design_outdoor) * oversize / heater_kw
    return RoomSpec(name, tau_h, tau_h / resistance, heater_kw, gains_kw, solar_m2)


def occupancy(at: datetime) -> float:
    """Share of the mean internal gains at a local time (people at home, cooking, TV)."""
    local = at.astimezone(weather.PARIS)
    hour = local.hour + local.minute / 60.0
    weekday = local.weekday() < 5
    if 6.5 <= hour < 9.0:
        return 1.5
    if 18.0 <= hour < 23.0:
        return 1.7
    if 9.0 <= hour < 18.0:
        return 0.5 if weekday else 1.2
    return 0.6  # night: stand-by, fridge, sleeping people


@lru_cache(maxsize=4096)
def _occupancy_slot(slot: int) -> float:
    """Occupancy of a 5-minute slot (cached: the simulation asks every minute)."""
    return occupancy(datetime.fromtimestamp(slot * _CACHE_STEP, UTC))


@dataclass(slots=True)
class Weather:
    """The simulated outdoor temperature and sun, ``offset_k`` colder or milder."""

    offset_k: float = 0.0
    _cache: dict[int, tuple[float, float]] = field(default_factory=dict)

    def _lookup(self, at: datetime) -> tuple[float, float]:
        key = int(at.timestamp()) // _CACHE_STEP
        found = self._cache.get(key)
        if found is None:
            moment = datetime.fromtimestamp(key * _CACHE_STEP + _CACHE_STEP / 2, UTC)
            found = (
                weather.temperature_c(moment) + self.offset_k,
                weather.solar_irradiance_wm2(moment) / 1000.0,
            )
            self._cache[key] = found
        return found

    def outdoor_c(self, at: datetime) -> float:
        """Outdoor air temperature (°C)."""
        return self._lookup(at)[0]

    def sun_kw_m2(self, at: datetime) -> float:
        """Global irradiance (kW/m²)."""
        return self._lookup(at)[1]


@dataclass(slots=True)
class Room:
    """A room's state, advanced in time with its heater on or off."""

    spec: RoomSpec
    weather: Weather
    temperature: float
    extra_loss_kw_per_k: float = 0.0  # an open window

    def gains_kw(self, at: datetime) -> float:
        """Free gains (kW): people and appliances, and the sun through the windows."""
        share = _occupancy_slot(int(at.timestamp()) // _CACHE_STEP)
        return self.spec.gains_kw * share + self.spec.solar_m2 * self.weather.sun_kw_m2(at)

    def advance(self, at: datetime, duration: timedelta, heater: float) -> float:
        """Move ``duration`` on from ``at`` with the heater on ``heater`` (0..1) of the time.

        Returns the heater's energy (kWh). Exact over the step (inputs taken at its middle).
        """
        hours = duration.total_seconds() / 3600.0
        middle = at + duration / 2
        spec = self.spec
        conductance = 1.0 / spec.r_k_per_kw + self.extra_loss_kw_per_k  # kW/K
        power = spec.heater_kw * heater + self.gains_kw(middle)
        settle = self.weather.outdoor_c(middle) + power / conductance
        tau = spec.c_kwh_per_k / conductance
        self.temperature = settle + (self.temperature - settle) * math.exp(-hours / tau)
        return spec.heater_kw * heater * hours


@dataclass(slots=True)
class GenericThermostat:
    """Home Assistant's ``generic_thermostat``: a relay switched around the target.

    The heater turns on when the reading is ``cold_tolerance`` below the target, off when it
    is ``hot_tolerance`` above it, like the real one (defaults 0.3 K).
    """

    target: float
    cold_tolerance: float = 0.3
    hot_tolerance: float = 0.3
    heater_on: bool = False

    def update(self, reading: float) -> bool:
        """React to a sensor reading; returns whether the heater is on."""
        if self.heater_on and reading >= self.target + self.hot_tolerance:
            self.heater_on = False
        elif not self.heater_on and reading <= self.target - self.cold_tolerance:
            self.heater_on = True
        return self.heater_on


@dataclass(frozen=True, slots=True)
class StateRow:
    """What the recorder keeps of the thermostat: reading, target, ``hvac_action``.

    ``temperature`` None: the thermostat was unavailable (Home Assistant restarting).
    """

    at: datetime
    temperature: float | None
    target: float
    hvac_action: str


@dataclass(slots=True)
class Trace:
    """What happened minute by minute: true temperature and heater energy, plus the rows."""

    start: datetime
    temperatures: list[float] = field(default_factory=list)  # at the end of each minute
    energy_kwh: list[float] = field(default_factory=list)  # heater energy of each minute
    rows: list[StateRow] = field(default_factory=list)

    def minute(self, at: datetime) -> int:
        """Index of the minute starting at ``at``."""
        return int((at - self.start).total_seconds() // 60)

    def energy_between(self, start: datetime, end: datetime) -> float:
        """Heater energy (kWh) of ``[start, end[``."""
        return sum(self.energy_kwh[max(self.minute(start), 0) : max(self.minute(end), 0)])


@dataclass(slots=True)
class Sensor:
    """A temperature sensor: 0.1 °C resolution, a little noise."""

    rng: random.Random
    noise_k: float = 0.03
    resolution: float = 0.1

    def read(self, temperature: float) -> float:
        """One reading of the true temperature."""
        noisy = temperature + self.rng.gauss(0.0, self.noise_k)
        return round(round(noisy / self.resolution) * self.resolution, 2)


@dataclass(frozen=True, slots=True)
class Disturbance:
    """Something the model does not know: a window open (extra kW/K) or HA down (no rows)."""

    start: datetime
    end: datetime
    extra_loss_kw_per_k: float = 0.0
    recorder_down: bool = False

    def active(self, at: datetime) -> bool:
        """Whether the disturbance is going on at ``at``."""
        return self.start <= at < self.end


Targets = Callable[[datetime], float]
ForcedOff = Callable[[datetime], bool]


def run(
    room: Room,
    thermostat: GenericThermostat,
    start: datetime,
    end: datetime,
    *,
    targets: Targets,
    sensor: Sensor,
    forced_off: ForcedOff | None = None,
    disturbances: tuple[Disturbance, ...] = (),
    trace: Trace | None = None,
) -> Trace:
    """Drive ``room`` minute by minute from ``start`` to ``end``; extend ``trace`` if given.

    ``targets`` gives the thermostat's set point at each minute (the user's schedule or a
    plan); ``forced_off`` switches the relay off whatever the thermostat wants (shedding).
    """
    trace = trace if trace is not None else Trace(start)
    last: tuple[float | None, float, str] | None = None
    at = start
    while at < end:
        thermostat.target = targets(at)
        reading = sensor.read(room.temperature)
        heating = thermostat.update(reading)
        if forced_off is not None and forced_off(at):
            heating = False
        down = any(d.recorder_down and d.active(at) for d in disturbances)
        state = (None if down else reading, thermostat.target, "heating" if heating else "idle")
        if state != last:
            trace.rows.append(StateRow(at, *state))
            last = state
        room.extra_loss_kw_per_k = sum(d.extra_loss_kw_per_k for d in disturbances if d.active(at))
        trace.energy_kwh.append(room.advance(at, MINUTE, 1.0 if heating else 0.0))
        trace.temperatures.append(room.temperature)
        at += MINUTE
    return trace
