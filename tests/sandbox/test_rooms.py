"""The simulated rooms: physics with known R, C and heater, the thermostat, the recorded rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
import math
import random

import pytest

from tools.sandbox import rooms, weather

T0 = datetime(2027, 1, 12, tzinfo=UTC)
SPEC = rooms.RoomSpec(
    "test", tau_h=20.0, c_kwh_per_k=1.0, heater_kw=2.0, gains_kw=0.0, solar_m2=0.0
)


@dataclass
class Constant(rooms.Weather):
    """A constant outdoor temperature and no sun, to compare with the closed form."""

    value: float = 0.0

    def outdoor_c(self, at: datetime) -> float:
        return self.value

    def sun_kw_m2(self, at: datetime) -> float:
        return 0.0


def _advance(room: rooms.Room, hours: float, heater: float) -> float:
    energy = 0.0
    for minute in range(int(hours * 60)):
        energy += room.advance(T0 + timedelta(minutes=minute), rooms.MINUTE, heater)
    return energy


def test_a_room_cools_with_its_time_constant() -> None:
    room = rooms.Room(SPEC, Constant(value=0.0), 20.0)
    assert SPEC.r_k_per_kw == 20.0
    energy = _advance(room, 10.0, 0.0)
    assert room.temperature == pytest.approx(20.0 * math.exp(-10.0 / 20.0), abs=1e-6)
    assert energy == 0.0


def test_a_heater_on_settles_at_outdoor_plus_power_times_resistance() -> None:
    room = rooms.Room(SPEC, Constant(value=0.0), 0.0)
    energy = _advance(room, 200.0, 1.0)
    assert room.temperature == pytest.approx(2.0 * 20.0, abs=0.01)  # 2 kW × 20 K/kW
    assert energy == pytest.approx(400.0)  # 2 kW × 200 h
    half = rooms.Room(SPEC, Constant(value=0.0), 0.0)
    _advance(half, 200.0, 0.5)
    assert half.temperature == pytest.approx(20.0, abs=0.01)


def test_an_open_window_cools_faster() -> None:
    closed = rooms.Room(SPEC, Constant(value=0.0), 20.0)
    opened = rooms.Room(SPEC, Constant(value=0.0), 20.0, extra_loss_kw_per_k=0.3)
    _advance(closed, 0.5, 0.0)
    _advance(opened, 0.5, 0.0)
    assert opened.temperature < closed.temperature - 1.0


def test_free_gains_warm_the_room() -> None:
    sunny = rooms.RoomSpec("sunny", 20.0, 1.0, 2.0, gains_kw=0.2, solar_m2=2.0)
    room = rooms.Room(sunny, rooms.Weather(), 20.0)
    noon, night = T0 + timedelta(hours=11), T0 + timedelta(hours=2)
    assert room.gains_kw(noon) > room.gains_kw(night) > 0.0
    assert rooms.occupancy(T0 + timedelta(hours=19)) > rooms.occupancy(night)


def test_sized_room_heater_covers_the_design_loss_with_its_margin() -> None:
    spec = rooms.sized_room("sized", 30.0, 1.5, oversize=1.5, design_outdoor=-7.0)
    loss_kw = (20.0 - (-7.0)) / spec.r_k_per_kw
    assert loss_kw * 1.5 == pytest.approx(1.5)
    assert spec.r_k_per_kw * spec.c_kwh_per_k == pytest.approx(30.0)
    assert spec.heating_rate == pytest.approx(1.5 / spec.c_kwh_per_k)


def test_the_weather_is_the_sandbox_weather_shifted() -> None:
    at = T0 + timedelta(hours=3, minutes=7)
    plain, cold = rooms.Weather(), rooms.Weather(-5.0)
    assert cold.outdoor_c(at) == pytest.approx(plain.outdoor_c(at) - 5.0)
    assert plain.outdoor_c(at) == pytest.approx(
        weather.temperature_c(at), abs=0.2
    )  # looked up every 5 minutes
    assert plain.sun_kw_m2(T0 + timedelta(hours=2)) == 0.0


def test_generic_thermostat_switches_at_its_tolerances() -> None:
    thermostat = rooms.GenericThermostat(20.0)
    assert not thermostat.update(19.8)
    assert thermostat.update(19.7)
    assert thermostat.update(20.2)
    assert not thermostat.update(20.3)


def test_sensor_reads_in_tenths() -> None:
    sensor = rooms.Sensor(random.Random(1), noise_k=0.0)
    assert sensor.read(19.96) == 20.0
    assert sensor.read(19.94) == 19.9


def _run(hours: float, seed: int, **kwargs: object) -> rooms.Trace:
    """A 15-hour room on a cold day, its thermostat at 20 °C."""
    room = rooms.Room(rooms.sized_room("room", 15.0, 2.0), rooms.Weather(-3.0), 20.0)
    return rooms.run(
        room,
        rooms.GenericThermostat(20.0),
        T0,
        T0 + timedelta(hours=hours),
        targets=lambda at: 20.0,
        sensor=rooms.Sensor(random.Random(seed)),
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_thermostat_holds_its_room_in_winter() -> None:
    trace = _run(24, 2)
    assert len(trace.temperatures) == 24 * 60
    assert min(trace.temperatures) > 19.5
    assert max(trace.temperatures) < 20.5
    assert 0.0 < trace.energy_between(T0, T0 + timedelta(days=1)) < 24 * 2.0
    # One row per change of reading or heater state, never two equal rows in a row.
    states = [(row.temperature, row.target, row.hvac_action) for row in trace.rows]
    assert all(a != b for a, b in pairwise(states))
    assert {row.hvac_action for row in trace.rows} == {"heating", "idle"}


def test_shedding_and_recorder_outage() -> None:
    shed = (T0 + timedelta(hours=2), T0 + timedelta(hours=4))
    outage = rooms.Disturbance(T0 + timedelta(hours=5), T0 + timedelta(hours=6), recorder_down=True)
    trace = _run(8, 3, forced_off=lambda at: shed[0] <= at < shed[1], disturbances=(outage,))
    assert trace.energy_between(*shed) == 0.0
    assert trace.temperatures[trace.minute(shed[1]) - 1] < 19.0  # the room cooled, heater off
    down = [row for row in trace.rows if outage.active(row.at)]
    assert down
    assert all(row.temperature is None for row in down)
    assert all(row.temperature is not None for row in trace.rows if not outage.active(row.at))
